package gmopgconn_test

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"golang.org/x/crypto/ssh"

	"kessai/internal/platform/audit"
	"kessai/internal/platform/auth"
	"kessai/internal/platform/clock"
	"kessai/internal/platform/connection"
	"kessai/internal/platform/db/dbtest"
	"kessai/internal/platform/secrets"
	"kessai/internal/provider/gmopg"
	"kessai/internal/provider/gmopg/gmopgconn"
	"kessai/internal/sandbox/gmopgsim"
)

const prefix = "/sandbox/gmopg"

type fixture struct {
	ctx  context.Context
	reg  *connection.Registry
	conn *gmopgconn.Connection
	sim  *gmopgsim.Sim
	api  string
	// dials counts the TCP connections the API server accepted.
	dials *atomic.Int64
}

func newFixture(t *testing.T) fixture {
	t.Helper()
	clk := clock.NewFrozen(time.Date(2026, 12, 1, 1, 0, 0, 0, time.UTC))
	d := dbtest.Open(t, audit.Migrations, secrets.Migrations)
	sealer, err := secrets.New(bytes.Repeat([]byte{7}, 32))
	if err != nil {
		t.Fatal(err)
	}
	store := &secrets.Store{Sealer: sealer, Audit: &audit.Log{Now: clk.Now}, Now: clk.Now}
	reg := connection.New(d, store, clk, nil)
	sim, err := gmopgsim.New(gmopgsim.Options{Clock: clk, Prefix: prefix, StateDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	if err := sim.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { sim.Stop() })
	mux := http.NewServeMux()
	mux.Handle(prefix+"/", http.StripPrefix(prefix, sim.Handler()))
	srv := httptest.NewUnstartedServer(mux)
	dials := new(atomic.Int64)
	srv.Config.ConnState = func(_ net.Conn, st http.ConnState) {
		if st == http.StateNew {
			dials.Add(1)
		}
	}
	srv.Start()
	t.Cleanup(srv.Close)
	api := srv.URL + prefix
	conn, err := gmopgconn.Declare(d, reg, gmopgconn.Options{RoomLabel: "カード洗替", SandboxAPI: api, SandboxSFTP: sim.Addr, Timeout: 5 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	// The second room joins the same declaration.
	if _, err := gmopgconn.Declare(d, reg, gmopgconn.Options{RoomLabel: "かんたん決済", SandboxAPI: api, SandboxSFTP: sim.Addr}); err != nil {
		t.Fatal(err)
	}
	ctx := auth.WithPrincipal(context.Background(), &auth.Principal{Kind: auth.KindUser, ID: "u1", Name: "admin@example.com", Role: auth.RoleAdmin})
	return fixture{ctx: ctx, reg: reg, conn: conn, sim: sim, api: api, dials: dials}
}

func TestSandboxDefaultsPassAndRecordTheHostKey(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	p, _ := f.reg.Provider(gmopgconn.Key)
	if strings.Join(p.Rooms, ",") != "カード洗替,かんたん決済" {
		t.Fatalf("rooms = %v", p.Rooms)
	}
	if err := f.reg.Test(f.ctx, gmopgconn.Key, ""); err != nil {
		t.Fatalf("接続テスト on sandbox defaults: %v", err)
	}
	rec, err := f.conn.RecordedHostKey(f.ctx)
	if err != nil || rec.Key == "" || rec.Addr != f.sim.Addr() || !strings.HasPrefix(rec.Fingerprint, "SHA256:") {
		t.Fatalf("recorded host key = %+v, %v", rec, err)
	}
	// The second login checks against the recorded key (and passes).
	if err := f.reg.Test(f.ctx, gmopgconn.Key, ""); err != nil {
		t.Fatalf("second 接続テスト: %v", err)
	}
	cn, err := f.conn.Get(f.ctx)
	if err != nil {
		t.Fatal(err)
	}
	if !cn.State.Enabled || !cn.Sandbox {
		t.Fatalf("state = %+v sandbox=%v", cn.State, cn.Sandbox)
	}
	cfg, err := f.conn.SFTP(f.ctx, cn)
	if err != nil || cfg.HostKey != rec.Key || cfg.Addr != f.sim.Addr() || cfg.User != gmopgsim.DefaultSFTPUser {
		t.Fatalf("sftp config = %+v, %v", cfg, err)
	}
	cl, err := f.conn.Client(cn)
	if err != nil {
		t.Fatal(err)
	}
	if err := cl.SaveMember(f.ctx, "m-1", "テスト"); err != nil {
		t.Fatalf("client against the simulator: %v", err)
	}
	if s := gmopgconn.SettingsOf(cn); !s.SecurityCode || s.Epos {
		t.Fatalf("default settings = %+v", s)
	}
}

func save(t *testing.T, f fixture, change map[string]string) {
	t.Helper()
	in := map[string]string{
		gmopgconn.FieldShopID: gmopgsim.DefaultShopID, gmopgconn.FieldShopPass: gmopgsim.DefaultShopPass,
		gmopgconn.FieldSiteID: gmopgsim.DefaultSiteID, gmopgconn.FieldSitePass: gmopgsim.DefaultSitePass,
		gmopgconn.FieldSFTPUser: gmopgsim.DefaultSFTPUser, gmopgconn.FieldSFTPPassword: gmopgsim.DefaultSFTPPassword,
	}
	for k, v := range change {
		in[k] = v
	}
	if err := f.reg.Save(f.ctx, gmopgconn.Key, "", in); err != nil {
		t.Fatal(err)
	}
}

func TestTestReportsWhatIsWrong(t *testing.T) {
	t.Parallel()
	otherKey := func() string {
		pub, _, err := ed25519.GenerateKey(rand.Reader)
		if err != nil {
			t.Fatal(err)
		}
		k, err := ssh.NewPublicKey(pub)
		if err != nil {
			t.Fatal(err)
		}
		return gmopg.MarshalHostKey(k)
	}()
	for _, tc := range []struct {
		name   string
		change map[string]string
		want   []string
		not    []string
	}{
		{"saved correct values", nil, nil, nil},
		{"wrong SFTP password", map[string]string{gmopgconn.FieldSFTPPassword: "nope"}, []string{"SFTP", "ログインID kessai でログインできません"}, []string{"API"}},
		{"wrong shop password", map[string]string{gmopgconn.FieldShopPass: "nope"}, []string{"API（ショップ）", "ショップIDかショップパスワード"}, []string{"SFTP", "API（サイト）"}},
		{"wrong site ID", map[string]string{gmopgconn.FieldSiteID: "tsite99999999"}, []string{"API（サイト）"}, []string{"SFTP", "API（ショップ）"}},
		{"another host key", map[string]string{gmopgconn.FieldSFTPHostKey: otherKey}, []string{"ホスト鍵が登録済みの鍵と違います", "SFTP ホスト鍵 に ssh-"}, []string{"API"}},
		{"SFTP settings epos on", map[string]string{gmopgconn.FieldEpos: "on", gmopgconn.FieldEposStore: "12345", gmopgconn.FieldSecurityCode: "off"}, nil, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			f := newFixture(t)
			save(t, f, tc.change)
			err := f.reg.Test(f.ctx, gmopgconn.Key, "")
			if len(tc.want) == 0 {
				if err != nil {
					t.Fatalf("接続テスト: %v", err)
				}
			} else if err == nil {
				t.Fatal("接続テスト passed, want a failure")
			}
			msg := ""
			if err != nil {
				msg = err.Error()
			}
			for _, w := range tc.want {
				if !strings.Contains(msg, w) {
					t.Errorf("error %q lacks %q", msg, w)
				}
			}
			for _, n := range tc.not {
				if strings.Contains(msg, n) {
					t.Errorf("error %q mentions %q", msg, n)
				}
			}
			cn, _ := f.conn.Get(f.ctx)
			if cn.State.Enabled != (err == nil) {
				t.Errorf("state enabled = %v after error %v", cn.State.Enabled, err)
			}
			if tc.change[gmopgconn.FieldEpos] == "on" {
				if s := gmopgconn.SettingsOf(cn); s.SecurityCode || !s.Epos || s.EposStoreCode != "12345" {
					t.Errorf("settings = %+v", s)
				}
			}
		})
	}
}

func TestHostKeyIsRecordedPerHost(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	if err := f.reg.Test(f.ctx, gmopgconn.Key, ""); err != nil {
		t.Fatal(err)
	}
	rec, _ := f.conn.RecordedHostKey(f.ctx)
	// Pointing at another host (here: the same server by another name) does not reuse the key
	// recorded for the first: it is trusted on first use again and recorded for the new host.
	_, port, _ := strings.Cut(f.sim.Addr(), ":")
	save(t, f, map[string]string{gmopgconn.FieldSFTPAddr: "localhost:" + port})
	cn, _ := f.conn.Get(f.ctx)
	cfg, err := f.conn.SFTP(f.ctx, cn)
	if err != nil || cfg.HostKey != "" || cfg.OnFirstKey == nil {
		t.Fatalf("config for a new host = %+v, %v", cfg, err)
	}
	if err := f.reg.Test(f.ctx, gmopgconn.Key, ""); err != nil {
		t.Fatal(err)
	}
	rec2, _ := f.conn.RecordedHostKey(f.ctx)
	if rec2.Addr != "localhost:"+port || rec2.Key != rec.Key {
		t.Fatalf("re-recorded = %+v (first %+v)", rec2, rec)
	}
	if err := f.conn.ForgetHostKey(f.ctx); err != nil {
		t.Fatal(err)
	}
	if rec3, _ := f.conn.RecordedHostKey(f.ctx); rec3.Key != "" {
		t.Fatalf("after forget: %+v", rec3)
	}
}

// TestClientReusesItsConnections: calls that each ask for the client (as the rooms do, per
// money call) share one transport, so sequential calls reuse one TCP connection instead of
// opening one each (a bulk run of 10,000 ran out of file descriptors); changed settings get a
// new client.
func TestClientReusesItsConnections(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	const calls = 30
	var first *gmopg.Client
	fresh := 0 // calls that got another client than the first
	for i := range calls {
		cn, err := f.conn.Get(f.ctx)
		if err != nil {
			t.Fatal(err)
		}
		cl, err := f.conn.Client(cn)
		if err != nil {
			t.Fatal(err)
		}
		if i == 0 {
			first = cl
		} else if cl != first {
			fresh++
		}
		if err := cl.CheckShop(f.ctx); err != nil {
			t.Fatalf("call %d: %v", i, err)
		}
	}
	// One connection; a second is tolerated should the server close one between calls.
	if n := f.dials.Load(); n > 2 {
		t.Fatalf("%d calls opened %d connections, want them reused", calls, n)
	}
	if fresh > 0 {
		t.Fatalf("%d of %d calls got a new client for the same settings", fresh, calls)
	}

	save(t, f, map[string]string{gmopgconn.FieldShopPass: "changed"})
	cn, err := f.conn.Get(f.ctx)
	if err != nil {
		t.Fatal(err)
	}
	cl, err := f.conn.Client(cn)
	if err != nil {
		t.Fatal(err)
	}
	if cl == first {
		t.Fatal("the client of the old shop password is still handed out")
	}
	if err := cl.CheckShop(f.ctx); err == nil {
		t.Fatal("the new client still uses the old shop password")
	}
	again, _ := f.conn.Client(cn)
	if again != cl {
		t.Fatal("a second client for the changed settings")
	}
}
