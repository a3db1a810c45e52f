package payout

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	"kessai/internal/platform/auth"
	"kessai/internal/platform/clock"
	"kessai/internal/platform/errs"
	"kessai/internal/web"
)

const listPath = "/accounting/transfers"

// listView is what 銀行振込一覧 shows.
type listView struct {
	Items      []Transfer
	Total      int
	Paging     web.Paging
	LastPage   int
	Query      url.Values
	Statuses   []web.Option
	Errors     map[string]string
	CanExecute bool
	CanOperate bool
	Filtered   bool
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

func (p *Pages) list(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	q := r.URL.Query()
	pg := web.PagingFrom(q, 50)
	v := listView{Paging: pg, Query: q, Statuses: web.Options(Statuses), CanExecute: auth.FromContext(ctx).Can(auth.PermMoney),
		CanOperate: auth.FromContext(ctx).Can(auth.PermOperate)}
	status := http.StatusOK
	f, err := filterFrom(q)
	if err == nil {
		f.Page, f.PerPage = pg.Page, pg.PerPage
		v.Filtered = f.Status != "" || f.CaseCode != "" || len(f.CaseIDs) > 0 || !f.From.IsZero() || !f.To.IsZero()
		v.Items, v.Total, err = p.svc.List(ctx, f)
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
	v.LastPage = max(1, (v.Total+pg.PerPage-1)/pg.PerPage)
	p.render.Render(w, r, status, "payout/transfers.html", web.View{Title: "銀行振込一覧", Nav: "accounting", Data: v})
}

// filterFrom reads the list's 詳細検索: 状態, ケース番号, 登録日 (JST dates, both ends included).
func filterFrom(q url.Values) (Filter, error) {
	f := Filter{Status: q.Get("status"), CaseCode: strings.TrimSpace(q.Get("case_code"))}
	if id := strings.TrimSpace(q.Get("case_id")); id != "" {
		f.CaseIDs = []string{id}
	}
	bad := errs.Fields{}
	for _, d := range []struct {
		name string
		dst  *time.Time
		next int
	}{{"from", &f.From, 0}, {"to", &f.To, 1}} {
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
	return f, bad.Err()
}

func (p *Pages) executeSelected(w http.ResponseWriter, r *http.Request) {
	_ = r.ParseForm()
	ids := dedupe(r.PostForm["id"])
	back := "/accounting/transfers"
	if s := r.PostForm.Get("status"); s != "" {
		back += "?" + url.Values{"status": {s}}.Encode()
	}
	if len(ids) == 0 {
		web.SetFlashError(w, "振込を選んでください")
		http.Redirect(w, r, back, http.StatusSeeOther)
		return
	}
	if len(ids) > syncExecuteMax && p.Enqueue != nil {
		pr := auth.FromContext(r.Context())
		where, err := p.Enqueue(r.Context(), ExecuteArgs{TransferIDs: ids, By: pr.Name, ByID: pr.ID})
		if err != nil {
			p.render.Error(w, r, err)
			return
		}
		web.SetFlash(w, fmt.Sprintf("%d件の振込実行をジョブで開始しました", len(ids)))
		http.Redirect(w, r, where, http.StatusSeeOther)
		return
	}
	res, err := p.exec.Execute(r.Context(), ids)
	if err != nil {
		web.SetFlashError(w, errMessage(err))
		http.Redirect(w, r, back, http.StatusSeeOther)
		return
	}
	counts := map[string]int{}
	var refused []string
	for _, x := range res {
		if x.Error != "" {
			refused = append(refused, x.Error)
			continue
		}
		counts[x.StatusLabel]++
	}
	var parts []string
	for _, st := range Statuses.All() {
		if n := counts[st.Label]; n > 0 {
			parts = append(parts, fmt.Sprintf("%s %d件", st.Label, n))
		}
	}
	msg := "振込を実行しました: " + strings.Join(parts, "、")
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
