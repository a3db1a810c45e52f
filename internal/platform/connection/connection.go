// Package connection holds the merchant's connections to providers, keyed by provider (and by
// shop where the provider is per shop, like Rakuten), not by room: GMO-PG is one connection
// read by both cardupdate and kantan. A provider declares its settings form (fields, which are
// secret, which are endpoints with their sandbox and production URLs) and a 接続テスト hook; the
// registry stores the settings with secrets sealed (platform/secrets, audited), keeps the state
// (有効/無効, last check, last error), shows secrets masked, and serves the settings pages.
//
// Changing an endpoint (or an SFTP host) clears the stored secrets it receives and requires
// them again: a secret is sent only to the host it was entered for.
package connection

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"slices"
	"strings"
	"sync"
	"time"

	"kessai/internal/platform/clock"
	"kessai/internal/platform/db"
	"kessai/internal/platform/errs"
	"kessai/internal/platform/secrets"
)

// Field is one input of a provider's settings form.
type Field struct {
	Name  string // stable key in the stored settings: "shop_id", "api_url"
	Label string // 「ショップID」
	Help  string
	// Secret fields are sealed, never shown (masked), and a blank input keeps the stored value.
	Secret   bool
	Required bool
	// Endpoint marks a base URL. Blank means automatic: Sandbox while the connection uses the
	// simulator, Production otherwise. Changing where an endpoint points clears the secrets.
	Endpoint bool
	// Host marks where secrets go that is not a base URL (an SFTP host[:port]; blank is the
	// simulator). Changing it clears the secrets like an endpoint's move.
	Host bool
	// Guards names the secrets an endpoint or host receives, the ones its move clears; empty
	// means every secret.
	Guards     []string
	Production string
	// Sandbox is the simulator's URL (set by the room from Host.SimulatorURL); "" when there is
	// no simulator.
	Sandbox string
	// Options makes the field a choice: value → label.
	Options []Option
	Default string
	// SandboxValue is what the field holds while nothing is saved and the simulator is used
	// (the simulator's pre-registered shop ID and password), so a newcomer only presses 接続テスト.
	SandboxValue string
}

// Option is one choice of a select field.
type Option struct{ Value, Label string }

// Provider declares a provider's connection.
type Provider struct {
	Key   string // stable: "gmopg", "rakuten", "gmo_aozora"
	Label string // 「GMOペイメントゲートウェイ」
	// Rooms lists who uses it (shown on 外部連携設定): 「カード洗替」「かんたん決済」.
	Rooms   []string
	PerShop bool
	// Simulator is the sandbox simulator that plays this provider ("" for none).
	Simulator string
	Fields    []Field
	// Test is the 接続テスト: it makes a harmless call with the connection's settings and returns
	// why it failed, in Japanese. The registry records the outcome as the connection's state.
	Test func(ctx context.Context, c *Conn) error
	// Page, when set, is a settings page the room owns (an OAuth dance the declared form cannot
	// do); Status then reports the state and Sandbox whether it uses the simulator.
	Page    string
	Status  func(ctx context.Context, shopID string) (State, error)
	Sandbox func(ctx context.Context, shopID string) bool
}

func (p *Provider) field(name string) (Field, bool) {
	for _, f := range p.Fields {
		if f.Name == name {
			return f, true
		}
	}
	return Field{}, false
}

// State is a connection's health.
type State struct {
	Enabled   bool      `json:"enabled"` // 有効: the last check succeeded with these settings
	CheckedAt time.Time `json:"checked_at,omitzero"`
	LastError string    `json:"last_error,omitempty"`
}

// Label is 有効 or 無効.
func (s State) Label() string {
	if s.Enabled {
		return "有効"
	}
	return "無効"
}

// stored is the public JSON of a declared provider in provider_settings.
type stored struct {
	Values map[string]string `json:"values"`
	State  State             `json:"state"`
}

// Conn is one provider's connection as stored now.
type Conn struct {
	Provider *Provider
	ShopID   string
	// Saved is false while nothing was saved (sandbox defaults apply).
	Saved  bool
	Values map[string]string
	State  State
	// Sandbox reports whether the connection talks to the simulator.
	Sandbox bool

	settings *secrets.Settings
	store    *secrets.Store
}

// Value is the public field name as saved (or its sandbox value / default).
func (c *Conn) Value(name string) string {
	if v := c.Values[name]; v != "" {
		return v
	}
	f, _ := c.Provider.field(name)
	if c.Sandbox && f.SandboxValue != "" && !f.Secret {
		return f.SandboxValue
	}
	return f.Default
}

// Endpoint is where the endpoint field name points now.
func (c *Conn) Endpoint(name string) string {
	f, _ := c.Provider.field(name)
	return endpoint(f, c.Values[name], c.Sandbox)
}

func endpoint(f Field, saved string, sandbox bool) string {
	switch {
	case saved != "":
		return saved
	case sandbox && f.Sandbox != "":
		return strings.TrimRight(f.Sandbox, "/")
	}
	return f.Production
}

// Secret opens the secret field name ("" when not set; the simulator's value while the
// connection uses the sandbox defaults).
func (c *Conn) Secret(name string) (string, error) {
	if c.settings != nil && c.settings.HasSecret(name) {
		return c.store.Secret(c.settings, name)
	}
	if f, _ := c.Provider.field(name); c.Sandbox && !c.Saved {
		return f.SandboxValue, nil
	}
	return "", nil
}

// Masked shows each stored secret masked ("" for none).
func (c *Conn) Masked() map[string]string {
	out := map[string]string{}
	if c.settings != nil {
		if m, err := c.store.Masked(c.settings); err == nil {
			out = m
		}
	}
	return out
}

// HasSecret reports whether the secret field is stored.
func (c *Conn) HasSecret(name string) bool { return c.settings != nil && c.settings.HasSecret(name) }

// Registry is every declared provider's connection.
type Registry struct {
	db    *db.DB
	store *secrets.Store
	clock clock.Clock
	log   *slog.Logger

	mu        sync.Mutex
	providers map[string]*Provider
	order     []string
}

// New returns a registry over the provider settings store.
func New(d *db.DB, store *secrets.Store, c clock.Clock, log *slog.Logger) *Registry {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Registry{db: d, store: store, clock: c, log: log, providers: map[string]*Provider{}}
}

// Settings is the sealed settings store underneath, for a room-owned page (Provider.Page).
func (r *Registry) Settings() *secrets.Store { return r.store }

// Declare registers p. Declaring a key again returns the first declaration, with the second
// declarer's Rooms added: two rooms share one connection.
func (r *Registry) Declare(p Provider) (*Provider, error) {
	if p.Key == "" || p.Label == "" {
		return nil, fmt.Errorf("connection: provider needs Key and Label")
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if old, ok := r.providers[p.Key]; ok {
		for _, room := range p.Rooms {
			if !contains(old.Rooms, room) {
				old.Rooms = append(old.Rooms, room)
			}
		}
		return old, nil
	}
	for _, f := range p.Fields {
		if (f.Endpoint || f.Host) && f.Secret {
			return nil, fmt.Errorf("connection %s: field %s cannot be both endpoint and secret", p.Key, f.Name)
		}
		for _, g := range f.Guards {
			if sf, ok := p.field(g); !ok || !sf.Secret {
				return nil, fmt.Errorf("connection %s: field %s guards %s, which is not a secret field", p.Key, f.Name, g)
			}
		}
	}
	cp := p
	r.providers[p.Key] = &cp
	r.order = append(r.order, p.Key)
	return &cp, nil
}

// Provider returns the declared provider key.
func (r *Registry) Provider(key string) (*Provider, bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	p, ok := r.providers[key]
	return p, ok
}

// Providers lists the declared providers in declaration order.
func (r *Registry) Providers() []*Provider {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := make([]*Provider, 0, len(r.order))
	for _, k := range r.order {
		out = append(out, r.providers[k])
	}
	return out
}

func contains(xs []string, x string) bool {
	for _, v := range xs {
		if v == x {
			return true
		}
	}
	return false
}

// Get reads the connection of provider key for shopID ("" unless PerShop).
func (r *Registry) Get(ctx context.Context, key, shopID string) (*Conn, error) {
	p, ok := r.Provider(key)
	if !ok {
		return nil, fmt.Errorf("connection: provider %q is not declared", key)
	}
	return r.get(ctx, r.db, p, shopID)
}

func (r *Registry) get(ctx context.Context, q db.Querier, p *Provider, shopID string) (*Conn, error) {
	c := &Conn{Provider: p, ShopID: shopID, Values: map[string]string{}, store: r.store}
	s, err := r.store.Get(ctx, q, p.Key, shopID)
	switch {
	case errors.Is(err, db.ErrNotFound):
	case err != nil:
		return nil, err
	default:
		var st stored
		if err := s.DecodePublic(&st); err != nil {
			return nil, err
		}
		// Saved means a form was saved (Save always stores the environment): a row holding only
		// the state a 接続テスト recorded keeps the sandbox defaults, secrets included.
		c.Saved, c.settings, c.State = len(st.Values) > 0, s, st.State
		for k, v := range st.Values {
			c.Values[k] = v
		}
	}
	c.Sandbox = r.usesSandbox(p, c)
	return c, nil
}

// usesSandbox: a connection uses the simulator unless production was chosen or an endpoint
// was pointed somewhere else.
func (r *Registry) usesSandbox(p *Provider, c *Conn) bool {
	if p.Simulator == "" || (c.Saved && c.Values[sandboxChoice] == "production") {
		return false
	}
	for _, f := range p.Fields {
		if v := c.Values[f.Name]; f.Endpoint && v != "" && (f.Sandbox == "" || strings.TrimRight(v, "/") != strings.TrimRight(f.Sandbox, "/")) {
			return false
		}
	}
	return true
}

// sandboxChoice is the stored value saying the merchant chose production with automatic URLs.
const sandboxChoice = "_environment"

// Save validates in against the declared form and stores it: blank secrets keep the stored
// ones — unless an endpoint or host they are sent to moved, which clears them and requires them again.
// Environment "production" or "sandbox" (in["_environment"]) picks where automatic endpoints point.
func (r *Registry) Save(ctx context.Context, key, shopID string, in map[string]string) error {
	p, ok := r.Provider(key)
	if !ok {
		return fmt.Errorf("connection: provider %q is not declared", key)
	}
	if p.Page != "" {
		return fmt.Errorf("connection %s: settings are saved by its own page", key)
	}
	return r.db.InTx(ctx, func(tx *db.Tx) error {
		old, err := r.get(ctx, tx, p, shopID)
		if err != nil {
			return err
		}
		next := &Conn{Provider: p, ShopID: shopID, Saved: true, Values: map[string]string{}}
		f := errs.Fields{}
		env := strings.TrimSpace(in[sandboxChoice])
		switch env {
		case "", "sandbox":
			if p.Simulator == "" {
				env = "production"
			} else {
				env = "sandbox"
			}
		case "production":
		default:
			f.Add(sandboxChoice, "接続先は sandbox か production を選んでください")
		}
		next.Values[sandboxChoice] = env
		for _, fd := range p.Fields {
			if fd.Secret {
				continue
			}
			v := strings.TrimSpace(in[fd.Name])
			if fd.Endpoint {
				v = strings.TrimRight(v, "/")
				if v != "" {
					if u, err := url.Parse(v); err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
						f.Add(fd.Name, fd.Label+"は https:// で始まるURLを入力してください（空欄なら自動）")
					}
				}
			} else if fd.Required && v == "" {
				f.Add(fd.Name, fd.Label+"を入力してください")
			}
			if len(fd.Options) > 0 && v != "" && !hasOption(fd.Options, v) {
				f.Add(fd.Name, fd.Label+"の値が選択肢にありません: "+v)
			}
			if v != "" {
				next.Values[fd.Name] = v
			}
		}
		next.Sandbox = r.usesSandbox(p, next)
		moved := movedEndpoints(p, old, next)
		secretsIn := map[string]string{}
		var clear []string
		for _, fd := range p.Fields {
			if !fd.Secret {
				continue
			}
			v := strings.TrimSpace(in[fd.Name])
			secretsIn[fd.Name] = v
			movedTo := guarding(moved, fd.Name)
			switch {
			case v != "":
			case len(movedTo) > 0 && old.HasSecret(fd.Name):
				clear = append(clear, fd.Name)
				// An optional secret that was set is asked for again too: cleared silently, the
				// next call would fail at the new host for no visible reason.
				if !next.Sandbox {
					f.Add(fd.Name, "接続先（"+strings.Join(movedTo, "、")+"）が変わったため、"+fd.Label+"を入力し直してください（以前の値は新しい接続先へ送りません）")
				}
			case fd.Required && !old.HasSecret(fd.Name) && !next.Sandbox:
				f.Add(fd.Name, fd.Label+"を入力してください")
			}
		}
		if err := f.Err(); err != nil {
			return err
		}
		st := stored{Values: next.Values}
		if len(moved) == 0 && sameValues(old.Values, next.Values) && !anySet(secretsIn) {
			st.State = old.State // nothing changed: the last check still stands
			if old.Saved {
				return nil
			}
		}
		_, err = r.store.Save(ctx, tx, p.Key, shopID, secrets.Update{Public: st, Secrets: secretsIn, Clear: clear})
		return err
	})
}

func hasOption(opts []Option, v string) bool {
	for _, o := range opts {
		if o.Value == v {
			return true
		}
	}
	return false
}

func anySet(m map[string]string) bool {
	for _, v := range m {
		if v != "" {
			return true
		}
	}
	return false
}

func sameValues(a, b map[string]string) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if b[k] != v {
			return false
		}
	}
	return true
}

// movedEndpoints lists the endpoints whose effective URL differs and the hosts that changed.
func movedEndpoints(p *Provider, old, next *Conn) []Field {
	var out []Field
	for _, f := range p.Fields {
		switch {
		case f.Endpoint && endpoint(f, old.Values[f.Name], old.Sandbox) != endpoint(f, next.Values[f.Name], next.Sandbox),
			f.Host && !strings.EqualFold(old.Values[f.Name], next.Values[f.Name]):
			out = append(out, f)
		}
	}
	return out
}

// guarding lists the labels of the moved fields that secret is sent to.
func guarding(moved []Field, secret string) []string {
	var out []string
	for _, f := range moved {
		if len(f.Guards) == 0 || slices.Contains(f.Guards, secret) {
			out = append(out, f.Label)
		}
	}
	return out
}

// Test runs the provider's 接続テスト and records the outcome as the connection's state.
func (r *Registry) Test(ctx context.Context, key, shopID string) error {
	c, err := r.Get(ctx, key, shopID)
	if err != nil {
		return err
	}
	if c.Provider.Test == nil {
		return errs.Conflict(c.Provider.Label + "には接続テストがありません")
	}
	terr := c.Provider.Test(ctx, c)
	if err := r.Record(ctx, key, shopID, terr); err != nil {
		return err
	}
	return terr
}

// Record stores the outcome of a check (a 接続テスト, or a call that proved the connection
// broken): nil is 有効.
func (r *Registry) Record(ctx context.Context, key, shopID string, checkErr error) error {
	p, ok := r.Provider(key)
	if !ok {
		return fmt.Errorf("connection: provider %q is not declared", key)
	}
	st := State{Enabled: checkErr == nil, CheckedAt: r.clock.Now().UTC()}
	if checkErr != nil {
		st.LastError = errs.Text(checkErr)
	}
	return r.db.InTx(ctx, func(tx *db.Tx) error {
		c, err := r.get(ctx, tx, p, shopID)
		if err != nil {
			return err
		}
		_, err = r.store.Save(ctx, tx, p.Key, shopID, secrets.Update{Public: stored{Values: c.Values, State: st}})
		return err
	})
}

// Status is a provider's state (its own Status hook for a room-owned page).
func (r *Registry) Status(ctx context.Context, p *Provider, shopID string) (State, bool, error) {
	if p.Status != nil {
		st, err := p.Status(ctx, shopID)
		return st, r.sandboxOf(ctx, p, shopID), err
	}
	c, err := r.get(ctx, r.db, p, shopID)
	if err != nil {
		return State{}, false, err
	}
	return c.State, c.Sandbox, nil
}

func (r *Registry) sandboxOf(ctx context.Context, p *Provider, shopID string) bool {
	if p.Sandbox != nil {
		return p.Sandbox(ctx, shopID)
	}
	c, err := r.get(ctx, r.db, p, shopID)
	return err == nil && c.Sandbox
}

// shops lists the shops that have settings of p (always "" for a provider not per shop).
func (r *Registry) shops(ctx context.Context, p *Provider) ([]string, error) {
	if !p.PerShop {
		return []string{""}, nil
	}
	rows, err := r.db.QueryContext(ctx, `SELECT shop_id FROM provider_settings WHERE provider = ? ORDER BY shop_id`, p.Key)
	if err != nil {
		return nil, fmt.Errorf("connection %s: shops: %w", p.Key, err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var s string
		if err := rows.Scan(&s); err != nil {
			return nil, err
		}
		out = append(out, s)
	}
	if len(out) == 0 {
		out = []string{""}
	}
	return out, rows.Err()
}

// SimulatorActive reports whether kessai talks to the simulator name now: some connection of
// a provider it plays uses the sandbox.
func (r *Registry) SimulatorActive(ctx context.Context, name string) bool {
	found := false
	for _, p := range r.Providers() {
		if p.Simulator != name {
			continue
		}
		found = true
		shops, err := r.shops(ctx, p)
		if err != nil {
			return true
		}
		for _, s := range shops {
			if r.sandboxOf(ctx, p, s) {
				return true
			}
		}
	}
	return !found
}

// AnySandbox reports whether any declared connection uses a simulator (the サンドボックス badge).
func (r *Registry) AnySandbox(ctx context.Context) bool {
	for _, p := range r.Providers() {
		shops, err := r.shops(ctx, p)
		if err != nil {
			return true
		}
		for _, s := range shops {
			if r.sandboxOf(ctx, p, s) {
				return true
			}
		}
	}
	return false
}
