package settings_test

import (
	"encoding/json"
	"errors"
	"net/netip"
	"reflect"
	"slices"
	"testing"

	"github.com/lumbunghq/lumbung/collections"
	"github.com/lumbunghq/lumbung/server/settings"
)

const goodToken = "s3cret-metrics-token"

// TestMetricsDefaults: disabled, no token, no addresses.
func TestMetricsDefaults(t *testing.T) {
	t.Parallel()
	b, err := json.Marshal(settings.Defaults("https://app.test").Metrics)
	if err != nil || string(b) != `{"enabled":false,"token":"","allowedAddresses":[]}` {
		t.Errorf("JSON %s, %v", b, err)
	}
}

// TestValidateMetrics: field errors keyed by JSON path, as the other
// sections report theirs.
func TestValidateMetrics(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name    string
		metrics settings.Metrics
		want    map[string]string // field -> code; empty: valid
	}{
		{"the defaults", settings.DefaultMetrics(), nil},
		{"a token", settings.Metrics{Enabled: true, Token: goodToken}, nil},
		{"addresses", settings.Metrics{Enabled: true, AllowedAddresses: []string{"10.0.0.0/8", "::1", "127.0.0.1"}}, nil},
		{"disabled with a token kept", settings.Metrics{Token: goodToken}, nil},
		{"enabled for nobody", settings.Metrics{Enabled: true}, map[string]string{"metrics.token": "validation_required"}},
		{"a short token", settings.Metrics{Enabled: true, Token: "short"}, map[string]string{"metrics.token": "validation_invalid_token"}},
		{"a token with a space", settings.Metrics{Token: "a token with spaces in it"}, map[string]string{"metrics.token": "validation_invalid_token"}},
		{"a token with a newline", settings.Metrics{Token: goodToken + "\n"}, map[string]string{"metrics.token": "validation_invalid_token"}},
		{"bad addresses", settings.Metrics{Enabled: true, AllowedAddresses: []string{"10.0.0.1", "nope", "10.0.0.0/99"}},
			map[string]string{"metrics.allowedAddresses.1": "validation_invalid_address", "metrics.allowedAddresses.2": "validation_invalid_address"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			s := settings.Defaults("https://app.test")
			s.Metrics = c.metrics
			err := s.Validate()
			if len(c.want) == 0 {
				if err != nil {
					t.Fatalf("invalid: %v", err)
				}
				return
			}
			var e *collections.Error
			if !errors.As(err, &e) || e.Code != collections.EINVALID {
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

// TestMergeMetrics: a PATCH of one key keeps the others, and a new list
// replaces the old without writing into it.
func TestMergeMetrics(t *testing.T) {
	t.Parallel()
	base := settings.Defaults("https://app.test")
	base.Metrics = settings.Metrics{Token: goodToken, AllowedAddresses: []string{"10.0.0.1", "10.0.0.2"}}
	got, err := settings.Merge(base, []byte(`{"metrics": {"enabled": true, "allowedAddresses": ["192.168.0.0/16"]}}`))
	if err != nil {
		t.Fatal(err)
	}
	want := settings.Metrics{Enabled: true, Token: goodToken, AllowedAddresses: []string{"192.168.0.0/16"}}
	if !reflect.DeepEqual(got.Metrics, want) {
		t.Errorf("merged %+v, want %+v", got.Metrics, want)
	}
	if !slices.Equal(base.Metrics.AllowedAddresses, []string{"10.0.0.1", "10.0.0.2"}) {
		t.Errorf("base changed to %v", base.Metrics.AllowedAddresses)
	}
}

// TestMetricsAuthorized: the right bearer token or an allowed address,
// and only while enabled.
func TestMetricsAuthorized(t *testing.T) {
	t.Parallel()
	on := settings.Metrics{Enabled: true, Token: goodToken, AllowedAddresses: []string{"10.1.0.0/16", "::1"}}
	off := on
	off.Enabled = false
	outside, inside := netip.MustParseAddr("203.0.113.9"), netip.MustParseAddr("10.1.2.3")
	cases := []struct {
		name    string
		m       settings.Metrics
		addr    netip.Addr
		header  string
		allowed bool
	}{
		{"the token", on, outside, "Bearer " + goodToken, true},
		{"the scheme in another case", on, outside, "bearer " + goodToken, true},
		{"no header", on, outside, "", false},
		{"a wrong token", on, outside, "Bearer " + goodToken + "x", false},
		{"a prefix of the token", on, outside, "Bearer " + goodToken[:10], false},
		{"the token as Basic", on, outside, "Basic " + goodToken, false},
		{"an allowed range", on, inside, "", true},
		{"an allowed address", on, netip.MustParseAddr("::1"), "", true},
		{"an allowed IPv4 address mapped in IPv6", on, netip.MustParseAddr("::ffff:10.1.9.9"), "", true},
		{"disabled with the token", off, outside, "Bearer " + goodToken, false},
		{"disabled from an allowed address", off, inside, "", false},
		{"no token set: an empty bearer", settings.Metrics{Enabled: true, AllowedAddresses: []string{"::1"}}, outside, "Bearer ", false},
	}
	for _, c := range cases {
		if got := c.m.Authorized(c.addr, c.header); got != c.allowed {
			t.Errorf("%s: %v, want %v", c.name, got, c.allowed)
		}
	}
}
