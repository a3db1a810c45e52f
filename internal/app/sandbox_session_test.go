package app_test

import (
	"net/http"
	"net/url"
	"testing"
	"time"

	"kessai/internal/app/apptest"
	"kessai/internal/platform/auth"
	"kessai/internal/platform/db/dbtest"
)

// Moving the sandbox clock forward (a day, to the next 27th) is for business rules: the person
// doing it stays signed in. Sessions run on the wall clock.
func TestSandboxClockKeepsSessions(t *testing.T) {
	t.Parallel()
	inst := apptest.Start(t, apptest.Options{})
	admin := inst.Client(t, auth.RoleAdmin)
	for _, d := range []string{"1d", "30d"} {
		if res := admin.PostForm("/sandbox/clock", url.Values{"duration": {d}}); res.Status != http.StatusSeeOther {
			t.Fatalf("advance %s: %d %s", d, res.Status, res.Body)
		}
		if res := admin.Get("/sandbox"); res.Status != http.StatusOK {
			t.Fatalf("after +%s the admin was signed out: %d → %q", d, res.Status, res.Location)
		}
	}
}

// The sandbox clock's offset survives a restart over the same data directory: a restarted
// kessai does not jump back to the wall time.
func TestSandboxClockSurvivesRestart(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	url1 := dbtest.URL(t)
	first := apptest.Start(t, apptest.Options{DataDir: dir, DatabaseURL: url1})
	admin := first.Client(t, auth.RoleAdmin)
	if res := admin.PostForm("/sandbox/clock", url.Values{"duration": {"2d"}}); res.Status != http.StatusSeeOther {
		t.Fatalf("advance: %d %s", res.Status, res.Body)
	}
	moved := first.App.Clock.Now()
	restarted := apptest.Start(t, apptest.Options{DataDir: dir, DatabaseURL: url1})
	if off := restarted.App.Clock.Offset(); off < 48*time.Hour {
		t.Fatalf("restarted clock offset %v, want the 48h it was moved", off)
	}
	if now := restarted.App.Clock.Now(); now.Before(moved) {
		t.Fatalf("after the restart the clock went back from %v to %v", moved, now)
	}
}
