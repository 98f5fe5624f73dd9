package jsvm

import (
	"maps"
	"slices"
	"strings"
	"testing"
)

func TestFiberPath(t *testing.T) {
	for _, c := range []struct{ in, want, err string }{
		{"/api/hello/{name}", "/hello/:name", ""},
		{"/api/files/{collection}/{path...}", "/files/:collection/*", ""},
		{"/api/exact/{$}", "/exact/", ""},
		{"/api/plain", "/plain", ""},
		{"/hello", "", "outside /api"},
		{"/api", "", "outside /api"},
		{"/api/bad/{1x}", "", "parameter"},
	} {
		got, err := fiberPath(c.in)
		if c.err != "" {
			if err == nil || !strings.Contains(err.Error(), c.err) {
				t.Errorf("fiberPath(%q): %q %v, want an error with %q", c.in, got, err, c.err)
			}
			continue
		}
		if err != nil || got != c.want {
			t.Errorf("fiberPath(%q) = %q %v, want %q", c.in, got, err, c.want)
		}
	}
	if got := wildcardName("/api/files/{collection}/{path...}"); got != "path" {
		t.Errorf("wildcardName: %q", got)
	}
}

func TestLiteral(t *testing.T) {
	for _, c := range []struct {
		in   any
		want string
		err  bool
	}{
		{"plain", "'plain'", false},
		{"it's", `'it\'s'`, false},
		{`a\b`, `'a\b'`, false},
		{`ends\`, "", true},
		{12.5, "12.5", false},
		{true, "true", false},
		{nil, "null", false},
		{map[string]any{}, "", true},
	} {
		got, err := literal(c.in)
		if (err != nil) != c.err || got != c.want {
			t.Errorf("literal(%#v) = %q %v, want %q (error %v)", c.in, got, err, c.want, c.err)
		}
	}
}

// Every hook name a script may bind has its binder, and no supported
// hook is also listed as unsupported.
func TestHookNames(t *testing.T) {
	if !slices.Equal(slices.Sorted(maps.Keys(hookBinders)), slices.Sorted(slices.Values(hookNames))) {
		t.Errorf("hookNames %v and hookBinders disagree", hookNames)
	}
	for _, n := range unsupportedHooks {
		if _, ok := hookBinders[n]; ok {
			t.Errorf("%s is both supported and not", n)
		}
	}
}

// Every hook name scripts may bind has a binder, and every binder a name.
func TestHookNamesHaveBinders(t *testing.T) {
	for _, name := range hookNames {
		if hookBinders[name] == nil {
			t.Errorf("%s has no binder", name)
		}
	}
	for name := range hookBinders {
		if !slices.Contains(hookNames, name) {
			t.Errorf("%s is not in hookNames", name)
		}
	}
}
