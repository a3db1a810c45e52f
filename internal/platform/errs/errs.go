// Package errs gives errors a kind that the web layer turns into an HTTP status and a message a
// person can act on, in Japanese, while the wrapped cause stays in the logs.
//
//	return errs.Invalid("振込金額は1円以上にしてください").Field("amount", "1円以上にしてください")
package errs

import (
	"errors"
	"fmt"
)

// Kind classifies an error for the API and the UI.
type Kind string

const (
	KindInvalid         Kind = "invalid"           // 422: the input is wrong; Fields says where
	KindNotFound        Kind = "not_found"         // 404
	KindConflict        Kind = "conflict"          // 409: the record's state does not allow it
	KindForbidden       Kind = "forbidden"         // 403
	KindUnauthenticated Kind = "unauthenticated"   // 401
	KindUnavailable     Kind = "unavailable"       // 503: a provider or dependency is down
	KindTooMany         Kind = "too_many_requests" // 429
	KindBadRequest      Kind = "bad_request"       // 400: the request itself is malformed
	KindTooLarge        Kind = "too_large"         // 413: the body is over its route's limit
	KindTimeout         Kind = "timeout"           // 408: the body arrived too slowly
	KindInternal        Kind = "internal"          // 500: message hidden from people
)

// Error is an error with a kind, a message safe to show, optional per-field messages, and an
// optional cause kept for logs.
type Error struct {
	Kind    Kind
	Message string
	Fields  map[string]string
	Cause   error
}

func (e *Error) Error() string {
	if e.Cause != nil {
		return fmt.Sprintf("%s: %s: %v", e.Kind, e.Message, e.Cause)
	}
	return fmt.Sprintf("%s: %s", e.Kind, e.Message)
}

func (e *Error) Unwrap() error { return e.Cause }

// Field adds a message for one input field and returns e.
func (e *Error) Field(name, msg string) *Error {
	if e.Fields == nil {
		e.Fields = map[string]string{}
	}
	e.Fields[name] = msg
	return e
}

// Wrap sets the cause and returns e.
func (e *Error) Wrap(cause error) *Error { e.Cause = cause; return e }

// Text is err for people (a page's flash, a connection's last error): the safe Message of a
// kessai error anywhere in the chain, otherwise err's own text (a network error says what failed).
func Text(err error) string {
	if e := As(err); e != nil && e.Message != "" {
		return e.Message
	}
	return err.Error()
}

// E makes an error of kind k.
func E(k Kind, msg string) *Error { return &Error{Kind: k, Message: msg} }

// Invalid is E(KindInvalid, msg).
func Invalid(msg string) *Error { return E(KindInvalid, msg) }

// NotFound is E(KindNotFound, msg).
func NotFound(msg string) *Error { return E(KindNotFound, msg) }

// Conflict is E(KindConflict, msg).
func Conflict(msg string) *Error { return E(KindConflict, msg) }

// Forbidden is E(KindForbidden, msg).
func Forbidden(msg string) *Error { return E(KindForbidden, msg) }

// As returns the *Error in err's chain, or nil.
func As(err error) *Error {
	var e *Error
	if errors.As(err, &e) {
		return e
	}
	return nil
}

// KindOf returns the kind of err, KindInternal when it has none.
func KindOf(err error) Kind {
	if e := As(err); e != nil {
		return e.Kind
	}
	return KindInternal
}

// Fields collects per-field validation messages; Err returns nil when there are none.
type Fields map[string]string

// Add records msg for field name (the first message for a field wins).
func (f Fields) Add(name, msg string) {
	if _, ok := f[name]; !ok {
		f[name] = msg
	}
}

// Err returns an Invalid error listing the fields, or nil.
func (f Fields) Err() error {
	if len(f) == 0 {
		return nil
	}
	return &Error{Kind: KindInvalid, Message: "入力内容を確認してください", Fields: f}
}
