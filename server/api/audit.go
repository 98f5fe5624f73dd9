package api

import (
	"strconv"

	"github.com/gofiber/fiber/v2"

	"github.com/lumbunghq/lumbung/collections"
)

func (h *handlers) auditRoutes() []Route {
	return []Route{
		{"GET", "/audit", Superusers, h.listAudit, "List the audit log: who changed which record, when, from where and how."},
		{"GET", "/audit/:id", Superusers, h.viewAudit, "Return one entry of the audit log."},
		{"GET", "/collections/:collection/records/:id/history", Superusers, h.recordHistory,
			"List a record's versions from the audit log, newest first. Restore one by updating the record with its data."},
	}
}

// auditJSON is an audit entry as the API answers it.
type auditJSON struct {
	ID             string                             `json:"id"`
	Created        string                             `json:"created"`
	Actor          string                             `json:"actor"`
	RequestID      string                             `json:"requestId"`
	IP             string                             `json:"ip"`
	CollectionID   string                             `json:"collectionId"`
	CollectionName string                             `json:"collectionName"`
	RecordID       string                             `json:"recordId"`
	Action         string                             `json:"action"`
	Diff           map[string]collections.AuditChange `json:"diff"`
	Data           any                                `json:"data"`
}

func auditToJSON(e *collections.AuditEntry) auditJSON {
	return auditJSON{ID: strconv.FormatInt(e.ID, 10), Created: e.Created.UTC().Format(collections.DateLayout),
		Actor: e.Actor, RequestID: e.RequestID, IP: e.IP, CollectionID: e.CollectionID, CollectionName: e.CollectionName,
		RecordID: e.RecordID, Action: e.Action, Diff: e.Diff, Data: e.Data}
}

// auditStore is the audit log, or a 404 when the server keeps none.
func (h *handlers) auditStore() (collections.AuditStore, error) {
	if h.Audit == nil {
		return nil, collections.Errorf(collections.ENOTFOUND, "The requested resource wasn't found.")
	}
	return h.Audit, nil
}

// auditQuery is the query of the request's filter and sort, within the
// audit settings' retention.
func (h *handlers) auditQuery(c *fiber.Ctx) collections.AuditQuery {
	now := h.Now()
	return collections.AuditQuery{After: h.Settings.Cached(c.UserContext()).Audit.After(now), Now: now,
		Filter: c.Query("filter"), Sort: c.Query("sort")}
}

// auditPage answers one page of the entries q selects, in the shape of a
// records list.
func (h *handlers) auditPage(c *fiber.Ctx, q collections.AuditQuery) error {
	store, err := h.auditStore()
	if err != nil {
		return err
	}
	p, err := pageQuery(c)
	if err != nil {
		return err
	}
	q.Offset, q.Limit = (p.Page-1)*p.PerPage, p.PerPage
	entries, total, err := store.Audit(c.UserContext(), q)
	if err != nil {
		return err
	}
	items := make([]auditJSON, 0, len(entries))
	for i := range entries {
		items = append(items, auditToJSON(&entries[i]))
	}
	return c.JSON(fiber.Map{"page": p.Page, "perPage": p.PerPage, "totalItems": total,
		"totalPages": (total + p.PerPage - 1) / p.PerPage, "items": items})
}

func (h *handlers) listAudit(c *fiber.Ctx) error {
	return h.auditPage(c, h.auditQuery(c))
}

// viewAudit answers one entry by its id; 404 once the retention dropped it.
func (h *handlers) viewAudit(c *fiber.Ctx) error {
	store, err := h.auditStore()
	if err != nil {
		return err
	}
	id, err := strconv.ParseInt(c.Params("id"), 10, 64)
	if err != nil {
		return collections.Errorf(collections.ENOTFOUND, "The requested resource wasn't found.")
	}
	e, err := store.AuditEntry(c.UserContext(), id, h.Settings.Cached(c.UserContext()).Audit.After(h.Now()))
	if err != nil {
		return err
	}
	return c.JSON(auditToJSON(&e))
}

// recordHistory answers the versions of one record the audit keeps, newest
// first (the filter and sort apply too). The record may be gone: its
// history stays until the retention drops it.
func (h *handlers) recordHistory(c *fiber.Ctx) error {
	col, err := h.Collections.MustCollection(c.Params("collection"))
	if err != nil {
		return err
	}
	q := h.auditQuery(c)
	q.CollectionID, q.RecordID = col.ID, c.Params("id")
	return h.auditPage(c, q)
}
