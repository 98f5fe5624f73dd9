package filter

import (
	"slices"
	"testing"
)

func TestIndexedFields(t *testing.T) {
	cases := map[string][]string{
		"status = 'open'": {"status"},
		"'open' = status && n > 2 || (n <= @now && a >= 1)":  {"status", "n", "a"},
		"a != 1 && b ~ 'x' && c ?= 1 && d:lower = 'x'":       nil,
		"author.name = 'x' && owner = @request.auth.id":      {"owner"},
		"a = b && strftime('%Y', created) = '2024' && x < 2": {"x"},
	}
	for src, want := range cases {
		e, err := Parse(src)
		if err != nil {
			t.Fatalf("%s: %v", src, err)
		}
		if got := IndexedFields(e); !slices.Equal(got, want) {
			t.Errorf("%s: got %q, want %q", src, got, want)
		}
	}
	if got := SortFields("-created, +title,author.name,@random,, n"); !slices.Equal(got, []string{"created", "title", "n"}) {
		t.Errorf("sort fields %q", got)
	}
}
