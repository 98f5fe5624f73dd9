package settings

import (
	"fmt"
	"net/mail"
	"net/url"
	"regexp"
	"slices"
	"strings"

	"github.com/lumbunghq/lumbung/collections"
	lmail "github.com/lumbunghq/lumbung/server/mail"
)

// headerNameRe matches HTTP header names (RFC 9110 tokens).
var headerNameRe = regexp.MustCompile("^[A-Za-z0-9!#$%&'*+.^_`|~-]+$")

// Validate normalizes s in place (trims the application's name, URL and
// SMTP host, upper-cases the SMTP auth method, and fills in the default
// TLS mode and proxy header when they are empty), then checks it. An
// invalid s is an EINVALID error (collections.Invalid) with one field
// error per invalid value, keyed by its JSON path ("meta.appURL",
// "rateLimits.rules.0.label", …).
func (s *Settings) Validate() error {
	errs := map[string]collections.FieldError{}
	fail := func(key, code, msg string) { errs[key] = collections.FieldError{Code: code, Message: msg} }
	m := &s.Meta
	m.AppName, m.AppURL = strings.TrimSpace(m.AppName), strings.TrimRight(strings.TrimSpace(m.AppURL), "/")
	if m.AppName == "" || len(m.AppName) > 255 {
		fail("meta.appName", "validation_required", "Must be between 1 and 255 characters.")
	}
	if u, err := url.Parse(m.AppURL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		fail("meta.appURL", "validation_is_url", "Must be an http or https URL.")
	}
	if len(m.SenderName) > 255 || strings.ContainsAny(m.SenderName, "\r\n") {
		fail("meta.senderName", "validation_invalid_value", "Must be one line of at most 255 characters.")
	}
	if a, err := mail.ParseAddress(m.SenderAddress); err != nil || a.Address != m.SenderAddress {
		fail("meta.senderAddress", "validation_is_email", "Must be a valid email address.")
	}
	sm := &s.SMTP
	sm.Host = strings.TrimSpace(sm.Host)
	switch sm.TLSMode {
	case lmail.TLSNone, lmail.TLSStartTLS, lmail.TLSImplicit:
	case "":
		sm.TLSMode = lmail.TLSStartTLS
	default:
		fail("smtp.tlsMode", "validation_in_invalid", `Must be "none", "starttls" or "tls".`)
	}
	switch strings.ToUpper(sm.AuthMethod) {
	case "", "PLAIN", "LOGIN":
		sm.AuthMethod = strings.ToUpper(sm.AuthMethod)
	default:
		fail("smtp.authMethod", "validation_in_invalid", `Must be "PLAIN" or "LOGIN".`)
	}
	if sm.Enabled && (sm.Host == "" || strings.ContainsAny(sm.Host, " /\r\n")) {
		fail("smtp.host", "validation_required", "Must be a host name or address.")
	}
	if sm.Enabled && (sm.Port < 1 || sm.Port > 65535) {
		fail("smtp.port", "validation_out_of_range", "Must be between 1 and 65535.")
	}
	for i, o := range s.CORS.Origins {
		if _, err := ParseOrigins([]string{o}); err != nil {
			fail(fmt.Sprintf("cors.origins.%d", i), "validation_invalid_origin", err.Error())
		}
	}
	for i, p := range s.TrustedProxy.Proxies {
		if _, err := parseRange(p); err != nil {
			fail(fmt.Sprintf("trustedProxy.proxies.%d", i), "validation_invalid_proxy", err.Error())
		}
	}
	tp := &s.TrustedProxy
	if tp.Header = strings.TrimSpace(tp.Header); tp.Header == "" {
		tp.Header = DefaultProxyHeader
	} else if !headerNameRe.MatchString(tp.Header) {
		fail("trustedProxy.header", "validation_invalid_header", `Must be a header name such as "X-Forwarded-For" or "X-Real-IP".`)
	}
	s.Batch.validate(fail)
	s.Backups.validate(fail)
	s.Logs.validate(fail)
	s.Audit.validate(fail)
	s.Metrics.validate(fail)
	s.S3.validate("s3", fail)
	validatePlugins(s.Plugins, fail)
	seen := map[string]int{}
	for i, r := range s.RateLimits.Rules {
		key := fmt.Sprintf("rateLimits.rules.%d", i)
		if msg := checkRateLimitLabel(r.Label); msg != "" {
			fail(key+".label", "validation_invalid_label", msg)
		}
		switch r.Audience {
		case "", AudienceGuest, AudienceAuth:
		default:
			fail(key+".audience", "validation_in_invalid", `Must be "", "@guest" or "@auth".`)
		}
		if r.Duration < 1 || r.Duration > 86400 {
			fail(key+".duration", "validation_out_of_range", "Must be between 1 and 86400 seconds.")
		}
		if r.MaxRequests < 1 {
			fail(key+".maxRequests", "validation_out_of_range", "Must be at least 1.")
		}
		id := r.Label + "\x00" + r.Audience
		if j, dup := seen[id]; dup {
			fail(key+".label", "validation_duplicated_rule", fmt.Sprintf("Same label and audience as rule %d.", j))
		}
		seen[id] = i
	}
	if len(errs) > 0 {
		return collections.Invalid("An error occurred while validating the submitted data.", errs)
	}
	return nil
}

// rateLimitActions are the actions a rate limit tag may name: PocketBase's
// names for the record endpoints and for those of auth collections, sorted.
var rateLimitActions = []string{
	"auth", "authRefresh", "authWithOAuth2", "authWithOTP", "authWithPassword",
	"confirmEmailChange", "confirmPasswordReset", "confirmVerification",
	"create", "delete", "file", "list", "listAuthMethods",
	"requestEmailChange", "requestOTP", "requestPasswordReset", "requestVerification",
	"update", "view",
}

// RateLimitActions returns the actions a rate limit tag
// ("<collection>:<action>", "*:<action>") may name, sorted.
func RateLimitActions() []string { return slices.Clone(rateLimitActions) }

var (
	tagLabelRe  = regexp.MustCompile(`^(\*|[A-Za-z_][A-Za-z0-9_]*):([A-Za-z0-9]+)$`)
	pathLabelRe = regexp.MustCompile(`^(?:(GET|POST|PUT|PATCH|DELETE|HEAD|OPTIONS) )?/[^\s]*$`)
)

// checkRateLimitLabel returns why a label is malformed, or "".
func checkRateLimitLabel(label string) string {
	if m := tagLabelRe.FindStringSubmatch(label); m != nil {
		if !slices.Contains(rateLimitActions, m[2]) {
			return "Unknown action \"" + m[2] + "\"."
		}
		return ""
	}
	if pathLabelRe.MatchString(label) {
		return ""
	}
	return `Must be "<collection>:<action>", "*:<action>" or a path such as "/api/" or "POST /api/batch".`
}
