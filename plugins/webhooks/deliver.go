package webhooks

import (
	"bytes"
	"context"
	crand "crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"net/netip"
	"os"
	"strconv"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/lumbunghq/lumbung/collections"
	"github.com/lumbunghq/lumbung/collections/filter"
	"github.com/lumbunghq/lumbung/plugins"
	wpg "github.com/lumbunghq/lumbung/plugins/webhooks/postgres"
	"github.com/lumbunghq/lumbung/server/egress"
)

const (
	// batch is how many events are read from the change log at once,
	// and how many deliveries are recorded together at most.
	batch = 100
	// flushEvery is how long deliveries wait at most to be recorded (the
	// delivery log and the webhook's position lag by that).
	flushEvery = 250 * time.Millisecond
	// maxErrorText bounds the error text kept in the delivery log.
	maxErrorText = 500
	// maxAnswer bounds what is read of an answer's body.
	maxAnswer = 64 << 10
)

// deliverer sends the events of the change log to the webhooks: every
// node runs one; each webhook is worked by the node holding its lease.
type deliverer struct {
	store   *wpg.Store
	host    plugins.Host
	cfg     Config
	client  *http.Client
	node    string
	lease   time.Duration
	log     *slog.Logger
	metrics *collector

	wake chan struct{} // capacity 1
	sem  chan struct{} // Config.Workers slots

	mu      sync.Mutex
	running map[string]bool
	work    sync.WaitGroup
}

func newDeliverer(store *wpg.Store, host plugins.Host, cfg Config, allow []netip.Prefix) *deliverer {
	d := &deliverer{store: store, host: host, cfg: cfg, client: newClient(allow, time.Duration(cfg.Timeout)),
		node: nodeName(), log: logger(host), wake: make(chan struct{}, 1), sem: make(chan struct{}, cfg.Workers),
		running: map[string]bool{}}
	// The lease outlasts a request with room to spare: a node renews it
	// before each request, so another node never takes a webhook over
	// while a request of it may still be answered.
	d.lease = max(time.Minute, 3*time.Duration(cfg.Timeout))
	d.metrics = newCollector(store, d.log)
	return d
}

// nodeName names this node in leases and the delivery log.
func nodeName() string {
	host, err := os.Hostname()
	if err != nil || host == "" {
		host = "node"
	}
	b := make([]byte, 4)
	crand.Read(b) //nolint:errcheck // crypto/rand does not fail
	return host + "-" + hex.EncodeToString(b)
}

// Wake makes the deliverer read the change log now.
func (d *deliverer) Wake() {
	select {
	case d.wake <- struct{}{}:
	default:
	}
}

// run delivers until ctx ends, then waits for the work under way.
func (d *deliverer) run(ctx context.Context) {
	defer d.work.Wait()
	timer := time.NewTimer(0)
	defer timer.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-timer.C:
		case <-d.wake:
		}
		d.tick(ctx)
		timer.Reset(time.Duration(d.cfg.Poll))
	}
}

// tick starts work on the due webhooks this node is not already working,
// as many as there are free workers.
func (d *deliverer) tick(ctx context.Context) {
	ids, err := d.store.Due(ctx, d.node)
	if err != nil {
		if ctx.Err() == nil {
			d.log.Error("webhooks: due", "err", err)
		}
		return
	}
	for _, id := range ids {
		d.mu.Lock()
		busy := d.running[id]
		d.mu.Unlock()
		if busy {
			continue
		}
		select {
		case d.sem <- struct{}{}:
		default:
			return // every worker is busy: the next tick goes on
		}
		d.mu.Lock()
		d.running[id] = true
		d.mu.Unlock()
		d.work.Go(func() {
			defer func() {
				d.mu.Lock()
				delete(d.running, id)
				d.mu.Unlock()
				<-d.sem
			}()
			if err := d.deliver(ctx, id); err != nil && ctx.Err() == nil {
				d.log.Error("webhooks: deliver", "webhook", id, "err", err)
			}
		})
	}
}

// deliver claims the webhook id and sends its events in seq order until
// it has caught up with the change log, a delivery fails (the next
// attempt is scheduled) or it loses the lease.
func (d *deliverer) deliver(ctx context.Context, id string) error {
	w, err := d.store.Claim(ctx, id, d.node, d.lease)
	if err != nil || w == nil || w.Cursor == nil {
		return err
	}
	defer d.store.Release(context.WithoutCancel(ctx), id, d.node) //nolint:errcheck // the lease expires anyway
	var expr filter.Expr
	if w.Filter != "" {
		if expr, err = filter.Parse(w.Filter); err != nil {
			return fmt.Errorf("filter: %w", err)
		}
	}
	// pos is the last event handled, saved the last position stored;
	// done are the deliveries made since, recorded together (flush): one
	// statement for many, so a busy collection's webhook keeps up.
	pos, saved, renewed, flushed := *w.Cursor, *w.Cursor, time.Now(), time.Now()
	var done []*wpg.Delivery
	flush := func(ctx context.Context) (bool, error) {
		if len(done) == 0 {
			return true, nil
		}
		held, err := d.store.Succeeded(ctx, d.node, done, d.lease)
		if err != nil || !held {
			return false, err
		}
		saved, renewed, flushed = done[len(done)-1].Event, time.Now(), time.Now()
		done = done[:0]
		return true, nil
	}
	for {
		evs, horizon, err := d.store.Events(ctx, pos, w.Collection, w.Events, batch)
		if err != nil {
			return err
		}
		for i := range evs {
			e := &evs[i]
			c, ok := d.host.Collection(e.CollectionID)
			// A webhook of every collection leaves the system ones
			// (superusers, one-time passwords, …) out; one naming
			// such a collection gets its changes.
			if !ok || (w.Collection == "" && c.System) || !d.matches(w, expr, c, e) {
				continue
			}
			body, err := payload(w.ID, c, e)
			if err != nil {
				d.log.Error("webhooks: render event", "webhook", w.ID, "seq", e.Seq, "err", err)
				continue
			}
			if time.Since(renewed) > d.lease/3 {
				if held, err := d.store.Renew(ctx, w.ID, d.node, d.lease); err != nil || !held {
					return err
				}
				renewed = time.Now()
			}
			res := d.send(ctx, w, strconv.FormatInt(e.Seq, 10), body)
			if ctx.Err() != nil {
				// Stopping: what was delivered is recorded, this event
				// goes again later.
				_, err := flush(context.WithoutCancel(ctx))
				return err
			}
			dl := &wpg.Delivery{Webhook: w.ID, Event: e.Seq, Action: e.Action, Collection: c.Name, Record: e.RecordID,
				Attempt: w.Attempt + 1, Status: res.status, OK: res.ok, Latency: res.latency, Error: res.err, Node: d.node}
			d.metrics.delivered(res.ok)
			if !res.ok {
				if held, err := flush(ctx); err != nil || !held {
					return err
				}
				return d.failed(ctx, w, dl, e.Seq-1)
			}
			done = append(done, dl)
			pos = e.Seq
			w.Attempt, w.Failures = 0, 0
			if len(done) >= batch || time.Since(flushed) > flushEvery {
				if held, err := flush(ctx); err != nil || !held {
					return err
				}
			}
		}
		if len(evs) > 0 {
			pos = max(pos, evs[len(evs)-1].Seq)
		}
		if len(evs) < batch {
			// Caught up: every event of the webhook up to the horizon is
			// handled.
			if held, err := flush(ctx); err != nil || !held {
				return err
			}
			if horizon > saved {
				_, err := d.store.Advance(ctx, w.ID, d.node, horizon)
				return err
			}
			return nil
		}
	}
}

// failed records the failed delivery dl and schedules the next attempt,
// or disables the webhook after MaxFailures failures in a row.
func (d *deliverer) failed(ctx context.Context, w *wpg.Webhook, dl *wpg.Delivery, skipped int64) error {
	disable := ""
	if w.Failures+1 >= d.cfg.MaxFailures {
		disable = fmt.Sprintf("Disabled after %d failed deliveries in a row; the last: %s", w.Failures+1, dl.Error)
		disable = bounded(disable)
		d.log.Warn("webhooks: disabled", "webhook", w.ID, "reason", disable)
	}
	wait := backoff(time.Duration(d.cfg.RetryBase), time.Duration(d.cfg.RetryMax), dl.Attempt)
	_, err := d.store.Failed(ctx, d.node, dl, skipped, wait, disable)
	return err
}

// backoff is the wait before attempt n+1 after n failed attempts: base
// doubled for each failure after the first, at most ceiling, drawn
// between half of that and all of it.
func backoff(base, ceiling time.Duration, n int) time.Duration {
	wait := base
	for i := 1; i < n && wait < ceiling; i++ {
		wait *= 2
	}
	wait = min(wait, ceiling)
	half := wait / 2
	return half + rand.N(half+1)
}

// matches reports whether event e of collection c passes the webhook's
// filter (the new row; the old one for a delete).
func (d *deliverer) matches(w *wpg.Webhook, expr filter.Expr, c *collections.Collection, e *collections.Event) bool {
	if expr == nil {
		return true
	}
	row := e.New
	if e.Action == "delete" {
		row = e.Old
	}
	data, err := collections.DecodeRow(c, row)
	if err == nil {
		var ok bool
		if ok, err = filter.Eval(expr, filterEnv(c), data); err == nil {
			return ok
		}
	}
	d.log.Warn("webhooks: filter", "webhook", w.ID, "seq", e.Seq, "err", err)
	return false
}

// filterEnv is what webhook filters on c compile against: the record's
// own fields, as the system sees them.
func filterEnv(c *collections.Collection) filter.Env {
	return filter.Env{Root: c, Now: time.Now().UTC()}
}

// result is the outcome of one request.
type result struct {
	ok      bool
	status  int
	latency time.Duration
	err     string
}

// send posts body to the webhook's URL, signed, and reports the outcome.
func (d *deliverer) send(ctx context.Context, w *wpg.Webhook, eventID string, body []byte) result {
	start := time.Now()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, w.URL, bytes.NewReader(body))
	if err != nil {
		return result{err: bounded(err.Error())}
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "Lumbung-Webhooks")
	req.Header.Set("X-Lumbung-Signature", Sign(w.Secret, time.Now(), body))
	req.Header.Set("X-Lumbung-Event-Id", eventID)
	req.Header.Set("X-Lumbung-Webhook-Id", w.ID)
	res, err := d.client.Do(req)
	if err != nil {
		var refused *egress.RefusedError
		if errors.As(err, &refused) {
			return result{latency: time.Since(start), err: bounded(refused.Error())}
		}
		return result{latency: time.Since(start), err: bounded(err.Error())}
	}
	defer res.Body.Close()
	answer, _ := io.ReadAll(io.LimitReader(res.Body, maxAnswer))
	out := result{status: res.StatusCode, latency: time.Since(start), ok: res.StatusCode >= 200 && res.StatusCode < 300}
	if !out.ok {
		out.err = bounded(fmt.Sprintf("HTTP %d: %s", res.StatusCode, bytes.TrimSpace(answer)))
	}
	return out
}

// bounded cuts s to maxErrorText bytes, on a character boundary.
func bounded(s string) string {
	if len(s) <= maxErrorText {
		return s
	}
	s = s[:maxErrorText]
	for !utf8.ValidString(s) {
		s = s[:len(s)-1]
	}
	return s + "…"
}
