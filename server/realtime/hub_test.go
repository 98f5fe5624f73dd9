package realtime_test

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/lumbunghq/lumbung/collections"
	"github.com/lumbunghq/lumbung/collections/postgres"
	"github.com/lumbunghq/lumbung/server/realtime"
)

// MustHub returns a hub over a fresh database with the "items" collection.
func MustHub(tb testing.TB, queue int) (*realtime.Hub, *collections.Service) {
	tb.Helper()
	_, db := MustDB(tb)
	svc := collections.NewService(collections.Config{Schema: postgres.NewSchemaStore(db), Records: postgres.NewRecordStore(db, nil)})
	if err := svc.Reload(context.Background()); err != nil {
		tb.Fatal(err)
	}
	return realtime.NewHub(realtime.HubConfig{Records: svc, Queue: queue}), svc
}

// MustClient connects a client subscribed to topic as sub "s".
func MustClient(tb testing.TB, h *realtime.Hub, caller collections.Caller, topic string) *realtime.Client {
	tb.Helper()
	c, err := h.Connect(caller)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { c.Close("test over") })
	if err := c.Subscribe("s", topic); err != nil {
		tb.Fatal(err)
	}
	return c
}

func next(tb testing.TB, c *realtime.Client) []realtime.Delivery {
	tb.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	ds, err := c.Next(ctx)
	if err != nil {
		tb.Fatalf("next: %v", err)
	}
	return ds
}

func TestHubSlowClientIsDisconnected(t *testing.T) {
	h, svc := MustHub(t, 4)
	col, _ := svc.Collection("items")
	rec, err := svc.SystemRecords().Create(context.Background(), col, map[string]any{"name": "a", "n": 1})
	if err != nil {
		t.Fatal(err)
	}
	slow := MustClient(t, h, collections.System, "items/*")
	fast := MustClient(t, h, collections.System, "items/"+rec.ID())
	other := MustClient(t, h, collections.System, "items/otherid")
	for i := 1; i <= 10; i++ {
		h.Publish(realtime.Event{Seq: int64(i), CollectionID: col.ID, Action: "update", RecordID: rec.ID(),
			New: json.RawMessage(`{"id":"` + rec.ID() + `","name":"a","n":1}`)})
		ds := next(t, fast)
		if len(ds) != 1 || ds[0].Seq != int64(i) || ds[0].Sub != "s" || !strings.Contains(string(ds[0].Record), `"name":"a"`) {
			t.Fatalf("fast got %+v", ds)
		}
	}
	select {
	case <-slow.Done():
	default:
		t.Fatal("slow client still connected")
	}
	if slow.Reason() != realtime.ReasonSlow {
		t.Fatalf("reason %q", slow.Reason())
	}
	if fast.Reason() != "" || other.Reason() != "" {
		t.Fatalf("others disconnected: %q %q", fast.Reason(), other.Reason())
	}
	if h.Len() != 2 {
		t.Fatalf("%d clients, want 2", h.Len())
	}
	h.Close(realtime.ReasonGoingAway)
	if fast.Reason() != realtime.ReasonGoingAway {
		t.Fatalf("reason %q", fast.Reason())
	}
	if _, err := h.Connect(nil); err == nil {
		t.Fatal("connect after close")
	}
}

// rule is a collections.Caller with one view rule on every collection.
type rule struct {
	acc  collections.Access
	auth map[string]any
}

func (r rule) Access(*collections.Collection, string) collections.Access { return r.acc }
func (r rule) Auth() map[string]any                                      { return r.auth }

func TestHubDeleteIsJudgedFromTheOldRow(t *testing.T) {
	h, svc := MustHub(t, 16)
	col, _ := svc.Collection("items")
	big := MustClient(t, h, rule{acc: collections.Access{Allowed: true, Conditions: []string{"n > 5"}, Fields: []string{"name"}}}, "items/*")
	none := MustClient(t, h, rule{}, "items/*")
	for i, n := range []int{1, 7} {
		old, _ := json.Marshal(map[string]any{"id": "r" + string(rune('0'+i)), "name": "x", "n": n, "created": "2026-01-02T03:04:05.123+00:00"})
		h.Publish(realtime.Event{Seq: int64(i + 1), CollectionID: col.ID, Action: "delete", RecordID: "r" + string(rune('0'+i)), Old: old})
	}
	ds := next(t, big)
	if len(ds) != 1 || ds[0].Seq != 2 || ds[0].Action != "delete" {
		t.Fatalf("got %+v", ds)
	}
	var got map[string]any
	if err := json.Unmarshal(ds[0].Record, &got); err != nil {
		t.Fatal(err)
	}
	if got["id"] != "r1" || got["name"] != "x" || got["n"] != nil {
		t.Fatalf("record %s", ds[0].Record)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	if ds, err := none.Next(ctx); err == nil {
		t.Fatalf("denied client got %+v", ds)
	}
}

func TestHubEnterLeaveIsOptIn(t *testing.T) {
	h, svc := MustHub(t, 16)
	col, _ := svc.Collection("items")
	caller := rule{acc: collections.Access{Allowed: true, Conditions: []string{"n > 5"}, Fields: []string{"name"}}}
	plain := MustClient(t, h, caller, "items/*")
	on := MustClient(t, h, caller, "items/*")
	on.SetEnterLeave(true)
	row := func(n int) json.RawMessage {
		b, _ := json.Marshal(map[string]any{"id": "r1", "name": "x", "n": n})
		return b
	}
	// 1→7 enters, 7→8 stays, 8→2 leaves, 2→3 stays hidden.
	for i, ns := range [][2]int{{1, 7}, {7, 8}, {8, 2}, {2, 3}} {
		h.Publish(realtime.Event{Seq: int64(i + 1), CollectionID: col.ID, Action: "update", RecordID: "r1", Old: row(ns[0]), New: row(ns[1])})
	}
	h.Publish(realtime.Event{Seq: 5, CollectionID: col.ID, Action: "delete", RecordID: "r1", Old: row(9)})
	var got []string
	for len(got) < 4 {
		for _, d := range next(t, on) {
			got = append(got, d.Action+" "+string(d.Record))
		}
	}
	want := []string{`enter {"collectionId":"` + col.ID + `","collectionName":"items","id":"r1","name":"x"}`,
		`update {"collectionId":"` + col.ID + `","collectionName":"items","id":"r1","name":"x"}`,
		`leave {"collectionId":"` + col.ID + `","collectionName":"items","id":"r1","name":"x"}`,
		`delete {"collectionId":"` + col.ID + `","collectionName":"items","id":"r1","name":"x"}`}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("got\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	got = nil
	for len(got) < 3 {
		for _, d := range next(t, plain) {
			got = append(got, d.Action)
		}
	}
	if strings.Join(got, ",") != "update,update,delete" {
		t.Errorf("without enter/leave got %v", got)
	}
}
