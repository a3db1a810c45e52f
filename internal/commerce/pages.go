package commerce

import (
	"context"
	"embed"
	"html/template"
	"net/http"
	"sort"
	"strconv"
	"strings"

	"kessai/internal/platform/audit"
	"kessai/internal/platform/auth"
	"kessai/internal/platform/db"
	"kessai/internal/platform/errs"
	"kessai/internal/platform/zengin"
	"kessai/internal/web"
)

//go:embed templates
var templatesFS embed.FS

// CaseTab is a tab of the case detail page that a room adds (the payout room's 銀行振込).
// Render returns the tab's HTML; the room executes its own template into it.
type CaseTab struct {
	Key    string // in the URL: /cases/{id}?tab=Key
	Label  string
	Perm   auth.Perm
	Order  int // tabs sort by Order, then Label; 基本情報 and 顧客 come first
	Render func(r *http.Request, c CaseRow) (template.HTML, error)
}

// Pages are the commerce screens: purchase cases (宅配買取・一般仕入), customers, orders and
// subscriptions, on the shell's list and bulk patterns.
type Pages struct {
	store  *Store
	render *web.Renderer
	bulk   *web.BulkPages
	audit  *audit.Log
	banks  *zengin.Master
	tabs   []CaseTab
	// orderTabs and subTabs are the rooms' tabs of the order and subscription pages.
	orderTabs []OrderTab
	subTabs   []SubscriptionTab
	// customerSections are the rooms' panels of the customer page.
	customerSections []CustomerSection
	forms            *web.FormTokens
}

// NewPages returns the pages over store; they render with the shell's renderer and use its
// bulk pages. Call Routes to route them.
func NewPages(s *web.Shell, store *Store, bulk *web.BulkPages, log *audit.Log) (*Pages, error) {
	if err := s.Render.Add("commerce", templatesFS, "templates"); err != nil {
		return nil, err
	}
	m, err := zengin.Load()
	if err != nil {
		return nil, err
	}
	p := &Pages{store: store, render: s.Render, bulk: bulk, audit: log, banks: m,
		forms: web.NewFormTokens(store.DB(), store.clock.Now)}
	p.registerBulk()
	return p, nil
}

// AddCaseTab adds a tab to the case detail page.
func (p *Pages) AddCaseTab(t CaseTab) {
	p.tabs = append(p.tabs, t)
	sort.SliceStable(p.tabs, func(i, j int) bool {
		if p.tabs[i].Order != p.tabs[j].Order {
			return p.tabs[i].Order < p.tabs[j].Order
		}
		return p.tabs[i].Label < p.tabs[j].Label
	})
}

// fail renders err; an invalid filter or form is shown on the page instead by the caller.
func (p *Pages) fail(w http.ResponseWriter, r *http.Request, err error) { p.render.Error(w, r, err) }

// claim is the Also of a create form: it claims the form's one-time token for the record at
// prefix+id in the create's transaction.
func claim(once web.Once, prefix string) Also {
	return func(ctx context.Context, tx *db.Tx, id string) error {
		path := prefix
		if strings.HasSuffix(prefix, "/") {
			path += id
		}
		return once.Claim(ctx, tx, path)
	}
}

// formErrors returns the per-field messages of an Invalid error (nil otherwise).
func formErrors(err error) map[string]string {
	if e := errs.As(err); e != nil && e.Kind == errs.KindInvalid {
		if e.Fields == nil {
			return map[string]string{"": e.Message}
		}
		return e.Fields
	}
	return nil
}

// formInt reads an integer form value; "" is 0 and a bad value is reported on field.
func formInt(r *http.Request, name, label string, f errs.Fields) int64 {
	v := strings.ReplaceAll(strings.TrimSpace(r.PostForm.Get(name)), ",", "")
	if v == "" {
		return 0
	}
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil {
		f.Add(name, label+"は整数で入力してください")
	}
	return n
}

func kindNav(kind string) string {
	if kind == "" {
		return "takuhai"
	}
	return kind
}

// pageTitle is 宅配買取, 一般仕入 or 買取ケース.
func kindTitle(kind string) string {
	if kind == "" {
		return "買取ケース"
	}
	return CaseKinds.Label(kind)
}

func optionsOf(shops []Shop) []web.Option {
	out := make([]web.Option, len(shops))
	for i, s := range shops {
		out[i] = web.Option{Value: s.ID, Label: s.Name}
	}
	return out
}
