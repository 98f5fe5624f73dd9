package realtime

import (
	"context"
	"errors"
	"sort"
	"strings"
	"time"

	"github.com/lumbunghq/lumbung/collections"
	"github.com/lumbunghq/lumbung/collections/filter"
)

// ErrResync is returned by SubscribeWith when the events after Since are
// no longer all in the log: the client has to refetch what it shows.
var ErrResync = errors.New("realtime: the events after since are no longer retained; refetch the records and subscribe without since")

// ErrNoLog is returned by SubscribeWith for Since when the hub has no Log.
var ErrNoLog = errors.New("realtime: resuming from a seq is not available")

// SubscribeOptions describe one subscription.
type SubscribeOptions struct {
	// ID names the subscription; subscribing an existing id replaces it.
	ID string
	// Topic is "<collection>/*" or "<collection>/<record id>"; the
	// collection is named by name or id.
	Topic string
	// Filter, when set, is a filter expression every delivered record
	// matches (the row of the event: the old one for deletes).
	Filter string
	// Fields and Expand shape the delivered records as PocketBase's
	// fields and expand query parameters do.
	Fields string
	Expand string
	// Query and Headers are what rules and the filter read as
	// @request.query and @request.headers (header names as
	// collections.HeaderKey writes them), as PocketBase's subscription
	// options carry them.
	Query   map[string]string
	Headers map[string]string
	// Since, when set, replays the logged events after this seq before
	// the live ones. The replay starts once Start(ID) is called.
	Since *int64
}

// HasOptions reports whether a filter, fields or expand is set.
func (o *SubscribeOptions) HasOptions() bool {
	return o.Filter != "" || o.Fields != "" || o.Expand != ""
}

// subscription is one topic of a client: every record of a collection
// (record == "") or one record, optionally narrowed by a filter.
type subscription struct {
	collectionID string
	record       string
	filter       string
	expr         filter.Expr
	shape        shape

	// after: live events with seq <= after were or will be replayed.
	after int64
	// replaying is set while the events after cursor are still to be
	// read from the log; started once the replay may begin.
	replaying bool
	started   bool
	cursor    int64
}

func (s *subscription) matches(e *Event) bool {
	return s.collectionID == e.CollectionID && (s.record == "" || s.record == e.RecordID)
}

// Subscribe adds (or replaces) subscription id on topic "<collection>/*"
// or "<collection>/<record id>"; the collection is named by name or id.
func (c *Client) Subscribe(id, topic string) error {
	_, err := c.SubscribeWith(context.Background(), SubscribeOptions{ID: id, Topic: topic})
	return err
}

// SubscribeWith adds (or replaces) a subscription and returns the seq it
// starts after: every change with a higher seq that it covers is
// delivered, none at or below it. Without Since that is the change log's
// position now (0 without a Log). A filter that does not parse or names a
// field the client may not read is an EINVALID error with its position.
// With Since it returns ErrResync when events after Since were pruned (or
// Since is ahead of the log, as after a restore), and ErrNoLog without a
// Log; the replay then waits for Start(opts.ID), so that an
// acknowledgement can be sent first, and live events of the client are
// held until it has caught up.
func (c *Client) SubscribeWith(ctx context.Context, opts SubscribeOptions) (after int64, err error) {
	if opts.ID == "" {
		return 0, collections.Errorf(collections.EINVALID, "A subscription needs an id.")
	}
	name, rec, ok := strings.Cut(opts.Topic, "/")
	if !ok || name == "" || rec == "" {
		return 0, collections.Errorf(collections.EINVALID, "The topic must be \"<collection>/*\" or \"<collection>/<id>\".")
	}
	col, ok := c.hub.cfg.Records.Collection(name)
	if !ok {
		return 0, collections.Errorf(collections.ENOTFOUND, "Missing collection %q.", name)
	}
	if rec == "*" {
		rec = ""
	}
	c.mu.Lock()
	caller := c.caller
	c.mu.Unlock()
	e := &SubscribeEvent{Context: ctx, Client: c, Caller: caller, Collection: col, Options: &opts}
	if err := c.hub.cfg.Hooks.subscribe.Trigger(e); err != nil {
		return 0, err
	}
	s := &subscription{collectionID: col.ID, record: rec}
	// "*" follows the list access (PocketBase's listRule), one record the
	// view access (viewRule).
	action := collections.ActionList
	if rec != "" {
		action = collections.ActionView
	}
	if s.shape, err = c.hub.shapeOf(caller, col, action, opts.Fields, opts.Expand); err != nil {
		return 0, err
	}
	s.shape.req = realtimeRequest(opts.Query, headerKeys(opts.Headers))
	if opts.Filter != "" {
		expr, err := filter.Parse(opts.Filter)
		if err != nil {
			return 0, err
		}
		// Compiling checks the fields and the caller's right to read them.
		if _, err := filter.Eval(expr, c.hub.filterEnv(caller, col, s.shape), map[string]any{}); err != nil && !errors.Is(err, filter.ErrNeedsDatabase) {
			return 0, err
		}
		s.filter, s.expr = opts.Filter, expr
	}
	switch {
	case opts.Since != nil:
		if err := c.hub.checkSince(ctx, *opts.Since); err != nil {
			return 0, err
		}
		s.replaying, s.cursor, s.after = true, *opts.Since, *opts.Since
	case c.hub.cfg.Log != nil:
		// Changes committed before now are not delivered: a client that
		// fetches after subscribing sees them there.
		if s.after, err = c.hub.cfg.Log.Last(ctx); err != nil {
			return 0, err
		}
	}
	c.mu.Lock()
	c.subs[opts.ID] = s
	c.mu.Unlock()
	return s.after, nil
}

// headerKeys writes header names as rules read them (HeaderKey).
func headerKeys(h map[string]string) map[string]string {
	if h == nil {
		return nil
	}
	out := make(map[string]string, len(h))
	for k, v := range h {
		out[collections.HeaderKey(k)] = v
	}
	return out
}

// shapeOf checks the fields and expand parameters of a subscription of
// caller to col under action: the names must be fields caller may read,
// or relations.
func (h *Hub) shapeOf(caller collections.Caller, col *collections.Collection, action, fields, expand string) (shape, error) {
	sh := shape{fields: fields, expand: expand, action: action}
	recs := h.cfg.Records.RecordsAs(caller)
	if fields != "" {
		p, err := collections.ParseProjection(fields)
		if err != nil {
			return sh, err
		}
		if err := recs.CheckProjection(col, action, p, collections.IsUnrestricted(caller)); err != nil {
			return sh, err
		}
		sh.proj = p
	}
	if expand != "" {
		if err := recs.CheckExpand(col, expand); err != nil {
			return sh, err
		}
	}
	return sh, nil
}

// checkSince reports whether every event after since is still in the log.
func (h *Hub) checkSince(ctx context.Context, since int64) error {
	if h.cfg.Log == nil {
		return ErrNoLog
	}
	if since < 0 {
		return collections.Errorf(collections.EINVALID, "since must be a seq (0 or more).")
	}
	last, err := h.cfg.Log.Last(ctx)
	if err != nil {
		return err
	}
	if since > last {
		return ErrResync // not this log's seq: the database was restored or replaced
	}
	oldest, err := h.cfg.Log.After(ctx, 0, 1)
	if err != nil {
		return err
	}
	switch {
	case len(oldest) > 0 && oldest[0].Seq > since+1:
		// Events between since and the oldest retained one were pruned
		// (or rolled back: a seq gap cannot tell which, so resync).
		return ErrResync
	case len(oldest) == 0 && last > since:
		// Nothing retained below the horizon, yet seqs were used after since.
		return ErrResync
	}
	return nil
}

// Start lets the replay of resumed subscription id begin.
func (c *Client) Start(id string) {
	c.mu.Lock()
	if s, ok := c.subs[id]; ok {
		s.started = true
	}
	c.mu.Unlock()
	select {
	case c.kick <- struct{}{}:
	default:
	}
	c.wakeUp()
}

// Unsubscribe removes subscription id and reports whether it existed.
func (c *Client) Unsubscribe(id string) bool {
	c.mu.Lock()
	_, ok := c.subs[id]
	delete(c.subs, id)
	c.mu.Unlock()
	if ok {
		select {
		case c.kick <- struct{}{}:
		default:
		}
		c.wakeUp()
	}
	return ok
}

// wants reports whether any subscription of c covers e, and returns the
// wake function to call once e is queued (see SetWake).
func (c *Client) wants(e *Event) (bool, func()) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, s := range c.subs {
		if s.matches(e) {
			return true, c.wake
		}
	}
	return false, nil
}

// Next waits for the next event the client may see and returns one
// Delivery per subscription that covers it. Events the client may not view
// or that fail a subscription's filter are dropped silently. Resumed
// subscriptions are replayed from the log first, a page at a time, while
// live events stay queued; a live event a replay already covered is not
// delivered again.
func (c *Client) Next(ctx context.Context) ([]Delivery, error) {
	return c.next(ctx, true)
}

// TryNext is Next without the wait: it returns nil, nil when the client
// has nothing to deliver now. With SetWake, a transport can call it only
// when woken rather than keep a goroutine waiting in Next.
func (c *Client) TryNext(ctx context.Context) ([]Delivery, error) {
	return c.next(ctx, false)
}

func (c *Client) next(ctx context.Context, block bool) ([]Delivery, error) {
	for {
		select {
		case <-c.done: // before any queued event
			return nil, ErrDisconnected
		default:
		}
		c.mu.Lock()
		var replayID string
		var replay *subscription
		waiting := false
		for id, s := range c.subs {
			if !s.replaying {
				continue
			}
			if !s.started {
				waiting = true
				continue
			}
			if replay == nil || id < replayID {
				replayID, replay = id, s
			}
		}
		c.mu.Unlock()
		if replay != nil {
			ds, err := c.replayPage(ctx, replayID, replay)
			if err != nil {
				return nil, err
			}
			if len(ds) > 0 {
				return ds, nil
			}
			continue
		}
		var e *published
		var ready <-chan struct{}
		switch {
		case waiting:
		case len(c.held) > 0:
			e, c.held = c.held[0], c.held[1:]
		default:
			e = c.queue.pop()
			ready = c.queue.ready
		}
		if e == nil && !block {
			select {
			case <-ctx.Done():
				return nil, ctx.Err()
			case <-c.kick:
				continue
			default:
				return nil, nil
			}
		}
		if e == nil {
			select {
			case <-ctx.Done():
				return nil, ctx.Err()
			case <-c.done:
				return nil, ErrDisconnected
			case <-c.kick:
			case <-ready:
			}
			continue
		}
		c.mu.Lock()
		if c.replayPending() {
			// A resumed subscription arrived while waiting: its replay
			// goes first, this event waits.
			c.mu.Unlock()
			c.held = append(c.held, e)
			continue
		}
		caller := c.caller
		var ids []string
		for id, s := range c.subs {
			if s.matches(&e.Event) && e.Seq > s.after {
				ids = append(ids, id)
			}
		}
		subs := make([]*subscription, len(ids))
		sort.Strings(ids)
		for i, id := range ids {
			subs[i] = c.subs[id]
		}
		c.mu.Unlock()
		if len(ids) == 0 {
			continue
		}
		out, err := c.deliveries(ctx, caller, e, ids, subs)
		if err != nil {
			return nil, err
		}
		if len(out) > 0 {
			c.hub.handedOver(len(out), e.Created)
			return out, nil
		}
	}
}

// replayPending reports whether a subscription still replays; c.mu is held.
func (c *Client) replayPending() bool {
	for _, s := range c.subs {
		if s.replaying {
			return true
		}
	}
	return false
}

// replayPage reads the next page of the log for subscription s (named id)
// and returns what it delivers. A short page ends the replay: the log was
// read up to a horizon at or past the tailer's, so every later event
// reaches the client live.
func (c *Client) replayPage(ctx context.Context, id string, s *subscription) ([]Delivery, error) {
	c.mu.Lock()
	cursor, caller := s.cursor, c.caller
	c.mu.Unlock()
	batch := c.hub.cfg.ReplayBatch
	evs, err := c.hub.cfg.Log.After(ctx, cursor, batch)
	if err != nil {
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		c.hub.cfg.Logger.Error("realtime: replay events", "after", cursor, "err", err)
		if !sleep(ctx, 100*time.Millisecond) {
			return nil, ctx.Err()
		}
		return nil, nil
	}
	var out []Delivery
	for _, e := range evs {
		cursor = e.Seq
		if !s.matches(&e) {
			continue
		}
		ds, err := c.deliveries(ctx, caller, &published{Event: e}, []string{id}, []*subscription{s})
		if err != nil {
			return nil, err
		}
		out = append(out, ds...)
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.subs[id] != s {
		return nil, nil // unsubscribed or replaced meanwhile
	}
	s.cursor, s.after = cursor, cursor
	if len(evs) < batch {
		s.replaying = false
	}
	c.hub.handedOver(len(out), time.Time{}) // replayed: no lag to tell
	return out, nil
}

// deliveries returns a Delivery of e for each of subs (named ids) that
// caller may view and whose filter it passes. Unexpected errors are logged
// and the event dropped; only a cancelled ctx is returned. With enter and
// leave on, an update is judged on both its rows first (transitions).
func (c *Client) deliveries(ctx context.Context, caller collections.Caller, e *published, ids []string, subs []*subscription) ([]Delivery, error) {
	c.mu.Lock()
	enterLeave := c.enterLeave
	c.mu.Unlock()
	if enterLeave && e.Action == "update" && len(e.Old) > 0 && len(e.New) > 0 {
		if out, handled, err := c.transitions(ctx, caller, e, ids, subs); handled {
			return out, err
		}
	}
	var out []Delivery
	for i, s := range subs {
		body, err := c.hub.render(ctx, caller, e, s.shape)
		if err == nil && body != nil && s.expr != nil {
			var ok bool
			ok, err = c.hub.passes(ctx, caller, e, s)
			if !ok {
				body = nil
			}
		}
		if err != nil {
			if ctx.Err() != nil {
				return nil, ctx.Err()
			}
			c.hub.cfg.Logger.Error("realtime: render event", "seq", e.Seq, "sub", ids[i], "err", err)
			continue
		}
		if body != nil {
			out = append(out, Delivery{Sub: ids[i], Action: e.Action, Record: body, Seq: e.Seq})
		}
	}
	return out, nil
}

// filterEnv is what the filters of caller's subscriptions on col through
// sh compile against.
func (h *Hub) filterEnv(caller collections.Caller, col *collections.Collection, sh shape) filter.Env {
	env := filter.Env{
		Root:    col,
		Schema:  h.cfg.Records,
		Now:     time.Now().UTC(),
		CanRead: h.cfg.Records.RecordsAs(caller).ReadableAs(col, sh.action),
		Request: sh.req,
	}
	if caller != nil {
		env.Auth = caller.Auth()
		env.HideEmails = true
	}
	return env
}

// passes reports whether the row of e matches the filter of s. The row is
// judged in memory; a filter that needs the database is checked against
// the record as it is now (a deleted record then does not match).
func (h *Hub) passes(ctx context.Context, caller collections.Caller, e *published, s *subscription) (bool, error) {
	col, ok := h.cfg.Records.Collection(e.CollectionID)
	if !ok {
		return false, nil
	}
	deleted := e.Action == "delete"
	data, err := e.row(col, deleted)
	if err != nil {
		return false, err
	}
	env := h.filterEnv(caller, col, s.shape)
	ok, err = filter.Eval(s.expr, env, data)
	if !errors.Is(err, filter.ErrNeedsDatabase) {
		if collections.ErrorCode(err) == collections.EINVALID {
			// No longer valid for the caller (e.g. after a new auth).
			return false, nil
		}
		return ok, err
	}
	if deleted {
		return false, nil
	}
	v, err := e.once("filter\x00"+s.shape.action+"\x00"+s.filter+"\x00"+authKey(caller)+"\x00"+s.shape.requestKey(), func() (view, error) {
		ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), renderTimeout)
		defer cancel()
		// As a list's filter: relation paths reach only what the caller
		// may view.
		ids, err := h.cfg.Records.RecordsAs(caller).WithRequest(s.shape.req).Passing(ctx, col, s.shape.action, []string{e.RecordID}, s.filter, env.Now)
		return view{visible: len(ids) == 1}, err
	})
	return v.visible, err
}
