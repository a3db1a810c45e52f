package payout

import (
	"context"
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
	f := Filter{Status: q.Get("status"), Page: pg.Page, PerPage: pg.PerPage}
	ids, narrowed, err := p.narrow(ctx, q)
	if err == nil {
		v.Filtered = narrowed || f.Status != ""
		if narrowed && len(ids) == 0 {
			ids = []string{"-"} // nothing matches; an empty list would mean "no filter"
		}
		f.IDs = ids
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

// narrow applies the filters the service has no field for (ケース番号, 登録日) as an ID list.
func (p *Pages) narrow(ctx context.Context, q url.Values) ([]string, bool, error) {
	code := strings.TrimSpace(q.Get("case_code"))
	from, to := strings.TrimSpace(q.Get("from")), strings.TrimSpace(q.Get("to"))
	caseID := strings.TrimSpace(q.Get("case_id"))
	if code == "" && from == "" && to == "" && caseID == "" {
		return nil, false, nil
	}
	f := errs.Fields{}
	var where []string
	var args []any
	if code != "" {
		where, args = append(where, "c.code = ?"), append(args, code)
	}
	if caseID != "" {
		where, args = append(where, "t.case_id = ?"), append(args, caseID)
	}
	for _, d := range []struct{ name, v, op string }{{"from", from, ">="}, {"to", to, "<"}} {
		if d.v == "" {
			continue
		}
		day, err := time.ParseInLocation("2006-01-02", d.v, clock.JST)
		if err != nil {
			f.Add(d.name, "日付は YYYY-MM-DD で入力してください")
			continue
		}
		if d.name == "to" {
			day = day.AddDate(0, 0, 1)
		}
		where, args = append(where, "t.created_at "+d.op+" ?"), append(args, day.UTC())
	}
	if err := f.Err(); err != nil {
		return nil, true, err
	}
	rows, err := p.svc.DB().QueryContext(ctx, `SELECT t.id FROM transfers t JOIN purchase_cases c ON c.id = t.case_id
		WHERE `+strings.Join(where, " AND ")+` ORDER BY t.created_at DESC LIMIT 5000`, args...)
	if err != nil {
		return nil, true, fmt.Errorf("filter transfers: %w", err)
	}
	defer rows.Close()
	var ids []string
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			return nil, true, err
		}
		ids = append(ids, id)
	}
	return ids, true, rows.Err()
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
