package app

import (
	"context"
	"kessai/internal/platform/db"
)

// wirePlatform attaches sealing of secrets, the audit log and authentication.
func (a *App) wirePlatform(ctx context.Context) error { return nil }

func platformMigrations() []db.Migrations { return nil }
