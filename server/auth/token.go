package auth

import (
	"crypto/hmac"
	"crypto/sha256"
	"errors"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/lumbunghq/lumbung/collections"
)

// Token types. Each type is signed with its own key, so a token of one type
// is never accepted as another.
const (
	TypeAuth          = "auth"
	TypeVerification  = "verification"
	TypePasswordReset = "passwordReset"
	TypeEmailChange   = "emailChange"
	// TypeFile tokens are short-lived and let their holder download
	// protected files (and, for superusers, backups) by a ?token= link.
	TypeFile = "file"
)

// Claims are the JWT claims of a token, as PocketBase writes them.
// Verification and password reset tokens carry the email they were sent
// to, email change tokens the new email too: a token stops working when
// the record's email no longer matches.
type Claims struct {
	ID           string `json:"id"`
	Type         string `json:"type"`
	CollectionID string `json:"collectionId"`
	Refreshable  bool   `json:"refreshable,omitempty"`
	Email        string `json:"email,omitempty"`
	NewEmail     string `json:"newEmail,omitempty"`
	jwt.RegisteredClaims
}

// ErrInvalidToken is returned for any token that fails a check.
var ErrInvalidToken = errors.New("auth: invalid or expired token")

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

// Issue returns a signed token of type typ for rec, valid for ttl. Auth
// tokens are refreshable.
func (is *Issuer) Issue(rec *collections.Record, typ string, ttl time.Duration) (string, error) {
	return is.IssueClaims(rec, Claims{Type: typ, Refreshable: typ == TypeAuth}, ttl)
}

// IssueClaims returns a signed token for rec with the given claims (Type,
// Refreshable, Email, NewEmail), valid for ttl. The record id, collection
// and times are filled in.
func (is *Issuer) IssueClaims(rec *collections.Record, claims Claims, ttl time.Duration) (string, error) {
	tokenKey, _ := rec.Data["tokenKey"].(string)
	if tokenKey == "" {
		return "", errors.New("auth: record has no token key")
	}
	if claims.Type == "" {
		return "", errors.New("auth: token without a type")
	}
	now := time.Now()
	claims.ID, claims.CollectionID = rec.ID(), rec.Collection.ID
	claims.RegisteredClaims = jwt.RegisteredClaims{
		IssuedAt:  jwt.NewNumericDate(now),
		ExpiresAt: jwt.NewNumericDate(now.Add(ttl)),
	}
	return jwt.NewWithClaims(jwt.SigningMethodHS256, claims).SignedString(is.key(rec.Collection.ID, tokenKey, claims.Type))
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
	_, err := is.VerifyClaims(token, rec, typ)
	return err
}

// VerifyClaims checks the token's type, signature and expiry against rec
// and returns its claims.
func (is *Issuer) VerifyClaims(token string, rec *collections.Record, typ string) (*Claims, error) {
	tokenKey, _ := rec.Data["tokenKey"].(string)
	var c Claims
	_, err := jwt.ParseWithClaims(token, &c, func(*jwt.Token) (any, error) {
		return is.key(rec.Collection.ID, tokenKey, typ), nil
	}, jwt.WithValidMethods([]string{"HS256"}), jwt.WithExpirationRequired())
	if err != nil {
		return nil, err
	}
	if c.Type != typ || c.ID != rec.ID() || c.CollectionID != rec.Collection.ID {
		return nil, errors.New("auth: token does not belong to the record")
	}
	return &c, nil
}
