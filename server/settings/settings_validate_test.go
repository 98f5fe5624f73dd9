package settings_test

import (
	"errors"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/lumbunghq/lumbung/collections"
	"github.com/lumbunghq/lumbung/server/settings"
)

// TestValidate: each invalid value is one field error, keyed by its JSON
// path, in the one EINVALID error the API answers with.
func TestValidate(t *testing.T) {
	t.Parallel()
	rule := func(label, audience string) settings.RateLimitRule {
		return settings.RateLimitRule{Label: label, Audience: audience, Duration: 10, MaxRequests: 5}
	}
	cases := []struct {
		name   string
		change func(*settings.Settings)
		want   map[string]string // field -> code; empty: valid
	}{
		{"the defaults", func(*settings.Settings) {}, nil},
		{"blank app name", func(s *settings.Settings) { s.Meta.AppName = "  " }, map[string]string{"meta.appName": "validation_required"}},
		{"long app name", func(s *settings.Settings) { s.Meta.AppName = strings.Repeat("a", 256) }, map[string]string{"meta.appName": "validation_required"}},
		{"app URL not http", func(s *settings.Settings) { s.Meta.AppURL = "ftp://x" }, map[string]string{"meta.appURL": "validation_is_url"}},
		{"app URL without host", func(s *settings.Settings) { s.Meta.AppURL = "https://" }, map[string]string{"meta.appURL": "validation_is_url"}},
		{"sender name on two lines", func(s *settings.Settings) { s.Meta.SenderName = "a\r\nBcc: x@example.com" },
			map[string]string{"meta.senderName": "validation_invalid_value"}},
		{"sender address with a name", func(s *settings.Settings) { s.Meta.SenderAddress = "Support <s@example.com>" },
			map[string]string{"meta.senderAddress": "validation_is_email"}},
		{"sender address", func(s *settings.Settings) { s.Meta.SenderAddress = "nope" }, map[string]string{"meta.senderAddress": "validation_is_email"}},
		{"TLS mode", func(s *settings.Settings) { s.SMTP.TLSMode = "ssl" }, map[string]string{"smtp.tlsMode": "validation_in_invalid"}},
		{"auth method", func(s *settings.Settings) { s.SMTP.AuthMethod = "CRAM-MD5" }, map[string]string{"smtp.authMethod": "validation_in_invalid"}},
		{"mail off: host and port unchecked", func(s *settings.Settings) { s.SMTP.Host, s.SMTP.Port = "", 0 }, nil},
		{"mail on without host or port", func(s *settings.Settings) { s.SMTP.Enabled, s.SMTP.Host, s.SMTP.Port = true, "", 0 },
			map[string]string{"smtp.host": "validation_required", "smtp.port": "validation_out_of_range"}},
		{"mail on with a URL for host", func(s *settings.Settings) { s.SMTP.Enabled, s.SMTP.Host = true, "smtp://mail" },
			map[string]string{"smtp.host": "validation_required"}},
		{"port too large", func(s *settings.Settings) { s.SMTP.Enabled, s.SMTP.Host, s.SMTP.Port = true, "mail", 65536 },
			map[string]string{"smtp.port": "validation_out_of_range"}},
		{"origin with a path", func(s *settings.Settings) { s.CORS.Origins = []string{"*", "https://x.example.com/path"} },
			map[string]string{"cors.origins.1": "validation_invalid_origin"}},
		{"origin patterns", func(s *settings.Settings) { s.CORS.Origins = []string{"https://*.example.com", "http://localhost:*"} }, nil},
		{"proxy host name", func(s *settings.Settings) { s.TrustedProxy.Proxies = []string{"10.0.0.0/8", "proxy.local"} },
			map[string]string{"trustedProxy.proxies.1": "validation_invalid_proxy"}},
		{"proxy range", func(s *settings.Settings) { s.TrustedProxy.Proxies = []string{"10.0.0.0/33"} },
			map[string]string{"trustedProxy.proxies.0": "validation_invalid_proxy"}},
		{"proxy header", func(s *settings.Settings) { s.TrustedProxy.Header = "X Real IP" },
			map[string]string{"trustedProxy.header": "validation_invalid_header"}},
		{"enabled batches need limits", func(s *settings.Settings) { s.Batch = settings.Batch{Enabled: true, MaxBodySize: -1} },
			map[string]string{"batch.maxRequests": "validation_required", "batch.timeout": "validation_required",
				"batch.maxBodySize": "validation_min_greater_equal_than_required"}},
		{"disabled batches need none", func(s *settings.Settings) { s.Batch = settings.Batch{} }, nil},
		{"negative limits of disabled batches", func(s *settings.Settings) { s.Batch = settings.Batch{MaxRequests: -1, Timeout: -1} },
			map[string]string{"batch.maxRequests": "validation_min_greater_equal_than_required", "batch.timeout": "validation_min_greater_equal_than_required"}},
		{"rule labels", func(s *settings.Settings) {
			s.RateLimits.Rules = []settings.RateLimitRule{rule("users:authWithPassword", ""), rule("*:create", "@auth"),
				rule("/api/", ""), rule("POST /api/batch", "@guest")}
		}, nil},
		{"unknown action", func(s *settings.Settings) { s.RateLimits.Rules = []settings.RateLimitRule{rule("users:nope", "")} },
			map[string]string{"rateLimits.rules.0.label": "validation_invalid_label"}},
		{"not a label", func(s *settings.Settings) { s.RateLimits.Rules = []settings.RateLimitRule{rule("FETCH /api/", "")} },
			map[string]string{"rateLimits.rules.0.label": "validation_invalid_label"}},
		{"audience", func(s *settings.Settings) { s.RateLimits.Rules = []settings.RateLimitRule{rule("/api/", "@x")} },
			map[string]string{"rateLimits.rules.0.audience": "validation_in_invalid"}},
		{"duration and count", func(s *settings.Settings) {
			s.RateLimits.Rules = []settings.RateLimitRule{{Label: "/api/", Duration: 0, MaxRequests: 0}, {Label: "/api/x", Duration: 86401, MaxRequests: 1}}
		}, map[string]string{"rateLimits.rules.0.duration": "validation_out_of_range", "rateLimits.rules.0.maxRequests": "validation_out_of_range",
			"rateLimits.rules.1.duration": "validation_out_of_range"}},
		{"same label for two audiences", func(s *settings.Settings) {
			s.RateLimits.Rules = []settings.RateLimitRule{rule("/api/", ""), rule("/api/", "@guest"), rule("/api/", "@auth")}
		}, nil},
		{"the same rule twice", func(s *settings.Settings) {
			s.RateLimits.Rules = []settings.RateLimitRule{rule("/api/", "@guest"), rule("/api/x", ""), rule("/api/", "@guest")}
		}, map[string]string{"rateLimits.rules.2.label": "validation_duplicated_rule"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			s := settings.Defaults("https://app.test")
			c.change(&s)
			err := s.Validate()
			if len(c.want) == 0 {
				if err != nil {
					t.Fatalf("invalid: %v", err)
				}
				return
			}
			var e *collections.Error
			if !errors.As(err, &e) || e.Code != collections.EINVALID || e.Message != "An error occurred while validating the submitted data." {
				t.Fatalf("error %#v, want EINVALID", err)
			}
			got := map[string]string{}
			for k, fe := range e.Data {
				if fe.Message == "" {
					t.Errorf("%s: no message", k)
				}
				got[k] = fe.Code
			}
			if !reflect.DeepEqual(got, c.want) {
				t.Errorf("field errors %v, want %v", got, c.want)
			}
		})
	}
}

// TestValidateNormalizes: Validate trims and fills in what has one
// obvious meaning.
func TestValidateNormalizes(t *testing.T) {
	t.Parallel()
	s := settings.Defaults("https://app.test")
	s.Meta.AppName, s.Meta.AppURL = "  Acme ", " https://acme.test/ "
	s.SMTP.Host, s.SMTP.TLSMode, s.SMTP.AuthMethod = " mail.acme.test ", "", "login"
	s.TrustedProxy.Header = "  "
	if err := s.Validate(); err != nil {
		t.Fatal(err)
	}
	want := settings.Defaults("https://acme.test")
	want.Meta.AppName = "Acme"
	want.SMTP.Host, want.SMTP.TLSMode, want.SMTP.AuthMethod = "mail.acme.test", "starttls", "LOGIN"
	if !reflect.DeepEqual(s, want) {
		t.Errorf("normalized to\n%+v\nwant\n%+v", s, want)
	}
	s.TrustedProxy.Header = " X-Real-IP "
	if err := s.Validate(); err != nil || s.TrustedProxy.Header != "X-Real-IP" {
		t.Errorf("header %q, %v", s.TrustedProxy.Header, err)
	}
}

func TestRateLimitActions(t *testing.T) {
	t.Parallel()
	actions := settings.RateLimitActions()
	if !slices.IsSorted(actions) || len(slices.Compact(slices.Clone(actions))) != len(actions) {
		t.Fatalf("not sorted or repeated: %v", actions)
	}
	for _, a := range []string{"auth", "authWithPassword", "list", "create", "requestPasswordReset"} {
		if !slices.Contains(actions, a) {
			t.Errorf("%s missing", a)
		}
	}
	actions[0] = "changed"
	if settings.RateLimitActions()[0] == "changed" {
		t.Error("the list is shared with callers")
	}
}
