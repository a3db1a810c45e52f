package sandbox

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"kessai/internal/platform/auth"
	"kessai/internal/platform/clock"
	"kessai/internal/web"
)

func TestParseDuration(t *testing.T) {
	tests := []struct {
		in   string
		want time.Duration
		ok   bool
	}{
		{"30m", 30 * time.Minute, true},
		{"24h", 24 * time.Hour, true},
		{"7d", 7 * 24 * time.Hour, true},
		{"1d12h", 36 * time.Hour, true},
		{" 2d ", 48 * time.Hour, true},
		{"", 0, false},
		{"0s", 0, false},
		{"-1h", 0, false},
		{"xd", 0, false},
		{"500d", 0, false},
		{"tomorrow", 0, false},
	}
	for _, tt := range tests {
		got, err := ParseDuration(tt.in)
		if (err == nil) != tt.ok || got != tt.want {
			t.Errorf("ParseDuration(%q) = %v, %v; want %v ok=%v", tt.in, got, err, tt.want, tt.ok)
		}
	}
}

func TestUntilNextDay(t *testing.T) {
	jst := func(y int, m time.Month, d, h int) time.Time { return time.Date(y, m, d, h, 0, 0, 0, clock.JST) }
	tests := []struct {
		now  time.Time
		day  int
		want time.Time
	}{
		{jst(2026, 11, 23, 10), 27, jst(2026, 11, 27, 0)},
		{jst(2026, 11, 27, 0), 27, jst(2026, 12, 27, 0)}, // strictly after now
		{jst(2026, 11, 27, 5), 27, jst(2026, 12, 27, 0)},
		{jst(2026, 12, 28, 0), 27, jst(2027, 1, 27, 0)},
		{jst(2027, 1, 31, 0), 30, jst(2027, 3, 30, 0)}, // February has no 30th
	}
	for _, tt := range tests {
		if got := tt.now.Add(UntilNextDay(tt.now, tt.day)); !got.Equal(tt.want) {
			t.Errorf("from %v to day %d: got %v, want %v", tt.now, tt.day, got.In(clock.JST), tt.want)
		}
	}
}

// A shell with a principal of role injected, as the auth middleware would.
func newShell(t *testing.T, h *Home, role auth.Role) http.Handler {
	t.Helper()
	r, err := web.NewRenderer(clock.NewSandbox(), true)
	if err != nil {
		t.Fatal(err)
	}
	sh := web.NewShell(r)
	if err := h.Register(sh, auth.PermView, auth.PermAdmin); err != nil {
		t.Fatal(err)
	}
	return http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		p := &auth.Principal{Kind: auth.KindUser, ID: "u1", Name: "テスト", Role: role}
		sh.ServeHTTP(w, req.WithContext(auth.WithPrincipal(req.Context(), p)))
	})
}

func TestHomeMountsSimulatorsAndMovesClock(t *testing.T) {
	c := clock.NewFrozen(time.Date(2026, 11, 23, 1, 0, 0, 0, time.UTC))
	sim := Simulator{
		Name:  "fake",
		Label: "テスト銀行",
		Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.Write([]byte("sim saw " + r.URL.Path))
		}),
		Summary: func() []Fact { return []Fact{{Label: "承認待ち", Value: "2件"}} },
		Links:   []Link{{Label: "メールボックス", Path: "mailbox"}},
		Control: "_sim/",
	}
	h := NewHome(c, true, sim)
	var advanced []time.Time
	h.OnAdvance = func(context.Context) error { advanced = append(advanced, c.Now()); return nil }
	srv := httptest.NewServer(newShell(t, h, auth.RoleAdmin))
	defer srv.Close()

	// The simulator sees paths relative to its mount point.
	res, err := http.Get(srv.URL + "/sandbox/fake/mailbox")
	if err != nil {
		t.Fatal(err)
	}
	body := readAll(t, res)
	if body != "sim saw /mailbox" {
		t.Fatalf("simulator got %q", body)
	}
	// The page shows the simulator's facts, its link and the clock.
	page := readAll(t, mustGet(t, srv.URL+"/sandbox"))
	for _, want := range []string{"テスト銀行", "承認待ち", "2件", "/sandbox/fake/mailbox", "2026/11/23 10:00:00"} {
		if !strings.Contains(page, want) {
			t.Errorf("page lacks %q", want)
		}
	}
	// JSON advance to the next 27th at 0:00 JST.
	res, err = http.Post(srv.URL+"/sandbox/clock", "application/json", strings.NewReader(`{"until":"next27"}`))
	if err != nil {
		t.Fatal(err)
	}
	var st State
	if err := json.NewDecoder(res.Body).Decode(&st); err != nil || res.StatusCode != 200 {
		t.Fatalf("advance: %d %v", res.StatusCode, err)
	}
	if st.NowJST != "2026/11/27 00:00:00" {
		t.Fatalf("after next27 the clock says %s", st.NowJST)
	}
	if len(advanced) != 1 || !advanced[0].Equal(c.Now()) {
		t.Fatalf("OnAdvance calls = %v, want one at the new time", advanced)
	}
	// Form advance, then a bad duration is refused with the field named.
	res, err = http.PostForm(srv.URL+"/sandbox/clock", url.Values{"duration": {"1d"}})
	if err != nil || res.StatusCode != 200 { // redirect followed to the page
		t.Fatalf("form advance: %v %v", res.StatusCode, err)
	}
	if got := web.FormatJST(c.Now(), "2006/01/02 15:04"); got != "2026/11/28 00:00" {
		t.Fatalf("after +1d the clock says %s", got)
	}
	res, _ = http.Post(srv.URL+"/sandbox/clock", "application/json", strings.NewReader(`{"duration":"-3h"}`))
	if res.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(readAll(t, res), "duration") {
		t.Fatalf("negative duration: status %d", res.StatusCode)
	}
}

func TestClockRefusedWhenNotMovableOrNotAllowed(t *testing.T) {
	c := clock.NewFrozen(time.Date(2026, 11, 23, 1, 0, 0, 0, time.UTC))
	fixed := httptest.NewServer(newShell(t, NewHome(c, false), auth.RoleAdmin))
	defer fixed.Close()
	res, _ := http.Post(fixed.URL+"/sandbox/clock", "application/json", strings.NewReader(`{"duration":"1h"}`))
	if res.StatusCode != http.StatusConflict {
		t.Fatalf("immovable clock: status %d, want 409", res.StatusCode)
	}
	sim := Simulator{Name: "fake", Label: "テスト銀行", Control: "_sim/",
		Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.Write([]byte("ok")) })}
	staff := httptest.NewServer(newShell(t, NewHome(c, true, sim), auth.RoleStaff))
	defer staff.Close()
	res, _ = http.Post(staff.URL+"/sandbox/clock", "application/json", strings.NewReader(`{"duration":"1h"}`))
	if res.StatusCode != http.StatusForbidden {
		t.Fatalf("staff moving the clock: status %d, want 403", res.StatusCode)
	}
	// The page shows staff the clock but no buttons that would be refused.
	if body := readAll(t, mustGet(t, staff.URL+"/sandbox")); strings.Contains(body, `action="/sandbox/clock"`) || !strings.Contains(body, "時計を進められるのは管理者です") {
		t.Errorf("staff sees the clock buttons")
	}
	// The simulator's public pages are open to staff; its control API is not.
	if res := mustGet(t, staff.URL+"/sandbox/fake/mailbox"); res.StatusCode != http.StatusOK {
		t.Fatalf("staff opening the mailbox: status %d", res.StatusCode)
	}
	res, _ = http.Post(staff.URL+"/sandbox/fake/_sim/reset", "application/json", nil)
	if res.StatusCode != http.StatusForbidden {
		t.Fatalf("staff resetting the simulator: status %d, want 403", res.StatusCode)
	}
	if !c.Now().Equal(time.Date(2026, 11, 23, 1, 0, 0, 0, time.UTC)) {
		t.Fatalf("clock moved to %v", c.Now())
	}
}

func mustGet(t *testing.T, u string) *http.Response {
	t.Helper()
	res, err := http.Get(u)
	if err != nil {
		t.Fatal(err)
	}
	return res
}

func readAll(t *testing.T, res *http.Response) string {
	t.Helper()
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// TestClockOffsetSurvivesRestart: the clock moved on the page is where a restarted process
// starts, instead of jumping back to the wall time.
func TestClockOffsetSurvivesRestart(t *testing.T) {
	path := filepath.Join(t.TempDir(), "sandbox-clock.json")
	c := clock.NewSandbox()
	h := NewHome(c, true)
	h.ClockPath = path
	srv := httptest.NewServer(newShell(t, h, auth.RoleAdmin))
	defer srv.Close()
	res, err := http.Post(srv.URL+"/sandbox/clock", "application/json", strings.NewReader(`{"duration":"3d"}`))
	if err != nil || res.StatusCode != 200 {
		t.Fatalf("advance: %v %v", res.StatusCode, err)
	}
	before := c.Now()
	restarted := clock.NewSandbox()
	if err := RestoreClock(restarted, path); err != nil {
		t.Fatal(err)
	}
	if off := restarted.Offset(); off != 72*time.Hour {
		t.Fatalf("restored offset %v, want 72h", off)
	}
	if now := restarted.Now(); now.Before(before) {
		t.Fatalf("after the restart the clock went back from %v to %v", before, now)
	}
	if err := RestoreClock(clock.NewSandbox(), filepath.Join(t.TempDir(), "none.json")); err != nil {
		t.Fatalf("no saved offset: %v", err)
	}
}

// Durations on the page are Japanese: 「+30分」 buttons, the offset, the flash after moving.
func TestClockPageSaysDurationsInJapanese(t *testing.T) {
	for _, st := range clockSteps {
		d, err := ParseDuration(st.Value)
		if err != nil {
			t.Fatal(err)
		}
		if got := clock.FormatDuration(d); got != st.Label {
			t.Errorf("button %s labelled %q, but it moves the clock %s", st.Value, st.Label, got)
		}
	}
	if got := formatOffset(26*time.Hour + 30*time.Minute); got != "1日2時間30分" {
		t.Errorf("offset %q", got)
	}
	if got := formatOffset(0); got != "なし" {
		t.Errorf("zero offset %q", got)
	}
}
