package jpcsv

import "io"

// Column is one column of an export: its header and how to get its value from a row.
type Column[T any] struct {
	Header string
	Value  func(T) string
}

// Template is a named set of columns a list page offers for export (for example 「標準」 and
// 「会計ソフト用」).
type Template[T any] struct {
	ID      string // stable, used in URLs and settings
	Name    string // shown to people
	Columns []Column[T]
}

// Header returns the column headers in order.
func (t Template[T]) Header() []string {
	h := make([]string, len(t.Columns))
	for i, c := range t.Columns {
		h[i] = c.Header
	}
	return h
}

// Rows turns items into CSV rows.
func (t Template[T]) Rows(items []T) [][]string {
	rows := make([][]string, len(items))
	for i, it := range items {
		row := make([]string, len(t.Columns))
		for j, c := range t.Columns {
			row[j] = c.Value(it)
		}
		rows[i] = row
	}
	return rows
}

// Row turns one item into its CSV fields.
func (t Template[T]) Row(it T) []string {
	row := make([]string, len(t.Columns))
	for j, c := range t.Columns {
		row[j] = c.Value(it)
	}
	return row
}

// Write exports items through the template with WriteAll: everything or nothing.
func (t Template[T]) Write(w io.Writer, enc Encoding, items []T) error {
	return WriteAll(w, enc, t.Header(), t.Rows(items))
}

// Templates is the list of export templates a page offers, in menu order.
type Templates[T any] []Template[T]

// Find returns the template with the given ID.
func (ts Templates[T]) Find(id string) (Template[T], bool) {
	for _, t := range ts {
		if t.ID == id {
			return t, true
		}
	}
	return Template[T]{}, false
}
