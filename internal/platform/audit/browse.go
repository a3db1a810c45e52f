package audit

import (
	"context"
	"encoding/json"
	"fmt"
	"sort"
	"strings"
	"time"

	"kessai/internal/platform/auth"
	"kessai/internal/platform/clock"
	"kessai/internal/platform/db"
	"kessai/internal/platform/errs"
)

// RecordEvent writes an auth.Event; the app hands it to auth.Service, which cannot import this
// package.
func (l *Log) RecordEvent(ctx context.Context, q db.Querier, e auth.Event) error {
	return l.Record(ctx, q, Entry(e))
}

// Record is one stored entry.
type Record struct {
	ID         string
	At         time.Time
	ActorKind  string
	ActorID    string
	ActorName  string
	Action     string
	RecordType string
	RecordID   string
	Before     string // JSON, "" when none
	After      string
	Note       string
	RequestID  string
}

// Filter selects entries. Empty fields match everything.
type Filter struct {
	Actor      string // part of the actor's name, or the actor's exact ID
	Action     string // exact action, or a prefix ending in "." ("user.")
	RecordType string
	RecordID   string
	From, To   string // JST business dates YYYY-MM-DD, both inclusive
	Limit      int    // default 50
	Offset     int
}

// List returns the entries matching f, newest first, and how many match in all.
func List(ctx context.Context, q db.Querier, f Filter) ([]Record, int, error) {
	var where []string
	var args []any
	if f.Actor != "" {
		where = append(where, `(actor_id = ? OR LOWER(actor_name) LIKE ?)`)
		args = append(args, f.Actor, "%"+likeEscape(strings.ToLower(f.Actor))+"%")
	}
	if f.Action != "" {
		if strings.HasSuffix(f.Action, ".") {
			where = append(where, `action LIKE ?`)
			args = append(args, likeEscape(f.Action)+"%")
		} else {
			where = append(where, `action = ?`)
			args = append(args, f.Action)
		}
	}
	if f.RecordType != "" {
		where = append(where, `record_type = ?`)
		args = append(args, f.RecordType)
	}
	if f.RecordID != "" {
		where = append(where, `record_id = ?`)
		args = append(args, f.RecordID)
	}
	fv := errs.Fields{}
	if f.From != "" {
		d, err := time.ParseInLocation("2006-01-02", f.From, clock.JST)
		if err != nil {
			fv.Add("from", "日付は 2026-01-31 の形で入力してください")
		} else {
			where = append(where, `at >= ?`)
			args = append(args, d.UTC())
		}
	}
	if f.To != "" {
		d, err := time.ParseInLocation("2006-01-02", f.To, clock.JST)
		if err != nil {
			fv.Add("to", "日付は 2026-01-31 の形で入力してください")
		} else {
			where = append(where, `at < ?`)
			args = append(args, d.AddDate(0, 0, 1).UTC())
		}
	}
	if err := fv.Err(); err != nil {
		return nil, 0, err
	}
	cond := ""
	if len(where) > 0 {
		cond = " WHERE " + strings.Join(where, " AND ")
	}
	var total int
	if err := q.QueryRowContext(ctx, `SELECT COUNT(*) FROM audit_log`+cond, args...).Scan(&total); err != nil {
		return nil, 0, fmt.Errorf("count audit log: %w", err)
	}
	limit := f.Limit
	if limit <= 0 {
		limit = 50
	}
	rows, err := q.QueryContext(ctx, `SELECT id, at, actor_kind, actor_id, actor_name, action, record_type, record_id,
		before_json, after_json, note, request_id FROM audit_log`+cond+` ORDER BY at DESC, id DESC LIMIT ? OFFSET ?`,
		append(args, limit, max(f.Offset, 0))...)
	if err != nil {
		return nil, 0, fmt.Errorf("list audit log: %w", err)
	}
	defer rows.Close()
	var out []Record
	for rows.Next() {
		var r Record
		if err := rows.Scan(&r.ID, &r.At, &r.ActorKind, &r.ActorID, &r.ActorName, &r.Action, &r.RecordType, &r.RecordID,
			&r.Before, &r.After, &r.Note, &r.RequestID); err != nil {
			return nil, 0, fmt.Errorf("list audit log: %w", err)
		}
		out = append(out, r)
	}
	return out, total, rows.Err()
}

// likeEscape drops % from a search term so it can't widen the match. (_ still matches any one
// character; LIKE's ESCAPE clause differs enough between the engines not to be worth it.)
func likeEscape(s string) string { return strings.ReplaceAll(s, "%", "") }

// Change is one field of an entry's before/after, for display.
type Change struct {
	Field   string // in Japanese (FieldLabel)
	Key     string // as stored
	Before  string
	After   string
	Changed bool
}

// Changes lines up Before and After field by field when both are JSON objects (or absent), and
// as one row otherwise.
func (r Record) Changes() []Change {
	before, okB := object(r.Before)
	after, okA := object(r.After)
	if !okB || !okA {
		return []Change{{Field: "値", Before: r.Before, After: r.After, Changed: r.Before != r.After}}
	}
	keys := map[string]bool{}
	for k := range before {
		keys[k] = true
	}
	for k := range after {
		keys[k] = true
	}
	var names []string
	for k := range keys {
		names = append(names, k)
	}
	sort.Strings(names)
	var out []Change
	for _, k := range names {
		b, a := show(before[k]), show(after[k])
		out = append(out, Change{Field: FieldLabel(k), Key: k, Before: b, After: a, Changed: b != a})
	}
	return out
}

func object(s string) (map[string]json.RawMessage, bool) {
	if s == "" {
		return nil, true
	}
	var m map[string]json.RawMessage
	if err := json.Unmarshal([]byte(s), &m); err != nil {
		return nil, false
	}
	return m, true
}

func show(v json.RawMessage) string {
	if v == nil {
		return ""
	}
	var s string
	if json.Unmarshal(v, &s) == nil {
		// Times are stored in UTC; people read them in JST like every time on the screens.
		if t, err := time.Parse(time.RFC3339Nano, s); err == nil && len(s) >= len("2006-01-02T15:04:05Z") {
			return t.In(clock.JST).Format("2006/01/02 15:04:05")
		}
		return s
	}
	return string(v)
}

// ActorKindLabel is the Japanese name of an actor kind.
func (r Record) ActorKindLabel() string {
	switch auth.Kind(r.ActorKind) {
	case auth.KindUser:
		return "ユーザー"
	case auth.KindAPIKey:
		return "APIキー"
	case auth.KindJob:
		return "ジョブ"
	case auth.KindSystem:
		return "システム"
	}
	return r.ActorKind
}
