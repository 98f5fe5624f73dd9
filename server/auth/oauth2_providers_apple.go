package auth

import (
	"context"
	"fmt"
	"net/http"
	"regexp"
	"strings"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/lumbunghq/lumbung/collections"
)

// appleIssuer is who signs Apple's ID tokens.
const appleIssuer = "https://appleid.apple.com"

// fetchAppleUser reads the user from the ID token Apple's token endpoint
// returns (Apple has no user info endpoint): sub, email, email_verified
// (a boolean or a quoted one). The token came straight from the token
// endpoint over TLS, which authenticates it (OpenID Connect Core 3.1.3.7);
// its audience must be the client, it must not have expired, and when
// the token endpoint is Apple's its issuer must be Apple.
func fetchAppleUser(_ context.Context, _ *http.Client, p *collections.OAuth2Provider, tok *oauth2Token) (*OAuth2User, error) {
	if tok.IDToken == "" {
		return nil, fmt.Errorf("%w: apple: no id token", ErrOAuth2)
	}
	claims := jwt.MapClaims{}
	if _, _, err := jwt.NewParser().ParseUnverified(tok.IDToken, claims); err != nil {
		return nil, fmt.Errorf("%w: apple id token: %v", ErrOAuth2, err)
	}
	opts := []jwt.ParserOption{jwt.WithExpirationRequired(), jwt.WithLeeway(time.Minute), jwt.WithAudience(p.ClientID)}
	if strings.HasPrefix(p.TokenURL, appleIssuer+"/") {
		opts = append(opts, jwt.WithIssuer(appleIssuer))
	}
	if err := jwt.NewValidator(opts...).Validate(claims); err != nil {
		return nil, fmt.Errorf("%w: apple id token: %v", ErrOAuth2, err)
	}
	raw := map[string]any(claims)
	u := &OAuth2User{ID: str(raw, "sub"), Name: str(raw, "name"), Email: str(raw, "email"), RawUser: raw}
	u.EmailVerified, _ = boolClaim(raw["email_verified"])
	return u, nil
}

// AppleSecretInput is what an Apple client secret is made of, with
// PocketBase's names: the Services ID (clientId), the team and key ids
// (10 characters each), the "Sign in with Apple" private key (PEM, PKCS #8)
// and how long the secret holds, in seconds (at most about six months).
type AppleSecretInput struct {
	ClientID   string `json:"clientId"`
	TeamID     string `json:"teamId"`
	KeyID      string `json:"keyId"`
	PrivateKey string `json:"privateKey"`
	Duration   int64  `json:"duration"`
}

// AppleSecretMaxDuration is the longest an Apple client secret may hold.
const AppleSecretMaxDuration = 15777000

var applePrivateKeyRe = regexp.MustCompile(`(?m)-----BEGIN PRIVATE KEY----[\s\S]+-----END PRIVATE KEY-----`)

// Validate returns the problems of in by field, PocketBase's codes.
func (in *AppleSecretInput) Validate() map[string]collections.FieldError {
	errs := map[string]collections.FieldError{}
	blank := collections.FieldError{Code: "validation_required", Message: "Cannot be blank."}
	if strings.TrimSpace(in.ClientID) == "" {
		errs["clientId"] = blank
	}
	for field, v := range map[string]string{"teamId": in.TeamID, "keyId": in.KeyID} {
		switch {
		case strings.TrimSpace(v) == "":
			errs[field] = blank
		case len([]rune(v)) != 10:
			errs[field] = collections.FieldError{Code: "validation_length_invalid", Message: "The length must be exactly 10."}
		}
	}
	switch {
	case strings.TrimSpace(in.PrivateKey) == "":
		errs["privateKey"] = blank
	case !applePrivateKeyRe.MatchString(in.PrivateKey):
		errs["privateKey"] = collections.FieldError{Code: "validation_match_invalid", Message: "Must be in a valid format."}
	}
	switch {
	case in.Duration == 0:
		errs["duration"] = blank
	case in.Duration < 1:
		errs["duration"] = collections.FieldError{Code: "validation_min_greater_equal_than_required", Message: "Must be no less than 1."}
	case in.Duration > AppleSecretMaxDuration:
		errs["duration"] = collections.FieldError{Code: "validation_max_less_equal_than_required", Message: fmt.Sprintf("Must be no greater than %d.", AppleSecretMaxDuration)}
	}
	return errs
}

// AppleClientSecret makes the client secret Apple's token endpoint asks
// for: a JWT signed with the private key (ES256, the key id in its header),
// issued by the team to the client for Apple, valid for in.Duration seconds
// from now. in must be valid (Validate); a key that does not parse is an
// error.
func AppleClientSecret(in AppleSecretInput, now time.Time) (string, error) {
	key, err := jwt.ParseECPrivateKeyFromPEM([]byte(strings.TrimSpace(in.PrivateKey)))
	if err != nil {
		return "", err
	}
	claims := jwt.RegisteredClaims{
		Audience:  jwt.ClaimStrings{appleIssuer},
		Subject:   in.ClientID,
		Issuer:    in.TeamID,
		IssuedAt:  jwt.NewNumericDate(now),
		ExpiresAt: jwt.NewNumericDate(now.Add(time.Duration(in.Duration) * time.Second)),
	}
	t := jwt.NewWithClaims(jwt.SigningMethodES256, claims)
	t.Header["kid"] = in.KeyID
	return t.SignedString(key)
}
