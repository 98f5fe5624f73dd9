package collections

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"time"
)

// The sign-in methods PocketBase names for multi-factor sign-in.
const (
	MethodPassword = "password"
	MethodOAuth2   = "oauth2"
	MethodOTP      = "otp"
)

// OTP is a one-time password sent to an auth record (PocketBase's _otps).
// Only a keyed hash of the code is kept.
type OTP struct {
	ID           string
	CollectionID string
	RecordID     string
	CodeHash     string
	// SentTo is the address the code was sent to.
	SentTo string
	// KeySum is the record's KeySum(token key) when the OTP was made: a
	// new token key ends the OTPs issued before.
	KeySum string
	// Attempts counts the wrong codes tried against it.
	Attempts int
	Created  time.Time
}

// Expired reports whether the OTP is older than d at now.
func (o *OTP) Expired(d time.Duration, now time.Time) bool { return now.Sub(o.Created) > d }

// MFA is the first, completed method of a multi-factor sign-in (PocketBase's
// _mfas): a second, different method of the same record completes it.
type MFA struct {
	ID           string
	CollectionID string
	RecordID     string
	Method       string
	// KeySum is KeySum(password hash) when it was made: a new password
	// ends it.
	KeySum  string
	Created time.Time
}

// Expired reports whether the MFA session is older than d at now.
func (m *MFA) Expired(d time.Duration, now time.Time) bool { return now.Sub(m.Created) > d }

// AuthOrigin is a place (client address and user agent) an auth record
// signed in from (PocketBase's _authOrigins).
type AuthOrigin struct {
	ID           string
	CollectionID string
	RecordID     string
	Fingerprint  string
	// KeySum is KeySum(password hash) when it was saved: a new password
	// forgets the origins known before.
	KeySum  string
	Created time.Time
	Updated time.Time
}

// KeySum is the short fingerprint of a secret of a record (its token key
// or password hash) that OTPs, MFAs and origins keep to notice it change.
func KeySum(secret string) string {
	sum := sha256.Sum256([]byte(secret))
	return hex.EncodeToString(sum[:12])
}

// AuthSessionStore keeps the OTPs, MFA sessions and sign-in origins of
// auth records (postgres.AuthSessions). Lookups of a missing id fail with
// ENOTFOUND.
type AuthSessionStore interface {
	// CreateOTP stores a new OTP.
	CreateOTP(ctx context.Context, o *OTP) error
	// RecentOTPs returns the OTPs of a record made after since, newest
	// first.
	RecentOTPs(ctx context.Context, collectionID, recordID string, since time.Time) ([]*OTP, error)
	// OTP returns OTP id of the collection.
	OTP(ctx context.Context, collectionID, id string) (*OTP, error)
	// AttemptOTP counts one attempt at OTP id and returns the attempts
	// counted before it, so that concurrent attempts each see another
	// count.
	AttemptOTP(ctx context.Context, id string) (int, error)
	// UseOTP deletes OTP id and reports whether it was still there, so
	// that of two concurrent uses only one succeeds.
	UseOTP(ctx context.Context, id string) (bool, error)

	// CreateMFA stores a new MFA session.
	CreateMFA(ctx context.Context, m *MFA) error
	// MFA returns MFA session id.
	MFA(ctx context.Context, id string) (*MFA, error)
	// DeleteMFA deletes MFA session id and reports whether it was there.
	DeleteMFA(ctx context.Context, id string) (bool, error)

	// AuthOrigins returns the origins of a record, most recently used
	// first.
	AuthOrigins(ctx context.Context, collectionID, recordID string) ([]*AuthOrigin, error)
	// SaveAuthOrigin inserts an origin, or updates the one with the same
	// record and fingerprint.
	SaveAuthOrigin(ctx context.Context, o *AuthOrigin) error
	// DeleteAuthOrigins deletes the origins with the ids.
	DeleteAuthOrigins(ctx context.Context, ids []string) error

	// Forget deletes the OTPs, MFA sessions and origins of a deleted
	// record, or of every record of a deleted collection when recordID is
	// "".
	Forget(ctx context.Context, collectionID, recordID string) error
	// Prune deletes the OTPs and MFA sessions made before the time before.
	Prune(ctx context.Context, before time.Time) (int64, error)
}
