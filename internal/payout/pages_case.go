package payout

import (
	"bytes"
	"fmt"
	"html/template"
	"net/http"
	"strconv"
	"strings"

	"kessai/internal/commerce"
	"kessai/internal/platform/auth"
	"kessai/internal/platform/bankaccount"
	"kessai/internal/platform/errs"
	"kessai/internal/web"
)

type formView struct {
	Case     CaseInfo
	Transfer *Transfer
	In       Input
	// AmountText is the amount as typed, shown again when it could not be read.
	AmountText string
	Errors     map[string]string
	Action     string
	Account    string // 振込元口座 (automatic)
	ReturnTo   string // 銀行振込一覧 with its search, when the edit was opened from there
}

// returnTo is where an edit goes back to: the 銀行振込一覧 it came from (only that list, never
// another site), or "" for the case.
func returnTo(v string) string {
	if strings.HasPrefix(v, listPath) && !strings.ContainsAny(v, "\\\r\n") && (len(v) == len(listPath) || v[len(listPath)] == '?') {
		return v
	}
	return ""
}

func (p *Pages) renderForm(w http.ResponseWriter, r *http.Request, status int, v formView) {
	if st, err := p.conn.State(r.Context()); err == nil {
		v.Account = st.AccountLabel
	}
	title := "振込処理 " + v.Case.Code
	if v.Transfer != nil {
		title = "振込の修正 " + v.Case.Code
	}
	p.render.Render(w, r, status, "payout/transfer_form.html", web.View{Title: title, Nav: kindNav(v.Case.Kind), Data: v})
}

func (p *Pages) newForm(w http.ResponseWriter, r *http.Request) {
	c, in, err := p.svc.Prefill(r.Context(), r.PathValue("id"))
	if err != nil {
		p.render.Error(w, r, err)
		return
	}
	// Refuse at once what submitting would refuse: a case not 入庫完了, or one already paid.
	if !commerce.CaseStatuses.Allows(c.Status, "transfer") {
		p.render.Error(w, r, errs.Conflict(fmt.Sprintf("買取ケース %s は「%s」のため振込できません（入庫完了のケースのみ）", c.Code, commerce.CaseStatuses.Label(c.Status))))
		return
	}
	if t, err := p.svc.ForCase(r.Context(), c.ID); err != nil {
		p.render.Error(w, r, err)
		return
	} else if t != nil {
		p.render.Error(w, r, errs.Conflict(fmt.Sprintf("買取ケース %s の振込はすでに登録されています（%s）。銀行振込タブから確認・修正してください", c.Code, t.StatusLabel)))
		return
	}
	p.renderForm(w, r, http.StatusOK, formView{Case: c, In: in, Action: "/cases/" + c.ID + "/transfer"})
}

// formInput reads the transfer form. The amount is parsed here so a person gets told what was
// wrong with what they typed (and sees it again) rather than a generic "1円以上".
func formInput(r *http.Request) (in Input, amountText, amountErr string) {
	_ = r.ParseForm()
	f := r.PostForm
	amountText = strings.TrimSpace(f.Get("amount"))
	amount, amountErr := ParseAmount(amountText)
	in = Input{RemitterName: f.Get("remitter_name"), Memo: f.Get("memo"), BankCode: f.Get("bank_code"), BranchCode: f.Get("branch_code"),
		AccountType: f.Get("account_type"), AccountNumber: f.Get("account_number"), HolderName: f.Get("holder_name"), Amount: Yen(amount)}
	if amountText == "" || amountErr != "" {
		in.Amount = Yen(-1) // an empty or unreadable amount is an error on the form, not "the purchase amount"
	}
	return in, amountText, amountErr
}

// ParseAmount reads a yen amount as people type it: full-width digits and thousands separators
// are fine; anything else is refused with the reason.
func ParseAmount(s string) (int64, string) {
	s = strings.NewReplacer(",", "", "，", "", "円", "", "¥", "", "￥", "").Replace(bankaccount.Digits(s))
	switch {
	case s == "":
		return 0, ""
	case strings.HasPrefix(s, "-") || strings.HasPrefix(s, "－"):
		return 0, "振込金額は1円以上にしてください"
	case strings.ContainsAny(s, ".．"):
		return 0, "振込金額は円単位の整数で入力してください（小数は使えません）"
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		return 0, "振込金額は数字で入力してください（例: 25000）"
	}
	return n, ""
}

func withAmountError(fields map[string]string, amountErr string) map[string]string {
	if amountErr != "" {
		if fields == nil {
			fields = map[string]string{}
		}
		fields["amount"] = amountErr
	}
	return fields
}

func (p *Pages) create(w http.ResponseWriter, r *http.Request) {
	in, amountText, amountErr := formInput(r)
	t, err := p.svc.Register(r.Context(), r.PathValue("id"), in)
	if e := errs.As(err); e != nil && e.Kind == errs.KindInvalid {
		c, _, _ := p.svc.Prefill(r.Context(), r.PathValue("id"))
		p.renderForm(w, r, http.StatusUnprocessableEntity, formView{Case: c, In: in, AmountText: amountText,
			Errors: withAmountError(e.Fields, amountErr), Action: "/cases/" + c.ID + "/transfer"})
		return
	}
	if err != nil {
		p.render.Error(w, r, err)
		return
	}
	web.SetFlash(w, "振込を登録しました（振込実行待ち）")
	http.Redirect(w, r, "/cases/"+t.CaseID+"?tab=transfer", http.StatusSeeOther)
}

func (p *Pages) editForm(w http.ResponseWriter, r *http.Request) {
	t, err := p.svc.Get(r.Context(), r.PathValue("id"))
	if err != nil {
		p.render.Error(w, r, err)
		return
	}
	if !t.Allows(ActEdit) {
		p.render.Error(w, r, errs.Conflict("「"+t.StatusLabel+"」の振込は編集できません"))
		return
	}
	c, _, err := p.svc.Prefill(r.Context(), t.CaseID)
	if err != nil {
		p.render.Error(w, r, err)
		return
	}
	p.renderForm(w, r, http.StatusOK, formView{Case: c, Transfer: &t, In: inputOf(t), Action: "/transfers/" + t.ID,
		ReturnTo: returnTo(r.URL.Query().Get("return_to"))})
}

func (p *Pages) update(w http.ResponseWriter, r *http.Request) {
	in, amountText, amountErr := formInput(r)
	t, err := p.svc.Update(r.Context(), r.PathValue("id"), in)
	if e := errs.As(err); e != nil && e.Kind == errs.KindInvalid {
		cur, gerr := p.svc.Get(r.Context(), r.PathValue("id"))
		if gerr != nil {
			p.render.Error(w, r, gerr)
			return
		}
		c, _, _ := p.svc.Prefill(r.Context(), cur.CaseID)
		p.renderForm(w, r, http.StatusUnprocessableEntity, formView{Case: c, Transfer: &cur, In: in, AmountText: amountText,
			Errors: withAmountError(e.Fields, amountErr), Action: "/transfers/" + cur.ID, ReturnTo: returnTo(r.PostForm.Get("return_to"))})
		return
	}
	if err != nil {
		p.render.Error(w, r, err)
		return
	}
	web.SetFlash(w, "振込を修正しました（振込実行待ち）")
	back := "/cases/" + t.CaseID + "?tab=transfer"
	if rt := returnTo(r.PostForm.Get("return_to")); rt != "" {
		back = rt
	}
	http.Redirect(w, r, back, http.StatusSeeOther)
}

func (p *Pages) delete(w http.ResponseWriter, r *http.Request) {
	t, err := p.svc.Get(r.Context(), r.PathValue("id"))
	if err != nil {
		p.render.Error(w, r, err)
		return
	}
	if err := p.svc.Delete(r.Context(), t.ID); err != nil {
		p.render.Error(w, r, err)
		return
	}
	web.SetFlash(w, "振込を削除しました")
	http.Redirect(w, r, "/cases/"+t.CaseID+"?tab=transfer", http.StatusSeeOther)
}

// CaseTab is the 銀行振込 tab of the case detail page.
func (p *Pages) CaseTab() commerce.CaseTab {
	return commerce.CaseTab{Key: "transfer", Label: "銀行振込", Perm: auth.PermView, Order: 10,
		Render: func(r *http.Request, c commerce.CaseRow) (template.HTML, error) {
			t, err := p.svc.ForCase(r.Context(), c.ID)
			if err != nil {
				return "", err
			}
			var atts []AttemptView
			if t != nil {
				list, items, err := p.svc.attemptsWithItems(r.Context(), t.ID)
				if err != nil {
					return "", err
				}
				atts = attemptViews(*t, list, items)
			}
			pr := auth.FromContext(r.Context())
			var buf bytes.Buffer
			err = p.tab.ExecuteTemplate(&buf, "case_tab", map[string]any{"CaseID": c.ID, "Transfer": t, "Attempts": atts,
				"Stocked": commerce.CaseStatuses.Allows(c.Status, "transfer"), "CanOperate": pr.Can(auth.PermOperate),
				"CanExecute": pr.Can(auth.PermMoney), "CSRFToken": csrf(pr)})
			return template.HTML(buf.String()), err
		}}
}
