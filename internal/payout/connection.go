package payout

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"sync"
	"time"

	"kessai/internal/platform/clock"
	"kessai/internal/platform/db"
	"kessai/internal/platform/errs"
	"kessai/internal/platform/secrets"
	"kessai/internal/provider/aozora"
)

// Provider is the key of the bank's settings in provider_settings.
const Provider = "gmo_aozora"

// Secret fields of the settings.
const (
	secretClient = "client_secret"
	secretToken  = "token" // aozora.Token as JSON: access and refresh token
)

// Endpoint names where the bank is.
const (
	EndpointSandbox    = "sandbox"    // the in-process simulator (default)
	EndpointProduction = "production" // api.gmo-aozora.com
)

// ConnSettings are the public (unsealed) settings of the connection.
type ConnSettings struct {
	Endpoint     string    `json:"endpoint"`
	ClientID     string    `json:"client_id"`
	AuthMethod   string    `json:"auth_method"` // "basic" (client_secret_basic) or "post"
	Enabled      bool      `json:"enabled"`     // 連携『有効』: a token call succeeded with these settings
	AccountID    string    `json:"account_id"`  // 振込元口座, from the accounts API
	AccountLabel string    `json:"account_label"`
	VerifiedAt   time.Time `json:"verified_at,omitzero"`
	LastError    string    `json:"last_error,omitempty"`
}

// Connection is the merchant's connection to GMO あおぞらネット銀行: settings with the client
// secret and tokens sealed, the OAuth dance, and ready clients for the executor and the poller.
type Connection struct {
	db    *db.DB
	store *secrets.Store
	clock clock.Clock
	// SandboxURLs gives the simulator's auth and API base URLs (the in-process one).
	SandboxURLs func() (authURL, apiURL string)
	// RedirectURI is kessai's callback for the bank's login page.
	RedirectURI string
	HTTPClient  *http.Client

	mu     sync.Mutex
	holder *aozora.TokenHolder
	key    string // settings the holder was built for
}

// NewConnection returns the connection over the provider settings store.
func NewConnection(d *db.DB, store *secrets.Store, c clock.Clock, sandboxURLs func() (string, string), redirectURI string) *Connection {
	return &Connection{db: d, store: store, clock: c, SandboxURLs: sandboxURLs, RedirectURI: redirectURI,
		HTTPClient: &http.Client{Timeout: 60 * time.Second}}
}

// State is the settings page's view.
type State struct {
	ConnSettings
	HasSecret       bool
	HasRefreshToken bool
	SecretMasked    string
}

func (c *Connection) load(ctx context.Context) (ConnSettings, *secrets.Settings, error) {
	cs := ConnSettings{Endpoint: EndpointSandbox, AuthMethod: "basic"}
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
	if cs.Endpoint == "" {
		cs.Endpoint = EndpointSandbox
	}
	return cs, s, nil
}

// State reads the settings for the page.
func (c *Connection) State(ctx context.Context) (State, error) {
	cs, s, err := c.load(ctx)
	st := State{ConnSettings: cs}
	if err != nil || s == nil {
		return st, err
	}
	st.HasSecret = s.HasSecret(secretClient)
	if m, err := c.store.Masked(s); err == nil {
		st.SecretMasked = m[secretClient]
	}
	if tok, err := c.token(s); err == nil {
		st.HasRefreshToken = tok.RefreshToken != ""
	}
	return st, nil
}

// IsSandbox reports whether kessai talks to the simulator (no real bank configured).
func (c *Connection) IsSandbox(ctx context.Context) bool {
	cs, _, err := c.load(ctx)
	return err != nil || cs.Endpoint != EndpointProduction
}

// Save stores the client ID and secret (an empty secret keeps the stored one). Changing them
// disables the connection until a token call succeeds again.
func (c *Connection) Save(ctx context.Context, endpoint, clientID, secret, authMethod string) error {
	f := errs.Fields{}
	if endpoint != EndpointSandbox && endpoint != EndpointProduction {
		f.Add("endpoint", "接続先を選んでください")
	}
	if clientID == "" {
		f.Add("client_id", "クライアントIDを入力してください")
	}
	if authMethod != "basic" && authMethod != "post" {
		f.Add("auth_method", "クライアント認証方式を選んでください")
	}
	cs, s, err := c.load(ctx)
	if err != nil {
		return err
	}
	if secret == "" && (s == nil || !s.HasSecret(secretClient)) {
		f.Add("client_secret", "クライアントシークレットを入力してください")
	}
	if err := f.Err(); err != nil {
		return err
	}
	changed := secret != "" || cs.ClientID != clientID || cs.Endpoint != endpoint || cs.AuthMethod != authMethod
	cs.Endpoint, cs.ClientID, cs.AuthMethod = endpoint, clientID, authMethod
	u := secrets.Update{Public: &cs, Secrets: map[string]string{secretClient: secret}}
	if changed {
		cs.Enabled, cs.VerifiedAt = false, time.Time{}
		u.Clear = []string{secretToken}
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

// client returns an OAuth client for the stored settings.
func (c *Connection) client(ctx context.Context) (*aozora.Client, ConnSettings, *secrets.Settings, error) {
	cs, s, err := c.load(ctx)
	if err != nil {
		return nil, cs, s, err
	}
	if s == nil || cs.ClientID == "" {
		return nil, cs, s, errs.E(errs.KindUnavailable, "GMOあおぞらネット銀行のクライアントIDとシークレットが未設定です（設定 › 外部連携設定）")
	}
	secret, err := c.store.Secret(s, secretClient)
	if err != nil {
		return nil, cs, s, err
	}
	cfg := aozora.Config{ClientID: cs.ClientID, ClientSecret: secret, RedirectURI: c.RedirectURI, Clock: c.clock, HTTPClient: c.HTTPClient}
	if cs.AuthMethod == "post" {
		cfg.AuthMethod = aozora.ClientSecretPost
	}
	if cs.Endpoint == EndpointProduction {
		cfg.AuthBaseURL, cfg.APIBaseURL = aozora.ProductionAuthBaseURL, aozora.ProductionAPIBaseURL
	} else {
		cfg.AuthBaseURL, cfg.APIBaseURL = c.SandboxURLs()
	}
	return aozora.New(cfg), cs, s, nil
}

func (c *Connection) token(s *secrets.Settings) (aozora.Token, error) {
	var tok aozora.Token
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

// Complete exchanges the code from the bank's redirect for tokens, then verifies them with the
// accounts API; only then is the connection 有効.
func (c *Connection) Complete(ctx context.Context, code string) error {
	cl, cs, _, err := c.client(ctx)
	if err != nil {
		return err
	}
	tok, err := cl.Exchange(ctx, code)
	if err != nil {
		return c.fail(ctx, cs, "トークンを取得できませんでした: "+err.Error())
	}
	return c.verify(ctx, cl, cs, tok)
}

// Verify makes a token call (a refresh) and reads the accounts again.
func (c *Connection) Verify(ctx context.Context) error {
	cl, cs, s, err := c.client(ctx)
	if err != nil {
		return err
	}
	tok, err := c.token(s)
	if err != nil {
		return err
	}
	if tok.RefreshToken == "" {
		return errs.Invalid("リフレッシュトークンがありません。【リフレッシュトークンを取得】で銀行にログインしてください")
	}
	nt, err := cl.Refresh(ctx, tok.RefreshToken)
	if err != nil {
		return c.fail(ctx, cs, "トークンを更新できませんでした: "+err.Error())
	}
	if nt.RefreshToken == "" {
		nt.RefreshToken = tok.RefreshToken
	}
	return c.verify(ctx, cl, cs, nt)
}

func (c *Connection) verify(ctx context.Context, cl *aozora.Client, cs ConnSettings, tok aozora.Token) error {
	accts, err := cl.WithTokenSource(aozora.NewTokenHolder(cl, tok, aozora.HolderOptions{Clock: c.clock})).Accounts(ctx)
	if err != nil {
		return c.fail(ctx, cs, "口座一覧を取得できませんでした: "+err.Error())
	}
	var pick *aozora.Account
	for i, a := range accts.Accounts {
		ordinary := a.AccountTypeCode == aozora.SubjectOrdinaryInterest || a.AccountTypeCode == aozora.SubjectOrdinarySettle
		if ordinary && (pick == nil || a.PrimaryAccountCode == "1") {
			pick = &accts.Accounts[i]
		}
	}
	if pick == nil {
		return c.fail(ctx, cs, "振込元にできる普通預金口座がありません")
	}
	cs.AccountID = pick.AccountID
	cs.AccountLabel = fmt.Sprintf("%s 支店%s %s %s %s", pick.BranchName, pick.BranchCode, pick.AccountTypeName, pick.AccountNumber, pick.AccountName)
	cs.Enabled, cs.VerifiedAt, cs.LastError = true, c.clock.Now().UTC(), ""
	b, err := json.Marshal(tok)
	if err != nil {
		return err
	}
	return c.save(ctx, secrets.Update{Public: &cs, Secrets: map[string]string{secretToken: string(b)}})
}

func (c *Connection) fail(ctx context.Context, cs ConnSettings, msg string) error {
	cs.Enabled, cs.LastError = false, msg
	if err := c.save(ctx, secrets.Update{Public: &cs}); err != nil {
		return err
	}
	return errs.E(errs.KindUnavailable, msg)
}

// Bank is the executor's and poller's BankFunc: a client with a token holder that refreshes
// before expiry and stores each new refresh token sealed.
func (c *Connection) Bank(ctx context.Context) (Bank, error) {
	cl, cs, s, err := c.client(ctx)
	if err != nil {
		return Bank{}, err
	}
	if !cs.Enabled || cs.AccountID == "" {
		return Bank{}, errs.E(errs.KindUnavailable, "GMOあおぞらネット銀行との連携が有効ではありません（設定 › 外部連携設定でリフレッシュトークンを取得してください）")
	}
	key := string(s.Public) + s.UpdatedAt.String()
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.holder == nil || c.key != key {
		tok, err := c.token(s)
		if err != nil {
			return Bank{}, err
		}
		c.holder = aozora.NewTokenHolder(cl, tok, aozora.HolderOptions{Clock: c.clock, OnRefresh: func(nt aozora.Token) {
			b, err := json.Marshal(nt)
			if err != nil {
				return
			}
			// Stored in its own short transaction; the holder keeps the token in memory either way.
			_ = c.db.InTx(context.WithoutCancel(ctx), func(tx *db.Tx) error {
				_, err := c.store.Save(context.WithoutCancel(ctx), tx, Provider, "", secrets.Update{Secrets: map[string]string{secretToken: string(b)}})
				return err
			})
		}})
		c.key = key
	}
	return Bank{Client: cl.WithTokenSource(c.holder), AccountID: cs.AccountID}, nil
}
