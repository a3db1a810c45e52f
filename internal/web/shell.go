package web

import (
	"context"
	"log/slog"
	"net/http"

	"kessai/internal/platform/auth"
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
	Render    *Renderer
	attention []AttentionFunc
}

// NewShell returns a shell with the top page and static files routed.
func NewShell(r *Renderer) *Shell {
	s := &Shell{Router: NewRouter(r), Render: r}
	s.Handle(http.MethodGet, "/static/", auth.PermPublic, "静的ファイル", Static())
	s.HandleFunc(http.MethodGet, "/{$}", auth.PermView, "トップ", s.home)
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
			slog.ErrorContext(ctx, "attention source failed", "err", err)
			continue
		}
		out = append(out, items...)
	}
	return out
}

func (s *Shell) home(w http.ResponseWriter, r *http.Request) {
	s.Render.Render(w, r, http.StatusOK, "web/home.html", View{Title: "トップ", Nav: "home",
		Data: map[string]any{"Items": s.Attention(r.Context())}})
}
