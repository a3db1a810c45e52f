package app

import (
	"context"
	"kessai/internal/platform/db"
)

// wireCommerce attaches the merchant's records.
func (a *App) wireCommerce(ctx context.Context) error { return nil }

func commerceMigrations() []db.Migrations { return nil }
