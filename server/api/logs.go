package api

import (
	"encoding/json"

	"github.com/gofiber/fiber/v2"

	"github.com/lumbunghq/lumbung/collections"
	"github.com/lumbunghq/lumbung/server/settings"
)

func (h *handlers) logRoutes() []Route {
	return []Route{
		{"GET", "/logs", Superusers, h.listLogs, "List the logged requests of every node."},
		{"GET", "/logs/stats", Superusers, h.logStats, "Count the logged requests by time."},
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

// logToJSON is the entry in PocketBase's shape.
// As in PocketBase, data holds authId and ip only when the logs settings
// kept them.
func logToJSON(e *collections.LogEntry) logJSON {
	j := logJSON{
		ID: e.ID, Created: e.Created.UTC().Format(collections.DateLayout), Level: int(e.Level()),
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

// logQuery writes this node's waiting entries (and applies the settings
// in force) and returns the query of the request's filter under them.
func (h *handlers) logQuery(c *fiber.Ctx) (collections.LogQuery, error) {
	cfg, now := h.logsSettings(c), h.Now()
	if err := h.RequestLog.sync(c.UserContext(), cfg, now); err != nil {
		return collections.LogQuery{}, err
	}
	return collections.LogQuery{Keep: retention(cfg, now), Filter: c.Query("filter"), Now: now}, nil
}

func (h *handlers) listLogs(c *fiber.Ctx) error {
	p, err := pageQuery(c)
	if err != nil {
		return err
	}
	q, err := h.logQuery(c)
	if err != nil {
		return err
	}
	q.Sort, q.Offset, q.Limit = c.Query("sort"), (p.Page-1)*p.PerPage, p.PerPage
	entries, total, err := h.RequestLog.cfg.Store.Logs(c.UserContext(), q)
	if err != nil {
		return err
	}
	items := make([]logJSON, 0, len(entries))
	for i := range entries {
		items = append(items, logToJSON(&entries[i]))
	}
	return c.JSON(fiber.Map{"page": p.Page, "perPage": p.PerPage, "totalItems": total,
		"totalPages": (total + p.PerPage - 1) / p.PerPage, "items": items})
}

// viewLog answers one entry of the log by its id; 404 once it has left
// the log, as PocketBase answers a log it no longer keeps.
func (h *handlers) viewLog(c *fiber.Ctx) error {
	q, err := h.logQuery(c)
	if err != nil {
		return err
	}
	e, err := h.RequestLog.cfg.Store.Log(c.UserContext(), c.Params("id"), q.Keep)
	if err != nil {
		return err
	}
	return c.JSON(logToJSON(&e))
}

// logStats answers the requests per minute of the entries that pass the
// filter, oldest first, minutes without requests left out.
func (h *handlers) logStats(c *fiber.Ctx) error {
	q, err := h.logQuery(c)
	if err != nil {
		return err
	}
	counts, err := h.RequestLog.cfg.Store.LogStats(c.UserContext(), q)
	if err != nil {
		return err
	}
	type bucket struct {
		Date  string `json:"date"`
		Total int    `json:"total"`
	}
	out := make([]bucket, 0, len(counts))
	for _, n := range counts {
		out = append(out, bucket{Date: n.Minute.UTC().Format(collections.DateLayout), Total: n.Total})
	}
	b, err := json.Marshal(out)
	if err != nil {
		return err
	}
	c.Set(fiber.HeaderContentType, fiber.MIMEApplicationJSON)
	return c.Send(b)
}
