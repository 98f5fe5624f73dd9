package api_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/oauth2-proxy/mockoidc"

	"github.com/lumbunghq/lumbung/server"
)

// pictureUser is a provider user whose userinfo carries a picture.
type pictureUser struct {
	*mockoidc.MockUser
	picture string
}

func (u pictureUser) Userinfo(scope []string) ([]byte, error) {
	b, err := u.MockUser.Userinfo(scope)
	if err != nil {
		return nil, err
	}
	var info map[string]any
	if err := json.Unmarshal(b, &info); err != nil {
		return nil, err
	}
	info["picture"], info["email_verified"] = u.picture, true
	return json.Marshal(info)
}

// TestOAuth2Avatar: a record made by an OAuth2 sign-up gets the
// provider's avatar downloaded into the users' avatar file field, as in
// PocketBase; an avatar on a private address is not fetched unless the
// server allows it, and its failure leaves the field empty without
// failing the sign-up.
func TestOAuth2Avatar(t *testing.T) {
	img := pngBytes(t, 8, 8)
	var fetched atomic.Int32
	avatars := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fetched.Add(1)
		w.Write(img)
	}))
	defer avatars.Close()
	for _, c := range []struct {
		name    string
		allow   []string
		fetched bool
	}{
		{"loopback refused", nil, false},
		{"loopback allowed", []string{"127.0.0.0/8"}, true},
	} {
		t.Run(c.name, func(t *testing.T) {
			fetched.Store(0)
			e := MustEnv(t, func(cfg *server.Config) { cfg.EgressAllow, cfg.Dir = c.allow, t.TempDir() })
			m := MustOIDC(t, e)
			e.MustJSON("PATCH", "/api/collections/users", "", `{"oauth2": {"mappedFields": {"name": "name", "avatarURL": "avatar"}}}`, 200, nil)
			m.QueueUser(pictureUser{&mockoidc.MockUser{Subject: "sub-ann", Email: "ann@example.com", EmailVerified: true}, avatars.URL + "/ann/photo.png"})
			code, verifier := oauth2Code(t, e, "oidc")
			var out oauth2Answer
			e.MustJSON("POST", "/api/collections/users/auth-with-oauth2", "-", oauth2Body(code, verifier, nil), 200, &out)
			avatar, _ := out.Record["avatar"].(string)
			if !c.fetched {
				if avatar != "" || fetched.Load() != 0 {
					t.Fatalf("avatar %q, fetched %d", avatar, fetched.Load())
				}
				return
			}
			if !strings.HasPrefix(avatar, "photo_") || !strings.HasSuffix(avatar, ".png") {
				t.Fatalf("avatar %q", avatar)
			}
			code2, body := e.Do("GET", fmt.Sprintf("/api/files/users/%s/%s", out.Record["id"], avatar), "-", "")
			if code2 != 200 || !bytes.Equal([]byte(body), img) {
				t.Fatalf("avatar file: %d, %d bytes", code2, len(body))
			}
		})
	}
}
