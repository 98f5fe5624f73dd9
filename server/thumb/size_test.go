package thumb

import (
	"errors"
	"math/rand/v2"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

func TestParse(t *testing.T) {
	for _, tc := range []struct {
		spec string
		want Size // zero: refused
	}{
		{"100x100", Size{100, 100, Center}},
		{"300x100t", Size{300, 100, Top}},
		{"300x100b", Size{300, 100, Bottom}},
		{"300x100f", Size{300, 100, Fit}},
		{"0x100", Size{0, 100, Center}},
		{"300x0", Size{300, 0, Center}},
		{"0x100t", Size{0, 100, Top}}, // PocketBase accepts it; the mode is ignored
		{"1x1", Size{1, 1, Center}},
		{"8192x8192f", Size{8192, 8192, Fit}},
		{"0100x010", Size{100, 10, Center}},
		{"0x0", Size{}},
		{"0x0t", Size{}},
		{"0x0b", Size{}},
		{"0x0f", Size{}},
		{"00x000", Size{}},
		{"8193x1", Size{}},
		{"1x8193", Size{}},
		{"99999999999999999999999x1", Size{}},
		{"", Size{}},
		{"x", Size{}},
		{"100", Size{}},
		{"100x", Size{}},
		{"x100", Size{}},
		{"100X100", Size{}},
		{"100x100c", Size{}},
		{"100x100ft", Size{}},
		{"100x100T", Size{}},
		{" 100x100", Size{}},
		{"100x100 ", Size{}},
		{"100x100\n", Size{}},
		{"-1x100", Size{}},
		{"+1x100", Size{}},
		{"1.5x100", Size{}},
		{"100x100x100", Size{}},
		{"١٠٠x100", Size{}}, // Arabic-Indic digits are not \d in Go's regexp
	} {
		got, err := Parse(tc.spec)
		if tc.want == (Size{}) {
			if err == nil || !errors.Is(err, ErrInvalidSize) {
				t.Errorf("Parse(%q) = %v, %v; want ErrInvalidSize", tc.spec, got, err)
			}
			continue
		}
		if err != nil || got != tc.want {
			t.Errorf("Parse(%q) = %v, %v; want %v", tc.spec, got, err, tc.want)
		}
	}
}

// TestParseProperty checks Parse on generated specs against PocketBase's
// rule (its ThumbSizeRegex, both sides not 0) with the MaxSide bound, and
// that every accepted spec round-trips through String.
func TestParseProperty(t *testing.T) {
	pbRegex := regexp.MustCompile(`^(\d+)x(\d+)(t|b|f)?$`)
	leadingZero := regexp.MustCompile(`(^|x)0\d`)
	rng := rand.New(rand.NewPCG(1, 2))
	pieces := []string{"0", "1", "5", "9", "00", "100", "8192", "8193", "x", "x", "t", "b", "f", "X", " ", "-", "T", "c", "10000000000000000000000"}
	accepted := 0
	for i := range 20000 {
		var b strings.Builder
		if i%2 == 0 { // mostly well-formed: digits x digits [mode]
			b.WriteString(strconv.Itoa(rng.IntN(10000)))
			b.WriteString("x")
			b.WriteString(strconv.Itoa(rng.IntN(10000)))
			b.WriteString([]string{"", "", "t", "b", "f", "q"}[rng.IntN(6)])
		} else {
			for range rng.IntN(6) {
				b.WriteString(pieces[rng.IntN(len(pieces))])
			}
		}
		spec := b.String()

		m := pbRegex.FindStringSubmatch(spec)
		want := false
		if m != nil {
			w, errW := strconv.Atoi(m[1])
			h, errH := strconv.Atoi(m[2])
			want = errW == nil && errH == nil && w <= MaxSide && h <= MaxSide && (w != 0 || h != 0)
		}
		s, err := Parse(spec)
		if (err == nil) != want {
			t.Fatalf("Parse(%q) error = %v; want accepted = %v", spec, err, want)
		}
		if err != nil {
			continue
		}
		accepted++
		again, err := Parse(s.String())
		if err != nil || again != s {
			t.Fatalf("Parse(%q) = %v, but Parse(%q) = %v, %v", spec, s, s.String(), again, err)
		}
		if !leadingZero.MatchString(spec) && s.String() != spec {
			t.Fatalf("Parse(%q).String() = %q", spec, s.String())
		}
	}
	if accepted < 1000 {
		t.Fatalf("only %d generated specs were accepted; the generator is off", accepted)
	}
}

func TestSizeString(t *testing.T) {
	for s, want := range map[Size]string{
		{100, 100, Center}: "100x100",
		{0, 50, Center}:    "0x50",
		{50, 0, Fit}:       "50x0f",
		{30, 20, Top}:      "30x20t",
		{30, 20, Bottom}:   "30x20b",
	} {
		if got := s.String(); got != want {
			t.Errorf("%#v.String() = %q; want %q", s, got, want)
		}
	}
}
