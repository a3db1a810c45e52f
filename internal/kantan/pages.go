package kantan

import (
	"bytes"
	"embed"
	"fmt"
	"html/template"
	"io"
	"net/http"

	"kessai/internal/commerce"
	"kessai/internal/platform/auth"
	"kessai/internal/platform/errs"
	"kessai/internal/provider/gmopg"
	"kessai/internal/room"
	"kessai/internal/web"
)

//go:embed templates
var templatesFS embed.FS

type pages struct {
	svc    *Service
	render *web.Renderer
	tab    *template.Template
	jobs   func(r *http.Request) (int64, error)
}

func newPages(h *room.Host, svc *Service) (*pages, error) {
	if err := h.Shell.Render.Add(Room, templatesFS, "templates"); err != nil {
		return nil, err
	}
	tab, err := template.New("tab").Funcs(web.Funcs()).ParseFS(templatesFS, "templates/tab/*.html")
	if err != nil {
		return nil, fmt.Errorf("kantan: tab template: %w", err)
	}
	return &pages{svc: svc, render: h.Shell.Render, tab: tab, jobs: func(r *http.Request) (int64, error) {
		id, _, err := h.Jobs.Insert(r.Context(), SyncArgs{}, nil)
		return id, err
	}}, nil
}

func (p *pages) register(h *room.Host) {
	sh := h.Shell
	sh.HandleFunc(http.MethodGet, "/settings/kantan", auth.PermAdmin, "決済（GMO-PG）設定", p.settingsPage)
	sh.HandleFunc(http.MethodPost, "/settings/kantan", auth.PermAdmin, "決済（GMO-PG）設定の保存", p.saveSettings)
	sh.HandleFunc(http.MethodPost, "/kantan/sync", auth.PermOperate, "GMO-PG 決済状態の同期", p.syncAll)
	sh.AddNav(web.NavEntry{Key: "kantan-settings", Label: "決済（GMO-PG）", Path: "/settings/kantan", Group: web.GroupSettings, Order: 40})
	act := func(path, summary string, perm auth.Perm, run func(r *http.Request, id string) (Payment, error), done string) {
		sh.HandleFunc(http.MethodPost, "/kantan/orders/{id}/"+path, perm, summary, func(w http.ResponseWriter, r *http.Request) {
			id := r.PathValue("id")
			if _, err := run(r, id); err != nil {
				web.SetFlashError(w, errs.Text(err))
			} else {
				web.SetFlash(w, done)
			}
			http.Redirect(w, r, "/orders/"+id+"?tab=kantan", http.StatusSeeOther)
		})
	}
	act("capture", "実売上処理", auth.PermMoney, func(r *http.Request, id string) (Payment, error) {
		p, err := p.svc.Capture(r.Context(), id)
		if err == nil && p.Status != StatusCaptured {
			err = errs.Conflict(p.Reason)
		}
		return p, err
	}, "実売上処理をしました")
	act("send-change", "変更内容をGMO-PGに送信", auth.PermMoney, func(r *http.Request, id string) (Payment, error) {
		p, err := p.svc.SendChange(r.Context(), id)
		if err == nil && p.Reason != "" {
			err = errs.Conflict(p.Reason)
		}
		return p, err
	}, "変更内容を GMO-PG に送信しました")
	act("extend", "オーソリ期間延長", auth.PermMoney, func(r *http.Request, id string) (Payment, error) {
		return p.svc.Extend(r.Context(), id)
	}, "オーソリ期間を延長しました")
	act("retry-cancel", "GMO-PG の取消を再実行", auth.PermOperate, func(r *http.Request, id string) (Payment, error) {
		p, err := p.svc.RetryCancel(r.Context(), id)
		if err == nil && p.Status != StatusCancelled {
			err = errs.Conflict(p.Reason)
		}
		return p, err
	}, "GMO-PG の決済を取り消しました")
	sh.HandleFunc(http.MethodPost, "/kantan/orders/{id}/change-method", auth.PermOperate, "決済方法の変更", func(w http.ResponseWriter, r *http.Request) {
		id := r.PathValue("id")
		if _, err := p.svc.ChangeMethod(r.Context(), id, r.PostForm.Get("payment_method")); err != nil {
			web.SetFlashError(w, errs.Text(err))
		} else {
			web.SetFlash(w, "決済方法を変更しました（GMO-PG には連携しません）")
		}
		http.Redirect(w, r, "/orders/"+id+"?tab=kantan", http.StatusSeeOther)
	})
	act("sync", "GMO-PG の状態を照会", auth.PermOperate, func(r *http.Request, id string) (Payment, error) {
		return p.svc.SyncOrder(r.Context(), id, "画面から照会")
	}, "GMO-PG の状態を照会しました")
	p.registerTracking(h)
	sh.HandleFunc(http.MethodPost, ReturnPath, auth.PermPublic, "かんたん支払いからの戻り（購入者）", p.returned)
	sh.HandleFunc(http.MethodPost, NotifyPath, auth.PermPublic, "GMO-PG 結果通知", p.svc.ServeNotify)
	h.Pages.AddOrderTab(commerce.OrderTab{Key: "kantan", Label: "かんたん決済", Perm: auth.PermView, Order: 20, Render: p.orderTab})
	h.Pages.AddListExtension(commerce.ListExtension{List: commerce.ListOrders, Perm: auth.PermView,
		Field:  &web.Field{Name: "x_kantan_status", Label: "決済ステータス（かんたん決済）", Type: "select", Options: web.Options(Statuses)},
		Where:  listCond,
		Column: &web.Column{Label: "決済ステータス"}, Cells: p.svc.cells})
}

func (p *pages) orderTab(r *http.Request, o commerce.Order) (template.HTML, error) {
	pay, err := p.svc.Payment(r.Context(), o.ID)
	data := map[string]any{"Order": o}
	if err == nil {
		st, err := p.svc.Settings(r.Context())
		if err != nil {
			return "", err
		}
		pr := auth.FromContext(r.Context())
		data["P"], data["Settings"] = pay, st
		data["Unsent"] = o.Total != pay.Amount
		data["CanMoney"], data["CanOperate"] = pr.Can(auth.PermMoney), pr.Can(auth.PermOperate)
		data["CanCapture"] = pay.Busy == "" && refusal(pay.Status, ActCapture) == "" && o.Total == pay.Amount
		data["CanSend"] = pay.Busy == "" && o.Total != pay.Amount && (pay.Status == StatusAuthorized || pay.Status == StatusCaptured)
		data["CanExtend"] = pay.Busy == "" && st.ExtendAuth && refusal(pay.Status, ActExtend) == "" && pay.PayType == gmopg.PayTypeRecruit
		data["Allowed"] = allowedText(pay.Status)
		data["CanChangeMethod"] = pay.Busy == "" && refusal(pay.Status, ActChangeMethod) == ""
		data["OtherMethods"] = otherMethods()
		data["CanRetryCancel"] = pay.Busy == "" && o.OrderStatus == "cancelled" && pay.Status != StatusCancelled && pay.AccessID != ""
		data["Level"] = Statuses.Lookup(pay.Status)
		if pr != nil {
			data["CSRFToken"] = pr.CSRFToken
		}
	} else if e := errs.As(err); e == nil || e.Kind != errs.KindNotFound {
		return "", err
	}
	var buf bytes.Buffer
	err = p.tab.ExecuteTemplate(&buf, "order_tab", data)
	return template.HTML(buf.String()), err
}

func (p *pages) settingsPage(w http.ResponseWriter, r *http.Request) {
	st, err := p.svc.Settings(r.Context())
	if err != nil {
		p.render.Error(w, r, err)
		return
	}
	p.render.Render(w, r, http.StatusOK, "kantan/settings.html", web.View{Title: "決済（GMO-PG）", Nav: "kantan-settings", Data: map[string]any{"S": st}})
}

func (p *pages) saveSettings(w http.ResponseWriter, r *http.Request) {
	f := r.PostForm
	st := Settings{JobCd: gmopg.JobCd(f.Get("job_cd")), ExtendAuth: f.Get("extend_auth") == "on", ShipCapture: f.Get("ship_capture") == "on",
		CaptureFail: f.Get("capture_fail")}
	if err := p.svc.SaveSettings(r.Context(), st); err != nil {
		if e := errs.As(err); e != nil && e.Kind == errs.KindInvalid {
			p.render.Render(w, r, http.StatusUnprocessableEntity, "kantan/settings.html", web.View{Title: "決済（GMO-PG）", Nav: "kantan-settings",
				Data: map[string]any{"S": st, "Errors": e.Fields}})
			return
		}
		p.render.Error(w, r, err)
		return
	}
	web.SetFlash(w, "決済（GMO-PG）の設定を保存しました")
	http.Redirect(w, r, "/settings/kantan", http.StatusSeeOther)
}

func (p *pages) syncAll(w http.ResponseWriter, r *http.Request) {
	id, err := p.jobs(r)
	if err != nil {
		p.render.Error(w, r, err)
		return
	}
	web.SetFlash(w, fmt.Sprintf("GMO-PG 決済状態の同期を開始しました（ジョブ %d）", id))
	http.Redirect(w, r, "/settings/kantan", http.StatusSeeOther)
}

// returned is the buyer's return from the payment page (GMO-PG posts the result in CP932).
func (p *pages) returned(w http.ResponseWriter, r *http.Request) {
	pay, err := p.svc.Returned(r.Context(), formBody(r))
	data := map[string]any{"P": pay}
	status := http.StatusOK
	if err != nil {
		p.svc.log.WarnContext(r.Context(), "kantan: buyer return", "err", err)
		data["Err"] = "お支払いの結果を確認できませんでした。お手数ですがお店にお問い合わせください。"
		status = http.StatusBadGateway
	}
	p.render.Render(w, r, status, "kantan/return.html", web.View{Title: "お支払いの結果", Data: data})
}

// formBody is a provider's form post as sent. kessai's middleware may have parsed the form
// already (the body is then consumed): it is encoded again from PostForm, whose values keep
// the raw CP932 bytes, so gmopg.ParseForm reads it alike.
func formBody(r *http.Request) []byte {
	if r.PostForm == nil {
		b, _ := io.ReadAll(io.LimitReader(r.Body, 64<<10))
		return b
	}
	return []byte(r.PostForm.Encode())
}

// otherMethods are the payment methods outside GMO-PG (決済方法の変更's choices).
func otherMethods() []web.Option {
	var out []web.Option
	for _, o := range web.Options(commerce.PaymentMethods) {
		if _, gmo := Methods[o.Value]; !gmo {
			out = append(out, o)
		}
	}
	return out
}
