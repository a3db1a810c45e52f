package auth

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"kessai/internal/platform/clock"
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
	ExpiresAt  time.Time // zero when it does not expire
	// OwnerID is the user the key belongs to ("" for keys made with `kessai apikey create`,
	// which belong to the installation). The key acts with the lower of its role and the
	// owner's, and stops when the owner is disabled. OwnerRole and OwnerDisabled are the
	// owner's now.
	OwnerID       string
	OwnerRole     Role
	OwnerDisabled bool
}

// Revoked reports whether the key was revoked.
func (k *APIKey) Revoked() bool { return !k.RevokedAt.IsZero() }

// Expired reports whether the key's expiry has passed at now.
func (k *APIKey) Expired(now time.Time) bool {
	return !k.ExpiresAt.IsZero() && !now.Before(k.ExpiresAt)
}

// EffectiveRole is the role the key acts with: its own, lowered to its owner's.
func (k *APIKey) EffectiveRole() Role {
	if k.OwnerID == "" || rank(k.OwnerRole) >= rank(k.Role) {
		return k.Role
	}
	return k.OwnerRole
}

// rank orders roles by what they allow (Roles is most powerful first).
func rank(r Role) int {
	for i, x := range Roles {
		if x == r {
			return len(Roles) - i
		}
	}
	return 0
}

// ErrBadAPIKey means the key is unknown or revoked.
var ErrBadAPIKey = errors.New("auth: unknown or revoked API key")

func keyView(k *APIKey) map[string]any {
	v := map[string]any{"name": k.Name, "role": string(k.Role), "prefix": k.Prefix}
	if k.OwnerID != "" {
		v["owner"] = k.OwnerID
	}
	if !k.ExpiresAt.IsZero() {
		v["expires_at"] = k.ExpiresAt
	}
	if k.Revoked() {
		v["revoked"] = true
	}
	return v
}

// CreateAPIKey makes a key with role that does not expire; see CreateAPIKeyUntil.
func (s *Service) CreateAPIKey(ctx context.Context, name string, role Role) (string, *APIKey, error) {
	return s.CreateAPIKeyUntil(ctx, name, role, time.Time{})
}

// CreateAPIKeyUntil makes a key with role, valid until expires (zero: no expiry), records
// apikey.create, and returns the key (to be shown once) with its stored description. A key
// made by a signed-in user belongs to that user and may not have a higher role.
func (s *Service) CreateAPIKeyUntil(ctx context.Context, name string, role Role, expires time.Time) (string, *APIKey, error) {
	name = strings.TrimSpace(name)
	now := s.now()
	f := errs.Fields{}
	if name == "" {
		f.Add("name", "名前を入力してください（用途が分かる名前。例: 倉庫システム連携）")
	} else if utf8.RuneCountInString(name) > 100 {
		f.Add("name", "100文字以下にしてください")
	}
	if !role.Valid() {
		f.Add("role", "ロールを選んでください")
	}
	if !expires.IsZero() && !expires.After(now) {
		f.Add("expires", "有効期限は今より後の日付にしてください")
	}
	createdBy, owner := "", ""
	if p := FromContext(ctx); p != nil {
		createdBy = p.Name
		if p.Kind == KindUser {
			owner = p.ID
			if role.Valid() && rank(role) > rank(p.Role) {
				f.Add("role", "自分のロール（"+p.Role.Label()+"）より強いロールのキーは発行できません")
			}
		}
	}
	if err := f.Err(); err != nil {
		return "", nil, err
	}
	key := APIKeyPrefix + newToken(24)
	k := &APIKey{ID: db.NewID("key"), Name: name, Role: role, Prefix: key[:len(APIKeyPrefix)+6], CreatedBy: createdBy, CreatedAt: now,
		OwnerID: owner, ExpiresAt: expires.UTC()}
	var exp any
	if !expires.IsZero() {
		exp = k.ExpiresAt
	}
	err := s.DB.InTx(ctx, func(tx *db.Tx) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO api_keys (id, name, role, prefix, key_hash, created_by, created_at, owner_id, expires_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			k.ID, k.Name, string(k.Role), k.Prefix, hashToken(key), k.CreatedBy, k.CreatedAt, k.OwnerID, exp)
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

// keyColumns are read from api_keys k LEFT JOIN users u ON u.id = k.owner_id.
const keyColumns = `k.id, k.name, k.role, k.prefix, k.created_by, k.created_at, k.last_used_at, k.revoked_at, k.expires_at,
	k.owner_id, COALESCE(u.role, ''), COALESCE(u.disabled, ?)`

const keyFrom = ` FROM api_keys k LEFT JOIN users u ON u.id = k.owner_id`

func scanKey(row interface{ Scan(...any) error }) (*APIKey, error) {
	var k APIKey
	var used, revoked, expires sql.NullTime
	if err := row.Scan(&k.ID, &k.Name, &k.Role, &k.Prefix, &k.CreatedBy, &k.CreatedAt, &used, &revoked, &expires,
		&k.OwnerID, &k.OwnerRole, &k.OwnerDisabled); err != nil {
		return nil, err
	}
	k.LastUsedAt = used.Time
	k.RevokedAt = revoked.Time
	k.ExpiresAt = expires.Time
	// An owner who no longer exists is as good as disabled.
	if k.OwnerID != "" && k.OwnerRole == "" {
		k.OwnerDisabled = true
	}
	return &k, nil
}

// APIKeys lists every key, newest first.
func (s *Service) APIKeys(ctx context.Context) ([]*APIKey, error) {
	rows, err := s.DB.QueryContext(ctx, `SELECT `+keyColumns+keyFrom+` ORDER BY k.created_at DESC, k.id DESC`, false)
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
		k, err := scanKey(tx.QueryRowContext(ctx, `SELECT `+keyColumns+keyFrom+` WHERE k.id = ?`, false, id))
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

// APIKeyPrincipal returns the principal of a key, or ErrBadAPIKey when it is unknown or
// revoked; an expired key or one whose owner is disabled gets an error saying so. The key acts
// with its effective role (lowered to its owner's).
func (s *Service) APIKeyPrincipal(ctx context.Context, key string) (*Principal, error) {
	if !strings.HasPrefix(key, APIKeyPrefix) {
		return nil, ErrBadAPIKey
	}
	k, err := scanKey(s.DB.QueryRowContext(ctx, `SELECT `+keyColumns+keyFrom+` WHERE k.key_hash = ?`, false, hashToken(key)))
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
	if k.Expired(now) {
		return nil, errs.E(errs.KindUnauthenticated, "このAPIキーは有効期限（"+k.ExpiresAt.In(clock.JST).Format("2006/01/02 15:04")+"）を過ぎています。管理者に新しいキーを発行してもらってください")
	}
	if k.OwnerDisabled {
		return nil, errs.E(errs.KindUnauthenticated, "このAPIキーを発行したユーザーが無効になったため、キーも使えません。管理者に新しいキーを発行してもらってください")
	}
	// Like sessions, last use is written at most once a minute.
	if now.Sub(k.LastUsedAt) >= time.Minute {
		if _, err := s.DB.ExecContext(ctx, `UPDATE api_keys SET last_used_at = ? WHERE id = ?`, now, k.ID); err != nil {
			return nil, fmt.Errorf("touch api key %s: %w", k.ID, err)
		}
	}
	return &Principal{Kind: KindAPIKey, ID: k.ID, Name: k.Name, Role: k.EffectiveRole()}, nil
}
