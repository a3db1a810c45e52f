package api

import (
	"net/http"

	"kessai/internal/platform/status"
	"kessai/internal/web"
)

// Error codes this package answers with besides the errs kinds.
const (
	CodeKeyReused = "idempotency_key_reused" // 422: same key, different request
	CodeKeyInUse  = "idempotency_key_in_use" // 409: the first request with the key is still running
)

// WriteErrorCode writes the API's error body with a code that is not an errs kind.
func WriteErrorCode(w http.ResponseWriter, r *http.Request, status int, code, msg string, fields map[string]string) {
	web.WriteJSON(w, status, web.ErrorBody{Error: web.ErrorDetail{
		Code: code, Message: msg, Fields: fields, RequestID: web.RequestID(r.Context()),
	}})
}

// Label returns the Japanese label of code in set, "" for an empty code, for the *_label fields
// that go beside every status code in API answers.
func Label(set *status.Set, code string) string {
	if code == "" {
		return ""
	}
	return set.Label(code)
}
