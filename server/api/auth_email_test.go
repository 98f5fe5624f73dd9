package api_test

import (
	"strings"
	"testing"
)

func TestVerificationFlow(t *testing.T) {
	t.Parallel()
	e := MustAuthEnv(t)
	id := MustUser(t, e.env, "ada@example.com", "ada password")
	e.Run(t, []scenario{
		{Name: "unknown email answers the same", Method: "POST", URL: "/api/collections/users/request-verification", Token: "-",
			Body: `{"email": "nobody@example.com"}`, ExpectedStatus: 204},
		{Name: "blank email", Method: "POST", URL: "/api/collections/users/request-verification", Token: "-",
			Body: `{"email": ""}`, ExpectedStatus: 400, ExpectedContent: []string{`"email":{"code":"validation_required"`}},
		{Name: "malformed email", Method: "POST", URL: "/api/collections/users/request-verification", Token: "-",
			Body: `{"email": "not an email"}`, ExpectedStatus: 400, ExpectedContent: []string{`"email":{"code":"validation_is_email"`}},
		{Name: "request", Method: "POST", URL: "/api/collections/users/request-verification", Token: "-",
			Body: `{"email": "ada@example.com"}`, ExpectedStatus: 204},
	})
	m := e.sink.Next(t)
	if len(m.To) != 1 || m.To[0] != "ada@example.com" || m.From != "support@acme.test" {
		t.Fatalf("envelope from %q to %v", m.From, m.To)
	}
	if m.Subject != "Verify your Acme email" || !strings.Contains(m.Header.Get("From"), "Acme Support") {
		t.Fatalf("subject %q, from %q", m.Subject, m.Header.Get("From"))
	}
	token := linkToken(t, m, "confirm-verification")
	if c := claims(t, token); c["type"] != "verification" || c["id"] != id || c["email"] != "ada@example.com" {
		t.Fatalf("claims %v", c)
	}
	e.Run(t, []scenario{
		{Name: "a verification token is no auth token", Method: "POST", URL: "/api/collections/users/auth-refresh", Token: token, ExpectedStatus: 401},
		{Name: "garbage token", Method: "POST", URL: "/api/collections/users/confirm-verification", Token: "-",
			Body: `{"token": "a.b.c"}`, ExpectedStatus: 400, ExpectedContent: []string{`"token":{"code":"validation_invalid_token"`}},
		{Name: "token of another collection", Method: "POST", URL: "/api/collections/_superusers/confirm-verification", Token: "-",
			Body: `{"token": "` + token + `"}`, ExpectedStatus: 400},
		{Name: "as a password reset token", Method: "POST", URL: "/api/collections/users/confirm-password-reset", Token: "-",
			Body: `{"token": "` + token + `", "password": "new password", "passwordConfirm": "new password"}`, ExpectedStatus: 400},
		{Name: "confirm", Method: "POST", URL: "/api/collections/users/confirm-verification", Token: "-",
			Body: `{"token": "` + token + `"}`, ExpectedStatus: 204},
		{Name: "verified", Method: "GET", URL: "/api/collections/users/records/" + id, ExpectedStatus: 200,
			ExpectedContent: []string{`"verified":true`}},
		{Name: "confirming again is harmless", Method: "POST", URL: "/api/collections/users/confirm-verification", Token: "-",
			Body: `{"token": "` + token + `"}`, ExpectedStatus: 204},
		{Name: "a verified user gets no more mail", Method: "POST", URL: "/api/collections/users/request-verification", Token: "-",
			Body: `{"email": "ada@example.com"}`, ExpectedStatus: 204},
	})
	// Mail goes out in the background: a later message proves the earlier
	// requests sent nothing.
	e.MustJSON("POST", "/api/collections/users/request-password-reset", "-", `{"email": "ada@example.com"}`, 204, nil)
	if next := e.sink.Next(t); next.Subject != "Reset your Acme password" {
		t.Fatalf("unexpected message %q", next.Subject)
	}
	if got := len(e.sink.Received()); got != 2 {
		t.Fatalf("%d messages sent, want 2", got)
	}
}

func TestPasswordResetFlow(t *testing.T) {
	t.Parallel()
	e := MustAuthEnv(t)
	id := MustUser(t, e.env, "ada@example.com", "old password")
	oldToken := MustSignIn(t, e.env, "users", "ada@example.com", "old password")
	e.MustJSON("POST", "/api/collections/users/request-password-reset", "-", `{"email": "nobody@example.com"}`, 204, nil)
	e.MustJSON("POST", "/api/collections/users/request-password-reset", "-", `{"email": "Ada@Example.com"}`, 204, nil)
	m := e.sink.Next(t)
	if m.To[0] != "ada@example.com" || m.Subject != "Reset your Acme password" {
		t.Fatalf("message to %v: %q", m.To, m.Subject)
	}
	token := linkToken(t, m, "confirm-password-reset")
	reset := func(pw, confirm string) string {
		return `{"token": "` + token + `", "password": "` + pw + `", "passwordConfirm": "` + confirm + `"}`
	}
	e.Run(t, []scenario{
		{Name: "old session works before the reset", Method: "POST", URL: "/api/collections/users/auth-refresh", Token: oldToken, ExpectedStatus: 200},
		{Name: "mismatched confirmation", Method: "POST", URL: "/api/collections/users/confirm-password-reset", Token: "-",
			Body: reset("new password", "other password"), ExpectedStatus: 400, ExpectedContent: []string{`"passwordConfirm":{"code":"validation_values_mismatch"`}},
		{Name: "too short", Method: "POST", URL: "/api/collections/users/confirm-password-reset", Token: "-",
			Body: reset("short", "short"), ExpectedStatus: 400, ExpectedContent: []string{`"password":{"code":"validation_min_text_constraint"`}},
		{Name: "reset", Method: "POST", URL: "/api/collections/users/confirm-password-reset", Token: "-",
			Body: reset("new password", "new password"), ExpectedStatus: 204},
		{Name: "old session ends at once", Method: "POST", URL: "/api/collections/users/auth-refresh", Token: oldToken, ExpectedStatus: 401},
		{Name: "the reset token works once", Method: "POST", URL: "/api/collections/users/confirm-password-reset", Token: "-",
			Body: reset("third password", "third password"), ExpectedStatus: 400, ExpectedContent: []string{`validation_invalid_token`}},
		{Name: "old password fails", Method: "POST", URL: "/api/collections/users/auth-with-password", Token: "-",
			Body: `{"identity": "ada@example.com", "password": "old password"}`, ExpectedStatus: 400},
		{Name: "following the link verified the address", Method: "GET", URL: "/api/collections/users/records/" + id, ExpectedStatus: 200,
			ExpectedContent: []string{`"verified":true`}},
	})
	MustSignIn(t, e.env, "users", "ada@example.com", "new password")
	if got := len(e.sink.Received()); got != 1 {
		t.Fatalf("%d messages sent, want 1", got)
	}
}

func TestEmailChangeFlow(t *testing.T) {
	t.Parallel()
	e := MustAuthEnv(t)
	id := MustUser(t, e.env, "ada@example.com", "ada password")
	MustUser(t, e.env, "bob@example.com", "bob password")
	tok := MustSignIn(t, e.env, "users", "ada@example.com", "ada password")
	e.Run(t, []scenario{
		{Name: "guest", Method: "POST", URL: "/api/collections/users/request-email-change", Token: "-",
			Body: `{"newEmail": "ada@new.test"}`, ExpectedStatus: 401},
		{Name: "superuser is not a user", Method: "POST", URL: "/api/collections/users/request-email-change",
			Body: `{"newEmail": "ada@new.test"}`, ExpectedStatus: 403},
		{Name: "malformed", Method: "POST", URL: "/api/collections/users/request-email-change", Token: tok,
			Body: `{"newEmail": "nope"}`, ExpectedStatus: 400, ExpectedContent: []string{`"newEmail":{"code":"validation_is_email"`}},
		{Name: "same email", Method: "POST", URL: "/api/collections/users/request-email-change", Token: tok,
			Body: `{"newEmail": "ADA@example.com"}`, ExpectedStatus: 400},
		{Name: "an address in use answers the same", Method: "POST", URL: "/api/collections/users/request-email-change", Token: tok,
			Body: `{"newEmail": "bob@example.com"}`, ExpectedStatus: 204},
		{Name: "request", Method: "POST", URL: "/api/collections/users/request-email-change", Token: tok,
			Body: `{"newEmail": "ada@new.test"}`, ExpectedStatus: 204},
	})
	m := e.sink.Next(t)
	if m.To[0] != "ada@new.test" || m.Subject != "Confirm your Acme new email address" {
		t.Fatalf("message to %v: %q", m.To, m.Subject)
	}
	token := linkToken(t, m, "confirm-email-change")
	if c := claims(t, token); c["newEmail"] != "ada@new.test" || c["email"] != "ada@example.com" || c["type"] != "emailChange" {
		t.Fatalf("claims %v", c)
	}
	e.Run(t, []scenario{
		{Name: "wrong password", Method: "POST", URL: "/api/collections/users/confirm-email-change", Token: "-",
			Body: `{"token": "` + token + `", "password": "not it"}`, ExpectedStatus: 400, ExpectedContent: []string{`"password":{"code":"validation_invalid_password"`}},
		{Name: "missing password", Method: "POST", URL: "/api/collections/users/confirm-email-change", Token: "-",
			Body: `{"token": "` + token + `"}`, ExpectedStatus: 400, ExpectedContent: []string{`"password":{"code":"validation_required"`}},
		{Name: "confirm", Method: "POST", URL: "/api/collections/users/confirm-email-change", Token: "-",
			Body: `{"token": "` + token + `", "password": "ada password"}`, ExpectedStatus: 204},
		{Name: "the session under the old address ends", Method: "POST", URL: "/api/collections/users/auth-refresh", Token: tok, ExpectedStatus: 401},
		{Name: "changed and verified", Method: "GET", URL: "/api/collections/users/records/" + id, ExpectedStatus: 200,
			ExpectedContent: []string{`"email":"ada@new.test"`, `"verified":true`}},
		{Name: "the token no longer matches the email", Method: "POST", URL: "/api/collections/users/confirm-email-change", Token: "-",
			Body: `{"token": "` + token + `", "password": "ada password"}`, ExpectedStatus: 400},
		{Name: "old address fails", Method: "POST", URL: "/api/collections/users/auth-with-password", Token: "-",
			Body: `{"identity": "ada@example.com", "password": "ada password"}`, ExpectedStatus: 400},
	})
	MustSignIn(t, e.env, "users", "ada@new.test", "ada password")
	if got := len(e.sink.Received()); got != 1 {
		t.Fatalf("%d messages sent, want 1 (none to an address in use)", got)
	}
}
