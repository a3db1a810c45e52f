// Package sandbox is the home of kessai's built-in provider simulators: it mounts each one under
// /sandbox/{name}/, shows their state and the clock on the サンドボックス page, lets the clock be
// moved forward so monthly and deadline rules can be seen in seconds, and runs the simulators
// alone for engineers integrating other software (`kessai sandbox`).
//
// The simulators themselves live in sandbox/<provider>sim and know nothing of this package;
// wiring describes each with a Simulator value.
package sandbox

import (
	"context"
	"embed"
	"fmt"
	"net"
	"net/http"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"

	"kessai/internal/platform/auth"
	"kessai/internal/platform/clock"
	"kessai/internal/platform/errs"
	"kessai/internal/sandbox/sim"
	"kessai/internal/web"
)

//go:embed templates
var templates embed.FS

// Simulator, Fact and Link are the simulators' description (package sim), named here for the
// wiring that mounts them.
type (
	Simulator = sim.Simulator
	Fact      = sim.Fact
	Link      = sim.Link
)

// Build builds every spec once (the first spec of a name wins: GMO-PG's simulator is declared
// by two rooms) with its state file sandbox-{name}.json in dataDir ("" keeps no state).
func Build(specs []sim.Spec, c *clock.Sandbox, dataDir string) ([]Simulator, error) {
	var out []Simulator
	seen := map[string]bool{}
	for _, sp := range specs {
		if seen[sp.Name] {
			continue
		}
		seen[sp.Name] = true
		env := sim.Env{Clock: c, Prefix: "/sandbox/" + sp.Name}
		if dataDir != "" {
			env.StatePath = filepath.Join(dataDir, "sandbox-"+sp.Name+".json")
		}
		s, err := sp.New(env)
		if err != nil {
			return nil, fmt.Errorf("sandbox: build simulator %s: %w", sp.Name, err)
		}
		if s.Name != sp.Name {
			return nil, fmt.Errorf("sandbox: spec %s built a simulator named %q", sp.Name, s.Name)
		}
		out = append(out, s)
	}
	return out, nil
}

// Home is the サンドボックス page and the simulators' mount points.
type Home struct {
	clock *clock.Sandbox
	// ClockMovable is false in production deployments (KESSAI_SANDBOX_CLOCK=off).
	clockMovable bool
	controlPerm  auth.Perm // who may move the clock (the page hides the buttons from the others)
	sims         []Simulator
	// Active, when set, says whether kessai talks to the named simulator now (it follows the
	// provider connections); a simulator's own Active wins.
	Active  func(ctx context.Context, name string) bool
	mu      sync.Mutex
	running []*running
	// ClockPath, when set, is where the clock's offset is saved each time it moves (restore it
	// at start-up with RestoreClock), so a restart never takes the clock back.
	ClockPath string
	// OnAdvance runs after the clock moved (the job queue checks its schedules at once, so
	// "the 27th at 0:00" runs now rather than at the next check). Set during wiring.
	OnAdvance func(ctx context.Context) error
}

// NewHome returns a home over c. movable says whether the clock may be advanced.
func NewHome(c *clock.Sandbox, movable bool, sims ...Simulator) *Home {
	return &Home{clock: c, clockMovable: movable, sims: sims}
}

// Register mounts the page, the clock endpoint and every simulator on sh. pagePerm guards the
// page, controlPerm the clock and each simulator's control API; the rest of a simulator is
// public, like the provider site it stands for.
func (h *Home) Register(sh *web.Shell, pagePerm, controlPerm auth.Perm) error {
	h.controlPerm = controlPerm
	if err := sh.Render.Add("sandbox", templates, "templates"); err != nil {
		return err
	}
	sh.HandleFunc(http.MethodGet, "/sandbox", pagePerm, "サンドボックス（シミュレーターと時計）", h.page(sh.Render))
	sh.AddNav(web.NavEntry{Key: "sandbox", Label: "サンドボックス", Path: "/sandbox", Order: web.NavSandbox})
	sh.HandleFunc(http.MethodGet, "/sandbox/state", pagePerm, "サンドボックスの状態（JSON）", h.state)
	sh.HandleFunc(http.MethodPost, "/sandbox/clock", controlPerm, "サンドボックスの時計を進める", h.advance(sh.Render))
	for _, s := range h.sims {
		if s.Handler == nil {
			continue
		}
		handler := http.StripPrefix(s.Prefix(), s.Handler)
		sh.Handle("", s.Prefix()+"/", auth.PermPublic, s.Label+"のシミュレーター", handler)
		if s.Control != "" {
			sh.Handle("", s.Prefix()+"/"+s.Control, controlPerm, s.Label+"のシミュレーター操作API", handler)
		}
		for _, p := range s.Private {
			// Approving moves money: the same permission as executing a transfer.
			sh.Handle("", s.Prefix()+"/"+p, auth.PermMoney, s.Label+"のシミュレーター（"+p+"、kessaiのログインが必要）", h.onlyActive(s, handler))
		}
	}
	return nil
}

// onlyActive serves a simulator's private page only while kessai talks to the simulator: with
// the real provider connected the sandbox's approval has nothing to approve.
func (h *Home) onlyActive(s Simulator, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !h.active(r.Context(), s) {
			http.Error(w, s.Label+"は本番に接続しているため、シミュレーターのこの画面はありません", http.StatusNotFound)
			return
		}
		next.ServeHTTP(w, r)
	})
}

// PrivatePrefixes lists the simulators' private pages ("/sandbox/aozora/mailbox"): under a
// simulator's mount point, yet they need a kessai session.
func (h *Home) PrivatePrefixes() []string {
	var out []string
	for _, s := range h.sims {
		if s.Handler == nil {
			continue
		}
		for _, p := range s.Private {
			out = append(out, s.Prefix()+"/"+p)
		}
	}
	return out
}

// Prefixes lists the simulators' mount points with a trailing slash ("/sandbox/aozora/").
func (h *Home) Prefixes() []string {
	var out []string
	for _, s := range h.sims {
		if s.Handler != nil {
			out = append(out, s.Prefix()+"/")
		}
	}
	return out
}

// Lookup returns the simulator named name.
func (h *Home) Lookup(name string) (Simulator, bool) {
	for _, s := range h.sims {
		if s.Name == name {
			return s, true
		}
	}
	return Simulator{}, false
}

// running is one started listener.
type running struct {
	sim, name string
	ln        net.Listener
	done      chan error
}

// Start opens every simulator's own listeners and serves them until Stop.
func (h *Home) Start(ctx context.Context) error {
	h.mu.Lock()
	defer h.mu.Unlock()
	if len(h.running) > 0 {
		return nil
	}
	for _, s := range h.sims {
		for _, l := range s.Listeners {
			addr := l.Addr
			if addr == "" {
				addr = "127.0.0.1:0"
			}
			ln, err := net.Listen("tcp", addr)
			if err != nil {
				h.stopLocked()
				return fmt.Errorf("sandbox: %s %s: listen on %s: %w", s.Label, l.Name, addr, err)
			}
			r := &running{sim: s.Name, name: l.Name, ln: ln, done: make(chan error, 1)}
			go func(serve func(net.Listener) error) { r.done <- serve(ln) }(l.Serve)
			h.running = append(h.running, r)
		}
	}
	return nil
}

// Stop closes the listeners and waits for their servers to return (or ctx to end).
func (h *Home) Stop(ctx context.Context) error {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.stopLocked()
}

func (h *Home) stopLocked() error {
	for _, r := range h.running {
		_ = r.ln.Close()
	}
	for _, r := range h.running {
		<-r.done // Serve returns once its listener is closed
	}
	h.running = nil
	return nil
}

// Addr is where the named listener of simulator name listens ("" when not started).
func (h *Home) Addr(name, listener string) string {
	h.mu.Lock()
	defer h.mu.Unlock()
	for _, r := range h.running {
		if r.sim == name && r.name == listener {
			return r.ln.Addr().String()
		}
	}
	return ""
}

// State is what the page and /sandbox/state show.
type State struct {
	Now          time.Time  `json:"now"`
	NowJST       string     `json:"now_jst"`
	Offset       string     `json:"offset"`
	ClockMovable bool       `json:"clock_movable"`
	Simulators   []SimState `json:"simulators"`
}

// SimState is one simulator's entry in State.
type SimState struct {
	Name   string `json:"name"`
	Label  string `json:"label"`
	URL    string `json:"url,omitempty"` // "" for a simulator without an HTTP side
	Active bool   `json:"active"`
	Ports  []Port `json:"ports,omitempty"`
	Facts  []Fact `json:"facts"`
	Links  []Link `json:"links"`
}

// Port is one of a simulator's own listeners as started.
type Port struct {
	Name string `json:"name"` // "SFTP"
	Addr string `json:"addr"` // "127.0.0.1:50022"; "" while kessai is not serving
}

// Snapshot reports the clock and every simulator.
func (h *Home) Snapshot(ctx context.Context) State {
	now := h.clock.Now()
	st := State{Now: now, NowJST: web.FormatJST(now, "2006/01/02 15:04:05"), Offset: formatOffset(h.clock.Offset()), ClockMovable: h.clockMovable}
	for _, s := range h.sims {
		ss := SimState{Name: s.Name, Label: s.Label, Active: h.active(ctx, s), Links: s.Links}
		if s.Handler != nil {
			ss.URL = s.Prefix() + "/"
		}
		for _, l := range s.Listeners {
			ss.Ports = append(ss.Ports, Port{Name: l.Name, Addr: h.Addr(s.Name, l.Name)})
		}
		if s.Summary != nil {
			ss.Facts = s.Summary()
		}
		st.Simulators = append(st.Simulators, ss)
	}
	return st
}

func (h *Home) active(ctx context.Context, s Simulator) bool {
	switch {
	case s.Active != nil:
		return s.Active(ctx)
	case h.Active != nil:
		return h.Active(ctx, s.Name)
	}
	return true
}

func (h *Home) page(r *web.Renderer) http.HandlerFunc {
	return func(w http.ResponseWriter, req *http.Request) {
		st := h.Snapshot(req.Context())
		canMove := auth.FromContext(req.Context()).Can(h.controlPerm)
		r.Render(w, req, http.StatusOK, "sandbox/home.html", web.View{Title: "サンドボックス", Nav: "sandbox",
			Data: struct {
				State
				CanMove bool
				Steps   []clockStep
			}{st, canMove, clockSteps}})
	}
}

func (h *Home) state(w http.ResponseWriter, r *http.Request) {
	web.WriteJSON(w, http.StatusOK, h.Snapshot(r.Context()))
}

// advance moves the clock. It takes a form (the page's buttons) or JSON {"duration": "24h"} or
// {"until": "next27"}: "the 27th at 0:00" is the card-update rule that most needs showing.
func (h *Home) advance(r *web.Renderer) http.HandlerFunc {
	return func(w http.ResponseWriter, req *http.Request) {
		isJSON := strings.HasPrefix(req.Header.Get("Content-Type"), "application/json")
		fail := func(err error) {
			if isJSON {
				web.WriteError(w, req, err)
			} else {
				r.Error(w, req, err)
			}
		}
		if !h.clockMovable {
			fail(errs.Conflict("この環境では時計を進められません（KESSAI_SANDBOX_CLOCK=off）"))
			return
		}
		var in struct {
			Duration string `json:"duration"`
			Until    string `json:"until"`
		}
		if isJSON {
			if err := web.DecodeJSON(req, &in); err != nil {
				fail(err)
				return
			}
		} else {
			in.Duration, in.Until = req.FormValue("duration"), req.FormValue("until")
		}
		d, err := h.durationFor(in.Duration, in.Until)
		if err != nil {
			fail(err)
			return
		}
		h.clock.Advance(d)
		if h.ClockPath != "" {
			if err := SaveClock(h.clock, h.ClockPath); err != nil {
				fail(fmt.Errorf("時計は進めましたが、保存に失敗しました（再起動すると戻ります）: %w", err))
				return
			}
		}
		if h.OnAdvance != nil {
			if err := h.OnAdvance(req.Context()); err != nil {
				fail(fmt.Errorf("時計は進めましたが、予定ジョブの確認に失敗しました: %w", err))
				return
			}
		}
		if isJSON {
			web.WriteJSON(w, http.StatusOK, h.Snapshot(req.Context()))
			return
		}
		web.SetFlash(w, "時計を "+formatOffset(d)+" 進めました")
		http.Redirect(w, req, "/sandbox", http.StatusSeeOther)
	}
}

func (h *Home) durationFor(duration, until string) (time.Duration, error) {
	switch {
	case until == "next27":
		return UntilNextDay(h.clock.Now(), 27), nil
	case until != "":
		return 0, errs.Invalid("until に使える値は next27 です").Field("until", "next27 のみ")
	}
	d, err := ParseDuration(duration)
	if err != nil {
		return 0, errs.Invalid(err.Error()).Field("duration", err.Error())
	}
	return d, nil
}

// ParseDuration reads "90m", "24h", "7d" or "1d12h"; it accepts days, which time.ParseDuration
// does not, and refuses zero, negative and absurd values (over 400 days).
func ParseDuration(s string) (time.Duration, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return 0, fmt.Errorf("進める時間を指定してください（例: 30m, 24h, 7d）")
	}
	var total time.Duration
	if i := strings.Index(s, "d"); i >= 0 {
		days, err := strconv.Atoi(s[:i])
		if err != nil {
			return 0, fmt.Errorf("時間の形式が正しくありません: %q（例: 30m, 24h, 7d）", s)
		}
		total = time.Duration(days) * 24 * time.Hour
		s = s[i+1:]
	}
	if s != "" {
		d, err := time.ParseDuration(s)
		if err != nil {
			return 0, fmt.Errorf("時間の形式が正しくありません: %q（例: 30m, 24h, 7d）", s)
		}
		total += d
	}
	if total <= 0 {
		return 0, fmt.Errorf("時計は先にしか進められません")
	}
	if total > 400*24*time.Hour {
		return 0, fmt.Errorf("一度に進められるのは400日までです")
	}
	return total, nil
}

// UntilNextDay is how long from now until day-of-month at 00:00 JST (the next one strictly after
// now; months without that day are skipped).
func UntilNextDay(now time.Time, day int) time.Duration {
	j := now.In(clock.JST)
	for m := 0; m < 24; m++ {
		first := time.Date(j.Year(), j.Month()+time.Month(m), 1, 0, 0, 0, 0, clock.JST)
		t := time.Date(first.Year(), first.Month(), day, 0, 0, 0, 0, clock.JST)
		if t.Month() != first.Month() {
			continue
		}
		if t.After(j) {
			return t.Sub(now)
		}
	}
	return 0
}

// clockStep is one of the page's 「+30分」 buttons: the value sent and its Japanese label.
type clockStep struct{ Value, Label string }

var clockSteps = []clockStep{{"30m", "30分"}, {"1h", "1時間"}, {"1d", "1日"}, {"7d", "7日"}, {"30d", "30日"}}

func formatOffset(d time.Duration) string {
	if d <= 0 {
		return "なし"
	}
	return clock.FormatDuration(d)
}
