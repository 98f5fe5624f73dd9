//go:build cluster

package cluster_test

import (
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"sync"
	"testing"
	"time"
)

// write is one acknowledged write: the record and its n after it.
type write struct {
	id string
	n  float64
}

// TestClusterSurvivesKilledNode: eight writers create and update records
// through the three nodes in turn while two WebSocket subscribers per
// node (the superuser and a guest) listen; a third of the way in, one
// node is killed with SIGKILL. Afterwards every acknowledged write is in
// the database and in the change log; the other nodes answered every
// request; the killed node's subscribers resumed on another node from
// their last seq; and every subscriber received each change after its
// start exactly once, in order.
func TestClusterSurvivesKilledNode(t *testing.T) {
	c := mustCluster(t, 3)
	admin := c.signIn(t, c.nodes[0])
	var col struct{ ID string }
	decode(t, admin.must(t, c.nodes[0], "POST", "/api/collections", `{"name": "ledger", "listRule": "", "viewRule": "",
		"fields": [{"name": "n", "type": "number"}]}`), &col)
	guests := c.newClient("")
	for _, nd := range c.nodes {
		guests.waitStatus(t, nd, "/api/collections/ledger/records", 200)
	}

	// Subscribers: two per node; each moves on to the next node in turn.
	var subs []*subscriber
	for i, nd := range c.nodes {
		route := []*node{nd, c.nodes[(i+1)%3], c.nodes[(i+2)%3]}
		subs = append(subs,
			subscribe(t, "superuser@"+nd.name, admin.token, "ledger/*", route),
			subscribe(t, "guest@"+nd.name, "", "ledger/*", route))
	}

	const writers, requests = 8, 75
	const killAfter = writers * requests / 3
	victim := c.nodes[0]
	var (
		mu       sync.Mutex
		acked    []write
		failures = map[string][]string{} // node → its failed requests
		counts   = map[string]int{}      // node → acknowledged writes
		killed   = make(chan struct{})
		killOnce sync.Once
		wg       sync.WaitGroup
	)
	load := c.newClient(admin.token)
	for w := range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			rng := rand.New(rand.NewPCG(uint64(w), 16))
			var mine []write // this writer's records, with their last acknowledged n
			for range requests {
				method, path, n, k := "POST", "/api/collections/ledger/records", 0.0, -1
				if len(mine) > 0 && rng.IntN(3) > 0 {
					k = rng.IntN(len(mine))
					method, path, n = "PATCH", path+"/"+mine[k].id, mine[k].n+1
				}
				a := load.do(method, path, fmt.Sprintf(`{"n": %v}`, n))
				mu.Lock()
				if a.err != nil || a.status != 200 {
					failures[a.node.name] = append(failures[a.node.name], fmt.Sprintf("%s %s: %v", method, path, a))
					mu.Unlock()
					if k >= 0 {
						// An update that was not acknowledged may have been
						// applied: this writer leaves the record alone.
						mine = append(mine[:k], mine[k+1:]...)
					}
					continue
				}
				var rec struct {
					ID string
					N  float64
				}
				if err := json.Unmarshal([]byte(a.body), &rec); err != nil || rec.ID == "" {
					t.Errorf("%s %s: %v", method, path, a)
				}
				acked = append(acked, write{rec.ID, rec.N})
				counts[a.node.name]++
				if len(acked) == killAfter {
					killOnce.Do(func() { close(killed) })
				}
				mu.Unlock()
				if k >= 0 {
					mine[k].n = rec.N
				} else {
					mine = append(mine, write{rec.ID, rec.N})
				}
			}
		}()
	}
	<-killed
	victim.kill()
	t.Logf("killed %s after %d acknowledged writes", victim.name, killAfter)
	wg.Wait()

	// The other nodes answered every request; the victim's failures are
	// the requests it had in flight and those sent before the client left
	// it out.
	for _, nd := range c.nodes[1:] {
		if f := failures[nd.name]; len(f) > 0 {
			t.Errorf("%s failed %d requests, e.g. %v", nd.name, len(f), f[:min(len(f), 5)])
		}
		if counts[nd.name] == 0 {
			t.Errorf("%s acknowledged no write", nd.name)
		}
	}
	t.Logf("%d of %d writes acknowledged (%v); %d unanswered by the killed %s",
		len(acked), writers*requests, counts, len(failures[victim.name]), victim.name)

	// Every acknowledged write is stored and logged.
	db := c.db()
	log := changeLog(t, db, col.ID)
	logged := map[write]bool{}
	for _, ch := range log {
		logged[write{ch.id, ch.n}] = true
	}
	latest := map[string]float64{}
	for _, w := range acked {
		if !logged[w] {
			t.Errorf("acknowledged write of %s (n=%v) is not in the change log", w.id, w.n)
		}
		latest[w.id] = max(latest[w.id], w.n)
	}
	ctx, cancel := context.WithTimeout(context.Background(), hangGuard)
	defer cancel()
	stored := map[string]float64{}
	rows, err := db.Query(ctx, "SELECT id, n FROM ledger")
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var id string
		var n float64
		if err := rows.Scan(&id, &n); err != nil {
			t.Fatal(err)
		}
		stored[id] = n
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	for id, n := range latest {
		if got, ok := stored[id]; !ok || got < n {
			t.Errorf("record %s: stored n %v (present %v), acknowledged n %v", id, got, ok, n)
		}
	}
	t.Logf("%d records stored, %d changes logged", len(stored), len(log))

	// Every subscriber received every change after its start exactly once;
	// the killed node's moved to another node.
	last := log[len(log)-1].seq
	for _, s := range subs {
		s.waitFor(t, last)
		time.Sleep(50 * time.Millisecond) // a repeated event would arrive now
		s.check(t, log)
		s.mu.Lock()
		moved := len(s.connects) > 1
		s.mu.Unlock()
		if onVictim := s.route[0] == victim; moved != onVictim {
			t.Errorf("%s: subscribed on %v (started on the killed node: %v)", s.name, s.connects, onVictim)
		}
		t.Log(s.summary())
	}
}
