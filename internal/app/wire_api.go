package app

import (
	"context"
)

// wireAPI attaches the JSON API conventions and the OpenAPI document.
func (a *App) wireAPI(ctx context.Context) error { return nil }
