package app

import (
	"context"
)

// wireSandbox mounts the simulators.
func (a *App) wireSandbox(ctx context.Context) error { return nil }
