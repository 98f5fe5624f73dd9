package webhooks

import (
	"context"
	"encoding/json"
	"net/netip"
	"strconv"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/lumbunghq/lumbung/collections"
	"github.com/lumbunghq/lumbung/plugins"
	wpg "github.com/lumbunghq/lumbung/plugins/webhooks/postgres"
	"github.com/lumbunghq/lumbung/server/api"
)

// handlers serve the webhooks API to superusers.
type handlers struct {
	store   *wpg.Store
	host    plugins.Host
	deliver *deliverer
	allow   []netip.Prefix
}

func (h *handlers) routes() []api.Route {
	return []api.Route{
		{Method: "GET", Path: "/webhooks", Access: api.Superusers, Handler: h.list, Summary: "List the webhooks."},
		{Method: "POST", Path: "/webhooks", Access: api.Superusers, Handler: h.create, Summary: "Create a webhook."},
		{Method: "GET", Path: "/webhooks/:id", Access: api.Superusers, Handler: h.view, Summary: "View a webhook."},
		{Method: "PATCH", Path: "/webhooks/:id", Access: api.Superusers, Handler: h.update, Summary: "Change a webhook."},
		{Method: "DELETE", Path: "/webhooks/:id", Access: api.Superusers, Handler: h.delete, Summary: "Delete a webhook and its delivery log."},
		{Method: "GET", Path: "/webhooks/:id/deliveries", Access: api.Superusers, Handler: h.deliveries,
			Summary: "List a webhook's deliveries, newest first."},
		{Method: "POST", Path: "/webhooks/:id/test", Access: api.Superusers, Handler: h.test,
			Summary: "Send a test event to a webhook and answer the outcome."},
	}
}

// webhookJSON is a webhook as the API writes it. The secret is never
// sent back: secretSet says there is one.
type webhookJSON struct {
	ID             string   `json:"id"`
	Name           string   `json:"name"`
	Collection     string   `json:"collection"` // a name; "" for every collection
	CollectionID   string   `json:"collectionId"`
	Events         []string `json:"events"`
	URL            string   `json:"url"`
	SecretSet      bool     `json:"secretSet"`
	Filter         string   `json:"filter"`
	Enabled        bool     `json:"enabled"`
	DisabledReason string   `json:"disabledReason"`
	// Failures counts the failed attempts since the last success;
	// RetryAt is when the next attempt is due ("" when none waits).
	Failures  int    `json:"failures"`
	RetryAt   string `json:"retryAt"`
	LastError string `json:"lastError"`
	// Position is the seq of the last change handled (null while
	// disabled). Lagging names when the change log lost changes the
	// webhook had not delivered (they waited longer than the hold limit).
	Position *int64 `json:"position"`
	Lagging  string `json:"lagging"`
	Created  string `json:"created"`
	Updated  string `json:"updated"`
}

func date(t time.Time) string { return t.UTC().Format(collections.DateLayout) }

func (h *handlers) render(w *wpg.Webhook) webhookJSON {
	out := webhookJSON{ID: w.ID, Name: w.Name, CollectionID: w.Collection, Events: w.Events, URL: w.URL,
		SecretSet: w.Secret != "", Filter: w.Filter, Enabled: w.Enabled, DisabledReason: w.DisabledReason,
		Failures: w.Failures, LastError: w.LastError, Position: w.Cursor, Created: date(w.Created), Updated: date(w.Updated)}
	if c, ok := h.host.Collection(w.Collection); ok && w.Collection != "" {
		out.Collection = c.Name
	}
	if w.RetryAt != nil && w.Enabled {
		out.RetryAt = date(*w.RetryAt)
	}
	if w.Lagged != nil && w.LaggedSeq != nil {
		out.Lagging = "Changes up to seq " + strconv.FormatInt(*w.LaggedSeq, 10) + " were pruned from the change log before they were delivered (" + date(*w.Lagged) + ")."
	}
	if out.Events == nil {
		out.Events = []string{}
	}
	return out
}

func (h *handlers) list(c *fiber.Ctx) error {
	list, err := h.store.List(c.UserContext())
	if err != nil {
		return err
	}
	items := make([]webhookJSON, 0, len(list))
	for _, w := range list {
		items = append(items, h.render(w))
	}
	return c.JSON(fiber.Map{"items": items})
}

func (h *handlers) view(c *fiber.Ctx) error {
	w, err := h.store.Get(c.UserContext(), c.Params("id"))
	if err != nil {
		return err
	}
	return c.JSON(h.render(w))
}

func (h *handlers) create(c *fiber.Ctx) error {
	in, err := decodeInput(c.Body())
	if err != nil {
		return err
	}
	w := &wpg.Webhook{ID: newID(), Events: []string{"create", "update", "delete"}, Enabled: true}
	if err := h.apply(w, in, true); err != nil {
		return err
	}
	out, err := h.store.Create(c.UserContext(), w)
	if err != nil {
		return err
	}
	h.deliver.Wake()
	return c.JSON(h.render(out))
}

func (h *handlers) update(c *fiber.Ctx) error {
	w, err := h.store.Get(c.UserContext(), c.Params("id"))
	if err != nil {
		return err
	}
	in, err := decodeInput(c.Body())
	if err != nil {
		return err
	}
	if err := h.apply(w, in, false); err != nil {
		return err
	}
	out, err := h.store.Update(c.UserContext(), w)
	if err != nil {
		return err
	}
	h.deliver.Wake()
	return c.JSON(h.render(out))
}

func (h *handlers) delete(c *fiber.Ctx) error {
	if err := h.store.Delete(c.UserContext(), c.Params("id")); err != nil {
		return err
	}
	return c.SendStatus(fiber.StatusNoContent)
}

// deliveryJSON is one entry of a webhook's delivery log.
type deliveryJSON struct {
	ID         int64   `json:"id"`
	Event      string  `json:"event"` // the seq; "test" for a test
	Action     string  `json:"action"`
	Collection string  `json:"collection"`
	Record     string  `json:"record"`
	Attempt    int     `json:"attempt"`
	Status     int     `json:"status"` // 0: no answer
	Success    bool    `json:"success"`
	Latency    float64 `json:"latency"` // milliseconds
	Error      string  `json:"error"`
	Node       string  `json:"node"`
	Created    string  `json:"created"`
}

func renderDelivery(d *wpg.Delivery) deliveryJSON {
	event := strconv.FormatInt(d.Event, 10)
	if d.Event == 0 {
		event = "test"
	}
	return deliveryJSON{ID: d.ID, Event: event, Action: d.Action, Collection: d.Collection, Record: d.Record,
		Attempt: d.Attempt, Status: d.Status, Success: d.OK, Latency: float64(d.Latency.Microseconds()) / 1000,
		Error: d.Error, Node: d.Node, Created: date(d.Created)}
}

// deliveries answers PocketBase's list shape: page (1), perPage (30, at
// most 500), totalItems, totalPages, items newest first.
func (h *handlers) deliveries(c *fiber.Ctx) error {
	id := c.Params("id")
	if _, err := h.store.Get(c.UserContext(), id); err != nil {
		return err
	}
	page, perPage := c.QueryInt("page", 1), c.QueryInt("perPage", 30)
	if page < 1 {
		page = 1
	}
	perPage = min(max(perPage, 1), 500)
	list, total, err := h.store.Deliveries(c.UserContext(), id, perPage, (page-1)*perPage)
	if err != nil {
		return err
	}
	items := make([]deliveryJSON, 0, len(list))
	for _, d := range list {
		items = append(items, renderDelivery(d))
	}
	return c.JSON(fiber.Map{"page": page, "perPage": perPage, "totalItems": total,
		"totalPages": (total + perPage - 1) / perPage, "items": items})
}

// test sends a test event ({"id": "test", "action": "test", "record":
// {"id": "test"}, …}) to the webhook, records it in the delivery log and
// answers the delivery. It moves nothing: the webhook's position, retries
// and failures stay as they are.
func (h *handlers) test(c *fiber.Ctx) error {
	ctx := c.UserContext()
	w, err := h.store.Get(ctx, c.Params("id"))
	if err != nil {
		return err
	}
	p := Payload{ID: "test", Webhook: w.ID, Action: "test", CollectionID: w.Collection, Record: json.RawMessage(`{"id":"test"}`),
		Created: date(time.Now())}
	if col, ok := h.host.Collection(w.Collection); ok && w.Collection != "" {
		p.Collection = col.Name
	}
	body, err := json.Marshal(p)
	if err != nil {
		return err
	}
	res := h.deliver.send(context.WithoutCancel(ctx), w, "test", body)
	d := &wpg.Delivery{Webhook: w.ID, Action: "test", Collection: p.Collection, Record: "test", Attempt: 1,
		Status: res.status, OK: res.ok, Latency: res.latency, Error: res.err, Node: h.deliver.node}
	if err := h.store.LogTest(ctx, d); err != nil {
		return err
	}
	return c.JSON(renderDelivery(d))
}
