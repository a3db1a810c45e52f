package app

import (
	"context"

	"kessai/internal/commerce"
	"kessai/internal/platform/audit"
	"kessai/internal/platform/db"
	"kessai/internal/web"
)

// wireCommerce attaches the merchant's records: the store every room and page uses.
func (a *App) wireCommerce(ctx context.Context) error {
	var log *audit.Log
	if a.Platform != nil && a.Platform.Audit != nil {
		log = a.Platform.Audit
	} else {
		log = &audit.Log{Now: a.Clock.Now, RequestID: web.RequestID}
	}
	a.Commerce = commerce.NewStore(a.DB, a.Clock, log)
	return nil
}

func commerceMigrations() []db.Migrations { return []db.Migrations{commerce.Migrations} }
