package app

import (
	"context"

	"kessai/internal/platform/audit"
	"kessai/internal/platform/db"
	"kessai/internal/web"
)

// Platform is the shared plumbing the other parts use.
type Platform struct {
	// Audit records who did what; pass it the transaction of the change.
	Audit *audit.Log
}

// wirePlatform attaches sealing of secrets, the audit log and authentication.
func (a *App) wirePlatform(ctx context.Context) error {
	a.Platform = &Platform{Audit: &audit.Log{Now: a.Clock.Now, RequestID: web.RequestID}}
	return nil
}

func platformMigrations() []db.Migrations { return []db.Migrations{audit.Migrations} }
