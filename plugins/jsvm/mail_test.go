package jsvm_test

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/lumbunghq/lumbung/plugins/jsvm"
	"github.com/lumbunghq/lumbung/server/mail/mailtest"
)

// TestMail: a hook's MailerMessage goes out through the server's SMTP
// settings and onMailerSend; without SMTP the route fails with a 400
// saying so.
func TestMail(t *testing.T) {
	e := mustEnv(t, jsvm.Config{})
	if status, body := e.call(t, "POST", "/api/mail", "", `{"to": "bob@example.com"}`); status != 400 || !strings.Contains(body, "Email delivery is not configured") {
		t.Fatalf("without SMTP: %d %s", status, body)
	}
	svc := e.srv.Collections()
	su, _ := svc.Collection("_superusers")
	if _, err := svc.SystemRecords().Create(context.Background(), su, map[string]any{"email": "root@example.com", "password": "a long password"}); err != nil {
		t.Fatal(err)
	}
	_, body := e.call(t, "POST", "/api/collections/_superusers/auth-with-password", "", `{"identity": "root@example.com", "password": "a long password"}`)
	token := body[strings.Index(body, `"token":"`)+9:]
	token = token[:strings.Index(token, `"`)]
	sink := mailtest.Start(t)
	if status, body := e.call(t, "PATCH", "/api/settings", token, fmt.Sprintf(`{"smtp": {"enabled": true, "host": %q, "port": %d, "tlsMode": "none"}}`, sink.Host(), sink.Port())); status != 200 {
		t.Fatalf("settings: %d %s", status, body)
	}
	// onMailerSend keeps the first from being sent and changes the second.
	for _, to := range []string{"blackhole@example.com", "bob@example.com"} {
		if status, body := e.call(t, "POST", "/api/mail", "", `{"to": "`+to+`"}`); status != 200 || body != `{"sent":true}` {
			t.Fatalf("send: %d %s", status, body)
		}
	}
	m := sink.Next(t)
	if m.Subject != "[App] Hello from a hook" || len(m.To) != 1 || m.To[0] != "bob@example.com" || m.From != "app@example.com" ||
		!strings.Contains(m.HTML, "<p>Hello</p>") || !strings.Contains(m.Text, "Hello") || !strings.Contains(m.Header.Get("From"), "The App") ||
		m.Header.Get("X-Hooked") != "yes" {
		t.Fatalf("received %+v", m)
	}

	// $mails: the auth flows' mails, with tokens the API's endpoints take.
	for _, c := range []struct{ kind, to, subject, confirm string }{
		{"verification", "ann@example.com", "Verify", "/api/collections/users/confirm-verification"},
		{"reset", "ann@example.com", "Reset", "/api/collections/users/confirm-password-reset"},
		{"change", "new@example.com", "new email", "/api/collections/users/confirm-email-change"},
	} {
		if status, body := e.call(t, "POST", "/api/mails/"+c.kind, "", `{"email": "ann@example.com"}`); status != 200 {
			t.Fatalf("$mails %s: %d %s", c.kind, status, body)
		}
		m := sink.Next(t)
		if len(m.To) != 1 || m.To[0] != c.to || !strings.Contains(strings.ToLower(m.Subject), strings.ToLower(c.subject)) {
			t.Fatalf("%s: to %v, subject %q", c.kind, m.To, m.Subject)
		}
		token := tokenIn(m.HTML)
		if token == "" {
			t.Fatalf("%s: no token in %q", c.kind, m.HTML)
		}
		body := fmt.Sprintf(`{"token": %q, "password": "a new password", "passwordConfirm": "a new password"}`, token)
		if status, out := e.call(t, "POST", c.confirm, "", body); status != 204 {
			t.Fatalf("%s: the mailed token is refused: %d %s", c.kind, status, out)
		}
	}
	// sendRecordOTP mails the code it is given with the OTP template (to
	// the address the change above confirmed).
	if status, body := e.call(t, "POST", "/api/mails/otp", "", `{"email": "new@example.com"}`); status != 200 {
		t.Fatalf("$mails otp: %d %s", status, body)
	}
	if m := sink.Next(t); len(m.To) != 1 || m.To[0] != "new@example.com" || !strings.Contains(m.Subject, "OTP") || !strings.Contains(m.HTML, "<strong>246810</strong>") {
		t.Fatalf("otp: to %v, subject %q, body %q", m.To, m.Subject, m.HTML)
	}
}

// tokenIn finds a JWT in a mail's body.
func tokenIn(s string) string {
	for _, w := range strings.FieldsFunc(s, func(r rune) bool {
		return !(r == '.' || r == '-' || r == '_' || r >= '0' && r <= '9' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z')
	}) {
		if strings.HasPrefix(w, "eyJ") && strings.Count(w, ".") == 2 {
			return w
		}
	}
	return ""
}
