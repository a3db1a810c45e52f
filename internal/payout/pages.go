package payout

import (
	"context"
	"embed"
	"fmt"
	"html/template"
	"net/http"

	"kessai/internal/platform/auth"
	"kessai/internal/platform/errs"
	"kessai/internal/web"
)

//go:embed templates
var templatesFS embed.FS

// syncExecuteMax is how many transfers the list page executes while the person waits; larger
// selections run as a payout.execute job with progress (when Enqueue is set).
const syncExecuteMax = 10

// Pages are the payout room's screens: the bank settings, the 銀行振込 tab of a case, the
// transfer form, 会計 › 銀行振込一覧, and the 一括振込依頼 bulk action on the case list.
type Pages struct {
	svc    *Service
	exec   *Executor
	conn   *Connection
	render *web.Renderer
	tab    *template.Template
	// Poller, when set, serves 【状態を更新】 (ask the bank about one transfer now).
	Poller *Poller
	// Enqueue, when set, runs a large execution as a job and returns the page that shows its
	// progress.
	Enqueue func(ctx context.Context, args ExecuteArgs) (string, error)
}

// NewPages parses the room's templates into the shell's renderer.
func NewPages(r *web.Renderer, svc *Service, exec *Executor, conn *Connection) (*Pages, error) {
	if err := r.Add("payout", templatesFS, "templates"); err != nil {
		return nil, err
	}
	tab, err := template.New("tab").Funcs(web.Funcs()).ParseFS(templatesFS, "templates/tab/*.html")
	if err != nil {
		return nil, fmt.Errorf("payout: case tab template: %w", err)
	}
	return &Pages{svc: svc, exec: exec, conn: conn, render: r, tab: tab}, nil
}

// Routes lists every page route of the room.
func (p *Pages) Routes(sh *web.Shell) {
	sh.HandleFunc(http.MethodGet, "/settings/integrations/aozora", auth.PermAdmin, "GMOあおぞらネット銀行の連携設定", p.settings)
	sh.HandleFunc(http.MethodPost, "/settings/integrations/aozora", auth.PermAdmin, "GMOあおぞらネット銀行の連携設定を保存", p.saveSettings)
	sh.HandleFunc(http.MethodPost, "/settings/integrations/aozora/authorize", auth.PermAdmin, "リフレッシュトークンを取得（銀行のログインへ）", p.authorize)
	sh.HandleFunc(http.MethodGet, "/settings/integrations/aozora/callback", auth.PermAdmin, "銀行のログインからの戻り（トークン取得）", p.callback)
	sh.HandleFunc(http.MethodPost, "/settings/integrations/aozora/verify", auth.PermAdmin, "連携を確認（トークン更新と口座照会）", p.verify)
	sh.HandleFunc(http.MethodPost, "/settings/integrations/aozora/mode", auth.PermAdmin, "振込実行の方法（既定）を保存", p.saveMode)
	sh.HandleFunc(http.MethodPost, "/settings/integrations/aozora/token", auth.PermAdmin, "手動発行のアクセストークンで連携（sunabar）", p.saveToken)

	sh.HandleFunc(http.MethodGet, "/accounting", auth.PermView, "会計", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "/accounting/transfers", http.StatusSeeOther)
	})
	sh.HandleFunc(http.MethodGet, "/accounting/transfers", auth.PermView, "銀行振込一覧", p.list)
	sh.HandleFunc(http.MethodPost, "/accounting/transfers/execute", auth.PermMoney, "選んだ振込を実行（経理・管理者）", p.executeSelected)
	sh.HandleFunc(http.MethodGet, "/accounting/transfers/export", auth.PermView, "銀行振込一覧のCSV出力（検索結果）", p.exportCSV)
	// A POST (it carries the selection), so it needs more than 閲覧; 閲覧 exports the search by GET.
	sh.HandleFunc(http.MethodPost, "/accounting/transfers/export", auth.PermOperate, "銀行振込一覧のCSV出力（選択）", p.exportCSV)
	sh.HandleFunc(http.MethodPost, "/accounting/transfers/zengin", auth.PermMoney, "全銀 総合振込ファイルの作成（経理・管理者）", p.zenginForm)

	sh.HandleFunc(http.MethodGet, "/cases/{id}/transfer/new", auth.PermOperate, "振込処理（登録フォーム）", p.newForm)
	sh.HandleFunc(http.MethodPost, "/cases/{id}/transfer", auth.PermOperate, "振込を登録", p.create)
	sh.HandleFunc(http.MethodGet, "/transfers/{id}/edit", auth.PermOperate, "振込の修正フォーム", p.editForm)
	sh.HandleFunc(http.MethodPost, "/transfers/{id}", auth.PermOperate, "振込を修正", p.update)
	sh.HandleFunc(http.MethodPost, "/transfers/{id}/delete", auth.PermOperate, "振込を削除", p.delete)
	sh.HandleFunc(http.MethodPost, "/transfers/{id}/zengin/clear", auth.PermMoney, "全銀ファイル出力を取り消す（経理・管理者）", p.clearExport)
	sh.HandleFunc(http.MethodPost, "/transfers/{id}/refresh", auth.PermOperate, "振込の状態を銀行に照会（状態を更新）", p.refresh)
}

// AttentionItems are the top page's counts: 振込実行待ち, 承認待ち, エラー.
func (p *Pages) AttentionItems(ctx context.Context) ([]web.Attention, error) {
	c, err := p.svc.Counts(ctx)
	if err != nil {
		return nil, err
	}
	// Only what needs someone: a zero count is not shown. キャンセル (expired or withdrawn at the
	// bank) is listed too: the seller is still unpaid until someone re-executes it.
	var out []web.Attention
	// 送信中 is normally seconds; one that lasts means the bank's answer is being looked for.
	if n, err := p.svc.StaleSending(ctx, StaleSendingAfter); err != nil {
		return nil, err
	} else if n > 0 {
		out = append(out, web.Attention{Label: "銀行振込：送信中のまま5分以上（銀行に結果を照会中）", Count: n, Level: "warn",
			Link: "/accounting/transfers?status=" + StatusSending})
	}
	for _, x := range []struct{ code, level string }{{StatusAwaitingExecution, ""}, {StatusAwaitingApproval, "warn"}, {StatusFailed, "error"}, {StatusCancelled, "warn"}} {
		if n := c[x.code]; n > 0 {
			out = append(out, web.Attention{Label: "銀行振込：" + Statuses.Label(x.code), Count: n, Level: x.level,
				Link: "/accounting/transfers?status=" + x.code})
		}
	}
	return out, nil
}

// errMessage is the text of err for a flash message.
func errMessage(err error) string {
	if e := errs.As(err); e != nil && e.Kind != errs.KindInternal {
		return e.Message
	}
	return "処理に失敗しました: " + err.Error()
}

func csrf(p *auth.Principal) string {
	if p == nil {
		return ""
	}
	return p.CSRFToken
}

func kindNav(kind string) string {
	if kind == "ippan" {
		return "ippan"
	}
	return "takuhai"
}

// refresh is 【状態を更新】 on the case's 銀行振込 tab.
func (p *Pages) refresh(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	back := "/accounting/transfers"
	if t, err := p.svc.Get(r.Context(), id); err == nil {
		back = "/cases/" + t.CaseID + "?tab=transfer"
	}
	if p.Poller == nil {
		p.render.Error(w, r, errs.Conflict("銀行への照会は使えません"))
		return
	}
	t, changed, err := p.Poller.Refresh(r.Context(), id)
	switch {
	case err != nil:
		web.SetFlashError(w, "銀行に照会できませんでした: "+errMessage(err))
	case changed:
		web.SetFlash(w, "銀行に照会しました。状態は「"+t.StatusLabel+"」になりました")
	default:
		web.SetFlash(w, "銀行に照会しました。状態は「"+t.StatusLabel+"」のまま変わりありません")
	}
	http.Redirect(w, r, back, http.StatusSeeOther)
}

// clearExport is 【全銀ファイル出力を取り消す】 on the case's 銀行振込 tab: the file was never
// uploaded to the bank, so the transfer may be executed through the API again.
func (p *Pages) clearExport(w http.ResponseWriter, r *http.Request) {
	t, err := p.svc.Get(r.Context(), r.PathValue("id"))
	if err != nil {
		p.render.Error(w, r, err)
		return
	}
	if err := p.svc.ClearExport(r.Context(), t.ID); err != nil {
		web.SetFlashError(w, errMessage(err))
	} else {
		web.SetFlash(w, "全銀ファイル出力を取り消しました。この振込は API で振込実行できます")
	}
	http.Redirect(w, r, "/cases/"+t.CaseID+"?tab=transfer", http.StatusSeeOther)
}
