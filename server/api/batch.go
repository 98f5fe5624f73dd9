package api

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/valyala/fasthttp"

	"github.com/lumbunghq/lumbung/collections"
	"github.com/lumbunghq/lumbung/plugins/hook"
	"github.com/lumbunghq/lumbung/server/settings"
)

func (h *handlers) batchRoutes() []Route {
	return []Route{
		{"POST", "/batch", Public, h.hooked(RequestBatch, h.fresh(h.batch)), "Run record writes in one transaction."},
	}
}

type batchRequest struct {
	Method  string            `json:"method"`
	URL     string            `json:"url"`
	Body    map[string]any    `json:"body"`
	Headers map[string]string `json:"headers"`
}

type batchResult struct {
	Status int             `json:"status"`
	Body   json.RawMessage `json:"body"`
}

// batch runs record creates, updates, upserts and deletes in one
// transaction: all succeed or none is kept. The batch settings bound it:
// whether batches are allowed, how many sub-requests, how large a body
// and how long the transaction may take.
func (h *handlers) batch(c *fiber.Ctx) error {
	limits := h.Settings.Effective(c.UserContext()).Batch
	payload, form, err := h.batchPayload(c, limits)
	if err != nil {
		return err
	}
	timeout := time.Duration(limits.Timeout) * time.Second
	if timeout <= 0 {
		timeout = settings.DefaultBatchTimeout
	}
	orig := c.UserContext()
	parent := orig
	if form != nil {
		// The body may have taken long to arrive: the work gets its own
		// time from now.
		var cancelRead context.CancelFunc
		parent, cancelRead = context.WithTimeout(context.WithoutCancel(parent), h.RequestTimeout)
		defer cancelRead()
	}
	ctx, cancel := context.WithTimeout(parent, timeout)
	defer cancel()
	c.SetUserContext(ctx)
	defer c.SetUserContext(orig) // a retry by fresh starts with a new timeout
	var in struct {
		Requests []batchRequest `json:"requests"`
	}
	if err := decodeJSON(payload, &in); err != nil {
		return err
	}
	switch {
	case len(in.Requests) == 0:
		return collections.Invalid("Invalid batch request data.", map[string]collections.FieldError{
			"requests": {Code: "validation_required", Message: "Cannot be blank."}})
	case len(in.Requests) > limits.MaxRequests:
		return batchTooLong(limits.MaxRequests)
	}
	if form != nil {
		for i := range in.Requests {
			if in.Requests[i].Body == nil {
				in.Requests[i].Body = map[string]any{}
			}
			withUploads(in.Requests[i].Body, form.files, "requests."+strconv.Itoa(i)+".")
		}
	}
	showHidden := identity(c).Superuser()
	results := make([]batchResult, len(in.Requests))
	err = h.records(c).InTx(c.UserContext(), func(recs *collections.Records) error {
		for i, req := range in.Requests {
			status, rec, answer, err := h.runBatchItem(c, recs, req)
			if err != nil {
				body := toBody(c, h.Logger, h.Unavailable, err)
				return &batchError{index: i, response: body}
			}
			results[i].Status = status
			if rec == nil {
				results[i].Body = answer
				if answer == nil {
					results[i].Body = json.RawMessage("null")
				}
				continue
			}
			out, err := h.batchOutput(rec.Collection, req.URL, showHidden)
			if err == nil {
				err = recs.Expand(c.UserContext(), rec.Collection, []*collections.Record{rec}, out.expand)
			}
			if err == nil {
				err = h.records(c).Enrich(c.UserContext(), rec)
			}
			var b []byte
			if err == nil {
				b, err = rec.AppendJSON(nil, out.projection, showHidden)
			}
			if err != nil {
				body := toBody(c, h.Logger, h.Unavailable, err)
				return &batchError{index: i, response: body}
			}
			results[i].Body = b
		}
		return nil
	})
	if errors.Is(ctx.Err(), context.DeadlineExceeded) && parent.Err() == nil {
		// PocketBase's answer to a batch past its timeout: a 400, not a
		// 408 that browsers would retry.
		return collections.Errorf(collections.EINVALID, "Something went wrong while processing your request.")
	}
	if err != nil {
		return err
	}
	return c.JSON(results)
}

// batchPayload returns the JSON of a batch: the body, or the "@jsonPayload"
// part of a multipart body as the SDK sends it, whose files (named
// "requests.<index>.<field>") are the uploads of the sub-requests.
func (h *handlers) batchPayload(c *fiber.Ctx, limits settings.Batch) ([]byte, *form, error) {
	if !strings.HasPrefix(strings.ToLower(c.Get(fiber.HeaderContentType)), fiber.MIMEMultipartForm) {
		return c.Body(), nil, limits.Allow(len(c.Body()))
	}
	if err := limits.Allow(0); err != nil {
		return nil, nil, err
	}
	cols := h.Collections.Collections()
	total := limits.MaxBodySize
	if total <= 0 {
		total = uploadBound(h.BodyLimit, cols...)
	}
	var largest int64
	for _, col := range cols {
		for _, f := range col.Fields {
			if o, ok := f.Options.(*collections.FileOptions); ok {
				largest = max(largest, o.SizeLimit())
			}
		}
	}
	form, err := h.readForm(c, func(name string) (int64, bool) {
		return largest, largest > 0 && strings.HasPrefix(name, "requests.")
	}, total)
	if err != nil {
		return nil, nil, err
	}
	if v := form.values["@jsonPayload"]; len(v) == 1 {
		return []byte(v[0]), form, nil
	}
	return nil, form, nil
}

// runBatchItem runs one sub-request in the batch's transaction, through
// the records request hook of its action: the saved record (nil after a
// delete), or the answer a hook handler gave instead of the write.
func (h *handlers) runBatchItem(c *fiber.Ctx, recs *collections.Records, req batchRequest) (int, *collections.Record, json.RawMessage, error) {
	name, id, ok := splitPath(req.URL)
	if !ok {
		return 0, nil, nil, collections.Errorf(collections.EINVALID, "Unsupported batch URL %q: expected /api/collections/{collection}/records[/{id}].", req.URL)
	}
	recs = recs.WithRequest(batchRequestInfo(req))
	col, err := h.Collections.MustCollection(name)
	if err != nil {
		return 0, nil, nil, err
	}
	body := req.Body
	if body == nil {
		body = map[string]any{}
	}
	ctx := c.UserContext()
	method := strings.ToUpper(req.Method)
	if method == fiber.MethodPut && id == "" { // an upsert by the body's id, as PocketBase
		method = fiber.MethodPost
		if bid, _ := body["id"].(string); bid != "" {
			if _, err := recs.Get(ctx, col, bid); err == nil {
				method, id = fiber.MethodPatch, bid
			} else if collections.ErrorCode(err) != collections.ENOTFOUND {
				return 0, nil, nil, err
			}
		}
	}
	var (
		hk    *hook.Hook[*RecordRequestEvent]
		write func(e *RecordRequestEvent) (*collections.Record, error)
	)
	switch {
	case method == fiber.MethodPost && id == "":
		hk = &h.Hooks.recordCreateRequest
		write = func(e *RecordRequestEvent) (*collections.Record, error) { return recs.Create(ctx, col, e.Input) }
	case method == fiber.MethodPatch && id != "":
		hk = &h.Hooks.recordUpdateRequest
		write = func(e *RecordRequestEvent) (*collections.Record, error) { return recs.Update(ctx, col, e.ID, e.Input) }
	case method == fiber.MethodDelete && id != "":
		hk = &h.Hooks.recordDeleteRequest
		write = func(e *RecordRequestEvent) (*collections.Record, error) { return nil, recs.Delete(ctx, col, e.ID) }
	default:
		return 0, nil, nil, collections.Errorf(collections.EINVALID, "Unsupported batch request %s %s.", req.Method, req.URL)
	}
	status := fiber.StatusOK
	if method == fiber.MethodDelete {
		status, body = fiber.StatusNoContent, nil
	}
	if hk.Length() == 0 {
		rec, err := write(&RecordRequestEvent{ID: id, Input: body})
		return status, rec, nil, err
	}
	sub, release := subRequest(c, method, req, body)
	defer release()
	e := &RecordRequestEvent{Ctx: sub, Collection: col, ID: id, Input: body, Ops: recs}
	wrote := false
	if err := h.recordRequest(hk, e, func(e *RecordRequestEvent) error {
		wrote = true
		rec, err := write(e)
		e.Record = rec
		return err
	}); err != nil {
		return 0, nil, nil, err
	}
	if wrote {
		return status, e.Record, nil, nil
	}
	return sub.Response().StatusCode(), nil, answerJSON(sub.Response().Body()), nil
}

// subRequest returns a request context of its own for a batch's
// sub-request, for its hook's handlers: the batch request's headers and
// locals (its auth, request id and address) with the sub-request's
// method, URL, headers (never its own Authorization, as PocketBase) and
// body as JSON, uploads left out.
func subRequest(c *fiber.Ctx, method string, req batchRequest, body map[string]any) (*fiber.Ctx, func()) {
	var r fasthttp.Request
	c.Request().Header.CopyTo(&r.Header)
	r.Header.SetMethod(method)
	r.SetRequestURI(req.URL)
	for k, v := range req.Headers {
		if !strings.EqualFold(k, fiber.HeaderAuthorization) {
			r.Header.Set(k, v)
		}
	}
	values := make(map[string]any, len(body))
	for k, v := range body {
		if !holdsUploads(v) {
			values[k] = v
		}
	}
	b, _ := json.Marshal(values)
	r.Header.SetContentType(fiber.MIMEApplicationJSON)
	r.SetBody(b)
	fctx := &fasthttp.RequestCtx{}
	fctx.Init(&r, c.Context().RemoteAddr(), nil)
	c.Context().VisitUserValuesAll(func(k, v any) { fctx.SetUserValue(k, v) })
	sub := c.App().AcquireCtx(fctx)
	return sub, func() { c.App().ReleaseCtx(sub) }
}

// holdsUploads tells a value of a body that holds uploaded files.
func holdsUploads(v any) bool {
	switch x := v.(type) {
	case *collections.Upload:
		return true
	case []any:
		return slices.ContainsFunc(x, func(item any) bool { _, ok := item.(*collections.Upload); return ok })
	}
	return false
}

// answerJSON is the body a hook handler answered a sub-request with, as
// the batch's result shows it: its JSON, null when empty, else the text
// as a JSON string.
func answerJSON(body []byte) json.RawMessage {
	switch {
	case len(bytes.TrimSpace(body)) == 0:
		return json.RawMessage("null")
	case json.Valid(body):
		return bytes.Clone(body)
	}
	b, _ := json.Marshal(string(body))
	return b
}

// batchRequestInfo is what the rules of a sub-request read as @request.*,
// as PocketBase builds it: context batch, the sub-request's method, the
// query of its URL and its own headers (the body is its input).
func batchRequestInfo(req batchRequest) *collections.RequestInfo {
	info := &collections.RequestInfo{Context: collections.ContextBatch, Method: strings.ToUpper(req.Method),
		Query: map[string]string{}, Headers: map[string]string{}}
	_, query, _ := strings.Cut(req.URL, "?")
	if values, err := url.ParseQuery(query); err == nil {
		for k, v := range values {
			if len(v) > 0 {
				info.Query[k] = v[0]
			}
		}
	}
	for k, v := range req.Headers {
		info.Headers[collections.HeaderKey(k)] = v
	}
	return info
}

// batchOutput reads expand and fields from a sub-request URL's query.
func (h *handlers) batchOutput(col *collections.Collection, rawURL string, showHidden bool) (output, error) {
	out := output{showHidden: showHidden}
	_, query, _ := strings.Cut(rawURL, "?")
	values, err := url.ParseQuery(query)
	if err != nil {
		return out, collections.Errorf(collections.EINVALID, "Invalid query in batch URL %q.", rawURL)
	}
	out.expand = values.Get("expand")
	out.projection, err = collections.ParseProjection(values.Get("fields"))
	return out, err
}

// batchTooLong is PocketBase's answer to a batch with more than max
// sub-requests.
func batchTooLong(max int) error {
	return collections.Invalid("Invalid batch request data.", map[string]collections.FieldError{
		"requests": {Code: "validation_length_too_long", Message: fmt.Sprintf("The length must be between 0 and %d.", max)}})
}
