package kantan

import (
	"context"
	"errors"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/riverqueue/river"

	"kessai/internal/api"
	"kessai/internal/commerce"
	"kessai/internal/platform/attempt"
	"kessai/internal/platform/auth"
	"kessai/internal/platform/bulk"
	"kessai/internal/platform/db"
	"kessai/internal/platform/errs"
	"kessai/internal/platform/jobs"
	"kessai/internal/provider/gmopg"
	"kessai/internal/provider/gmopg/gmopgconn"
	"kessai/internal/room"
	"kessai/internal/sandbox/gmopgsim"
	"kessai/internal/sandbox/sim"
	"kessai/internal/web"
)

// Plugin is the kantan room as kessai's room list holds it.
var Plugin = room.Room{
	Name:       Room,
	Label:      "かんたん決済",
	Migrations: []db.Migrations{Migrations},
	Simulators: []sim.Spec{gmopgsim.Spec},
	Attach:     attach,
	Foreign:    []string{ReturnPath, NotifyPath},
}

// SyncEvery is how often the status sync runs.
const SyncEvery = 30 * time.Minute

func attach(ctx context.Context, h *room.Host) error {
	conn, err := gmopgconn.ForHost(h, "かんたん決済")
	if err != nil {
		return err
	}
	svc := NewService(h.DB, h.Clock, attempt.NewRunner(h.DB, h.Attempts), conn, h.Commerce, h.Audit, h.Log, h.BaseURL)
	for _, op := range []string{OpCapture, OpCancel, OpChange, OpExtend, OpAuthorize} {
		h.Resolve(op, NewResolver(svc, op), 0)
	}
	h.Pages.AddPaymentHandler(svc.Handler(), "kantan", "credit_card")
	// In the sandbox the simulator's result notifications come here, as GMO-PG's would once
	// the notification URL is registered with them.
	if h.Sandbox != nil {
		if s, ok := h.Sandbox.Lookup(gmopgsim.Name); ok {
			if g, ok := s.Impl.(*gmopgsim.Sim); ok && g.Status().NotifyURL == "" {
				g.SetNotifyURL(strings.TrimRight(h.BaseURL, "/") + NotifyPath)
			}
		}
	}
	if err := room.AddWorker(h, &SyncWorker{Svc: svc}, "GMO-PG 決済状態の同期"); err != nil {
		return err
	}
	if err := h.Periodic("GMO-PG 決済状態の同期", jobs.Periodic{Name: SyncArgs{}.Kind(), Schedule: jobs.Every(SyncEvery),
		Args: func() river.JobArgs { return SyncArgs{} }}); err != nil {
		return err
	}
	h.Bulk.Register(svc.BulkCapture())
	p, err := newPages(h, svc)
	if err != nil {
		return err
	}
	p.register(h)
	registerAPI(h.API, svc, h.Commerce, func(ctx context.Context) (int64, error) {
		id, _, err := h.Jobs.Insert(ctx, SyncArgs{}, nil)
		return id, err
	})
	return nil
}

// SyncArgs is the status sync job.
type SyncArgs struct{}

// Kind is the job kind.
func (SyncArgs) Kind() string { return "kantan.sync" }

// InsertOpts: one at a time; the next period retries.
func (SyncArgs) InsertOpts() river.InsertOpts {
	return river.InsertOpts{MaxAttempts: 1, UniqueOpts: river.UniqueOpts{ByPeriod: time.Minute}}
}

// SyncWorker runs Sync.
type SyncWorker struct {
	river.WorkerDefaults[SyncArgs]
	Svc *Service
}

// Timeout: one SearchTradeMulti per open payment.
func (w *SyncWorker) Timeout(*river.Job[SyncArgs]) time.Duration { return 30 * time.Minute }

// Work syncs once.
func (w *SyncWorker) Work(ctx context.Context, _ *river.Job[SyncArgs]) error {
	rep, err := w.Svc.Sync(ctx)
	if err != nil {
		return err
	}
	return jobs.Finish(ctx, jobs.Result{Note: "GMO-PG の取引状態を照会しました",
		Counts: []jobs.Count{{Label: "照会", N: rep.Checked}, {Label: "更新", N: rep.Changed}, {Label: "照会できず", N: rep.Failed}}})
}

// Bulk capture outcomes.
const (
	OutcomeCaptured = "captured"
	OutcomeSkipped  = "skipped"
	OutcomeFailed   = "failed"
	outcomeClaimed  = "claimed"
)

// BulkCapture is 注文検索/一括処理 › 実売上処理: each selected order is claimed in the batch and
// captured once the batch committed; orders that cannot be captured are skipped with the reason.
func (s *Service) BulkCapture() bulk.Action {
	return bulk.Action{Name: "kantan_capture", Label: "実売上処理（かんたん決済）", RecordType: commerce.ListOrders, Perm: auth.PermMoney,
		Description: "選んだ受注のうち、決済ステータスが「仮売上」で金額変更の未送信がないものを GMO-PG で実売上にします。それ以外は理由つきでスキップします。",
		Outcomes: []bulk.Outcome{{Code: OutcomeCaptured, Label: "実売上済み", Level: "ok"}, {Code: OutcomeSkipped, Label: "スキップ", Level: "warn"},
			{Code: OutcomeFailed, Label: "実売上失敗", Level: "error"}, {Code: outcomeClaimed, Label: "送信中"}},
		Do: func(ctx context.Context, tx *db.Tx, id string) (string, string, error) {
			_, err := s.runner.Claim(ctx, tx, s.op(OpCapture, id))
			if e := errs.As(err); e != nil && e.Kind == errs.KindConflict {
				return OutcomeSkipped, e.Message, nil
			}
			if err != nil {
				return "", "", err
			}
			return outcomeClaimed, "", nil
		},
		After: func(ctx context.Context, r bulk.Result) bulk.Result {
			if r.Outcome != outcomeClaimed {
				return r
			}
			return s.sendOpen(ctx, OpCapture, r.RecordID)
		},
	}
}

// sendOpen sends the open (pending) attempt of op on an order claimed earlier and reports it.
func (s *Service) sendOpen(ctx context.Context, name, orderID string) bulk.Result {
	atts, err := s.runner.Log().ForRecord(ctx, s.db, RecordPayment, orderID)
	if err != nil {
		return bulk.Result{RecordID: orderID, Outcome: bulk.OutcomeError, Reason: err.Error()}
	}
	for i := len(atts) - 1; i >= 0; i-- {
		a := atts[i]
		if a.Operation == name && a.State == attempt.Pending {
			if _, err := s.runner.Send(ctx, s.op(name, orderID), a); err != nil && !errors.Is(err, attempt.ErrAbandoned) {
				return bulk.Result{RecordID: orderID, Outcome: bulk.OutcomeError, Reason: err.Error()}
			}
			break
		}
	}
	return s.captureResult(ctx, orderID)
}

func (s *Service) captureResult(ctx context.Context, orderID string) bulk.Result {
	p, err := s.Payment(ctx, orderID)
	switch {
	case err != nil:
		return bulk.Result{RecordID: orderID, Outcome: bulk.OutcomeError, Reason: err.Error()}
	case p.Status == StatusCaptured:
		return bulk.Result{RecordID: orderID, Outcome: OutcomeCaptured}
	case p.Busy != "":
		return bulk.Result{RecordID: orderID, Outcome: outcomeClaimed, Reason: "GMO-PG の応答を確認中です（状態不明の送金の確認で決まります）"}
	}
	return bulk.Result{RecordID: orderID, Outcome: OutcomeFailed, Reason: p.Reason}
}

// CaptureResult is one order of a bulk capture through the API.
type CaptureResult struct {
	OrderID string `json:"order_id"`
	Outcome string `json:"outcome" doc:"captured（実売上済み）・skipped（理由つき）・failed・claimed（応答待ち）・error"`
	Status  string `json:"status,omitempty"`
	Reason  string `json:"reason,omitempty"`
}

// claimBatch is how many captures CaptureMany claims in one transaction (one commit for the
// batch instead of one per order; each is still sent and recorded on its own).
const claimBatch = 100

// CaptureMany captures each order once, workers at a time, and reports each. Orders are
// claimed a batch per transaction, then sent.
func (s *Service) CaptureMany(ctx context.Context, ids []string, workers int) []CaptureResult {
	out := make([]CaptureResult, len(ids))
	if workers < 1 {
		workers = 1
	}
	for start := 0; start < len(ids); start += claimBatch {
		end := min(len(ids), start+claimBatch)
		claimed := make([]*attempt.Attempt, end-start)
		err := s.db.InTx(ctx, func(tx *db.Tx) error {
			for i := start; i < end; i++ {
				a, err := s.runner.Claim(ctx, tx, s.op(OpCapture, ids[i]))
				if e := errs.As(err); e != nil && (e.Kind == errs.KindConflict || e.Kind == errs.KindNotFound) {
					out[i] = CaptureResult{OrderID: ids[i], Outcome: OutcomeSkipped, Reason: e.Message}
					continue
				}
				if err != nil {
					return err
				}
				claimed[i-start] = &a
			}
			return nil
		})
		if err != nil {
			for i := start; i < end; i++ {
				out[i] = CaptureResult{OrderID: ids[i], Outcome: bulk.OutcomeError, Reason: err.Error()}
			}
			continue
		}
		next := make(chan int)
		done := make(chan struct{})
		for range workers {
			go func() {
				defer func() { done <- struct{}{} }()
				for i := range next {
					out[i] = s.sendCapture(ctx, ids[i], *claimed[i-start])
				}
			}()
		}
		for i := start; i < end; i++ {
			if claimed[i-start] != nil {
				next <- i
			}
		}
		close(next)
		for range workers {
			<-done
		}
	}
	return out
}

func (s *Service) sendCapture(ctx context.Context, id string, a attempt.Attempt) CaptureResult {
	_, err := s.runner.Send(ctx, s.op(OpCapture, id), a)
	if err != nil && !errors.Is(err, attempt.ErrAbandoned) {
		return CaptureResult{OrderID: id, Outcome: bulk.OutcomeError, Reason: err.Error()}
	}
	r := s.captureResult(ctx, id)
	p, _ := s.Payment(ctx, id)
	return CaptureResult{OrderID: id, Outcome: r.Outcome, Status: p.Status, Reason: r.Reason}
}

// TrackingItem is one row of 伝票番号一括登録.
type TrackingItem struct {
	Number         string `json:"number" doc:"受注番号" required:"true"`
	TrackingNumber string `json:"tracking_number" doc:"送り状番号" required:"true"`
	Carrier        string `json:"carrier,omitempty"`
}

// TrackingResult is what the registration did to one row.
type TrackingResult struct {
	Row     int    `json:"row"`
	Number  string `json:"number"`
	OrderID string `json:"order_id,omitempty"`
	Outcome string `json:"outcome" doc:"shipped（出荷確定）・error（理由つき）"`
	Reason  string `json:"reason,omitempty"`
	Payment string `json:"payment_status,omitempty" doc:"かんたん決済の決済ステータス（実売り同時処理の結果）"`
}

// RegisterTracking confirms shipment of each row's order with its tracking number (commerce's
// 出荷確定, which captures a 仮売上 order when 実売り同時処理 is on). Rows are independent.
func (s *Service) RegisterTracking(ctx context.Context, items []TrackingItem) []TrackingResult {
	out := make([]TrackingResult, len(items))
	for i, it := range items {
		r := TrackingResult{Row: i + 1, Number: it.Number}
		o, err := s.store.GetOrderByNumber(ctx, it.Number)
		if err == nil {
			r.OrderID = o.ID
			_, err = s.store.ShipOrder(ctx, o.ID, o.Version, it.Carrier, it.TrackingNumber, "")
		}
		if err != nil {
			r.Outcome, r.Reason = bulk.OutcomeError, errs.Text(err)
		} else {
			r.Outcome = "shipped"
			if p, err := s.Payment(ctx, o.ID); err == nil {
				r.Payment = p.Status
				if p.Status == StatusCaptureFailed {
					r.Reason = p.Reason
				}
			}
		}
		out[i] = r
	}
	return out
}

// CardInput is the card token the storefront got from GMO-PG's token script.
type CardInput struct {
	Token string `json:"token" required:"true" doc:"GMO-PG のトークン（MP トークン）"`
}

// MethodInput is 決済方法の変更.
type MethodInput struct {
	PaymentMethod string `json:"payment_method" required:"true" doc:"GMO-PG 以外の支払方法（bank_transfer, cod など）"`
}

// IDsInput is a list of order IDs.
type IDsInput struct {
	OrderIDs []string `json:"order_ids" required:"true"`
}

// TrackingInput is 伝票番号一括登録 through the API.
type TrackingInput struct {
	Items []TrackingItem `json:"items" required:"true"`
}

// maxAPIBatch bounds a synchronous bulk call (a larger selection goes through the list's
// 一括処理, which runs as a job with progress).
const maxAPIBatch = 1000

func registerAPI(v1 *api.API, svc *Service, store *commerce.Store, enqueueSync func(context.Context) (int64, error)) {
	const tag = "かんたん決済"
	idParam := map[string]string{"id": "受注ID"}
	one := func(run func(ctx context.Context, id string) (Payment, error)) http.HandlerFunc {
		return func(w http.ResponseWriter, r *http.Request) {
			p, err := run(r.Context(), r.PathValue("id"))
			if err != nil {
				web.WriteError(w, r, err)
				return
			}
			web.WriteJSON(w, http.StatusOK, p)
		}
	}
	v1.Handle(api.Operation{Method: http.MethodGet, Path: "/api/v1/orders/{id}/payment", Perm: auth.PermView, ID: "getKantanPayment", Tag: tag,
		Summary: "受注の GMO-PG 決済（決済ステータス・GMO-PG の金額・期限）", PathParams: idParam, Response: Payment{}},
		one(svc.Payment))
	v1.Handle(api.Operation{Method: http.MethodPost, Path: "/api/v1/orders/{id}/capture", Perm: auth.PermMoney, ID: "captureOrder", Tag: tag,
		Summary: "実売上処理（仮売上の受注）", PathParams: idParam, Response: Payment{}, Status: http.StatusOK}, one(svc.Capture))
	v1.Handle(api.Operation{Method: http.MethodPost, Path: "/api/v1/orders/{id}/send-change", Perm: auth.PermMoney, ID: "sendOrderChange", Tag: tag,
		Summary: "変更内容をGMO-PGに送信（記録済みの金額変更）", PathParams: idParam, Response: Payment{}, Status: http.StatusOK}, one(svc.SendChange))
	v1.Handle(api.Operation{Method: http.MethodPost, Path: "/api/v1/orders/{id}/extend-authorization", Perm: auth.PermMoney, ID: "extendOrderAuthorization", Tag: tag,
		Summary: "オーソリ期間延長", PathParams: idParam, Response: Payment{}, Status: http.StatusOK}, one(svc.Extend))
	v1.Handle(api.Operation{Method: http.MethodPost, Path: "/api/v1/orders/{id}" + CardPath, Perm: auth.PermOperate, ID: "payOrderByCard", Tag: tag,
		Summary: "カードで支払う（ストア: GMO-PG のトークンで ExecTran）", PathParams: idParam, Request: CardInput{}, Response: Payment{}, Status: http.StatusOK},
		func(w http.ResponseWriter, r *http.Request) {
			var in CardInput
			if err := web.DecodeJSON(r, &in); err != nil {
				web.WriteError(w, r, err)
				return
			}
			p, err := svc.PayCard(r.Context(), r.PathValue("id"), in.Token)
			if err != nil {
				web.WriteError(w, r, err)
				return
			}
			web.WriteJSON(w, http.StatusOK, p)
		})
	v1.Handle(api.Operation{Method: http.MethodPost, Path: "/api/v1/orders/{id}/change-payment-method", Perm: auth.PermOperate, ID: "changeOrderPaymentMethod", Tag: tag,
		Summary: "決済方法の変更（GMO-PG には連携しない。キャンセル済みの受注は新規受付に戻る）", PathParams: idParam, Request: MethodInput{},
		Response: commerce.Order{}, Status: http.StatusOK}, func(w http.ResponseWriter, r *http.Request) {
		var in MethodInput
		if err := web.DecodeJSON(r, &in); err != nil {
			web.WriteError(w, r, err)
			return
		}
		o, err := svc.ChangeMethod(r.Context(), r.PathValue("id"), in.PaymentMethod)
		if err != nil {
			web.WriteError(w, r, err)
			return
		}
		web.WriteJSON(w, http.StatusOK, o)
	})
	v1.Handle(api.Operation{Method: http.MethodPost, Path: "/api/v1/orders/capture", Perm: auth.PermMoney, ID: "captureOrders", Tag: tag,
		Summary: "実売上処理（一括、受注ごとの結果）", Description: "1回に1,000件まで。それ以上は受注一覧の一括処理を使ってください。",
		Request: IDsInput{}, Response: []CaptureResult{}, Status: http.StatusOK}, func(w http.ResponseWriter, r *http.Request) {
		var in IDsInput
		if err := web.DecodeJSON(r, &in); err != nil {
			web.WriteError(w, r, err)
			return
		}
		if len(in.OrderIDs) == 0 || len(in.OrderIDs) > maxAPIBatch {
			web.WriteError(w, r, errs.Invalid("order_ids は1〜1,000件で指定してください").Field("order_ids", "1〜1,000件"))
			return
		}
		web.WriteJSON(w, http.StatusOK, svc.CaptureMany(r.Context(), in.OrderIDs, 4))
	})
	v1.Handle(api.Operation{Method: http.MethodPost, Path: "/api/v1/orders/tracking-numbers", Perm: auth.PermOperate, ID: "registerTrackingNumbers", Tag: tag,
		Summary: "伝票番号一括登録（出荷確定。実売り同時処理が「利用する」なら仮売上を実売上に）", Request: TrackingInput{}, Response: []TrackingResult{},
		Status: http.StatusOK}, func(w http.ResponseWriter, r *http.Request) {
		var in TrackingInput
		if err := web.DecodeJSON(r, &in); err != nil {
			web.WriteError(w, r, err)
			return
		}
		if len(in.Items) == 0 || len(in.Items) > maxAPIBatch {
			web.WriteError(w, r, errs.Invalid("items は1〜1,000件で指定してください").Field("items", "1〜1,000件"))
			return
		}
		web.WriteJSON(w, http.StatusOK, svc.RegisterTracking(r.Context(), in.Items))
	})
	v1.Handle(api.Operation{Method: http.MethodPost, Path: "/api/v1/gmopg/sync", Perm: auth.PermOperate, ID: "syncGMOPG", Tag: tag,
		Summary: "GMO-PG 決済状態の同期を今すぐ開始（ジョブ）", Response: map[string]int64{}, Status: http.StatusAccepted},
		func(w http.ResponseWriter, r *http.Request) {
			id, err := enqueueSync(r.Context())
			if err != nil {
				web.WriteError(w, r, err)
				return
			}
			web.WriteJSON(w, http.StatusAccepted, map[string]int64{"job_id": id})
		})
	v1.Handle(api.Operation{Method: http.MethodGet, Path: "/api/v1/gmopg/settings", Perm: auth.PermView, ID: "getKantanSettings", Tag: tag,
		Summary: "設定 › 決済 › GMO-PG", Response: Settings{}},
		api.Get(func(ctx context.Context, _ string) (Settings, error) { return svc.Settings(ctx) }, api.AsIs[Settings]))
	v1.Handle(api.Operation{Method: http.MethodPut, Path: "/api/v1/gmopg/settings", Perm: auth.PermAdmin, ID: "putKantanSettings", Tag: tag,
		Summary: "設定 › 決済 › GMO-PG を保存", Request: Settings{}, Response: Settings{}},
		api.Do(func(r *http.Request, st Settings) (Settings, error) { return st, svc.SaveSettings(r.Context(), st) }, api.AsIs[Settings]))
}

// ServeNotify is GMO-PG's 結果通知プログラム: "0" when applied (or a ping), anything else makes
// GMO-PG send it again.
func (s *Service) ServeNotify(w http.ResponseWriter, r *http.Request) {
	body := formBody(r)
	w.Header().Set("Content-Type", "text/plain; charset=Shift_JIS")
	_, err := s.Notify(r.Context(), body)
	if err != nil {
		s.log.WarnContext(r.Context(), "kantan: notification not applied", "err", err)
		status := http.StatusInternalServerError
		if errors.Is(err, ErrForeignShop) {
			status = http.StatusForbidden
		} else if _, perr := gmopg.ParseNotification(body); perr != nil {
			status = http.StatusBadRequest
		}
		w.WriteHeader(status)
		_, _ = io.WriteString(w, "1")
		return
	}
	_, _ = io.WriteString(w, gmopg.NotificationAck)
}
