package payout

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"time"

	"kessai/internal/platform/auth"
	"kessai/internal/platform/clock"
	"kessai/internal/platform/db"
	"kessai/internal/platform/errs"
	"kessai/internal/platform/lease"
	"kessai/internal/platform/secrets"
	"kessai/internal/provider/aozora"
)

// Provider is the key of the bank's settings in provider_settings.
const Provider = "gmo_aozora"

// Secret fields of the settings.
const (
	secretClient = "client_secret"
	secretToken  = "token" // aozora.Token as JSON: access token, expiry and the newest refresh token
)

// ErrNotConnected is what the executor and the poller get while the bank is not connected.
func errNotConnected() error {
	return errs.Conflict("GMOあおぞらネット銀行と連携されていません。設定 › 外部連携設定 で連携してください")
}

// ConnSettings are the public (unsealed) settings of the connection.
type ConnSettings struct {
	ClientID   string `json:"client_id"`
	AuthMethod string `json:"auth_method"` // "basic" (client_secret_basic) or "post" (client_secret_post)
	// AuthBaseURL and APIBaseURL override where the bank is; empty means automatic: the
	// in-process simulator while no real client ID is saved, production otherwise.
	AuthBaseURL  string    `json:"auth_base_url,omitempty"`
	APIBaseURL   string    `json:"api_base_url,omitempty"`
	Enabled      bool      `json:"enabled"`    // 連携『有効』: a token call succeeded with these settings
	AccountID    string    `json:"account_id"` // 振込元口座, from the accounts API
	AccountLabel string    `json:"account_label"`
	VerifiedAt   time.Time `json:"verified_at,omitzero"`
	LastError    string    `json:"last_error,omitempty"`
	// Manual is a connection by an access token issued by hand (sunabar): no OAuth, no refresh.
	Manual bool `json:"manual_token,omitempty"`
}

// SettingsInput is what the settings form sends. An empty ClientSecret keeps the stored one.
type SettingsInput struct {
	ClientID     string
	ClientSecret string
	AuthMethod   string
	AuthBaseURL  string
	APIBaseURL   string
	// TokenAPIBaseURL is the API URL of the hand-issued token form (not saved by Save).
	TokenAPIBaseURL string
}

// Connection is the merchant's connection to GMO あおぞらネット銀行: settings with the client
// secret and tokens sealed, the OAuth dance, and ready clients for the executor and the poller.
type Connection struct {
	db    *db.DB
	store *secrets.Store
	clock clock.Clock
	// SandboxURLs gives the in-process simulator's auth and API base URLs (nil: no simulator).
	SandboxURLs func() (authURL, apiURL string)
	// SandboxClientID and SandboxClientSecret are the simulator's pre-registered client, used
	// while nothing real is saved so a newcomer only has to log in.
	SandboxClientID, SandboxClientSecret string
	// RedirectURI is kessai's callback for the bank's login page.
	RedirectURI string
	HTTPClient  *http.Client
	// Log receives what a person must hear about (a refreshed token that could not be stored).
	Log *slog.Logger

	// Leases makes one instance at a time refresh (and so rotate) the bank's refresh token.
	Leases *lease.Leases
	// holderID names this Connection as a lease holder.
	holderID string

	mu         sync.Mutex
	holder     *aozora.TokenHolder
	key        string // settings the holder was built for
	refreshErr string // why the last refreshed token could not be stored, "" when it was
}

// NewConnection returns the connection over the provider settings store.
func NewConnection(d *db.DB, store *secrets.Store, c clock.Clock, sandboxURLs func() (string, string), redirectURI string) *Connection {
	return &Connection{db: d, store: store, clock: c, SandboxURLs: sandboxURLs, RedirectURI: redirectURI,
		HTTPClient: &http.Client{Timeout: 60 * time.Second}, Log: slog.Default(),
		Leases: lease.New(d, clock.System{}), holderID: db.NewID("conn")}
}

// State is the settings page's view: the stored settings and where they point.
type State struct {
	ConnSettings
	// Effective values: what the client uses now (sandbox defaults filled in).
	EffectiveClientID string
	EffectiveAuthURL  string
	EffectiveAPIURL   string
	Sandbox           bool   // talking to the in-process simulator
	SandboxDefaults   bool   // no client saved: the simulator's client is used
	HasSecret         bool   // a client secret is stored (or the sandbox's is used)
	SecretMasked      string // the stored secret masked, never the secret
	HasRefreshToken   bool
	HasManualToken    bool // Manual, with a hand-issued access token stored
	TokenExpiry       time.Time
}

func (c *Connection) load(ctx context.Context) (ConnSettings, *secrets.Settings, error) {
	cs := ConnSettings{AuthMethod: "basic"}
	s, err := c.store.Get(ctx, c.db, Provider, "")
	if errors.Is(err, db.ErrNotFound) {
		return cs, nil, nil
	}
	if err != nil {
		return cs, nil, err
	}
	if err := s.DecodePublic(&cs); err != nil {
		return cs, nil, err
	}
	if cs.AuthMethod == "" {
		cs.AuthMethod = "basic"
	}
	return cs, s, nil
}

func (c *Connection) sandboxURLs() (string, string) {
	if c.SandboxURLs == nil {
		return "", ""
	}
	return c.SandboxURLs()
}

// usesSandboxClient reports whether the simulator's own client stands in for a saved one.
func (c *Connection) usesSandboxClient(cs ConnSettings) bool {
	return c.SandboxClientID != "" && (cs.ClientID == "" || cs.ClientID == c.SandboxClientID)
}

// endpoints are the base URLs cs points at: explicit ones win; otherwise the simulator for the
// sandbox client (or none saved) and production for a real one.
func (c *Connection) endpoints(cs ConnSettings) (authURL, apiURL string, sandbox bool) {
	sa, sp := c.sandboxURLs()
	authURL, apiURL = cs.AuthBaseURL, cs.APIBaseURL
	if authURL == "" || apiURL == "" {
		da, dp := aozora.ProductionAuthBaseURL, aozora.ProductionAPIBaseURL
		if sa != "" && (cs.ClientID == "" || c.usesSandboxClient(cs)) {
			da, dp = sa, sp
		}
		if authURL == "" {
			authURL = da
		}
		if apiURL == "" {
			apiURL = dp
		}
	}
	authURL, apiURL = strings.TrimRight(authURL, "/"), strings.TrimRight(apiURL, "/")
	return authURL, apiURL, sa != "" && authURL == strings.TrimRight(sa, "/")
}

// State reads the settings for the page.
func (c *Connection) State(ctx context.Context) (State, error) {
	cs, s, err := c.load(ctx)
	st := State{ConnSettings: cs}
	if err != nil {
		return st, err
	}
	c.mu.Lock()
	if c.refreshErr != "" {
		st.LastError = c.refreshErr
	}
	c.mu.Unlock()
	st.EffectiveAuthURL, st.EffectiveAPIURL, st.Sandbox = c.endpoints(cs)
	st.EffectiveClientID = cs.ClientID
	if st.EffectiveClientID == "" && c.SandboxClientID != "" {
		st.EffectiveClientID, st.SandboxDefaults = c.SandboxClientID, true
	}
	if s != nil {
		st.HasSecret = s.HasSecret(secretClient)
		if m, err := c.store.Masked(s); err == nil {
			st.SecretMasked = m[secretClient]
		}
		if tok, err := c.token(s); err == nil {
			st.HasRefreshToken, st.TokenExpiry = tok.RefreshToken != "", tok.Expiry
			st.HasManualToken = cs.Manual && tok.AccessToken != ""
		}
	}
	if !st.HasSecret && c.usesSandboxClient(cs) && c.SandboxClientSecret != "" {
		st.HasSecret, st.SecretMasked = true, secrets.Mask(c.SandboxClientSecret)
	}
	return st, nil
}

// IsSandbox reports whether kessai talks to the simulator (no real bank configured).
func (c *Connection) IsSandbox(ctx context.Context) bool {
	cs, _, err := c.load(ctx)
	if err != nil {
		return true
	}
	_, _, sandbox := c.endpoints(cs)
	return sandbox
}

// Status is the 外部連携設定 index's status: 「有効」 only after a token call succeeded.
func (c *Connection) Status(ctx context.Context) (string, bool) {
	st, err := c.State(ctx)
	if err != nil {
		return "読み込めません", false
	}
	suffix := ""
	if st.Sandbox {
		suffix = "（サンドボックス）"
	}
	switch {
	case st.Enabled:
		return "有効" + suffix, true
	case st.LastError != "":
		return "エラー" + suffix, false
	}
	return "未連携" + suffix, false
}

// Save stores the settings (an empty secret keeps the stored one) and records the change in
// the audit log. Changing who we are or where the bank is drops the tokens and disables the
// connection until a token call succeeds again.
func (c *Connection) Save(ctx context.Context, in SettingsInput) error {
	in.ClientID = strings.TrimSpace(in.ClientID)
	in.ClientSecret = strings.TrimSpace(in.ClientSecret)
	in.AuthBaseURL = strings.TrimRight(strings.TrimSpace(in.AuthBaseURL), "/")
	in.APIBaseURL = strings.TrimRight(strings.TrimSpace(in.APIBaseURL), "/")
	f := errs.Fields{}
	if in.ClientID == "" {
		f.Add("client_id", "クライアントIDを入力してください")
	} else if len(in.ClientID) > 128 {
		f.Add("client_id", "クライアントIDが長すぎます")
	}
	if in.AuthMethod != "basic" && in.AuthMethod != "post" {
		f.Add("auth_method", "クライアント認証方式を選んでください")
	}
	for name, v := range map[string]string{"auth_base_url": in.AuthBaseURL, "api_base_url": in.APIBaseURL} {
		if v == "" {
			continue
		}
		if msg := c.checkEndpoint(v); msg != "" {
			f.Add(name, msg)
		}
	}
	cs, s, err := c.load(ctx)
	if err != nil {
		return err
	}
	next := cs
	next.ClientID, next.AuthMethod, next.AuthBaseURL, next.APIBaseURL = in.ClientID, in.AuthMethod, in.AuthBaseURL, in.APIBaseURL
	next.Manual = false // the OAuth form: back from a hand-issued token to the client's own tokens
	hasSecret := s != nil && s.HasSecret(secretClient)
	oa, op, _ := c.endpoints(cs)
	na, np, _ := c.endpoints(next)
	// A secret is sent only to the host it was entered for: re-pointing the bank clears it, and
	// a real client must type it again (the stored one would otherwise go to the new host).
	moved := s != nil && (oa != na || op != np)
	if moved && in.ClientSecret == "" && hasSecret {
		hasSecret = false
		if !c.usesSandboxClient(next) {
			f.Add("client_secret", "接続先URLが変わったため、クライアントシークレットを入力し直してください（保存済みのシークレットは新しい接続先へ送りません）")
		}
	}
	if in.ClientSecret == "" && !hasSecret && !c.usesSandboxClient(next) && f["client_secret"] == "" {
		f.Add("client_secret", "クライアントシークレットを入力してください")
	}
	if err := f.Err(); err != nil {
		return err
	}
	changed := s == nil || in.ClientSecret != "" || cs.ClientID != next.ClientID || cs.AuthMethod != next.AuthMethod || moved || cs.Manual
	if !changed && next == cs {
		return nil // nothing to store or audit
	}
	u := secrets.Update{Public: &next, Secrets: map[string]string{secretClient: in.ClientSecret}}
	if changed {
		next.Enabled, next.VerifiedAt, next.AccountID, next.AccountLabel, next.LastError = false, time.Time{}, "", "", ""
		u.Clear = []string{secretToken}
		switch {
		case in.ClientSecret == "" && c.usesSandboxClient(next) && !hasSecret:
			u.Secrets[secretClient] = c.SandboxClientSecret // the simulator's own, public secret
		case moved && in.ClientSecret == "":
			u.Clear = append(u.Clear, secretClient)
		}
	}
	return c.save(ctx, u)
}

func (c *Connection) save(ctx context.Context, u secrets.Update) error {
	c.mu.Lock()
	c.holder = nil // rebuilt from the stored settings on next use
	c.mu.Unlock()
	return c.db.InTx(ctx, func(tx *db.Tx) error {
		_, err := c.store.Save(ctx, tx, Provider, "", u)
		return err
	})
}

// client returns an OAuth client for the stored settings (the sandbox client while none is
// saved).
func (c *Connection) client(ctx context.Context) (*aozora.Client, ConnSettings, *secrets.Settings, error) {
	cs, s, err := c.load(ctx)
	if err != nil {
		return nil, cs, s, err
	}
	id, secret := cs.ClientID, ""
	if s != nil {
		if secret, err = c.store.Secret(s, secretClient); err != nil {
			return nil, cs, s, err
		}
	}
	if c.usesSandboxClient(cs) {
		id = c.SandboxClientID
		if secret == "" {
			secret = c.SandboxClientSecret
		}
	}
	if id == "" || secret == "" {
		return nil, cs, s, errs.Conflict("GMOあおぞらネット銀行のクライアントIDとクライアントシークレットが未設定です（設定 › 外部連携設定 › GMOあおぞらネット銀行）")
	}
	authURL, apiURL, _ := c.endpoints(cs)
	cfg := aozora.Config{AuthBaseURL: authURL, APIBaseURL: apiURL, ClientID: id, ClientSecret: secret,
		RedirectURI: c.RedirectURI, Clock: c.clock, HTTPClient: c.HTTPClient}
	if cs.AuthMethod == "post" {
		cfg.AuthMethod = aozora.ClientSecretPost
	}
	return aozora.New(cfg), cs, s, nil
}

func (c *Connection) token(s *secrets.Settings) (aozora.Token, error) {
	var tok aozora.Token
	if s == nil {
		return tok, nil
	}
	raw, err := c.store.Secret(s, secretToken)
	if err != nil || raw == "" {
		return tok, err
	}
	err = json.Unmarshal([]byte(raw), &tok)
	return tok, err
}

// AuthURL is the bank's login page for 【リフレッシュトークンを取得】.
func (c *Connection) AuthURL(ctx context.Context, state string) (string, error) {
	cl, _, _, err := c.client(ctx)
	if err != nil {
		return "", err
	}
	return cl.AuthCodeURL(state), nil
}

// Complete exchanges the code from the bank's redirect for tokens, stores the refresh token
// sealed and reads the accounts; only then is the connection 有効.
func (c *Connection) Complete(ctx context.Context, code string) error {
	cl, cs, s, err := c.client(ctx)
	if err != nil {
		return err
	}
	if s == nil {
		// Nothing saved yet (sandbox defaults): save them so the tokens have a home.
		cs.ClientID = c.SandboxClientID
		if err := c.Save(ctx, SettingsInput{ClientID: cs.ClientID, AuthMethod: cs.AuthMethod}); err != nil {
			return err
		}
		if cl, cs, _, err = c.client(ctx); err != nil {
			return err
		}
	}
	tok, err := cl.Exchange(ctx, code)
	if err != nil {
		return c.fail(ctx, cs, bankErrorText("リフレッシュトークンを取得できませんでした", err))
	}
	return c.verify(ctx, cl, cs, tok)
}

// Verify makes a token call (a refresh) and reads the accounts again (保存 with a token).
func (c *Connection) Verify(ctx context.Context) error {
	if cs, s, err := c.load(ctx); err != nil {
		return err
	} else if cs.Manual {
		tok, err := c.token(s)
		if err != nil {
			return err
		}
		if tok.AccessToken == "" {
			return errs.Conflict("アクセストークンがありません。sunabar で発行したアクセストークンを入力してください")
		}
		return c.verify(ctx, c.manualClient(cs), cs, tok)
	}
	cl, cs, _, err := c.client(ctx)
	if err != nil {
		return err
	}
	// Refreshing rotates the refresh token: under the same lease as every other refresh, with
	// the token as stored once the lease is held.
	unlock, _, err := sharedToken{c}.Lock(ctx)
	if err != nil {
		return err
	}
	defer unlock()
	_, s, err := c.load(ctx)
	if err != nil {
		return err
	}
	tok, err := c.token(s)
	if err != nil {
		return err
	}
	if tok.RefreshToken == "" {
		return errs.Conflict("リフレッシュトークンがありません。【リフレッシュトークンを取得】で銀行にログインしてください")
	}
	nt, err := cl.Refresh(ctx, tok.RefreshToken)
	if err != nil {
		return c.fail(ctx, cs, bankErrorText("トークンを更新できませんでした", err))
	}
	if nt.RefreshToken == "" {
		nt.RefreshToken = tok.RefreshToken
	}
	return c.verify(ctx, cl, cs, nt)
}

func (c *Connection) verify(ctx context.Context, cl *aozora.Client, cs ConnSettings, tok aozora.Token) error {
	// Store the token first: a rotated refresh token must not be lost if the accounts call fails.
	b, err := json.Marshal(tok)
	if err != nil {
		return err
	}
	if err := c.save(ctx, secrets.Update{Secrets: map[string]string{secretToken: string(b)}}); err != nil {
		return err
	}
	accts, err := cl.WithTokenSource(aozora.StaticToken(tok.AccessToken)).Accounts(ctx)
	if err != nil {
		return c.fail(ctx, cs, bankErrorText("口座一覧を取得できませんでした", err))
	}
	var pick *aozora.Account
	for i, a := range accts.Accounts {
		ordinary := a.AccountTypeCode == aozora.SubjectOrdinaryInterest || a.AccountTypeCode == aozora.SubjectOrdinarySettle
		if ordinary && (pick == nil || (a.PrimaryAccountCode == "1" && pick.PrimaryAccountCode != "1")) {
			pick = &accts.Accounts[i]
		}
	}
	if pick == nil {
		return c.fail(ctx, cs, "振込元にできる普通預金口座が口座一覧にありません")
	}
	cs.AccountID = pick.AccountID
	cs.AccountLabel = accountLabel(*pick)
	cs.Enabled, cs.VerifiedAt, cs.LastError = true, c.clock.Now().UTC(), ""
	return c.save(ctx, secrets.Update{Public: &cs})
}

func accountLabel(a aozora.Account) string {
	parts := []string{}
	if a.BranchName != "" || a.BranchCode != "" {
		parts = append(parts, strings.TrimSpace(a.BranchName+"（"+a.BranchCode+"）"))
	}
	parts = append(parts, a.AccountTypeName, a.AccountNumber, a.AccountName)
	return strings.Join(nonEmpty(parts), " ")
}

func (c *Connection) fail(ctx context.Context, cs ConnSettings, msg string) error {
	cs.Enabled, cs.LastError = false, msg
	if err := c.save(ctx, secrets.Update{Public: &cs}); err != nil {
		return err
	}
	return errs.E(errs.KindUnavailable, msg)
}

// Client gives the executor and the poller a ready client (its token holder refreshes before
// expiry and stores each new refresh token sealed) and the source account.
func (c *Connection) Client(ctx context.Context) (*aozora.Client, string, error) {
	b, err := c.Bank(ctx)
	return b.Client, b.AccountID, err
}

// Bank is the executor's, poller's and resolver's BankFunc.
func (c *Connection) Bank(ctx context.Context) (Bank, error) {
	cs, s, err := c.load(ctx)
	if err != nil {
		return Bank{}, err
	}
	if s == nil || !cs.Enabled || cs.AccountID == "" {
		return Bank{}, errNotConnected()
	}
	if cs.Manual {
		return c.manualBank(cs, s)
	}
	cl, cs, s, err := c.client(ctx)
	if err != nil {
		return Bank{}, err
	}
	key := string(s.Public) + s.UpdatedAt.String()
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.holder == nil || c.key != key {
		tok, err := c.token(s)
		if err != nil {
			return Bank{}, err
		}
		if tok.RefreshToken == "" && tok.AccessToken == "" {
			return Bank{}, errNotConnected()
		}
		c.holder = aozora.NewTokenHolder(cl, tok, aozora.HolderOptions{Clock: c.clock, Shared: sharedToken{c}})
		c.key = key
	}
	return Bank{Client: cl.WithTokenSource(c.holder), AccountID: cs.AccountID}, nil
}

// tokenLease is the lease every refresh of the bank's token runs under, on every instance.
const tokenLease = "aozora.token"

// sharedToken is the Connection as aozora.Shared: the stored token, the lease and the alerts.
type sharedToken struct{ c *Connection }

// Lock takes the refresh lease (waiting up to 30 s for another instance's refresh). Its TTL
// outlasts a refresh call (HTTPClient's timeout), so it only expires when its holder died.
func (sh sharedToken) Lock(ctx context.Context) (func(), bool, error) {
	wctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	le, err := sh.c.Leases.Wait(wctx, tokenLease, sh.c.holderID, 2*time.Minute)
	if err != nil {
		return nil, false, errs.E(errs.KindUnavailable, "別のkessaiが銀行のトークンを更新中です。時間をおいてやり直してください: "+err.Error())
	}
	return func() { _ = sh.c.Leases.Release(context.WithoutCancel(ctx), le) }, le.TookOver, nil
}

// Load reads the stored token.
func (sh sharedToken) Load(ctx context.Context) (aozora.Token, error) {
	_, s, err := sh.c.load(ctx)
	if err != nil {
		return aozora.Token{}, err
	}
	return sh.c.token(s)
}

// Save stores the rotated token.
func (sh sharedToken) Save(_ context.Context, nt aozora.Token) error { return sh.c.storeRefreshed(nt) }

// Lost: the bank refused the refresh token and no newer one is stored. The connection is
// disabled with the reason on the settings page, and logged as an error.
func (sh sharedToken) Lost(ctx context.Context, err error, tookOver bool) {
	msg := "銀行がリフレッシュトークンを受け付けませんでした（invalid_grant）。設定 › 外部連携設定で【リフレッシュトークンを取得】からやり直してください"
	if tookOver {
		msg = "前回のトークン更新の途中でkessaiが停止し、銀行が発行した新しいリフレッシュトークンを保存できなかったため、銀行との連携が切れました。設定 › 外部連携設定で【リフレッシュトークンを取得】からやり直してください"
	}
	sh.c.Log.Error("payout: the bank's refresh token is lost; re-authorise the connection", "provider", Provider, "err", err, "took_over", tookOver)
	cs, _, lerr := sh.c.load(ctx)
	if lerr == nil {
		cs.Enabled, cs.LastError = false, msg
		ctx = auth.WithPrincipal(context.WithoutCancel(ctx), auth.System("payout.token_refresh"))
		lerr = sh.c.db.InTx(ctx, func(tx *db.Tx) error {
			_, err := sh.c.store.Save(ctx, tx, Provider, "", secrets.Update{Public: &cs})
			return err
		})
	}
	if lerr != nil {
		sh.c.Log.Error("payout: record the lost bank connection", "provider", Provider, "err", lerr)
	}
	sh.c.mu.Lock()
	sh.c.refreshErr = msg
	sh.c.mu.Unlock()
}

// storeRefreshed keeps the newest token sealed. It runs under the holder's lock, outside any
// transaction of the caller, in its own short one; the holder keeps the token in memory either
// way. A failed save is logged and shown as the connection's LastError on the settings page
// (in memory: writing the settings would rebuild the holder from the stale stored token).
func (c *Connection) storeRefreshed(nt aozora.Token) error {
	b, err := json.Marshal(nt)
	if err == nil {
		ctx := auth.WithPrincipal(context.Background(), auth.System("payout.token_refresh"))
		err = c.db.InTx(ctx, func(tx *db.Tx) error {
			_, err := c.store.Save(ctx, tx, Provider, "", secrets.Update{Secrets: map[string]string{secretToken: string(b)}})
			return err
		})
	}
	msg := ""
	if err != nil {
		msg = "更新したリフレッシュトークンを保存できませんでした（" + err.Error() + "）。kessai を再起動する前に【連携を確認】で保存し直してください"
		c.Log.Error("payout: store refreshed bank token", "provider", Provider, "err", err, "last_error", msg)
	}
	c.mu.Lock()
	c.refreshErr = msg
	c.mu.Unlock()
	return err
}

// bankErrorText says in Japanese what failed, with the bank's own error code.
func bankErrorText(what string, err error) string {
	var oe *aozora.OAuthError
	var ae *aozora.APIError
	var te *aozora.TransportError
	switch {
	case errors.As(err, &oe):
		msg := oauthMessages[oe.Code]
		if msg == "" {
			msg = "銀行が認可を拒否しました"
		}
		if oe.Description != "" {
			msg += "（" + oe.Description + "）"
		}
		return fmt.Sprintf("%s。銀行のエラーコード %s: %s", what, oe.Code, msg)
	case errors.As(err, &ae):
		if ae.Code == aozora.CodeMaintenance {
			return fmt.Sprintf("%s。銀行のエラーコード %s: 銀行がメンテナンス中です。時間をおいてやり直してください", what, ae.Code)
		}
		code := ae.Code
		if code == "" {
			code = fmt.Sprintf("HTTP %d", ae.HTTPStatus)
		}
		return fmt.Sprintf("%s。銀行のエラーコード %s: %s", what, code, ae.Message)
	case errors.As(err, &te):
		return what + "。銀行に接続できませんでした。接続先URLとネットワークを確認してください"
	}
	return what + ": " + err.Error()
}

var oauthMessages = map[string]string{
	"invalid_request":           "要求の形式が正しくありません",
	"invalid_client":            "クライアントIDまたはクライアントシークレットが正しくありません（クライアント認証方式も確認してください）",
	"invalid_grant":             "認可コードまたはリフレッシュトークンが無効か期限切れです。もう一度【リフレッシュトークンを取得】してください",
	"unauthorized_client":       "このクライアントには許可されていない操作です",
	"unsupported_grant_type":    "銀行が対応していない方式です",
	"invalid_scope":             "要求した権限（スコープ）が認められていません",
	"access_denied":             "銀行のログイン画面で許可されませんでした",
	"server_error":              "銀行側でエラーが発生しました",
	"temporarily_unavailable":   "銀行が一時的に利用できません",
	"unsupported_response_type": "銀行が対応していない応答形式です",
}
