package collections

import (
	"strings"
	"unicode"
)

// Contexts a request is made in, as rules read them in @request.context
// (PocketBase's names).
const (
	ContextDefault       = "default"       // the REST API
	ContextOAuth2        = "oauth2"        // signing in (or up) with OAuth2
	ContextOTP           = "otp"           // signing in with a one-time password
	ContextPassword      = "password"      // signing in with a password
	ContextRealtime      = "realtime"      // a realtime event about to be sent
	ContextProtectedFile = "protectedFile" // a protected file about to be served
	ContextBatch         = "batch"         // a sub-request of a batch
	ContextExpand        = "expand"        // a related record about to be expanded
)

// RequestInfo is what rules and filters read as @request.* besides the
// caller's auth record: how the request came, its method, query, headers
// and body. The HTTP layer fills it; rules read it through Scope and Query.
// A nil *RequestInfo reads as a request with no values at all.
type RequestInfo struct {
	// Context is one of the Context constants ("" reads as default).
	Context string
	// Method is the HTTP method ("GET", "POST"...).
	Method string
	// Query holds the first value of each query parameter.
	Query map[string]string
	// Headers holds the first value of each header, keyed by HeaderKey.
	Headers map[string]string
	// Body holds the submitted values of a create or update as the client
	// sent them (decoded JSON, or form values), before defaults and
	// normalization. Records.Create and Update set it from their input.
	Body map[string]any
}

// WithBody returns a copy of info (nil: a default request) with body.
func (info *RequestInfo) WithBody(body map[string]any) *RequestInfo {
	out := RequestInfo{Context: ContextDefault}
	if info != nil {
		out = *info
	}
	out.Body = body
	return &out
}

// WithContext returns a copy of info (nil: an empty request) in context ctx.
func (info *RequestInfo) WithContext(ctx string) *RequestInfo {
	var out RequestInfo
	if info != nil {
		out = *info
	}
	out.Context = ctx
	return &out
}

// HeaderKey is how a header name is written in @request.headers.<name>:
// lower case, words joined by "_" (X-Forwarded-For is x_forwarded_for,
// as PocketBase's Snakecase writes it).
func HeaderKey(name string) string {
	var b strings.Builder
	for _, word := range strings.FieldsFunc(name, func(r rune) bool {
		return r == '_' || !(unicode.IsLetter(r) || unicode.IsDigit(r))
	}) {
		if b.Len() > 0 {
			b.WriteByte('_')
		}
		prev := rune(0)
		for i, r := range word {
			if unicode.IsUpper(r) && i > 0 && !unicode.IsUpper(prev) {
				b.WriteByte('_')
			}
			b.WriteRune(r)
			prev = r
		}
	}
	return strings.ToLower(b.String())
}
