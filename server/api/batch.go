package api

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/lumbunghq/lumbung/collections"
	"github.com/lumbunghq/lumbung/server/settings"
)

func (h *handlers) batchRoutes() []Route {
	return []Route{
		{"POST", "/batch", Public, h.fresh(h.batch), "Run record writes in one transaction."},
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
			status, rec, err := h.runBatchItem(c, recs, req)
			if err != nil {
				body := toBody(c, h.Logger, h.Unavailable, err)
				return &batchError{index: i, response: body}
			}
			results[i].Status = status
			if rec == nil {
				results[i].Body = json.RawMessage("null")
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

func (h *handlers) runBatchItem(c *fiber.Ctx, recs *collections.Records, req batchRequest) (int, *collections.Record, error) {
	name, id, ok := splitPath(req.URL)
	if !ok {
		return 0, nil, collections.Errorf(collections.EINVALID, "Unsupported batch URL %q: expected /api/collections/{collection}/records[/{id}].", req.URL)
	}
	recs = recs.WithRequest(batchRequestInfo(req))
	col, err := h.Collections.MustCollection(name)
	if err != nil {
		return 0, nil, err
	}
	body := req.Body
	if body == nil {
		body = map[string]any{}
	}
	ctx := c.UserContext()
	switch strings.ToUpper(req.Method) {
	case fiber.MethodPost:
		if id != "" {
			break
		}
		r, err := recs.Create(ctx, col, body)
		return fiber.StatusOK, r, err
	case fiber.MethodPatch:
		if id == "" {
			break
		}
		r, err := recs.Update(ctx, col, id, body)
		return fiber.StatusOK, r, err
	case fiber.MethodPut: // upsert by body id
		bid, _ := body["id"].(string)
		if id != "" || bid == "" {
			if id == "" {
				r, err := recs.Create(ctx, col, body)
				return fiber.StatusOK, r, err
			}
			break
		}
		if _, err := recs.Get(ctx, col, bid); err == nil {
			r, err := recs.Update(ctx, col, bid, body)
			return fiber.StatusOK, r, err
		} else if collections.ErrorCode(err) != collections.ENOTFOUND {
			return 0, nil, err
		}
		r, err := recs.Create(ctx, col, body)
		return fiber.StatusOK, r, err
	case fiber.MethodDelete:
		if id == "" {
			break
		}
		return fiber.StatusNoContent, nil, recs.Delete(ctx, col, id)
	}
	return 0, nil, collections.Errorf(collections.EINVALID, "Unsupported batch request %s %s.", req.Method, req.URL)
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
