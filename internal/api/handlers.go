package api

import (
	"context"
	"net/http"
	"net/url"

	"kessai/internal/web"
)

// The shapes every record handler shares (commerce's and the rooms'): read the request, call
// the store, answer JSON or the error. What differs per record (its filter, its labels, its
// rules) stays in the functions passed in.

// List answers a paged search: the filter read from the query, one page of rows from search
// (perPage rows unless ?per_page= says otherwise), each answered as toJSON makes it (an empty
// page is [], never null). A total above countLimit is reported as capped; with a filter whose
// sort pages by keyset (Keyset() bool) and rows with RecordID() string, next_after is set.
func List[F, Row, J any](perPage, countLimit int, fromQuery func(url.Values) (F, error),
	search func(ctx context.Context, f F, page, perPage int) ([]Row, int, error), toJSON func(Row) J) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		q := r.URL.Query()
		f, err := fromQuery(q)
		if err != nil {
			web.WriteError(w, r, err)
			return
		}
		p := web.PagingFrom(q, perPage)
		rows, total, err := search(r.Context(), f, p.Page, p.PerPage)
		if err != nil {
			web.WriteError(w, r, err)
			return
		}
		items := make([]J, len(rows))
		for i, row := range rows {
			items[i] = toJSON(row)
		}
		body := web.ListBody[J]{Items: items, Page: p.Page, PerPage: p.PerPage, Total: total, TotalCapped: countLimit > 0 && total > countLimit}
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

// Get answers the record {id} as toJSON makes it.
func Get[T, J any](get func(ctx context.Context, id string) (T, error), toJSON func(T) J) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		v, err := get(r.Context(), r.PathValue("id"))
		if err != nil {
			web.WriteError(w, r, err)
			return
		}
		web.WriteJSON(w, http.StatusOK, toJSON(v))
	}
}

// Do decodes the JSON body into an In and answers 200 with toJSON of the record do returns,
// or do's error: a PATCH, or an action on a record.
func Do[In, T, J any](do func(r *http.Request, in In) (T, error), toJSON func(T) J) http.HandlerFunc {
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

// Create answers a POST that creates a record: it decodes an In, lets check refuse it (nil
// check accepts), has create store the record and answers 201 with its Location (collection +
// id of it) and toJSON of it.
func Create[In, T, J any](collection string, check func(In) error, id func(T) string,
	create func(ctx context.Context, in In) (T, error), toJSON func(T) J) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		var in In
		if err := web.DecodeJSON(r, &in); err != nil {
			web.WriteError(w, r, err)
			return
		}
		if check != nil {
			if err := check(in); err != nil {
				web.WriteError(w, r, err)
				return
			}
		}
		v, err := create(r.Context(), in)
		if err != nil {
			web.WriteError(w, r, err)
			return
		}
		Created(w, collection+id(v), toJSON(v))
	}
}

// AsIs answers a record as it is stored (it has no codes that need labels).
func AsIs[T any](v T) T { return v }

// Created answers 201 with location and v.
func Created(w http.ResponseWriter, location string, v any) {
	w.Header().Set("Location", location)
	web.WriteJSON(w, http.StatusCreated, v)
}
