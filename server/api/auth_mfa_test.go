package api_test

import (
	"encoding/json"
	"fmt"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/oauth2-proxy/mockoidc"
)

// mfaStep signs in and expects PocketBase's first-step answer: 401 with
// only an mfaId.
func mfaStep(tb testing.TB, e *env, url, body string) string {
	tb.Helper()
	status, b := e.Do("POST", url, "-", body)
	var out map[string]string
	if err := json.Unmarshal([]byte(b), &out); status != 401 || err != nil || len(out) != 1 ||
		!regexp.MustCompile(`^[a-z0-9]{15}$`).MatchString(out["mfaId"]) {
		tb.Fatalf("POST %s: %d %s, want 401 {mfaId}", url, status, b)
	}
	return out["mfaId"]
}

func passwordBody(identity, password, mfaID string) string {
	return fmt.Sprintf(`{"identity": %q, "password": %q, "mfaId": %q}`, identity, password, mfaID)
}

func otpMFABody(otpID, code, mfaID string) string {
	return fmt.Sprintf(`{"otpId": %q, "password": %q, "mfaId": %q}`, otpID, code, mfaID)
}

func TestMFAPasswordThenOTP(t *testing.T) {
	t.Parallel()
	e := MustAuthEnv(t)
	id := MustUser(t, e.env, "ada@example.com", "ada password")
	MustUser(t, e.env, "bob@example.com", "bob password")
	e.MustJSON("PATCH", "/api/collections/users", "", `{"otp": {"enabled": true, "length": 6}, "mfa": {"enabled": true, "duration": 300}}`, 200, nil)
	e.Run(t, []scenario{{Name: "auth-methods", Method: "GET", URL: "/api/collections/users/auth-methods", Token: "-", ExpectedStatus: 200,
		ExpectedContent: []string{`"mfa":{"duration":300,"enabled":true}`, `"otp":{"duration":180,"enabled":true}`}}})

	const pw = "/api/collections/users/auth-with-password"
	const otp = "/api/collections/users/auth-with-otp"
	mfaID := mfaStep(t, e.env, pw, `{"identity": "ada@example.com", "password": "ada password"}`)
	e.Run(t, []scenario{
		{Name: "a wrong password is no first step", Method: "POST", URL: pw, Token: "-",
			Body: `{"identity": "ada@example.com", "password": "wrong password"}`, ExpectedStatus: 400, NotExpected: []string{"mfaId"}},
		{Name: "the same method twice", Method: "POST", URL: pw, Token: "-", Body: passwordBody("ada@example.com", "ada password", mfaID),
			ExpectedStatus: 400, ExpectedContent: []string{`"message":"A different authentication method is required."`}},
		{Name: "an unknown mfaId", Method: "POST", URL: pw, Token: "-", Body: passwordBody("ada@example.com", "ada password", "nosuchmfasessio"),
			ExpectedStatus: 400, ExpectedContent: []string{`"message":"Invalid or expired MFA session."`}},
		{Name: "another record's second method", Method: "POST", URL: pw, Token: "-", Body: passwordBody("bob@example.com", "bob password", mfaID),
			ExpectedStatus: 400, ExpectedContent: []string{`"message":"Invalid MFA session."`}},
	})
	// Bob's OTP with Ada's session is refused too, and consumes Bob's OTP
	// (as in PocketBase, the OTP is spent before the MFA step).
	bobOTP := MustRequestOTP(t, e.env, "users", "bob@example.com")
	bobCode := otpCode(t, e.sink.Next(t))
	e.Run(t, []scenario{{Name: "another record's OTP", Method: "POST", URL: otp, Token: "-", Body: otpMFABody(bobOTP, bobCode, mfaID),
		ExpectedStatus: 400, ExpectedContent: []string{`"message":"Invalid MFA session."`}}})

	otpID := MustRequestOTP(t, e.env, "users", "ada@example.com")
	code := otpCode(t, e.sink.Next(t))
	var out struct {
		Token  string
		Record map[string]any
	}
	e.MustJSON("POST", otp, "-", otpMFABody(otpID, code, mfaID), 200, &out)
	if out.Record["id"] != id || claims(t, out.Token)["id"] != id {
		t.Fatalf("signed in as %v", out.Record)
	}
	// With MFA the OTP proves the address but keeps the password.
	e.Run(t, []scenario{
		{Name: "verified", Method: "GET", URL: "/api/collections/users/records/" + id, ExpectedStatus: 200, ExpectedContent: []string{`"verified":true`}},
		{Name: "the session is used up", Method: "POST", URL: pw, Token: "-", Body: passwordBody("ada@example.com", "ada password", mfaID),
			ExpectedStatus: 400, ExpectedContent: []string{`"message":"Invalid or expired MFA session."`}},
		{Name: "the password still asks for a second method", Method: "POST", URL: pw, Token: "-",
			Body: `{"identity": "ada@example.com", "password": "ada password"}`, ExpectedStatus: 401, ExpectedContent: []string{`"mfaId"`}},
	})

	// OTP first, then the password with the mfaId in the query.
	otpID = MustRequestOTP(t, e.env, "users", "ada@example.com")
	mfaID = mfaStep(t, e.env, otp, otpBody(otpID, otpCode(t, e.sink.Next(t))))
	e.MustJSON("POST", pw+"?mfaId="+mfaID, "-", `{"identity": "ada@example.com", "password": "ada password"}`, 200, nil)

	// An expired session.
	mfaID = mfaStep(t, e.env, pw, `{"identity": "ada@example.com", "password": "ada password"}`)
	e.clock.Advance(301 * time.Second)
	otpID = MustRequestOTP(t, e.env, "users", "ada@example.com")
	e.Run(t, []scenario{{Name: "expired", Method: "POST", URL: otp, Token: "-", Body: otpMFABody(otpID, otpCode(t, e.sink.Next(t)), mfaID),
		ExpectedStatus: 400, ExpectedContent: []string{`"message":"Invalid or expired MFA session."`}}})

	// A new password ends the sessions begun before.
	mfaID = mfaStep(t, e.env, pw, `{"identity": "ada@example.com", "password": "ada password"}`)
	e.MustJSON("PATCH", "/api/collections/users/records/"+id, "", `{"password": "new password", "passwordConfirm": "new password"}`, 200, nil)
	e.clock.Advance(181 * time.Second) // past the OTP attempt window
	otpID = MustRequestOTP(t, e.env, "users", "ada@example.com")
	e.Run(t, []scenario{{Name: "the password changed", Method: "POST", URL: otp, Token: "-", Body: otpMFABody(otpID, otpCode(t, e.sink.Next(t)), mfaID),
		ExpectedStatus: 400, ExpectedContent: []string{`"message":"Invalid or expired MFA session."`}}})

	// Refreshing and impersonating are no sign-ins.
	e.Run(t, []scenario{
		{Name: "refresh", Method: "POST", URL: "/api/collections/users/auth-refresh", Token: out.Token, ExpectedStatus: 401}, // the password changed
		{Name: "impersonate", Method: "POST", URL: "/api/collections/users/impersonate/" + id, Body: `{}`, ExpectedStatus: 200},
	})
}

// TestMFARule: the rule decides which records need a second method; the
// auth rule still comes first.
func TestMFARule(t *testing.T) {
	t.Parallel()
	e := MustAuthEnv(t)
	MustUser(t, e.env, "ada@example.com", "ada password")
	MustUser(t, e.env, "admin@corp.example.com", "admin password")
	e.MustJSON("PATCH", "/api/collections/users", "", `{"otp": {"enabled": true}, "mfa": {"enabled": true, "rule": "email ~ 'corp'"}}`, 200, nil)
	const pw = "/api/collections/users/auth-with-password"
	e.Run(t, []scenario{
		{Name: "the rule does not match: one method", Method: "POST", URL: pw, Token: "-",
			Body: `{"identity": "ada@example.com", "password": "ada password"}`, ExpectedStatus: 200, ExpectedContent: []string{`"token":`}},
		{Name: "the rule matches: two", Method: "POST", URL: pw, Token: "-",
			Body: `{"identity": "admin@corp.example.com", "password": "admin password"}`, ExpectedStatus: 401, ExpectedContent: []string{`"mfaId":`}, NotExpected: []string{"token"}},
	})
	e.MustJSON("PATCH", "/api/collections/users", "", `{"authRule": "verified = true"}`, 200, nil)
	e.Run(t, []scenario{{Name: "the auth rule first", Method: "POST", URL: pw, Token: "-",
		Body: `{"identity": "admin@corp.example.com", "password": "admin password"}`, ExpectedStatus: 403, NotExpected: []string{"mfaId"}}})
}

// TestMFASuperusers: superusers get the same two-method sign-in.
func TestMFASuperusers(t *testing.T) {
	t.Parallel()
	e := MustAuthEnv(t)
	e.MustJSON("PATCH", "/api/collections/_superusers", "", `{"otp": {"enabled": true, "length": 6}, "mfa": {"enabled": true}}`, 200, nil)
	const pw = "/api/collections/_superusers/auth-with-password"
	mfaID := mfaStep(t, e.env, pw, `{"identity": "`+adminEmail+`", "password": "`+adminPassword+`"}`)
	otpID := MustRequestOTP(t, e.env, "_superusers", adminEmail)
	m := e.sink.Next(t)
	if m.To[0] != adminEmail {
		t.Fatalf("OTP sent to %v", m.To)
	}
	var out struct{ Token string }
	e.MustJSON("POST", "/api/collections/_superusers/auth-with-otp", "-", otpMFABody(otpID, otpCode(t, m), mfaID), 200, &out)
	e.Run(t, []scenario{
		{Name: "the token is a superuser's", Method: "GET", URL: "/api/collections", Token: out.Token, ExpectedStatus: 200},
		{Name: "an mfaId of superusers on users", Method: "POST", URL: "/api/collections/users/auth-with-password", Token: "-",
			Body: passwordBody(adminEmail, adminPassword, mfaID), ExpectedStatus: 400},
	})
	// A users session used to complete a superuser sign-in.
	MustUser(t, e.env, "ada@example.com", "ada password")
	e.MustJSON("PATCH", "/api/collections/users", "", `{"otp": {"enabled": true}, "mfa": {"enabled": true}}`, 200, nil)
	userMFA := mfaStep(t, e.env, "/api/collections/users/auth-with-password", `{"identity": "ada@example.com", "password": "ada password"}`)
	otpID = MustRequestOTP(t, e.env, "_superusers", adminEmail)
	e.Run(t, []scenario{{Name: "a users session on superusers", Method: "POST", URL: "/api/collections/_superusers/auth-with-otp", Token: "-",
		Body: otpMFABody(otpID, otpCode(t, e.sink.Next(t)), userMFA), ExpectedStatus: 400, ExpectedContent: []string{`"message":"Invalid MFA session."`}}})
}

// TestMFAWithOAuth2: OAuth2 counts as a method: first, then a password
// with its mfaId; and second, with the mfaId in the query.
func TestMFAWithOAuth2(t *testing.T) {
	t.Parallel()
	e := MustEnv(t)
	m := MustOIDC(t, e)
	id := MustUser(t, e, "jane@example.com", "jane password")
	e.MustJSON("PATCH", "/api/collections/users", "", `{"mfa": {"enabled": true}}`, 200, nil)
	jane := func() {
		m.QueueUser(&mockoidc.MockUser{Subject: "sub-jane", Email: "jane@example.com", EmailVerified: true})
	}

	jane()
	code, verifier := oauth2Code(t, e, "oidc")
	mfaID := mfaStep(t, e, "/api/collections/users/auth-with-oauth2", oauth2Body(code, verifier, nil))
	var out struct{ Record map[string]any }
	e.MustJSON("POST", "/api/collections/users/auth-with-password", "-", passwordBody("jane@example.com", "jane password", mfaID), 200, &out)
	if out.Record["id"] != id {
		t.Fatalf("signed in as %v", out.Record)
	}

	mfaID = mfaStep(t, e, "/api/collections/users/auth-with-password", `{"identity": "jane@example.com", "password": "jane password"}`)
	jane()
	code, verifier = oauth2Code(t, e, "oidc")
	e.MustJSON("POST", "/api/collections/users/auth-with-oauth2?mfaId="+mfaID, "-", oauth2Body(code, verifier, nil), 200, &out)
	if out.Record["id"] != id {
		t.Fatalf("signed in as %v", out.Record)
	}
}

// TestMFAGarbage: whatever is sent as mfaId is a clear 400, never a 5xx.
func TestMFAGarbage(t *testing.T) {
	t.Parallel()
	e := MustEnv(t)
	MustUser(t, e, "ada@example.com", "ada password")
	e.MustJSON("PATCH", "/api/collections/users", "", `{"otp": {"enabled": true}, "mfa": {"enabled": true}}`, 200, nil)
	const pw = "/api/collections/users/auth-with-password"
	creds := `"identity": "ada@example.com", "password": "ada password"`
	e.Run(t, []scenario{
		{Name: "a number", Method: "POST", URL: pw, Token: "-", Body: `{` + creds + `, "mfaId": 123}`,
			ExpectedStatus: 400, ExpectedContent: []string{`"message":"Failed to read MFA Id."`}},
		{Name: "an object", Method: "POST", URL: pw, Token: "-", Body: `{` + creds + `, "mfaId": {"$ne": ""}}`, ExpectedStatus: 400},
		{Name: "SQL", Method: "POST", URL: pw, Token: "-", Body: `{` + creds + `, "mfaId": "' OR '1'='1"}`,
			ExpectedStatus: 400, ExpectedContent: []string{`"message":"Invalid or expired MFA session."`}},
		{Name: "long", Method: "POST", URL: pw, Token: "-", Body: `{` + creds + `, "mfaId": "` + strings.Repeat("x", 5000) + `"}`,
			ExpectedStatus: 400, ExpectedContent: []string{`"message":"Invalid or expired MFA session."`}},
		{Name: "in the query, percent-encoded", Method: "POST", URL: pw + "?mfaId=%00%27", Token: "-", Body: `{` + creds + `}`,
			ExpectedStatus: 400, ExpectedContent: []string{`"message":"Invalid or expired MFA session."`}},
		{Name: "an OTP id as mfaId", Method: "POST", URL: pw, Token: "-", Body: `{` + creds + `, "mfaId": "` + MustRequestOTP(t, e, "users", "ada@example.com") + `"}`,
			ExpectedStatus: 400, ExpectedContent: []string{`"message":"Invalid or expired MFA session."`}},
	})
}
