package commerce

import (
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"time"

	"golang.org/x/text/unicode/norm"

	"kessai/internal/platform/clock"
	"kessai/internal/platform/errs"
	"kessai/internal/platform/jpcsv"
	"kessai/internal/platform/logs"
	"kessai/internal/platform/status"
)

// CSV import and export of the shared records. Imports are all-or-nothing: every row is
// validated first and every problem reported with its row (as Excel numbers it) and column;
// nothing is written unless the whole file is good, and then everything is written in one
// transaction. Files may be CP932 or UTF-8 (with or without a BOM). Exports are CP932 with CRLF
// unless another encoding is asked for, and offer templates: 標準 (every column, in the import
// format, so an export can be edited and imported again) and a short one per record type.
//
// Callers limit the size of what they pass in (http.MaxBytesReader): files are read whole.

// ImportResult says what an import did.
type ImportResult struct {
	Encoding string       `json:"encoding"` // utf-8 or cp932, as detected
	Rows     int          `json:"rows"`     // data rows read
	Created  int          `json:"created"`  // records created (orders: one per 受注キー)
	IDs      []string     `json:"ids"`
	Codes    []string     `json:"codes"` // their human numbers, in file order (the first maxListed)
	LastCode string       `json:"-"`     // the last record's number, listed or not
	Errors   jpcsv.Errors `json:"errors,omitempty"`
}

// ExportTemplate describes an export layout for a form's menu.
type ExportTemplate struct {
	ID      string   `json:"id"`
	Name    string   `json:"name"`
	Columns []string `json:"columns"`
}

func describe[T any](ts jpcsv.Templates[T]) []ExportTemplate {
	out := make([]ExportTemplate, len(ts))
	for i, t := range ts {
		out[i] = ExportTemplate{ID: t.ID, Name: t.Name, Columns: t.Header()}
	}
	return out
}

// TemplateStandard is the ID of the every-column template of each record type.
const TemplateStandard = "standard"

func findTemplate[T any](ts jpcsv.Templates[T], id string) (jpcsv.Template[T], error) {
	if id == "" {
		id = TemplateStandard
	}
	t, ok := ts.Find(id)
	if !ok {
		ids := make([]string, len(ts))
		for i, t := range ts {
			ids[i] = t.ID + "（" + t.Name + "）"
		}
		return t, errs.Invalid("出力テンプレート「"+id+"」はありません").Field("template", "使えるテンプレート: "+strings.Join(ids, "、"))
	}
	return t, nil
}

func encodingOf(enc []jpcsv.Encoding) jpcsv.Encoding {
	if len(enc) > 0 {
		return enc[0]
	}
	return jpcsv.CP932
}

// importError turns row errors into an errs.Invalid (so the web layer answers 422) that still
// unwraps to the jpcsv.Errors with every row.
func importError(res ImportResult, err error, header []string) (ImportResult, error) {
	var es jpcsv.Errors
	if errors.As(err, &es) {
		// Within a row, errors follow the file's column order.
		pos := map[string]int{}
		for i, h := range header {
			pos[h] = i + 1
		}
		slices.SortStableFunc(es, func(a, b jpcsv.RowError) int {
			if a.Row != b.Row {
				return a.Row - b.Row
			}
			return pos[a.Column] - pos[b.Column]
		})
		res.Errors = es
		return res, errs.Invalid(fmt.Sprintf("CSVに%d件のエラーがあります（%d行）。ファイルを直してから、もう一度取り込んでください。何も登録していません", len(es), len(es.Rows()))).Wrap(es)
	}
	var re jpcsv.RowError
	if errors.As(err, &re) {
		res.Errors = jpcsv.Errors{re}
		return res, errs.Invalid(re.Error() + "。何も登録していません").Wrap(res.Errors)
	}
	return res, err
}

// openCSV reads the header and checks the required columns.
func openCSV(r io.Reader, required ...string) (*jpcsv.Reader, ImportResult, error) {
	rd, err := jpcsv.NewReader(r)
	if err != nil {
		res, err := importError(ImportResult{}, err, nil)
		return nil, res, err
	}
	res := ImportResult{Encoding: rd.Encoding().String()}
	if err := rd.Require(required...); err != nil {
		res, err := importError(res, err, rd.Header())
		return nil, res, err
	}
	return rd, res, nil
}

// cellText normalises a cell: full-width digits and letters become half-width (NFKC) only where
// a caller asks; here only trimming.
func cellText(rec jpcsv.Record, col string) string { return strings.TrimSpace(rec.Get(col)) }

// cellInt reads a yen amount or a count: "1,000", "￥1,000", "1000円" and full-width digits are
// accepted. Empty is 0.
// analyzeAfter is the import size after which the planner's statistics are refreshed: a big
// load can change which index a list should use.
const analyzeAfter = 10_000

// afterImport refreshes the statistics of tables after a large import. A failure only costs
// plan quality, so it is logged, not returned: the import itself has committed.
func (s *Store) afterImport(ctx context.Context, n int, tables ...string) {
	if n < analyzeAfter {
		return
	}
	if err := s.db.AnalyzeTables(ctx, tables...); err != nil {
		logs.From(ctx).WarnContext(ctx, "analyze after import", "tables", tables, "err", err)
	}
}

// numberMarks are what people write around a number in a sheet (1,000円, ¥500, 10%); one
// replacer for every cell (building one per cell was a tenth of an import's CPU).
var numberMarks = strings.NewReplacer(",", "", "¥", "", "円", "", "\\", "", "%", "")

func cellInt(c *jpcsv.Collector, rec jpcsv.Record, col string) int64 {
	v := strings.TrimSpace(norm.NFKC.String(rec.Get(col)))
	v = numberMarks.Replace(v)
	if v == "" {
		return 0
	}
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil {
		c.Add(rec.Error(col, "整数で入力してください（例: "+intExample(col)+"）"))
		return 0
	}
	return n
}

// intExample is the example a bad number's message gives: a count for a count, a rate for a
// rate, an amount otherwise.
func intExample(col string) string {
	switch col {
	case colItemCount, colQuantity:
		return "3"
	case colTaxRate:
		return "10"
	case colCycleMonths:
		return "1"
	}
	return "12000"
}

// cellDate reads a date written 2026-04-01, 2026/4/1 (as Excel writes it) or in full-width.
func cellDate(c *jpcsv.Collector, rec jpcsv.Record, col string) string {
	v := strings.TrimSpace(norm.NFKC.String(rec.Get(col)))
	if v == "" {
		return ""
	}
	if d, ok := normDate(v); ok {
		return d
	}
	c.Add(rec.Error(col, "日付は 2026-04-01 か 2026/4/1 の形の実在する日付で入力してください"))
	return ""
}

func normDate(v string) (string, bool) {
	parts := strings.FieldsFunc(v, func(r rune) bool { return r == '-' || r == '/' })
	if len(parts) != 3 || len(parts[0]) != 4 {
		return "", false
	}
	d := parts[0] + "-" + pad2(parts[1]) + "-" + pad2(parts[2])
	return d, validDate(d)
}

func pad2(s string) string {
	if len(s) == 1 {
		return "0" + s
	}
	return s
}

// cellDateTime reads a JST date and time (2026-04-01 10:30, 2026/4/1 9:30:15, or a date alone
// for 0:00). Empty gives the zero time.
func cellDateTime(c *jpcsv.Collector, rec jpcsv.Record, col string) time.Time {
	v := strings.TrimSpace(norm.NFKC.String(rec.Get(col)))
	if v == "" {
		return time.Time{}
	}
	if t, ok := parseJSTDateTime(v); ok {
		return t
	}
	c.Add(rec.Error(col, "日時は 2026-04-01 10:30 の形（日本時間）で入力してください"))
	return time.Time{}
}

func parseJSTDateTime(v string) (time.Time, bool) {
	datePart, timePart, _ := strings.Cut(v, " ")
	d, ok := normDate(datePart)
	if !ok {
		return time.Time{}, false
	}
	day, _ := time.ParseInLocation(dateLayout, d, clock.JST)
	timePart = strings.TrimSpace(timePart)
	if timePart == "" {
		return day.UTC(), true
	}
	parts := strings.Split(timePart, ":")
	if len(parts) < 2 || len(parts) > 3 {
		return time.Time{}, false
	}
	limits := []int{23, 59, 59}
	var hms [3]int
	for i, p := range parts {
		n, err := strconv.Atoi(p)
		if err != nil || n < 0 || n > limits[i] {
			return time.Time{}, false
		}
		hms[i] = n
	}
	return day.Add(time.Duration(hms[0])*time.Hour + time.Duration(hms[1])*time.Minute + time.Duration(hms[2])*time.Second).UTC(), true
}

// cellCode reads a status column given as its code or its Japanese label.
func cellCode(c *jpcsv.Collector, rec jpcsv.Record, col string, set *status.Set, def string) string {
	v := strings.TrimSpace(rec.Get(col))
	if v == "" {
		return def
	}
	if set.Valid(v) {
		return v
	}
	for _, st := range set.All() {
		if st.Label == v {
			return st.Code
		}
	}
	var labels []string
	for _, st := range set.All() {
		labels = append(labels, st.Label)
	}
	c.Add(rec.Error(col, "使える値は "+strings.Join(labels, "・")+" です"))
	return ""
}

// reportedCells is where c already has an error: row → column → true.
func reportedCells(c *jpcsv.Collector) map[int]map[string]bool {
	out := map[int]map[string]bool{}
	var es jpcsv.Errors
	if errors.As(c.Err(), &es) {
		for _, e := range es {
			if out[e.Row] == nil {
				out[e.Row] = map[string]bool{}
			}
			out[e.Row][e.Column] = true
		}
	}
	return out
}

// fieldErrors turns a validation error's fields into row errors, naming the CSV columns. It is
// called even when some cells could not be read, so that every problem of a row shows at once;
// a column that already has an error is not reported again (an unknown 店舗コード would
// otherwise also be 「店舗を入力してください」).
func fieldErrors(c *jpcsv.Collector, rec jpcsv.Record, err error, columns map[string]string) {
	e := errs.As(err)
	if e == nil || len(e.Fields) == 0 {
		c.AddErr(rec.Row, err)
		return
	}
	seen := reportedCells(c)[rec.Row]
	keys := make([]string, 0, len(e.Fields))
	for k := range e.Fields {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		col := columns[k]
		if seen[col] {
			continue
		}
		if col == "" {
			c.Add(jpcsv.RowError{Row: rec.Row, Message: e.Fields[k]})
			continue
		}
		c.Add(rec.Error(col, e.Fields[k]))
	}
}

// codeMaps resolves the shop and customer codes a file refers to.
func (s *Store) codeMaps(ctx context.Context) (shops, customers map[string]string, err error) {
	shops, customers = map[string]string{}, map[string]string{}
	for _, m := range []struct {
		table string
		into  map[string]string
	}{{"shops", shops}, {"customers", customers}} {
		rows, err := s.db.QueryContext(ctx, `SELECT code, id FROM `+m.table)
		if err != nil {
			return nil, nil, fmt.Errorf("codes of %s: %w", m.table, err)
		}
		for rows.Next() {
			var code, id string
			if err := rows.Scan(&code, &id); err != nil {
				rows.Close()
				return nil, nil, err
			}
			m.into[code] = id
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return nil, nil, err
		}
	}
	return shops, customers, nil
}

func lookupCode(c *jpcsv.Collector, rec jpcsv.Record, col string, m map[string]string, what string, required bool) string {
	v := strings.TrimSpace(rec.Get(col))
	if v == "" {
		if required {
			c.Add(rec.Error(col, what+"を入力してください"))
		}
		return ""
	}
	id, ok := m[v]
	if !ok {
		c.Add(rec.Error(col, what+"「"+v+"」が登録されていません"))
	}
	return id
}

func yen(n int64) string { return strconv.FormatInt(n, 10) }

func col[T any](header string, value func(T) string) jpcsv.Column[T] {
	return jpcsv.Column[T]{Header: header, Value: value}
}
