package auth_test

import (
	"testing"
	"time"

	"github.com/lumbunghq/lumbung/collections"
	"github.com/lumbunghq/lumbung/server/auth"
)

func authRecord(tokenKey string) *collections.Record {
	c := &collections.Collection{ID: "pbc_users", Name: "users", Type: collections.TypeAuth}
	r := collections.NewRecord(c)
	r.Data["id"], r.Data["tokenKey"], r.Data["email"] = "abc123abc123abc", tokenKey, "ada@example.com"
	return r
}

func TestTokenTypesAreNotInterchangeable(t *testing.T) {
	is := auth.NewIssuer([]byte("secret"))
	rec := authRecord("first-token-key-0123456789abcdefghijkl")
	types := []string{auth.TypeAuth, auth.TypeVerification, auth.TypePasswordReset, auth.TypeEmailChange}
	for _, issued := range types {
		token, err := is.IssueClaims(rec, auth.Claims{Type: issued, Email: "ada@example.com"}, time.Hour)
		if err != nil {
			t.Fatal(err)
		}
		for _, checked := range types {
			claims, err := is.VerifyClaims(token, rec, checked)
			if (err == nil) != (issued == checked) {
				t.Errorf("%s token checked as %s: err %v", issued, checked, err)
			}
			if err == nil && claims.Email != "ada@example.com" {
				t.Errorf("email claim %q", claims.Email)
			}
		}
	}
}

func TestTokenDiesWithTokenKey(t *testing.T) {
	is := auth.NewIssuer([]byte("secret"))
	rec := authRecord("first-token-key-0123456789abcdefghijkl")
	token, err := is.Issue(rec, auth.TypePasswordReset, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	if err := is.Verify(token, rec, auth.TypePasswordReset); err != nil {
		t.Fatal(err)
	}
	rec.Data["tokenKey"] = "second-token-key-0123456789abcdefghijk"
	if err := is.Verify(token, rec, auth.TypePasswordReset); err == nil {
		t.Fatal("token still valid after the token key changed")
	}
}

func TestExpiredToken(t *testing.T) {
	is := auth.NewIssuer([]byte("secret"))
	rec := authRecord("first-token-key-0123456789abcdefghijkl")
	token, err := is.Issue(rec, auth.TypeVerification, -time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	if err := is.Verify(token, rec, auth.TypeVerification); err == nil {
		t.Fatal("expired token accepted")
	}
}
