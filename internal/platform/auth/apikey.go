package auth

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"kessai/internal/platform/db"
	"kessai/internal/platform/errs"
)

// APIKeyPrefix starts every API key, so a leaked key is easy to recognise (and to search for in
// code and logs).
const APIKeyPrefix = "kessai_"

// APIKey is a key for the JSON API. The key itself is shown once at creation; only its hash
// and a short visible prefix are stored.
type APIKey struct {
	ID         string
	Name       string
	Role       Role
	Prefix     string // the first characters of the key, to tell keys apart in lists
	CreatedBy  string
	CreatedAt  time.Time
	LastUsedAt time.Time // zero when never
	RevokedAt  time.Time // zero while valid
}

// Revoked reports whether the key was revoked.
func (k *APIKey) Revoked() bool { return !k.RevokedAt.IsZero() }

// ErrBadAPIKey means the key is unknown or revoked.
var ErrBadAPIKey = errors.New("auth: unknown or revoked API key")

func keyView(k *APIKey) map[string]any {
	v := map[string]any{"name": k.Name, "role": string(k.Role), "prefix": k.Prefix}
	if k.Revoked() {
		v["revoked"] = true
	}
	return v
}

// CreateAPIKey makes a key with role, records apikey.create, and returns the key (to be shown
// once) with its stored description.
func (s *Service) CreateAPIKey(ctx context.Context, name string, role Role) (string, *APIKey, error) {
	name = strings.TrimSpace(name)
	f := errs.Fields{}
	if name == "" {
		f.Add("name", "名前を入力してください（用途が分かる名前。例: 倉庫システム連携）")
	} else if utf8.RuneCountInString(name) > 100 {
		f.Add("name", "100文字以下にしてください")
	}
	if !role.Valid() {
		f.Add("role", "ロールを選んでください")
	}
	if err := f.Err(); err != nil {
		return "", nil, err
	}
	key := APIKeyPrefix + newToken(24)
	createdBy := ""
	if p := FromContext(ctx); p != nil {
		createdBy = p.Name
	}
	k := &APIKey{ID: db.NewID("key"), Name: name, Role: role, Prefix: key[:len(APIKeyPrefix)+6], CreatedBy: createdBy, CreatedAt: s.now()}
	err := s.DB.InTx(ctx, func(tx *db.Tx) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO api_keys (id, name, role, prefix, key_hash, created_by, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)`,
			k.ID, k.Name, string(k.Role), k.Prefix, hashToken(key), k.CreatedBy, k.CreatedAt)
		if err != nil {
			return fmt.Errorf("insert api key: %w", err)
		}
		return s.record(ctx, tx, Event{Action: "apikey.create", RecordType: "api_key", RecordID: k.ID, After: keyView(k)})
	})
	if err != nil {
		return "", nil, err
	}
	return key, k, nil
}

const keyColumns = `id, name, role, prefix, created_by, created_at, last_used_at, revoked_at`

func scanKey(row interface{ Scan(...any) error }) (*APIKey, error) {
	var k APIKey
	var used, revoked sql.NullTime
	if err := row.Scan(&k.ID, &k.Name, &k.Role, &k.Prefix, &k.CreatedBy, &k.CreatedAt, &used, &revoked); err != nil {
		return nil, err
	}
	k.LastUsedAt = used.Time
	k.RevokedAt = revoked.Time
	return &k, nil
}

// APIKeys lists every key, newest first.
func (s *Service) APIKeys(ctx context.Context) ([]*APIKey, error) {
	rows, err := s.DB.QueryContext(ctx, `SELECT `+keyColumns+` FROM api_keys ORDER BY created_at DESC, id DESC`)
	if err != nil {
		return nil, fmt.Errorf("list api keys: %w", err)
	}
	defer rows.Close()
	var out []*APIKey
	for rows.Next() {
		k, err := scanKey(rows)
		if err != nil {
			return nil, fmt.Errorf("list api keys: %w", err)
		}
		out = append(out, k)
	}
	return out, rows.Err()
}

// RevokeAPIKey revokes a key at once and records apikey.revoke.
func (s *Service) RevokeAPIKey(ctx context.Context, id string) error {
	return s.DB.InTx(ctx, func(tx *db.Tx) error {
		k, err := scanKey(tx.QueryRowContext(ctx, `SELECT `+keyColumns+` FROM api_keys WHERE id = ?`, id))
		if errors.Is(err, sql.ErrNoRows) {
			return errs.NotFound("APIキーが見つかりません（" + id + "）")
		}
		if err != nil {
			return fmt.Errorf("get api key %s: %w", id, err)
		}
		if k.Revoked() {
			return errs.Conflict("このAPIキーは既に失効しています")
		}
		before := keyView(k)
		k.RevokedAt = s.now()
		if _, err := tx.ExecContext(ctx, `UPDATE api_keys SET revoked_at = ? WHERE id = ?`, k.RevokedAt, id); err != nil {
			return fmt.Errorf("revoke api key %s: %w", id, err)
		}
		return s.record(ctx, tx, Event{Action: "apikey.revoke", RecordType: "api_key", RecordID: id, Before: before, After: keyView(k)})
	})
}

// APIKeyPrincipal returns the principal of a key, or ErrBadAPIKey.
func (s *Service) APIKeyPrincipal(ctx context.Context, key string) (*Principal, error) {
	if !strings.HasPrefix(key, APIKeyPrefix) {
		return nil, ErrBadAPIKey
	}
	k, err := scanKey(s.DB.QueryRowContext(ctx, `SELECT `+keyColumns+` FROM api_keys WHERE key_hash = ?`, hashToken(key)))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, ErrBadAPIKey
	}
	if err != nil {
		return nil, fmt.Errorf("look up api key: %w", err)
	}
	if k.Revoked() || !k.Role.Valid() {
		return nil, ErrBadAPIKey
	}
	now := s.now()
	// Like sessions, last use is written at most once a minute.
	if now.Sub(k.LastUsedAt) >= time.Minute {
		if _, err := s.DB.ExecContext(ctx, `UPDATE api_keys SET last_used_at = ? WHERE id = ?`, now, k.ID); err != nil {
			return nil, fmt.Errorf("touch api key %s: %w", k.ID, err)
		}
	}
	return &Principal{Kind: KindAPIKey, ID: k.ID, Name: k.Name, Role: k.Role}, nil
}
