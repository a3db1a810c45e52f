package payout

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	"kessai/internal/platform/auth"
	"kessai/internal/platform/bankaccount"
	"kessai/internal/platform/bulk"
	"kessai/internal/platform/clock"
	"kessai/internal/platform/errs"
	"kessai/internal/web"
)

const listPath = "/accounting/transfers"

// listView is what 銀行振込一覧 shows.
type listView struct {
	Items      []Transfer
	Total      int
	Sum        Summary // 合計件数・合計金額 of the whole search, not only this page
	Paging     web.Paging
	LastPage   int
	Query      url.Values
	Search     []web.KV // the search as hidden fields, for actions on 全N件
	Conditions []string // the search in words (全N件 confirm, the totals line)
	Statuses   []web.Option
	Errors     map[string]string
	CanExecute bool
	CanOperate bool
	Mode       string // the default 実行方法 (ModeBulk or ModeSingle)
	Filtered   bool
	Return     string // this list with its search, for the edit form's 戻る
}

// PageHref is the list's own query with page set.
func (v listView) PageHref(n int) string {
	q := url.Values{}
	for k, vs := range v.Query {
		q[k] = vs
	}
	q.Set("page", fmt.Sprint(n))
	return listPath + "?" + q.Encode()
}

// ExportHref is the CSV of the whole search.
func (v listView) ExportHref() string {
	q := url.Values{}
	for k, vs := range v.Query {
		if k != "page" {
			q[k] = vs
		}
	}
	return listPath + "/export?" + q.Encode()
}

// searchParams are the list's 詳細検索 parameters, in the order they are described.
var searchParams = []string{"status", "case_code", "customer", "apply_no", "amount_min", "amount_max", "from", "to", "completed_from", "completed_to"}

func (p *Pages) list(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	q := r.URL.Query()
	pg := web.PagingFrom(q, 50)
	v := listView{Paging: pg, Query: q, Statuses: web.Options(Statuses), CanExecute: auth.FromContext(ctx).Can(auth.PermMoney),
		CanOperate: auth.FromContext(ctx).Can(auth.PermOperate), Return: r.URL.RequestURI()}
	status := http.StatusOK
	f, err := filterFrom(q)
	if err == nil {
		f.Page, f.PerPage = pg.Page, pg.PerPage
		v.Items, v.Total, err = p.svc.List(ctx, f)
	}
	if err == nil {
		v.Sum, err = p.svc.Summarize(ctx, f)
	}
	if e := errs.As(err); e != nil && e.Kind == errs.KindInvalid {
		v.Errors, status, err = e.Fields, http.StatusUnprocessableEntity, nil
		if v.Errors == nil {
			v.Errors = map[string]string{"": e.Message}
		}
	}
	if err != nil {
		p.render.Error(w, r, err)
		return
	}
	for _, k := range searchParams {
		if val := strings.TrimSpace(q.Get(k)); val != "" {
			v.Filtered = true
			v.Search = append(v.Search, web.KV{Key: k, Value: val})
		}
	}
	v.Conditions = describeSearch(q)
	if v.Mode, err = p.svc.ExecuteMode(ctx); err != nil {
		p.render.Error(w, r, err)
		return
	}
	v.LastPage = max(1, (v.Total+pg.PerPage-1)/pg.PerPage)
	p.render.Render(w, r, status, "payout/transfers.html", web.View{Title: "銀行振込一覧", Nav: "accounting", Data: v})
}

// describeSearch says the search in words: 「状態: 振込完了」「振込金額: ¥1,000〜」.
func describeSearch(q url.Values) []string {
	get := func(k string) string { return strings.TrimSpace(q.Get(k)) }
	var out []string
	if s := get("status"); s != "" {
		out = append(out, "状態: "+Statuses.Label(s))
	}
	for _, x := range []struct{ k, label string }{{"case_code", "ケース番号"}, {"customer", "顧客"}, {"apply_no", "受付番号"}} {
		if s := get(x.k); s != "" {
			out = append(out, x.label+": "+s)
		}
	}
	rng := func(label, from, to string, show func(string) string) {
		if from != "" || to != "" {
			txt := label + ": "
			if from != "" {
				txt += show(from)
			}
			txt += "〜"
			if to != "" {
				txt += show(to)
			}
			out = append(out, txt)
		}
	}
	yen := func(s string) string {
		if n, msg := ParseAmount(s); msg == "" {
			return web.Yen(n)
		}
		return s
	}
	rng("振込金額", get("amount_min"), get("amount_max"), yen)
	rng("登録日", get("from"), get("to"), web.FormatDate)
	rng("振込完了日", get("completed_from"), get("completed_to"), web.FormatDate)
	return out
}

// filterFrom reads the list's 詳細検索: 状態, ケース番号, 顧客, 受付番号, 振込金額の範囲, 登録日 and
// 振込完了日 (JST dates, both ends included). Every bad field is reported at once.
func filterFrom(q url.Values) (Filter, error) {
	f := Filter{Status: q.Get("status"), CaseCode: strings.TrimSpace(q.Get("case_code")),
		Customer: strings.TrimSpace(q.Get("customer")), ApplyNo: bankaccount.Digits(q.Get("apply_no"))}
	if id := strings.TrimSpace(q.Get("case_id")); id != "" {
		f.CaseIDs = []string{id}
	}
	bad := errs.Fields{}
	for _, d := range []struct {
		name string
		dst  *time.Time
		next int
	}{{"from", &f.From, 0}, {"to", &f.To, 1}, {"completed_from", &f.CompletedFrom, 0}, {"completed_to", &f.CompletedTo, 1}} {
		v := strings.TrimSpace(q.Get(d.name))
		if v == "" {
			continue
		}
		day, err := time.ParseInLocation("2006-01-02", v, clock.JST)
		if err != nil {
			bad.Add(d.name, "日付は YYYY-MM-DD で入力してください")
			continue
		}
		*d.dst = day.AddDate(0, 0, d.next) // "to" is inclusive: before the next day's 0:00
	}
	for _, a := range []struct {
		name string
		dst  **int64
	}{{"amount_min", &f.AmountMin}, {"amount_max", &f.AmountMax}} {
		v := strings.TrimSpace(q.Get(a.name))
		if v == "" {
			continue
		}
		n, msg := ParseAmount(v)
		if msg != "" {
			bad.Add(a.name, strings.Replace(msg, "振込金額は", "金額は", 1))
			continue
		}
		*a.dst = &n
	}
	if f.AmountMin != nil && f.AmountMax != nil && *f.AmountMin > *f.AmountMax {
		bad.Add("amount_max", "振込金額の上限は下限以上にしてください")
	}
	if f.ApplyNo != "" && !bankaccount.AllDigits(f.ApplyNo) {
		bad.Add("apply_no", "受付番号は数字で入力してください（16桁）")
	}
	return f, bad.Err()
}

// executeConfirmView is the confirm page of 【全N件を振込実行】: what the search holds, what of it
// can be executed, in count and yen, and the search itself.
type executeConfirmView struct {
	Executable []Transfer
	Sum        Summary // of Executable
	Skipped    int     // matching, but in a status that cannot be executed
	Exported   int     // matching and executable, but in a 全銀 file: never sent by API
	Mode       string  // まとめて (bulk, default) or 1件ずつ (single), as chosen on the list
	Conditions []string
	Back       string
}

func (p *Pages) executeSelected(w http.ResponseWriter, r *http.Request) {
	_ = r.ParseForm()
	ids := bulk.Dedupe(r.PostForm["id"])
	back := "/accounting/transfers"
	if rt := returnTo(r.PostForm.Get("return_to")); rt != "" {
		back = rt
	} else if s := r.PostForm.Get("status"); s != "" {
		back += "?" + url.Values{"status": {s}}.Encode()
	}
	if r.PostForm.Get("scope") == "all" {
		ts, _, err := p.selection(r.Context(), r)
		if err != nil {
			p.listError(w, r, err)
			return
		}
		v := executeConfirmView{Conditions: describeSearch(r.PostForm), Back: back, Mode: r.PostForm.Get("mode")}
		if v.Mode == "" {
			v.Mode, _ = p.svc.ExecuteMode(r.Context())
		}
		for _, t := range ts {
			if t.Allows(ActExecute) && t.FileExportedAt != nil {
				v.Exported++
			} else if t.Allows(ActExecute) {
				v.Executable = append(v.Executable, t)
				v.Sum.Count++
				v.Sum.Amount += t.Amount
			} else {
				v.Skipped++
			}
		}
		// The confirm page sends back exactly the transfers it showed, so what is executed is
		// what was confirmed even if the search would now find more.
		p.render.Render(w, r, http.StatusOK, "payout/execute_confirm.html", web.View{Title: "振込実行の確認", Nav: "accounting", Data: v})
		return
	}
	mode := r.PostForm.Get("mode")
	if mode != ModeSingle && mode != ModeBulk {
		mode = "" // the room's setting
	}
	if len(ids) == 0 {
		web.SetFlashError(w, "振込を選んでください")
		http.Redirect(w, r, back, http.StatusSeeOther)
		return
	}
	if len(ids) > syncExecuteMax && p.Enqueue != nil {
		pr := auth.FromContext(r.Context())
		where, err := p.Enqueue(r.Context(), ExecuteArgs{TransferIDs: ids, By: pr.Name, ByID: pr.ID, Mode: mode})
		if err != nil {
			p.render.Error(w, r, err)
			return
		}
		web.SetFlash(w, fmt.Sprintf("%d件の振込実行をジョブで開始しました", len(ids)))
		http.Redirect(w, r, where, http.StatusSeeOther)
		return
	}
	res, err := p.exec.ExecuteAs(r.Context(), ids, mode)
	if err != nil {
		web.SetFlashError(w, errMessage(err))
		http.Redirect(w, r, back, http.StatusSeeOther)
		return
	}
	counts := map[string]int{}
	var refused []string
	batches := map[string]int{}
	for _, x := range res {
		if x.Error != "" {
			refused = append(refused, x.Error)
			continue
		}
		counts[x.StatusLabel]++
		if x.BatchID != "" {
			batches[x.BatchID]++
		}
	}
	var parts []string
	for _, st := range Statuses.All() {
		if n := counts[st.Label]; n > 0 {
			parts = append(parts, fmt.Sprintf("%s %d件", st.Label, n))
		}
	}
	msg := "振込を実行しました: " + strings.Join(parts, "、")
	if len(batches) > 0 {
		msg = fmt.Sprintf("総合振込（%d回・銀行の承認は1回ずつ）で振込を実行しました: %s", len(batches), strings.Join(parts, "、"))
	}
	if len(refused) > 0 {
		msg += "（実行できなかったもの: " + strings.Join(refused, " / ") + "）"
		web.SetFlashError(w, msg)
	} else {
		web.SetFlash(w, msg)
	}
	http.Redirect(w, r, back, http.StatusSeeOther)
}

// StatusLevel is the badge colour of the transfer's status ("ok", "warn", "error").
func (t Transfer) StatusLevel() string {
	st, _ := Statuses.Get(t.Status)
	return st.Level
}

// Num writes n with thousands separators.
func (v listView) Num(n int) string { return web.Comma(int64(n)) }
