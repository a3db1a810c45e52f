package app

import (
	"context"
	"fmt"
	"path/filepath"

	"kessai/internal/platform/auth"
	"kessai/internal/room"
	"kessai/internal/sandbox"
	"kessai/internal/sandbox/sim"
)

// wireSandbox builds the rooms' simulators (simulatorSpecs: the same list `kessai sandbox`
// builds) and mounts them, with the サンドボックス page, under /sandbox/; simulators with a
// listener of their own start and stop with kessai. Whether each is in use, and the サンドボックス
// badge, follow the provider connections.
func (a *App) wireSandbox(ctx context.Context) error {
	sims, err := sandbox.Build(simulatorSpecs(a.rooms), a.Clock, a.Config.DataDir)
	if err != nil {
		return err
	}
	a.Sandbox = sandbox.NewHome(a.Clock, a.Config.SandboxClock, sims...)
	a.Sandbox.ClockPath = a.sandboxClockPath()
	a.Sandbox.OnAdvance = a.Jobs.CheckSchedules
	a.Sandbox.Active = a.Connections.SimulatorActive
	a.Shell.Render.Sandbox = a.Connections.AnySandbox
	if err := a.Sandbox.Register(a.Shell, auth.PermView, auth.PermAdmin); err != nil {
		return fmt.Errorf("sandbox: %w", err)
	}
	a.starters = append(a.starters, a.Sandbox.Start)
	a.stoppers = append(a.stoppers, a.Sandbox.Stop)
	a.closers = append(a.closers, func() error { return a.Sandbox.Stop(context.Background()) })
	// The simulators stand for other sites: kessai's session cookie means nothing there.
	a.Platform.Web.Foreign = append(a.Platform.Web.Foreign, a.Sandbox.Prefixes()...)
	// ...except their private pages (the approver's mailbox and approval), which a kessai
	// login that may move money must open.
	a.Platform.Web.SessionPaths = append(a.Platform.Web.SessionPaths, a.Sandbox.PrivatePrefixes()...)
	// Scripts drive the sandbox with an API key: the clock and its state as well.
	a.Platform.Web.KeyPaths = append(a.Platform.Web.KeyPaths, "/sandbox/clock", "/sandbox/state")
	return nil
}

// simulatorSpecs is every room's simulators, in room order (the home builds a name once).
func simulatorSpecs(rooms []room.Room) []sim.Spec {
	var out []sim.Spec
	for _, r := range rooms {
		out = append(out, r.Simulators...)
	}
	return out
}

// Simulator is the simulator name itself (e.g. *aozorasim.Sim), nil when none is mounted.
func (a *App) Simulator(name string) any {
	s, ok := a.Sandbox.Lookup(name)
	if !ok {
		return nil
	}
	return s.Impl
}

// sandboxClockPath is where the sandbox clock's offset is kept across restarts.
func (a *App) sandboxClockPath() string { return filepath.Join(a.Config.DataDir, "sandbox-clock.json") }
