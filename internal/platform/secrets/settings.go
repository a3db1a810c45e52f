package secrets

import (
	"context"
	"database/sql"
	"embed"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"sort"
	"time"

	"kessai/internal/platform/audit"
	"kessai/internal/platform/auth"
	"kessai/internal/platform/db"
)

//go:embed migrations
var migrationsFS embed.FS

// Migrations creates the provider_settings table.
var Migrations = db.Migrations{Module: "secrets", FS: migrationsFS}

// Settings are one provider's settings, for one shop or for all ("" shop). Public is the room's
// own JSON (base URLs, shop codes…); secret fields stay sealed until Secret opens one.
type Settings struct {
	Provider  string
	ShopID    string
	Public    json.RawMessage
	UpdatedAt time.Time
	UpdatedBy string

	sealed map[string]string
}

// DecodePublic unmarshals the public settings into v.
func (s *Settings) DecodePublic(v any) error {
	if len(s.Public) == 0 {
		return nil
	}
	if err := json.Unmarshal(s.Public, v); err != nil {
		return fmt.Errorf("provider settings %s/%s: %w", s.Provider, s.ShopID, err)
	}
	return nil
}

// HasSecret reports whether field has a stored secret.
func (s *Settings) HasSecret(field string) bool { return s.sealed[field] != "" }

// SecretFields lists the fields that have a stored secret, sorted.
func (s *Settings) SecretFields() []string {
	var out []string
	for k := range s.sealed {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// Store reads and writes provider settings.
type Store struct {
	Sealer *Sealer
	Audit  *audit.Log
	Log    *slog.Logger
	Now    func() time.Time
}

// Update is a change of settings. Public nil keeps the public settings. In Secrets, a field with
// a value sets it and a field with "" keeps the stored one (a settings form leaves secret inputs
// blank); Clear removes fields.
type Update struct {
	Public  any
	Secrets map[string]string
	Clear   []string
}

func aad(provider, shopID, field string) string {
	return "provider:" + provider + ":" + shopID + ":" + field
}

// Get returns the settings of provider for shopID ("" when not per shop), or db.ErrNotFound.
func (st *Store) Get(ctx context.Context, q db.Querier, provider, shopID string) (*Settings, error) {
	s := &Settings{Provider: provider, ShopID: shopID}
	var pub, sec string
	err := q.QueryRowContext(ctx, `SELECT public_json, secrets_json, updated_at, updated_by FROM provider_settings
		WHERE provider = ? AND shop_id = ?`, provider, shopID).Scan(&pub, &sec, &s.UpdatedAt, &s.UpdatedBy)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, db.ErrNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("provider settings %s/%s: %w", provider, shopID, err)
	}
	s.Public = json.RawMessage(pub)
	if err := json.Unmarshal([]byte(sec), &s.sealed); err != nil {
		return nil, fmt.Errorf("provider settings %s/%s: secrets: %w", provider, shopID, err)
	}
	return s, nil
}

// Secret opens one secret field; "" when it is not set.
func (st *Store) Secret(s *Settings, field string) (string, error) {
	sealed := s.sealed[field]
	if sealed == "" {
		return "", nil
	}
	b, err := st.Sealer.Open(sealed, aad(s.Provider, s.ShopID, field))
	if err != nil {
		return "", fmt.Errorf("provider settings %s/%s field %s: %w", s.Provider, s.ShopID, field, err)
	}
	return string(b), nil
}

// Masked returns every secret field masked for display (see Mask).
func (st *Store) Masked(s *Settings) (map[string]string, error) {
	out := map[string]string{}
	for field := range s.sealed {
		v, err := st.Secret(s, field)
		if err != nil {
			return nil, err
		}
		out[field] = Mask(v)
	}
	return out, nil
}

// Save applies u to the settings of provider/shopID in q (pass the caller's transaction) and
// records provider_settings.update with the public settings before and after and the names —
// never the values — of the secret fields that changed.
func (st *Store) Save(ctx context.Context, q db.Querier, provider, shopID string, u Update) (*Settings, error) {
	old, err := st.Get(ctx, q, provider, shopID)
	exists := err == nil
	if err != nil && !errors.Is(err, db.ErrNotFound) {
		return nil, err
	}
	if !exists {
		old = &Settings{Provider: provider, ShopID: shopID, Public: json.RawMessage("{}")}
	}
	s := &Settings{Provider: provider, ShopID: shopID, Public: old.Public, sealed: map[string]string{}}
	for k, v := range old.sealed {
		s.sealed[k] = v
	}
	if u.Public != nil {
		b, err := json.Marshal(u.Public)
		if err != nil {
			return nil, fmt.Errorf("provider settings %s/%s: encode: %w", provider, shopID, err)
		}
		s.Public = b
	}
	var changed []string
	for field, v := range u.Secrets {
		if v == "" {
			continue
		}
		sealed, err := st.Sealer.Seal([]byte(v), aad(provider, shopID, field))
		if err != nil {
			return nil, err
		}
		s.sealed[field] = sealed
		changed = append(changed, field)
	}
	for _, field := range u.Clear {
		if _, ok := s.sealed[field]; ok {
			delete(s.sealed, field)
			changed = append(changed, field)
		}
	}
	sort.Strings(changed)
	sec, err := json.Marshal(s.sealed)
	if err != nil {
		return nil, err
	}
	s.UpdatedAt = st.Now().UTC()
	if p := auth.FromContext(ctx); p != nil {
		s.UpdatedBy = p.Name
	}
	if exists {
		_, err = q.ExecContext(ctx, `UPDATE provider_settings SET public_json = ?, secrets_json = ?, updated_at = ?, updated_by = ?
			WHERE provider = ? AND shop_id = ?`, string(s.Public), string(sec), s.UpdatedAt, s.UpdatedBy, provider, shopID)
	} else {
		_, err = q.ExecContext(ctx, `INSERT INTO provider_settings (provider, shop_id, public_json, secrets_json, updated_at, updated_by)
			VALUES (?, ?, ?, ?, ?, ?)`, provider, shopID, string(s.Public), string(sec), s.UpdatedAt, s.UpdatedBy)
	}
	if err != nil {
		return nil, fmt.Errorf("save provider settings %s/%s: %w", provider, shopID, err)
	}
	var before any
	if exists {
		before = map[string]any{"public": old.Public, "secrets": old.SecretFields()}
	}
	after := map[string]any{"public": s.Public, "secrets": s.SecretFields(), "changed_secrets": changed}
	if st.Audit != nil {
		if err := st.Audit.Record(ctx, q, audit.Entry{Action: "provider_settings.update", RecordType: "provider_settings",
			RecordID: provider + "/" + shopID, Before: before, After: after}); err != nil {
			return nil, err
		}
	}
	if st.Log != nil {
		st.Log.InfoContext(ctx, "provider settings saved", "provider", provider, "shop_id", shopID, "changed_secrets", changed)
	}
	return s, nil
}
