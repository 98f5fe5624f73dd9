package settings_test

import (
	"net/netip"
	"testing"

	"github.com/lumbunghq/lumbung/server/settings"
)

func TestProxiesClient(t *testing.T) {
	t.Parallel()
	trusted := []string{"10.0.0.0/8", "192.0.2.1", "fd00::/8"}
	cases := []struct {
		name    string
		proxies []string
		remote  string
		header  []string
		want    string
	}{
		{"no proxies: headers ignored", nil, "10.0.0.1", []string{"203.0.113.7"}, "10.0.0.1"},
		{"untrusted sender: headers ignored", trusted, "198.51.100.9", []string{"203.0.113.7"}, "198.51.100.9"},
		{"trusted proxy", trusted, "10.0.0.1", []string{"203.0.113.7"}, "203.0.113.7"},
		{"a single trusted address", trusted, "192.0.2.1", []string{"203.0.113.7"}, "203.0.113.7"},
		{"a neighbour of a trusted address is not trusted", trusted, "192.0.2.2", []string{"203.0.113.7"}, "192.0.2.2"},
		{"what the client wrote is left of what the proxy saw", trusted, "10.0.0.1", []string{"6.6.6.6, 203.0.113.7"}, "203.0.113.7"},
		{"a chain of trusted proxies", trusted, "10.0.0.1", []string{"6.6.6.6, 203.0.113.7, 10.0.0.2, 192.0.2.1"}, "203.0.113.7"},
		{"several header lines are one list", trusted, "10.0.0.1", []string{"6.6.6.6", "203.0.113.7, 10.0.0.2"}, "203.0.113.7"},
		{"all trusted: the left-most", trusted, "10.0.0.1", []string{"10.0.0.3, 10.0.0.2"}, "10.0.0.3"},
		{"garbage from the client is skipped over by the proxy's entry", trusted, "10.0.0.1", []string{"nonsense, 203.0.113.7"}, "203.0.113.7"},
		{"garbage next to the proxy: the last trusted hop", trusted, "10.0.0.1", []string{"203.0.113.7, 10.0.0.2, nonsense"}, "10.0.0.1"},
		{"garbage after a trusted hop", trusted, "10.0.0.1", []string{"nonsense, 10.0.0.2"}, "10.0.0.2"},
		{"no header", trusted, "10.0.0.1", nil, "10.0.0.1"},
		{"empty entries", trusted, "10.0.0.1", []string{"203.0.113.7,, "}, "203.0.113.7"},
		{"with a port", trusted, "10.0.0.1", []string{"203.0.113.7:5678"}, "203.0.113.7"},
		{"IPv6 with a port", trusted, "10.0.0.1", []string{"[2001:db8::1]:443"}, "2001:db8::1"},
		{"IPv6 proxy", trusted, "fd00::5", []string{"2001:db8::1"}, "2001:db8::1"},
		{"IPv4 in IPv6 form", trusted, "::ffff:10.0.0.1", []string{"::ffff:203.0.113.7"}, "203.0.113.7"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			p, err := settings.ParseProxies(settings.TrustedProxy{Proxies: c.proxies})
			if err != nil {
				t.Fatal(err)
			}
			var header [][]byte
			for _, h := range c.header {
				header = append(header, []byte(h))
			}
			if got := p.Client(netip.MustParseAddr(c.remote), header).String(); got != c.want {
				t.Fatalf("client %s, want %s", got, c.want)
			}
		})
	}
	for _, bad := range []string{"10.0.0.0/33", "nope", "10.0.0.1/", "::ffff:10.0.0.0/104"} {
		if _, err := settings.ParseProxies(settings.TrustedProxy{Proxies: []string{bad}}); err == nil {
			t.Errorf("%q parsed", bad)
		}
	}
}

func TestProxiesHeader(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name string
		in   settings.TrustedProxy
		want string
	}{
		{"no proxies: no header to read", settings.TrustedProxy{Header: "X-Real-IP"}, ""},
		{"the default header", settings.TrustedProxy{Proxies: []string{"10.0.0.1"}}, settings.DefaultProxyHeader},
		{"the configured header", settings.TrustedProxy{Proxies: []string{"10.0.0.1"}, Header: "X-Real-IP"}, "X-Real-IP"},
	}
	for _, c := range cases {
		p, err := settings.ParseProxies(c.in)
		if err != nil {
			t.Fatal(err)
		}
		if got := p.Header(); got != c.want {
			t.Errorf("%s: header %q, want %q", c.name, got, c.want)
		}
	}
	if got := (*settings.Proxies)(nil).Header(); got != "" {
		t.Errorf("nil proxies: header %q", got)
	}
}
