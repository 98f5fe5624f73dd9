package settings_test

import (
	"strings"
	"testing"

	"github.com/lumbunghq/lumbung/server/settings"
)

func TestOrigins(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name    string
		origins []string
		origin  string
		want    string
	}{
		{"any", []string{"*"}, "https://x.test", "*"},
		{"any among others", []string{"https://a.test", "*"}, "https://x.test", "*"},
		{"none", nil, "https://x.test", ""},
		{"exact", []string{"https://a.test"}, "https://a.test", "https://a.test"},
		{"exact, written in capitals", []string{" HTTPS://A.test "}, "https://a.test", "https://a.test"},
		{"another scheme", []string{"https://a.test"}, "http://a.test", ""},
		{"another port", []string{"https://a.test"}, "https://a.test:8443", ""},
		{"subdomain pattern", []string{"https://*.example.com"}, "https://app.example.com", "https://app.example.com"},
		{"a pattern is not a suffix match", []string{"https://*.example.com"}, "https://example.com.evil.test", ""},
		{"a pattern does not cross a path", []string{"https://*.example.com"}, "https://evil.test/.example.com", ""},
		{"port pattern", []string{"http://localhost:*"}, "http://localhost:5173", "http://localhost:5173"},
		{"one character", []string{"http://localhost:300?"}, "http://localhost:3001", "http://localhost:3001"},
		{"one character, not two", []string{"http://localhost:300?"}, "http://localhost:30011", ""},
		{"too long to match", []string{"https://*.example.com"}, "https://" + strings.Repeat("a", 300) + ".example.com", ""},
	}
	for _, c := range cases {
		o, err := settings.ParseOrigins(c.origins)
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		if got := o.Allow(c.origin); got != c.want {
			t.Errorf("%s: %q allowed as %q, want %q", c.name, c.origin, got, c.want)
		}
	}
	for _, bad := range []string{"https://x.example.com/path", "https://x.example.com/", "x.example.com", "https://x y"} {
		if _, err := settings.ParseOrigins([]string{"*", bad}); err == nil || !strings.Contains(err.Error(), bad) {
			t.Errorf("%q: %v, want an error naming it", bad, err)
		}
	}
	if got := (*settings.Origins)(nil).Allow("https://a.test"); got != "" {
		t.Errorf("nil origins allow %q", got)
	}
}
