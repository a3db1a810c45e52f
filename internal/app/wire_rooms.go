package app

import (
	"context"
	"kessai/internal/platform/db"
)

// wireRooms attaches the workflow rooms.
func (a *App) wireRooms(ctx context.Context) error { return nil }

func roomMigrations() []db.Migrations { return nil }
