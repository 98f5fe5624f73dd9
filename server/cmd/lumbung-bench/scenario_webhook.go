package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"slices"
	"sync"
	"time"
)

// create-webhook sends create's requests to Lumbung while one webhook of
// the bench collection (create events) delivers every new record to a
// receiver in this process on 127.0.0.1, which answers 200 at once. The
// webhook is made after the warm-up, so every change it delivers is one
// of the measured run's creates; after the run the bench waits for the
// deliveries still on their way and reports how many arrived, how fast,
// and how long after the load stopped the last one came. The webhooks
// plugin refuses loopback targets unless its settings allow them, and
// reads its settings at start: the bench allows 127.0.0.1 and restarts
// Lumbung before anything is measured (allowLoopbackWebhooks).
// PocketBase has no webhooks and the baseline none either: n/a.

// Bounds of create-webhook.
const (
	// webhookDrainWait bounds the wait for the deliveries after the run:
	// a webhook delivers one change at a time, each committed with its
	// delivery log row, and may fall far behind the creates.
	webhookDrainWait = 5 * time.Minute
	// webhookAwaitEvery is how often the receiver's count is read then.
	webhookAwaitEvery = 10 * time.Millisecond
	// webhookLoopback is what the webhooks plugin's "allow" gets.
	webhookLoopback = "127.0.0.1/32"
)

var createWebhookScenario = scenario{
	name: "create-webhook", method: http.MethodPost, path: createPath, body: createBody,
	serves:  func(t *target) bool { return t.webhooks != nil },
	prepare: prepareWebhook,
}

// webhookReport is what create-webhook's receiver saw of one run.
type webhookReport struct {
	// Expected is the run's creates answered 200; Delivered the distinct
	// events that arrived (by X-Lumbung-Event-Id), DuringRun those that
	// arrived before the load stopped, Duplicates the deliveries of an
	// event that had arrived already.
	Expected   int `json:"expected"`
	Delivered  int `json:"delivered"`
	DuringRun  int `json:"duringRun"`
	Duplicates int `json:"duplicates"`
	// RunPerSec is DuringRun per second of the run; PerSec is Delivered
	// per second from the start of the run to the last delivery.
	RunPerSec float64 `json:"runPerSec"`
	PerSec    float64 `json:"perSec"`
	// LagMs is the time from the end of the load to the last delivery
	// (to the end of the wait when not every event arrived).
	LagMs float64 `json:"lagMs"`
	// Drained reports whether every expected event arrived within
	// webhookDrainWait.
	Drained bool `json:"drained"`
}

// webhookReceiver is the webhook's endpoint: an HTTP server on
// 127.0.0.1 that answers every POST 200 at once and notes when each event
// arrived.
type webhookReceiver struct {
	srv *http.Server
	url string

	mu         sync.Mutex
	start      time.Time            // of the current count (reset)
	seen       map[string]time.Time // event id: first arrival
	duplicates int
	tests      int // test events (X-Lumbung-Event-Id: test)
}

// startWebhookReceiver starts a receiver on a free 127.0.0.1 port.
func startWebhookReceiver() (*webhookReceiver, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	r := &webhookReceiver{url: "http://" + ln.Addr().String() + "/webhook", seen: map[string]time.Time{}}
	r.srv = &http.Server{Handler: http.HandlerFunc(r.serve), ReadHeaderTimeout: 10 * time.Second}
	go r.srv.Serve(ln) //nolint:errcheck // ends with close
	return r, nil
}

func (r *webhookReceiver) serve(w http.ResponseWriter, req *http.Request) {
	io.Copy(io.Discard, req.Body) //nolint:errcheck // the answer does not depend on it
	now := time.Now()
	id := req.Header.Get("X-Lumbung-Event-Id")
	r.mu.Lock()
	switch _, dup := r.seen[id]; {
	case req.Method != http.MethodPost || id == "":
	case id == "test":
		r.tests++
	case dup:
		r.duplicates++
	default:
		r.seen[id] = now
	}
	r.mu.Unlock()
	w.WriteHeader(http.StatusOK)
}

// reset forgets what arrived so far and starts counting now.
func (r *webhookReceiver) reset() {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.start, r.seen, r.duplicates, r.tests = time.Now(), map[string]time.Time{}, 0, 0
}

// delivered returns how many distinct events arrived since the reset.
func (r *webhookReceiver) delivered() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.seen)
}

// await waits until expected events arrived since the reset, at most
// wait, and sums up the run whose load stopped at end.
func (r *webhookReceiver) await(ctx context.Context, expected int, end time.Time, wait time.Duration) *webhookReport {
	ctx, cancel := context.WithTimeout(ctx, wait)
	defer cancel()
	tick := time.NewTicker(webhookAwaitEvery)
	defer tick.Stop()
	for r.delivered() < expected && ctx.Err() == nil {
		select {
		case <-ctx.Done():
		case <-tick.C:
		}
	}
	waited := time.Now()
	r.mu.Lock()
	defer r.mu.Unlock()
	rep := &webhookReport{Expected: expected, Delivered: len(r.seen), Duplicates: r.duplicates, Drained: len(r.seen) >= expected}
	arrivals := make([]time.Time, 0, len(r.seen))
	for _, at := range r.seen {
		arrivals = append(arrivals, at)
	}
	slices.SortFunc(arrivals, func(a, b time.Time) int { return a.Compare(b) })
	for _, at := range arrivals {
		if at.After(end) {
			break
		}
		rep.DuringRun++
	}
	if run := end.Sub(r.start).Seconds(); run > 0 {
		rep.RunPerSec = float64(rep.DuringRun) / run
	}
	last := waited
	if rep.Drained && len(arrivals) > 0 {
		last = arrivals[len(arrivals)-1]
		if span := last.Sub(r.start).Seconds(); span > 0 {
			rep.PerSec = float64(rep.Delivered) / span
		}
	}
	rep.LagMs = ms(max(last.Sub(end), 0))
	return rep
}

// close stops the receiver.
func (r *webhookReceiver) close() error { return r.srv.Close() }

// prepareWebhook readies t's receiver; the webhook itself is made after
// the warm-up, and deleted once its deliveries arrived.
func prepareWebhook(_ context.Context, t *target, _ config) (*fixture, error) {
	c := newAPIClient("http://" + t.addr)
	c.token = t.auth
	r := t.webhooks
	id := ""
	return &fixture{
		beforeRun: func(ctx context.Context) error {
			var err error
			if id, err = c.createWebhook(ctx, t.env.collection, r.url); err != nil {
				return err
			}
			if err := c.testWebhook(ctx, id); err != nil {
				return err
			}
			r.reset()
			return nil
		},
		afterRun: func(ctx context.Context, res *loadResult, end time.Time, tr *targetReport) error {
			if id == "" {
				return nil
			}
			if tr != nil {
				tr.Webhook = r.await(ctx, res.ok, end, webhookDrainWait)
			}
			dctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), time.Minute)
			defer cancel()
			if err := c.call(dctx, http.MethodDelete, "/api/webhooks/"+id, nil, nil); err != nil {
				return fmt.Errorf("delete the webhook: %w", err)
			}
			return nil
		},
	}, nil
}

// createWebhook makes a webhook of collection's creates to url and
// returns its id.
func (c *apiClient) createWebhook(ctx context.Context, collection, url string) (string, error) {
	in := map[string]any{"name": "lumbung-bench", "collection": collection, "events": []string{"create"},
		"url": url, "secret": randomHex(16)}
	var out struct {
		ID      string `json:"id"`
		Enabled bool   `json:"enabled"`
	}
	if err := c.call(ctx, http.MethodPost, "/api/webhooks", in, &out); err != nil {
		return "", fmt.Errorf("create a webhook: %w", err)
	}
	if out.ID == "" || !out.Enabled {
		return "", fmt.Errorf("POST /api/webhooks: unexpected answer %+v", out)
	}
	return out.ID, nil
}

// testWebhook sends the webhook's test event and checks that it arrived.
func (c *apiClient) testWebhook(ctx context.Context, id string) error {
	var out struct {
		Status  int    `json:"status"`
		Success bool   `json:"success"`
		Error   string `json:"error"`
	}
	if err := c.call(ctx, http.MethodPost, "/api/webhooks/"+id+"/test", nil, &out); err != nil {
		return fmt.Errorf("test the webhook: %w", err)
	}
	if !out.Success {
		return fmt.Errorf("the webhook's test event was not delivered: status %d, %s", out.Status, out.Error)
	}
	return nil
}

// allowLoopbackWebhooks lets the webhooks plugin of the server lb reaches
// through c deliver to 127.0.0.1 and restarts the server, which reads
// its plugins' settings at start; c signs in again with password. It
// returns what puts the plugin's settings back (for an external database,
// whose settings outlive the run).
func allowLoopbackWebhooks(ctx context.Context, c *apiClient, lb *serverProcess, password string) (restore func(context.Context) error, err error) {
	var settings struct {
		Plugins map[string]json.RawMessage `json:"plugins"`
	}
	if err := c.call(ctx, http.MethodGet, "/api/settings", nil, &settings); err != nil {
		return nil, fmt.Errorf("read the settings: %w", err)
	}
	was := json.RawMessage(`{}`)
	if v, ok := settings.Plugins["webhooks"]; ok && string(v) != "null" {
		was = v
	}
	var entry map[string]any
	if err := json.Unmarshal(was, &entry); err != nil {
		return nil, fmt.Errorf("the settings' webhooks plugin: %w", err)
	}
	cfg, _ := entry["config"].(map[string]any)
	if cfg == nil {
		cfg = map[string]any{}
	}
	allow, _ := cfg["allow"].([]any)
	cfg["allow"] = append(allow, webhookLoopback)
	entry["config"] = cfg
	if err := c.call(ctx, http.MethodPatch, "/api/settings", map[string]any{"plugins": map[string]any{"webhooks": entry}}, nil); err != nil {
		return nil, fmt.Errorf("allow webhooks to %s: %w", webhookLoopback, err)
	}
	restore = func(ctx context.Context) error {
		return c.call(ctx, http.MethodPatch, "/api/settings", map[string]any{"plugins": map[string]any{"webhooks": was}}, nil)
	}
	if err := lb.restart(ctx); err != nil {
		return restore, fmt.Errorf("restart lumbung: %w", err)
	}
	if err := c.signIn(ctx, benchEmail, password); err != nil {
		return restore, fmt.Errorf("sign in after the restart: %w", err)
	}
	var list struct {
		Items []json.RawMessage `json:"items"`
	}
	if err := c.call(ctx, http.MethodGet, "/api/webhooks", nil, &list); err != nil {
		var ae *apiError
		if errors.As(err, &ae) && ae.status == http.StatusNotFound {
			return restore, errors.New("this lumbung has no webhooks plugin (GET /api/webhooks: 404); leave create-webhook out of -scenarios")
		}
		return restore, err
	}
	return restore, nil
}

// webhookSelected reports whether create-webhook is among names.
func webhookSelected(names []string) bool { return slices.Contains(names, createWebhookScenario.name) }
