package api_test

import (
	"fmt"
	"regexp"
	"strings"
	"testing"
	"time"
)

// signInFrom signs in with a password from a user agent (and the
// in-process address) a second after the last request, and returns the
// status.
func signInFrom(tb testing.TB, e *authEnv, collection, identity, password, userAgent string) int {
	tb.Helper()
	e.clock.Advance(time.Second)
	res, body := e.DoFrom("POST", "/api/collections/"+collection+"/auth-with-password", "-",
		fmt.Sprintf(`{"identity": %q, "password": %q}`, identity, password), map[string]string{"User-Agent": userAgent})
	if res.StatusCode >= 500 {
		tb.Fatalf("sign-in: %d %s", res.StatusCode, body)
	}
	return res.StatusCode
}

// expectNoMail proves no email went out before: the next message is the
// password reset email a request sends now.
func expectNoMail(tb testing.TB, e *authEnv) {
	tb.Helper()
	e.MustJSON("POST", "/api/collections/users/request-password-reset", "-", `{"email": "marker@example.com"}`, 204, nil)
	if m := e.sink.Next(tb); m.To[0] != "marker@example.com" {
		tb.Fatalf("unexpected message to %v: %q", m.To, m.Subject)
	}
}

func TestAuthAlerts(t *testing.T) {
	t.Parallel()
	e := MustAuthEnv(t)
	id := MustUser(t, e.env, "ada@example.com", "ada password")
	MustUser(t, e.env, "marker@example.com", "marker password")
	const laptop, phone = "Laptop/1.0", "Phone/2.0 (Linux; like Gecko)"

	// The first sign-in ever sends nothing; nor does the same place again.
	signInFrom(t, e, "users", "ada@example.com", "ada password", laptop)
	signInFrom(t, e, "users", "ada@example.com", "ada password", laptop)
	expectNoMail(t, e)

	signInFrom(t, e, "users", "ada@example.com", "ada password", phone)
	m := e.sink.Next(t)
	if m.To[0] != "ada@example.com" || m.Subject != "Login from a new location" {
		t.Fatalf("alert to %v: %q", m.To, m.Subject)
	}
	// PocketBase's {ALERT_INFO}: "<date> - <ip> <user agent>", escaped.
	if !regexp.MustCompile(`<em>2026-03-01 12:00:\d\d\.000Z - 0\.0\.0\.0 Phone/2\.0 \(Linux; like Gecko\)</em>`).MatchString(m.HTML) {
		t.Fatalf("alert info missing:\n%s", m.HTML)
	}
	signInFrom(t, e, "users", "ada@example.com", "ada password", phone)
	signInFrom(t, e, "users", "ada@example.com", "ada password", laptop)
	expectNoMail(t, e)

	// A wrong password and an MFA first step are no sign-ins.
	signInFrom(t, e, "users", "ada@example.com", "wrong password", "Tablet/1")
	expectNoMail(t, e)

	// Five places are kept, the most recently used.
	for i := range 5 {
		if s := signInFrom(t, e, "users", "ada@example.com", "ada password", fmt.Sprint("Browser/", i)); s != 200 {
			t.Fatalf("sign-in %d: %d", i, s)
		}
		e.sink.Next(t)
	}
	signInFrom(t, e, "users", "ada@example.com", "ada password", laptop)
	if m := e.sink.Next(t); m.To[0] != "ada@example.com" {
		t.Fatalf("the oldest place was forgotten: want an alert, got %q to %v", m.Subject, m.To)
	}

	// A new password forgets the known places: the next sign-in counts as
	// the first (PocketBase deletes the origins).
	e.MustJSON("PATCH", "/api/collections/users/records/"+id, "", `{"password": "new password", "passwordConfirm": "new password"}`, 200, nil)
	signInFrom(t, e, "users", "ada@example.com", "new password", "Other/1")
	expectNoMail(t, e)
	signInFrom(t, e, "users", "ada@example.com", "new password", "Other/2")
	e.sink.Next(t)

	// Alerts off: nothing.
	e.MustJSON("PATCH", "/api/collections/users", "", `{"authAlert": {"enabled": false}}`, 200, nil)
	signInFrom(t, e, "users", "ada@example.com", "new password", "Other/3")
	expectNoMail(t, e)
}

// TestAuthAlertsAfterMFA: the alert follows the completed sign-in, and
// uses the collection's template.
func TestAuthAlertsAfterMFA(t *testing.T) {
	t.Parallel()
	e := MustAuthEnv(t)
	MustUser(t, e.env, "ada@example.com", "ada password")
	MustUser(t, e.env, "marker@example.com", "marker password")
	e.MustJSON("PATCH", "/api/collections/users", "", `{"otp": {"enabled": true}, "mfa": {"enabled": true, "rule": "email = 'ada@example.com'"},
		"authAlert": {"enabled": true, "emailTemplate": {"subject": "{APP_NAME}: new sign-in", "body": "<p>{RECORD:name} from {ALERT_INFO}</p>"}}}`, 200, nil)
	// The first completed sign-in.
	otpID := MustRequestOTP(t, e.env, "users", "ada@example.com")
	mfaID := mfaStep(t, e.env, "/api/collections/users/auth-with-otp", otpBody(otpID, otpCode(t, e.sink.Next(t))))
	e.MustJSON("POST", "/api/collections/users/auth-with-password", "-", passwordBody("ada@example.com", "ada password", mfaID), 200, nil)
	// A first step from elsewhere alerts nobody.
	res, _ := e.DoFrom("POST", "/api/collections/users/auth-with-password", "-",
		`{"identity": "ada@example.com", "password": "ada password"}`, map[string]string{"User-Agent": "<Elsewhere>"})
	if res.StatusCode != 401 {
		t.Fatalf("first step: %d", res.StatusCode)
	}
	expectNoMail(t, e)
	res, body := e.DoFrom("POST", "/api/collections/users/auth-with-password", "-",
		`{"identity": "ada@example.com", "password": "ada password"}`, map[string]string{"User-Agent": "<Elsewhere>"})
	otpID = MustRequestOTP(t, e.env, "users", "ada@example.com")
	code := otpCode(t, e.sink.Next(t))
	mfaID = strings.Split(strings.Split(body, `"mfaId":"`)[1], `"`)[0]
	res, body = e.DoFrom("POST", "/api/collections/users/auth-with-otp", "-", otpMFABody(otpID, code, mfaID), map[string]string{"User-Agent": "<Elsewhere>"})
	if res.StatusCode != 200 {
		t.Fatalf("second step: %d %s", res.StatusCode, body)
	}
	m := e.sink.Next(t)
	if m.Subject != "Acme: new sign-in" || !strings.Contains(m.HTML, "Test from 2026-03-01 12:00:00.000Z - 0.0.0.0 &lt;Elsewhere&gt;") {
		t.Fatalf("alert %q:\n%s", m.Subject, m.HTML)
	}
}
