package rakutenpay

import (
	"bytes"
	"context"
	"embed"
	"errors"
	"fmt"
	"html/template"
	"net/http"
	"strconv"
	"time"

	"kessai/internal/commerce"
	"kessai/internal/platform/auth"
	"kessai/internal/platform/errs"
	"kessai/internal/provider/rakuten"
	"kessai/internal/room"
	"kessai/internal/web"
)

//go:embed templates
var templatesFS embed.FS

type pages struct {
	svc   *Service
	shell *web.Shell
	store *commerce.Store
	tmpl  *template.Template
}

func newPages(h *room.Host, svc *Service) (*pages, error) {
	tmpl, err := template.New("tab").Funcs(web.Funcs()).ParseFS(templatesFS, "templates/tab/*.html")
	if err != nil {
		return nil, err
	}
	if err := h.Shell.Render.Add(Room, templatesFS, "templates"); err != nil {
		return nil, err
	}
	p := &pages{svc: svc, shell: h.Shell, store: h.Commerce, tmpl: tmpl}
	sh := h.Shell
	sh.HandleFunc(http.MethodPost, "/rakutenpay/orders/{id}/revert-to-awaiting-payment", auth.PermOperate, "【入金待ちに戻す】（金額変更のあと）", p.revert)
	sh.HandleFunc(http.MethodPost, "/rakutenpay/orders/{id}/rakuten-cancel", auth.PermMoney, "楽天へキャンセル申請（cancelOrder）", p.cancel)
	sh.HandleFunc(http.MethodPost, "/rakuten/shops/{id}/sync", auth.PermOperate, "楽天の受注取込・入金確認を今すぐ実行", p.sync)
	sh.HandleFunc(http.MethodGet, "/settings/rakutenpay", auth.PermAdmin, "楽天ペイ: 出荷可能の設定", p.settings)
	sh.HandleFunc(http.MethodPost, "/settings/rakutenpay", auth.PermAdmin, "楽天ペイ: 出荷可能の設定を保存", p.saveSettings)
	sh.AddNav(web.NavEntry{Key: "orders_awaiting_payment", Label: "入金待ち", Path: "/orders?x_view=" + ViewAwaitingPayment, Order: web.NavCommerce + 31})
	sh.AddNav(web.NavEntry{Key: "orders_awaiting_print", Label: "印刷待ち", Path: "/orders?x_view=" + ViewAwaitingPrint, Order: web.NavCommerce + 32})
	sh.AddNav(web.NavEntry{Key: "rakutenpay_settings", Label: "楽天ペイ（出荷可能）", Path: "/settings/rakutenpay", Group: web.GroupSettings, Order: 60})
	return p, nil
}

// tab is the slip's 楽天連携 tab: the Rakuten order, what the poll last read, the listing,
// the cancel request and the sync history.
func (p *pages) tab() commerce.OrderTab {
	return commerce.OrderTab{Key: "rakuten", Label: "楽天連携", Perm: auth.PermView, Order: 20,
		Render: func(r *http.Request, o commerce.Order) (template.HTML, error) {
			ctx := r.Context()
			l, err := p.svc.LinkOf(ctx, p.svc.db, o.ID)
			if errors.Is(err, ErrNotLinked) {
				l = Link{}
			} else if err != nil {
				return "", err
			}
			hist, err := p.store.OrderHistory(ctx, o.ID)
			if err != nil {
				return "", err
			}
			var mine []commerce.OrderEvent
			for _, e := range hist {
				if e.Room == Room {
					mine = append(mine, e)
				}
			}
			pr := auth.FromContext(ctx)
			var reasons []web.Option
			for _, c := range rakuten.CancelReasons() {
				reasons = append(reasons, web.Option{Value: strconv.Itoa(c), Label: cancelReasonLabel(c)})
			}
			var buf bytes.Buffer
			err = p.tmpl.ExecuteTemplate(&buf, "order_tab", map[string]any{
				"Order": o, "Link": l, "Linked": l.OrderID != "", "History": mine,
				"Progress": l.Progress.Label(), "Payment": l.PaymentStatus.Label(), "Method": l.Settlement.Label(),
				"Cancel": CancelStates.Label(l.CancelState), "CancelLevel": CancelStates.Lookup(l.CancelState).Level,
				"CanRevert": pr.Can(auth.PermOperate) && o.OrderStatus != "cancelled" && o.OrderStatus != "shipped",
				"CanCancel": pr.Can(auth.PermMoney) && l.OrderID != "" && o.OrderStatus == "cancelled" && l.Progress.Cancellable() && (l.CancelState == "" || l.CancelState == CancelFailed),
				"Reasons":   reasons,
				"CSRFToken": pr.CSRFToken,
			})
			return template.HTML(buf.String()), err
		}}
}

func cancelReasonLabel(c int) string {
	return map[int]string{1: "キャンセル", 2: "受取後の返品", 3: "長期不在による受取拒否", 4: "未入金", 5: "代引決済の受取拒否",
		6: "お客様都合 その他", 8: "欠品", 10: "店舗様都合 その他", 13: "発送遅延", 14: "顧客・配送対応注意表示", 15: "返品（破損・品間違い）"}[c]
}

func back(id string) string { return "/orders/" + id + "?tab=rakuten" }

func (p *pages) revert(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	v, _ := strconv.Atoi(r.PostFormValue("version"))
	if _, err := p.svc.RevertToAwaitingPayment(r.Context(), id, v); err != nil {
		web.SetFlashError(w, errMessage(err))
	} else {
		web.SetFlash(w, "入金待ちに戻しました（入金状況 未入金・承認状況 未承認・承認日 空）")
	}
	http.Redirect(w, r, back(id), http.StatusSeeOther)
}

func (p *pages) cancel(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	reason, _ := strconv.Atoi(r.PostFormValue("reason"))
	if l, err := p.svc.RequestCancel(r.Context(), id, reason); err != nil {
		web.SetFlashError(w, errMessage(err))
	} else {
		web.SetFlash(w, "楽天へキャンセル申請しました: "+CancelStates.Label(l.CancelState))
	}
	http.Redirect(w, r, back(id), http.StatusSeeOther)
}

func (p *pages) sync(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(r.Context()), 10*time.Minute)
	defer cancel()
	rep, err := p.svc.Poll(ctx, r.PathValue("id"))
	if err != nil {
		web.SetFlashError(w, errMessage(err))
	} else {
		web.SetFlash(w, fmt.Sprintf("楽天を確認しました: 取込 %d件・反映 %d件・次回 %d件・未設定の決済方法 %d件", rep.Imported, rep.Updated, rep.Conflicts, rep.Unmapped))
	}
	to := r.PostFormValue("back")
	if to == "" || to[0] != '/' || (len(to) > 1 && to[1] == '/') {
		to = "/orders"
	}
	http.Redirect(w, r, to, http.StatusSeeOther)
}

func (p *pages) settings(w http.ResponseWriter, r *http.Request) {
	p.renderSettings(w, r, http.StatusOK, nil)
}

func (p *pages) renderSettings(w http.ResponseWriter, r *http.Request, status int, problem error) {
	ctx := r.Context()
	sh, err := p.svc.Shippable(ctx)
	if err != nil {
		p.shell.Render.Error(w, r, err)
		return
	}
	on := map[string]bool{}
	for _, c := range sh {
		on[c] = true
	}
	shops, err := p.store.ListShops(ctx)
	if err != nil {
		p.shell.Render.Error(w, r, err)
		return
	}
	type shopRow struct {
		Shop  commerce.Shop
		Poll  PollState
		Conf  *ShopConfig
		Link  string
		Error string
	}
	var rows []shopRow
	for _, s := range shops {
		st, _ := p.svc.PollState(ctx, s.ID)
		cfg, err := p.svc.Config(ctx, s.ID)
		row := shopRow{Shop: s, Poll: st, Conf: cfg, Link: "/settings/connections/" + ProviderKey + "?shop=" + s.ID}
		if err != nil {
			row.Error = err.Error()
		}
		rows = append(rows, row)
	}
	unmapped, err := p.svc.UnmappedOrders(ctx, "", 200)
	if err != nil {
		p.shell.Render.Error(w, r, err)
		return
	}
	msg := ""
	if problem != nil {
		msg = errMessage(problem)
	}
	p.shell.Render.Render(w, r, status, Room+"/settings.html", web.View{Title: "楽天ペイの設定", Nav: "rakutenpay_settings",
		Data: map[string]any{"Statuses": commerce.PaymentStatuses.All(), "On": on, "Shops": rows, "Problem": msg,
			"Every": DefaultPollEvery.String(), "Unmapped": unmapped}})
}

func (p *pages) saveSettings(w http.ResponseWriter, r *http.Request) {
	_ = r.ParseForm()
	if err := p.svc.SetShippable(r.Context(), r.PostForm["shippable"]); err != nil {
		p.renderSettings(w, r, http.StatusUnprocessableEntity, err)
		return
	}
	web.SetFlash(w, "出荷可能の設定を保存しました")
	http.Redirect(w, r, "/settings/rakutenpay", http.StatusSeeOther)
}

func errMessage(err error) string {
	if e := errs.As(err); e != nil && e.Kind != errs.KindInternal {
		return e.Message
	}
	return "処理に失敗しました: " + err.Error()
}
