package app

import (
	"context"
	"fmt"

	"kessai/internal/commerce"
	"kessai/internal/platform/audit"
	"kessai/internal/platform/bulk"
	"kessai/internal/web"
)

// wireScreens attaches the workflow rooms' pages and provider settings forms (after wireRooms,
// which builds the rooms they show): the case pages with the list and bulk patterns, then each
// room's tab and bulk actions on them.
func (a *App) wireScreens(ctx context.Context) error {
	cases, bulkPages, err := a.casePages(ctx)
	if err != nil {
		return err
	}
	return a.payoutScreens(cases, bulkPages)
}

// casePages routes the commerce pages (cases, customers, orders, subscriptions) and the bulk
// pages they use. The bulk runs go through the job queue when there is one.
func (a *App) casePages(ctx context.Context) (*commerce.Pages, *web.BulkPages, error) {
	if a.Commerce == nil {
		return nil, nil, nil
	}
	for _, rt := range a.Shell.Routes() {
		if rt.Pattern == "/cases" {
			return nil, nil, nil // routed elsewhere already: nothing for the rooms to attach to here
		}
	}
	if _, err := a.DB.Migrate(ctx, bulk.Migrations); err != nil {
		return nil, nil, fmt.Errorf("bulk: %w", err)
	}
	log := &audit.Log{Now: a.Clock.Now, RequestID: web.RequestID}
	if a.Platform != nil && a.Platform.Audit != nil {
		log = a.Platform.Audit
	}
	svc := bulk.New(a.DB, a.Clock, log)
	if a.Jobs != nil {
		if err := bulk.UseQueue(svc, a.Jobs); err != nil {
			return nil, nil, err
		}
	}
	bp := web.MountBulk(a.Shell, svc)
	cp, err := commerce.NewPages(a.Shell, a.Commerce, bp, log)
	if err != nil {
		return nil, nil, fmt.Errorf("commerce pages: %w", err)
	}
	cp.Routes(a.Shell)
	return cp, bp, nil
}
