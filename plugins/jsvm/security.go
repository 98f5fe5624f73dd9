package jsvm

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/hmac"
	"crypto/md5"
	"crypto/rand"
	"crypto/sha256"
	"crypto/sha512"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"hash"
	"math/big"
	"time"

	"github.com/dop251/goja"
	"github.com/golang-jwt/jwt/v5"

	"github.com/lumbunghq/lumbung/collections"
)

// defaultAlphabet is the alphabet of PocketBase's random strings.
const defaultAlphabet = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"

// randomString returns n characters of alphabet chosen with the
// operating system's random source.
func randomString(n int, alphabet string) (string, error) {
	runes := []rune(alphabet)
	if len(runes) == 0 {
		return "", errors.New("randomString: an empty alphabet")
	}
	if n < 0 || n > 1<<20 {
		return "", errors.New("randomString: the length must be 0 to 1048576")
	}
	out := make([]rune, n)
	max := big.NewInt(int64(len(runes)))
	for i := range out {
		k, err := rand.Int(rand.Reader, max)
		if err != nil {
			return "", err
		}
		out[i] = runes[k.Int64()]
	}
	return string(out), nil
}

// bindSecurity adds $security: random strings, hashes, HMACs, a constant
// time comparison and JWTs (HS256).
func (st *vmState) bindSecurity() {
	vm := st.vm
	s := vm.NewObject()
	random := func(call goja.FunctionCall) goja.Value {
		alphabet := defaultAlphabet
		if len(call.Arguments) > 1 {
			alphabet = call.Argument(1).String()
		}
		out, err := randomString(int(call.Argument(0).ToInteger()), alphabet)
		if err != nil {
			st.throw(collections.Errorf(collections.EINVALID, "%s", err.Error()))
		}
		return vm.ToValue(out)
	}
	for _, name := range []string{"randomString", "randomStringWithAlphabet", "pseudorandomString", "pseudorandomStringWithAlphabet"} {
		s.Set(name, random)
	}
	digest := func(h func() hash.Hash) func(string) string {
		return func(text string) string {
			d := h()
			d.Write([]byte(text))
			return hex.EncodeToString(d.Sum(nil))
		}
	}
	s.Set("md5", digest(md5.New))
	s.Set("sha256", digest(sha256.New))
	s.Set("sha512", digest(sha512.New))
	mac := func(h func() hash.Hash) func(string, string) string {
		return func(text, secret string) string {
			m := hmac.New(h, []byte(secret))
			m.Write([]byte(text))
			return hex.EncodeToString(m.Sum(nil))
		}
	}
	s.Set("hs256", mac(sha256.New))
	s.Set("hs512", mac(sha512.New))
	s.Set("equal", func(a, b string) bool { return subtle.ConstantTimeCompare([]byte(a), []byte(b)) == 1 })
	s.Set("createJWT", func(call goja.FunctionCall) goja.Value {
		claims := jwt.MapClaims{}
		if m, ok := exportValue(call.Argument(0)).(map[string]any); ok {
			for k, v := range m {
				claims[k] = v
			}
		}
		if secs := call.Argument(2).ToInteger(); secs > 0 {
			claims["exp"] = time.Now().Add(time.Duration(secs) * time.Second).Unix()
		}
		tok, err := jwt.NewWithClaims(jwt.SigningMethodHS256, claims).SignedString([]byte(call.Argument(1).String()))
		if err != nil {
			st.fault(err)
		}
		return vm.ToValue(tok)
	})
	s.Set("parseUnverifiedJWT", func(call goja.FunctionCall) goja.Value {
		claims := jwt.MapClaims{}
		if _, _, err := jwt.NewParser().ParseUnverified(call.Argument(0).String(), claims); err != nil {
			st.throw(collections.Errorf(collections.EINVALID, "Invalid token."))
		}
		return st.toJSValue(map[string]any(claims))
	})
	s.Set("parseJWT", func(call goja.FunctionCall) goja.Value {
		claims := jwt.MapClaims{}
		key := []byte(call.Argument(1).String())
		_, err := jwt.NewParser(jwt.WithValidMethods([]string{"HS256", "HS384", "HS512"})).ParseWithClaims(call.Argument(0).String(), claims,
			func(*jwt.Token) (any, error) { return key, nil })
		if err != nil {
			st.throw(collections.Errorf(collections.EINVALID, "Invalid or expired token."))
		}
		return st.toJSValue(map[string]any(claims))
	})
	s.Set("encrypt", func(call goja.FunctionCall) goja.Value {
		out, err := encrypt([]byte(call.Argument(0).String()), call.Argument(1).String())
		if err != nil {
			st.throw(collections.Errorf(collections.EINVALID, "%s", err.Error()))
		}
		return vm.ToValue(out)
	})
	s.Set("decrypt", func(call goja.FunctionCall) goja.Value {
		out, err := decrypt(call.Argument(0).String(), call.Argument(1).String())
		if err != nil {
			st.throw(collections.Errorf(collections.EINVALID, "%s", err.Error()))
		}
		return vm.ToValue(string(out))
	})
	vm.Set("$security", s)
}

// encrypt seals data with AES-256-GCM under key (32 bytes), as PocketBase
// does: base64 of the nonce followed by the sealed data.
func encrypt(data []byte, key string) (string, error) {
	gcm, err := gcmOf(key)
	if err != nil {
		return "", err
	}
	nonce := make([]byte, gcm.NonceSize())
	if _, err := rand.Read(nonce); err != nil {
		return "", err
	}
	return base64.StdEncoding.EncodeToString(gcm.Seal(nonce, nonce, data, nil)), nil
}

// decrypt opens what encrypt sealed with key.
func decrypt(sealed, key string) ([]byte, error) {
	gcm, err := gcmOf(key)
	if err != nil {
		return nil, err
	}
	b, err := base64.StdEncoding.DecodeString(sealed)
	if err != nil || len(b) < gcm.NonceSize() {
		return nil, errors.New("the text was not encrypted with $security.encrypt")
	}
	out, err := gcm.Open(nil, b[:gcm.NonceSize()], b[gcm.NonceSize():], nil)
	if err != nil {
		return nil, errors.New("the text was not encrypted with this key")
	}
	return out, nil
}

func gcmOf(key string) (cipher.AEAD, error) {
	if len(key) != 32 {
		return nil, errors.New("the key must be 32 characters long")
	}
	block, err := aes.NewCipher([]byte(key))
	if err != nil {
		return nil, err
	}
	return cipher.NewGCM(block)
}
