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
	"net/http"
	"strconv"
	"strings"
	"time"

	"kessai/internal/platform/auth"
	"kessai/internal/platform/clock"
	"kessai/internal/platform/errs"
	"kessai/internal/web"
)

//go:embed templates
var templates embed.FS

// Fact is one line of a simulator's state on the サンドボックス page ("承認待ちの振込", "2件").
type Fact struct {
	Label string `json:"label"`
	Value string `json:"value"`
}

// Link is a page of a simulator worth opening (its mailbox, its login page).
type Link struct {
	Label string `json:"label"`
	Path  string `json:"path"` // relative to the simulator's mount point, no leading slash: "mailbox"
}

// Simulator describes one mounted simulator.
type Simulator struct {
	Name  string // URL segment: /sandbox/{Name}/
	Label string // provider name in Japanese, e.g. "GMOあおぞらネット銀行"
	// Handler serves the simulator; it sees paths with /sandbox/{Name} stripped.
	Handler http.Handler
	// Summary reports the simulator's state; nil shows nothing.
	Summary func() []Fact
	Links   []Link
	// Control is the subtree of the simulator's control API (faults, reset, scripted approval),
	// e.g. "_sim/". It is guarded like the clock: a person could otherwise reset the sandbox or
	// arm faults without signing in.
	Control string
	// Active is false when the provider has real credentials configured and kessai talks to
	// the real provider; the simulator is still mounted for engineers but marked unused.
	Active func() bool
}

// Prefix is where s is mounted.
func (s Simulator) Prefix() string { return "/sandbox/" + s.Name }

// Home is the サンドボックス page and the simulators' mount points.
type Home struct {
	clock *clock.Sandbox
	// ClockMovable is false in production deployments (KESSAI_SANDBOX_CLOCK=off).
	clockMovable bool
	controlPerm  auth.Perm // who may move the clock (the page hides the buttons from the others)
	sims         []Simulator
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
	sh.HandleFunc(http.MethodGet, "/sandbox/state", pagePerm, "サンドボックスの状態（JSON）", h.state)
	sh.HandleFunc(http.MethodPost, "/sandbox/clock", controlPerm, "サンドボックスの時計を進める", h.advance(sh.Render))
	for _, s := range h.sims {
		handler := http.StripPrefix(s.Prefix(), s.Handler)
		sh.Handle("", s.Prefix()+"/", auth.PermPublic, s.Label+"のシミュレーター", handler)
		if s.Control != "" {
			sh.Handle("", s.Prefix()+"/"+s.Control, controlPerm, s.Label+"のシミュレーター操作API", handler)
		}
	}
	return nil
}

// Prefixes lists the simulators' mount points with a trailing slash ("/sandbox/aozora/").
func (h *Home) Prefixes() []string {
	out := make([]string, len(h.sims))
	for i, s := range h.sims {
		out[i] = s.Prefix() + "/"
	}
	return out
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
	URL    string `json:"url"`
	Active bool   `json:"active"`
	Facts  []Fact `json:"facts"`
	Links  []Link `json:"links"`
}

// Snapshot reports the clock and every simulator.
func (h *Home) Snapshot() State {
	now := h.clock.Now()
	st := State{Now: now, NowJST: web.FormatJST(now, "2006/01/02 15:04:05"), Offset: formatOffset(h.clock.Offset()), ClockMovable: h.clockMovable}
	for _, s := range h.sims {
		ss := SimState{Name: s.Name, Label: s.Label, URL: s.Prefix() + "/", Active: s.Active == nil || s.Active(), Links: s.Links}
		if s.Summary != nil {
			ss.Facts = s.Summary()
		}
		st.Simulators = append(st.Simulators, ss)
	}
	return st
}

func (h *Home) page(r *web.Renderer) http.HandlerFunc {
	return func(w http.ResponseWriter, req *http.Request) {
		st := h.Snapshot()
		canMove := auth.FromContext(req.Context()).Can(h.controlPerm)
		r.Render(w, req, http.StatusOK, "sandbox/home.html", web.View{Title: "サンドボックス", Nav: "sandbox",
			Data: struct {
				State
				CanMove bool
			}{st, canMove}})
	}
}

func (h *Home) state(w http.ResponseWriter, r *http.Request) {
	web.WriteJSON(w, http.StatusOK, h.Snapshot())
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
		if h.OnAdvance != nil {
			if err := h.OnAdvance(req.Context()); err != nil {
				fail(fmt.Errorf("時計は進めましたが、予定ジョブの確認に失敗しました: %w", err))
				return
			}
		}
		if isJSON {
			web.WriteJSON(w, http.StatusOK, h.Snapshot())
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

func formatOffset(d time.Duration) string {
	if d <= 0 {
		return "0"
	}
	days := d / (24 * time.Hour)
	rest := (d % (24 * time.Hour)).Round(time.Second)
	switch {
	case days > 0 && rest > 0:
		return fmt.Sprintf("%d日%s", days, rest)
	case days > 0:
		return fmt.Sprintf("%d日", days)
	}
	return rest.String()
}
