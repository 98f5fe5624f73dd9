package api

import (
	"cmp"
	"encoding/json"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/lumbunghq/lumbung/collections"
	"github.com/lumbunghq/lumbung/collections/filter"
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
	Auth     string  // "<collection>:<id>", "" for guests
	IP       string
}

// level names the class of a response status.
func (e *LogEntry) level() string {
	switch {
	case e.Status >= 500:
		return "error"
	case e.Status >= 400:
		return "warn"
	}
	return "info"
}

// logFields are the fields of a log entry that filters and sorts name.
var logFields = []struct{ name, typ string }{
	{"method", "text"}, {"url", "text"}, {"status", "number"}, {"execTime", "number"},
	{"auth", "text"}, {"ip", "text"}, {"level", "text"}, {"created", "date"},
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
	case "ip":
		return e.IP
	case "level":
		return e.level()
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
// whatever the traffic. Each node shows its own requests.
type RequestLog struct {
	mu      sync.Mutex
	entries []LogEntry
	next    int // where the next entry goes
	full    bool
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

// Add records a request, replacing the oldest when the log is full.
func (l *RequestLog) Add(e LogEntry) {
	l.mu.Lock()
	l.entries[l.next] = e
	l.next++
	if l.next == len(l.entries) {
		l.next, l.full = 0, true
	}
	l.mu.Unlock()
}

// entry returns the entry with request id id, if the log still holds it.
// Ids are random per request, so at most one entry has a given id.
func (l *RequestLog) entry(id string) (LogEntry, bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if id == "" {
		return LogEntry{}, false
	}
	for i := range l.entries {
		if l.entries[i].ID == id {
			return l.entries[i], true
		}
	}
	return LogEntry{}, false
}

// matching returns the entries that pass filter src, oldest first.
func (l *RequestLog) matching(src string) ([]LogEntry, error) {
	var expr filter.Expr
	if strings.TrimSpace(src) != "" {
		var err error
		if expr, err = filter.Parse(src); err != nil {
			return nil, err
		}
	}
	l.mu.Lock()
	all := make([]LogEntry, 0, len(l.entries))
	if l.full {
		all = append(all, l.entries[l.next:]...)
	}
	all = append(all, l.entries[:l.next]...)
	l.mu.Unlock()
	if expr == nil {
		return all, nil
	}
	env := filter.Env{Root: l.schema, Now: time.Now().UTC()}
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
	Level   string         `json:"level"`
	Message string         `json:"message"`
	Data    map[string]any `json:"data"`
}

// toJSON is the entry in PocketBase's shape.
func (e *LogEntry) toJSON() logJSON {
	return logJSON{
		ID: e.ID, Created: e.Created.UTC().Format(collections.DateLayout), Level: e.level(),
		Message: e.Method + " " + e.URL,
		Data: map[string]any{"method": e.Method, "url": e.URL, "status": e.Status, "execTime": e.ExecTime,
			"auth": e.Auth, "ip": e.IP, "requestId": e.ID},
	}
}

func (h *handlers) listLogs(c *fiber.Ctx) error {
	q, err := pageQuery(c)
	if err != nil {
		return err
	}
	entries, err := h.RequestLog.matching(c.Query("filter"))
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
	e, ok := h.RequestLog.entry(c.Params("id"))
	if !ok {
		return collections.Errorf(collections.ENOTFOUND, "The requested resource wasn't found.")
	}
	return c.JSON(e.toJSON())
}

// logStats answers the requests per minute of the entries that pass the
// filter, oldest first, minutes without requests left out.
func (h *handlers) logStats(c *fiber.Ctx) error {
	entries, err := h.RequestLog.matching(c.Query("filter"))
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
