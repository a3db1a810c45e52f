package commerce

import (
	"context"
	"net/http"
	"net/url"

	"kessai/internal/api"
)

// The commerce records' use of the generic API handlers (internal/api): the list's page size and
// count limit, and the version and ID every record input and record has.

// listJSON is api.List with the commerce lists' page size and count limit.
func listJSON[F, Row, J any](fromQuery func(url.Values) (F, error),
	search func(ctx context.Context, f F, page, perPage int) ([]Row, int, error), toJSON func(Row) J) http.HandlerFunc {
	return api.List(DefaultPerPage, CountLimit, fromQuery, search, toJSON)
}

// getJSON is api.Get.
func getJSON[T, J any](get func(ctx context.Context, id string) (T, error), toJSON func(T) J) http.HandlerFunc {
	return api.Get(get, toJSON)
}

// decodeThen is api.Do: PATCH and the actions on a record.
func decodeThen[In, T, J any](do func(r *http.Request, in In) (T, error), toJSON func(T) J) http.HandlerFunc {
	return api.Do(do, toJSON)
}

// versioned is an input that may carry the version it was based on.
type versioned interface{ version() *int }

func (in ShopInput) version() *int         { return in.Version }
func (in CustomerInput) version() *int     { return in.Version }
func (in CaseInput) version() *int         { return in.Version }
func (in OrderInput) version() *int        { return in.Version }
func (in SubscriptionInput) version() *int { return in.Version }

// identified is a stored record; its ID makes the Location of a 201.
type identified interface{ recordID() string }

func (sh Shop) recordID() string         { return sh.ID }
func (c Customer) recordID() string      { return c.ID }
func (c PurchaseCase) recordID() string  { return c.ID }
func (o Order) recordID() string         { return o.ID }
func (sb Subscription) recordID() string { return sb.ID }

// createJSON is api.Create refusing a version (there is none yet) and locating the record by
// its ID.
func createJSON[In versioned, T identified, J any](collection string, create func(ctx context.Context, in In) (T, error), toJSON func(T) J) http.HandlerFunc {
	return api.Create(collection, func(in In) error { return noVersionOnCreate(in.version()) }, func(v T) string { return v.recordID() }, create, toJSON)
}

// asIs answers a record as it is stored.
func asIs[T any](v T) T { return v }
