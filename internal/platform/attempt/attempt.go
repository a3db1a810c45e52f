// Package attempt is the one mechanism every room uses for outgoing money calls (transfer,
// capture, cancel, amount change, shipment registration):
//
//  1. Begin writes a pending attempt, with the idempotency key the provider will see, in the
//     same transaction as the record's state change;
//  2. after that transaction commits, MarkSending moves it pending → sending, and the room makes
//     the call only if that changed the row: a janitor that gave up on the attempt first wins;
//  3. Finish writes the outcome back (succeeded, failed, or unknown when the call timed out,
//     the process died, or the provider answered 5xx after the request was sent).
//
// A stale pending attempt was, by that contract, never sent and never will be: the Janitor fails
// it without asking. A stale sending or unknown attempt is settled only by the Janitor asking
// the provider through the room's Resolver. Nothing here ever sends a call again.
package attempt

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"time"

	"kessai/internal/platform/clock"
	"kessai/internal/platform/db"
)

//go:embed migrations
var migrationsFS embed.FS

// Migrations creates the attempts table.
var Migrations = db.Migrations{Module: "attempt", FS: migrationsFS}

// State is where an attempt stands.
type State string

const (
	Pending   State = "pending"   // written; the call has not left and cannot without MarkSending
	Sending   State = "sending"   // MarkSending succeeded: the call may be in flight
	Succeeded State = "succeeded" // the provider did it
	Failed    State = "failed"    // the provider refused, or the call certainly never reached it
	Unknown   State = "unknown"   // the call may or may not have happened: ask, never resend
)

// Label is the Japanese name shown next to a record.
func (s State) Label() string {
	switch s {
	case Pending:
		return "送信待ち"
	case Sending:
		return "送信中"
	case Succeeded:
		return "成功"
	case Failed:
		return "失敗"
	case Unknown:
		return "結果確認中"
	}
	return string(s)
}

// Final reports whether the state will not change any more.
func (s State) Final() bool {
	switch s {
	case Succeeded, Failed:
		return true
	case Pending, Sending, Unknown:
		return false
	}
	return false
}

// Attempt is one outgoing call for one record.
type Attempt struct {
	ID              string    `json:"id"`
	Room            string    `json:"room"`        // e.g. "payout"
	RecordType      string    `json:"record_type"` // e.g. "transfer"
	RecordID        string    `json:"record_id"`
	Operation       string    `json:"operation"`       // e.g. "transfer.request"
	IdempotencyKey  string    `json:"idempotency_key"` // what the provider sees; the same on every retry
	State           State     `json:"state"`
	ProviderCode    string    `json:"provider_code"`
	ProviderMessage string    `json:"provider_message"`
	RequestSummary  string    `json:"request_summary"`
	ResponseSummary string    `json:"response_summary"`
	CreatedAt       time.Time `json:"created_at"`
	UpdatedAt       time.Time `json:"updated_at"`
	SentAt          time.Time `json:"sent_at,omitzero"` // when MarkSending succeeded; zero if never
}

// Outcome is what became of a call.
type Outcome struct {
	State    State  // Succeeded, Failed or Unknown
	Code     string // the provider's code, verbatim
	Message  string
	Response string // a short summary of the answer (e.g. "applyNo=…"), never secrets
}

// ErrSettled is returned by Finish when the attempt already has a final outcome (another
// instance or the janitor settled it first); the caller must not apply its outcome again.
var ErrSettled = errors.New("attempt: already settled")

// Log reads and writes attempts. It holds no state but the clock.
type Log struct {
	clock clock.Clock
}

// New returns a log stamping rows with c, which must be the wall clock (clock.System in
// production), never the movable sandbox clock: the stamps measure staleness and "too young to
// conclude", which decide whether a request may have reached the provider. Moving the business
// clock ten minutes ahead while a call is in flight must not make the janitor ask about it, or
// conclude that the provider never got it.
func New(c clock.Clock) *Log { return &Log{clock: c} }

// Now is the log's clock time, at the precision both engines store.
func (l *Log) Now() time.Time { return l.clock.Now().UTC().Truncate(time.Microsecond) }

const cols = `id, room, record_type, record_id, operation, idempotency_key, state, provider_code,
	provider_message, request_summary, response_summary, created_at, updated_at, sent_at`

// Begin writes a as pending in q, which must be the transaction of the record's state change.
// An empty ID or IdempotencyKey is generated.
func (l *Log) Begin(ctx context.Context, q db.Querier, a Attempt) (Attempt, error) {
	if a.Room == "" || a.RecordType == "" || a.RecordID == "" || a.Operation == "" {
		return a, fmt.Errorf("attempt: room, record and operation are required")
	}
	if a.ID == "" {
		a.ID = db.NewID("att")
	}
	if a.IdempotencyKey == "" {
		a.IdempotencyKey = a.ID
	}
	now := l.Now()
	a.State, a.CreatedAt, a.UpdatedAt = Pending, now, now
	a.SentAt = time.Time{}
	_, err := q.ExecContext(ctx, `INSERT INTO attempts (`+cols+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, NULL)`,
		a.ID, a.Room, a.RecordType, a.RecordID, a.Operation, a.IdempotencyKey, string(a.State),
		a.ProviderCode, a.ProviderMessage, a.RequestSummary, a.ResponseSummary, a.CreatedAt, a.UpdatedAt)
	if err != nil {
		return a, fmt.Errorf("attempt: begin %s %s %s: %w", a.Operation, a.RecordType, a.RecordID, err)
	}
	return a, nil
}

// MarkSending moves the attempt pending → sending just before the call and reports whether it
// did. When it did not, the janitor (or another process) has settled the attempt: the caller
// must not make the call.
func (l *Log) MarkSending(ctx context.Context, q db.Querier, id string) (bool, error) {
	now := l.Now()
	res, err := q.ExecContext(ctx, `UPDATE attempts SET state = 'sending', sent_at = ?, updated_at = ?
		WHERE id = ? AND state = 'pending'`, now, now, id)
	if err != nil {
		return false, fmt.Errorf("attempt: mark %s sending: %w", id, err)
	}
	n, err := res.RowsAffected()
	return n == 1, err
}

// CodeNotSent is the provider code of an attempt the janitor failed because it was still
// pending: the call never left and, MarkSending being conditional, never will.
const CodeNotSent = "not_sent"

// Abandon fails a pending attempt (code CodeNotSent) and reports whether it did; an attempt in
// any other state is left alone.
func (l *Log) Abandon(ctx context.Context, q db.Querier, id, why string) (bool, error) {
	res, err := q.ExecContext(ctx, `UPDATE attempts SET state = 'failed', provider_code = ?, provider_message = ?, updated_at = ?
		WHERE id = ? AND state = 'pending'`, CodeNotSent, trim(why, 500), l.Now(), id)
	if err != nil {
		return false, fmt.Errorf("attempt: abandon %s: %w", id, err)
	}
	n, err := res.RowsAffected()
	return n == 1, err
}

// Overturn records the provider's own success answer on an attempt that was failed without it
// (the janitor concluded it never arrived, then the sender's answer came). It reports whether
// it changed the attempt; only a failed attempt changes.
func (l *Log) Overturn(ctx context.Context, q db.Querier, id string, o Outcome) (bool, error) {
	if o.State != Succeeded {
		return false, fmt.Errorf("attempt: overturn %s: only with a success answer, not %q", id, o.State)
	}
	res, err := q.ExecContext(ctx, `UPDATE attempts SET state = 'succeeded', provider_code = ?, provider_message = ?,
		response_summary = ?, updated_at = ? WHERE id = ? AND state = 'failed'`,
		trim(o.Code, 64), trim("遅れて届いた応答: "+o.Message, 500), trim(o.Response, 1000), l.Now(), id)
	if err != nil {
		return false, fmt.Errorf("attempt: overturn %s: %w", id, err)
	}
	n, err := res.RowsAffected()
	return n == 1, err
}

// Finish records o for the attempt id. Only a pending, sending or unknown attempt changes; a
// settled one gives ErrSettled. Finishing with Unknown keeps the attempt open for the janitor.
func (l *Log) Finish(ctx context.Context, q db.Querier, id string, o Outcome) (Attempt, error) {
	switch o.State {
	case Succeeded, Failed, Unknown:
	default:
		return Attempt{}, fmt.Errorf("attempt: finish %s: invalid outcome state %q", id, o.State)
	}
	res, err := q.ExecContext(ctx, `UPDATE attempts SET state = ?, provider_code = ?, provider_message = ?,
		response_summary = ?, updated_at = ? WHERE id = ? AND state IN ('pending', 'sending', 'unknown')`,
		string(o.State), trim(o.Code, 64), trim(o.Message, 500), trim(o.Response, 1000), l.Now(), id)
	if err != nil {
		return Attempt{}, fmt.Errorf("attempt: finish %s: %w", id, err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		if _, err := l.Get(ctx, q, id); err != nil {
			return Attempt{}, err
		}
		return Attempt{}, ErrSettled
	}
	return l.Get(ctx, q, id)
}

// Get returns the attempt id, or db.ErrNotFound.
func (l *Log) Get(ctx context.Context, q db.Querier, id string) (Attempt, error) {
	a, err := scan(q.QueryRowContext(ctx, `SELECT `+cols+` FROM attempts WHERE id = ?`, id))
	if err != nil {
		return a, fmt.Errorf("attempt %s: %w", id, db.NotFound(err))
	}
	return a, nil
}

// ForRecord lists a record's attempts, oldest first.
func (l *Log) ForRecord(ctx context.Context, q db.Querier, recordType, recordID string) ([]Attempt, error) {
	return list(ctx, q, `SELECT `+cols+` FROM attempts WHERE record_type = ? AND record_id = ? ORDER BY created_at, id`, recordType, recordID)
}

// Open lists attempts that need the janitor: unknown ones, and pending or sending ones not
// touched since staleBefore (their process most likely died). Least recently touched first.
func (l *Log) Open(ctx context.Context, q db.Querier, staleBefore time.Time, limit int) ([]Attempt, error) {
	if limit <= 0 {
		limit = 100
	}
	return list(ctx, q, `SELECT `+cols+` FROM attempts
		WHERE state = 'unknown' OR (state IN ('pending', 'sending') AND updated_at < ?)
		ORDER BY updated_at, id LIMIT ?`, staleBefore.UTC(), limit)
}

// MarkUnknown turns a stale sending attempt into unknown, so pages show that kessai is asking
// the provider. It does nothing to an attempt in any other state.
func (l *Log) MarkUnknown(ctx context.Context, q db.Querier, id, why string) error {
	_, err := q.ExecContext(ctx, `UPDATE attempts SET state = 'unknown', provider_message = ?, updated_at = ?
		WHERE id = ? AND state = 'sending'`, trim(why, 500), l.Now(), id)
	if err != nil {
		return fmt.Errorf("attempt: mark %s unknown: %w", id, err)
	}
	return nil
}

// Touch marks an unknown attempt as just checked, which sends it to the back of Open's order.
func (l *Log) Touch(ctx context.Context, q db.Querier, id string) error {
	if _, err := q.ExecContext(ctx, `UPDATE attempts SET updated_at = ? WHERE id = ? AND state = 'unknown'`, l.Now(), id); err != nil {
		return fmt.Errorf("attempt: touch %s: %w", id, err)
	}
	return nil
}

type rowScanner interface{ Scan(...any) error }

func scan(r rowScanner) (Attempt, error) {
	var a Attempt
	var st string
	var sent sql.NullTime
	err := r.Scan(&a.ID, &a.Room, &a.RecordType, &a.RecordID, &a.Operation, &a.IdempotencyKey, &st,
		&a.ProviderCode, &a.ProviderMessage, &a.RequestSummary, &a.ResponseSummary, &a.CreatedAt, &a.UpdatedAt, &sent)
	a.State = State(st)
	if sent.Valid {
		a.SentAt = sent.Time.UTC()
	}
	a.CreatedAt, a.UpdatedAt = a.CreatedAt.UTC(), a.UpdatedAt.UTC()
	return a, err
}

func list(ctx context.Context, q db.Querier, query string, args ...any) ([]Attempt, error) {
	rows, err := q.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, fmt.Errorf("attempt: list: %w", err)
	}
	defer rows.Close()
	var out []Attempt
	for rows.Next() {
		a, err := scan(rows)
		if err != nil {
			return nil, fmt.Errorf("attempt: list: %w", err)
		}
		out = append(out, a)
	}
	if err := rows.Err(); err != nil && !errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("attempt: list: %w", err)
	}
	return out, nil
}

// trim cuts s to at most n bytes on a rune boundary, so a provider's long message never fails
// the write that records it.
func trim(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !isRuneStart(s[n]) {
		n--
	}
	return s[:n]
}

func isRuneStart(b byte) bool { return b&0xC0 != 0x80 }
