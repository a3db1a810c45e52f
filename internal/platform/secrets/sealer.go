// Package secrets seals stored credentials (provider client secrets, refresh tokens, SFTP
// passwords) with AES-256-GCM under a master key, and keeps each provider's settings with the
// secret parts sealed. A sealed value is bound to its row by associated data, so a value copied
// into another row or field does not open.
package secrets

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"unicode/utf8"
)

// KeyFile is the master key's file name in the data dir when KESSAI_MASTER_KEY is not set.
const KeyFile = "master.key"

// currentVersion is written as the first byte of every sealed value; a later key rotation adds
// a version and keeps opening the old ones.
const currentVersion byte = 1

// Sealer seals and opens values. It is safe for concurrent use.
type Sealer struct {
	aeads   map[byte]cipher.AEAD
	current byte
}

// New returns a Sealer for a 32-byte master key.
func New(key []byte) (*Sealer, error) {
	if len(key) != 32 {
		return nil, fmt.Errorf("master key must be 32 bytes, got %d", len(key))
	}
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, fmt.Errorf("master key: %w", err)
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return nil, fmt.Errorf("master key: %w", err)
	}
	return &Sealer{aeads: map[byte]cipher.AEAD{currentVersion: aead}, current: currentVersion}, nil
}

// Seal encrypts plaintext bound to aad (e.g. "provider:aozora::refresh_token") with a fresh
// random nonce, and returns version‖nonce‖ciphertext in base64url.
func (s *Sealer) Seal(plaintext []byte, aad string) (string, error) {
	aead := s.aeads[s.current]
	out := make([]byte, 1+aead.NonceSize(), 1+aead.NonceSize()+len(plaintext)+aead.Overhead())
	out[0] = s.current
	if _, err := rand.Read(out[1:]); err != nil {
		return "", fmt.Errorf("seal: nonce: %w", err)
	}
	out = aead.Seal(out, out[1:], plaintext, additional(s.current, aad))
	return base64.RawURLEncoding.EncodeToString(out), nil
}

// ErrOpen means a sealed value could not be opened: wrong master key, wrong aad (the value
// belongs to another row), or damaged data.
var ErrOpen = errors.New("secrets: cannot open sealed value (wrong master key, or the value belongs to another record)")

// Open decrypts a value sealed with the same aad.
func (s *Sealer) Open(sealed string, aad string) ([]byte, error) {
	b, err := base64.RawURLEncoding.DecodeString(sealed)
	if err != nil || len(b) < 1 {
		return nil, ErrOpen
	}
	aead, ok := s.aeads[b[0]]
	if !ok || len(b) < 1+aead.NonceSize()+aead.Overhead() {
		return nil, ErrOpen
	}
	nonce, ct := b[1:1+aead.NonceSize()], b[1+aead.NonceSize():]
	pt, err := aead.Open(nil, nonce, ct, additional(b[0], aad))
	if err != nil {
		return nil, ErrOpen
	}
	return pt, nil
}

// additional binds the version byte too, so it can't be swapped.
func additional(version byte, aad string) []byte {
	return append([]byte{version}, aad...)
}

// LoadKey returns the master key: from env (base64 of 32 bytes) when set, else from
// dataDir/master.key, which is created with mode 0600 on first start. A key file readable by
// others is refused.
func LoadKey(env, dataDir string) ([]byte, error) {
	if env != "" {
		key, err := decodeKey(strings.TrimSpace(env))
		if err != nil {
			return nil, fmt.Errorf("KESSAI_MASTER_KEY: %w（32バイトの乱数を base64 にした値を指定してください。例: openssl rand -base64 32）", err)
		}
		return key, nil
	}
	if err := os.MkdirAll(dataDir, 0o700); err != nil {
		return nil, fmt.Errorf("create data dir %s: %w", dataDir, err)
	}
	path := filepath.Join(dataDir, KeyFile)
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err == nil {
		key := make([]byte, 32)
		if _, err := rand.Read(key); err != nil {
			f.Close()
			return nil, fmt.Errorf("generate master key: %w", err)
		}
		_, werr := f.WriteString(base64.StdEncoding.EncodeToString(key) + "\n")
		if cerr := f.Close(); werr == nil {
			werr = cerr
		}
		if werr != nil {
			os.Remove(path)
			return nil, fmt.Errorf("write master key %s: %w", path, werr)
		}
		return key, nil
	}
	if !errors.Is(err, os.ErrExist) {
		return nil, fmt.Errorf("create master key %s: %w", path, err)
	}
	info, err := os.Stat(path)
	if err != nil {
		return nil, fmt.Errorf("master key %s: %w", path, err)
	}
	if perm := info.Mode().Perm(); perm&0o077 != 0 {
		return nil, fmt.Errorf("マスターキー %s のアクセス権 %04o は広すぎます。所有者だけが読めるよう `chmod 600 %s` を実行してから起動してください", path, perm, path)
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read master key %s: %w", path, err)
	}
	key, err := decodeKey(strings.TrimSpace(string(b)))
	if err != nil {
		return nil, fmt.Errorf("master key %s: %w", path, err)
	}
	return key, nil
}

func decodeKey(s string) ([]byte, error) {
	key, err := base64.StdEncoding.DecodeString(s)
	if err != nil {
		key, err = base64.RawURLEncoding.DecodeString(strings.TrimRight(s, "="))
	}
	if err != nil {
		return nil, errors.New("base64 として読めません")
	}
	if len(key) != 32 {
		return nil, fmt.Errorf("長さが %d バイトです（32 バイト必要）", len(key))
	}
	return key, nil
}

// Mask shows only the last four characters of a secret ("••••abcd"); short secrets show
// nothing of themselves.
func Mask(secret string) string {
	if secret == "" {
		return ""
	}
	n := utf8.RuneCountInString(secret)
	if n < 12 {
		return "••••••••"
	}
	r := []rune(secret)
	return "••••" + string(r[n-4:])
}
