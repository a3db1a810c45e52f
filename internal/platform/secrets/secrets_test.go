package secrets_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"errors"
	"html/template"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"kessai/internal/platform/audit"
	"kessai/internal/platform/auth"
	"kessai/internal/platform/db"
	"kessai/internal/platform/db/dbtest"
	"kessai/internal/platform/secrets"
)

func newSealer(t *testing.T) *secrets.Sealer {
	t.Helper()
	s, err := secrets.New(bytes.Repeat([]byte{7}, 32))
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestSealOpen(t *testing.T) {
	t.Parallel()
	s := newSealer(t)
	const aad = "provider:aozora::refresh_token"
	a, err := s.Seal([]byte("リフレッシュトークン-abc"), aad)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := s.Seal([]byte("リフレッシュトークン-abc"), aad)
	if a == b {
		t.Fatal("two seals of one value are equal: nonce not random")
	}
	raw, _ := base64.RawURLEncoding.DecodeString(a)
	if raw[0] != 1 {
		t.Fatalf("version byte = %d, want 1", raw[0])
	}
	if pt, err := s.Open(a, aad); err != nil || string(pt) != "リフレッシュトークン-abc" {
		t.Fatalf("Open = %q, %v", pt, err)
	}
	other, _ := secrets.New(bytes.Repeat([]byte{8}, 32))
	flip := func(i int) string {
		c := append([]byte(nil), raw...)
		c[i] ^= 1
		return base64.RawURLEncoding.EncodeToString(c)
	}
	tests := []struct {
		name   string
		sealer *secrets.Sealer
		sealed string
		aad    string
	}{
		{"other row", s, a, "provider:aozora:shop_1:refresh_token"},
		{"other key", other, a, aad},
		{"version byte changed", s, flip(0), aad},
		{"ciphertext changed", s, flip(len(raw) - 1), aad},
		{"nonce changed", s, flip(3), aad},
		{"not base64", s, "!!", aad},
		{"empty", s, "", aad},
		{"too short", s, a[:10], aad},
	}
	for _, tt := range tests {
		if _, err := tt.sealer.Open(tt.sealed, tt.aad); !errors.Is(err, secrets.ErrOpen) {
			t.Errorf("%s: Open error = %v, want ErrOpen", tt.name, err)
		}
	}
	if _, err := secrets.New(make([]byte, 16)); err == nil {
		t.Error("New accepted a 16-byte key")
	}
}

func TestLoadKey(t *testing.T) {
	t.Parallel()
	good := base64.StdEncoding.EncodeToString(bytes.Repeat([]byte{1}, 32))
	tests := []struct {
		name, env string
		want      string // error substring, "" for success
	}{
		{"env", good, ""},
		{"env raw url", base64.RawURLEncoding.EncodeToString(bytes.Repeat([]byte{1}, 32)), ""},
		{"env not base64", "not*base64", "KESSAI_MASTER_KEY: base64 として読めません"},
		{"env short", base64.StdEncoding.EncodeToString(make([]byte, 16)), "長さが 16 バイト"},
	}
	for _, tt := range tests {
		key, err := secrets.LoadKey(tt.env, t.TempDir())
		if tt.want == "" && (err != nil || !bytes.Equal(key, bytes.Repeat([]byte{1}, 32))) {
			t.Errorf("%s: LoadKey = %x, %v", tt.name, key, err)
		}
		if tt.want != "" && (err == nil || !strings.Contains(err.Error(), tt.want) || !strings.Contains(err.Error(), "openssl rand -base64 32")) {
			t.Errorf("%s: error = %v, want %q and how to make a key", tt.name, err, tt.want)
		}
	}

	dir := filepath.Join(t.TempDir(), "data")
	k1, err := secrets.LoadKey("", dir)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, secrets.KeyFile)
	info, err := os.Stat(path)
	if err != nil || info.Mode().Perm() != 0o600 {
		t.Fatalf("key file mode = %v, %v; want 0600", info.Mode(), err)
	}
	k2, err := secrets.LoadKey("", dir)
	if err != nil || !bytes.Equal(k1, k2) || len(k1) != 32 {
		t.Fatalf("second start read %x, %v; want the same key %x", k2, err, k1)
	}
	if err := os.Chmod(path, 0o644); err != nil {
		t.Fatal(err)
	}
	_, err = secrets.LoadKey("", dir)
	if err == nil || !strings.Contains(err.Error(), "chmod 600 "+path) || !strings.Contains(err.Error(), "0644") {
		t.Fatalf("wide key file: %v, want a refusal saying chmod 600", err)
	}
}

func TestMask(t *testing.T) {
	t.Parallel()
	tests := []struct{ in, want string }{
		{"", ""},
		{"short", "••••••••"},
		{"sk_live_0123456789abcd", "••••abcd"},
		{"あいうえおかきくけこさしすせそ", "••••しすせそ"},
	}
	for _, tt := range tests {
		if got := secrets.Mask(tt.in); got != tt.want {
			t.Errorf("Mask(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestProviderSettings(t *testing.T) {
	t.Parallel()
	d := dbtest.Open(t, audit.Migrations, secrets.Migrations)
	now := time.Date(2026, 4, 1, 0, 0, 0, 0, time.UTC)
	var logs bytes.Buffer
	st := &secrets.Store{
		Sealer: newSealer(t),
		Audit:  &audit.Log{Now: func() time.Time { return now }},
		Log:    slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug})),
		Now:    func() time.Time { return now },
	}
	ctx := auth.WithPrincipal(context.Background(), &auth.Principal{Kind: auth.KindUser, ID: "usr_1", Name: "admin@example.com", Role: auth.RoleAdmin})
	const secret = "aozora-client-secret-Zq81x"
	const token = "refresh-token-Hk2Lw9-0001"
	type public struct {
		BaseURL  string `json:"base_url"`
		ClientID string `json:"client_id"`
	}
	save := func(shop string, u secrets.Update) *secrets.Settings {
		t.Helper()
		var s *secrets.Settings
		err := d.InTx(ctx, func(tx *db.Tx) error {
			var err error
			s, err = st.Save(ctx, tx, "aozora", shop, u)
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	if _, err := st.Get(ctx, d, "aozora", ""); !errors.Is(err, db.ErrNotFound) {
		t.Fatalf("Get before save: %v", err)
	}
	save("", secrets.Update{Public: public{BaseURL: "https://api.example.jp", ClientID: "cid"},
		Secrets: map[string]string{"client_secret": secret, "refresh_token": token}})
	// A blank secret keeps the stored one; Public nil keeps the public part.
	save("", secrets.Update{Secrets: map[string]string{"client_secret": ""}})
	// Another shop's settings are separate.
	save("shop_2", secrets.Update{Public: public{ClientID: "other"}, Secrets: map[string]string{"client_secret": "other-secret-value-1234"}})

	s, err := st.Get(ctx, d, "aozora", "")
	if err != nil {
		t.Fatal(err)
	}
	var pub public
	if err := s.DecodePublic(&pub); err != nil || pub.ClientID != "cid" || s.UpdatedBy != "admin@example.com" {
		t.Fatalf("public = %+v, %v; by %q", pub, err, s.UpdatedBy)
	}
	if got, err := st.Secret(s, "client_secret"); err != nil || got != secret {
		t.Fatalf("Secret = %q, %v", got, err)
	}
	if got, err := st.Secret(s, "refresh_token"); err != nil || got != token {
		t.Fatalf("Secret = %q, %v", got, err)
	}
	// A sealed value moved to another row does not open there.
	var secJSON string
	if err := d.QueryRowContext(ctx, `SELECT secrets_json FROM provider_settings WHERE provider = ? AND shop_id = ?`, "aozora", "").Scan(&secJSON); err != nil {
		t.Fatal(err)
	}
	if _, err := d.ExecContext(ctx, `UPDATE provider_settings SET secrets_json = ? WHERE shop_id = ?`, secJSON, "shop_2"); err != nil {
		t.Fatal(err)
	}
	s2, _ := st.Get(ctx, d, "aozora", "shop_2")
	if _, err := st.Secret(s2, "client_secret"); !errors.Is(err, secrets.ErrOpen) {
		t.Fatalf("secret copied to another shop opened: %v", err)
	}

	// A settings page shows the masked value only.
	masked, err := st.Masked(s)
	if err != nil || masked["client_secret"] != "••••q81x" {
		t.Fatalf("Masked = %v, %v", masked, err)
	}
	page := template.Must(template.New("p").Parse(`<form><input name="client_id" value="{{.Pub.ClientID}}">
{{range $k, $v := .Masked}}<label>{{$k}} <input name="{{$k}}" placeholder="{{$v}}"></label>{{end}}</form>`))
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_ = page.Execute(w, map[string]any{"Pub": pub, "Masked": masked})
	}))
	defer srv.Close()
	resp, err := http.Get(srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	var body bytes.Buffer
	_, _ = body.ReadFrom(resp.Body)
	resp.Body.Close()

	// Gather everything kessai wrote: the rows, the audit log, the logs, the page.
	var everything strings.Builder
	everything.WriteString(body.String())
	everything.WriteString(logs.String())
	for _, tbl := range []string{
		`SELECT provider || shop_id || public_json || secrets_json || updated_by FROM provider_settings`,
		`SELECT action || record_id || before_json || after_json || note FROM audit_log`,
	} {
		rows, err := d.QueryContext(ctx, tbl)
		if err != nil {
			t.Fatal(err)
		}
		for rows.Next() {
			var s string
			if err := rows.Scan(&s); err != nil {
				t.Fatal(err)
			}
			everything.WriteString(s + "\n")
		}
		rows.Close()
	}
	all := everything.String()
	for _, want := range []string{"provider_settings.update", "client_secret", "refresh_token", "••••", "provider settings saved"} {
		if !strings.Contains(all, want) {
			t.Errorf("output lacks %q (the check below would prove nothing)", want)
		}
	}
	for _, plain := range []string{secret, token, "other-secret-value-1234", secret[:12], token[8:20]} {
		if strings.Contains(all, plain) {
			t.Errorf("plaintext %q appears in the page, the database or the logs", plain)
		}
	}

	// Clear removes a field.
	s = save("", secrets.Update{Clear: []string{"refresh_token"}})
	if s.HasSecret("refresh_token") || !s.HasSecret("client_secret") {
		t.Fatalf("after Clear: %v", s.SecretFields())
	}
}
