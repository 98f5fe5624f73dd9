package api_test

import (
	"strings"
	"testing"
)

func TestHealthDetails(t *testing.T) {
	t.Parallel()
	e := MustEnv(t)
	e.Run(t, []scenario{
		{Name: "guest", Method: "GET", URL: "/api/health", Token: "-", ExpectedStatus: 200,
			ExpectedContent: []string{`"message":"API is healthy."`, `"data":{}`}, NotExpected: []string{"realIP"}},
		{Name: "superuser", Method: "GET", URL: "/api/health", ExpectedStatus: 200,
			ExpectedContent: []string{`"canBackup":true`, `"realIP":"0.0.0.0"`, `"possibleProxyHeader":""`}},
	})
	_, body := e.DoFrom("GET", "/api/health", "", "", map[string]string{"CF-Connecting-IP": "203.0.113.9"})
	if !strings.Contains(body, `"possibleProxyHeader":"CF-Connecting-IP"`) || !strings.Contains(body, `"realIP":"0.0.0.0"`) {
		t.Errorf("behind an untrusted proxy: %s", body)
	}
}
