package main

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// post delivers event id to the receiver as the webhooks plugin does.
func post(t *testing.T, r *webhookReceiver, id string) {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, r.url, strings.NewReader(`{"id":"`+id+`"}`))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("X-Lumbung-Event-Id", id)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("receiver answered %d", resp.StatusCode)
	}
}

func TestWebhookReceiver(t *testing.T) {
	r, err := startWebhookReceiver()
	if err != nil {
		t.Fatal(err)
	}
	defer r.close()
	if !strings.HasPrefix(r.url, "http://127.0.0.1:") {
		t.Errorf("url %s", r.url)
	}
	post(t, r, "1") // before the reset: not counted
	r.reset()
	post(t, r, "test")
	post(t, r, "2")
	post(t, r, "3")
	post(t, r, "3")
	end := time.Now()
	time.Sleep(5 * time.Millisecond) // after the end of the load, by the receiver's clock
	post(t, r, "4")

	rep := r.await(context.Background(), 3, end, time.Second)
	if rep.Expected != 3 || rep.Delivered != 3 || rep.DuringRun != 2 || rep.Duplicates != 1 || !rep.Drained {
		t.Errorf("got %+v, want 3 of 3 delivered, 2 during the run, 1 duplicate", rep)
	}
	if rep.LagMs < 5 || rep.PerSec <= 0 || rep.RunPerSec <= 0 {
		t.Errorf("lag %.3f ms (want at least 5), per second %.0f, during the run %.0f", rep.LagMs, rep.PerSec, rep.RunPerSec)
	}

	// not every event arrives: the wait ends, the lag is the wait
	rep = r.await(context.Background(), 5, time.Now(), 50*time.Millisecond)
	if rep.Drained || rep.Delivered != 3 || rep.LagMs < 50 || rep.PerSec != 0 {
		t.Errorf("got %+v, want 3 of 5, not drained, a lag of the whole wait", rep)
	}
}

// TestMeasureWebhook runs create-webhook against a fake Lumbung whose
// webhook delivers every create to the receiver, a second after it: the
// webhook is made after the warm-up, tested, waited for after the run and
// deleted; only the target with a receiver serves the scenario.
func TestMeasureWebhook(t *testing.T) {
	r, err := startWebhookReceiver()
	if err != nil {
		t.Fatal(err)
	}
	defer r.close()
	var (
		mu       sync.Mutex
		calls    []string
		hook     string // the webhook's URL while it exists
		seq      int
		deliver  sync.WaitGroup
		creating int // creates while the webhook exists
	)
	send := func(url, id string) {
		req, _ := http.NewRequest(http.MethodPost, url, bytes.NewReader([]byte(`{}`)))
		req.Header.Set("X-Lumbung-Event-Id", id)
		if resp, err := http.DefaultClient.Do(req); err == nil {
			resp.Body.Close()
		}
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		mu.Lock()
		defer mu.Unlock()
		switch p := req.Method + " " + req.URL.Path; {
		case p == "POST /api/webhooks":
			var in struct {
				Collection string   `json:"collection"`
				Events     []string `json:"events"`
				URL        string   `json:"url"`
				Secret     string   `json:"secret"`
			}
			json.NewDecoder(req.Body).Decode(&in) //nolint:errcheck
			if in.Collection != "bench" || len(in.Events) != 1 || in.Events[0] != "create" || len(in.Secret) < 8 {
				t.Errorf("webhook %+v", in)
			}
			hook = in.URL
			calls = append(calls, p)
			w.Write([]byte(`{"id":"wh1","enabled":true}`))
		case p == "POST /api/webhooks/wh1/test":
			send(hook, "test")
			calls = append(calls, p)
			w.Write([]byte(`{"event":"test","status":200,"success":true}`))
		case p == "DELETE /api/webhooks/wh1":
			hook = ""
			calls = append(calls, p)
			w.WriteHeader(http.StatusNoContent)
		case p == "POST /api/collections/bench/records":
			if hook != "" {
				seq++
				creating++
				deliver.Add(1)
				go func(url, id string) {
					defer deliver.Done()
					time.Sleep(100 * time.Millisecond)
					send(url, id)
				}(hook, strconv.Itoa(seq))
			}
			w.Write([]byte(`{}`))
		default:
			t.Errorf("unexpected %s", p)
			w.WriteHeader(http.StatusNotFound)
		}
	}))
	defer srv.Close()
	env := &scenarioEnv{collection: "bench", records: "/api/collections/bench/records", ids: []string{"a"}}
	lb := newTarget("lumbung", strings.TrimPrefix(srv.URL, "http://"), "su", env, 2)
	lb.webhooks = r
	pb := newTarget("pocketbase", strings.TrimPrefix(srv.URL, "http://"), "su", env, 2)
	m := &measurer{
		cfg:     config{concurrency: 2, duration: 30 * time.Millisecond, warmup: 10 * time.Millisecond, requests: 5},
		targets: []*target{lb, pb},
		mode:    "durable",
		setMode: func(context.Context, string) error { return nil },
		say:     func(string, ...any) {},
	}
	reps, err := m.measure(context.Background(), planSteps([]string{"create-webhook"}, "no-fsync", []string{"durable"}))
	deliver.Wait()
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"POST /api/webhooks", "POST /api/webhooks/wh1/test", "DELETE /api/webhooks/wh1"}; strings.Join(calls, ",") != strings.Join(want, ",") {
		t.Errorf("calls %v, want %v", calls, want)
	}
	if creating != 5 {
		t.Errorf("%d creates while the webhook existed, want the run's 5 (not the warm-up's)", creating)
	}
	rep := reps[0]
	if rep.PocketBase != nil || rep.Lumbung == nil || rep.Lumbung.Webhook == nil {
		t.Fatalf("lumbung %+v, pocketbase %+v", rep.Lumbung, rep.PocketBase)
	}
	h := rep.Lumbung.Webhook
	if h.Expected != 5 || h.Delivered != 5 || !h.Drained || h.Duplicates != 0 {
		t.Errorf("webhook report %+v: want 5 of 5 delivered, no test event among them", h)
	}
}
