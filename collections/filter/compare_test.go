package filter

import (
	"context"
	"testing"
)

// TestLikeMatchesPostgres checks the in-memory LIKE against PostgreSQL's
// ILIKE on the patterns the compiler produces.
func TestLikeMatchesPostgres(t *testing.T) {
	conn := mustSeededDB(t, newSchema(t))
	texts := []string{"", "a", "abc", "ABC", "a_c", "a%c", `a\c`, "aXc", "abcabc", "café", "CAFÉ", "naïve", "50% off", "%", "_", `\`, "💡 idea"}
	values := []string{"", "a", "B", "a_c", "%", "a%", "%c", "a%c", "_", "a_", `\`, `a\%c`, `a\_c`, `%\`, `%\\%`, "%%", "abc%abc", "é", "💡", "%💡%", "_dea", "% off"}
	for _, v := range values {
		for _, pattern := range []string{likePattern(v), likePatternOf(v, false)} {
			for _, s := range texts {
				var want bool
				if err := conn.QueryRow(context.Background(), "SELECT $1::text ILIKE $2::text", s, pattern).Scan(&want); err != nil {
					t.Fatalf("%q ILIKE %q: %v", s, pattern, err)
				}
				if got := likeMatch(s, pattern); got != want && isASCIIOrSameFold(s, pattern) {
					t.Errorf("likeMatch(%q, %q) = %v, PostgreSQL says %v", s, pattern, got, want)
				}
			}
		}
	}
}

// isASCIIOrSameFold skips pairs whose outcome depends on the database
// locale's case folding of non-ASCII letters.
func isASCIIOrSameFold(s, p string) bool {
	for _, r := range s + p {
		if r > 127 && r != '💡' {
			return false
		}
	}
	return true
}

func TestCompareDecimal(t *testing.T) {
	for _, c := range []struct {
		a, b string
		want int
		ok   bool
	}{
		{"1", "1.0", 0, true},
		{"0.1", "0.1", 0, true},
		{"0.1000000000000000000001", "0.1", 1, true},
		{"1e2", "100", 0, true},
		{"-0", "0", 0, true},
		{"-1.5", "-1", -1, true},
		{"1e400", "1e+308", 1, true},
		{"1e999999999", "1", 0, false},
		{"abc", "1", 0, false},
	} {
		got, ok := compareDecimal(c.a, c.b)
		if got != c.want || ok != c.ok {
			t.Errorf("compareDecimal(%s, %s) = %d, %v; want %d, %v", c.a, c.b, got, ok, c.want, c.ok)
		}
	}
}
