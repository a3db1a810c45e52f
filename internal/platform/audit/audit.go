// Package audit records who did what, when: every state change by a person, an API key or a
// job, with the record it touched and its state before and after. Entries are written in the
// same transaction as the change they describe, so the log never claims a change that was rolled
// back and never misses one that was committed.
package audit

import (
	"context"
	"embed"
	"encoding/json"
	"fmt"
	"time"

	"kessai/internal/platform/auth"
	"kessai/internal/platform/db"
)

//go:embed migrations
var migrationsFS embed.FS

// Migrations creates the audit_log table.
var Migrations = db.Migrations{Module: "audit", FS: migrationsFS}

// Entry is one change. Before and After are any JSON-encodable values (a struct or a map of the
// fields that changed); nil means "did not exist" (create) or "no longer exists" (delete).
type Entry struct {
	Action     string // stable code, e.g. "case.create", "transfer.execute", "user.login"
	RecordType string // e.g. "purchase_case"
	RecordID   string
	Before     any
	After      any
	Note       string // free text, e.g. a reason
}

// RequestIDFunc extracts the request ID from a context (set by the web layer); nil-safe.
type RequestIDFunc func(context.Context) string

// Log writes entries. It has no state beyond how to stamp them.
type Log struct {
	Now       func() time.Time
	RequestID RequestIDFunc
}

// Record writes e in q (pass the transaction of the change), attributed to the principal of
// ctx, or to "system" when there is none.
func (l *Log) Record(ctx context.Context, q db.Querier, e Entry) error {
	p := auth.FromContext(ctx)
	if p == nil {
		p = auth.System("system")
	}
	before, err := encode(e.Before)
	if err != nil {
		return fmt.Errorf("audit %s %s: encode before: %w", e.Action, e.RecordID, err)
	}
	after, err := encode(e.After)
	if err != nil {
		return fmt.Errorf("audit %s %s: encode after: %w", e.Action, e.RecordID, err)
	}
	rid := ""
	if l.RequestID != nil {
		rid = l.RequestID(ctx)
	}
	now := time.Now().UTC()
	if l.Now != nil {
		now = l.Now().UTC()
	}
	_, err = q.ExecContext(ctx, `INSERT INTO audit_log
		(id, at, actor_kind, actor_id, actor_name, action, record_type, record_id, before_json, after_json, note, request_id)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		db.NewID("aud"), now, string(p.Kind), p.ID, p.Name, e.Action, e.RecordType, e.RecordID, before, after, e.Note, rid)
	if err != nil {
		return fmt.Errorf("audit %s %s: %w", e.Action, e.RecordID, err)
	}
	return nil
}

// RecordAll writes entries like Record, many rows a statement: an import of 100,000 records
// makes 500 round trips for its log, not 100,000 (each with its statement prepared again).
func (l *Log) RecordAll(ctx context.Context, q db.Querier, entries []Entry) error {
	p := auth.FromContext(ctx)
	if p == nil {
		p = auth.System("system")
	}
	rid := ""
	if l.RequestID != nil {
		rid = l.RequestID(ctx)
	}
	now := time.Now().UTC()
	if l.Now != nil {
		now = l.Now().UTC()
	}
	// Encoded first, so that a value that cannot be encoded stops before anything is written;
	// then one COPY on PostgreSQL or multi-row INSERTs on SQLite.
	rows := make([][]any, len(entries))
	for i, e := range entries {
		before, err := encode(e.Before)
		if err != nil {
			return fmt.Errorf("audit %s %s: encode before: %w", e.Action, e.RecordID, err)
		}
		after, err := encode(e.After)
		if err != nil {
			return fmt.Errorf("audit %s %s: encode after: %w", e.Action, e.RecordID, err)
		}
		rows[i] = []any{db.NewID("aud"), now, string(p.Kind), p.ID, p.Name, e.Action, e.RecordType, e.RecordID, before, after, e.Note, rid}
	}
	err := db.InsertRows(ctx, q, "audit_log", auditColumns, len(rows), func(i int) []any { return rows[i] })
	if err != nil {
		return fmt.Errorf("audit %d entries: %w", len(rows), err)
	}
	return nil
}

var auditColumns = []string{"id", "at", "actor_kind", "actor_id", "actor_name", "action", "record_type", "record_id",
	"before_json", "after_json", "note", "request_id"}

func encode(v any) (string, error) {
	if v == nil {
		return "", nil
	}
	b, err := json.Marshal(v)
	return string(b), err
}
