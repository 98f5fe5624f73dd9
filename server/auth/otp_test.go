package auth_test

import (
	"regexp"
	"testing"

	"github.com/lumbunghq/lumbung/server/auth"
)

func TestNewCode(t *testing.T) {
	t.Parallel()
	seen := map[string]bool{}
	for _, n := range []int{4, 6, 8, 8, 8, 12} {
		code := auth.NewCode(n)
		if len(code) != n || !regexp.MustCompile(`^[0-9]+$`).MatchString(code) {
			t.Fatalf("NewCode(%d) = %q", n, code)
		}
		seen[code] = true
	}
	if len(seen) < 5 {
		t.Fatalf("codes repeat: %v", seen)
	}
}

func TestCodeHash(t *testing.T) {
	t.Parallel()
	is := auth.NewIssuer([]byte("secret"))
	h := is.CodeHash("otp1", "123456")
	if h == "123456" || len(h) != 64 {
		t.Fatalf("hash %q", h)
	}
	cases := []struct {
		issuer      *auth.Issuer
		id, code    string
		wantMatches bool
	}{
		{is, "otp1", "123456", true},
		{is, "otp1", "123457", false},
		{is, "otp2", "123456", false},                              // bound to the OTP
		{auth.NewIssuer([]byte("other")), "otp1", "123456", false}, // and to the secret
		{is, "otp1", "", false},
	}
	for _, c := range cases {
		if got := c.issuer.CheckCode(c.id, c.code, h); got != c.wantMatches {
			t.Errorf("CheckCode(%q, %q) = %v", c.id, c.code, got)
		}
	}
}
