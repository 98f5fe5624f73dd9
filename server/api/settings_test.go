package api_test

import (
	"fmt"
	"strings"
	"testing"
)

func TestSettings(t *testing.T) {
	t.Parallel()
	e := MustAuthEnv(t)
	MustUser(t, e.env, "ada@example.com", "ada password")
	userToken := MustSignIn(t, e.env, "users", "ada@example.com", "ada password")
	const secret = "smtp-s3cret-value"
	e.Run(t, []scenario{
		{Name: "guest", Method: "GET", URL: "/api/settings", Token: "-", ExpectedStatus: 401},
		{Name: "user", Method: "GET", URL: "/api/settings", Token: userToken, ExpectedStatus: 403},
		{Name: "user patch", Method: "PATCH", URL: "/api/settings", Token: userToken, Body: `{}`, ExpectedStatus: 403},
		{Name: "read", Method: "GET", URL: "/api/settings", ExpectedStatus: 200, ExpectedContent: []string{
			`"appName":"Acme"`, `"appURL":"http://app.test"`, `"enabled":true`, `"tlsMode":"none"`, `"passwordSet":false`,
			`"rateLimits":{"enabled":true,"rules":[{"label":"*:auth"`, `"realtime":{"retentionSeconds":86400}`}},
		{Name: "set the password", Method: "PATCH", URL: "/api/settings", Body: `{"smtp": {"username": "mailer", "password": "` + secret + `"}}`,
			ExpectedStatus: 200, ExpectedContent: []string{`"passwordSet":true`, `"username":"mailer"`}, NotExpected: []string{secret, `"password":`}},
		{Name: "never read back", Method: "GET", URL: "/api/settings", ExpectedStatus: 200,
			ExpectedContent: []string{`"passwordSet":true`}, NotExpected: []string{secret, `"password":`}},
		{Name: "a form sent back keeps it", Method: "PATCH", URL: "/api/settings", Body: `{"smtp": {"password": "", "host": "127.0.0.1"}}`,
			ExpectedStatus: 200, ExpectedContent: []string{`"passwordSet":true`}},
		{Name: "PocketBase's tls flag", Method: "PATCH", URL: "/api/settings", Body: `{"smtp": {"tls": true}}`,
			ExpectedStatus: 200, ExpectedContent: []string{`"tls":true`, `"tlsMode":"tls"`}},
		{Name: "null clears it", Method: "PATCH", URL: "/api/settings", Body: `{"smtp": {"password": null, "username": "", "tlsMode": "none"}}`,
			ExpectedStatus: 200, ExpectedContent: []string{`"passwordSet":false`, `"tls":false`}},
		{Name: "invalid values", Method: "PATCH", URL: "/api/settings",
			Body: `{"meta": {"appURL": "ftp://x", "senderAddress": "nope"}, "smtp": {"tlsMode": "ssl", "port": 0},
				"rateLimits": {"rules": [{"label": "users:nope", "duration": 0, "maxRequests": 1}, {"label": "GET /api/", "audience": "@x", "duration": 1, "maxRequests": 0}]}}`,
			ExpectedStatus: 400, ExpectedContent: []string{`"appURL":{"code":"validation_is_url"`, `"senderAddress":{"code":"validation_is_email"`,
				`"tlsMode":{"code":"validation_in_invalid"`, `"port":{"code":"validation_out_of_range"`,
				`"rules":{"0":{"duration":{"code":"validation_out_of_range"`, `"label":{"code":"validation_invalid_label"`, `"audience":{"code":"validation_in_invalid"`, `"maxRequests":{`}},
		{Name: "nothing saved by the invalid patch", Method: "GET", URL: "/api/settings", ExpectedStatus: 200,
			ExpectedContent: []string{`"appURL":"http://app.test"`, `"tlsMode":"none"`}},
		{Name: "malformed json", Method: "PATCH", URL: "/api/settings", Body: `{"smtp": `, ExpectedStatus: 400},
	})

	// A test email goes through the configured server.
	e.MustJSON("POST", "/api/settings/test/email", "", `{"email": "ops@example.com", "template": "verification", "collection": "users"}`, 204, nil)
	m := e.sink.Next(t)
	if m.To[0] != "ops@example.com" || m.Subject != "Verify your Acme email" || !strings.Contains(m.Text, "http://app.test/_/#/auth/confirm-verification/TEST_TOKEN") {
		t.Fatalf("test email to %v, %q:\n%s", m.To, m.Subject, m.Text)
	}
	e.Run(t, []scenario{
		{Name: "test email: unknown template", Method: "POST", URL: "/api/settings/test/email",
			Body: `{"email": "ops@example.com", "template": "nope"}`, ExpectedStatus: 400, ExpectedContent: []string{`"template":{`}},
		{Name: "test email: bad address", Method: "POST", URL: "/api/settings/test/email",
			Body: `{"email": "nope", "template": "verification"}`, ExpectedStatus: 400, ExpectedContent: []string{`"email":{`}},
		{Name: "test email: guest", Method: "POST", URL: "/api/settings/test/email", Token: "-",
			Body: `{"email": "ops@example.com", "template": "verification"}`, ExpectedStatus: 401},
		{Name: "test email: server refuses", Method: "PATCH", URL: "/api/settings",
			Body: fmt.Sprintf(`{"smtp": {"port": %d, "username": "u", "password": "%s"}}`, e.sink.Port(), secret), ExpectedStatus: 200},
		{Name: "delivery error shown without the password", Method: "POST", URL: "/api/settings/test/email",
			Body: `{"email": "ops@example.com", "template": "password-reset"}`, ExpectedStatus: 400,
			ExpectedContent: []string{`Failed to send the test email`}, NotExpected: []string{secret}},
		{Name: "mail off", Method: "PATCH", URL: "/api/settings", Body: `{"smtp": {"enabled": false}}`, ExpectedStatus: 200},
		{Name: "test email with mail off", Method: "POST", URL: "/api/settings/test/email",
			Body: `{"email": "ops@example.com", "template": "email-change"}`, ExpectedStatus: 400, ExpectedContent: []string{`not configured`}},
	})
}

func TestSettingsSurviveRestartOfCache(t *testing.T) {
	t.Parallel()
	e := MustAuthEnv(t)
	e.MustJSON("PATCH", "/api/settings", "", `{"meta": {"appName": "Granary"}}`, 200, nil)
	// Another node (or this one after settings.TTL) reads them from the database.
	e.clock.Advance(10 * 60e9)
	e.Run(t, []scenario{
		{Name: "reloaded", Method: "GET", URL: "/api/settings", ExpectedStatus: 200, ExpectedContent: []string{`"appName":"Granary"`, `"appURL":"http://app.test"`}},
	})
}

// TestSettingsAudit: the audit's retention is shown and set with the
// other settings.
func TestSettingsAudit(t *testing.T) {
	t.Parallel()
	e := MustEnv(t)
	e.Run(t, []scenario{
		{Name: "shown", Method: "GET", URL: "/api/settings", ExpectedStatus: 200, ExpectedContent: []string{`"audit":{"retentionDays":30}`}},
		{Name: "set", Method: "PATCH", URL: "/api/settings", Body: `{"audit": {"retentionDays": 7}}`, ExpectedStatus: 200,
			ExpectedContent: []string{`"audit":{"retentionDays":7}`}},
	})
}
