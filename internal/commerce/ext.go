package commerce

import (
	"context"
	"fmt"
	"html/template"
	"net/http"
	"net/url"
	"sort"
	"strings"

	"kessai/internal/platform/auth"
	"kessai/internal/web"
)

// The lists a room can extend (ListExtension.List); the same names as the bulk record types.
const (
	ListOrders        = "order"
	ListSubscriptions = "subscription"
	ListCases         = "purchase_case"
)

// Cond is one SQL condition a room adds to a list's search, with ? placeholders. The record is
// aliased o (orders), sb (subscriptions) or pc (purchase cases).
type Cond struct {
	SQL  string
	Args []any
}

// ListExtension is what a room adds to a commerce list: a 詳細検索 field with the SQL condition
// it selects (e.g. 洗替ステータス on 定期受注: EXISTS over the room's own table), and/or a
// column filled for the page's records (決済ステータス on 受注, 振込状態 on cases). The condition
// applies wherever the list's query is read: the page, 「全N件を一括操作」, CSV export, the API.
type ListExtension struct {
	List string // ListOrders, ListSubscriptions or ListCases
	// Perm is who sees the field and the column.
	Perm auth.Perm
	// Field is the search field; its Name (and Name2) must start with "x_" so it never clashes
	// with commerce's own parameters.
	Field *web.Field
	// Where turns the query into the condition; nil when the field is empty. An error is the
	// field's message for the person (errs.Invalid with the field).
	Where func(q url.Values) (*Cond, error)
	// Column and Cells add a column: Cells returns the cell of each record ID of the page.
	Column *web.Column
	Cells  func(ctx context.Context, ids []string) (map[string]web.Cell, error)
}

// AddListExtension registers e. It panics on a malformed extension: that is a wiring mistake.
func (s *Store) AddListExtension(e ListExtension) {
	switch e.List {
	case ListOrders, ListSubscriptions, ListCases:
	default:
		panic(fmt.Sprintf("commerce: list extension on unknown list %q", e.List))
	}
	if e.Field != nil && (!strings.HasPrefix(e.Field.Name, "x_") || (e.Field.Name2 != "" && !strings.HasPrefix(e.Field.Name2, "x_"))) {
		panic(fmt.Sprintf("commerce: list extension field %q must be named x_…", e.Field.Name))
	}
	if (e.Column == nil) != (e.Cells == nil) {
		panic("commerce: a list extension column needs both Column and Cells")
	}
	if e.Perm == "" {
		e.Perm = auth.PermView
	}
	s.ext = append(s.ext, e)
}

// conds are the extensions' conditions on list for q.
func (s *Store) conds(list string, q url.Values) ([]Cond, error) {
	var out []Cond
	for _, e := range s.ext {
		if e.List != list || e.Where == nil {
			continue
		}
		c, err := e.Where(q)
		if err != nil {
			return nil, err
		}
		if c != nil {
			out = append(out, *c)
		}
	}
	return out, nil
}

// OrderFilterFromQuery is OrderFilterFromQuery with the rooms' conditions.
func (s *Store) OrderFilterFromQuery(q url.Values) (OrderFilter, error) {
	f, err := OrderFilterFromQuery(q)
	if err == nil {
		f.Extra, err = s.conds(ListOrders, q)
	}
	return f, err
}

// SubscriptionFilterFromQuery is SubscriptionFilterFromQuery with the rooms' conditions.
func (s *Store) SubscriptionFilterFromQuery(q url.Values) (SubscriptionFilter, error) {
	f, err := SubscriptionFilterFromQuery(q)
	if err == nil {
		f.Extra, err = s.conds(ListSubscriptions, q)
	}
	return f, err
}

// CaseFilterFromQuery is CaseFilterFromQuery with the rooms' conditions.
func (s *Store) CaseFilterFromQuery(q url.Values) (CaseFilter, error) {
	f, err := CaseFilterFromQuery(q)
	if err == nil {
		f.Extra, err = s.conds(ListCases, q)
	}
	return f, err
}

func (w *where) extra(cs []Cond) {
	for _, c := range cs {
		w.add("("+c.SQL+")", c.Args...)
	}
}

// AddListExtension adds a room's field, condition or column to one of the lists.
func (p *Pages) AddListExtension(e ListExtension) { p.store.AddListExtension(e) }

// extendFields adds the rooms' search fields and column headers of list that r's principal
// may see; extendRows then fills the columns. Call extendFields before rows are added.
func (p *Pages) extendFields(r *http.Request, l *web.List, list string) {
	pr := auth.FromContext(r.Context())
	for _, e := range p.store.ext {
		if e.List != list || !pr.Can(e.Perm) {
			continue
		}
		if e.Field != nil {
			l.Fields = append(l.Fields, *e.Field)
		}
		if e.Column != nil {
			l.Columns = append(l.Columns, *e.Column)
		}
	}
}

// extendRows appends the rooms' cells to each row of l (in extendFields's column order).
func (p *Pages) extendRows(r *http.Request, l *web.List, list string) error {
	pr := auth.FromContext(r.Context())
	ids := make([]string, len(l.Rows))
	for i, row := range l.Rows {
		ids[i] = row.ID
	}
	for _, e := range p.store.ext {
		if e.List != list || e.Column == nil || !pr.Can(e.Perm) {
			continue
		}
		cells := map[string]web.Cell{}
		if len(ids) > 0 {
			var err error
			if cells, err = e.Cells(r.Context(), ids); err != nil {
				return fmt.Errorf("list column %s: %w", e.Column.Label, err)
			}
		}
		for i := range l.Rows {
			l.Rows[i].Cells = append(l.Rows[i].Cells, cells[l.Rows[i].ID])
		}
	}
	return nil
}

// Tab is a tab a room adds to a detail page (order, subscription, case): Render returns the
// tab's HTML; the room executes its own template into it.
type Tab[T any] struct {
	Key    string // in the URL: ?tab=Key
	Label  string
	Perm   auth.Perm
	Order  int // tabs sort by Order, then Label; the page's own tabs come first
	Render func(r *http.Request, rec T) (template.HTML, error)
}

// CustomerSection is a panel a room adds to the customer page, after 振込先口座 (the cardupdate
// room's GMO-PG cards). The cards of Providers are the room's to show: the page's own 登録カード
// panel leaves them out.
type CustomerSection struct {
	Key       string
	Perm      auth.Perm
	Order     int
	Providers []string
	Render    func(r *http.Request, c Customer) (template.HTML, error)
}

// AddCustomerSection adds a panel to the customer page.
func (p *Pages) AddCustomerSection(s CustomerSection) {
	if s.Key == "" || s.Render == nil {
		panic(fmt.Sprintf("commerce: customer section %q needs Key and Render", s.Key))
	}
	p.customerSections = append(p.customerSections, s)
	sort.SliceStable(p.customerSections, func(i, j int) bool { return p.customerSections[i].Order < p.customerSections[j].Order })
}

// customerSections renders the rooms' panels r's principal may see, and says which providers'
// cards they show.
func (p *Pages) renderCustomerSections(r *http.Request, c Customer) ([]template.HTML, map[string]bool, error) {
	var out []template.HTML
	shown := map[string]bool{}
	pr := auth.FromContext(r.Context())
	for _, s := range p.customerSections {
		if !pr.Can(s.Perm) {
			continue
		}
		h, err := s.Render(r, c)
		if err != nil {
			return nil, nil, fmt.Errorf("customer section %s: %w", s.Key, err)
		}
		out = append(out, h)
		for _, pv := range s.Providers {
			shown[pv] = true
		}
	}
	return out, shown, nil
}

// OrderTab is a tab of the order detail page (what was sent to the provider, its answers).
type OrderTab = Tab[Order]

// SubscriptionTab is a tab of the subscription detail page (洗替 results of its card).
type SubscriptionTab = Tab[Subscription]

// AddOrderTab adds a tab to the order detail page.
func (p *Pages) AddOrderTab(t OrderTab) { p.orderTabs = addTab(p.orderTabs, t) }

// AddSubscriptionTab adds a tab to the subscription detail page.
func (p *Pages) AddSubscriptionTab(t SubscriptionTab) { p.subTabs = addTab(p.subTabs, t) }

func addTab[T any](tabs []Tab[T], t Tab[T]) []Tab[T] {
	if t.Key == "" || t.Label == "" || t.Render == nil {
		panic(fmt.Sprintf("commerce: tab %q needs Key, Label and Render", t.Key))
	}
	tabs = append(tabs, t)
	sort.SliceStable(tabs, func(i, j int) bool {
		if tabs[i].Order != tabs[j].Order {
			return tabs[i].Order < tabs[j].Order
		}
		return tabs[i].Label < tabs[j].Label
	})
	return tabs
}

// pickTab resolves ?tab= of a detail page at base ("/orders/ID"): the page's own tabs (own),
// then the rooms' tabs r's principal may see. extra is a room tab's HTML; ok is false for an
// unknown tab.
func pickTab[T any](r *http.Request, base string, own []tabView, tabs []Tab[T], rec T) (views []tabView, current string, extra template.HTML, ok bool, err error) {
	current = r.URL.Query().Get("tab")
	if current == "" {
		current = own[0].Key
	}
	views = append(views, own...)
	pr := auth.FromContext(r.Context())
	for _, t := range tabs {
		if !pr.Can(t.Perm) {
			continue
		}
		views = append(views, tabView{Key: t.Key, Label: t.Label})
		if t.Key == current {
			if extra, err = t.Render(r, rec); err != nil {
				return nil, "", "", false, err
			}
		}
	}
	for i := range views {
		views[i].Href = base + "?tab=" + url.QueryEscape(views[i].Key)
		views[i].On = views[i].Key == current
		ok = ok || views[i].On
	}
	return views, current, extra, ok, nil
}
