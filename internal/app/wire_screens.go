package app

import "context"

// wireScreens attaches the workflow rooms' pages to the shared screens (after wireRooms, which
// builds the rooms, and wireCommerce, which routes the case pages and the bulk pages): the
// payout room's 銀行振込 tab on the case detail page and 一括振込依頼 on the case list.
func (a *App) wireScreens(ctx context.Context) error {
	return a.payoutScreens(a.CommercePages, a.BulkPages)
}
