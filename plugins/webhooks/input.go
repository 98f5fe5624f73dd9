package webhooks

import (
	crand "crypto/rand"
	"encoding/json"
	"errors"
	"net/netip"
	"net/url"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/lumbunghq/lumbung/collections"
	"github.com/lumbunghq/lumbung/collections/filter"
	wpg "github.com/lumbunghq/lumbung/plugins/webhooks/postgres"
	"github.com/lumbunghq/lumbung/server/egress"
)

// input is the body of POST and PATCH /api/webhooks: a PATCH changes the
// fields it names.
type input struct {
	Name       *string   `json:"name"`
	Collection *string   `json:"collection"` // a name or id; "" or "*" for every collection
	Events     *[]string `json:"events"`     // create, update, delete
	URL        *string   `json:"url"`
	Secret     *string   `json:"secret"`
	Filter     *string   `json:"filter"`
	Enabled    *bool     `json:"enabled"`
}

// Limits of a webhook's fields.
const (
	maxName      = 100
	maxURL       = 2048
	minSecret    = 8
	maxSecret    = 512
	maxFilterLen = 3500
)

// actions are the event names a webhook may ask for.
var actions = []string{"create", "update", "delete"}

func decodeInput(body []byte) (*input, error) {
	var in input
	if err := json.Unmarshal(body, &in); err != nil {
		return nil, collections.Errorf(collections.EINVALID, "The body is not a JSON object of a webhook's fields.")
	}
	return &in, nil
}

// apply sets the fields of in on w and checks the result, answering
// EINVALID with every bad field named.
func (h *handlers) apply(w *wpg.Webhook, in *input, create bool) error {
	bad := map[string]collections.FieldError{}
	fail := func(field, code, msg string) { bad[field] = collections.FieldError{Code: code, Message: msg} }
	if in.Name != nil {
		w.Name = strings.TrimSpace(*in.Name)
	}
	switch {
	case w.Name == "":
		fail("name", "validation_required", "Give the webhook a name.")
	case utf8.RuneCountInString(w.Name) > maxName:
		fail("name", "validation_max_text_constraint", "The name is longer than 100 characters.")
	}
	var col *collections.Collection
	if in.Collection != nil {
		w.Collection = ""
		if name := strings.TrimSpace(*in.Collection); name != "" && name != "*" {
			c, ok := h.host.Collection(name)
			switch {
			case !ok:
				fail("collection", "validation_unknown_collection", "There is no collection "+name+".")
			case c.Type == collections.TypeView:
				fail("collection", "validation_view_collection", "A view collection has no changes to send.")
			default:
				w.Collection, col = c.ID, c
			}
		}
	} else if w.Collection != "" {
		col, _ = h.host.Collection(w.Collection)
	}
	if in.Events != nil {
		w.Events = nil
		for _, e := range *in.Events {
			if !slices.Contains(actions, e) {
				fail("events", "validation_invalid_event", `Unknown event "`+e+`": the events are create, update and delete.`)
				break
			}
			if !slices.Contains(w.Events, e) {
				w.Events = append(w.Events, e)
			}
		}
		if len(w.Events) == 0 && bad["events"].Code == "" {
			fail("events", "validation_required", "Choose at least one of create, update and delete.")
		}
	}
	if in.URL != nil {
		w.URL = strings.TrimSpace(*in.URL)
	}
	if msg := h.checkURL(w.URL); msg != "" {
		fail("url", "validation_invalid_url", msg)
	}
	if in.Secret != nil {
		w.Secret = *in.Secret
		if n := len(w.Secret); n < minSecret || n > maxSecret {
			fail("secret", "validation_length_out_of_range", "The secret has 8 to 512 characters.")
		}
	} else if create {
		fail("secret", "validation_required", "Give a secret (8 to 512 characters): receivers check the signature with it.")
	}
	if in.Filter != nil {
		w.Filter = strings.TrimSpace(*in.Filter)
	}
	if msg := checkFilter(w.Filter, w.Collection, col); msg != "" {
		fail("filter", "validation_invalid_filter", msg)
	}
	if in.Enabled != nil {
		w.Enabled = *in.Enabled
	}
	if len(bad) > 0 {
		return collections.Invalid("Failed to save the webhook.", bad)
	}
	return nil
}

// checkURL says what is wrong with a target URL ("" when nothing is): it
// is an absolute http or https URL, and an address written in it is not
// one the guard refuses (names are checked when they are resolved, at
// each connection).
func (h *handlers) checkURL(raw string) string {
	if raw == "" {
		return "Give the URL the changes are sent to."
	}
	if len(raw) > maxURL {
		return "The URL is longer than 2048 characters."
	}
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return "The URL must be an absolute http:// or https:// URL."
	}
	if u.User != nil {
		return "The URL may not hold a user name or password; receivers check the signature instead."
	}
	if ip, err := netip.ParseAddr(strings.Trim(u.Hostname(), "[]")); err == nil {
		if kind := egress.Refused(ip, h.allow); kind != "" {
			return "The URL names a " + kind + " address, which webhooks may not reach unless the plugin's settings allow it."
		}
	}
	return ""
}

// checkFilter says what is wrong with a webhook's filter ("" when
// nothing is): it needs a collection, and may use the record's own
// fields only (it is evaluated with the change's row).
func checkFilter(src, collectionID string, col *collections.Collection) string {
	if src == "" {
		return ""
	}
	if len(src) > maxFilterLen {
		return "The filter is too long."
	}
	if collectionID == "" || col == nil {
		return "A filter needs a collection."
	}
	expr, err := filter.Parse(src)
	if err == nil {
		_, err = filter.Eval(expr, filterEnv(col), map[string]any{})
	}
	switch {
	case err == nil:
		return ""
	case errors.Is(err, filter.ErrNeedsDatabase):
		return "The filter may use the record's own fields only (no relations or @collection)."
	case collections.ErrorCode(err) == collections.EINVALID:
		return "Invalid filter: " + collections.ErrorMessage(err)
	default:
		return "Invalid filter."
	}
}

// newID returns a random id of 15 characters [a-z0-9], as records have.
func newID() string {
	const alphabet = "abcdefghijklmnopqrstuvwxyz0123456789"
	b := make([]byte, 15)
	crand.Read(b) //nolint:errcheck // crypto/rand does not fail
	for i := range b {
		b[i] = alphabet[int(b[i])%len(alphabet)]
	}
	return string(b)
}
