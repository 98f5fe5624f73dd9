package api_test

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"strings"
	"testing"
)

// TestOAuth2ProvidersMeta: the built-in providers as PocketBase lists them
// (superusers only), and their logos in auth-methods.
func TestOAuth2ProvidersMeta(t *testing.T) {
	t.Parallel()
	e := MustEnv(t)
	e.Run(t, []scenario{
		{Name: "guest", Method: "GET", URL: "/api/collections/meta/oauth2-providers", Token: "-", ExpectedStatus: 401},
		{Name: "superuser", Method: "GET", URL: "/api/collections/meta/oauth2-providers", ExpectedStatus: 200,
			ExpectedContent: []string{`[{"name":"apple","displayName":"Apple","logo":"\u003csvg`, `{"name":"twitter","displayName":"X/Twitter","logo":"\u003csvg`}},
	})
	var list []struct{ Name, DisplayName, Logo string }
	e.MustJSON("GET", "/api/collections/meta/oauth2-providers", "", "", 200, &list)
	names := []string{}
	for _, p := range list {
		names = append(names, p.Name)
	}
	if strings.Join(names, ",") != "apple,google,microsoft,facebook,github,gitlab,discord,twitter,oidc,oidc2,oidc3" {
		t.Fatalf("providers %v", names)
	}

	e.MustJSON("PATCH", "/api/collections/users", "", `{"oauth2": {"enabled": true, "providers": [
		{"name": "apple", "clientId": "com.example.app", "clientSecret": "jwt"},
		{"name": "discord", "clientId": "d", "clientSecret": "s"},
		{"name": "acme", "clientId": "a", "authURL": "https://id.acme.test/auth", "tokenURL": "https://id.acme.test/token", "userInfoURL": "https://id.acme.test/me"}]}}`, 200, nil)
	var methods struct {
		OAuth2 struct {
			Providers []struct {
				Name, DisplayName, Logo string
				AuthURL                 string `json:"authURL"`
				AuthUrl                 string `json:"authUrl"` //nolint:revive // PocketBase's legacy name
			}
		}
	}
	e.MustJSON("GET", "/api/collections/users/auth-methods", "-", "", 200, &methods)
	ps := methods.OAuth2.Providers
	if len(ps) != 3 || ps[0].DisplayName != "Apple" || !strings.HasPrefix(ps[0].Logo, "<svg") || !strings.Contains(ps[0].AuthURL, "response_mode=form_post") ||
		ps[1].DisplayName != "Discord" || !strings.HasPrefix(ps[1].Logo, "<svg") || strings.Contains(ps[1].AuthURL, "response_mode") ||
		ps[2].DisplayName != "acme" || ps[2].Logo != "" || ps[2].AuthUrl != ps[2].AuthURL {
		t.Fatalf("auth-methods %+v", ps)
	}
}

// TestAppleGenerateClientSecret: PocketBase's route that turns Apple's
// key into the client secret (superusers only).
func TestAppleGenerateClientSecret(t *testing.T) {
	t.Parallel()
	e := MustEnv(t)
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	der, _ := x509.MarshalPKCS8PrivateKey(key)
	pemKey := string(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}))
	body, _ := json.Marshal(map[string]any{"clientId": "com.example.app", "teamId": "ABCDE12345", "keyId": "KEY1234567", "privateKey": pemKey, "duration": 3600})
	e.Run(t, []scenario{
		{Name: "guest", Method: "POST", URL: "/api/settings/apple/generate-client-secret", Token: "-", Body: string(body), ExpectedStatus: 401},
		{Name: "superuser", Method: "POST", URL: "/api/settings/apple/generate-client-secret", Body: string(body), ExpectedStatus: 200,
			ExpectedContent: []string{`{"secret":"eyJ`}, NotExpected: []string{"PRIVATE KEY"}},
		{Name: "invalid", Method: "POST", URL: "/api/settings/apple/generate-client-secret", Body: `{"teamId": "x", "duration": 0}`, ExpectedStatus: 400,
			ExpectedContent: []string{`"message":"Invalid client secret data."`, `"teamId":{"code":"validation_length_invalid"`, `"clientId":{"code":"validation_required"`}},
		{Name: "key that does not parse", Method: "POST", URL: "/api/settings/apple/generate-client-secret",
			Body:           `{"clientId": "c", "teamId": "ABCDE12345", "keyId": "KEY1234567", "duration": 60, "privateKey": "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----"}`,
			ExpectedStatus: 400, ExpectedContent: []string{`"message":"Failed to generate client secret.`}},
		{Name: "not JSON", Method: "POST", URL: "/api/settings/apple/generate-client-secret", Body: `{`, ExpectedStatus: 400},
	})
}
