package app

import (
	"context"
	"fmt"
	"net/http"

	"kessai/internal/api"
	"kessai/internal/commerce"
)

// wireAPI attaches the JSON API: the commerce operations, Idempotency-Key handling of every
// state-changing /api/v1 request, and the OpenAPI document at /api/v1/openapi.json.
func (a *App) wireAPI(ctx context.Context) error {
	// The idempotency table is migrated here until api.Migrations joins the platform list.
	// The janitor needs no state from here: api.NewIdempotency(a.DB, a.Clock.Now).DeleteExpired.
	if _, err := a.DB.Migrate(ctx, api.Migrations); err != nil {
		return fmt.Errorf("api: %w", err)
	}
	idem := api.NewIdempotency(a.DB, a.Clock.Now)
	v1 := api.New(a.Shell)
	if a.Commerce != nil {
		commerce.RegisterAPI(v1, a.Commerce)
	}
	// Each room's operations: the room builds its parts from App's fields (wire_rooms.go).
	for _, register := range []func(*api.API) error{a.payoutAPI} {
		if err := register(v1); err != nil {
			return fmt.Errorf("api: %w", err)
		}
	}
	v1.ServeDoc()
	// Innermost: after authentication has put the principal in the context (keys are scoped
	// per principal), before the route guard and handlers.
	a.middleware = append([]func(http.Handler) http.Handler{idem.Middleware}, a.middleware...)
	return nil
}
