package command

import (
	"bytes"
	"strings"
	"testing"
)

// TestProxyAndCORSFlags: --origins, --trusted-proxies and --proxy-header
// (and their environment variables) reach the server, which refuses bad
// values before it starts anything.
func TestProxyAndCORSFlags(t *testing.T) {
	cases := []struct {
		name string
		args []string
		env  map[string]string
		want string
	}{
		{"origin with a path", []string{"serve", "--origins", "https://app.example.com, https://x.example.com/app"}, nil, `--origins: "https://x.example.com/app": an origin is a scheme and a host, with no path`},
		{"origins from the environment", []string{"serve"}, map[string]string{"LUMBUNG_ORIGINS": "app.example.com"}, `--origins: "app.example.com" is not an origin`},
		{"a proxy that is no address", []string{"serve", "--trusted-proxies", "10.0.0.0/8,lb.internal"}, nil, `--trusted-proxies: "lb.internal" is not an IP address or a CIDR range`},
		{"proxies from the environment", []string{"serve"}, map[string]string{"LUMBUNG_TRUSTED_PROXIES": "10.0.0.0/33"}, `--trusted-proxies: "10.0.0.0/33" is not a CIDR range`},
		{"a header that is no header", []string{"serve", "--trusted-proxies", "10.0.0.1", "--proxy-header", "X Real IP"}, nil, `--proxy-header: "X Real IP" is not a header name`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			for k, v := range c.env {
				t.Setenv(k, v)
			}
			var out, errs bytes.Buffer
			err := Run(append(c.args, "--dir", t.TempDir(), "--database-url", "postgres://nowhere.invalid/x"), &out, &errs)
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("error %v, want %q", err, c.want)
			}
		})
	}
	if got := list(" a, ,b,"); len(got) != 2 || got[0] != "a" || got[1] != "b" {
		t.Fatalf("list: %q", got)
	}
	if list("") != nil {
		t.Fatal("an empty flag sets nothing")
	}
}
