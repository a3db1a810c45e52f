package app

import (
	"context"
	"fmt"
	"path/filepath"
	"strconv"

	"kessai/internal/platform/auth"
	"kessai/internal/sandbox"
	"kessai/internal/sandbox/aozorasim"
)

// wireSandbox builds the in-process simulators and mounts them, with the サンドボックス page,
// under /sandbox/. The rooms built later take their simulator from App (e.g. App.Aozora) and
// point their client at it while the provider has no real credentials.
func (a *App) wireSandbox(ctx context.Context) error {
	a.Aozora = aozorasim.New(aozorasim.Options{
		Clock:     a.Clock,
		Prefix:    "/sandbox/aozora",
		StatePath: filepath.Join(a.Config.DataDir, "sandbox-aozora.json"),
	})
	a.Sandbox = sandbox.NewHome(a.Clock, a.Config.SandboxClock, aozoraSimulator(a.Aozora))
	a.Sandbox.OnAdvance = a.Jobs.CheckSchedules
	if err := a.Sandbox.Register(a.Shell, auth.PermView, auth.PermAdmin); err != nil {
		return fmt.Errorf("sandbox: %w", err)
	}
	// The simulators stand for other sites: kessai's session cookie means nothing there.
	a.Platform.Web.Foreign = append(a.Platform.Web.Foreign, a.Sandbox.Prefixes()...)
	// Scripts drive the sandbox with an API key: the clock and its state as well.
	a.Platform.Web.KeyPaths = append(a.Platform.Web.KeyPaths, "/sandbox/clock", "/sandbox/state")
	return nil
}

// AozoraBaseURLs are the in-process simulator's auth and API base URLs as seen from this
// instance (kessai calls its own simulator over real HTTP, exactly as it would call the bank).
func (a *App) AozoraBaseURLs() (authURL, apiURL string) {
	base := a.Config.BaseURL + "/sandbox/aozora"
	return base + aozorasim.AuthPath, base + aozorasim.APIPath
}

func aozoraSimulator(sim *aozorasim.Sim) sandbox.Simulator {
	return sandbox.Simulator{
		Name:    "aozora",
		Label:   "GMOあおぞらネット銀行",
		Handler: sim,
		Summary: func() []sandbox.Fact {
			st := sim.Status()
			facts := []sandbox.Fact{
				{Label: "振込依頼", Value: strconv.Itoa(st.Transfers) + "件"},
				{Label: "承認待ちメール", Value: strconv.Itoa(st.MailsWaiting) + "件"},
			}
			for _, f := range st.Faults {
				facts = append(facts, sandbox.Fact{Label: "障害注入", Value: fmt.Sprintf("%s（残り%d回）", f.Mode, f.Remaining)})
			}
			for _, w := range st.Warnings {
				facts = append(facts, sandbox.Fact{Label: "警告", Value: w})
			}
			return facts
		},
		Links:   []sandbox.Link{{Label: "承認者メールボックス", Path: "mailbox"}, {Label: "シミュレーターの説明", Path: ""}},
		Control: "_sim/",
	}
}
