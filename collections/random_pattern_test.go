package collections

import (
	"regexp"
	"testing"
)

func mustRegexp(tb testing.TB, s string) *regexp.Regexp {
	tb.Helper()
	re, err := regexp.Compile(s)
	if err != nil {
		tb.Fatal(err)
	}
	return re
}

// TestRandomByPattern: generated values match their pattern.
func TestRandomByPattern(t *testing.T) {
	for _, p := range []string{"[a-z0-9]{15}", "users[0-9]{6}", "ORD-[0-9]{4}-[A-F]{2}", "(red|green|blue)_[a-z]+", "[a-zA-Z9-9]{20}", "x?y*z+"} {
		re := mustRegexp(t, "^(?:"+p+")$")
		for range 20 {
			v, err := RandomByPattern(p)
			if err != nil || !re.MatchString(v) {
				t.Fatalf("%s: %q (%v)", p, v, err)
			}
		}
	}
	if _, err := RandomByPattern("^a$"); err == nil {
		t.Error("anchors cannot be generated")
	}
}
