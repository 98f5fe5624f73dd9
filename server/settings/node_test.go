package settings_test

import (
	"reflect"
	"strings"
	"testing"

	"github.com/lumbunghq/lumbung/server/settings"
)

func TestNode(t *testing.T) {
	t.Parallel()
	stored := settings.Defaults("https://app.test")
	stored.CORS.Origins = []string{"https://stored.test"}
	stored.TrustedProxy = settings.TrustedProxy{Proxies: []string{"10.0.0.1"}, Header: "X-Real-IP"}
	cases := []struct {
		name    string
		node    settings.Node
		bad     string // the flag Check names; "" when valid
		flags   map[string]string
		origins []string
		proxy   settings.TrustedProxy
	}{
		{"no flags", settings.Node{}, "", map[string]string{}, stored.CORS.Origins, stored.TrustedProxy},
		{"origins", settings.Node{Origins: []string{"https://flag.test"}}, "",
			map[string]string{"cors.origins": "--origins"}, []string{"https://flag.test"}, stored.TrustedProxy},
		{"proxies and header", settings.Node{TrustedProxies: []string{"192.0.2.0/24"}, ProxyHeader: "CF-Connecting-IP"}, "",
			map[string]string{"trustedProxy.proxies": "--trusted-proxies", "trustedProxy.header": "--proxy-header"},
			stored.CORS.Origins, settings.TrustedProxy{Proxies: []string{"192.0.2.0/24"}, Header: "CF-Connecting-IP"}},
		{"header alone", settings.Node{ProxyHeader: "X-Forwarded-For"}, "",
			map[string]string{"trustedProxy.header": "--proxy-header"},
			stored.CORS.Origins, settings.TrustedProxy{Proxies: []string{"10.0.0.1"}, Header: "X-Forwarded-For"}},
		{"bad origin", settings.Node{Origins: []string{"https://x.example.com/path"}}, "--origins", nil, nil, settings.TrustedProxy{}},
		{"bad proxy", settings.Node{TrustedProxies: []string{"10.0.0.0/40"}}, "--trusted-proxies", nil, nil, settings.TrustedProxy{}},
		{"bad header", settings.Node{ProxyHeader: "X Real IP"}, "--proxy-header", nil, nil, settings.TrustedProxy{}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			err := c.node.Check()
			if c.bad != "" {
				if err == nil || !strings.HasPrefix(err.Error(), c.bad+": ") {
					t.Fatalf("Check: %v, want an error naming %s", err, c.bad)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got := c.node.Flags(); !reflect.DeepEqual(got, c.flags) {
				t.Errorf("flags %v, want %v", got, c.flags)
			}
			got := c.node.Apply(stored)
			if !reflect.DeepEqual(got.CORS.Origins, c.origins) || !reflect.DeepEqual(got.TrustedProxy, c.proxy) {
				t.Errorf("applied: origins %v, proxy %+v", got.CORS.Origins, got.TrustedProxy)
			}
			if got.Meta != stored.Meta || !reflect.DeepEqual(got.RateLimits, stored.RateLimits) {
				t.Error("Apply changed settings no flag fixes")
			}
		})
	}
}
