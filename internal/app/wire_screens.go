package app

import "context"

// wireScreens attaches the workflow rooms' pages and provider settings forms (after wireRooms,
// which builds the rooms they show).
func (a *App) wireScreens(ctx context.Context) error { return nil }
