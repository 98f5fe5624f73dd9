package settings_test

import (
	"reflect"
	"testing"

	"github.com/lumbunghq/lumbung/server/settings"
)

func TestDefaults(t *testing.T) {
	t.Parallel()
	if got := settings.Defaults("").Meta.AppURL; got != "http://127.0.0.1:8090" {
		t.Errorf("default app URL %q", got)
	}
	d := settings.Defaults("https://app.test")
	if d.Meta.AppURL != "https://app.test" {
		t.Errorf("app URL %q", d.Meta.AppURL)
	}
	if err := d.Validate(); err != nil {
		t.Fatalf("the defaults do not validate: %v", err)
	}
	if d.SMTP.Enabled || !d.RateLimits.Enabled || !d.Batch.Enabled || d.TrustedProxy.Header != "X-Forwarded-For" ||
		!reflect.DeepEqual(d.CORS.Origins, []string{"*"}) || d.TrustedProxy.Proxies == nil {
		t.Errorf("defaults %+v", d)
	}
}

func TestMerge(t *testing.T) {
	t.Parallel()
	base := func() settings.Settings {
		s := settings.Defaults("https://app.test")
		s.RateLimits.Rules = []settings.RateLimitRule{{Label: "*:auth", Audience: settings.AudienceGuest, Duration: 10, MaxRequests: 20}}
		s.CORS.Origins = []string{"https://a.test", "https://b.test"}
		return s
	}
	cases := []struct {
		name string
		raw  string
		want func(*settings.Settings) // changes to base; nil: an error
	}{
		{"nothing", `{}`, func(*settings.Settings) {}},
		{"one value", `{"meta": {"appName": "Granary"}}`, func(s *settings.Settings) { s.Meta.AppName = "Granary" }},
		{"unknown keys are ignored", `{"nope": 1, "meta": {"nope": 2}}`, func(*settings.Settings) {}},
		{"rules are replaced, not merged by position", `{"rateLimits": {"rules": [{"label": "/api/", "duration": 1, "maxRequests": 1}]}}`,
			func(s *settings.Settings) {
				s.RateLimits.Rules = []settings.RateLimitRule{{Label: "/api/", Duration: 1, MaxRequests: 1}}
			}},
		{"rules emptied", `{"rateLimits": {"rules": []}}`, func(s *settings.Settings) { s.RateLimits.Rules = []settings.RateLimitRule{} }},
		{"rules kept when only enabled is sent", `{"rateLimits": {"enabled": false}}`, func(s *settings.Settings) { s.RateLimits.Enabled = false }},
		{"a shorter list of origins", `{"cors": {"origins": ["https://c.test"]}}`, func(s *settings.Settings) { s.CORS.Origins = []string{"https://c.test"} }},
		{"null lists are empty", `{"cors": {"origins": null}, "trustedProxy": {"proxies": null}}`, func(s *settings.Settings) {
			s.CORS.Origins, s.TrustedProxy.Proxies = []string{}, []string{}
		}},
		{"malformed", `{"meta": `, nil},
		{"a wrong type", `{"smtp": {"port": "25"}}`, nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			b := base()
			got, err := settings.Merge(b, []byte(c.raw))
			if c.want == nil {
				if err == nil {
					t.Fatalf("merged: %+v", got)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			want := base()
			c.want(&want)
			if !reflect.DeepEqual(got, want) {
				t.Errorf("merged\n%+v\nwant\n%+v", got, want)
			}
			if !reflect.DeepEqual(b, base()) {
				t.Errorf("base changed to %+v", b)
			}
		})
	}
}
