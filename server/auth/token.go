package auth

import (
	"crypto/hmac"
	"crypto/sha256"
	"errors"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/lumbunghq/lumbung/collections"
)

// Token types.
const (
	TypeAuth = "auth"
)

// Claims are the JWT claims of an auth token, as PocketBase writes them.
type Claims struct {
	ID           string `json:"id"`
	Type         string `json:"type"`
	CollectionID string `json:"collectionId"`
	Refreshable  bool   `json:"refreshable,omitempty"`
	jwt.RegisteredClaims
}

// Issuer signs and verifies tokens. A token is signed with a key derived
// from the application secret, the record's collection and the record's
// token key: changing the token key (password change, "log out everywhere")
// invalidates every token issued before.
type Issuer struct {
	secret []byte
}

// NewIssuer returns an Issuer using the application secret.
func NewIssuer(secret []byte) *Issuer { return &Issuer{secret: secret} }

func (is *Issuer) key(collectionID, tokenKey, typ string) []byte {
	m := hmac.New(sha256.New, is.secret)
	m.Write([]byte(typ + "\x00" + collectionID + "\x00" + tokenKey))
	return m.Sum(nil)
}

// Issue returns a signed token of type typ for rec, valid for ttl.
func (is *Issuer) Issue(rec *collections.Record, typ string, ttl time.Duration) (string, error) {
	tokenKey, _ := rec.Data["tokenKey"].(string)
	if tokenKey == "" {
		return "", errors.New("auth: record has no token key")
	}
	now := time.Now()
	claims := Claims{
		ID: rec.ID(), Type: typ, CollectionID: rec.Collection.ID, Refreshable: typ == TypeAuth,
		RegisteredClaims: jwt.RegisteredClaims{
			IssuedAt:  jwt.NewNumericDate(now),
			ExpiresAt: jwt.NewNumericDate(now.Add(ttl)),
		},
	}
	return jwt.NewWithClaims(jwt.SigningMethodHS256, claims).SignedString(is.key(rec.Collection.ID, tokenKey, typ))
}

// Peek reads a token's claims without verifying it, to find the record whose
// key verifies it. Never trust the result before Verify.
func Peek(token string) (*Claims, error) {
	var c Claims
	if _, _, err := jwt.NewParser().ParseUnverified(token, &c); err != nil {
		return nil, err
	}
	return &c, nil
}

// Verify checks the token's signature and expiry against rec.
func (is *Issuer) Verify(token string, rec *collections.Record, typ string) error {
	tokenKey, _ := rec.Data["tokenKey"].(string)
	var c Claims
	_, err := jwt.ParseWithClaims(token, &c, func(*jwt.Token) (any, error) {
		return is.key(rec.Collection.ID, tokenKey, typ), nil
	}, jwt.WithValidMethods([]string{"HS256"}), jwt.WithExpirationRequired())
	if err != nil {
		return err
	}
	if c.Type != typ || c.ID != rec.ID() || c.CollectionID != rec.Collection.ID {
		return errors.New("auth: token does not belong to the record")
	}
	return nil
}
