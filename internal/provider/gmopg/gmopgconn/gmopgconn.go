// Package gmopgconn is the one GMO-PG connection that the cardupdate and kantan rooms share
// (rooms never import each other, so it lives here). It declares the provider on
// 設定 › 外部連携設定 (ショップID/パスワード, サイトID/パスワード, API の接続先, SFTP 接続先・ログインID・
// パスワード, SFTP ホスト鍵, セキュリティコードの入力, エポス連携), runs its 接続テスト (API shop and site
// credentials, then an SFTP login), and builds what a room needs from it: a *gmopg.Client and a
// gmopg.SFTPConfig, pointing at the in-process simulator (gmopgsim) while the connection uses
// the sandbox.
//
// SFTP host key: when the ホスト鍵 field is blank, the key the server presents on the first login
// is recorded (trust on first use) together with the host it came from; later logins must see
// the same key. An admin changes it by pasting a key into the field (the field always wins) or
// by ForgetHostKey. A recorded key is only used for the host it was recorded for.
package gmopgconn

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"net"
	"net/http"
	"strings"
	"sync"
	"time"

	"kessai/internal/platform/connection"
	"kessai/internal/platform/db"
	"kessai/internal/platform/errs"
	"kessai/internal/platform/secrets"
	"kessai/internal/provider/gmopg"
	"kessai/internal/room"
	"kessai/internal/sandbox/gmopgsim"
)

// Key is the provider's key in the connection registry and provider_settings.
const Key = "gmopg"

// hostKeyRecord is where the trusted-on-first-use host key is kept (provider_settings row).
const hostKeyRecord = "gmopg_sftp_host_key"

// Field names of the stored settings.
const (
	FieldShopID       = "shop_id"
	FieldShopPass     = "shop_pass"
	FieldSiteID       = "site_id"
	FieldSitePass     = "site_pass"
	FieldAPIURL       = "api_url"
	FieldSFTPAddr     = "sftp_addr"
	FieldSFTPUser     = "sftp_user"
	FieldSFTPPassword = "sftp_password"
	FieldSFTPHostKey  = "sftp_host_key"
	FieldSecurityCode = "security_code"
	FieldEpos         = "epos"
	FieldEposStore    = "epos_store_code"
	FieldEposBanner   = "epos_banner"
)

// Options say where the simulator is. Zero values mean no simulator.
type Options struct {
	// RoomLabel is the declaring room as 外部連携設定 lists it: 「カード洗替」「かんたん決済」.
	RoomLabel string
	// SandboxAPI is the simulator's base URL (Host.SimulatorURL("gmopg")).
	SandboxAPI string
	// SandboxSFTP returns the simulator's SFTP host:port (it is known once the listener runs).
	SandboxSFTP func() string
	// Timeout bounds each API call (30 s when zero) and the SFTP dial.
	Timeout time.Duration
}

// Connection reads the shared GMO-PG connection. Safe for concurrent use.
type Connection struct {
	reg  *connection.Registry
	db   *db.DB
	opts Options

	// The client of the settings last seen, kept so its transport's idle connections are
	// reused: a client (and transport) per call left thousands of sockets open in a bulk run.
	mu    sync.Mutex
	cl    *gmopg.Client
	hc    *http.Client
	clKey [sha256.Size]byte
}

// Declare declares GMO-PG on reg (a second room's declaration joins the first) and returns
// the room's handle on it.
func Declare(d *db.DB, reg *connection.Registry, o Options) (*Connection, error) {
	c := &Connection{reg: reg, db: d, opts: o}
	if _, err := reg.Declare(c.provider()); err != nil {
		return nil, err
	}
	return c, nil
}

// ForHost is Declare with the host's simulator addresses, for a room's Attach.
func ForHost(h *room.Host, roomLabel string) (*Connection, error) {
	o := Options{RoomLabel: roomLabel}
	if u, ok := h.SimulatorURL(gmopgsim.Name); ok {
		o.SandboxAPI = u
		o.SandboxSFTP = func() string { return h.Sandbox.Addr(gmopgsim.Name, "SFTP") }
	}
	return Declare(h.DB, h.Connections, o)
}

func (c *Connection) provider() connection.Provider {
	sim := ""
	if c.opts.SandboxAPI != "" {
		sim = gmopgsim.Name
	}
	onOff := []connection.Option{{Value: "on", Label: "有効"}, {Value: "off", Label: "無効"}}
	return connection.Provider{
		Key: Key, Label: "GMOペイメントゲートウェイ", Rooms: []string{c.opts.RoomLabel}, Simulator: sim,
		Fields: []connection.Field{
			{Name: FieldShopID, Label: "ショップID", Required: true, SandboxValue: gmopgsim.DefaultShopID},
			{Name: FieldShopPass, Label: "ショップパスワード", Secret: true, Required: true, SandboxValue: gmopgsim.DefaultShopPass},
			{Name: FieldSiteID, Label: "サイトID", Required: true, SandboxValue: gmopgsim.DefaultSiteID},
			{Name: FieldSitePass, Label: "サイトパスワード", Secret: true, Required: true, SandboxValue: gmopgsim.DefaultSitePass},
			{Name: FieldAPIURL, Label: "APIの接続先", Endpoint: true, Guards: []string{FieldShopPass, FieldSitePass}, Production: gmopg.ProductionBaseURL, Sandbox: c.opts.SandboxAPI,
				Help: "空欄なら自動（サンドボックスではシミュレーター、本番は " + gmopg.ProductionBaseURL + "）。テスト環境は " + gmopg.TestBaseURL},
			{Name: FieldSFTPAddr, Label: "SFTP 接続先", Host: true, Guards: []string{FieldSFTPPassword}, Help: "host または host:port（ポート省略時 22）。空欄ならサンドボックスのシミュレーター"},
			{Name: FieldSFTPUser, Label: "SFTP ログインID", SandboxValue: gmopgsim.DefaultSFTPUser},
			{Name: FieldSFTPPassword, Label: "SFTP パスワード", Secret: true, SandboxValue: gmopgsim.DefaultSFTPPassword},
			{Name: FieldSFTPHostKey, Label: "SFTP ホスト鍵", Help: "空欄なら初回接続時に提示された鍵を記録します（以後ほかの鍵は拒否）。鍵を変えるときは ssh-ed25519 AAAA… の形で貼り付けてください"},
			{Name: FieldSecurityCode, Label: "セキュリティコードの入力", Options: onOff, Default: "on", Help: "カード登録フォームでセキュリティコードを求めるか"},
			{Name: FieldEpos, Label: "エポス連携", Options: onOff, Default: "off"},
			{Name: FieldEposStore, Label: "エポス提携店コード"},
			{Name: FieldEposBanner, Label: "エポスバナー", Help: "カード登録フォームに表示するバナー画像のURL"},
		},
		Test: c.test,
	}
}

// Get is the connection as stored now.
func (c *Connection) Get(ctx context.Context) (*connection.Conn, error) {
	return c.reg.Get(ctx, Key, "")
}

// Client is the multi-payment client of cn (Get), whose transport never replays a POST. The
// same client is handed out while the endpoint and credentials stay the same; when they change
// a new one is built and the old one's idle connections are closed.
func (c *Connection) Client(cn *connection.Conn) (*gmopg.Client, error) {
	shopPass, err := cn.Secret(FieldShopPass)
	if err != nil {
		return nil, err
	}
	sitePass, err := cn.Secret(FieldSitePass)
	if err != nil {
		return nil, err
	}
	cfg := gmopg.Config{
		BaseURL: cn.Endpoint(FieldAPIURL), ShopID: cn.Value(FieldShopID), ShopPass: shopPass,
		SiteID: cn.Value(FieldSiteID), SitePass: sitePass,
	}
	key := settingsKey(cfg)
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.cl != nil && c.clKey == key {
		return c.cl, nil
	}
	timeout := c.opts.Timeout
	if timeout <= 0 {
		timeout = 30 * time.Second
	}
	cfg.HTTPClient, cfg.Timeout = connection.HTTPClient(2*timeout), timeout
	if c.hc != nil {
		c.hc.CloseIdleConnections()
	}
	c.cl, c.hc, c.clKey = gmopg.New(cfg), cfg.HTTPClient, key
	return c.cl, nil
}

// settingsKey identifies a client's settings; a hash, so the passwords are not kept twice.
func settingsKey(cfg gmopg.Config) [sha256.Size]byte {
	h := sha256.New()
	for _, v := range []string{cfg.BaseURL, cfg.ShopID, cfg.ShopPass, cfg.SiteID, cfg.SitePass} {
		// Length-prefixed, so no two different settings join to the same bytes.
		fmt.Fprintf(h, "%d:%s", len(v), v)
	}
	var k [sha256.Size]byte
	h.Sum(k[:0])
	return k
}

// SFTPAddr is where cn's SFTP server is: the saved 接続先, else the simulator in the sandbox.
func (c *Connection) SFTPAddr(cn *connection.Conn) string {
	if a := cn.Value(FieldSFTPAddr); a != "" {
		return a
	}
	if cn.Sandbox && c.opts.SandboxSFTP != nil {
		return c.opts.SandboxSFTP()
	}
	return ""
}

// SFTP builds the SFTP login of cn. With no host key in the settings, the key recorded for
// this host is required, or — when none was recorded — the presented one is recorded.
func (c *Connection) SFTP(ctx context.Context, cn *connection.Conn) (gmopg.SFTPConfig, error) {
	addr := c.SFTPAddr(cn)
	if addr == "" {
		return gmopg.SFTPConfig{}, errs.Conflict("GMO-PG の SFTP 接続先が設定されていません。設定 › 外部連携設定 › GMOペイメントゲートウェイ で入力してください")
	}
	pass, err := cn.Secret(FieldSFTPPassword)
	if err != nil {
		return gmopg.SFTPConfig{}, err
	}
	cfg := gmopg.SFTPConfig{Addr: addr, User: cn.Value(FieldSFTPUser), Password: pass, Timeout: c.opts.Timeout,
		HostKey: cn.Value(FieldSFTPHostKey)}
	if cfg.HostKey != "" {
		return cfg, nil
	}
	rec, err := c.RecordedHostKey(ctx)
	if err != nil {
		return cfg, err
	}
	if rec.Key != "" && sameHost(rec.Addr, addr) {
		cfg.HostKey = rec.Key
		return cfg, nil
	}
	cfg.OnFirstKey = func(key, fp string) error {
		return c.recordHostKey(context.WithoutCancel(ctx), HostKey{Addr: addr, Key: key, Fingerprint: fp})
	}
	return cfg, nil
}

func sameHost(a, b string) bool { return withPort(a) == withPort(b) }

func withPort(a string) string {
	if _, _, err := net.SplitHostPort(a); err != nil {
		return net.JoinHostPort(a, "22")
	}
	return a
}

// HostKey is a recorded SFTP host key.
type HostKey struct {
	Addr        string    `json:"addr"`
	Key         string    `json:"key"` // authorized_keys format
	Fingerprint string    `json:"fingerprint"`
	RecordedAt  time.Time `json:"recorded_at"`
}

// RecordedHostKey is the key recorded on first use (zero when none).
func (c *Connection) RecordedHostKey(ctx context.Context) (HostKey, error) {
	s, err := c.reg.Settings().Get(ctx, c.db, hostKeyRecord, "")
	if errors.Is(err, db.ErrNotFound) {
		return HostKey{}, nil
	}
	if err != nil {
		return HostKey{}, err
	}
	var k HostKey
	return k, s.DecodePublic(&k)
}

func (c *Connection) recordHostKey(ctx context.Context, k HostKey) error {
	k.RecordedAt = time.Now().UTC()
	if st := c.reg.Settings(); st.Now != nil {
		k.RecordedAt = st.Now().UTC()
	}
	return c.db.InTx(ctx, func(tx *db.Tx) error {
		_, err := c.reg.Settings().Save(ctx, tx, hostKeyRecord, "", secrets.Update{Public: k})
		return err
	})
}

// ForgetHostKey drops the recorded key: the next login records the key it is shown (an admin's
// decision after GMO-PG announced a new server key).
func (c *Connection) ForgetHostKey(ctx context.Context) error {
	return c.db.InTx(ctx, func(tx *db.Tx) error {
		_, err := c.reg.Settings().Save(ctx, tx, hostKeyRecord, "", secrets.Update{Public: HostKey{}})
		return err
	})
}

// Settings are the card-entry options both rooms read.
type Settings struct {
	SecurityCode  bool   // セキュリティコードの入力を求める
	Epos          bool   // エポス連携
	EposStoreCode string // 提携店コード
	EposBanner    string // バナー画像のURL
}

// Options of cn as Settings.
func SettingsOf(cn *connection.Conn) Settings {
	return Settings{
		SecurityCode:  cn.Value(FieldSecurityCode) != "off",
		Epos:          cn.Value(FieldEpos) == "on",
		EposStoreCode: cn.Value(FieldEposStore),
		EposBanner:    cn.Value(FieldEposBanner),
	}
}

// test is the 接続テスト: shop and site credentials on the API, then an SFTP login (recording
// the host key on first use). Every failure is reported, each saying what to check.
func (c *Connection) test(ctx context.Context, cn *connection.Conn) error {
	var msgs []string
	cl, err := c.Client(cn)
	if err != nil {
		return err
	}
	if err := cl.CheckShop(ctx); err != nil {
		msgs = append(msgs, "API（ショップ）: "+err.Error())
	}
	if err := cl.CheckSite(ctx); err != nil {
		msgs = append(msgs, "API（サイト）: "+err.Error())
	}
	if cfg, err := c.SFTP(ctx, cn); err != nil {
		msgs = append(msgs, "SFTP: "+errs.Text(err))
	} else if err := gmopg.CheckSFTP(ctx, cfg); err != nil {
		if he, ok := errors.AsType[*gmopg.HostKeyError](err); ok {
			msgs = append(msgs, "SFTP: "+he.Error()+"。正しい鍵と確認できたら SFTP ホスト鍵 に "+he.PresentedAt+" を入力してください")
		} else {
			msgs = append(msgs, "SFTP: "+err.Error())
		}
	}
	if len(msgs) > 0 {
		return errs.E(errs.KindUnavailable, strings.Join(msgs, " / "))
	}
	return nil
}
