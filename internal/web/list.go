package web

import (
	"net/url"
	"sort"
	"strconv"

	"kessai/internal/platform/auth"
	"kessai/internal/platform/status"
)

// List is one list page: the 詳細検索 panel, the result count, paging, sortable headers, the
// checkbox column with the bulk-action menus, and the CSV export form. A room fills it and
// renders "web/list.html" (or includes the "list" partial in its own page):
//
//	l := &web.List{Path: "/things", Query: r.URL.Query(), Fields: …, Columns: …, Total: n, Paging: p}
//	for _, t := range things { l.Rows = append(l.Rows, web.Row{ID: t.ID, Cells: …}) }
//	l.Actions = bulkPages.Actions(r, "thing")
//	render.Render(w, r, 200, "web/list.html", web.View{Title: "もの", Nav: "things", Data: l})
type List struct {
	Path  string     // the list's own path, e.g. "/cases"
	Query url.Values // the request's query: filters, page, per_page, sort
	// Fields are the 詳細検索 inputs; the panel is open while any of them has a value.
	Fields []Field
	// FieldErrors are messages per field name (from errs.Error.Fields of a bad filter).
	FieldErrors map[string]string
	Columns     []Column
	Rows        []Row
	Total       int
	// CountLimit, when set, says the store stopped counting there: a Total above it is shown
	// as 「10,000件以上」 and the pager numbers only the pages up to it.
	CountLimit int
	// NextAfter is the last row's ID when the store can page by keyset (after=ID): the pager's
	// 次へ uses it past the numbered pages, so a deep page costs what the first one does.
	NextAfter string
	Paging    Paging
	// PerPageOptions defaults to 20, 50, 100, 500.
	PerPageOptions []int
	// SortParam is the query key of the sort ("sort"); values are Column.Sort or "-"+Column.Sort.
	SortParam string
	// RecordType and Actions turn on the checkbox column and the bulk menus.
	RecordType string
	Actions    []BulkAction
	// Exports lists the CSV templates offered at ExportPath (which gets the filter plus
	// template=ID and encoding=cp932|utf8).
	Exports    []Export
	ExportPath string
	// Links are the toolbar's buttons (新規登録, CSV取込…).
	Links []Link
	// Notice is shown above the table, e.g. which bulk result is being shown; NoticeClear
	// links back to the unfiltered list.
	Notice      string
	NoticeClear string
	Empty       string // shown when there are no rows; default 「該当するデータはありません」
}

// Field is one 詳細検索 input. Types: text (default), number, date, select (Options; "" = all),
// checks (Options, several values of Name), daterange and numrange (Name and Name2).
type Field struct {
	Name, Name2 string
	Label       string
	Type        string
	Options     []Option
	Placeholder string
}

// Option is a choice of a select or checks field.
type Option struct{ Value, Label string }

// Options turns a status table into field options.
func Options(set *status.Set) []Option {
	var out []Option
	for _, s := range set.All() {
		out = append(out, Option{Value: s.Code, Label: s.Label})
	}
	return out
}

// Column is a table header. Sort, when set, makes it a link that sorts by Sort (ascending)
// and, clicked again, by "-"+Sort — or always by Sort when the store offers one direction
// only (OneWay; Sort may then start with "-").
type Column struct {
	Label  string
	Sort   string
	OneWay bool
	Num    bool
}

// Row is one record.
type Row struct {
	ID    string // the checkbox value (the record ID)
	Cells []Cell
}

// Cell is one table cell: text, optionally a link, a status badge (Level) or right-aligned.
type Cell struct {
	Text   string
	Link   string
	Level  string // with Badge: "", "ok", "warn", "error"
	Badge  bool
	Num    bool
	Muted  bool
	Detail string // a second, smaller line
}

// Text is a plain cell.
func Text(s string) Cell { return Cell{Text: s} }

// LinkCell is a cell linking to href.
func LinkCell(s, href string) Cell { return Cell{Text: s, Link: href} }

// YenCell is a right-aligned amount cell.
func YenCell(n int64) Cell { return Cell{Text: Yen(n), Num: true} }

// StatusCell is a badge with the label and level of code in set.
func StatusCell(set *status.Set, code string) Cell {
	st, ok := set.Get(code)
	if !ok {
		return Cell{Text: code, Badge: true}
	}
	return Cell{Text: st.Label, Level: st.Level, Badge: true}
}

// BulkAction is an entry of the bulk menus.
type BulkAction struct {
	Name  string
	Label string
}

// Export is a CSV export template.
type Export struct{ ID, Name string }

// Link is a toolbar button. Perm hides it from principals who may not use it (the route
// refuses them anyway); empty is everyone.
type Link struct {
	Label   string
	Href    string
	Primary bool
	Perm    auth.Perm
}

// KV is a query parameter, for hidden inputs.
type KV struct{ Key, Value string }

// Value is the first query value of name.
func (l *List) Value(name string) string { return l.Query.Get(name) }

// Has reports whether name has value v in the query (checks fields).
func (l *List) Has(name, v string) bool {
	for _, x := range l.Query[name] {
		if x == v {
			return true
		}
	}
	return false
}

// FilterActive reports whether any 詳細検索 field has a value (the panel starts open).
func (l *List) FilterActive() bool {
	for _, f := range l.Fields {
		if l.Value(f.Name) != "" || (f.Name2 != "" && l.Value(f.Name2) != "") {
			return true
		}
	}
	return len(l.FieldErrors) > 0
}

// OtherErrors are the messages of FieldErrors that belong to no 詳細検索 input (a bad sort=
// typed into the URL, a message without a field): the panel shows them at its top.
func (l *List) OtherErrors() []string {
	own := l.fieldNames()
	var keys []string
	for k := range l.FieldErrors {
		if !own[k] {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	out := make([]string, len(keys))
	for i, k := range keys {
		out[i] = l.FieldErrors[k]
	}
	return out
}

// DefaultSortHref is the list in its default order (the way out of a bad sort=).
func (l *List) DefaultSortHref() string { return l.href(l.sortParam(), "", "page", "") }

// RangeText is 「（1〜50件目）」 for the rows shown, or, on a page past the last one, says so
// instead of a range like 「0〜150件目」.
func (l *List) RangeText() string {
	switch {
	case l.Total == 0:
		return ""
	case l.Continued():
		return "（続きの" + Comma(int64(len(l.Rows))) + "件）"
	case len(l.Rows) == 0:
		return "（このページに該当はありません。最後のページは " + Comma(l.LastPage()) + " ページ目です）"
	}
	return "（" + Comma(l.From()) + "〜" + Comma(l.To()) + "件目）"
}

// FieldError is the message for name.
func (l *List) FieldError(name string) string { return l.FieldErrors[name] }

// FieldNames are the query keys the 詳細検索 form owns.
func (l *List) fieldNames() map[string]bool {
	m := map[string]bool{}
	for _, f := range l.Fields {
		m[f.Name] = true
		if f.Name2 != "" {
			m[f.Name2] = true
		}
	}
	return m
}

// Hidden returns the query parameters a form must carry to keep the current list, without
// the keys named in drop (and never page).
func (l *List) Hidden(drop ...string) []KV {
	skip := map[string]bool{"page": true, "after": true}
	for _, d := range drop {
		skip[d] = true
	}
	var keys []string
	for k := range l.Query {
		if !skip[k] {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	var out []KV
	for _, k := range keys {
		for _, v := range l.Query[k] {
			if v != "" {
				out = append(out, KV{k, v})
			}
		}
	}
	return out
}

// SearchHidden is what the 詳細検索 form keeps besides its own fields (kind, sort, per_page).
func (l *List) SearchHidden() []KV {
	own := l.fieldNames()
	var drop []string
	for k := range own {
		drop = append(drop, k)
	}
	drop = append(drop, "bulk_run", "outcome")
	return l.Hidden(drop...)
}

// ClearHref is the list without any 詳細検索 value.
func (l *List) ClearHref() string {
	q := url.Values{}
	for _, kv := range l.SearchHidden() {
		q.Add(kv.Key, kv.Value)
	}
	if len(q) == 0 {
		return l.Path
	}
	return l.Path + "?" + q.Encode()
}

// FilterQuery is the current filter as a query string (no paging or sort): what
// 「全N件を一括操作」 acts on and CSV export reads.
func (l *List) FilterQuery() string {
	q := url.Values{}
	for _, kv := range l.Hidden("per_page", l.sortParam()) {
		q.Add(kv.Key, kv.Value)
	}
	return q.Encode()
}

// ReturnTo is the list's URL, for the confirmation page's キャンセル link.
func (l *List) ReturnTo() string {
	if len(l.Query) == 0 {
		return l.Path
	}
	return l.Path + "?" + l.Query.Encode()
}

func (l *List) href(kv ...string) string {
	q := url.Values{}
	for k, v := range l.Query {
		q[k] = append([]string(nil), v...)
	}
	for i := 0; i+1 < len(kv); i += 2 {
		if kv[i+1] == "" {
			q.Del(kv[i])
		} else {
			q.Set(kv[i], kv[i+1])
		}
	}
	return l.Path + "?" + q.Encode()
}

func (l *List) sortParam() string {
	if l.SortParam == "" {
		return "sort"
	}
	return l.SortParam
}

// SortHref is the header link of c: ascending first, then descending.
func (l *List) SortHref(c Column) string {
	next := c.Sort
	if !c.OneWay && l.Value(l.sortParam()) == c.Sort {
		next = "-" + c.Sort
	}
	return l.href(l.sortParam(), next, "page", "", "after", "")
}

// SortMark is ▲ or ▼ on the column the list is sorted by.
func (l *List) SortMark(c Column) string {
	switch cur := l.Value(l.sortParam()); {
	case c.OneWay && cur == c.Sort:
		return "●"
	case cur == c.Sort:
		return "▲"
	case cur == "-"+c.Sort:
		return "▼"
	}
	return ""
}

// Selectable reports whether the checkbox column and bulk menus are shown.
func (l *List) Selectable() bool { return len(l.Actions) > 0 }

// PageLink is a link of the pager; Gap marks "…".
type PageLink struct {
	Number  int
	Href    string
	Current bool
	Gap     bool
}

// LastPage is the number of the last page (1 when empty); with a capped count, the last page
// of the rows counted.
func (l *List) LastPage() int {
	if l.Paging.PerPage <= 0 || l.Total == 0 {
		return 1
	}
	n := l.Total
	if l.Capped() {
		n = l.CountLimit
	}
	return (n + l.Paging.PerPage - 1) / l.Paging.PerPage
}

// Capped reports whether the total is only a lower bound.
func (l *List) Capped() bool { return l.CountLimit > 0 && l.Total > l.CountLimit }

// TotalText is the number part of the count as the list head shows it: 「1,234」, or 「10,000」
// when the count stopped at CountLimit; TotalUnit follows it, so the page reads 「全1,234件」 or
// 「全10,000件以上」.
func (l *List) TotalText() string {
	if l.Capped() {
		return Comma(int64(l.CountLimit))
	}
	return Comma(int64(l.Total))
}

// TotalUnit is what follows TotalText: 「件」, or 「件以上」 for a capped count.
func (l *List) TotalUnit() string {
	if l.Capped() {
		return "件以上"
	}
	return "件"
}

// Continued reports whether the page was reached by keyset (after=ID), not by number.
func (l *List) Continued() bool { return l.Value("after") != "" }

// NextHref is the pager's 次へ: the next numbered page, or past the numbered pages (and on
// every continued page) the keyset page after this one's last row; "" when there is none.
func (l *List) NextHref() string {
	switch {
	case !l.Continued() && l.Paging.Page < l.LastPage():
		return l.PageHref(l.Paging.Page + 1)
	case l.NextAfter != "" && len(l.Rows) >= l.Paging.PerPage && (l.Continued() || l.Capped()):
		return l.href("after", l.NextAfter, "page", "")
	}
	return ""
}

// FirstHref is the first page (the way back from continued pages).
func (l *List) FirstHref() string { return l.href("after", "", "page", "") }

// PageHref is the link to page n.
func (l *List) PageHref(n int) string { return l.href("page", strconv.Itoa(n), "after", "") }

// Pages are the pager's links: first, last and two either side of the current page.
func (l *List) Pages() []PageLink {
	last, cur := l.LastPage(), l.Paging.Page
	var out []PageLink
	prev := 0
	for n := 1; n <= last; n++ {
		if n != 1 && n != last && (n < cur-2 || n > cur+2) {
			continue
		}
		if prev != 0 && n > prev+1 {
			out = append(out, PageLink{Gap: true})
		}
		out = append(out, PageLink{Number: n, Href: l.PageHref(n), Current: n == cur})
		prev = n
	}
	return out
}

// From and To are the 1-based positions of the first and last rows shown.
func (l *List) From() int {
	if len(l.Rows) == 0 {
		return 0
	}
	return l.Paging.Offset() + 1
}

// To is the position of the last row shown.
func (l *List) To() int { return l.Paging.Offset() + len(l.Rows) }

// PerPageChoices are the per-page options.
func (l *List) PerPageChoices() []int {
	if len(l.PerPageOptions) > 0 {
		return l.PerPageOptions
	}
	return []int{20, 50, 100, 500}
}

// ExportHref is the export link of template id with encoding.
func (l *List) ExportHref(id, encoding string) string {
	q, _ := url.ParseQuery(l.FilterQuery())
	if s := l.Value(l.sortParam()); s != "" {
		q.Set(l.sortParam(), s)
	}
	q.Set("template", id)
	q.Set("encoding", encoding)
	return l.ExportPath + "?" + q.Encode()
}

// EmptyText is the message for an empty result.
func (l *List) EmptyText() string {
	if l.Empty != "" {
		return l.Empty
	}
	return "該当するデータはありません"
}

// Num formats n with thousands separators.
func (l *List) Num(n int) string { return Comma(int64(n)) }

// ColSpan is the number of table columns.
func (l *List) ColSpan() int {
	if l.Selectable() {
		return len(l.Columns) + 1
	}
	return len(l.Columns)
}
