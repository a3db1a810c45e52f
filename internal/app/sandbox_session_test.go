package app_test

import (
	"net/http"
	"net/url"
	"testing"

	"kessai/internal/app/apptest"
	"kessai/internal/platform/auth"
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
