package auth

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"

	_ "embed"

	"golang.org/x/crypto/argon2"

	"kessai/internal/platform/errs"
)

// Password limits. Long passphrases are welcome; the cap only bounds hashing work.
const (
	MinPasswordLen = 12
	MaxPasswordLen = 200
)

// hashParams are argon2id's cost parameters (RFC 9106's second recommended option: 64 MiB,
// one pass). They are stored in every hash, so raising them later keeps old hashes valid.
type hashParams struct {
	time    uint32
	memory  uint32 // KiB
	threads uint8
	keyLen  uint32
}

var defaultParams = hashParams{time: 1, memory: 64 * 1024, threads: 4, keyLen: 32}

// HashPassword returns an encoded argon2id hash with its parameters and salt:
// $argon2id$v=19$m=65536,t=1,p=4$SALT$HASH.
func HashPassword(password string) (string, error) {
	return hashWith(defaultParams, password)
}

func hashWith(p hashParams, password string) (string, error) {
	salt := make([]byte, 16)
	if _, err := rand.Read(salt); err != nil {
		return "", fmt.Errorf("password salt: %w", err)
	}
	key := argon2.IDKey([]byte(password), salt, p.time, p.memory, p.threads, p.keyLen)
	b64 := base64.RawStdEncoding
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s", argon2.Version, p.memory, p.time, p.threads,
		b64.EncodeToString(salt), b64.EncodeToString(key)), nil
}

var errBadHash = errors.New("auth: malformed password hash")

// CheckPassword reports whether password matches the encoded hash.
func CheckPassword(encoded, password string) (bool, error) {
	parts := strings.Split(encoded, "$")
	if len(parts) != 6 || parts[1] != "argon2id" {
		return false, errBadHash
	}
	var version int
	if _, err := fmt.Sscanf(parts[2], "v=%d", &version); err != nil || version != argon2.Version {
		return false, errBadHash
	}
	var p hashParams
	if _, err := fmt.Sscanf(parts[3], "m=%d,t=%d,p=%d", &p.memory, &p.time, &p.threads); err != nil {
		return false, errBadHash
	}
	b64 := base64.RawStdEncoding
	salt, err := b64.DecodeString(parts[4])
	if err != nil {
		return false, errBadHash
	}
	want, err := b64.DecodeString(parts[5])
	if err != nil || len(want) == 0 {
		return false, errBadHash
	}
	got := argon2.IDKey([]byte(password), salt, p.time, p.memory, p.threads, uint32(len(want)))
	return subtle.ConstantTimeCompare(got, want) == 1, nil
}

// ValidatePassword checks a new password for the user with email against the policy: 12 to 200
// characters, not only spaces, not the email (or its part before @), not a common password
// (commonpasswords.txt, matched ignoring case, digits and symbols), and at least 4 different
// characters.
func ValidatePassword(password, email string) error {
	n := utf8.RuneCountInString(password)
	bad := func(msg string) error {
		return errs.Invalid("このパスワードは使えません").Field("password", msg)
	}
	switch {
	case strings.TrimSpace(password) == "":
		return bad("空白だけのパスワードは使えません")
	case n < MinPasswordLen:
		return errs.Invalid("パスワードが短すぎます").Field("password", fmt.Sprintf("%d文字以上にしてください", MinPasswordLen))
	case n > MaxPasswordLen:
		return errs.Invalid("パスワードが長すぎます").Field("password", fmt.Sprintf("%d文字以下にしてください", MaxPasswordLen))
	}
	lower := strings.ToLower(strings.TrimSpace(password))
	if email = NormalizeEmail(email); email != "" {
		local, _, _ := strings.Cut(email, "@")
		if lower == email || lower == local || strings.Contains(lower, email) {
			return bad("メールアドレスをパスワードにしないでください")
		}
	}
	distinct := map[rune]bool{}
	for _, r := range lower {
		distinct[r] = true
	}
	if len(distinct) < 4 {
		return bad("同じ文字の繰り返しは使えません（4種類以上の文字を使ってください）")
	}
	if isCommonPassword(lower) {
		return bad("よく使われるパスワードです。推測されにくい別のパスワードにしてください")
	}
	return nil
}

//go:embed commonpasswords.txt
var commonPasswordsText string

// commonPasswords is the embedded list, lower case, built once at start-up (read-only after).
var commonPasswords = func() map[string]bool {
	m := map[string]bool{}
	for _, line := range strings.Split(commonPasswordsText, "\n") {
		if line = strings.TrimSpace(line); line != "" && !strings.HasPrefix(line, "#") {
			m[strings.ToLower(line)] = true
		}
	}
	return m
}()

// isCommonPassword reports whether lower is on the list, as is or once digits and symbols are
// dropped ("Password1234!" is "password").
func isCommonPassword(lower string) bool {
	if commonPasswords[lower] {
		return true
	}
	letters := strings.Map(func(r rune) rune {
		if unicode.IsLetter(r) {
			return r
		}
		return -1
	}, lower)
	return letters == "" || commonPasswords[letters]
}

// passwordAlphabet leaves out look-alikes (0/O, 1/l/I) so a printed password is easy to type.
const passwordAlphabet = "abcdefghijkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789"

// GeneratePassword returns a random 20-character password.
func GeneratePassword() string {
	b := make([]byte, 20)
	for i := range b {
		b[i] = passwordAlphabet[randIntn(len(passwordAlphabet))]
	}
	return string(b)
}
