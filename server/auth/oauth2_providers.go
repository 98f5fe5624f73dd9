package auth

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"

	"github.com/lumbunghq/lumbung/collections"
)

// userFetchers read the user of built-in providers that are not OpenID
// Connect providers, by provider name (collections.OAuth2Presets). Google
// answers OpenID Connect userinfo and needs none.
var userFetchers = map[string]userFetcher{
	"github":    fetchGitHubUser,
	"apple":     fetchAppleUser,
	"microsoft": fetchMicrosoftUser,
	"discord":   fetchDiscordUser,
	"gitlab":    fetchGitLabUser,
	"facebook":  fetchFacebookUser,
	"twitter":   fetchTwitterUser,
}

// githubHeader is what GitHub's REST API asks clients to send.
var githubHeader = http.Header{
	"Accept":               {"application/vnd.github+json"},
	"X-Github-Api-Version": {"2022-11-28"},
	"User-Agent":           {"Lumbung"},
}

type githubEmail struct {
	Email    string `json:"email"`
	Primary  bool   `json:"primary"`
	Verified bool   `json:"verified"`
}

// fetchGitHubUser reads GitHub's user (numeric id, login, name, public
// email, avatar_url) and the account's email addresses
// (UserInfoURL + "/emails", which the user:email scope allows). Only the
// primary address, once GitHub has verified it, counts as verified; the
// public address, which may be any of them, never does.
func fetchGitHubUser(ctx context.Context, client *http.Client, p *collections.OAuth2Provider, tok *oauth2Token) (*OAuth2User, error) {
	raw := map[string]any{}
	if err := getJSON(ctx, client, p.UserInfoURL, tok.AccessToken, githubHeader, &raw); err != nil {
		return nil, fmt.Errorf("%w: github user: %v", ErrOAuth2, err)
	}
	str := func(key string) string { v, _ := raw[key].(string); return v }
	u := &OAuth2User{ID: idString(raw["id"]), Name: str("name"), Username: str("login"), Email: str("email"),
		AvatarURL: str("avatar_url"), RawUser: raw}

	emailsURL, err := url.Parse(p.UserInfoURL)
	if err != nil {
		return nil, fmt.Errorf("%w: github user info url: %v", ErrOAuth2, err)
	}
	emailsURL.Path = strings.TrimSuffix(emailsURL.Path, "/") + "/emails"
	var emails []githubEmail
	err = getJSON(ctx, client, emailsURL.String(), tok.AccessToken, githubHeader, &emails)
	var status *statusError
	switch {
	case errors.As(err, &status) && (status.code == http.StatusUnauthorized || status.code == http.StatusForbidden || status.code == http.StatusNotFound):
		return u, nil // no user:email scope: only the public address, unverified
	case err != nil:
		return nil, fmt.Errorf("%w: github emails: %v", ErrOAuth2, err)
	}
	for _, e := range emails {
		if !e.Primary {
			continue
		}
		if e.Verified {
			u.Email, u.EmailVerified = e.Email, true
		} else if u.Email == "" {
			u.Email = e.Email
		}
		break
	}
	return u, nil
}
