package commerce

import (
	"html/template"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"kessai/internal/platform/auth"
	"kessai/internal/platform/errs"
	"kessai/internal/platform/jpcsv"
	"kessai/internal/web"
)

// caseFilter reads the list's filter, with the bulk result filter (?bulk_run=&outcome=)
// applied as an ID list.
func (p *Pages) caseFilter(r *http.Request) (f CaseFilter, rf web.ResultFilter, err error) {
	f, err = p.store.CaseFilterFromQuery(r.URL.Query())
	if err != nil {
		return f, rf, err
	}
	rf, err = p.bulk.ResultFilter(r)
	if err != nil || !rf.Active {
		return f, rf, err
	}
	f.IDs = rf.IDs
	if len(f.IDs) == 0 {
		f.IDs = []string{""} // no record has an empty ID: the list is empty, not unfiltered
	}
	return f, rf, nil
}

func caseList(q url.Values, shops []Shop) *web.List {
	kind := q.Get("kind")
	l := &web.List{Path: "/cases", Query: q, Paging: web.PagingFrom(q, DefaultPerPage), RecordType: "purchase_case",
		Fields: []web.Field{
			{Name: "status", Label: "状態", Type: "checks", Options: web.Options(CaseStatuses)},
			{Name: "confirmed_from", Name2: "confirmed_to", Label: "買取確定日", Type: "daterange"},
			{Name: "customer", Label: "顧客（氏名・カナ・番号・メール・電話）"},
			{Name: "code", Label: "ケース番号"},
			{Name: "amount_min", Name2: "amount_max", Label: "買取金額（円）", Type: "numrange"},
			{Name: "received_from", Name2: "received_to", Label: "受付日", Type: "daterange"},
			{Name: "shop", Label: "店舗", Type: "select", Options: optionsOf(shops)},
			{Name: "has_bank", Label: "振込先口座", Type: "select", Options: []web.Option{{Value: "true", Label: "登録あり"}, {Value: "false", Label: "未登録"}}},
		},
		Columns: []web.Column{{Label: "ケース番号", Sort: "code", OneWay: true}, {Label: "状態"}, {Label: "顧客", Sort: "customer_kana", OneWay: true},
			{Label: "受付日", Sort: "received_on"}, {Label: "買取確定日", Sort: "confirmed_on"}, {Label: "点数", Num: true},
			{Label: "買取金額", Sort: "amount", Num: true}, {Label: "振込先口座"}, {Label: "店舗"}},
		Links: []web.Link{{Label: "新規登録", Href: "/cases/new?kind=" + url.QueryEscape(kindNav(kind)), Primary: true, Perm: auth.PermOperate},
			{Label: "CSV取込", Href: "/cases/import" + kindQuery(kind), Perm: auth.PermOperate}},
		ExportPath: "/cases.csv",
	}
	if kind == "" {
		// Both kinds are listed: say which each row is.
		l.Fields = append([]web.Field{{Name: "kind", Label: "種別", Type: "select", Options: web.Options(CaseKinds)}}, l.Fields...)
		l.Columns = slices.Insert(l.Columns, 1, web.Column{Label: "種別"})
	}
	for _, t := range CaseExportTemplates() {
		l.Exports = append(l.Exports, web.Export{ID: t.ID, Name: t.Name})
	}
	return l
}

func (p *Pages) listCases(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	q := r.URL.Query()
	shops, err := p.store.ListShops(ctx)
	if err != nil {
		p.fail(w, r, err)
		return
	}
	l := caseList(q, shops)
	l.Actions = p.bulk.Actions(r, "purchase_case")
	p.extendFields(r, l, ListCases)
	f, rf, err := p.caseFilter(r)
	status := http.StatusOK
	switch {
	case formErrors(err) != nil:
		l.FieldErrors, status = formErrors(err), http.StatusUnprocessableEntity
	case err != nil:
		p.fail(w, r, err)
		return
	default:
		rows, total, err := p.store.SearchCases(ctx, f, l.Paging.Page, l.Paging.PerPage)
		if err != nil {
			p.fail(w, r, err)
			return
		}
		l.Total, l.CountLimit = total, CountLimit
		if len(rows) > 0 && f.Keyset() {
			l.NextAfter = rows[len(rows)-1].ID
		}
		for _, c := range rows {
			l.Rows = append(l.Rows, caseRow(c, q.Get("kind") == ""))
		}
	}
	if rf.Active {
		l.Notice, l.NoticeClear = rf.Notice, rf.Clear
	}
	if err := p.extendRows(r, l, ListCases); err != nil {
		p.fail(w, r, err)
		return
	}
	kind := q.Get("kind")
	p.render.Render(w, r, status, "web/list.html", web.View{Title: kindTitle(kind) + "一覧", Nav: kindNav(kind), Data: l})
}

// kindQuery keeps a list's kind on the links it makes ("" when both kinds are listed).
func kindQuery(kind string) string {
	if kind == "" {
		return ""
	}
	return "?kind=" + url.QueryEscape(kind)
}

// caseRow is one line of the list; withKind adds the 種別 cell of a list of both kinds.
func caseRow(c CaseRow, withKind bool) web.Row {
	bank := web.Cell{Text: "未登録", Muted: true}
	if !c.Bank.IsZero() {
		bank = web.Cell{Text: c.Bank.BankName + " " + c.Bank.BranchName, Detail: AccountTypes.Label(c.Bank.AccountType) + " " + c.Bank.AccountNumber}
	}
	row := web.Row{ID: c.ID, Cells: []web.Cell{
		web.LinkCell(c.Code, "/cases/"+c.ID),
		web.StatusCell(CaseStatuses, c.Status),
		{Text: c.CustomerName, Link: "/customers/" + c.CustomerID, Detail: c.CustomerCode},
		web.Text(web.FormatDate(c.ReceivedOn)),
		web.Text(web.FormatDate(c.ConfirmedOn)),
		{Text: strconv.Itoa(c.ItemCount), Num: true},
		web.YenCell(c.PurchaseAmount),
		bank,
		web.Text(c.ShopName),
	}}
	if withKind {
		row.Cells = slices.Insert(row.Cells, 1, web.Text(CaseKinds.Label(c.Kind)))
	}
	return row
}

func (p *Pages) exportCases(w http.ResponseWriter, r *http.Request) {
	f, _, err := p.caseFilter(r)
	if err != nil {
		p.fail(w, r, err)
		return
	}
	p.export(w, r, "cases", func(buf io.Writer, tmpl string, enc jpcsv.Encoding) error {
		return p.store.ExportCases(r.Context(), buf, f, tmpl, enc)
	})
}

// tabView is a tab link of the case detail page.
type tabView struct {
	Key, Label, Href string
	On               bool
}

func (p *Pages) showCase(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	rows, err := p.store.CaseRowsByID(ctx, []string{r.PathValue("id")})
	if err != nil {
		p.fail(w, r, err)
		return
	}
	if len(rows) == 0 {
		p.fail(w, r, errs.NotFound("買取ケースが見つかりません"))
		return
	}
	c := rows[0]
	tab := r.URL.Query().Get("tab")
	if tab == "" {
		tab = "basic"
	}
	tabs := []tabView{{Key: "basic", Label: "基本情報"}, {Key: "customer", Label: "顧客"}}
	pr := auth.FromContext(ctx)
	var extra template.HTML
	for _, t := range p.tabs {
		if !pr.Can(t.Perm) {
			continue
		}
		tabs = append(tabs, tabView{Key: t.Key, Label: t.Label})
		if t.Key == tab {
			if extra, err = t.Render(r, c); err != nil {
				p.fail(w, r, err)
				return
			}
		}
	}
	found := false
	for i := range tabs {
		tabs[i].Href = "/cases/" + c.ID + "?tab=" + tabs[i].Key
		tabs[i].On = tabs[i].Key == tab
		found = found || tabs[i].On
	}
	if !found {
		p.fail(w, r, errs.NotFound("タブが見つかりません: "+tab))
		return
	}
	var cust Customer
	if tab == "customer" {
		if cust, err = p.store.GetCustomer(ctx, c.CustomerID); err != nil {
			p.fail(w, r, err)
			return
		}
	}
	st, _ := CaseStatuses.Get(c.Status)
	p.render.Render(w, r, http.StatusOK, "commerce/case_detail.html", web.View{Title: kindTitle(c.Kind) + " " + c.Code, Nav: kindNav(c.Kind),
		Data: map[string]any{"Case": c, "Status": st, "Kind": CaseKinds.Label(c.Kind), "Tabs": tabs, "Tab": tab, "Extra": extra,
			"Customer": cust, "AccountType": AccountTypes.Label(c.Bank.AccountType), "CanEdit": CaseStatuses.Allows(c.Status, "edit")}})
}

// caseForm is what the create/edit form shows.
type caseForm struct {
	Case         PurchaseCase
	CustomerCode string
	Shops        []Shop
	Kinds        []web.Option
	Statuses     []web.Option
	Errors       map[string]string
	New          bool
}

func (p *Pages) renderCaseForm(w http.ResponseWriter, r *http.Request, status int, f caseForm) {
	shops, err := p.store.ListShops(r.Context())
	if err != nil {
		p.fail(w, r, err)
		return
	}
	f.Shops, f.Kinds, f.Statuses = shops, web.Options(CaseKinds), web.Options(CaseStatuses)
	title := kindTitle(f.Case.Kind) + "の登録"
	if !f.New {
		title = f.Case.Code + " の編集"
	}
	p.render.Render(w, r, status, "commerce/case_form.html", web.View{Title: title, Nav: kindNav(f.Case.Kind), Data: f})
}

func (p *Pages) newCase(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	kind := q.Get("kind")
	if !CaseKinds.Valid(kind) {
		kind = "takuhai"
	}
	p.renderCaseForm(w, r, http.StatusOK, caseForm{New: true, CustomerCode: q.Get("customer"),
		Case: PurchaseCase{Kind: kind, Status: "received", ReceivedOn: p.store.today()}})
}

// readCase reads the form into c; the customer is given by its code.
func (p *Pages) readCase(r *http.Request, c *PurchaseCase) (string, error) {
	if err := r.ParseForm(); err != nil {
		return "", errs.Invalid("フォームを読み取れません").Wrap(err)
	}
	f := errs.Fields{}
	code := strings.TrimSpace(r.PostForm.Get("customer_code"))
	c.CustomerID = ""
	if code == "" {
		f.Add("customer_id", "顧客番号を入力してください")
	} else if cu, err := p.store.GetCustomerByCode(r.Context(), code); err != nil {
		if !IsNotFound(err) {
			return code, err
		}
		f.Add("customer_id", "顧客番号 "+code+" の顧客が見つかりません")
	} else {
		c.CustomerID = cu.ID
	}
	if k := r.PostForm.Get("kind"); k != "" && c.ID == "" {
		c.Kind = k
	}
	c.ShopID = r.PostForm.Get("shop_id")
	c.Status = r.PostForm.Get("status")
	c.ReceivedOn = strings.TrimSpace(r.PostForm.Get("received_on"))
	c.ConfirmedOn = strings.TrimSpace(r.PostForm.Get("confirmed_on"))
	c.PurchaseAmount = formInt(r, "purchase_amount", "買取金額", f)
	c.ItemCount = int(formInt(r, "item_count", "点数", f))
	c.Note = r.PostForm.Get("note")
	if v, err := strconv.Atoi(r.PostForm.Get("version")); err == nil {
		c.Version = v
	}
	if _, err := ValidateCase(*c); err != nil {
		for k, v := range formErrors(err) {
			f.Add(k, v)
		}
	}
	return code, f.Err()
}

func (p *Pages) createCase(w http.ResponseWriter, r *http.Request) {
	once := p.forms.Once(r)
	if once.Seen(w, r) {
		return
	}
	var c PurchaseCase
	code, err := p.readCase(r, &c)
	if err == nil {
		c, err = p.store.CreateCase(r.Context(), c, claim(once, "/cases/"))
	}
	if once.Repeat(w, r, err) {
		return
	}
	if fe := formErrors(err); fe != nil {
		p.renderCaseForm(w, r, http.StatusUnprocessableEntity, caseForm{New: true, Case: c, CustomerCode: code, Errors: fe})
		return
	}
	if err != nil {
		p.fail(w, r, err)
		return
	}
	web.SetFlash(w, "買取ケース "+c.Code+" を登録しました")
	http.Redirect(w, r, "/cases/"+c.ID, http.StatusSeeOther)
}

func (p *Pages) editCase(w http.ResponseWriter, r *http.Request) {
	c, err := p.store.GetCase(r.Context(), r.PathValue("id"))
	if err != nil {
		p.fail(w, r, err)
		return
	}
	cu, err := p.store.GetCustomer(r.Context(), c.CustomerID)
	if err != nil {
		p.fail(w, r, err)
		return
	}
	p.renderCaseForm(w, r, http.StatusOK, caseForm{Case: c, CustomerCode: cu.Code})
}

func (p *Pages) updateCase(w http.ResponseWriter, r *http.Request) {
	c, err := p.store.GetCase(r.Context(), r.PathValue("id"))
	if err != nil {
		p.fail(w, r, err)
		return
	}
	code, err := p.readCase(r, &c)
	if err == nil {
		c, err = p.store.UpdateCase(r.Context(), c)
	}
	if fe := formErrors(err); fe != nil {
		p.renderCaseForm(w, r, http.StatusUnprocessableEntity, caseForm{Case: c, CustomerCode: code, Errors: fe})
		return
	}
	if err != nil {
		p.fail(w, r, err)
		return
	}
	web.SetFlash(w, "買取ケース "+c.Code+" を保存しました")
	http.Redirect(w, r, "/cases/"+c.ID, http.StatusSeeOther)
}
