package web

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"net/http"
	"net/url"
	"strings"

	"kessai/internal/platform/auth"
	"kessai/internal/platform/bulk"
	"kessai/internal/platform/errs"
)

// BulkPages are the shell's pages of the bulk-action pattern: confirmation, run progress and
// result. Rooms call Actions and ResultFilter from their list handlers.
type BulkPages struct {
	svc    *bulk.Service
	render *Renderer
	// conditions describe a list's search in words for the confirm page of 全N件, by record type.
	conditions map[string]func(ctx context.Context, q url.Values) []string
}

// AddConditions tells the confirm page how to say a list's search in words (「状態: 入庫完了」),
// so 「全N件」 shows which records the search selects.
func (b *BulkPages) AddConditions(recordType string, f func(ctx context.Context, q url.Values) []string) {
	if b.conditions == nil {
		b.conditions = map[string]func(context.Context, url.Values) []string{}
	}
	b.conditions[recordType] = f
}

// DescribeFields says which of fields q sets, in words: "Label: value" with options shown by
// their labels and ranges as from〜to.
func DescribeFields(fields []Field, q url.Values) []string {
	var out []string
	label := func(f Field, v string) string {
		for _, o := range f.Options {
			if o.Value == v {
				return o.Label
			}
		}
		return v
	}
	for _, f := range fields {
		var vals []string
		for _, v := range q[f.Name] {
			if v = strings.TrimSpace(v); v != "" {
				vals = append(vals, label(f, v))
			}
		}
		to := strings.TrimSpace(q.Get(f.Name2))
		if f.Name2 != "" && (len(vals) > 0 || to != "") {
			from := strings.Join(vals, "")
			out = append(out, f.Label+": "+from+"〜"+to)
			continue
		}
		if len(vals) > 0 {
			out = append(out, f.Label+": "+strings.Join(vals, "・"))
		}
	}
	return out
}

// MountBulk routes the bulk pages on s:
//
//	POST /bulk/confirm             the confirmation page (from a list's bulk menus)
//	POST /bulk/runs                start the run (double submits land on the same run)
//	GET  /bulk/runs/{id}           progress, then per-outcome counts linking to the records
//	GET  /bulk/runs/{id}/progress  progress as JSON, for the page's poll
func MountBulk(s *Shell, svc *bulk.Service) *BulkPages {
	b := &BulkPages{svc: svc, render: s.Render}
	s.HandleFunc(http.MethodPost, "/bulk/confirm", auth.PermOperate, "一括操作の確認", b.confirm)
	s.HandleFunc(http.MethodPost, "/bulk/runs", auth.PermOperate, "一括操作の実行", b.start)
	s.HandleFunc(http.MethodGet, "/bulk/runs/{id}", auth.PermView, "一括操作の結果", b.show)
	s.HandleFunc(http.MethodGet, "/bulk/runs/{id}/progress", auth.PermView, "一括操作の進捗（JSON）", b.progress)
	return b
}

// Service is the bulk service behind the pages.
func (b *BulkPages) Service() *bulk.Service { return b.svc }

// Actions lists the menu entries of recordType the request's principal may run.
func (b *BulkPages) Actions(r *http.Request, recordType string) []BulkAction {
	var out []BulkAction
	for _, a := range b.svc.Actions(recordType, auth.FromContext(r.Context())) {
		out = append(out, BulkAction{Name: a.Name, Label: a.Label})
	}
	return out
}

// ResultFilter is a list opened from a result page's count (?bulk_run=RUN&outcome=CODE).
type ResultFilter struct {
	Active bool
	// IDs are the run's records with the outcome; restrict the list to them (when Active and
	// empty, the list is empty).
	IDs    []string
	Notice string // 「一括操作「…」の結果: エラー を表示しています」
	Clear  string // the list without the result filter
}

// ResultFilter reads bulk_run and outcome from the request's query.
func (b *BulkPages) ResultFilter(r *http.Request) (ResultFilter, error) {
	f := bulk.ItemFilterFrom(r.URL.Query())
	if f.IsZero() {
		return ResultFilter{}, nil
	}
	run, err := b.svc.Get(r.Context(), f.Run)
	if err != nil {
		return ResultFilter{}, err
	}
	ids, err := b.svc.RecordIDs(r.Context(), f)
	if err != nil {
		return ResultFilter{}, err
	}
	label, outcome := run.Action, "すべて"
	if a, ok := b.svc.Action(run.Action); ok {
		label = a.Label
		if o, ok := a.Outcome(f.Outcome); ok {
			outcome = o.Label
		}
	}
	q := r.URL.Query()
	q.Del("bulk_run")
	q.Del("outcome")
	q.Del("page")
	clear := r.URL.Path
	if len(q) > 0 {
		clear += "?" + q.Encode()
	}
	return ResultFilter{Active: true, IDs: ids, Clear: clear,
		Notice: "一括操作「" + label + "」（" + jstOf(run) + "）の結果: " + outcome + " の" + Comma(int64(len(ids))) + "件を表示しています"}, nil
}

func jstOf(r bulk.Run) string { return FormatJST(r.CreatedAt, "2006/01/02 15:04") }

// selection is what a list's bulk form posts.
type selection struct {
	scope      string // all or selected
	action     *bulk.Action
	recordType string
	ids        []string
	filter     url.Values
	returnTo   string
}

func (b *BulkPages) readSelection(r *http.Request) (selection, error) {
	if err := r.ParseForm(); err != nil {
		return selection{}, errs.Invalid("フォームを読み取れません").Wrap(err)
	}
	var s selection
	scope, name, _ := strings.Cut(r.PostForm.Get("bulk"), ":")
	if name == "" {
		scope, name = r.PostForm.Get("scope"), r.PostForm.Get("action")
	}
	a, ok := b.svc.Action(name)
	if !ok {
		return s, errs.NotFound("一括操作が見つかりません: " + name)
	}
	if rt := r.PostForm.Get("record_type"); rt != "" && rt != a.RecordType {
		return s, errs.Invalid("一括操作「" + a.Label + "」はこの一覧では使えません")
	}
	if !auth.FromContext(r.Context()).Can(a.Perm) {
		return s, errs.Forbidden("一括操作「" + a.Label + "」を行う権限がありません")
	}
	filter, _ := url.ParseQuery(r.PostForm.Get("filter"))
	s = selection{scope: scope, action: a, recordType: a.RecordType, filter: filter, returnTo: safeLocal(r.PostForm.Get("return_to"))}
	switch scope {
	case "all":
	case "selected":
		s.ids = r.PostForm["id"]
		if len(s.ids) == 0 {
			return s, errs.Invalid("操作する行にチェックを入れてから選んでください")
		}
	default:
		return s, errs.Invalid("操作の対象（全件か選択した行か）を選んでください")
	}
	return s, nil
}

// safeLocal keeps only same-site paths (no open redirect through return_to).
func safeLocal(p string) string {
	if !strings.HasPrefix(p, "/") || strings.HasPrefix(p, "//") || strings.HasPrefix(p, "/\\") {
		return "/"
	}
	return p
}

func (b *BulkPages) confirm(w http.ResponseWriter, r *http.Request) {
	sel, err := b.readSelection(r)
	if err != nil {
		if errs.KindOf(err) == errs.KindInvalid && sel.returnTo != "" {
			SetFlashError(w, errs.As(err).Message)
			http.Redirect(w, r, sel.returnTo, http.StatusSeeOther)
			return
		}
		b.render.Error(w, r, err)
		return
	}
	ids, err := b.svc.Resolve(r.Context(), bulk.Request{Action: sel.action.Name, IDs: sel.ids, Filter: sel.filter})
	if err != nil {
		b.render.Error(w, r, err)
		return
	}
	var token [16]byte
	_, _ = rand.Read(token[:])
	src, _ := b.svc.Source(sel.recordType)
	srcLabel := sel.recordType
	if src != nil {
		srcLabel = src.Label
	}
	summary := ""
	if sel.action.Summary != nil && len(ids) > 0 {
		if summary, err = sel.action.Summary(r.Context(), ids); err != nil {
			b.render.Error(w, r, err)
			return
		}
	}
	var conds []string
	if describe := b.conditions[sel.recordType]; describe != nil && sel.scope == "all" {
		conds = describe(r.Context(), bulk.CleanFilter(sel.filter))
	}
	b.render.Render(w, r, http.StatusOK, "web/bulk_confirm.html", View{Title: "一括操作の確認", Data: map[string]any{
		"Action": sel.action, "Scope": sel.scope, "Count": len(ids), "CountText": Comma(int64(len(ids))), "IDs": sel.ids, "Filter": bulk.CleanFilter(sel.filter).Encode(),
		"ReturnTo": sel.returnTo, "Token": hex.EncodeToString(token[:]), "Source": srcLabel, "Summary": summary, "Conditions": conds,
	}})
}

func (b *BulkPages) start(w http.ResponseWriter, r *http.Request) {
	sel, err := b.readSelection(r)
	if err != nil {
		b.render.Error(w, r, err)
		return
	}
	id, _, err := b.svc.Start(r.Context(), bulk.Request{Action: sel.action.Name, Token: r.PostForm.Get("token"), IDs: sel.ids, Filter: sel.filter})
	if err != nil && id == "" {
		b.render.Error(w, r, err)
		return
	}
	http.Redirect(w, r, "/bulk/runs/"+url.PathEscape(id), http.StatusSeeOther)
}

// outcomeView is one count of the result page.
type outcomeView struct {
	bulk.Outcome
	Count     int
	CountText string
	Link      string
}

// itemView is one error (or other reasoned) item of the result page.
type itemView struct {
	bulk.Item
	Name  string
	Link  string
	Label string
}

func (b *BulkPages) show(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	run, err := b.svc.Get(ctx, r.PathValue("id"))
	if err != nil {
		b.render.Error(w, r, err)
		return
	}
	a, _ := b.svc.Action(run.Action)
	src, _ := b.svc.Source(run.RecordType)
	label := run.Action
	var outcomes []outcomeView
	var problems []itemView
	if a != nil {
		label = a.Label
		for _, o := range a.Outcomes {
			ov := outcomeView{Outcome: o, Count: run.Counts[o.Code], CountText: Comma(int64(run.Counts[o.Code]))}
			if src != nil && ov.Count > 0 {
				ov.Link = src.ResultLink(run, o.Code)
			}
			outcomes = append(outcomes, ov)
		}
		// Items with a reason: errors first, then the others that explain themselves (skips).
		for _, o := range a.Outcomes {
			if run.Counts[o.Code] == 0 || (o.Code != bulk.OutcomeError && o.Level != "error" && o.Level != "warn") {
				continue
			}
			items, err := b.svc.Items(ctx, run.ID, o.Code, 200)
			if err != nil {
				b.render.Error(w, r, err)
				return
			}
			for _, it := range items {
				problems = append(problems, itemView{Item: it, Name: it.RecordID, Label: o.Label})
			}
		}
		if src != nil && len(problems) > 0 {
			names := map[string]string{}
			if src.Describe != nil {
				ids := make([]string, len(problems))
				for i, p := range problems {
					ids[i] = p.RecordID
				}
				if names, err = src.Describe(ctx, ids); err != nil {
					b.render.Error(w, r, err)
					return
				}
			}
			for i := range problems {
				if n := names[problems[i].RecordID]; n != "" {
					problems[i].Name = n
				}
				if src.RecordPath != "" {
					problems[i].Link = src.RecordPath + url.PathEscape(problems[i].RecordID)
				}
			}
		}
	}
	all := ""
	if src != nil {
		all = src.ResultLink(run, "")
	}
	b.render.Render(w, r, http.StatusOK, "web/bulk_run.html", View{Title: "一括操作の結果", Data: map[string]any{
		"Run": run, "Label": label, "DoneText": Comma(int64(run.Done)), "TotalText": Comma(int64(run.Total)), "State": bulk.StateLabel(run.State), "Outcomes": outcomes, "Problems": problems, "AllLink": all,
	}})
}

func (b *BulkPages) progress(w http.ResponseWriter, r *http.Request) {
	run, err := b.svc.Get(r.Context(), r.PathValue("id"))
	if err != nil {
		WriteError(w, r, err)
		return
	}
	w.Header().Set("Cache-Control", "no-store")
	WriteJSON(w, http.StatusOK, map[string]any{"id": run.ID, "state": run.State, "state_label": bulk.StateLabel(run.State),
		"total": run.Total, "done": run.Done, "percent": run.Percent(), "finished": run.Finished(), "counts": run.Counts})
}
