package api

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/gofiber/fiber/v2"

	"github.com/lumbunghq/lumbung/collections"
)

// decodeJSON reads a JSON body into v, answering malformed input with a
// clear EINVALID.
func decodeJSON(body []byte, v any) error {
	if len(bytes.TrimSpace(body)) == 0 {
		return collections.Errorf(collections.EINVALID, "The request body is empty; expected a JSON object.")
	}
	// The decoder would replace invalid bytes silently, changing the data.
	if !utf8.Valid(body) {
		return collections.Errorf(collections.EINVALID, "Invalid JSON body: it is not valid UTF-8 text.")
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	if err := dec.Decode(v); err != nil {
		return jsonError(err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return collections.Errorf(collections.EINVALID, "Invalid JSON body: unexpected data after the object.")
	}
	return nil
}

func jsonError(err error) error {
	var de *collections.Error
	if errors.As(err, &de) {
		return de
	}
	var se *json.SyntaxError
	var te *json.UnmarshalTypeError
	switch {
	case errors.As(err, &se):
		return collections.Errorf(collections.EINVALID, "Invalid JSON body: %s at byte %d.", se.Error(), se.Offset)
	case errors.As(err, &te):
		if te.Field != "" {
			return collections.Errorf(collections.EINVALID, "Invalid JSON body: %q has the wrong type (%s).", te.Field, te.Value)
		}
		return collections.Errorf(collections.EINVALID, "Invalid JSON body: expected a JSON object, got %s.", te.Value)
	case errors.Is(err, io.ErrUnexpectedEOF):
		return collections.Errorf(collections.EINVALID, "Invalid JSON body: unexpected end of input.")
	}
	return collections.Errorf(collections.EINVALID, "Invalid JSON body.")
}

// recordInput reads a record body of collection col: JSON, or form fields
// (urlencoded or multipart, where "@jsonPayload" may carry JSON as the SDK
// sends it, and files of col's file fields are uploads). The caller closes
// the form, when there is one, once the write is done.
func (h *handlers) recordInput(c *fiber.Ctx, col *collections.Collection) (map[string]any, *form, error) {
	ct := strings.ToLower(c.Get(fiber.HeaderContentType))
	switch {
	case strings.HasPrefix(ct, fiber.MIMEMultipartForm):
		f, err := h.readForm(c, recordFileLimit(col, ""), uploadBound(h.BodyLimit, col))
		if err != nil {
			return nil, nil, err
		}
		in, err := formInput(f.values)
		if err != nil {
			return nil, nil, err
		}
		withUploads(in, f.files, "")
		return in, f, nil
	case strings.HasPrefix(ct, fiber.MIMEApplicationForm):
		values := map[string][]string{}
		c.Request().PostArgs().VisitAll(func(k, v []byte) {
			values[string(k)] = append(values[string(k)], string(v))
		})
		in, err := formInput(values)
		return in, nil, err
	}
	body := c.Body()
	if len(bytes.TrimSpace(body)) == 0 {
		return map[string]any{}, nil, nil
	}
	var in map[string]any
	if err := decodeJSON(body, &in); err != nil {
		return nil, nil, err
	}
	if in == nil {
		return nil, nil, collections.Errorf(collections.EINVALID, "Invalid JSON body: expected an object.")
	}
	return in, nil, nil
}

func formInput(values map[string][]string) (map[string]any, error) {
	in := map[string]any{}
	for k, vs := range values {
		if !utf8.ValidString(k) || slices.ContainsFunc(vs, func(v string) bool { return !utf8.ValidString(v) }) {
			return nil, collections.Errorf(collections.EINVALID, "Invalid form body: it is not valid UTF-8 text.")
		}
		if k == "@jsonPayload" {
			for _, v := range vs {
				var extra map[string]any
				if err := decodeJSON([]byte(v), &extra); err != nil {
					return nil, fmt.Errorf("@jsonPayload: %w", err)
				}
				for ek, ev := range extra {
					in[ek] = ev
				}
			}
			continue
		}
		if len(vs) == 1 {
			in[k] = vs[0]
		} else {
			list := make([]any, len(vs))
			for i, v := range vs {
				list[i] = v
			}
			in[k] = list
		}
	}
	return in, nil
}
