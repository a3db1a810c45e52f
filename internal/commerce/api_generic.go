package commerce

import (
	"context"
	"net/http"
	"net/url"

	"kessai/internal/web"
)

// The shapes every /api/v1 record handler shares: read the request, call the store, answer
// JSON or the error. What differs per record (its filter, its labels, its special rules) stays
// in the functions passed in.

// listJSON answers a paged search: the filter read from the query, one page of rows from
// search, each answered as toJSON makes it (an empty page is [], never null).
func listJSON[F, Row, J any](fromQuery func(url.Values) (F, error),
	search func(ctx context.Context, f F, page, perPage int) ([]Row, int, error), toJSON func(Row) J) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		q := r.URL.Query()
		f, err := fromQuery(q)
		if err != nil {
			web.WriteError(w, r, err)
			return
		}
		p := web.PagingFrom(q, DefaultPerPage)
		rows, total, err := search(r.Context(), f, p.Page, p.PerPage)
		if err != nil {
			web.WriteError(w, r, err)
			return
		}
		items := make([]J, len(rows))
		for i, row := range rows {
			items[i] = toJSON(row)
		}
		body := web.ListBody[J]{Items: items, Page: p.Page, PerPage: p.PerPage, Total: total, TotalCapped: total > CountLimit}
		body.NextAfter = nextAfter(f, rows, p.PerPage)
		web.WriteJSON(w, http.StatusOK, body)
	}
}

// nextAfter is the after= of the next keyset page: the last row's ID when the page is full and
// the filter's sort can page by keyset.
func nextAfter[F, Row any](f F, rows []Row, perPage int) string {
	k, ok := any(f).(interface{ Keyset() bool })
	if !ok || !k.Keyset() || len(rows) == 0 || len(rows) < perPage {
		return ""
	}
	if r, ok := any(rows[len(rows)-1]).(interface{ RecordID() string }); ok {
		return r.RecordID()
	}
	return ""
}

// getJSON answers the record {id} as toJSON makes it.
func getJSON[T, J any](get func(ctx context.Context, id string) (T, error), toJSON func(T) J) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		v, err := get(r.Context(), r.PathValue("id"))
		if err != nil {
			web.WriteError(w, r, err)
			return
		}
		web.WriteJSON(w, http.StatusOK, toJSON(v))
	}
}

// decodeThen decodes the JSON body into an In and answers 200 with toJSON of the record do
// returns, or do's error: PATCH and the actions on a record.
func decodeThen[In, T, J any](do func(r *http.Request, in In) (T, error), toJSON func(T) J) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		var in In
		if err := web.DecodeJSON(r, &in); err != nil {
			web.WriteError(w, r, err)
			return
		}
		v, err := do(r, in)
		if err != nil {
			web.WriteError(w, r, err)
			return
		}
		web.WriteJSON(w, http.StatusOK, toJSON(v))
	}
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

// createJSON answers a POST that creates a record: it decodes an In, refuses a version (there
// is none yet), has create store the record and answers 201 with its Location (collection +
// ID) and toJSON of it.
func createJSON[In versioned, T identified, J any](collection string, create func(ctx context.Context, in In) (T, error), toJSON func(T) J) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		var in In
		if err := web.DecodeJSON(r, &in); err != nil {
			web.WriteError(w, r, err)
			return
		}
		if err := noVersionOnCreate(in.version()); err != nil {
			web.WriteError(w, r, err)
			return
		}
		v, err := create(r.Context(), in)
		if err != nil {
			web.WriteError(w, r, err)
			return
		}
		created(w, collection+v.recordID(), toJSON(v))
	}
}

// asIs answers a record as it is stored (it has no codes that need labels).
func asIs[T any](v T) T { return v }

func created(w http.ResponseWriter, location string, v any) {
	w.Header().Set("Location", location)
	web.WriteJSON(w, http.StatusCreated, v)
}
