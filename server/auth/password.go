// Package auth issues and checks tokens, hashes passwords and identifies the
// caller of each request.
package auth

import (
	"golang.org/x/crypto/bcrypt"
)

// DefaultCost is bcrypt's work factor: about 200 ms per hash on a server core.
const DefaultCost = 12

// Hasher returns a function that hashes passwords with bcrypt at cost
// (DefaultCost when 0).
func Hasher(cost int) func(password string) (string, error) {
	if cost == 0 {
		cost = DefaultCost
	}
	return func(password string) (string, error) {
		b, err := bcrypt.GenerateFromPassword([]byte(password), cost)
		return string(b), err
	}
}

// dummyHash is compared against when an identity does not exist, so that a
// failed sign-in takes as long whether or not the email is known.
var dummyHash = []byte("$2a$12$C6UzMDM.H6dfI/f/IKcEeO5ZaHE4zR3sqcaRwwx1O1nsBVvUu1CCe")

// CheckPassword reports whether password matches hash, in constant time. An
// empty hash (unknown identity) is compared against a dummy and fails.
func CheckPassword(hash, password string) bool {
	if hash == "" {
		bcrypt.CompareHashAndPassword(dummyHash, []byte(password)) //nolint:errcheck // timing only
		return false
	}
	return bcrypt.CompareHashAndPassword([]byte(hash), []byte(password)) == nil
}
