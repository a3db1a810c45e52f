package commerce

import (
	"fmt"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"kessai/internal/platform/clock"
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
	w.add(col+" IN ("+placeholders(len(vals))+")", args...)
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
// and phone, case-insensitively and with hiragana found as katakana.
func (w *where) customerText(alias, text string) {
	if text == "" {
		return
	}
	w.joins = true
	lower := contains(strings.ToLower(text))
	kanaText := contains(normalizeKanaName(text))
	phone := contains(strings.ReplaceAll(normalizePhone(text), "-", ""))
	w.add(`(LOWER(`+alias+`.name) LIKE ?`+escape+` OR `+alias+`.name_kana LIKE ?`+escape+
		` OR LOWER(`+alias+`.code) LIKE ?`+escape+` OR LOWER(`+alias+`.email) LIKE ?`+escape+
		` OR REPLACE(`+alias+`.phone, '-', '') LIKE ?`+escape+`)`,
		lower, kanaText, lower, lower, phone)
}

// customerIn matches records whose customer (column col) matches text as customerText does. The
// customers are found first, so the records are then read by the customer index, not scanned.
func (w *where) customerIn(col, text string) {
	if text == "" {
		return
	}
	sub := &where{}
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
