package realtime_test

import (
	"context"
	"encoding/json"
	"sync"
	"testing"
	"time"

	"github.com/lumbunghq/lumbung/collections"
	"github.com/lumbunghq/lumbung/collections/postgres"
	"github.com/lumbunghq/lumbung/server/realtime"
)

func TestHubStats(t *testing.T) {
	_, db := MustDB(t)
	svc := collections.NewService(collections.Config{Schema: postgres.NewSchemaStore(db), Records: postgres.NewRecordStore(db, nil)})
	if err := svc.Reload(context.Background()); err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	var lags []time.Duration
	h := realtime.NewHub(realtime.HubConfig{Records: svc, Queue: 3, DeliveryLag: func(d time.Duration) {
		mu.Lock()
		lags = append(lags, d)
		mu.Unlock()
	}})
	if st := h.Stats(); st != (realtime.Stats{}) {
		t.Fatalf("empty hub: %+v", st)
	}
	col, _ := svc.Collection("items")
	rec, err := svc.SystemRecords().Create(context.Background(), col, map[string]any{"name": "a", "n": 1})
	if err != nil {
		t.Fatal(err)
	}
	reader := MustClient(t, h, collections.System, "items/*")
	if err := reader.Subscribe("one", "items/"+rec.ID()); err != nil {
		t.Fatal(err)
	}
	idle := MustClient(t, h, collections.System, "items/*")
	MustClient(t, h, collections.System, "items/otherid")
	publish := func(seq int64) {
		h.Publish(realtime.Event{Seq: seq, CollectionID: col.ID, Action: "update", RecordID: rec.ID(),
			New: json.RawMessage(`{"id":"` + rec.ID() + `","name":"a","n":1}`), Created: time.Now().Add(-2 * time.Second)})
	}
	publish(1)
	publish(2)
	want := realtime.Stats{Clients: 3, Subscriptions: 4, Queued: 4, LongestQueue: 2}
	if st := h.Stats(); st != want {
		t.Fatalf("after two events: %+v, want %+v", st, want)
	}
	// The reader takes one event: one delivery per subscription.
	if ds := next(t, reader); len(ds) != 2 {
		t.Fatalf("deliveries %+v", ds)
	}
	want = realtime.Stats{Clients: 3, Subscriptions: 4, Queued: 3, LongestQueue: 2, Delivered: 2}
	if st := h.Stats(); st != want {
		t.Fatalf("after one read: %+v, want %+v", st, want)
	}
	mu.Lock()
	if len(lags) != 1 || lags[0] < 2*time.Second {
		t.Fatalf("lags %v, want one of at least 2s", lags)
	}
	mu.Unlock()
	// Two more events overflow the idle client's queue of 3.
	publish(3)
	publish(4)
	<-idle.Done()
	want = realtime.Stats{Clients: 2, Subscriptions: 3, Queued: 3, LongestQueue: 3, Delivered: 2, Slow: 1}
	if st := h.Stats(); st != want {
		t.Fatalf("after the idle client fell behind: %+v, want %+v", st, want)
	}
}
