package auth

import (
	"bytes"
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
	"strconv"
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
	Name        string `json:"name"`
	DisplayName string `json:"displayName"`
	// Logo is the built-in provider's mark as SVG ("" for others).
	Logo    string `json:"logo"`
	State   string `json:"state"`
	AuthURL string `json:"authURL"`
	// AuthURLLegacy repeats AuthURL under the name older SDKs read.
	AuthURLLegacy       string `json:"authUrl"`
	CodeVerifier        string `json:"codeVerifier"`
	CodeChallenge       string `json:"codeChallenge"`
	CodeChallengeMethod string `json:"codeChallengeMethod"`
	PKCE                bool   `json:"pkce"`
}

var defaultScopes = []string{"openid", "email", "profile"}

// StartOAuth2 prepares a sign-in with provider (a built-in provider's
// settings fill in what it leaves out).
func StartOAuth2(provider *collections.OAuth2Provider) OAuth2Start {
	pp := provider.WithPreset()
	p := &pp
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
	pre, _ := collections.OAuth2PresetFor(p.Name)
	s.Logo = pre.Logo
	for k, v := range pre.AuthParams {
		q.Set(k, v)
	}
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
	s.AuthURLLegacy = s.AuthURL
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
	Error        string `json:"error"`
}

// Authenticate exchanges an authorization code for tokens and fetches the
// provider's user: through the provider's own API for built-in providers
// that have one (GitHub), else from the OpenID Connect userinfo endpoint.
func (o *OAuth2Client) Authenticate(ctx context.Context, provider *collections.OAuth2Provider, code, codeVerifier, redirectURL string) (*OAuth2User, error) {
	pp := provider.WithPreset()
	p := &pp
	client := o.HTTP
	if client == nil {
		client = &http.Client{Timeout: 30 * time.Second}
	}
	tok, err := exchangeCode(ctx, client, p, code, codeVerifier, redirectURL)
	if err != nil {
		return nil, err
	}
	fetch, ok := userFetchers[p.Name]
	if !ok {
		fetch = fetchOIDCUser
	}
	u, err := fetch(ctx, client, p, tok)
	if err != nil {
		return nil, err
	}
	u.AccessToken, u.RefreshToken = tok.AccessToken, tok.RefreshToken
	if secs := expiresIn(tok.ExpiresIn); secs > 0 {
		u.Expiry = collections.FormatDate(time.Now().Add(time.Duration(secs) * time.Second))
	}
	if u.ID == "" {
		return nil, fmt.Errorf("%w: the provider named no user id", ErrOAuth2)
	}
	return u, nil
}

// userFetcher fetches the user an access token belongs to.
type userFetcher func(ctx context.Context, client *http.Client, p *collections.OAuth2Provider, tok *oauth2Token) (*OAuth2User, error)

// exchangeCode trades an authorization code for tokens at the provider's
// token endpoint.
func exchangeCode(ctx context.Context, client *http.Client, p *collections.OAuth2Provider, code, codeVerifier, redirectURL string) (*oauth2Token, error) {
	form := url.Values{
		"grant_type":   {"authorization_code"},
		"code":         {code},
		"redirect_uri": {redirectURL},
	}
	pre, _ := collections.OAuth2PresetFor(p.Name)
	if !pre.BasicAuth {
		form.Set("client_id", p.ClientID)
		form.Set("client_secret", p.ClientSecret)
	}
	if codeVerifier != "" {
		form.Set("code_verifier", codeVerifier)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, p.TokenURL, strings.NewReader(form.Encode()))
	if err != nil {
		return nil, fmt.Errorf("%w: token request: %v", ErrOAuth2, err)
	}
	if pre.BasicAuth {
		// RFC 6749 2.3.1: the credentials form-encoded, then as Basic.
		req.SetBasicAuth(url.QueryEscape(p.ClientID), url.QueryEscape(p.ClientSecret))
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Accept", "application/json") // GitHub answers form-encoded without it
	var tok oauth2Token
	if err := fetchJSON(client, req, &tok); err != nil {
		return nil, fmt.Errorf("%w: token: %v", ErrOAuth2, err)
	}
	if tok.Error != "" { // GitHub reports a bad code with status 200
		return nil, fmt.Errorf("%w: token: %s", ErrOAuth2, tok.Error)
	}
	if tok.AccessToken == "" {
		return nil, fmt.Errorf("%w: token: no access token", ErrOAuth2)
	}
	return &tok, nil
}

// fetchOIDCUser reads the OpenID Connect userinfo endpoint. The ID token,
// received directly from the token endpoint over the provider's TLS, adds
// its claims (email_verified) to the userinfo answer.
func fetchOIDCUser(ctx context.Context, client *http.Client, p *collections.OAuth2Provider, tok *oauth2Token) (*OAuth2User, error) {
	raw := map[string]any{}
	if err := getJSON(ctx, client, p.UserInfoURL, tok.AccessToken, jsonHeader, &raw); err != nil {
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
		AvatarURL: str("picture"), RawUser: raw,
	}
	if u.ID == "" {
		u.ID = idString(raw["id"]) // plain OAuth2 providers
	}
	for _, src := range []map[string]any{raw, claims} {
		if v, ok := boolClaim(src["email_verified"]); ok {
			u.EmailVerified = v
			break
		}
	}
	return u, nil
}

// boolClaim reads a boolean claim, which some providers quote.
func boolClaim(v any) (value, ok bool) {
	switch v := v.(type) {
	case bool:
		return v, true
	case string:
		return v == "true", v == "true" || v == "false"
	}
	return false, false
}

// idString is a user id as text: a string, or a JSON number as written.
func idString(v any) string {
	switch v := v.(type) {
	case string:
		return v
	case json.Number:
		return v.String()
	case nil:
		return ""
	}
	return fmt.Sprint(v)
}

// expiresIn reads a token's lifetime in seconds, a number or a quoted one.
func expiresIn(v any) float64 {
	switch v := v.(type) {
	case json.Number:
		f, _ := v.Float64()
		return f
	case string:
		f, _ := strconv.ParseFloat(v, 64)
		return f
	}
	return 0
}

var jsonHeader = http.Header{"Accept": {"application/json"}}

// getJSON fetches endpoint with the access token (and header) and decodes its JSON answer
// into out, keeping numbers as written (json.Number).
func getJSON(ctx context.Context, client *http.Client, endpoint, accessToken string, header http.Header, out any) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, endpoint, nil)
	if err != nil {
		return err
	}
	for k, v := range header {
		req.Header[k] = v
	}
	req.Header.Set("Authorization", "Bearer "+accessToken)
	return fetchJSON(client, req, out)
}

// statusError is a provider's answer other than 200 OK.
type statusError struct{ code int }

func (e *statusError) Error() string { return fmt.Sprintf("status %d", e.code) }

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
		return &statusError{res.StatusCode}
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	return dec.Decode(out)
}
