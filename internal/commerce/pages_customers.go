package commerce

import (
	"net/http"
	"strconv"
	"strings"

	"kessai/internal/platform/auth"
	"kessai/internal/platform/errs"
	"kessai/internal/platform/status"
	"kessai/internal/web"
)

func (p *Pages) listCustomers(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	l := &web.List{Path: "/customers", Query: q, Paging: web.PagingFrom(q, DefaultPerPage), RecordType: "customer",
		Fields: []web.Field{
			{Name: "q", Label: "氏名・カナ・顧客番号・メール・電話"},
			{Name: "prefecture", Label: "都道府県", Type: "select", Options: prefectureOptions()},
			{Name: "has_bank", Label: "振込先口座", Type: "select", Options: []web.Option{{Value: "true", Label: "登録あり"}, {Value: "false", Label: "未登録"}}},
		},
		Columns: []web.Column{{Label: "顧客番号", Sort: "code", OneWay: true}, {Label: "氏名", Sort: "kana", OneWay: true}, {Label: "メール"}, {Label: "電話"},
			{Label: "住所"}, {Label: "振込先口座"}},
		Links:      []web.Link{{Label: "新規登録", Href: "/customers/new", Primary: true, Perm: auth.PermOperate}, {Label: "CSV取込", Href: "/customers/import", Perm: auth.PermOperate}},
		Exports:    exportsOf(CustomerExportTemplates()),
		ExportPath: "/customers.csv",
	}
	l.Actions = p.bulk.Actions(r, "customer")
	f, err := CustomerFilterFromQuery(q)
	if err == nil {
		f.IDs, err = p.listResult(r, l, f.IDs)
	}
	status := http.StatusOK
	if fe := formErrors(err); fe != nil {
		l.FieldErrors, status = fe, http.StatusUnprocessableEntity
	} else if err != nil {
		p.fail(w, r, err)
		return
	} else {
		rows, total, err := p.store.SearchCustomers(r.Context(), f, l.Paging.Page, l.Paging.PerPage)
		if err != nil {
			p.fail(w, r, err)
			return
		}
		l.Total, l.CountLimit = total, CountLimit
		if len(rows) > 0 && f.Keyset() {
			l.NextAfter = rows[len(rows)-1].ID
		}
		for _, c := range rows {
			bank := web.Cell{Text: "未登録", Muted: true}
			if !c.Bank.IsZero() {
				bank = web.Cell{Text: c.Bank.BankName + " " + c.Bank.BranchName, Detail: AccountTypes.Label(c.Bank.AccountType) + " " + c.Bank.AccountNumber}
			}
			l.Rows = append(l.Rows, web.Row{ID: c.ID, Cells: []web.Cell{web.LinkCell(c.Code, "/customers/"+c.ID),
				{Text: c.Name, Detail: c.NameKana}, web.Text(c.Email), web.Text(c.Phone), web.Text(c.Prefecture + c.Address1), bank}})
		}
	}
	p.render.Render(w, r, status, "web/list.html", web.View{Title: "顧客一覧", Nav: "customers", Data: l})
}

func prefectureOptions() []web.Option {
	out := make([]web.Option, len(Prefectures))
	for i, p := range Prefectures {
		out[i] = web.Option{Value: p, Label: p}
	}
	return out
}

func (p *Pages) showCustomer(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	c, err := p.store.GetCustomer(ctx, r.PathValue("id"))
	if err != nil {
		p.fail(w, r, err)
		return
	}
	cases, _, err := p.store.SearchCases(ctx, CaseFilter{CustomerID: c.ID}, 1, 20)
	if err != nil {
		p.fail(w, r, err)
		return
	}
	all, err := p.store.CustomerCards(ctx, c.ID)
	if err != nil {
		p.fail(w, r, err)
		return
	}
	sections, shown, err := p.renderCustomerSections(r, c)
	if err != nil {
		p.fail(w, r, err)
		return
	}
	var cards []Card
	for _, cd := range all {
		if !shown[cd.Provider] {
			cards = append(cards, cd)
		}
	}
	p.render.Render(w, r, http.StatusOK, "commerce/customer_detail.html", web.View{Title: "顧客 " + c.Code, Nav: "customers",
		Data: map[string]any{"Customer": c, "AccountType": AccountTypes.Label(c.Bank.AccountType), "Cases": cases, "Cards": cards, "Sections": sections,
			"CaseStatus": func(code string) status.Status { return CaseStatuses.Lookup(code) },
			"CardStatus": func(code string) status.Status { return CardStatuses.Lookup(code) }}})
}

type customerForm struct {
	Customer     Customer
	Prefectures  []string
	AccountTypes []web.Option
	Errors       map[string]string
	New          bool
}

func (p *Pages) renderCustomerForm(w http.ResponseWriter, r *http.Request, status int, f customerForm) {
	f.Prefectures, f.AccountTypes = Prefectures, web.Options(AccountTypes)
	title := "顧客の登録"
	if !f.New {
		title = f.Customer.Code + " の編集"
	}
	p.render.Render(w, r, status, "commerce/customer_form.html", web.View{Title: title, Nav: "customers", Data: f})
}

func (p *Pages) newCustomer(w http.ResponseWriter, r *http.Request) {
	p.renderCustomerForm(w, r, http.StatusOK, customerForm{New: true})
}

func readCustomer(r *http.Request, c *Customer) error {
	if err := r.ParseForm(); err != nil {
		return errs.Invalid("フォームを読み取れません").Wrap(err)
	}
	v := func(k string) string { return strings.TrimSpace(r.PostForm.Get(k)) }
	c.Name, c.NameKana, c.Email, c.Phone = v("name"), v("name_kana"), v("email"), v("phone")
	c.PostalCode, c.Prefecture, c.Address1, c.Address2, c.Note = v("postal_code"), v("prefecture"), v("address1"), v("address2"), r.PostForm.Get("note")
	c.Bank = BankAccount{BankCode: v("bank_code"), BankName: v("bank_name"), BranchCode: v("branch_code"), BranchName: v("branch_name"),
		AccountType: v("account_type"), AccountNumber: v("account_number"), HolderKana: v("account_holder_kana")}
	if c.Bank.BankCode == "" && c.Bank.BranchCode == "" && c.Bank.AccountNumber == "" && c.Bank.HolderKana == "" {
		c.Bank = BankAccount{} // no account: names and type alone mean nothing
	}
	if n, err := strconv.Atoi(v("version")); err == nil {
		c.Version = n
	}
	_, err := ValidateCustomer(*c)
	return err
}

func (p *Pages) createCustomer(w http.ResponseWriter, r *http.Request) {
	once := p.forms.Once(r)
	if once.Seen(w, r) {
		return
	}
	var c Customer
	err := readCustomer(r, &c)
	if err == nil {
		c, err = p.store.CreateCustomer(r.Context(), c, claim(once, "/customers/"))
	}
	if once.Repeat(w, r, err) {
		return
	}
	if fe := formErrors(err); fe != nil {
		p.renderCustomerForm(w, r, http.StatusUnprocessableEntity, customerForm{New: true, Customer: c, Errors: fe})
		return
	}
	if err != nil {
		p.fail(w, r, err)
		return
	}
	web.SetFlash(w, "顧客 "+c.Code+" を登録しました")
	http.Redirect(w, r, "/customers/"+c.ID, http.StatusSeeOther)
}

func (p *Pages) editCustomer(w http.ResponseWriter, r *http.Request) {
	c, err := p.store.GetCustomer(r.Context(), r.PathValue("id"))
	if err != nil {
		p.fail(w, r, err)
		return
	}
	p.renderCustomerForm(w, r, http.StatusOK, customerForm{Customer: c})
}

func (p *Pages) updateCustomer(w http.ResponseWriter, r *http.Request) {
	c, err := p.store.GetCustomer(r.Context(), r.PathValue("id"))
	if err != nil {
		p.fail(w, r, err)
		return
	}
	err = readCustomer(r, &c)
	if err == nil {
		c, err = p.store.UpdateCustomer(r.Context(), c)
	}
	if fe := formErrors(err); fe != nil {
		p.renderCustomerForm(w, r, http.StatusUnprocessableEntity, customerForm{Customer: c, Errors: fe})
		return
	}
	if err != nil {
		p.fail(w, r, err)
		return
	}
	web.SetFlash(w, "顧客 "+c.Code+" を保存しました")
	http.Redirect(w, r, "/customers/"+c.ID, http.StatusSeeOther)
}

// lookupItem is one type-ahead answer.
type lookupItem struct {
	Code string `json:"code"`
	Name string `json:"name"`
	Kana string `json:"kana"`
}

func (p *Pages) lookupBanks(w http.ResponseWriter, r *http.Request) {
	out := []lookupItem{}
	for _, b := range p.banks.SearchBanks(r.URL.Query().Get("q"), 20) {
		out = append(out, lookupItem{Code: b.Code, Name: b.Name, Kana: b.Kana})
	}
	web.WriteJSON(w, http.StatusOK, out)
}

func (p *Pages) lookupBranches(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	out := []lookupItem{}
	for _, b := range p.banks.SearchBranches(q.Get("bank"), q.Get("q"), 20) {
		out = append(out, lookupItem{Code: b.Code, Name: b.Name, Kana: b.Kana})
	}
	web.WriteJSON(w, http.StatusOK, out)
}
