package commerce

import (
	"context"
	"fmt"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"kessai/internal/platform/clock"
	"kessai/internal/platform/db"
	"kessai/internal/platform/errs"
	"kessai/internal/platform/status"
)

// Paging defaults for the Search methods.
const (
	DefaultPerPage = 50
	MaxPerPage     = 1000
)

// Sort is one sort order a list page offers: Key goes into the URL (sort=-confirmed_on).
type Sort struct {
	Key   string
	Label string
	sql   string
}

// SortOption is what a list page shows in its sort menu.
type SortOption struct {
	Key   string `json:"key"`
	Label string `json:"label"`
}

func sortOptions(sorts []Sort) []SortOption {
	out := make([]SortOption, len(sorts))
	for i, s := range sorts {
		out[i] = SortOption{Key: s.Key, Label: s.Label}
	}
	return out
}

func findSort(sorts []Sort, key string) (Sort, bool) {
	for _, s := range sorts {
		if s.Key == key {
			return s, true
		}
	}
	return Sort{}, false
}

// queryReader reads filter parameters and collects every problem, so a bad URL gets one
// message per parameter.
type queryReader struct {
	v url.Values
	f errs.Fields
}

func newQueryReader(v url.Values) *queryReader { return &queryReader{v: v, f: errs.Fields{}} }

func (q *queryReader) str(key string) string { return strings.TrimSpace(q.v.Get(key)) }

// list reads a repeatable parameter; each value may also be comma-separated.
func (q *queryReader) list(key string) []string {
	var out []string
	for _, v := range q.v[key] {
		for _, p := range strings.Split(v, ",") {
			if p = strings.TrimSpace(p); p != "" && !slices.Contains(out, p) {
				out = append(out, p)
			}
		}
	}
	return out
}

func (q *queryReader) codes(key string, set *status.Set) []string {
	vals := q.list(key)
	for _, v := range vals {
		if !set.Valid(v) {
			q.f.Add(key, fmt.Sprintf("%sに「%s」はありません。使える値: %s", set.Name(), v, codesAndLabels(set)))
		}
	}
	return vals
}

func (q *queryReader) code(key string, set *status.Set) string {
	v := q.str(key)
	if v != "" && !set.Valid(v) {
		q.f.Add(key, fmt.Sprintf("%sに「%s」はありません。使える値: %s", set.Name(), v, codesAndLabels(set)))
	}
	return v
}

func (q *queryReader) date(key, label string) string {
	v := q.str(key)
	if v != "" && !validDate(v) {
		q.f.Add(key, label+"はYYYY-MM-DDの形の実在する日付で指定してください（例: 2026-04-01）")
	}
	return v
}

func (q *queryReader) amount(key, label string) *int64 {
	v := strings.ReplaceAll(q.str(key), ",", "")
	if v == "" {
		return nil
	}
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil || n < 0 {
		q.f.Add(key, label+"は0以上の整数（円）で指定してください")
		return nil
	}
	return &n
}

func (q *queryReader) boolean(key, label string) *bool {
	switch strings.ToLower(q.str(key)) {
	case "":
		return nil
	case "1", "true", "yes", "on":
		t := true
		return &t
	case "0", "false", "no", "off":
		f := false
		return &f
	}
	q.f.Add(key, label+"は true か false で指定してください")
	return nil
}

func (q *queryReader) sort(key string, sorts []Sort) string {
	v := q.str(key)
	if v == "" {
		return ""
	}
	if _, ok := findSort(sorts, v); !ok {
		keys := make([]string, len(sorts))
		for i, s := range sorts {
			keys[i] = s.Key
		}
		q.f.Add(key, "並び順は "+strings.Join(keys, "、")+" のいずれかで指定してください")
	}
	return v
}

func (q *queryReader) dateRange(fromKey, toKey, from, to, label string) {
	if from != "" && to != "" && validDate(from) && validDate(to) && from > to {
		q.f.Add(toKey, label+"の終わりは始まり以降の日付にしてください")
	}
}

func (q *queryReader) err() error {
	if len(q.f) == 0 {
		return nil
	}
	return &errs.Error{Kind: errs.KindInvalid, Message: "検索条件を確認してください", Fields: q.f}
}

// queryWriter builds url.Values from non-empty filter fields.
type queryWriter url.Values

func (w queryWriter) str(key, v string) {
	if v != "" {
		url.Values(w).Set(key, v)
	}
}

func (w queryWriter) list(key string, vs []string) {
	for _, v := range vs {
		url.Values(w).Add(key, v)
	}
}

func (w queryWriter) amount(key string, v *int64) {
	if v != nil {
		url.Values(w).Set(key, strconv.FormatInt(*v, 10))
	}
}

func (w queryWriter) boolean(key string, v *bool) {
	if v != nil {
		url.Values(w).Set(key, strconv.FormatBool(*v))
	}
}

// where collects SQL conditions and their arguments.
type where struct {
	d     db.Dialect // free text is matched through the engine's own index
	conds []string
	args  []any
	// joins is set when a condition reads the customer (alias cu), so a count can skip the join
	// otherwise.
	joins bool
}

func (w *where) add(cond string, args ...any) {
	w.conds = append(w.conds, cond)
	w.args = append(w.args, args...)
}

func (w *where) in(col string, vals []string) {
	if len(vals) == 0 {
		return
	}
	args := make([]any, len(vals))
	for i, v := range vals {
		args[i] = v
	}
	w.add(col+" IN ("+db.Placeholders(len(vals))+")", args...)
}

func (w *where) sql() string {
	if len(w.conds) == 0 {
		return ""
	}
	return " WHERE " + strings.Join(w.conds, " AND ")
}

// likeEscaper escapes LIKE wildcards; conditions use ESCAPE '\' so both engines agree.
var likeEscaper = strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`)

func contains(s string) string { return "%" + likeEscaper.Replace(s) + "%" }

const escape = ` ESCAPE '\'`

// customerText adds a condition matching free text against a customer's name, kana, code, email
// and phone, case-insensitively and with hiragana found as katakana. On SQLite a text of three
// characters or more is looked up in customers_fts (FTS5 trigram: substring matches from an
// index); on PostgreSQL the same LIKEs are answered by pg_trgm GIN indexes on each expression.
func (w *where) customerText(alias, text string) {
	if text == "" {
		return
	}
	w.joins = true
	lowerText := strings.ToLower(text)
	kanaText := normalizeKanaName(text)
	phoneText := strings.ReplaceAll(normalizePhone(text), "-", "")
	if q, ok := trigramQuery(lowerText, kanaText, phoneText); ok && w.d == db.SQLite {
		w.add(alias+`.id IN (SELECT id FROM customers_fts WHERE customers_fts MATCH ?)`, q)
		return
	}
	lower := contains(lowerText)
	w.add(`(LOWER(`+alias+`.name) LIKE ?`+escape+` OR `+alias+`.name_kana LIKE ?`+escape+
		` OR LOWER(`+alias+`.code) LIKE ?`+escape+` OR LOWER(`+alias+`.email) LIKE ?`+escape+
		` OR REPLACE(`+alias+`.phone, '-', '') LIKE ?`+escape+`)`,
		lower, contains(kanaText), lower, lower, contains(phoneText))
}

// trigramQuery is an FTS5 query matching any of terms as a substring: each becomes a quoted
// phrase, which the trigram tokenizer matches anywhere in a value. It is false when a term is
// shorter than a trigram (the index cannot answer it; the LIKEs scan instead).
func trigramQuery(terms ...string) (string, bool) {
	var parts []string
	for _, t := range terms {
		if utf8.RuneCountInString(t) < 3 {
			return "", false
		}
		p := `"` + strings.ReplaceAll(t, `"`, `""`) + `"`
		if !slices.Contains(parts, p) {
			parts = append(parts, p)
		}
	}
	return strings.Join(parts, " OR "), true
}

// customerIn matches records whose customer (column col) matches text as customerText does. The
// customers are found first, so the records are then read by the customer index, not scanned.
func (w *where) customerIn(col, text string) {
	if text == "" {
		return
	}
	sub := &where{d: w.d}
	sub.customerText("cu", text)
	w.add(col+" IN (SELECT cu.id FROM customers cu"+sub.sql()+")", sub.args...)
}

// pageBounds turns page (1-based) and perPage into LIMIT and OFFSET.
func pageBounds(page, perPage int) (limit, offset int) {
	if perPage <= 0 {
		perPage = DefaultPerPage
	}
	perPage = min(perPage, MaxPerPage)
	page = max(page, 1)
	return perPage, (page - 1) * perPage
}

// jstDayStart is 00:00 JST of the date d (YYYY-MM-DD), in UTC.
func jstDayStart(d string) time.Time {
	t, _ := time.ParseInLocation(dateLayout, d, clock.JST)
	return t.UTC()
}

// CountLimit bounds the totals of the list searches: a count stops at CountLimit+1 matches, so
// it reads at most that many index entries however large the table, and a total above
// CountLimit means "more than CountLimit" (shown as 「10,000件以上」).
const CountLimit = 10_000

// countBounded counts the rows of `SELECT 1`+from+w up to CountLimit+1.
func countBounded(ctx context.Context, q db.Querier, from string, w *where) (int, error) {
	var n int
	err := q.QueryRowContext(ctx, `SELECT COUNT(*) FROM (SELECT 1`+from+w.sql()+` LIMIT ?) AS capped`,
		append(w.args, CountLimit+1)...).Scan(&n)
	return n, err
}

// keyset is a Sort's ORDER BY split into its columns, when every column is of the base table
// (alias.) and all go one way: then the page after record id is
// `(cols) < (SELECT cols FROM table alias WHERE alias.id = ?)` (> ascending), which an index on
// the columns answers without reading the rows before it, however deep the page.
func (s Sort) keyset(alias, table string) (cond string, ok bool) {
	var cols []string
	desc := -1
	for _, part := range strings.Split(s.sql, ",") {
		f := strings.Fields(part)
		if len(f) == 0 || len(f) > 2 || !strings.HasPrefix(f[0], alias+".") {
			return "", false
		}
		d := 0
		if len(f) == 2 {
			if !strings.EqualFold(f[1], "DESC") {
				return "", false
			}
			d = 1
		}
		if desc >= 0 && d != desc {
			return "", false
		}
		desc = d
		cols = append(cols, f[0])
	}
	op := ">"
	if desc == 1 {
		op = "<"
	}
	list := strings.Join(cols, ", ")
	return "(" + list + ") " + op + " (SELECT " + list + " FROM " + table + " " + alias + " WHERE " + alias + ".id = ?)", true
}

// pageOf returns the conditions and the ORDER BY/LIMIT tail of one page of a search: after a
// record ID (keyset, when the sort allows it) or by page number. A numbered page past the
// first skips its offset inside a subquery that reads only the sort's index (SQLite's rowid,
// PostgreSQL's id) from the minimal from, so the skipped rows are never joined or read whole.
func pageOf(d db.Dialect, w *where, s Sort, alias, table, from, after string, page, perPage int) (*where, string, []any) {
	limit, offset := pageBounds(page, perPage)
	if after != "" {
		if cond, ok := s.keyset(alias, table); ok {
			w.add(cond, after)
			offset = 0
		}
	}
	if offset == 0 {
		return w, " ORDER BY " + s.sql + " LIMIT ?", []any{limit}
	}
	key := alias + ".id"
	if d == db.SQLite {
		key = alias + ".rowid"
	}
	outer := &where{}
	outer.add(key+" IN (SELECT "+key+from+w.sql()+" ORDER BY "+s.sql+" LIMIT ? OFFSET ?)", append(w.args, limit, offset)...)
	return outer, " ORDER BY " + s.sql, nil
}

// KeysetSort reports whether the sort key of a list (orders, cases, customers) can page by
// after=ID; the others page by number only.
func KeysetSort(sorts []Sort, key, alias, table string) bool {
	s, ok := findSort(sorts, key)
	if !ok && len(sorts) > 0 {
		s = sorts[0]
	}
	_, ok = s.keyset(alias, table)
	return ok
}
