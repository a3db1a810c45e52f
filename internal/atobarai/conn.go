package atobarai

import (
	"context"
	"errors"
	"regexp"
	"time"

	"kessai/internal/platform/clock"
	"kessai/internal/platform/connection"
	"kessai/internal/platform/errs"
	"kessai/internal/provider/yamato"
	"kessai/internal/sandbox/yamatosim"
)

// ConnKey is Yamato's key in the connection registry.
const ConnKey = "yamato"

// Field names of the stored connection.
const (
	FieldStoreCode = "store_code"
	FieldPassword  = "password"
	FieldMode      = "mode"
	FieldTarget    = "target"
)

// Targets of 接続先 when not in the sandbox: Yamato's production or test environment.
const (
	TargetProduction = "production"
	TargetTest       = "test"
)

var storeCodeRule = regexp.MustCompile(`^[0-9]{11}$`)

// Conn reads Yamato's connection and builds clients from it.
type Conn struct {
	reg *connection.Registry
	// SandboxURL is the simulator's API base ("" without a sandbox).
	SandboxURL string
	Clock      clock.Clock
	Timeout    time.Duration
}

// Settings are the connection's non-secret choices.
type Settings struct {
	Mode    string // ModeAPI or ModeCSV
	Sandbox bool
	BaseURL string
}

// DeclareConn declares Yamato on reg (設定 › 外部連携設定 › クロネコ後払い). sandboxBase is the
// simulator's mount URL (Host.SimulatorURL), "" for none.
func DeclareConn(reg *connection.Registry, sandboxBase string, c clock.Clock) (*Conn, error) {
	cn := &Conn{reg: reg, Clock: c, Timeout: 30 * time.Second}
	sim := ""
	if sandboxBase != "" {
		sim = yamatosim.Name
		cn.SandboxURL = sandboxBase + yamatosim.APIPath
	}
	_, err := reg.Declare(connection.Provider{
		Key: ConnKey, Label: "クロネコ後払い", Rooms: []string{"後払い（クロネコ代金後払い）"}, Simulator: sim,
		Fields: []connection.Field{
			{Name: FieldStoreCode, Label: "加盟店コード", Required: true, SandboxValue: yamatosim.DefaultStoreCode, Help: "ヤマトから通知された11桁の数字"},
			{Name: FieldPassword, Label: "パスワード", Secret: true, Required: true, SandboxValue: yamatosim.DefaultPassword},
			{Name: FieldMode, Label: "連携方式", Default: ModeAPI, Options: []connection.Option{{Value: ModeAPI, Label: "API"}, {Value: ModeCSV, Label: "CSV"}},
				Help: "API: 注文時に与信し、出荷・取消・減額をヤマトへ送ります。CSV: 買手情報一括登録CSVと与信結果データをヤマトの管理画面でやり取りします。切り替えても既存の受注はそのまま扱えます"},
			{Name: FieldTarget, Label: "ヤマトの環境", Default: TargetProduction,
				Options: []connection.Option{{Value: TargetProduction, Label: "本番環境"}, {Value: TargetTest, Label: "テスト環境"}},
				Help:    "接続先が「本番」のときの行き先: 本番環境 " + yamato.ProductionBaseURL + "、テスト環境 " + yamato.TestBaseURL},
		},
		Test: cn.test,
	})
	return cn, err
}

// Get is the connection as stored now.
func (c *Conn) Get(ctx context.Context) (*connection.Conn, error) { return c.reg.Get(ctx, ConnKey, "") }

// SettingsOf reads the mode and where the API is.
func (c *Conn) SettingsOf(cn *connection.Conn) Settings {
	s := Settings{Mode: cn.Value(FieldMode), Sandbox: cn.Sandbox}
	if s.Mode == "" {
		s.Mode = ModeAPI
	}
	switch {
	case cn.Sandbox:
		s.BaseURL = c.SandboxURL
	case cn.Value(FieldTarget) == TargetTest:
		s.BaseURL = yamato.TestBaseURL
	default:
		s.BaseURL = yamato.ProductionBaseURL
	}
	return s
}

// Mode is the 連携方式 as saved (a CSV merchant needs no API password).
func (c *Conn) Mode(ctx context.Context) (string, error) {
	cn, err := c.Get(ctx)
	if err != nil {
		return "", err
	}
	return c.SettingsOf(cn).Mode, nil
}

// Client builds the API client of the connection as it is now.
func (c *Conn) Client(ctx context.Context) (*yamato.Client, Settings, error) {
	cn, err := c.Get(ctx)
	if err != nil {
		return nil, Settings{}, err
	}
	return c.clientOf(cn)
}

func (c *Conn) clientOf(cn *connection.Conn) (*yamato.Client, Settings, error) {
	st := c.SettingsOf(cn)
	code := cn.Value(FieldStoreCode)
	if !storeCodeRule.MatchString(code) {
		return nil, st, errs.Conflict("クロネコ後払いの加盟店コードは11桁の数字です（設定 › 外部連携設定 › クロネコ後払い）: " + code)
	}
	pass, err := cn.Secret(FieldPassword)
	if err != nil {
		return nil, st, err
	}
	if pass == "" && cn.Sandbox {
		pass = yamatosim.DefaultPassword // the simulator's merchant, whatever was saved
	}
	if pass == "" {
		return nil, st, errs.Conflict("クロネコ後払いのパスワードが設定されていません（設定 › 外部連携設定 › クロネコ後払い）")
	}
	if st.BaseURL == "" {
		return nil, st, errs.Conflict("クロネコ後払いの接続先がありません（サンドボックスが動いていません）")
	}
	return yamato.New(yamato.Config{BaseURL: st.BaseURL, StoreCode: code, Password: pass, Clock: c.Clock,
		Timeout: c.Timeout, HTTPClient: connection.HTTPClient(2 * c.Timeout)}), st, nil
}

// connTestOrderNo is an order number no merchant uses: asking its status proves the store
// code and password without touching a transaction.
const connTestOrderNo = "KESSAI-CONNECTION-T"

// test is the 接続テスト: KAAST0010 for connTestOrderNo answers 存在しない受注番号 when the
// credentials are right, and the credential codes otherwise.
func (c *Conn) test(ctx context.Context, cn *connection.Conn) error {
	cl, _, err := c.clientOf(cn)
	if err != nil {
		return err
	}
	_, err = cl.Status(ctx, connTestOrderNo)
	if err == nil || yamato.IsNotFound(err) {
		return nil
	}
	if ae, ok := errors.AsType[*yamato.APIError](err); ok {
		return errs.E(errs.KindUnavailable, "ヤマトが接続を拒否しました: "+ae.Code+" "+yamato.Describe(ae.Code))
	}
	return errs.E(errs.KindUnavailable, "ヤマトに接続できません: "+err.Error())
}
