package web

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"

	"kessai/internal/platform/errs"
	"kessai/internal/platform/logs"
)

// MaxJSONBody caps request bodies of the JSON API (Bound caps every body at DefaultMaxBody
// before this).
const MaxJSONBody = DefaultMaxBody

// WriteJSON writes v as JSON with status.
func WriteJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(v)
}

// ErrorBody is the one error shape of the JSON API:
//
//	{"error": {"code": "invalid", "message": "入力内容を確認してください", "fields": {"amount": "…"}}}
type ErrorBody struct {
	Error ErrorDetail `json:"error"`
}

// ErrorDetail is the inside of ErrorBody.
type ErrorDetail struct {
	Code      string            `json:"code"`
	Message   string            `json:"message"`
	Fields    map[string]string `json:"fields,omitempty"`
	RequestID string            `json:"request_id,omitempty"`
}

// StatusOf maps an error kind to its HTTP status.
func StatusOf(k errs.Kind) int {
	switch k {
	case errs.KindInvalid:
		return http.StatusUnprocessableEntity
	case errs.KindNotFound:
		return http.StatusNotFound
	case errs.KindConflict:
		return http.StatusConflict
	case errs.KindForbidden:
		return http.StatusForbidden
	case errs.KindUnauthenticated:
		return http.StatusUnauthorized
	case errs.KindUnavailable:
		return http.StatusServiceUnavailable
	case errs.KindTooMany:
		return http.StatusTooManyRequests
	case errs.KindBadRequest:
		return http.StatusBadRequest
	case errs.KindTooLarge:
		return http.StatusRequestEntityTooLarge
	case errs.KindTimeout:
		return http.StatusRequestTimeout
	case errs.KindInternal:
		return http.StatusInternalServerError
	}
	return http.StatusInternalServerError
}

// WriteError writes err in the API's error shape. Internal errors are logged with the request ID
// and shown only as a generic message.
func WriteError(w http.ResponseWriter, r *http.Request, err error) {
	e := errs.As(err)
	if ee, ok := ended(w, r, err); ok {
		if ee == nil {
			return
		}
		e = ee
	}
	if e == nil {
		e = &errs.Error{Kind: errs.KindInternal, Cause: err}
	}
	rid := RequestID(r.Context())
	msg := e.Message
	if e.Kind == errs.KindInternal {
		logs.From(r.Context()).ErrorContext(r.Context(), "internal error", "err", err, "request_id", rid, "path", r.URL.Path)
		msg = "内部エラーが発生しました。時間をおいて再度お試しください（リクエストID: " + rid + "）"
	}
	setRetryAfter(w, e.Kind)
	WriteJSON(w, StatusOf(e.Kind), ErrorBody{Error: ErrorDetail{Code: string(e.Kind), Message: msg, Fields: e.Fields, RequestID: rid}})
}

// DecodeJSON decodes the request body into v, refusing unknown fields and trailing data, and
// returns an Invalid error a client can act on.
func DecodeJSON(r *http.Request, v any) error {
	body := http.MaxBytesReader(nil, r.Body, MaxJSONBody)
	dec := json.NewDecoder(body)
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		var syn *json.SyntaxError
		var typ *json.UnmarshalTypeError
		var tooBig *http.MaxBytesError
		switch {
		case errors.As(err, &syn):
			return errs.Invalid(fmt.Sprintf("JSONの構文が正しくありません（%dバイト目）", syn.Offset)).Wrap(err)
		case errors.As(err, &typ):
			return errs.Invalid("JSONの型が正しくありません").Field(typ.Field, "型は "+typ.Type.String()+" にしてください").Wrap(err)
		case errors.As(err, &tooBig):
			return errs.E(errs.KindTooLarge, "リクエストが大きすぎます（"+FormatBytes(tooBig.Limit)+"まで）").Wrap(err)
		case errors.Is(err, io.EOF):
			return errs.Invalid("リクエスト本文が空です")
		default:
			return errs.Invalid("JSONを読み取れません: " + err.Error()).Wrap(err)
		}
	}
	if dec.More() {
		return errs.Invalid("JSONの後ろに余分なデータがあります")
	}
	return nil
}

// Paging is page-number paging shared by list pages and the API.
type Paging struct {
	Page    int // 1-based
	PerPage int
}

// Offset is the row offset of the page.
func (p Paging) Offset() int { return (p.Page - 1) * p.PerPage }

// PagingFrom reads page and per_page from the query (defaults 1 and def, per_page capped at 500).
func PagingFrom(q url.Values, def int) Paging {
	p := Paging{Page: 1, PerPage: def}
	if n, err := strconv.Atoi(q.Get("page")); err == nil && n > 0 {
		p.Page = n
	}
	if n, err := strconv.Atoi(q.Get("per_page")); err == nil && n > 0 {
		p.PerPage = min(n, 500)
	}
	return p
}

// ListBody is the API's list shape.
type ListBody[T any] struct {
	Items   []T `json:"items"`
	Page    int `json:"page"`
	PerPage int `json:"per_page"`
	Total   int `json:"total"`
	// TotalCapped says the count stopped at a limit: there are more than Total-1 matches.
	TotalCapped bool `json:"total_capped,omitempty"`
	// NextAfter continues the list after the last item (after=…), at the cost of a first page.
	NextAfter string `json:"next_after,omitempty"`
}

func urlQueryEscape(s string) string { return url.QueryEscape(s) }
