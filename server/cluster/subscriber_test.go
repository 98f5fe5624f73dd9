//go:build cluster

package cluster_test

import (
	"context"
	"encoding/json"
	"fmt"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/fasthttp/websocket"
	"github.com/jackc/pgx/v5"
)

// change is one record change: as delivered to a subscriber, or as
// written in the change log (_events).
type change struct {
	seq    int64
	action string
	id     string
	n      float64 // the record's n after the change
}

func (ch change) String() string { return fmt.Sprintf("%d %s %s n=%v", ch.seq, ch.action, ch.id, ch.n) }

// subscriber is a realtime client that keeps one subscription to topic
// alive across nodes: when its connection breaks, it connects to the next
// node of route and subscribes again with since set to the last seq it
// received, as a client of the protocol is meant to.
type subscriber struct {
	name  string
	token string // "" for a guest
	topic string
	route []*node // the node to connect to first, then the others in turn

	mu       sync.Mutex
	conn     *websocket.Conn
	stopped  bool
	start    int64 // the seq the first subscription started after (its ack)
	last     int64 // the last seq received
	got      []change
	problems []string // out-of-order or repeated seqs, protocol errors
	connects []string // the nodes it subscribed on, in order
	perConn  []int    // the events received on each of them
	err      error    // why it gave up, if it did
	done     chan struct{}
}

// subscribe starts a subscriber on route[0] and returns once its first
// subscription is acknowledged. It is stopped when the test ends.
func subscribe(t *testing.T, name, token, topic string, route []*node) *subscriber {
	t.Helper()
	s := &subscriber{name: name, token: token, topic: topic, route: route, done: make(chan struct{})}
	ready := make(chan struct{})
	go s.run(ready)
	t.Cleanup(s.stop)
	select {
	case <-ready:
	case <-s.done:
		t.Fatalf("%s: %v", name, s.err)
	case <-time.After(hangGuard):
		t.Fatalf("%s: no ack within %v", name, hangGuard)
	}
	return s
}

// run connects, subscribes and reads events until stopped, moving to the
// next node of route whenever a connection breaks or cannot be made.
func (s *subscriber) run(ready chan struct{}) {
	defer close(s.done)
	failedSince := time.Time{} // the first failure of the current outage
	for i := 0; ; i++ {
		nd := s.route[i%len(s.route)]
		err := s.session(nd, ready)
		s.mu.Lock()
		stopped := s.stopped
		s.mu.Unlock()
		if stopped {
			return
		}
		if failedSince.IsZero() {
			failedSince = time.Now()
		}
		if _, resubscribed := err.(brokenError); resubscribed {
			failedSince = time.Now() // it was subscribed: a new outage starts
		}
		if time.Since(failedSince) > hangGuard {
			s.fail(fmt.Errorf("no node took the subscription within %v; last: %w", hangGuard, err))
			return
		}
		if _, protocol := err.(protocolError); protocol {
			s.fail(err)
			return
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// brokenError is a connection that broke after its subscription was
// acknowledged.
type brokenError struct{ error }

// protocolError is an answer the subscriber cannot go on after, such as
// an error message to its subscribe.
type protocolError struct{ error }

func (s *subscriber) fail(err error) {
	s.mu.Lock()
	s.err = err
	s.mu.Unlock()
}

// session subscribes on nd and reads events until the connection breaks.
func (s *subscriber) session(nd *node, ready chan struct{}) error {
	dialer := websocket.Dialer{HandshakeTimeout: 10 * time.Second}
	conn, _, err := dialer.Dial("ws"+strings.TrimPrefix(nd.base, "http")+"/api/realtime", nil)
	if err != nil {
		return err
	}
	s.mu.Lock()
	if s.stopped {
		s.mu.Unlock()
		conn.Close()
		return nil
	}
	s.conn = conn
	sub := map[string]any{"type": "subscribe", "id": "s", "topic": s.topic}
	resuming := len(s.connects) > 0
	if resuming {
		sub["since"] = s.last
	}
	s.mu.Unlock()
	defer conn.Close()
	if s.token != "" {
		if err := conn.WriteJSON(map[string]any{"type": "auth", "id": "a", "token": s.token}); err != nil {
			return err
		}
	}
	if err := conn.WriteJSON(sub); err != nil {
		return err
	}
	acked := false
	for {
		if !acked {
			conn.SetReadDeadline(time.Now().Add(hangGuard)) //nolint:errcheck // a hang guard
		} else {
			conn.SetReadDeadline(time.Time{}) //nolint:errcheck // events may pause for long
		}
		_, b, err := conn.ReadMessage()
		if err != nil {
			if acked {
				return brokenError{err}
			}
			return err
		}
		var m struct {
			Type, ID, Action, Code, Message string
			Seq                             int64
			Record                          struct {
				ID string
				N  float64
			}
		}
		if err := json.Unmarshal(b, &m); err != nil {
			return protocolError{fmt.Errorf("%s sent %s: %v", nd.name, b, err)}
		}
		switch {
		case m.Type == "error" && m.ID == "s":
			return protocolError{fmt.Errorf("%s refused the subscription (resuming %v): %s %s", nd.name, resuming, m.Code, m.Message)}
		case m.Type == "error" && m.ID == "a":
			return protocolError{fmt.Errorf("%s refused the token: %s %s", nd.name, m.Code, m.Message)}
		case m.Type == "ack" && m.ID == "s":
			acked = true
			s.mu.Lock()
			s.connects = append(s.connects, nd.name)
			s.perConn = append(s.perConn, 0)
			if !resuming {
				s.start, s.last = m.Seq, m.Seq
				close(ready)
			}
			s.mu.Unlock()
		case m.Type == "event":
			s.mu.Lock()
			if m.Seq <= s.last {
				s.problems = append(s.problems, fmt.Sprintf("seq %d after seq %d (from %s)", m.Seq, s.last, nd.name))
			}
			s.last = max(s.last, m.Seq)
			s.got = append(s.got, change{seq: m.Seq, action: m.Action, id: m.Record.ID, n: m.Record.N})
			s.perConn[len(s.perConn)-1]++
			s.mu.Unlock()
		}
	}
}

// stop closes the connection and waits for the subscriber to end.
func (s *subscriber) stop() {
	s.mu.Lock()
	s.stopped = true
	if s.conn != nil {
		s.conn.Close()
	}
	s.mu.Unlock()
	<-s.done
}

// waitFor returns once the subscriber received seq, or fails the test
// when it gave up or the hang guard passed.
func (s *subscriber) waitFor(t *testing.T, seq int64) {
	t.Helper()
	deadline := time.Now().Add(hangGuard)
	for {
		s.mu.Lock()
		last, err := s.last, s.err
		s.mu.Unlock()
		switch {
		case last >= seq:
			return
		case err != nil:
			t.Fatalf("%s gave up: %v", s.name, err)
		case time.Now().After(deadline):
			t.Fatalf("%s: last seq %d, still waiting for %d after %v", s.name, last, seq, hangGuard)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// check compares what the subscriber received with the change log: every
// change after its start, exactly once, in seq order, each as logged.
func (s *subscriber) check(t *testing.T, log []change) {
	t.Helper()
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, p := range s.problems {
		t.Errorf("%s: %s", s.name, p)
	}
	var want []change
	for _, ch := range log {
		if ch.seq > s.start {
			want = append(want, ch)
		}
	}
	got := map[int64]change{}
	for _, ch := range s.got {
		if _, twice := got[ch.seq]; twice {
			t.Errorf("%s received seq %d twice", s.name, ch.seq)
		}
		got[ch.seq] = ch
	}
	var missing []string
	for _, w := range want {
		g, ok := got[w.seq]
		if !ok {
			missing = append(missing, w.String())
			continue
		}
		if g != w {
			t.Errorf("%s received %v, the log has %v", s.name, g, w)
		}
		delete(got, w.seq)
	}
	if len(missing) > 0 {
		t.Errorf("%s missed %d of %d changes, e.g. %v", s.name, len(missing), len(want), missing[:min(len(missing), 5)])
	}
	var extra []string
	for _, g := range got {
		extra = append(extra, g.String())
	}
	sort.Strings(extra)
	if len(extra) > 0 {
		t.Errorf("%s received %d changes the log does not have after seq %d: %v", s.name, len(extra), s.start, extra[:min(len(extra), 5)])
	}
}

// summary says how many events the subscriber received and where it was
// subscribed.
func (s *subscriber) summary() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	var on []string
	for i, name := range s.connects {
		on = append(on, fmt.Sprintf("%s (%d)", name, s.perConn[i]))
	}
	return fmt.Sprintf("%s: %d events, seqs %d..%d, received on %s", s.name, len(s.got), s.start+1, s.last, strings.Join(on, " → "))
}

// changeLog reads the change log of the collection with id collectionID:
// each change's seq, action, record id and n after it.
func changeLog(t *testing.T, db *pgx.Conn, collectionID string) []change {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), hangGuard)
	defer cancel()
	rows, err := db.Query(ctx, `SELECT seq, action, record_id, coalesce((coalesce(new, old)->>'n')::float8, 0)
		FROM _events WHERE collection_id = $1 ORDER BY seq`, collectionID)
	if err != nil {
		t.Fatal(err)
	}
	log, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (change, error) {
		var ch change
		return ch, r.Scan(&ch.seq, &ch.action, &ch.id, &ch.n)
	})
	if err != nil {
		t.Fatal(err)
	}
	return log
}
