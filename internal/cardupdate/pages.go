package cardupdate

import (
	"bytes"
	"context"
	"embed"
	"html/template"
	"net/http"
	"strconv"

	"kessai/internal/commerce"
	"kessai/internal/platform/auth"
	"kessai/internal/platform/errs"
	"kessai/internal/provider/gmopg/gmopgconn"
	"kessai/internal/web"
)

//go:embed templates
var templatesFS embed.FS

//go:embed static/cardform.js
var cardFormJS []byte

// Pages are the room's screens: the GMO-PG cards on the customer page (with the card entry
// form and 削除) and カード洗替 (the months, their failures and 再実行, the schedule).
type Pages struct {
	svc    *Service
	store  *commerce.Store
	render *web.Renderer
	parts  *template.Template
	// TokenURL is where the browser turns a card into a token; "" when there is no form
	// (production: GMO-PG's token script is not wired yet).
	TokenURL func(sandbox bool) string
	enqueue  func(ctx context.Context, runID string) (int64, error)
}

func newPages(svc *Service, store *commerce.Store, sh *web.Shell) (*Pages, error) {
	parts, err := template.New("cardupdate").Funcs(web.Funcs()).ParseFS(templatesFS, "templates/cards.html")
	if err != nil {
		return nil, err
	}
	if err := sh.Render.Add("cardupdate", templatesFS, "templates/pages"); err != nil {
		return nil, err
	}
	return &Pages{svc: svc, store: store, render: sh.Render, parts: parts}, nil
}

func (p *Pages) routes(sh *web.Shell) {
	sh.HandleFunc(http.MethodGet, "/cardupdate/cardform.js", auth.PermView, "カード入力フォームのスクリプト", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/javascript; charset=utf-8")
		_, _ = w.Write(cardFormJS)
	})
	sh.HandleFunc(http.MethodPost, "/customers/{id}/gmopg-cards", auth.PermOperate, "顧客のカードを GMO-PG に登録（トークン）", p.registerCard)
	sh.HandleFunc(http.MethodPost, "/customers/{id}/gmopg-cards/{card_id}/delete", auth.PermOperate, "顧客のカードを削除（GMO-PG からも）", p.deleteCard)
}

// Section is the customer page's panel of GMO-PG cards.
func (p *Pages) Section() commerce.CustomerSection {
	return commerce.CustomerSection{Key: "gmopg-cards", Perm: auth.PermView, Order: 10, Providers: []string{ProviderGMOPG},
		Render: func(r *http.Request, c commerce.Customer) (template.HTML, error) {
			ctx := r.Context()
			cards, err := p.svc.Cards(ctx, p.store, c.ID)
			if err != nil {
				return "", err
			}
			pr := auth.FromContext(ctx)
			data := map[string]any{"CustomerID": c.ID, "Cards": cards, "CanOperate": pr.Can(auth.PermOperate),
				"Level": func(code string) string { return CardStatuses.Lookup(code).Level }}
			if pr != nil {
				data["CSRFToken"] = pr.CSRFToken
			}
			if cn, err := p.svc.conn.Get(ctx); err == nil {
				set := gmopgconn.SettingsOf(cn)
				data["Sandbox"], data["SecurityCode"], data["Epos"] = cn.Sandbox, set.SecurityCode, set.Epos
				data["EposStoreCode"], data["EposBanner"] = set.EposStoreCode, set.EposBanner
				if p.TokenURL != nil {
					data["TokenURL"] = p.TokenURL(cn.Sandbox)
				}
			}
			var buf bytes.Buffer
			err = p.parts.ExecuteTemplate(&buf, "cards", data)
			return template.HTML(buf.String()), err
		}}
}

func (p *Pages) registerCard(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	c, err := p.svc.RegisterCard(r.Context(), p.store, id, r.PostFormValue("token"))
	if err != nil {
		p.back(w, r, id, err)
		return
	}
	web.SetFlash(w, "カード "+c.MaskedPAN+"（有効期限 "+c.Expiry+"）を登録しました。次回の洗替の対象になります")
	http.Redirect(w, r, "/customers/"+id+"#gmopg-cards", http.StatusSeeOther)
}

func (p *Pages) deleteCard(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	if err := p.svc.DeleteCard(r.Context(), p.store, id, r.PathValue("card_id")); err != nil {
		p.back(w, r, id, err)
		return
	}
	web.SetFlash(w, "カードを削除しました")
	http.Redirect(w, r, "/customers/"+id+"#gmopg-cards", http.StatusSeeOther)
}

// back returns to the customer page with why the action was refused; an unexpected error is
// the shell's error page.
func (p *Pages) back(w http.ResponseWriter, r *http.Request, customerID string, err error) {
	if e := errs.As(err); e == nil || e.Kind == errs.KindInternal {
		p.render.Error(w, r, err)
		return
	}
	web.SetFlashError(w, reasonOf(err))
	http.Redirect(w, r, "/customers/"+customerID+"#gmopg-cards", http.StatusSeeOther)
}

func (p *Pages) runRoutes(sh *web.Shell) {
	sh.HandleFunc(http.MethodGet, "/cardupdate", auth.PermView, "カード洗替（対象のプレビュー・実行履歴・予定）", p.runsPage)
	sh.HandleFunc(http.MethodPost, "/cardupdate/settings", auth.PermAdmin, "カード洗替の予定を保存", p.saveSettings)
	sh.HandleFunc(http.MethodPost, "/cardupdate/runs/{id}/rerun", auth.PermMoney, "失敗した洗替を再実行", p.rerun)
}

func (p *Pages) runsPage(w http.ResponseWriter, r *http.Request) {
	p.renderRuns(w, r, http.StatusOK, Schedule{}, nil)
}

func (p *Pages) renderRuns(w http.ResponseWriter, r *http.Request, status int, sc Schedule, fieldErrs map[string]string) {
	ctx := r.Context()
	month := monthNow(p.svc)
	n, targets, err := p.svc.Preview(ctx, month, 100)
	if err != nil {
		p.render.Error(w, r, err)
		return
	}
	runs, err := p.svc.Runs(ctx, 120)
	if err != nil {
		p.render.Error(w, r, err)
		return
	}
	if fieldErrs == nil {
		if sc, err = p.svc.Schedule(ctx); err != nil {
			p.render.Error(w, r, err)
			return
		}
	}
	pr := auth.FromContext(ctx)
	data := map[string]any{"Month": month, "Count": n, "Targets": targets, "Runs": runs, "Schedule": sc, "Errors": fieldErrs,
		"CanEdit": pr.Can(auth.PermAdmin), "CanRerun": pr.Can(auth.PermMoney),
		"Level": func(code string) string { return RunStatuses.Lookup(code).Level }, "Label": RunStatuses.Label}
	if pr != nil {
		data["CSRFToken"] = pr.CSRFToken
	}
	if run, err := p.svc.RunOf(ctx, month); err == nil {
		data["Run"], data["RunLabel"] = run, RunStatuses.Label(run.Status)
	}
	p.render.Render(w, r, status, "cardupdate/runs.html", web.View{Title: "カード洗替", Nav: "settings", Data: data})
}

func (p *Pages) saveSettings(w http.ResponseWriter, r *http.Request) {
	day := func(name string) int { n, _ := strconv.Atoi(r.PostFormValue(name)); return n }
	sc := Schedule{SubmitDay: day("submit_day"), ResultDay: day("result_day"), DeadlineDays: day("deadline_days")}
	if err := p.svc.SaveSchedule(r.Context(), sc); err != nil {
		if e := errs.As(err); e != nil && len(e.Fields) > 0 {
			p.renderRuns(w, r, http.StatusUnprocessableEntity, sc, e.Fields)
			return
		}
		p.render.Error(w, r, err)
		return
	}
	web.SetFlash(w, "予定を保存しました")
	http.Redirect(w, r, "/cardupdate", http.StatusSeeOther)
}

func (p *Pages) rerun(w http.ResponseWriter, r *http.Request) {
	run, job, err := p.svc.rerunNow(r.Context(), r.PathValue("id"), p.enqueue)
	if err != nil {
		if e := errs.As(err); e != nil && e.Kind != errs.KindInternal {
			web.SetFlashError(w, reasonOf(err))
			http.Redirect(w, r, "/cardupdate", http.StatusSeeOther)
			return
		}
		p.render.Error(w, r, err)
		return
	}
	msg := run.Month + " の洗替を再実行しました（" + RunStatuses.Label(run.Status) + "）"
	if job != 0 {
		msg = run.Month + " の結果取得を開始しました（ジョブ #" + strconv.FormatInt(job, 10) + "）"
	}
	web.SetFlash(w, msg)
	http.Redirect(w, r, "/cardupdate", http.StatusSeeOther)
}
