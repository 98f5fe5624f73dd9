package auth

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"time"

	"github.com/lumbunghq/lumbung/collections"
)

// The user info of Microsoft, Discord, GitLab, Facebook and X/Twitter,
// mapped as PocketBase maps it. An email counts as verified only where the
// provider says so: Discord's "verified", GitLab's "confirmed_at", X's
// "confirmed_email". Microsoft Graph's "mail" is set by the directory's
// administrators and Facebook's address comes with no such statement, so
// they are kept unverified (a new record gets them; no existing record is
// linked by them).

// fetchRawUser reads the provider's user info endpoint as a JSON object.
func fetchRawUser(ctx context.Context, client *http.Client, p *collections.OAuth2Provider, tok *oauth2Token) (map[string]any, error) {
	raw := map[string]any{}
	if err := getJSON(ctx, client, p.UserInfoURL, tok.AccessToken, jsonHeader, &raw); err != nil {
		return nil, fmt.Errorf("%w: %s user: %v", ErrOAuth2, p.Name, err)
	}
	return raw, nil
}

// str reads a string member of a JSON object ("" when it is not one).
func str(m map[string]any, key string) string {
	v, _ := m[key].(string)
	return v
}

// object reads an object member of a JSON object (nil when it is not one).
func object(m map[string]any, key string) map[string]any {
	v, _ := m[key].(map[string]any)
	return v
}

// fetchMicrosoftUser reads Microsoft Graph's /me: id, displayName, mail.
func fetchMicrosoftUser(ctx context.Context, client *http.Client, p *collections.OAuth2Provider, tok *oauth2Token) (*OAuth2User, error) {
	raw, err := fetchRawUser(ctx, client, p, tok)
	if err != nil {
		return nil, err
	}
	return &OAuth2User{ID: str(raw, "id"), Name: str(raw, "displayName"), Email: str(raw, "mail"), RawUser: raw}, nil
}

// fetchDiscordUser reads Discord's /users/@me. The name is the global name,
// else the username (with its discriminator where one is left); the avatar
// is the CDN image of the avatar hash.
func fetchDiscordUser(ctx context.Context, client *http.Client, p *collections.OAuth2Provider, tok *oauth2Token) (*OAuth2User, error) {
	raw, err := fetchRawUser(ctx, client, p, tok)
	if err != nil {
		return nil, err
	}
	id, username := idString(raw["id"]), str(raw, "username")
	name := str(raw, "global_name")
	if name == "" {
		name = username
		if d := str(raw, "discriminator"); d != "" && d != "0" {
			name += "#" + d
		}
	}
	u := &OAuth2User{ID: id, Name: name, Username: username, Email: str(raw, "email"), RawUser: raw}
	if avatar := str(raw, "avatar"); avatar != "" {
		u.AvatarURL = "https://cdn.discordapp.com/avatars/" + url.PathEscape(id) + "/" + url.PathEscape(avatar) + ".png"
	}
	u.EmailVerified, _ = raw["verified"].(bool)
	return u, nil
}

// fetchGitLabUser reads GitLab's /api/v4/user; the email is verified once
// GitLab has a confirmation time for the account.
func fetchGitLabUser(ctx context.Context, client *http.Client, p *collections.OAuth2Provider, tok *oauth2Token) (*OAuth2User, error) {
	raw, err := fetchRawUser(ctx, client, p, tok)
	if err != nil {
		return nil, err
	}
	u := &OAuth2User{ID: idString(raw["id"]), Name: str(raw, "name"), Username: str(raw, "username"),
		Email: str(raw, "email"), AvatarURL: str(raw, "avatar_url"), RawUser: raw}
	if t, err := time.Parse(time.RFC3339, str(raw, "confirmed_at")); err == nil && !t.IsZero() {
		u.EmailVerified = true
	}
	return u, nil
}

// fetchFacebookUser reads the Graph API's /me with name, email and
// picture.
func fetchFacebookUser(ctx context.Context, client *http.Client, p *collections.OAuth2Provider, tok *oauth2Token) (*OAuth2User, error) {
	raw, err := fetchRawUser(ctx, client, p, tok)
	if err != nil {
		return nil, err
	}
	u := &OAuth2User{ID: idString(raw["id"]), Name: str(raw, "name"), Email: str(raw, "email"), RawUser: raw}
	u.AvatarURL = str(object(object(raw, "picture"), "data"), "url")
	return u, nil
}

// fetchTwitterUser reads X's /2/users/me: {"data": {id, name, username,
// profile_image_url, confirmed_email}}.
func fetchTwitterUser(ctx context.Context, client *http.Client, p *collections.OAuth2Provider, tok *oauth2Token) (*OAuth2User, error) {
	raw, err := fetchRawUser(ctx, client, p, tok)
	if err != nil {
		return nil, err
	}
	d := object(raw, "data")
	u := &OAuth2User{ID: idString(d["id"]), Name: str(d, "name"), Username: str(d, "username"),
		Email: str(d, "confirmed_email"), AvatarURL: str(d, "profile_image_url"), RawUser: raw}
	u.EmailVerified = u.Email != ""
	return u, nil
}
