package api

import (
	"context"
	"errors"
	"strconv"
	"strings"

	"github.com/gofiber/fiber/v2"

	"github.com/lumbunghq/lumbung/collections"
	"github.com/lumbunghq/lumbung/plugins/hook"
	"github.com/lumbunghq/lumbung/server/auth"
)

func (h *handlers) recordRoutes() []Route {
	const c = "/collections/:collection/records"
	return []Route{
		{"GET", c, Public, h.fresh(h.listRecords), "List the records the caller may see."},
		{"POST", c, Public, h.fresh(h.createRecord), "Create a record."},
		{"GET", c + "/:id", Public, h.fresh(h.viewRecord), "Return a record."},
		{"PATCH", c + "/:id", Public, h.fresh(h.updateRecord), "Change a record."},
		{"DELETE", c + "/:id", Public, h.fresh(h.deleteRecord), "Delete a record."},
	}
}

// pageQuery reads page and perPage; perPage above the maximum is clamped.
func pageQuery(c *fiber.Ctx) (collections.Query, error) {
	q := collections.Query{Page: 1, PerPage: 30}
	for _, p := range []struct {
		name string
		dst  *int
	}{{"page", &q.Page}, {"perPage", &q.PerPage}} {
		s := c.Query(p.name)
		if s == "" {
			continue
		}
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 {
			return q, collections.Errorf(collections.EINVALID, "%s must be a positive integer.", p.name)
		}
		*p.dst = n
	}
	if q.PerPage > collections.MaxPerPage {
		q.PerPage = collections.MaxPerPage
	}
	return q, nil
}

// output holds what shapes the records of a response: expand and fields.
type output struct {
	expand     string
	projection *collections.Projection
	showHidden bool
}

// records returns record operations on behalf of the request's caller,
// whose rules and filters read the request as @request.*.
func (h *handlers) records(c *fiber.Ctx) *collections.Records {
	return h.Collections.RecordsAs(auth.CallerFor(identity(c), h.Decider)).WithRequest(requestInfo(c))
}

// outputOf reads the expand and fields parameters of a response that
// shows records read under action (list, or view for one record).
func (h *handlers) outputOf(c *fiber.Ctx, recs *collections.Records, col *collections.Collection, action string) (output, error) {
	out := output{expand: c.Query("expand"), showHidden: identity(c).Superuser()}
	p, err := collections.ParseProjection(c.Query("fields"))
	if err != nil {
		return out, err
	}
	if err := recs.CheckProjection(col, action, p, out.showHidden); err != nil {
		return out, err
	}
	out.projection = p
	return out, nil
}

func (h *handlers) listRecords(c *fiber.Ctx) error {
	col, err := h.Collections.MustCollection(c.Params("collection"))
	if err != nil {
		return err
	}
	q, err := pageQuery(c)
	if err != nil {
		return err
	}
	q.Sort, q.Filter, q.SkipTotal = c.Query("sort"), c.Query("filter"), c.QueryBool("skipTotal")
	recs := h.records(c)
	out, err := h.outputOf(c, recs, col, collections.ActionList)
	if err != nil {
		return err
	}
	sampled := h.sampleList(col, q)
	page, err := recs.List(c.UserContext(), col, q)
	if err != nil {
		return err
	}
	sampled()
	return h.recordRequest(&h.Hooks.recordsListRequest, &RecordRequestEvent{Ctx: c, Collection: col, Records: page.Items}, func(e *RecordRequestEvent) error {
		page.Items = e.Records
		return h.sendPage(c, recs, col, page, out)
	})
}

// sendPage answers with a page of records.
func (h *handlers) sendPage(c *fiber.Ctx, recs *collections.Records, col *collections.Collection, page *collections.Page, out output) (err error) {
	if err := recs.Expand(c.UserContext(), col, page.Items, out.expand); err != nil {
		return err
	}
	if err := recs.Enrich(c.UserContext(), page.Items...); err != nil {
		return err
	}
	b := make([]byte, 0, 256+len(page.Items)*256)
	b = append(b, `{"page":`...)
	b = strconv.AppendInt(b, int64(page.Page), 10)
	b = append(b, `,"perPage":`...)
	b = strconv.AppendInt(b, int64(page.PerPage), 10)
	b = append(b, `,"totalItems":`...)
	b = strconv.AppendInt(b, int64(page.TotalItems), 10)
	b = append(b, `,"totalPages":`...)
	b = strconv.AppendInt(b, int64(page.TotalPages), 10)
	b = append(b, `,"items":[`...)
	for i, r := range page.Items {
		if i > 0 {
			b = append(b, ',')
		}
		if b, err = r.AppendJSON(b, out.projection, out.showHidden); err != nil {
			return err
		}
	}
	b = append(b, "]}"...)
	c.Set(fiber.HeaderContentType, fiber.MIMEApplicationJSON)
	return c.Send(b)
}

func (h *handlers) sendRecord(c *fiber.Ctx, recs *collections.Records, col *collections.Collection, r *collections.Record, out output) error {
	if err := recs.Expand(c.UserContext(), col, []*collections.Record{r}, out.expand); err != nil {
		return err
	}
	if err := recs.Enrich(c.UserContext(), r); err != nil {
		return err
	}
	b, err := r.AppendJSON(nil, out.projection, out.showHidden)
	if err != nil {
		return err
	}
	c.Set(fiber.HeaderContentType, fiber.MIMEApplicationJSON)
	return c.Send(b)
}

func (h *handlers) viewRecord(c *fiber.Ctx) error {
	col, err := h.Collections.MustCollection(c.Params("collection"))
	if err != nil {
		return err
	}
	recs := h.records(c)
	out, err := h.outputOf(c, recs, col, collections.ActionView)
	if err != nil {
		return err
	}
	r, err := recs.Get(c.UserContext(), col, c.Params("id"))
	if err != nil {
		return err
	}
	return h.recordRequest(&h.Hooks.recordViewRequest, &RecordRequestEvent{Ctx: c, Collection: col, ID: r.ID(), Record: r}, func(e *RecordRequestEvent) error {
		return h.sendRecord(c, recs, col, e.Record, out)
	})
}

func (h *handlers) createRecord(c *fiber.Ctx) error {
	return h.writeRecord(c, &h.Hooks.recordCreateRequest, "", func(ctx context.Context, recs *collections.Records, col *collections.Collection, in map[string]any) (*collections.Record, error) {
		return recs.Create(ctx, col, in)
	})
}

func (h *handlers) updateRecord(c *fiber.Ctx) error {
	id := c.Params("id")
	return h.writeRecord(c, &h.Hooks.recordUpdateRequest, id, func(ctx context.Context, recs *collections.Records, col *collections.Collection, in map[string]any) (*collections.Record, error) {
		return recs.Update(ctx, col, id, in)
	})
}

// writeRecord reads the body of a create or update, runs write (after the
// request hook hk) and answers with the saved record.
func (h *handlers) writeRecord(c *fiber.Ctx, hk *hook.Hook[*RecordRequestEvent], id string, write func(context.Context, *collections.Records, *collections.Collection, map[string]any) (*collections.Record, error)) error {
	col, err := h.Collections.MustCollection(c.Params("collection"))
	if err != nil {
		return err
	}
	recs := h.records(c)
	out, err := h.outputOf(c, recs, col, collections.ActionView)
	if err != nil {
		return err
	}
	in, form, err := h.recordInput(c, col)
	if err != nil {
		return err
	}
	if form != nil {
		// The body may have taken long to arrive: the database work gets
		// its own time from now.
		orig := c.UserContext()
		ctx, cancel := context.WithTimeout(context.WithoutCancel(orig), h.RequestTimeout)
		defer cancel()
		c.SetUserContext(ctx)
		defer c.SetUserContext(orig)
	}
	return h.recordRequest(hk, &RecordRequestEvent{Ctx: c, Collection: col, ID: id, Input: in}, func(e *RecordRequestEvent) error {
		r, err := write(c.UserContext(), recs, col, e.Input)
		if err != nil {
			return err
		}
		e.Record = r
		return h.sendRecord(c, recs, col, r, out)
	})
}

func (h *handlers) deleteRecord(c *fiber.Ctx) error {
	col, err := h.Collections.MustCollection(c.Params("collection"))
	if err != nil {
		return err
	}
	return h.recordRequest(&h.Hooks.recordDeleteRequest, &RecordRequestEvent{Ctx: c, Collection: col, ID: c.Params("id")}, func(e *RecordRequestEvent) error {
		if err := h.records(c).Delete(c.UserContext(), col, e.ID); err != nil {
			return err
		}
		return c.SendStatus(fiber.StatusNoContent)
	})
}

// splitPath returns the collection and record id of a records URL path, for
// batch sub-requests.
func splitPath(path string) (collection, id string, ok bool) {
	path, _, _ = strings.Cut(path, "?")
	rest, found := strings.CutPrefix(path, "/api/collections/")
	if !found {
		return "", "", false
	}
	parts := strings.Split(strings.Trim(rest, "/"), "/")
	switch {
	case len(parts) == 2 && parts[1] == "records":
		return parts[0], "", true
	case len(parts) == 3 && parts[1] == "records":
		return parts[0], parts[2], true
	}
	return "", "", false
}

// freshTries bounds how often fresh runs a handler.
const freshTries = 3

// fresh runs a handler that works on a collection again when a schema
// change made elsewhere replaced the definition it used while it ran: the
// schema (and the policies) are read anew first, so the request gets the
// new schema's answer (a dropped collection is a 404). Handlers write
// their response only after their database work, so a failed run has sent
// nothing.
func (h *handlers) fresh(next fiber.Handler) fiber.Handler {
	return func(c *fiber.Ctx) error {
		err := next(c)
		if errors.Is(err, collections.ErrMissingCollection) {
			// A collection another node has just created is known here
			// once its notification arrives; the database knows it now.
			if behind, berr := h.Collections.Behind(c.UserContext()); berr == nil && behind {
				err = collections.ErrSchemaChanged
			}
		}
		for try := 1; try < freshTries && errors.Is(err, collections.ErrSchemaChanged); try++ {
			refresh := h.Collections.Reload
			if h.Refresh != nil {
				refresh = h.Refresh
			}
			if rerr := refresh(c.UserContext()); rerr != nil {
				return rerr
			}
			c.Response().Reset()
			err = next(c)
		}
		return err
	}
}
