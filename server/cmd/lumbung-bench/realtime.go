package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/fasthttp/websocket"
)

// realtimeConfig is the realtime scenario's part of the flags. Clients 0
// skips the scenario.
type realtimeConfig struct {
	clients  int
	rate     int           // writes per second
	duration time.Duration // how long the writes go on
}

// Bounds that keep the realtime scenario finite whatever the server does.
const (
	rtDialers        = 32               // connections being opened at once
	rtConnectTimeout = 10 * time.Second // one client's dial, auth and subscribe
	rtIdle           = 2 * time.Second  // settle time before the idle RSS is read
	rtDrain          = 5 * time.Second  // wait for late events after the last write
	rtTopic          = "bench/*"
	rtTitlePrefix    = "rt-" // title of a written record: rt-<send time in unix ns>
)

// realtimeReport is the result of the realtime scenario.
type realtimeReport struct {
	Clients    int     `json:"clients"`    // asked for
	Subscribed int     `json:"subscribed"` // connected, authenticated and subscribed
	ConnectErr int     `json:"connectErrors"`
	FirstError string  `json:"firstError,omitempty"`
	ConnectSec float64 `json:"connectSeconds"`
	Rate       int     `json:"rate"`
	Duration   string  `json:"duration"`
	Writes     int64   `json:"writes"` // records created (answered 200)
	WriteErrs  int64   `json:"writeErrors"`
	Expected   int64   `json:"expected"`  // writes × subscribed clients
	Delivered  int64   `json:"delivered"` // events received with a known send time
	Lost       int64   `json:"lost"`
	TooSlow    int     `json:"tooSlow"` // clients closed by the server with 1008
	Dropped    int     `json:"dropped"` // clients lost otherwise while measuring
	EventsPerS float64 `json:"eventsPerSec"`
	P50Ms      float64 `json:"p50Ms"`
	P99Ms      float64 `json:"p99Ms"`
	MaxMs      float64 `json:"maxMs"`
	// RSS of the lumbung process before connecting and with every client
	// subscribed and idle, and the difference per subscribed client.
	RSSBeforeKiB int64    `json:"rssBeforeKiB"`
	RSSIdleKiB   int64    `json:"rssIdleKiB"`
	KiBPerConn   *float64 `json:"kibPerConnection,omitempty"`
	FileLimit    uint64   `json:"fileLimit"`
	windowSec    float64  // first write to the last delivery (or the drain timeout)
}

// rtClient is one subscribed WebSocket connection.
type rtClient struct {
	conn      *websocket.Conn
	latencies []time.Duration // receive time − send time, per event
	closeCode int             // set when the read loop ended on a close frame
	err       error           // why the read loop ended, unless closed by us
	received  atomic.Int64    // len(latencies), readable while the loop runs
	ended     atomic.Bool     // the read loop has returned
}

// readLoop records the delivery latency of every event until the
// connection ends. stopping is set before this command closes it.
func (c *rtClient) readLoop(stopping *atomic.Bool) {
	defer c.ended.Store(true)
	for {
		_, msg, err := c.conn.ReadMessage()
		got := time.Now()
		if err != nil {
			var ce *websocket.CloseError
			if errors.As(err, &ce) {
				c.closeCode = ce.Code
			}
			if !stopping.Load() {
				c.err = err
			}
			return
		}
		if sent, ok := eventSendTime(msg); ok {
			c.latencies = append(c.latencies, got.Sub(sent))
			c.received.Add(1)
		}
	}
}

var (
	eventType   = []byte(`"type":"event"`)
	titlePrefix = []byte(`"title":"` + rtTitlePrefix)
)

// eventSendTime finds the send time a bench write put in the record's title
// of an event message. It is a byte search, not a JSON decode, so that the
// client side stays cheap with many connections.
func eventSendTime(msg []byte) (time.Time, bool) {
	if !bytes.Contains(msg, eventType) {
		return time.Time{}, false
	}
	i := bytes.Index(msg, titlePrefix)
	if i < 0 {
		return time.Time{}, false
	}
	rest := msg[i+len(titlePrefix):]
	end := bytes.IndexByte(rest, '"')
	if end < 0 {
		return time.Time{}, false
	}
	ns, err := strconv.ParseInt(string(rest[:end]), 10, 64)
	if err != nil {
		return time.Time{}, false
	}
	return time.Unix(0, ns), true
}

// dialRealtime opens one connection, authenticates with token and
// subscribes to rtTopic, waiting for each answer.
func dialRealtime(ctx context.Context, dialer *websocket.Dialer, url, token string) (*websocket.Conn, error) {
	ctx, cancel := context.WithTimeout(ctx, rtConnectTimeout)
	defer cancel()
	conn, resp, err := dialer.DialContext(ctx, url, nil)
	if err != nil {
		if resp != nil {
			return nil, fmt.Errorf("dial: %w (HTTP %s)", err, resp.Status)
		}
		return nil, fmt.Errorf("dial: %w", err)
	}
	deadline, _ := ctx.Deadline()
	conn.SetReadDeadline(deadline)
	fail := func(err error) (*websocket.Conn, error) { conn.Close(); return nil, err }
	expect := func(want string) error {
		for {
			var m struct {
				Type    string `json:"type"`
				ID      string `json:"id"`
				Code    string `json:"code"`
				Message string `json:"message"`
			}
			if err := conn.ReadJSON(&m); err != nil {
				return fmt.Errorf("waiting for %s: %w", want, err)
			}
			switch m.Type {
			case want:
				return nil
			case "error":
				return fmt.Errorf("waiting for %s: error %s: %s", want, m.Code, m.Message)
			}
		}
	}
	if err := expect("connected"); err != nil {
		return fail(err)
	}
	if err := conn.WriteJSON(map[string]string{"type": "auth", "token": token}); err != nil {
		return fail(err)
	}
	if err := conn.WriteJSON(map[string]string{"type": "subscribe", "id": "s", "topic": rtTopic}); err != nil {
		return fail(err)
	}
	if err := expect("ack"); err != nil {
		return fail(err)
	}
	conn.SetReadDeadline(time.Time{})
	return conn, nil
}

// runRealtime opens cfg.clients subscribers, reads the server's RSS before
// and after, writes records at cfg.rate for cfg.duration and measures when
// each subscriber receives each event. Only an interruption fails it;
// anything else is reported in the result.
func runRealtime(ctx context.Context, cfg realtimeConfig, api *apiClient, addr, collection string, serverPID int, say func(string, ...any)) (*realtimeReport, error) {
	rep := &realtimeReport{Clients: cfg.clients, Rate: cfg.rate, Duration: cfg.duration.String(), FileLimit: fileLimit()}
	rep.RSSBeforeKiB = processRSS(serverPID)

	say("realtime: opening %d WebSocket connections", cfg.clients)
	url := "ws://" + addr + "/api/realtime"
	dialer := &websocket.Dialer{HandshakeTimeout: rtConnectTimeout, ReadBufferSize: 1024, WriteBufferSize: 1024}
	var (
		stopping atomic.Bool
		mu       sync.Mutex
		clients  []*rtClient
		readers  sync.WaitGroup
		next     atomic.Int64
		dialers  sync.WaitGroup
	)
	began := time.Now()
	for range min(rtDialers, cfg.clients) {
		dialers.Add(1)
		go func() {
			defer dialers.Done()
			for int(next.Add(1)) <= cfg.clients && ctx.Err() == nil {
				conn, err := dialRealtime(ctx, dialer, url, api.token)
				mu.Lock()
				if err != nil {
					rep.ConnectErr++
					if rep.FirstError == "" {
						rep.FirstError = err.Error()
					}
					mu.Unlock()
					continue
				}
				c := &rtClient{conn: conn}
				clients = append(clients, c)
				mu.Unlock()
				readers.Add(1)
				go func() { defer readers.Done(); c.readLoop(&stopping) }()
			}
		}()
	}
	dialers.Wait()
	rep.ConnectSec = time.Since(began).Seconds()
	closeAll := func() {
		stopping.Store(true)
		for _, c := range clients {
			c.conn.Close()
		}
		readers.Wait()
	}
	if ctx.Err() != nil {
		closeAll()
		return nil, ctx.Err()
	}
	rep.Subscribed = len(clients)
	say("realtime: %d subscribed in %.1fs (%d failed); idling %s", rep.Subscribed, rep.ConnectSec, rep.ConnectErr, rtIdle)
	if rep.FirstError != "" {
		say("realtime: first connection error: %s", rep.FirstError)
	}
	select {
	case <-ctx.Done():
	case <-time.After(rtIdle):
	}
	rep.RSSIdleKiB = processRSS(serverPID)
	if rep.Subscribed > 0 && rep.RSSBeforeKiB > 0 && rep.RSSIdleKiB > 0 {
		v := float64(rep.RSSIdleKiB-rep.RSSBeforeKiB) / float64(rep.Subscribed)
		rep.KiBPerConn = &v
	}

	if rep.Subscribed > 0 && cfg.rate > 0 && ctx.Err() == nil {
		say("realtime: writing %d records/s for %s", cfg.rate, cfg.duration)
		writeStart := time.Now()
		wctx, cancel := context.WithTimeout(ctx, cfg.duration)
		rep.Writes, rep.WriteErrs = writeAtRate(wctx, api, collection, cfg.rate)
		cancel()
		// Wait for the events still on their way, at most rtDrain.
		want := rep.Writes
		deadline := time.Now().Add(rtDrain)
		for time.Now().Before(deadline) && ctx.Err() == nil {
			done := true
			for _, c := range clients {
				if !c.ended.Load() && c.received.Load() < want {
					done = false
					break
				}
			}
			if done {
				break
			}
			time.Sleep(10 * time.Millisecond)
		}
		rep.windowSec = time.Since(writeStart).Seconds()
	}
	closeAll()
	if ctx.Err() != nil {
		return nil, ctx.Err()
	}

	var all []time.Duration
	for _, c := range clients {
		all = append(all, c.latencies...)
		switch {
		case c.closeCode == websocket.ClosePolicyViolation:
			rep.TooSlow++
		case c.err != nil:
			rep.Dropped++
			if rep.FirstError == "" {
				rep.FirstError = c.err.Error()
			}
		}
	}
	rep.Expected = rep.Writes * int64(rep.Subscribed)
	rep.Delivered = int64(len(all))
	rep.Lost = max(rep.Expected-rep.Delivered, 0)
	if rep.windowSec > 0 {
		rep.EventsPerS = float64(rep.Delivered) / rep.windowSec
	}
	if len(all) > 0 {
		slices.Sort(all)
		ms := func(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }
		rep.P50Ms = ms(all[len(all)*50/100])
		rep.P99Ms = ms(all[min(len(all)*99/100, len(all)-1)])
		rep.MaxMs = ms(all[len(all)-1])
	}
	return rep, nil
}

// writeAtRate creates records at rate per second until ctx ends, each
// titled with its send time, and returns how many were created and how many
// failed. A write that is not done when ctx ends still counts when it
// succeeds, since its event is on its way.
func writeAtRate(ctx context.Context, api *apiClient, collection string, rate int) (ok, failed int64) {
	var wg sync.WaitGroup
	var okN, failN atomic.Int64
	path := "/api/collections/" + collection + "/records"
	tick := time.NewTicker(time.Second / time.Duration(rate))
	defer tick.Stop()
	for i := 0; ; i++ {
		select {
		case <-ctx.Done():
			wg.Wait()
			return okN.Load(), failN.Load()
		case <-tick.C:
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			wctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			sent := time.Now()
			body := map[string]any{
				"title":    rtTitlePrefix + strconv.FormatInt(sent.UnixNano(), 10),
				"category": "c" + strconv.Itoa(i%categoryCount),
				"score":    float64(i%1000) + 0.5,
			}
			if err := api.call(wctx, http.MethodPost, path, body, nil); err != nil {
				failN.Add(1)
				return
			}
			okN.Add(1)
		}()
	}
}

// writeTable prints the realtime result as its own small table.
func (r *realtimeReport) writeTable(w io.Writer) {
	fmt.Fprintf(w, "\nRealtime (WebSocket, superuser, topic %s): %d clients, %d writes/s for %s\n\n", rtTopic, r.Clients, r.Rate, r.Duration)
	row := func(k, v string) { fmt.Fprintf(w, "%-30s | %s\n", k, v) }
	row("subscribed", fmt.Sprintf("%d of %d in %.1fs (%d failed; open-file limit %d)", r.Subscribed, r.Clients, r.ConnectSec, r.ConnectErr, r.FileLimit))
	row("server RSS before / idle", fmt.Sprintf("%s / %s", kib(r.RSSBeforeKiB), kib(r.RSSIdleKiB)))
	per := "n/a"
	if r.KiBPerConn != nil {
		per = fmt.Sprintf("%.1f KiB", *r.KiBPerConn)
	}
	row("memory per idle connection", per)
	row("writes", fmt.Sprintf("%d created, %d failed", r.Writes, r.WriteErrs))
	row("events expected / delivered", fmt.Sprintf("%d / %d (%d lost, %.2f%%: cut off, or not delivered %s after the last write)", r.Expected, r.Delivered, r.Lost, pct(r.Lost, r.Expected), rtDrain))
	row("clients cut off", fmt.Sprintf("%d as too slow (1008), %d otherwise", r.TooSlow, r.Dropped))
	row("delivered events/s", fmt.Sprintf("%.0f (over %.2fs, first write to last delivery)", r.EventsPerS, r.windowSec))
	row("latency p50 / p99 / max", fmt.Sprintf("%.2f / %.2f / %.2f ms", r.P50Ms, r.P99Ms, r.MaxMs))
	if r.FirstError != "" {
		fmt.Fprintf(w, "\nfirst realtime error: %s\n", r.FirstError)
	}
	fmt.Fprintln(w, "\nlatency = event received − HTTP create sent, for every (client, event); memory per connection =")
	fmt.Fprintln(w, "(server RSS with all clients subscribed and idle − RSS before connecting) / subscribed clients")
}

func kib(v int64) string {
	if v <= 0 {
		return "n/a"
	}
	return fmt.Sprintf("%.1f MiB", float64(v)/1024)
}

func pct(part, whole int64) float64 {
	if whole == 0 {
		return 0
	}
	return 100 * float64(part) / float64(whole)
}
