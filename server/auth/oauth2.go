package auth

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/lumbunghq/lumbung/collections"
)

// OAuth2Client runs the server side of the OAuth2 authorization code flow
// (with PKCE) against generic OAuth2 / OpenID Connect providers.
type OAuth2Client struct {
	// HTTP makes the calls to providers (a client with a 30 s timeout
	// when nil).
	HTTP *http.Client
}

// OAuth2User is what a provider says about the signed-in user.
type OAuth2User struct {
	ID            string         `json:"id"`
	Name          string         `json:"name"`
	Username      string         `json:"username"`
	Email         string         `json:"email"`
	EmailVerified bool           `json:"-"`
	AvatarURL     string         `json:"avatarURL"`
	AccessToken   string         `json:"accessToken"`
	RefreshToken  string         `json:"refreshToken"`
	Expiry        string         `json:"expiry"`
	RawUser       map[string]any `json:"rawUser"`
}

// OAuth2Start is what a client needs to send the user to a provider: the
// authorization URL (ending in "redirect_uri=", to which the client
// appends its own), and the state and code verifier to keep until the
// provider sends the user back.
type OAuth2Start struct {
	Name                string `json:"name"`
	DisplayName         string `json:"displayName"`
	State               string `json:"state"`
	AuthURL             string `json:"authURL"`
	CodeVerifier        string `json:"codeVerifier"`
	CodeChallenge       string `json:"codeChallenge"`
	CodeChallengeMethod string `json:"codeChallengeMethod"`
	PKCE                bool   `json:"pkce"`
}

var defaultScopes = []string{"openid", "email", "profile"}

// StartOAuth2 prepares a sign-in with provider p.
func StartOAuth2(p *collections.OAuth2Provider) OAuth2Start {
	s := OAuth2Start{Name: p.Name, DisplayName: p.DisplayName, State: randomURLSafe(30), PKCE: p.PKCE == nil || *p.PKCE}
	if s.DisplayName == "" {
		s.DisplayName = p.Name
	}
	q := url.Values{}
	q.Set("client_id", p.ClientID)
	q.Set("response_type", "code")
	scopes := p.Scopes
	if len(scopes) == 0 {
		scopes = defaultScopes
	}
	q.Set("scope", strings.Join(scopes, " "))
	q.Set("state", s.State)
	if s.PKCE {
		s.CodeVerifier = randomURLSafe(43)
		sum := sha256.Sum256([]byte(s.CodeVerifier))
		s.CodeChallenge = base64.RawURLEncoding.EncodeToString(sum[:])
		s.CodeChallengeMethod = "S256"
		q.Set("code_challenge", s.CodeChallenge)
		q.Set("code_challenge_method", "S256")
	}
	sep := "?"
	if strings.Contains(p.AuthURL, "?") {
		sep = "&"
	}
	s.AuthURL = p.AuthURL + sep + q.Encode() + "&redirect_uri="
	return s
}

func randomURLSafe(n int) string {
	b := make([]byte, n)
	rand.Read(b) //nolint:errcheck // crypto/rand does not fail
	return base64.RawURLEncoding.EncodeToString(b)[:n]
}

// ErrOAuth2 wraps every failure to talk to a provider.
var ErrOAuth2 = errors.New("oauth2")

type oauth2Token struct {
	AccessToken  string `json:"access_token"`
	RefreshToken string `json:"refresh_token"`
	IDToken      string `json:"id_token"`
	TokenType    string `json:"token_type"`
	ExpiresIn    any    `json:"expires_in"`
}

// Authenticate exchanges an authorization code for tokens and fetches the
// provider's user. The ID token, received directly from the token
// endpoint over the provider's TLS, adds its claims (email_verified) to the
// userinfo answer.
func (o *OAuth2Client) Authenticate(ctx context.Context, p *collections.OAuth2Provider, code, codeVerifier, redirectURL string) (*OAuth2User, error) {
	client := o.HTTP
	if client == nil {
		client = &http.Client{Timeout: 30 * time.Second}
	}
	form := url.Values{
		"grant_type":    {"authorization_code"},
		"code":          {code},
		"redirect_uri":  {redirectURL},
		"client_id":     {p.ClientID},
		"client_secret": {p.ClientSecret},
	}
	if codeVerifier != "" {
		form.Set("code_verifier", codeVerifier)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, p.TokenURL, strings.NewReader(form.Encode()))
	if err != nil {
		return nil, fmt.Errorf("%w: token request: %v", ErrOAuth2, err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Accept", "application/json")
	var tok oauth2Token
	if err := fetchJSON(client, req, &tok); err != nil {
		return nil, fmt.Errorf("%w: token: %v", ErrOAuth2, err)
	}
	if tok.AccessToken == "" {
		return nil, fmt.Errorf("%w: token: no access token", ErrOAuth2)
	}
	req, err = http.NewRequestWithContext(ctx, http.MethodGet, p.UserInfoURL, nil)
	if err != nil {
		return nil, fmt.Errorf("%w: userinfo request: %v", ErrOAuth2, err)
	}
	req.Header.Set("Authorization", "Bearer "+tok.AccessToken)
	req.Header.Set("Accept", "application/json")
	raw := map[string]any{}
	if err := fetchJSON(client, req, &raw); err != nil {
		return nil, fmt.Errorf("%w: userinfo: %v", ErrOAuth2, err)
	}
	claims := jwt.MapClaims{}
	if tok.IDToken != "" {
		if _, _, err := jwt.NewParser().ParseUnverified(tok.IDToken, claims); err != nil {
			return nil, fmt.Errorf("%w: id token: %v", ErrOAuth2, err)
		}
		if sub, _ := claims["sub"].(string); sub != "" && raw["sub"] != nil && raw["sub"] != sub {
			return nil, fmt.Errorf("%w: the id token and userinfo name different users", ErrOAuth2)
		}
	}
	str := func(key string) string {
		if v, ok := raw[key].(string); ok {
			return v
		}
		v, _ := claims[key].(string)
		return v
	}
	u := &OAuth2User{
		ID: str("sub"), Name: str("name"), Username: str("preferred_username"), Email: str("email"),
		AvatarURL: str("picture"), AccessToken: tok.AccessToken, RefreshToken: tok.RefreshToken, RawUser: raw,
	}
	if u.ID == "" {
		if id, ok := raw["id"]; ok { // plain OAuth2 providers
			u.ID = fmt.Sprint(id)
		}
	}
	for _, src := range []map[string]any{raw, claims} {
		if v, ok := src["email_verified"].(bool); ok {
			u.EmailVerified = v
			break
		}
	}
	if secs, ok := tok.ExpiresIn.(float64); ok && secs > 0 {
		u.Expiry = collections.FormatDate(time.Now().Add(time.Duration(secs) * time.Second))
	}
	if u.ID == "" {
		return nil, fmt.Errorf("%w: the provider named no user id", ErrOAuth2)
	}
	return u, nil
}

func fetchJSON(client *http.Client, req *http.Request, out any) error {
	res, err := client.Do(req)
	if err != nil {
		return err
	}
	defer res.Body.Close()
	body, err := io.ReadAll(io.LimitReader(res.Body, 1<<20))
	if err != nil {
		return err
	}
	if res.StatusCode != http.StatusOK {
		return fmt.Errorf("status %d", res.StatusCode)
	}
	return json.Unmarshal(body, out)
}
