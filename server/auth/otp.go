package auth

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"math/big"
)

// NewCode returns a random code of n decimal digits, as one-time passwords
// are.
func NewCode(n int) string {
	b := make([]byte, n)
	ten := big.NewInt(10)
	for i := range b {
		d, err := rand.Int(rand.Reader, ten)
		if err != nil {
			panic(err) // crypto/rand does not fail
		}
		b[i] = byte('0' + d.Int64())
	}
	return string(b)
}

// CodeHash is the keyed hash of a one-time password kept in place of the
// code: bound to the application secret and to the OTP's id, so that the
// stored hashes alone do not give the codes away, and the same code of two
// OTPs hashes differently.
func (is *Issuer) CodeHash(otpID, code string) string {
	m := hmac.New(sha256.New, is.secret)
	m.Write([]byte("\x01otp code\x01" + otpID + "\x00" + code))
	return hex.EncodeToString(m.Sum(nil))
}

// CheckCode reports, in constant time, whether code is the one hash was
// made of for OTP otpID.
func (is *Issuer) CheckCode(otpID, code, hash string) bool {
	return hmac.Equal([]byte(is.CodeHash(otpID, code)), []byte(hash))
}
