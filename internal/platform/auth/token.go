package auth

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"encoding/hex"
)

// newToken returns n random bytes, base64url-encoded. Session tokens, CSRF tokens and API keys
// all come from here.
func newToken(n int) string {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		panic("crypto/rand failed: " + err.Error()) // never happens on supported platforms
	}
	return base64.RawURLEncoding.EncodeToString(b)
}

// hashToken is what the database stores instead of a session token or an API key: a leaked
// table then lets no one in. The tokens are long and random, so a plain SHA-256 is enough.
func hashToken(token string) string {
	sum := sha256.Sum256([]byte(token))
	return hex.EncodeToString(sum[:])
}

// randIntn returns a uniform random int in [0, n) from crypto/rand.
func randIntn(n int) int {
	var b [8]byte
	limit := ^uint64(0) - ^uint64(0)%uint64(n)
	for {
		if _, err := rand.Read(b[:]); err != nil {
			panic("crypto/rand failed: " + err.Error())
		}
		if v := binary.LittleEndian.Uint64(b[:]); v < limit {
			return int(v % uint64(n))
		}
	}
}
