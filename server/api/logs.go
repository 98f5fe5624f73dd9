package api

import (
	"cmp"
	"encoding/json"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/lumbunghq/lumbung/collections"
	"github.com/lumbunghq/lumbung/collections/filter"
	"github.com/lumbunghq/lumbung/server/settings"
)

// DefaultRequestLogSize is how many requests a node keeps for the logs
// screen.
const DefaultRequestLogSize = 10000

// LogEntry is one request as the logs endpoints show it.
type LogEntry struct {
	ID       string // the request id
	Created  time.Time
	Method   string
	URL      string
	Status   int
	ExecTime float64 // milliseconds
	// Auth is the collection of the signed-in record, "" for guests.
	Auth string
	// AuthID is the id of the signed-in record when the logs settings keep
	// it (logAuthId), else "".
	AuthID string
	// IP is the client's address when the logs settings keep it (logIP),
	// else "".
	IP string
}

// slogLevel is the entry's level as PocketBase gives a request (slog's
// scale, the logs settings' minLevel): error (8) when it failed, 4xx
// included, else info (0).
func (e *LogEntry) slogLevel() slog.Level {
	if e.Status >= 400 {
		return slog.LevelError
	}
	return slog.LevelInfo
}

// logFields are the fields of a log entry that filters and sorts name.
var logFields = []struct{ name, typ string }{
	{"method", "text"}, {"url", "text"}, {"status", "number"}, {"execTime", "number"},
	{"auth", "text"}, {"authId", "text"}, {"ip", "text"}, {"level", "number"}, {"created", "date"},
}

// value returns field name of the entry as the filter language sees it.
func (e *LogEntry) value(name string) any {
	switch name {
	case "method":
		return e.Method
	case "url":
		return e.URL
	case "status":
		return float64(e.Status)
	case "execTime":
		return e.ExecTime
	case "auth":
		return e.Auth
	case "authId":
		return e.AuthID
	case "ip":
		return e.IP
	case "level":
		return float64(e.slogLevel())
	case "created":
		return e.Created
	}
	return nil
}

// data is the entry as a record for the filter language.
func (e *LogEntry) data() map[string]any {
	m := make(map[string]any, len(logFields))
	for _, f := range logFields {
		m[f.name] = e.value(f.name)
	}
	return m
}

// RequestLog keeps the latest requests of one node in memory for the
// dashboard's logs screen: a ring of fixed size, so it costs the same
// whatever the traffic. Each node shows its own requests. The logs
// settings decide what it keeps: entries they no longer keep (too old, or
// below the minimum level) are dropped, as PocketBase deletes them, and
// do not come back when the settings change again.
type RequestLog struct {
	mu      sync.Mutex
	entries []LogEntry // ID "" for a free or dropped slot
	next    int        // where the next entry goes
	full    bool
	applied settings.Logs           // the settings the entries were last pruned with
	schema  *collections.Collection // the fields filters may name
}

// NewRequestLog returns a RequestLog keeping the last size requests.
func NewRequestLog(size int) *RequestLog {
	if size <= 0 {
		size = DefaultRequestLogSize
	}
	schema := &collections.Collection{Name: "logs"}
	for _, f := range logFields {
		field, err := collections.NewField(f.name, f.typ)
		if err != nil {
			panic(err) // the names and types above are valid
		}
		schema.Fields = append(schema.Fields, field)
	}
	return &RequestLog{entries: make([]LogEntry, size), schema: schema}
}

// Add records a request, replacing the oldest when the log is full, if
// cfg keeps it at now (see settings.Logs.Keeps); the caller has left out
// what cfg does not keep (IP, AuthID). When cfg differs from the settings
// of the last call, the entries they no longer keep are dropped first.
func (l *RequestLog) Add(e LogEntry, cfg settings.Logs, now time.Time) {
	l.mu.Lock()
	if cfg != l.applied {
		l.prune(cfg, now)
	}
	if !cfg.Keeps(e.slogLevel(), e.Created, now) {
		l.mu.Unlock()
		return
	}
	l.entries[l.next] = e
	l.next++
	if l.next == len(l.entries) {
		l.next, l.full = 0, true
	}
	l.mu.Unlock()
}

// prune drops the entries cfg does not keep at now. l.mu is held.
func (l *RequestLog) prune(cfg settings.Logs, now time.Time) {
	l.applied = cfg
	for i := range l.entries {
		if e := &l.entries[i]; e.ID != "" && !cfg.Keeps(e.slogLevel(), e.Created, now) {
			*e = LogEntry{}
		}
	}
}

// entry returns the entry with request id id, if the log still holds it
// under cfg at now. Ids are random per request, so at most one entry has
// a given id.
func (l *RequestLog) entry(id string, cfg settings.Logs, now time.Time) (LogEntry, bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if id == "" {
		return LogEntry{}, false
	}
	l.prune(cfg, now)
	for i := range l.entries {
		if l.entries[i].ID == id {
			return l.entries[i], true
		}
	}
	return LogEntry{}, false
}

// matching returns the entries kept under cfg at now that pass filter
// src, oldest first.
func (l *RequestLog) matching(src string, cfg settings.Logs, now time.Time) ([]LogEntry, error) {
	var expr filter.Expr
	if strings.TrimSpace(src) != "" {
		var err error
		if expr, err = filter.Parse(src); err != nil {
			return nil, err
		}
	}
	l.mu.Lock()
	l.prune(cfg, now)
	all := make([]LogEntry, 0, len(l.entries))
	keep := func(entries []LogEntry) {
		for _, e := range entries {
			if e.ID != "" {
				all = append(all, e)
			}
		}
	}
	if l.full {
		keep(l.entries[l.next:])
	}
	keep(l.entries[:l.next])
	l.mu.Unlock()
	if expr == nil {
		return all, nil
	}
	env := filter.Env{Root: l.schema, Now: now.UTC()}
	out := all[:0]
	for _, e := range all {
		ok, err := filter.Eval(expr, env, e.data())
		if err != nil {
			return nil, err
		}
		if ok {
			out = append(out, e)
		}
	}
	return out, nil
}

// sortEntries orders entries by src: comma separated field names of the
// log, "-" for descending. The default is newest first.
func (l *RequestLog) sortEntries(entries []LogEntry, src string) error {
	if strings.TrimSpace(src) == "" {
		src = "-created"
	}
	type key struct {
		name string
		desc bool
	}
	var keys []key
	for _, part := range strings.Split(src, ",") {
		part = strings.TrimSpace(part)
		k := key{name: strings.TrimLeft(part, "+-"), desc: strings.HasPrefix(part, "-")}
		if _, ok := l.schema.Field(k.name); !ok {
			return collections.Errorf(collections.EINVALID, "Cannot sort by %q: the log has no such field.", k.name)
		}
		keys = append(keys, k)
	}
	slices.SortStableFunc(entries, func(a, b LogEntry) int {
		for _, k := range keys {
			var c int
			switch x := a.value(k.name).(type) {
			case string:
				c = cmp.Compare(x, b.value(k.name).(string))
			case float64:
				c = cmp.Compare(x, b.value(k.name).(float64))
			case time.Time:
				c = x.Compare(b.value(k.name).(time.Time))
			}
			if k.desc {
				c = -c
			}
			if c != 0 {
				return c
			}
		}
		return 0
	})
	return nil
}

func (h *handlers) logRoutes() []Route {
	return []Route{
		{"GET", "/logs", Superusers, h.listLogs, "List the recent requests."},
		{"GET", "/logs/stats", Superusers, h.logStats, "Count the recent requests by time."},
		{"GET", "/logs/:id", Superusers, h.viewLog, "Return one logged request."},
	}
}

// logJSON is a log entry in PocketBase's shape.
type logJSON struct {
	ID      string         `json:"id"`
	Created string         `json:"created"`
	Level   int            `json:"level"`
	Message string         `json:"message"`
	Data    map[string]any `json:"data"`
}

// toJSON is the entry in PocketBase's shape.
// As in PocketBase, data holds authId and ip only when the logs settings
// kept them.
func (e *LogEntry) toJSON() logJSON {
	j := logJSON{
		ID: e.ID, Created: e.Created.UTC().Format(collections.DateLayout), Level: int(e.slogLevel()),
		Message: e.Method + " " + e.URL,
		Data: map[string]any{"method": e.Method, "url": e.URL, "status": e.Status, "execTime": e.ExecTime,
			"auth": e.Auth, "requestId": e.ID},
	}
	if e.AuthID != "" {
		j.Data["authId"] = e.AuthID
	}
	if e.IP != "" {
		j.Data["ip"] = e.IP
	}
	return j
}

// logsSettings are the logs settings in force on this node: each node
// reads the shared settings (and hears of their changes) itself.
func (h *handlers) logsSettings(c *fiber.Ctx) settings.Logs {
	return h.Settings.Cached(c.UserContext()).Logs
}

func (h *handlers) listLogs(c *fiber.Ctx) error {
	q, err := pageQuery(c)
	if err != nil {
		return err
	}
	cfg, now := h.logsSettings(c), h.Now()
	entries, err := h.RequestLog.matching(c.Query("filter"), cfg, now)
	if err != nil {
		return err
	}
	if err := h.RequestLog.sortEntries(entries, c.Query("sort")); err != nil {
		return err
	}
	total := len(entries)
	from := min((q.Page-1)*q.PerPage, total)
	items := make([]logJSON, 0, q.PerPage)
	for _, e := range entries[from:min(from+q.PerPage, total)] {
		items = append(items, e.toJSON())
	}
	return c.JSON(fiber.Map{"page": q.Page, "perPage": q.PerPage, "totalItems": total,
		"totalPages": (total + q.PerPage - 1) / q.PerPage, "items": items})
}

// viewLog answers one entry of the log by its id; 404 once it has left
// the log, as PocketBase answers a log it no longer keeps.
func (h *handlers) viewLog(c *fiber.Ctx) error {
	cfg, now := h.logsSettings(c), h.Now()
	e, ok := h.RequestLog.entry(c.Params("id"), cfg, now)
	if !ok {
		return collections.Errorf(collections.ENOTFOUND, "The requested resource wasn't found.")
	}
	return c.JSON(e.toJSON())
}

// logStats answers the requests per minute of the entries that pass the
// filter, oldest first, minutes without requests left out.
func (h *handlers) logStats(c *fiber.Ctx) error {
	cfg, now := h.logsSettings(c), h.Now()
	entries, err := h.RequestLog.matching(c.Query("filter"), cfg, now)
	if err != nil {
		return err
	}
	type bucket struct {
		Date  string `json:"date"`
		Total int    `json:"total"`
	}
	counts := map[time.Time]int{}
	for _, e := range entries {
		counts[e.Created.UTC().Truncate(time.Minute)]++
	}
	minutes := make([]time.Time, 0, len(counts))
	for m := range counts {
		minutes = append(minutes, m)
	}
	slices.SortFunc(minutes, time.Time.Compare)
	out := make([]bucket, 0, len(minutes))
	for _, m := range minutes {
		out = append(out, bucket{Date: m.Format(collections.DateLayout), Total: counts[m]})
	}
	b, err := json.Marshal(out)
	if err != nil {
		return err
	}
	c.Set(fiber.HeaderContentType, fiber.MIMEApplicationJSON)
	return c.Send(b)
}
