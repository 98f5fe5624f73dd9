package auth

import (
	"context"
	"strings"

	"github.com/lumbunghq/lumbung/collections"
)

// SuperusersCollection is the auth collection of superusers.
const SuperusersCollection = "_superusers"

// Identity is the authenticated caller of a request; nil is a guest.
type Identity struct {
	Record *collections.Record
}

// Superuser reports whether the caller is a superuser.
func (id *Identity) Superuser() bool {
	return id != nil && id.Record.Collection.Name == SuperusersCollection
}

// Authenticator resolves tokens to identities.
type Authenticator struct {
	svc    *collections.Service
	issuer *Issuer
}

// NewAuthenticator returns an Authenticator.
func NewAuthenticator(svc *collections.Service, issuer *Issuer) *Authenticator {
	return &Authenticator{svc: svc, issuer: issuer}
}

// Identify checks an Authorization header value (a bare token, as the
// PocketBase SDK sends it, or "Bearer <token>"). An empty header is a guest
// (nil, nil); a token that fails any check is EUNAUTHORIZED.
func (a *Authenticator) Identify(ctx context.Context, header string) (*Identity, error) {
	token := strings.TrimSpace(header)
	if len(token) > 7 && strings.EqualFold(token[:7], "bearer ") {
		token = strings.TrimSpace(token[7:])
	}
	if token == "" {
		return nil, nil
	}
	invalid := collections.Errorf(collections.EUNAUTHORIZED, "The request requires valid record authorization token.")
	claims, err := Peek(token)
	if err != nil || claims.Type != TypeAuth || claims.ID == "" {
		return nil, invalid
	}
	c, ok := a.svc.Collection(claims.CollectionID)
	if !ok || c.Type != collections.TypeAuth || c.ID != claims.CollectionID {
		return nil, invalid
	}
	rec, err := a.svc.Records().Get(ctx, c, claims.ID)
	if err != nil {
		if collections.ErrorCode(err) == collections.ENOTFOUND {
			return nil, invalid
		}
		return nil, err
	}
	if err := a.issuer.Verify(token, rec, TypeAuth); err != nil {
		return nil, invalid
	}
	return &Identity{Record: rec}, nil
}
