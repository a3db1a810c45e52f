package api

import (
	"bytes"
	"context"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	"kessai/internal/platform/auth"
	"kessai/internal/platform/db"
	"kessai/internal/platform/errs"
	"kessai/internal/platform/logs"
	"kessai/internal/web"
)

//go:embed migrations
var migrationsFS embed.FS

// Migrations creates the table of stored idempotent responses.
var Migrations = db.Migrations{Module: "api", FS: migrationsFS}

// Headers of the idempotency protocol.
const (
	HeaderIdempotencyKey = "Idempotency-Key"
	HeaderReplayed       = "Idempotent-Replayed"
	// MaxKeyLength is the longest Idempotency-Key accepted.
	MaxKeyLength = 255
	// KeyTTL is how long a key and its stored response are kept.
	KeyTTL = 24 * time.Hour
)

// replayedHeaders are the response headers stored with the body and sent again on a replay.
// Per-request headers (X-Request-ID, security headers) are set afresh by the shell.
var replayedHeaders = []string{"Content-Type", "Content-Disposition", "Location", "Link"}

// Idempotency stores the first response to each state-changing API request sent with an
// Idempotency-Key header and answers retries with it, so a client that lost the answer can
// retry without doing the work twice.
//
// It honours POST, PUT, PATCH and DELETE under /api/v1/. POST creates records and starts
// operations, so a blind retry would duplicate them. PATCH is honoured too: a retried PATCH
// arriving after someone else's change would silently undo it, while the replay doesn't touch
// the record. DELETE answers 404 on a plain retry; with a key the retry gets the first answer.
// The header is optional on every method.
type Idempotency struct {
	DB  *db.DB
	Now func() time.Time
	// StaleAfter is when a request still marked running is taken to have died with its
	// instance, so the key may run again. Requests are far shorter; a live one is never re-run.
	StaleAfter time.Duration
	// MaxBody caps the request bodies read for hashing (uploads are hashed from their file).
	MaxBody int64
}

// NewIdempotency returns the store on d reading time from now.
func NewIdempotency(d *db.DB, now func() time.Time) *Idempotency {
	return &Idempotency{DB: d, Now: now, StaleAfter: 10 * time.Minute, MaxBody: web.DefaultMaxBody}
}

// Applies reports whether r is a request the middleware looks at (the header aside).
func Applies(r *http.Request) bool {
	switch r.Method {
	case http.MethodPost, http.MethodPut, http.MethodPatch, http.MethodDelete:
		return strings.HasPrefix(r.URL.Path, "/api/v1/")
	}
	return false
}

// Middleware must run after authentication (keys are scoped per principal) and before the
// handlers. Requests without the header, or without a principal (the route answers 401), pass
// through untouched.
func (s *Idempotency) Middleware(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		key := r.Header.Get(HeaderIdempotencyKey)
		p := auth.FromContext(r.Context())
		if key == "" || p == nil || !Applies(r) {
			next.ServeHTTP(w, r)
			return
		}
		if msg := checkKey(key); msg != "" {
			WriteErrorCode(w, r, http.StatusUnprocessableEntity, string(errs.KindInvalid), msg,
				map[string]string{HeaderIdempotencyKey: msg})
			return
		}
		var body []byte
		if web.IsUpload(r) {
			// An upload is on disk already (up to 1 GB): its digest stands for the body.
			digest, err := uploadDigest(r)
			if err != nil {
				web.WriteError(w, r, err)
				return
			}
			body = digest
		} else {
			b, err := io.ReadAll(http.MaxBytesReader(w, r.Body, s.MaxBody))
			if err != nil {
				web.WriteError(w, r, errs.E(errs.KindTooLarge, fmt.Sprintf("リクエスト本文を読み取れません（上限%s）", web.FormatBytes(s.MaxBody))).Wrap(err))
				return
			}
			body = b
			r.Body = io.NopCloser(bytes.NewReader(body))
		}
		principal := string(p.Kind) + ":" + p.ID
		req := claimReq{principal: principal, key: key, method: r.Method, path: r.URL.RequestURI(),
			hash: hashRequest(r.Method, r.URL.RequestURI(), principal, body), claimID: db.NewID("")}
		prev, err := s.claim(r.Context(), req)
		if err != nil {
			web.WriteError(w, r, fmt.Errorf("idempotency key %q: %w", key, err))
			return
		}
		if prev != nil {
			s.answerExisting(w, r, req, prev)
			return
		}
		s.run(w, r, req, next)
	})
}

// uploadDigest is the SHA-256 of an upload route's file (every form field too).
func uploadDigest(r *http.Request) ([]byte, error) {
	up, err := web.Uploaded(r, nil)
	if err != nil {
		return nil, err
	}
	f, err := up.Open()
	if err != nil {
		return nil, fmt.Errorf("idempotency: %w", err)
	}
	defer f.Close()
	h := sha256.New()
	h.Write([]byte(up.Field + "\x00" + up.Filename + "\x00" + r.PostForm.Encode() + "\x00"))
	if _, err := io.Copy(h, f); err != nil {
		return nil, fmt.Errorf("idempotency: %w", err)
	}
	return h.Sum(nil), nil
}

func checkKey(key string) string {
	if len(key) > MaxKeyLength {
		return fmt.Sprintf("Idempotency-Key は%d文字以内にしてください", MaxKeyLength)
	}
	for i := 0; i < len(key); i++ {
		if key[i] < 0x21 || key[i] > 0x7e {
			return "Idempotency-Key は空白を含まない半角英数記号にしてください（UUIDを推奨）"
		}
	}
	return ""
}

func hashRequest(method, uri, principal string, body []byte) string {
	h := sha256.New()
	for _, s := range []string{method, uri, principal} {
		h.Write([]byte(s))
		h.Write([]byte{0})
	}
	h.Write(body)
	return hex.EncodeToString(h.Sum(nil))
}

type claimReq struct {
	principal, key, method, path, hash string
	// claimID marks the row this request inserted: a request still running after StaleAfter
	// may see its row taken over by a retry, and must then neither overwrite the retry's
	// answer nor delete its claim.
	claimID string
}

// stored is a row of api_idempotency_keys.
type stored struct {
	hash    string
	state   string
	status  int
	headers string
	body    []byte
	created time.Time
}

// claim inserts a running row for req and returns nil, or returns the live row that already
// holds the key. Expired and abandoned rows are removed first.
func (s *Idempotency) claim(ctx context.Context, req claimReq) (*stored, error) {
	now := s.Now().UTC()
	for range 3 {
		_, err := s.DB.ExecContext(ctx, `INSERT INTO api_idempotency_keys
			(principal, idem_key, request_hash, method, path, state, created_at, claim_id)
			VALUES (?, ?, ?, ?, ?, 'running', ?, ?)`,
			req.principal, req.key, req.hash, req.method, req.path, now, req.claimID)
		if err == nil {
			return nil, nil
		}
		if !db.IsUniqueViolation(err) {
			return nil, fmt.Errorf("claim: %w", err)
		}
		prev, err := s.get(ctx, req.principal, req.key)
		if errors.Is(err, db.ErrNotFound) {
			continue // removed in between: try again
		}
		if err != nil {
			return nil, err
		}
		expired := prev.created.Before(now.Add(-KeyTTL))
		abandoned := prev.state == "running" && prev.created.Before(now.Add(-s.StaleAfter))
		if !expired && !abandoned {
			return prev, nil
		}
		// The condition is repeated in SQL so two retries racing here remove the row once.
		if _, err := s.DB.ExecContext(ctx, `DELETE FROM api_idempotency_keys
			WHERE principal = ? AND idem_key = ? AND (created_at < ? OR (state = 'running' AND created_at < ?))`,
			req.principal, req.key, now.Add(-KeyTTL), now.Add(-s.StaleAfter)); err != nil {
			return nil, fmt.Errorf("remove expired: %w", err)
		}
	}
	return nil, errors.New("claim: key keeps changing hands")
}

func (s *Idempotency) get(ctx context.Context, principal, key string) (*stored, error) {
	var st stored
	err := s.DB.QueryRowContext(ctx, `SELECT request_hash, state, status_code, response_headers, response_body, created_at
		FROM api_idempotency_keys WHERE principal = ? AND idem_key = ?`, principal, key).
		Scan(&st.hash, &st.state, &st.status, &st.headers, &st.body, &st.created)
	if err != nil {
		return nil, db.NotFound(err)
	}
	return &st, nil
}

func (s *Idempotency) answerExisting(w http.ResponseWriter, r *http.Request, req claimReq, prev *stored) {
	switch {
	case prev.hash != req.hash:
		WriteErrorCode(w, r, http.StatusUnprocessableEntity, CodeKeyReused,
			"この Idempotency-Key は別の内容のリクエストで使われています。新しいリクエストには新しいキーを使ってください", nil)
	case prev.state != "done":
		w.Header().Set("Retry-After", "1")
		WriteErrorCode(w, r, http.StatusConflict, CodeKeyInUse,
			"同じ Idempotency-Key のリクエストを処理中です。完了してから再送してください", nil)
	default:
		var hdr map[string]string
		_ = json.Unmarshal([]byte(prev.headers), &hdr)
		for k, v := range hdr {
			w.Header().Set(k, v)
		}
		w.Header().Set(HeaderReplayed, "true")
		w.WriteHeader(prev.status)
		_, _ = w.Write(prev.body)
	}
}

// keep reports whether a response is stored for replay. Answers that say the request never
// ran (authentication, permission, rate limit) or failed inside (5xx, its transaction rolled
// back) free the key so a retry runs again.
func keep(status int) bool {
	switch {
	case status >= 500, status == http.StatusUnauthorized, status == http.StatusForbidden,
		status == http.StatusRequestTimeout, status == http.StatusTooManyRequests:
		return false
	}
	return true
}

func (s *Idempotency) run(w http.ResponseWriter, r *http.Request, req claimReq, next http.Handler) {
	rec := &teeWriter{ResponseWriter: w}
	// The outcome is written even if the client went away: the work is done either way.
	ctx := context.WithoutCancel(r.Context())
	defer func() {
		if p := recover(); p != nil {
			s.release(ctx, req)
			panic(p)
		}
	}()
	next.ServeHTTP(rec, r)
	if rec.status == 0 {
		rec.status = http.StatusOK
	}
	if !keep(rec.status) {
		s.release(ctx, req)
		return
	}
	hdr := map[string]string{}
	for _, k := range replayedHeaders {
		if v := rec.header.Get(k); v != "" {
			hdr[k] = v
		}
	}
	hj, _ := json.Marshal(hdr)
	_, err := s.DB.ExecContext(ctx, `UPDATE api_idempotency_keys
		SET state = 'done', status_code = ?, response_headers = ?, response_body = ?, completed_at = ?
		WHERE principal = ? AND idem_key = ? AND claim_id = ?`,
		rec.status, string(hj), rec.body.Bytes(), s.Now().UTC(), req.principal, req.key, req.claimID)
	if err != nil {
		// The key stays "running" until StaleAfter; retries get 409 meanwhile, never a re-run.
		logs.From(ctx).ErrorContext(ctx, "idempotency: store response", "err", err, "key", req.key,
			"principal", req.principal, "request_id", web.RequestID(ctx))
	}
}

func (s *Idempotency) release(ctx context.Context, req claimReq) {
	_, err := s.DB.ExecContext(ctx, `DELETE FROM api_idempotency_keys WHERE principal = ? AND idem_key = ? AND state = 'running' AND claim_id = ?`,
		req.principal, req.key, req.claimID)
	if err != nil {
		logs.From(ctx).ErrorContext(ctx, "idempotency: release key", "err", err, "key", req.key, "principal", req.principal)
	}
}

// DeleteExpired removes keys created before before (the job system calls it with now − 24h)
// and reports how many it removed.
func (s *Idempotency) DeleteExpired(ctx context.Context, before time.Time) (int64, error) {
	res, err := s.DB.ExecContext(ctx, `DELETE FROM api_idempotency_keys WHERE created_at < ?`, before.UTC())
	if err != nil {
		return 0, fmt.Errorf("delete expired idempotency keys: %w", err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return 0, fmt.Errorf("delete expired idempotency keys: %w", err)
	}
	return n, nil
}

// teeWriter passes the response through and keeps a copy of it.
type teeWriter struct {
	http.ResponseWriter
	status int
	header http.Header
	body   bytes.Buffer
}

func (t *teeWriter) WriteHeader(code int) {
	if t.status == 0 {
		t.status = code
		t.header = t.ResponseWriter.Header().Clone()
	}
	t.ResponseWriter.WriteHeader(code)
}

func (t *teeWriter) Write(b []byte) (int, error) {
	if t.status == 0 {
		t.WriteHeader(http.StatusOK)
	}
	t.body.Write(b)
	return t.ResponseWriter.Write(b)
}

func (t *teeWriter) Unwrap() http.ResponseWriter { return t.ResponseWriter }
