package api

import (
	"encoding/json"
	"strconv"
	"strings"

	"github.com/gofiber/fiber/v2"

	"github.com/lumbunghq/lumbung/collections"
)

// requestInfo is what rules and filters read as @request.* of the request
// c: its context (contextOf), method, the first value of each query
// parameter and header (header names as collections.HeaderKey writes
// them). The body is the input a records operation is given. Values are
// copied: Fiber reuses its buffers after the handler returns.
func requestInfo(c *fiber.Ctx) *collections.RequestInfo {
	info := &collections.RequestInfo{
		Context: contextOf(c),
		Method:  c.Method(),
		Query:   map[string]string{},
		Headers: map[string]string{},
	}
	c.Context().QueryArgs().VisitAll(func(k, v []byte) {
		if key := string(k); !has(info.Query, key) {
			info.Query[key] = string(v)
		}
	})
	c.Request().Header.VisitAll(func(k, v []byte) {
		if key := collections.HeaderKey(string(k)); !has(info.Headers, key) {
			info.Headers[key] = string(v)
		}
	})
	return info
}

// contextOf is the context of the request c by the route it matched, as
// PocketBase names it: signing in with a password, OAuth2 (and the record
// it creates) or a one-time password has its own; everything else is
// default.
func contextOf(c *fiber.Ctx) string {
	p := c.Route().Path
	switch {
	case strings.HasSuffix(p, "/auth-with-password"):
		return collections.ContextPassword
	case strings.HasSuffix(p, "/auth-with-oauth2"):
		return collections.ContextOAuth2
	case strings.HasSuffix(p, "/auth-with-otp"):
		return collections.ContextOTP
	}
	return collections.ContextDefault
}

func has(m map[string]string, k string) bool {
	_, ok := m[k]
	return ok
}

// optionValues reads the query or headers of a realtime subscription's
// options: strings as they are, numbers and booleans as text; other values
// are left out.
func optionValues(raw map[string]any) map[string]string {
	if len(raw) == 0 {
		return nil
	}
	out := make(map[string]string, len(raw))
	for k, v := range raw {
		switch x := v.(type) {
		case string:
			out[k] = x
		case bool:
			out[k] = strconv.FormatBool(x)
		case float64:
			out[k] = strconv.FormatFloat(x, 'f', -1, 64)
		case json.Number:
			out[k] = x.String()
		}
	}
	return out
}
