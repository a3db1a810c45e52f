// Package api holds the conventions of kessai's JSON API under /api/v1, the OpenAPI document
// that describes it, and the Idempotency-Key handling of state-changing requests.
//
// Conventions every room follows (the document states them too):
//   - JSON field names are snake_case; unknown request fields are refused (web.DecodeJSON).
//   - Money is an integer number of yen; business dates are "YYYY-MM-DD" strings (fields named
//     *_on); timestamps are RFC 3339 in UTC ("2026-11-23T10:00:00Z").
//   - Statuses are stable codes with the Japanese label alongside:
//     {"status": "stocked", "status_label": "入庫完了"}.
//   - Errors are web.ErrorBody: {"error": {"code", "message", "fields", "request_id"}}.
//   - Lists take page and per_page and answer web.ListBody: {"items", "page", "per_page", "total"}.
//
// A room registers an operation and its route in one call, so the two can't drift:
//
//	v1.Handle(api.Operation{
//		Method: http.MethodGet, Path: "/api/v1/transfers/{id}", Perm: auth.PermView,
//		ID: "getTransfer", Tag: "振込", Summary: "振込を取得",
//		Response: TransferJSON{},
//	}, h.getTransfer)
package api
