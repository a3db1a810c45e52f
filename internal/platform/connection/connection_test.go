package connection_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"kessai/internal/platform/audit"
	"kessai/internal/platform/auth"
	"kessai/internal/platform/clock"
	"kessai/internal/platform/connection"
	"kessai/internal/platform/db"
	"kessai/internal/platform/db/dbtest"
	"kessai/internal/platform/errs"
	"kessai/internal/platform/secrets"
)

// host is an HTTP listener that keeps what it receives and answers 200 when the shop password
// is the one it expects.
type host struct {
	mu   sync.Mutex
	got  []string
	pass string
	srv  *httptest.Server
}

func newHost(t *testing.T, pass string) *host {
	h := &host{pass: pass}
	h.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		h.mu.Lock()
		h.got = append(h.got, string(b))
		h.mu.Unlock()
		if !strings.Contains(string(b), "pass="+h.pass) {
			http.Error(w, "E01 認証エラー", http.StatusUnauthorized)
		}
	}))
	t.Cleanup(h.srv.Close)
	return h
}

func (h *host) saw(s string) bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	for _, g := range h.got {
		if strings.Contains(g, s) {
			return true
		}
	}
	return false
}

func (h *host) requests() int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return len(h.got)
}

type fixture struct {
	reg *connection.Registry
	d   *db.DB
	ctx context.Context
	clk *clock.Sandbox
}

func newFixture(t *testing.T) fixture {
	t.Helper()
	clk := clock.NewFrozen(time.Date(2026, 12, 1, 1, 0, 0, 0, time.UTC))
	d := dbtest.Open(t, audit.Migrations, secrets.Migrations)
	sealer, err := secrets.New(bytes.Repeat([]byte{9}, 32))
	if err != nil {
		t.Fatal(err)
	}
	store := &secrets.Store{Sealer: sealer, Audit: &audit.Log{Now: clk.Now}, Now: clk.Now}
	ctx := auth.WithPrincipal(context.Background(), &auth.Principal{Kind: auth.KindUser, ID: "u1", Name: "admin@example.com", Role: auth.RoleAdmin})
	return fixture{reg: connection.New(d, store, clk, nil), d: d, ctx: ctx, clk: clk}
}

// pgProvider is a GMO-PG-like declaration: shop ID, sealed shop password, one endpoint, and a
// 接続テスト that posts the credentials to the endpoint.
func pgProvider(simURL, room string) connection.Provider {
	client := connection.HTTPClient(5 * time.Second)
	return connection.Provider{
		Key: "testpg", Label: "テスト決済", Rooms: []string{room}, Simulator: "testpgsim",
		Fields: []connection.Field{
			{Name: "shop_id", Label: "ショップID", Required: true, SandboxValue: "sim-shop"},
			{Name: "shop_pass", Label: "ショップパスワード", Secret: true, Required: true, SandboxValue: "sim-pass"},
			{Name: "api_url", Label: "APIのURL", Endpoint: true, Production: "https://pg.invalid", Sandbox: simURL},
		},
		Test: func(ctx context.Context, c *connection.Conn) error {
			pass, err := c.Secret("shop_pass")
			if err != nil {
				return err
			}
			req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.Endpoint("api_url")+"/check",
				strings.NewReader("shop="+c.Value("shop_id")+"&pass="+pass))
			if err != nil {
				return err
			}
			res, err := client.Do(req)
			if err != nil {
				return errs.E(errs.KindUnavailable, "接続できませんでした")
			}
			defer res.Body.Close()
			if res.StatusCode != http.StatusOK {
				b, _ := io.ReadAll(res.Body)
				return errs.E(errs.KindUnavailable, "認証に失敗しました: "+strings.TrimSpace(string(b)))
			}
			return nil
		},
	}
}

func TestSandboxDefaultsAndState(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	sim := newHost(t, "sim-pass")
	if _, err := f.reg.Declare(pgProvider(sim.srv.URL, "カード洗替")); err != nil {
		t.Fatal(err)
	}
	// A second room declaring the same provider shares the one connection.
	p, err := f.reg.Declare(pgProvider("http://ignored.invalid", "かんたん決済"))
	if err != nil || strings.Join(p.Rooms, ",") != "カード洗替,かんたん決済" || len(f.reg.Providers()) != 1 {
		t.Fatalf("second declaration: %+v %v", p, err)
	}

	c, err := f.reg.Get(f.ctx, "testpg", "")
	if err != nil {
		t.Fatal(err)
	}
	if c.Saved || !c.Sandbox || c.Endpoint("api_url") != sim.srv.URL || c.Value("shop_id") != "sim-shop" || c.State.Label() != "無効" {
		t.Fatalf("a newcomer's connection: %+v endpoint %s", c, c.Endpoint("api_url"))
	}
	if !f.reg.SimulatorActive(f.ctx, "testpgsim") || !f.reg.AnySandbox(f.ctx) {
		t.Fatal("with nothing saved the simulator is in use")
	}
	if err := f.reg.Test(f.ctx, "testpg", ""); err != nil {
		t.Fatalf("接続テスト against the simulator: %v", err)
	}
	c, _ = f.reg.Get(f.ctx, "testpg", "")
	if !c.State.Enabled || !c.State.CheckedAt.Equal(f.clk.Now().UTC()) || c.State.Label() != "有効" {
		t.Fatalf("after a passing test: %+v", c.State)
	}

	// Production: the simulator is no longer used, the badge goes.
	prod := newHost(t, "real-pass-1234")
	if err := f.reg.Save(f.ctx, "testpg", "", map[string]string{"_environment": "production", "shop_id": "tshop001",
		"shop_pass": "real-pass-1234", "api_url": prod.srv.URL}); err != nil {
		t.Fatal(err)
	}
	c, _ = f.reg.Get(f.ctx, "testpg", "")
	if c.Sandbox || c.State.Enabled || c.Endpoint("api_url") != prod.srv.URL {
		t.Fatalf("after saving production: sandbox=%v state=%+v", c.Sandbox, c.State)
	}
	if f.reg.SimulatorActive(f.ctx, "testpgsim") || f.reg.AnySandbox(f.ctx) {
		t.Fatal("with production saved the simulator is still marked in use")
	}
	if m := c.Masked()["shop_pass"]; m == "" || strings.Contains(m, "real-pass") {
		t.Errorf("masked secret %q", m)
	}
	// A failing test is recorded with its reason.
	if err := f.reg.Save(f.ctx, "testpg", "", map[string]string{"_environment": "production", "shop_id": "tshop001",
		"shop_pass": "wrong-pass", "api_url": prod.srv.URL}); err != nil {
		t.Fatal(err)
	}
	err = f.reg.Test(f.ctx, "testpg", "")
	c, _ = f.reg.Get(f.ctx, "testpg", "")
	if err == nil || c.State.Enabled || !strings.Contains(c.State.LastError, "E01") {
		t.Fatalf("failing test: %v, state %+v", err, c.State)
	}
	var n int
	if err := f.d.QueryRowContext(f.ctx, `SELECT COUNT(*) FROM audit_log WHERE action = 'provider_settings.update' AND record_id = 'testpg/'`).Scan(&n); err != nil || n < 4 {
		t.Fatalf("audit entries of the changes: %d, %v", n, err)
	}
}

// TestEndpointChangeClearsSecrets: moving an endpoint clears the stored secrets and requires them
// again; the secret typed for one host is never sent to another.
func TestEndpointChangeClearsSecrets(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	bank, other := newHost(t, "first-secret-99"), newHost(t, "second-secret-77")
	if _, err := f.reg.Declare(pgProvider("", "カード洗替")); err != nil {
		t.Fatal(err)
	}
	save := func(url, pass string) error {
		return f.reg.Save(f.ctx, "testpg", "", map[string]string{"_environment": "production", "shop_id": "tshop001", "shop_pass": pass, "api_url": url})
	}
	if err := save(bank.srv.URL, "first-secret-99"); err != nil {
		t.Fatal(err)
	}
	if err := f.reg.Test(f.ctx, "testpg", ""); err != nil || !bank.saw("first-secret-99") {
		t.Fatalf("test against the first host: %v", err)
	}
	err := save(other.srv.URL, "")
	e := errs.As(err)
	if e == nil || !strings.Contains(e.Fields["shop_pass"], "入力し直して") {
		t.Fatalf("moving the endpoint without the secret: %v, want a shop_pass field error", err)
	}
	c, _ := f.reg.Get(f.ctx, "testpg", "")
	if c.Endpoint("api_url") != bank.srv.URL || !c.HasSecret("shop_pass") {
		t.Fatalf("a refused save changed the connection: %+v", c.Values)
	}
	_ = f.reg.Test(f.ctx, "testpg", "")
	if other.requests() != 0 {
		t.Fatalf("the other host got %d requests", other.requests())
	}
	if err := save(other.srv.URL, "second-secret-77"); err != nil {
		t.Fatal(err)
	}
	if err := f.reg.Test(f.ctx, "testpg", ""); err != nil || !other.saw("second-secret-77") || other.saw("first-secret-99") {
		t.Fatalf("after the move: %v; new secret seen %v, old secret seen %v", err, other.saw("second-secret-77"), other.saw("first-secret-99"))
	}
	// Required fields and bad URLs are refused per field, in Japanese.
	err = f.reg.Save(f.ctx, "testpg", "", map[string]string{"_environment": "production", "api_url": "ftp://x"})
	if e := errs.As(err); e == nil || e.Fields["shop_id"] == "" || !strings.Contains(e.Fields["api_url"], "https://") {
		t.Fatalf("bad settings: %v", err)
	}
}

// TestHostChangeClearsItsSecrets: an SFTP host is where a secret goes too. Moving it asks again
// for the secret it receives and keeps the others; moving the API endpoint keeps the SFTP
// password. A declaration guarding a field that is not a secret is refused.
func TestHostChangeClearsItsSecrets(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	p := pgProvider("", "カード洗替")
	p.Key = "testsftp"
	p.Fields[2].Guards = []string{"shop_pass"}
	p.Fields = append(p.Fields,
		connection.Field{Name: "sftp_addr", Label: "SFTP 接続先", Host: true, Guards: []string{"sftp_pass"}},
		connection.Field{Name: "sftp_pass", Label: "SFTP パスワード", Secret: true})
	if _, err := f.reg.Declare(p); err != nil {
		t.Fatal(err)
	}
	base := map[string]string{"_environment": "production", "shop_id": "tshop001", "api_url": "https://a.invalid", "sftp_addr": "sftp-a.invalid:22"}
	with := func(kv ...string) map[string]string {
		in := map[string]string{}
		for k, v := range base {
			in[k] = v
		}
		for i := 0; i < len(kv); i += 2 {
			in[kv[i]] = kv[i+1]
		}
		return in
	}
	if err := f.reg.Save(f.ctx, "testsftp", "", with("shop_pass", "shop-secret-1", "sftp_pass", "sftp-secret-1")); err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		name   string
		in     map[string]string
		asked  string // the field asked for again; "" when the save goes through
		keeps  []string
		values map[string]string
	}{
		{"SFTP host moved, password blank", with("sftp_addr", "sftp-b.invalid:22"), "sftp_pass", nil, nil},
		{"SFTP port moved, password blank", with("sftp_addr", "sftp-a.invalid:2222"), "sftp_pass", nil, nil},
		{"same host in capitals", with("sftp_addr", "SFTP-A.invalid:22"), "", []string{"shop_pass", "sftp_pass"}, nil},
		{"API moved with its secret", with("api_url", "https://b.invalid", "shop_pass", "shop-secret-2"), "", []string{"shop_pass", "sftp_pass"}, nil},
		{"API moved, shop password blank", with("api_url", "https://c.invalid"), "shop_pass", nil, nil},
		{"SFTP moved with its password", with("api_url", "https://b.invalid", "sftp_addr", "sftp-b.invalid:22", "sftp_pass", "sftp-secret-2"), "", []string{"shop_pass", "sftp_pass"},
			map[string]string{"sftp_addr": "sftp-b.invalid:22"}},
	} {
		before, _ := f.reg.Get(f.ctx, "testsftp", "")
		err := f.reg.Save(f.ctx, "testsftp", "", tt.in)
		after, _ := f.reg.Get(f.ctx, "testsftp", "")
		if tt.asked != "" {
			e := errs.As(err)
			if e == nil || !strings.Contains(e.Fields[tt.asked], "入力し直して") || len(e.Fields) != 1 {
				t.Errorf("%s: %v, want only %s asked for again", tt.name, err, tt.asked)
			}
			if after.Values["sftp_addr"] != before.Values["sftp_addr"] || after.Values["api_url"] != before.Values["api_url"] {
				t.Errorf("%s: a refused save moved the connection: %v", tt.name, after.Values)
			}
			continue
		}
		if err != nil {
			t.Errorf("%s: %v", tt.name, err)
			continue
		}
		for _, k := range tt.keeps {
			if !after.HasSecret(k) {
				t.Errorf("%s: %s was cleared", tt.name, k)
			}
		}
		for k, v := range tt.values {
			if after.Values[k] != v {
				t.Errorf("%s: %s = %q, want %q", tt.name, k, after.Values[k], v)
			}
		}
		if tt.name == "SFTP moved with its password" {
			if got, _ := after.Secret("sftp_pass"); got != "sftp-secret-2" {
				t.Errorf("%s: sftp_pass %q", tt.name, got)
			}
		}
	}
	bad := pgProvider("", "x")
	bad.Key = "badguard"
	bad.Fields[2].Guards = []string{"shop_id"}
	if _, err := f.reg.Declare(bad); err == nil || !strings.Contains(err.Error(), "not a secret") {
		t.Errorf("guarding a non-secret field: %v", err)
	}
}

func TestPerShop(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	if _, err := f.reg.Declare(connection.Provider{Key: "testrakuten", Label: "テストモール", PerShop: true,
		Fields: []connection.Field{{Name: "license_key", Label: "ライセンスキー", Secret: true, Required: true}}}); err != nil {
		t.Fatal(err)
	}
	for shop, key := range map[string]string{"shp_a": "key-of-shop-a-123", "shp_b": "key-of-shop-b-456"} {
		if err := f.reg.Save(f.ctx, "testrakuten", shop, map[string]string{"license_key": key}); err != nil {
			t.Fatal(err)
		}
	}
	a, _ := f.reg.Get(f.ctx, "testrakuten", "shp_a")
	b, _ := f.reg.Get(f.ctx, "testrakuten", "shp_b")
	ka, _ := a.Secret("license_key")
	kb, _ := b.Secret("license_key")
	if ka != "key-of-shop-a-123" || kb != "key-of-shop-b-456" {
		t.Fatalf("per-shop secrets: %q %q", ka, kb)
	}
	if c, _ := f.reg.Get(f.ctx, "testrakuten", "shp_c"); c.Saved || c.HasSecret("license_key") {
		t.Fatalf("a shop without settings: %+v", c)
	}
	if _, err := f.reg.Get(f.ctx, "nope", ""); err == nil {
		t.Fatal("an undeclared provider was found")
	}
	if !errors.Is(f.reg.Save(f.ctx, "testrakuten", "shp_a", map[string]string{}), nil) {
		// blank secret keeps the stored one: nothing to refuse
		t.Fatal("saving with the secret left blank was refused")
	}
}
