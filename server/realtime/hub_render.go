package realtime

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/lumbunghq/lumbung/collections"
	"github.com/lumbunghq/lumbung/collections/filter"
)

// renderTimeout bounds the database work of rendering one event for one
// class of subscribers.
const renderTimeout = 10 * time.Second

// published is an event on its way to this node's clients. What is worked
// out for one client — the decoded rows, the record as one class of
// callers sees it — is kept for the others, so an event is decoded once and
// rendered once per class of subscribers rather than once per subscriber.
type published struct {
	Event

	rowOnce [2]sync.Once // new, old
	rows    [2]map[string]any
	rowErr  [2]error

	mu   sync.Mutex
	memo map[string]*memoEntry
}

type memoEntry struct {
	once sync.Once
	v    view
	err  error
}

// view is one row of an event as one class of callers sees it.
type view struct {
	visible bool   // the class may view the row
	needsDB bool   // the view access can only be decided in the database
	body    []byte // the record's JSON, projected and expanded, when visible
}

// once returns the result of fn for key, running it only for the first
// client that asks.
func (p *published) once(key string, fn func() (view, error)) (view, error) {
	p.mu.Lock()
	if p.memo == nil {
		p.memo = map[string]*memoEntry{}
	}
	e, ok := p.memo[key]
	if !ok {
		e = &memoEntry{}
		p.memo[key] = e
	}
	p.mu.Unlock()
	e.once.Do(func() { e.v, e.err = fn() })
	return e.v, e.err
}

// row returns the new (or old) row of the event decoded into canonical
// values. The map is shared by every client: read it, never write it.
func (p *published) row(c *collections.Collection, old bool) (map[string]any, error) {
	i, raw := 0, p.New
	if old {
		i, raw = 1, p.Old
	}
	p.rowOnce[i].Do(func() { p.rows[i], p.rowErr[i] = collections.DecodeRow(c, raw) })
	return p.rows[i], p.rowErr[i]
}

// shape is how a subscription wants its records: PocketBase's fields and
// expand parameters, under which access (list for "<collection>/*", view
// for a single record, as PocketBase's listRule and viewRule) and with
// which request values (the subscription's query and headers) rules read.
type shape struct {
	fields string
	proj   *collections.Projection
	expand string
	action string
	req    *collections.RequestInfo
}

// requestKey names the query and headers of a subscription, for classes
// of callers whose conditions read them.
func (sh shape) requestKey() string {
	if sh.req == nil {
		return ""
	}
	var parts []string
	for k, v := range sh.req.Query {
		parts = append(parts, "q\x00"+k+"\x00"+v)
	}
	for k, v := range sh.req.Headers {
		parts = append(parts, "h\x00"+k+"\x00"+v)
	}
	sort.Strings(parts)
	return strings.Join(parts, "\x01")
}

// classOf names the callers that see col's records alike through sh: the
// same view access and, when what they see depends on who asks (auth
// records, conditions on @request or other collections, expanded
// relations), the same auth record.
func classOf(caller collections.Caller, col *collections.Collection, acc collections.Access, sh shape) string {
	var b strings.Builder
	b.WriteString(sh.action)
	b.WriteByte(0)
	b.WriteString(sh.fields)
	b.WriteByte(0)
	b.WriteString(sh.expand)
	b.WriteByte(0)
	if collections.IsUnrestricted(caller) {
		b.WriteString("superuser")
		return b.String()
	}
	personal := col.Type == collections.TypeAuth || sh.expand != ""
	perRequest := false
	for _, c := range acc.Conditions {
		b.WriteString(c)
		b.WriteByte(0)
		if strings.Contains(c, "@request") || strings.Contains(c, "@collection") {
			personal = true
		}
		if strings.Contains(c, "@request.query") || strings.Contains(c, "@request.headers") {
			perRequest = true
		}
	}
	if perRequest {
		b.WriteString(sh.requestKey())
		b.WriteByte(0)
	}
	if acc.Fields == nil {
		b.WriteString("\x01all")
	}
	for _, f := range acc.Fields {
		b.WriteByte(1)
		b.WriteString(f)
	}
	if personal {
		b.WriteByte(0)
		b.WriteString(authKey(caller))
	}
	return b.String()
}

// authKey names the auth record of caller ("" for guests).
func authKey(caller collections.Caller) string {
	if collections.IsUnrestricted(caller) {
		return "superuser"
	}
	if caller == nil {
		return ""
	}
	auth := caller.Auth()
	if auth == nil {
		return ""
	}
	return fmt.Sprint(auth["collectionId"], ":", auth["id"])
}

// access returns the access of caller to col for action (nothing for a
// missing caller).
func access(caller collections.Caller, col *collections.Collection, action string) collections.Access {
	if caller == nil {
		return collections.Access{}
	}
	return caller.Access(col, action)
}

// realtimeRequest is the request rules read for a subscription's events,
// as PocketBase builds it: context realtime, method GET, the
// subscription's query and headers.
func realtimeRequest(query, headers map[string]string) *collections.RequestInfo {
	return &collections.RequestInfo{Context: collections.ContextRealtime, Method: "GET", Query: query, Headers: headers}
}

// side returns the new row of p (the old one when old is set) as caller
// sees it through sh, judged in memory.
func (h *Hub) side(ctx context.Context, caller collections.Caller, p *published, col *collections.Collection, old bool, sh shape) (view, error) {
	acc := access(caller, col, sh.action)
	if !acc.Allowed {
		return view{}, nil
	}
	key := "new\x00"
	if old {
		key = "old\x00"
	}
	return p.once(key+classOf(caller, col, acc, sh), func() (view, error) {
		data, err := p.row(col, old)
		if err != nil {
			return view{}, err
		}
		rec := collections.NewRecord(col)
		rec.Data = data
		ok, needsDB, err := h.mayView(caller, acc, col, rec, sh.req)
		if err != nil || !ok {
			return view{needsDB: needsDB}, err
		}
		body, err := h.appendRecord(ctx, caller, col, rec, sh)
		return view{visible: body != nil, body: body}, err
	})
}

// render returns the record of p as caller sees it through sh, or nil when
// caller may not see it (its list access for a "*" subscription, its view
// access for one record's). The row of the event (the old one for
// deletes) is judged in memory; when a condition needs the database, a
// created or updated record is loaded through the records service instead
// (the same decision and projection as a REST list or view, of the record
// as it is now), and a deleted one is skipped.
func (h *Hub) render(ctx context.Context, caller collections.Caller, p *published, sh shape) ([]byte, error) {
	col, ok := h.cfg.Records.Collection(p.CollectionID)
	if !ok {
		return nil, nil
	}
	deleted := p.Action == "delete"
	v, err := h.side(ctx, caller, p, col, deleted, sh)
	if err != nil || !v.needsDB || deleted {
		return v.body, err
	}
	acc := access(caller, col, sh.action)
	v, err = p.once("now\x00"+classOf(caller, col, acc, sh), func() (view, error) {
		ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), renderTimeout)
		defer cancel()
		rec, err := h.cfg.Records.RecordsAs(caller).WithRequest(sh.req).Find(ctx, col, p.RecordID, sh.action)
		switch {
		case err == nil: // (ErrorCode of nil is EINTERNAL)
		case collections.ErrorCode(err) == collections.ENOTFOUND, collections.ErrorCode(err) == collections.EFORBIDDEN:
			return view{}, nil
		default:
			return view{}, err
		}
		body, err := h.appendRecord(ctx, caller, col, rec, sh)
		return view{visible: true, body: body}, err
	})
	return v.body, err
}

// appendRecord expands rec as sh asks and renders it as JSON.
func (h *Hub) appendRecord(ctx context.Context, caller collections.Caller, col *collections.Collection, rec *collections.Record, sh shape) ([]byte, error) {
	if sh.expand != "" {
		ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), renderTimeout)
		defer cancel()
		if err := h.cfg.Records.RecordsAs(caller).WithRequest(sh.req).Expand(ctx, col, []*collections.Record{rec}, sh.expand); err != nil {
			return nil, err
		}
	}
	// Rendered once for every subscriber of the same class (same access
	// and shape): enrich hooks see one caller of the class.
	if err := h.cfg.Records.Enrich(ctx, caller, rec); err != nil {
		return nil, err
	}
	return rec.AppendJSON(nil, sh.proj, collections.IsUnrestricted(caller))
}

// mayView decides in memory whether caller, with access acc, may see rec,
// and restricts rec to the fields caller may read as the records service
// does. needsDB is set when no condition held and one could not be
// evaluated in memory (a relation path: the database answers it). The
// conditions read req as @request.
func (h *Hub) mayView(caller collections.Caller, acc collections.Access, c *collections.Collection, rec *collections.Record, req *collections.RequestInfo) (ok, needsDB bool, err error) {
	if collections.IsUnrestricted(caller) {
		return true, false, nil
	}
	auth := caller.Auth()
	if len(acc.Conditions) > 0 {
		// With the schema, a path through a relation is known for what it
		// is (needs the database), not an unknown collection.
		env := filter.Env{Root: c, Schema: h.cfg.Records, Auth: auth, Request: req, Now: time.Now().UTC()}
		matched := false
		for _, cond := range acc.Conditions {
			expr, err := h.condition(cond)
			if err != nil {
				return false, false, err
			}
			ok, err := filter.Eval(expr, env, rec.Data)
			if errors.Is(err, filter.ErrNeedsDatabase) {
				needsDB = true
				continue
			}
			if err != nil {
				return false, false, err
			}
			if ok {
				matched = true
				break
			}
		}
		if !matched {
			return false, needsDB, nil
		}
	}
	rec.Restrict(acc.Fields)
	if c.Type == collections.TypeAuth && !ownEmail(auth, c, rec) {
		rec.Restrict(withoutField(c, acc.Fields, "email"))
	}
	return true, false, nil
}

// condition returns the parsed access condition src. Conditions come from
// policies, a small set, so every one parsed is kept.
func (h *Hub) condition(src string) (filter.Expr, error) {
	if e, ok := h.conditions.Load(src); ok {
		return e.(filter.Expr), nil
	}
	e, err := filter.Parse(src)
	if err != nil {
		return nil, err
	}
	h.conditions.Store(src, e)
	return e, nil
}

// ownEmail reports whether the email of auth record rec may be shown:
// its owner asks or emailVisibility is set.
func ownEmail(auth map[string]any, c *collections.Collection, rec *collections.Record) bool {
	if visible, _ := rec.Data["emailVisibility"].(bool); visible {
		return true
	}
	return auth != nil && auth["collectionId"] == c.ID && auth["id"] == rec.ID()
}

// withoutField returns fields (nil: all of c) less name.
func withoutField(c *collections.Collection, fields []string, name string) []string {
	if fields == nil {
		for _, f := range c.Fields {
			fields = append(fields, f.Name)
		}
	}
	out := make([]string, 0, len(fields))
	for _, f := range fields {
		if f != name {
			out = append(out, f)
		}
	}
	return out
}
