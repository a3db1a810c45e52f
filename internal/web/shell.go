package web

import (
	"context"
	"net/http"

	"kessai/internal/platform/auth"
	"kessai/internal/platform/logs"
)

// Attention is one count on the top page ("振込実行待ち 3件").
type Attention struct {
	Label string
	Count int
	Link  string
	Level string // "", "warn" or "error"
}

// AttentionFunc reports what needs attention; each room adds one.
type AttentionFunc func(ctx context.Context) ([]Attention, error)

// Shell is the router plus what the shell's own pages need.
type Shell struct {
	*Router
	Render       *Renderer
	attention    []AttentionFunc
	integrations []Integration
	nav          []NavEntry
}

// NewShell returns a shell with the top page and static files routed.
func NewShell(r *Renderer) *Shell {
	s := &Shell{Router: NewRouter(r), Render: r}
	r.menu = s.Menu
	s.Handle(http.MethodGet, "/static/", auth.PermPublic, "静的ファイル", Static())
	s.HandleFunc(http.MethodGet, "/{$}", auth.PermView, "トップ", s.home)
	s.HandleFunc(http.MethodGet, "/settings/integrations", auth.PermAdmin, "外部連携設定", s.integrationsPage)
	s.AddNav(NavEntry{Key: "home", Label: "トップ", Path: "/", Order: NavHome})
	s.AddNav(NavEntry{Key: "integrations", Label: "外部連携設定", Path: "/settings/integrations", Group: GroupSettings, Order: 10})
	return s
}

// AddAttention registers a source of top-page counts.
func (s *Shell) AddAttention(f AttentionFunc) { s.attention = append(s.attention, f) }

// Attention collects every room's counts; a failing source is logged and skipped so one room's
// trouble doesn't hide the others'.
func (s *Shell) Attention(ctx context.Context) []Attention {
	var out []Attention
	for _, f := range s.attention {
		items, err := f(ctx)
		if err != nil {
			logs.From(ctx).ErrorContext(ctx, "attention source failed", "err", err)
			continue
		}
		out = append(out, items...)
	}
	return out
}

// home is the top page: the attention cards whose link the principal may open (a card that
// leads to 403 is noise).
func (s *Shell) home(w http.ResponseWriter, r *http.Request) {
	p := auth.FromContext(r.Context())
	var items []Attention
	for _, it := range s.Attention(r.Context()) {
		if it.Link == "" || s.CanOpen(p, it.Link) {
			items = append(items, it)
		}
	}
	s.Render.Render(w, r, http.StatusOK, "web/home.html", View{Title: "トップ", Nav: "home",
		Data: map[string]any{"Items": items}})
}

// Integration is one provider on the 外部連携設定 page; its room owns the settings form at Link.
type Integration struct {
	Label string // provider name, e.g. "GMOあおぞらネット銀行"
	Room  string // what it is used for, e.g. "銀行振込"
	Link  string // the room's settings form
	// Status reports "有効" when real credentials work, or why not (e.g. "未設定（サンドボックス）").
	Status func(ctx context.Context) (label string, ok bool)
}

// AddIntegration lists a provider on the 外部連携設定 page.
func (s *Shell) AddIntegration(i Integration) { s.integrations = append(s.integrations, i) }

type integrationRow struct {
	Integration
	StatusLabel string
	OK          bool
}

func (s *Shell) integrationsPage(w http.ResponseWriter, r *http.Request) {
	rows := make([]integrationRow, 0, len(s.integrations))
	for _, in := range s.integrations {
		row := integrationRow{Integration: in, StatusLabel: "—"}
		if in.Status != nil {
			row.StatusLabel, row.OK = in.Status(r.Context())
		}
		rows = append(rows, row)
	}
	s.Render.Render(w, r, http.StatusOK, "web/integrations.html", View{Title: "外部連携設定", Nav: "settings", Data: rows})
}
