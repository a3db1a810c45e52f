package jpcsv

import (
	"cmp"
	"errors"
	"fmt"
	"slices"
	"strings"
)

// RowError is a problem with one row (and usually one column) of a CSV file. Message is Japanese
// and says what to fix; Row counts as Excel does, with the header as row 1.
type RowError struct {
	Row     int
	Column  string // header name, or "" when the whole row is at fault
	Value   string // the offending value, if any
	Message string
}

func (e RowError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%d行目", e.Row)
	if e.Column != "" {
		fmt.Fprintf(&b, "「%s」", e.Column)
	}
	b.WriteString(": ")
	b.WriteString(e.Message)
	if e.Value != "" {
		fmt.Fprintf(&b, "（値: %s）", shorten(e.Value, 40))
	}
	return b.String()
}

func shorten(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n]) + "…"
}

// Errors is every RowError of a file, in row order.
type Errors []RowError

// summaryLines caps Error's output; callers show the full list from the slice itself.
const summaryLines = 10

func (es Errors) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%d件のエラーがあります。ファイルを直してから、もう一度取り込んでください", len(es))
	for i, e := range es {
		if i == summaryLines {
			fmt.Fprintf(&b, "\nほか%d件", len(es)-summaryLines)
			break
		}
		b.WriteString("\n")
		b.WriteString(e.Error())
	}
	return b.String()
}

// Unwrap exposes the row errors to errors.As and errors.Is.
func (es Errors) Unwrap() []error {
	out := make([]error, len(es))
	for i, e := range es {
		out[i] = e
	}
	return out
}

// Rows returns the distinct row numbers that have errors.
func (es Errors) Rows() []int {
	rows := make([]int, len(es))
	for i, e := range es {
		rows[i] = e.Row
	}
	slices.Sort(rows)
	return slices.Compact(rows)
}

// Collector gathers row errors while an importer validates every row. The zero value is ready to
// use.
type Collector struct {
	errs Errors
}

// Add records a problem.
func (c *Collector) Add(e RowError) { c.errs = append(c.errs, e) }

// Addf records a problem with a formatted message.
func (c *Collector) Addf(row int, column, value, format string, args ...any) {
	c.Add(RowError{Row: row, Column: column, Value: value, Message: fmt.Sprintf(format, args...)})
}

// AddErr records err against row: RowError and Errors values are kept as they are, any other
// error becomes a RowError for the whole row with err's text as the message. nil is ignored.
func (c *Collector) AddErr(row int, err error) {
	if err == nil {
		return
	}
	var es Errors
	if errors.As(err, &es) {
		c.errs = append(c.errs, es...)
		return
	}
	var re RowError
	if errors.As(err, &re) {
		c.Add(re)
		return
	}
	c.Add(RowError{Row: row, Message: err.Error()})
}

// Len is the number of problems so far.
func (c *Collector) Len() int { return len(c.errs) }

// Err returns the problems sorted by row (stable within a row), or nil if there are none.
func (c *Collector) Err() error {
	if len(c.errs) == 0 {
		return nil
	}
	out := slices.Clone(c.errs)
	slices.SortStableFunc(out, func(a, b RowError) int { return cmp.Compare(a.Row, b.Row) })
	return out
}
