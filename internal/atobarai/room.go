package atobarai

import (
	"context"
	"fmt"
	"html/template"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/riverqueue/river"

	"kessai/internal/commerce"
	"kessai/internal/platform/attempt"
	"kessai/internal/platform/auth"
	"kessai/internal/platform/db"
	"kessai/internal/platform/errs"
	"kessai/internal/platform/jobs"
	"kessai/internal/platform/mail"
	"kessai/internal/provider/yamato"
	"kessai/internal/room"
	"kessai/internal/sandbox/mailsim"
	"kessai/internal/sandbox/sim"
	"kessai/internal/sandbox/yamatosim"
	"kessai/internal/web"
)

// Plugin is the atobarai room as kessai's room list holds it.
var Plugin = room.Room{
	Name:       Room,
	Label:      "後払い（クロネコ代金後払い）",
	Migrations: []db.Migrations{Migrations},
	Simulators: []sim.Spec{yamatosim.Spec, mailsim.Spec},
	Attach:     attach,
}

// TickEvery is how often queued operations and due status reads run.
const TickEvery = 15 * time.Second

func attach(ctx context.Context, h *room.Host) error {
	simURL, _ := h.SimulatorURL(yamatosim.Name)
	conn, err := DeclareConn(h.Connections, simURL, h.Clock)
	if err != nil {
		return err
	}
	svc := NewService(h.DB, h.Clock, attempt.NewRunner(h.DB, h.Attempts), conn, h.Commerce, h.Log)
	svc.Audit = h.Audit
	if v := h.Env("KESSAI_ATOBARAI_FOLLOW_UP"); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil || d < 0 {
			return fmt.Errorf("atobarai: KESSAI_ATOBARAI_FOLLOW_UP=%q: want a duration like 10s", v)
		}
		svc.FollowUp = d
	}
	svc.Mailer = mailerFor(h)
	store := h.Commerce
	svc.OnCredit = func(ctx context.Context, tx *db.Tx, t Txn) error { return SyncOrder(ctx, tx, store, t) }
	h.Pages.AddPaymentHandler(svc.Handler(store), PaymentMethod)
	for op, r := range svc.Resolvers() {
		h.Resolve(op, r, 0)
	}
	if err := room.AddWorker(h, &TickWorker{Svc: svc}, "後払いの送信待ち・状態確認"); err != nil {
		return err
	}
	if err := h.Periodic("後払いの送信待ち・状態確認", jobs.Periodic{Name: TickArgs{}.Kind(), Schedule: jobs.Every(TickEvery),
		Args: func() river.JobArgs { return TickArgs{} }, RunOnStart: true}); err != nil {
		return err
	}
	h.Shell.AddAttention(svc.Attention)
	h.Pages.AddListExtension(commerce.ListExtension{
		List:   commerce.ListOrders,
		Field:  &web.Field{Name: "x_atobarai", Label: "後払い", Type: "select", Options: web.Options(Filters)},
		Where:  OrderCond,
		Column: &web.Column{Label: "決済ステータス"},
		Cells:  svc.Cells,
	})
	h.Pages.AddOrderTab(commerce.OrderTab{Key: "atobarai", Label: "後払い", Perm: auth.PermView, Order: 50, Render: svc.renderTab})
	h.Pages.AddOrderExport(commerce.OrderExport{ID: TemplateBuyer, Name: yamato.BuyerCSV.Name,
		Write: func(ctx context.Context, w io.Writer, f commerce.OrderFilter, q url.Values) error {
			return svc.ExportBuyerCSV(ctx, store, w, f, q)
		}})
	h.Pages.AddOrderExport(commerce.OrderExport{ID: TemplateShipment, Name: yamato.ShipmentCSV.Name,
		Write: func(ctx context.Context, w io.Writer, f commerce.OrderFilter, q url.Values) error {
			return svc.ExportShipmentCSV(ctx, store, w, f, q)
		}})
	h.Pages.AddOrderImport(commerce.OrderImport{Kind: DataKindCreditData, Label: yamato.CreditResultCSV.Name, Import: svc.ImportCreditResults})
	h.Pages.AddOrderImport(commerce.OrderImport{Kind: DataKindTracking, Label: TrackingCSV.Name, Import: svc.ImportTracking})
	h.Bulk.Register(svc.BulkShip(store))
	registerAPI(h.API, svc, store)
	return nil
}

// SyncOrder brings the order's 承認状況 along with a credit decision found later (与信保留 →
// OK/NG, a withdrawn credit). An order that can no longer change (キャンセル) keeps its state.
func SyncOrder(ctx context.Context, tx *db.Tx, store *commerce.Store, t Txn) error {
	_, err := store.ModifyOrderTx(ctx, tx, t.OrderID, func(o *commerce.Order) error {
		switch t.Credit {
		case CreditOK:
			o.AuthorizationStatus = "authorized"
			if o.AuthorizedOn == "" {
				o.AuthorizedOn = t.UpdatedAt.Format("2006-01-02")
			}
			if o.OrderStatus == "on_hold" {
				o.OrderStatus = "new"
			}
		case CreditNG:
			o.AuthorizationStatus = "failed"
			if o.OrderStatus != "shipped" && o.OrderStatus != "cancelled" {
				o.OrderStatus = "on_hold" // do not ship: Yamato will not invoice it
			}
		case CreditHold:
			o.AuthorizationStatus = "pending"
		}
		return nil
	})
	if errs.KindOf(err) == errs.KindConflict || errs.KindOf(err) == errs.KindNotFound {
		return nil
	}
	return err
}

// mailerFor is the SMTP client of the 発送完了メール: KESSAI_SMTP_ADDR (host:port) and
// KESSAI_MAIL_FROM, else the sandbox's mail catcher.
func mailerFor(h *room.Host) *mail.Sender {
	from := h.Env("KESSAI_MAIL_FROM")
	if from == "" {
		from = "shop@kessai.local"
	}
	if addr := h.Env("KESSAI_SMTP_ADDR"); addr != "" {
		return &mail.Sender{Addr: func() string { return addr }, From: from}
	}
	if h.Sandbox == nil {
		return nil
	}
	return &mail.Sender{Addr: func() string { return h.Sandbox.Addr(mailsim.Name, mailsim.ListenerName) }, From: from}
}

// TickArgs is the periodic run of queued operations and due status reads.
type TickArgs struct{}

// Kind is the job kind.
func (TickArgs) Kind() string { return "atobarai.tick" }

// InsertOpts: a failed run is the next period's work.
func (TickArgs) InsertOpts() river.InsertOpts { return river.InsertOpts{MaxAttempts: 1} }

// TickWorker sends the queued operations and reads the due statuses.
type TickWorker struct {
	river.WorkerDefaults[TickArgs]
	Svc *Service
}

// Work runs once.
func (w *TickWorker) Work(ctx context.Context, _ *river.Job[TickArgs]) error {
	sent, qerr := w.Svc.RunQueued(ctx)
	rep, perr := w.Svc.PollStatus(ctx)
	res := jobs.Result{Note: "後払いの送信待ちと状態を確認しました", Counts: []jobs.Count{
		{Label: "送信待ちを送信", N: sent}, {Label: "状態を確認", N: rep.Checked}, {Label: "状態が変化", N: rep.Changed},
		{Label: "ヤマトが与信取消", N: rep.Flipped}, {Label: "受注のない与信を取消", N: rep.Orphans}}}
	if err := jobs.Finish(ctx, res); err != nil {
		return err
	}
	if qerr != nil || perr != nil {
		return fmt.Errorf("atobarai tick: %w", joinErr(qerr, perr))
	}
	return nil
}

func joinErr(a, b error) error {
	switch {
	case a == nil:
		return b
	case b == nil:
		return a
	}
	return fmt.Errorf("%w; %w", a, b)
}

var tabTemplate = template.Must(template.New("tab").Parse(`<section class="panel" id="atobarai-tab">
<h2>クロネコ代金後払い</h2>
{{if not .T.ID}}<p class="muted">この受注にはクロネコ代金後払いの取引がありません。</p>{{else}}
<table class="props">
<tr><th>与信</th><td><span class="status {{.Cell.Level}}" id="atobarai-credit">{{.Cell.Text}}</span>{{with .Cell.Detail}} <span class="muted">{{.}}</span>{{end}}</td></tr>
<tr><th>ヤマトの受注番号</th><td id="atobarai-order-no">{{.T.OrderNo}}</td></tr>
<tr><th>連携方式</th><td>{{if eq .T.Mode "csv"}}CSV{{else}}API{{end}}</td></tr>
<tr><th>審査結果</th><td>{{.T.CreditResult}} {{.Result}}</td></tr>
<tr><th>取引状況</th><td id="atobarai-status">{{.Status}}</td></tr>
<tr><th>警告</th><td>{{.Warning}}</td></tr>
<tr><th>請求金額</th><td>{{.T.Total}}円（最初の与信 {{.T.InitialTotal}}円）</td></tr>
<tr><th>送り状番号</th><td id="atobarai-tracking">{{.T.TrackingNo}}{{with .T.ShipDate}}（出荷日 {{.}}）{{end}}</td></tr>
{{with .T.QueuedOp}}<tr><th>送信待ち</th><td>{{$.Queued}}</td></tr>{{end}}
{{with .T.LastError}}<tr><th>最後のエラー</th><td class="error-message">{{.}}</td></tr>{{end}}
</table>{{end}}
<p class="muted">送信した内容とヤマトの応答は「履歴」タブにあります。</p>
</section>`))

func (s *Service) renderTab(r *http.Request, o commerce.Order) (template.HTML, error) {
	t, err := s.TxnOfOrder(r.Context(), o.ID)
	if err != nil && errs.KindOf(err) != errs.KindNotFound {
		return "", err
	}
	var b strings.Builder
	err = tabTemplate.Execute(&b, map[string]any{"T": t, "Cell": Cell(t), "Result": yamato.CreditResult(t.CreditResult).Label(),
		"Status": yamato.Status(t.Status).Label(), "Warning": yamato.Warning(t.Warning).Label(),
		"Queued": opLabel(t.QueuedOp) + "（" + t.QueuedUntil.Format(time.RFC3339) + " 以降）"})
	return template.HTML(b.String()), err
}
