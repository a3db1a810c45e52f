package cardupdate

import (
	"bytes"
	"context"
	"errors"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/riverqueue/river"

	"kessai/internal/api"
	"kessai/internal/commerce"
	"kessai/internal/platform/attempt"
	"kessai/internal/platform/auth"
	"kessai/internal/platform/db"
	"kessai/internal/platform/errs"
	"kessai/internal/platform/jobs"
	"kessai/internal/platform/jpcsv"
	"kessai/internal/provider/gmopg/gmopgconn"
	"kessai/internal/room"
	"kessai/internal/sandbox/gmopgsim"
	"kessai/internal/sandbox/sim"
	"kessai/internal/web"
)

// Plugin is the cardupdate room as kessai's room list holds it.
var Plugin = room.Room{
	Name:       Room,
	Label:      "カード洗替",
	Migrations: []db.Migrations{Migrations},
	Simulators: []sim.Spec{gmopgsim.Spec},
	Attach:     attach,
}

// TickEvery is how often the schedule is checked (the sandbox clock moved past the 27th is
// seen within it).
const TickEvery = 10 * time.Minute

func attach(ctx context.Context, h *room.Host) error {
	conn, err := gmopgconn.ForHost(h, "カード洗替（自動洗替）")
	if err != nil {
		return err
	}
	svc := NewService(h.DB, h.Clock, attempt.NewRunner(h.DB, h.Attempts), conn)
	// An SFTP upload of a big file takes longer than an HTTP call: ask about it only later.
	h.Resolve(OpUpload, NewResolver(svc), 15*time.Minute)
	q := h.Jobs
	enqueueFetch := func(ctx context.Context, runID string) (int64, error) {
		id, _, err := q.Insert(ctx, FetchArgs{RunID: runID}, nil)
		return id, err
	}
	if err := room.AddWorker(h, &FetchWorker{Svc: svc}, "GMO 洗替結果取得"); err != nil {
		return err
	}
	if err := room.AddWorker(h, &TickWorker{Svc: svc, Enqueue: enqueueFetch}, "GMO 洗替の予定確認"); err != nil {
		return err
	}
	if err := h.Periodic("GMO 洗替の予定確認", jobs.Periodic{Name: TickArgs{}.Kind(), Schedule: jobs.Every(TickEvery),
		Args: func() river.JobArgs { return TickArgs{} }, RunOnStart: true}); err != nil {
		return err
	}
	h.Resolve(OpCharge, NewChargeResolver(svc), 0)
	if err := room.AddWorker(h, &BillWorker{Svc: svc}, "定期課金（保存カード）"); err != nil {
		return err
	}
	daily, err := jobs.Cron("0 6 * * *")
	if err != nil {
		return err
	}
	if err := h.Periodic("定期課金（保存カード）", jobs.Periodic{Name: BillArgs{}.Kind(), Schedule: daily,
		Args: func() river.JobArgs { return BillArgs{} }}); err != nil {
		return err
	}
	h.Shell.AddAttention(func(ctx context.Context) ([]web.Attention, error) {
		n, err := svc.FailedRuns(ctx)
		if err != nil || n == 0 {
			return nil, err
		}
		return []web.Attention{{Label: "カード洗替の失敗（再実行が必要）", Count: n, Link: "/cardupdate", Level: "error"}}, nil
	})
	pages, err := newPages(svc, h.Commerce, h.Shell)
	if err != nil {
		return err
	}
	pages.enqueue = enqueueFetch
	if sim, ok := h.Sandbox.Lookup(gmopgsim.Name); ok && sim.Handler != nil {
		// The simulator's tokenizer is on kessai's own origin (the page's CSP allows it).
		pages.TokenURL = func(sandbox bool) string {
			if !sandbox {
				return ""
			}
			return sim.Prefix() + "/token"
		}
	}
	pages.routes(h.Shell)
	pages.runRoutes(h.Shell)
	h.Shell.AddNav(web.NavEntry{Key: "cardupdate", Label: "カード洗替", Path: "/cardupdate", Order: web.NavRooms + 20})
	h.Pages.AddCustomerSection(pages.Section())
	h.Pages.AddListExtension(commerce.ListExtension{
		List:  commerce.ListSubscriptions,
		Field: &web.Field{Name: "x_card_update_status", Label: "洗替ステータス", Type: "select", Options: web.Options(CardStatuses)},
		Where: func(q url.Values) (*commerce.Cond, error) {
			v := q.Get("x_card_update_status")
			if v == "" { // the name issue 9's API uses
				v = q.Get("card_update_status")
			}
			return SubscriptionCond(v)
		},
		Column: &web.Column{Label: "洗替ステータス"},
		Cells:  svc.SubscriptionCells,
	})
	registerAPI(h.API, svc, enqueueFetch)
	registerCardAPI(h.API, svc, h.Commerce)
	return nil
}

// SubscriptionCond selects subscriptions by their card's 洗替ステータス (未実施: no result yet).
func SubscriptionCond(code string) (*commerce.Cond, error) {
	switch {
	case code == "":
		return nil, nil
	case !CardStatuses.Valid(code):
		return nil, errs.Invalid("洗替ステータスの値が正しくありません: "+code).Field("x_card_update_status", "未実施・有効性OK・有効性NG・照合エラー・入力データエラーから選んでください")
	case code == StatusUnchecked:
		return &commerce.Cond{SQL: `NOT EXISTS (SELECT 1 FROM cardupdate_card_status cus WHERE cus.card_id = sb.card_id)`}, nil
	}
	return &commerce.Cond{SQL: `EXISTS (SELECT 1 FROM cardupdate_card_status cus WHERE cus.card_id = sb.card_id AND cus.status = ?)`, Args: []any{code}}, nil
}

// SubscriptionCells are the 洗替ステータス of the subscriptions ids; a failed card is 要カード変更.
func (s *Service) SubscriptionCells(ctx context.Context, ids []string) (map[string]web.Cell, error) {
	out := map[string]web.Cell{}
	for _, id := range ids {
		st, err := s.SubscriptionStatus(ctx, id)
		if err != nil {
			return nil, err
		}
		c := web.Cell{Text: CardStatuses.Label(st), Badge: true}
		if v, ok := CardStatuses.Get(st); ok {
			c.Level = v.Level
		}
		if Failed(st) {
			c.Detail = "要カード変更"
		}
		out[id] = c
	}
	return out, nil
}

// SubscriptionStatus is the 洗替ステータス of a subscription's card.
func (s *Service) SubscriptionStatus(ctx context.Context, subscriptionID string) (string, error) {
	var st string
	err := s.db.QueryRowContext(ctx, `SELECT COALESCE((SELECT cus.status FROM cardupdate_card_status cus WHERE cus.card_id = sb.card_id), ?)
		FROM subscriptions sb WHERE sb.id = ?`, StatusUnchecked, subscriptionID).Scan(&st)
	return st, err
}

// TickArgs is the periodic schedule check.
type TickArgs struct{}

// Kind is the job kind.
func (TickArgs) Kind() string { return "cardupdate.tick" }

// InsertOpts: a failed check is the next period's work.
func (TickArgs) InsertOpts() river.InsertOpts { return river.InsertOpts{MaxAttempts: 1} }

// TickWorker runs Tick and enqueues the fetches that are due.
type TickWorker struct {
	river.WorkerDefaults[TickArgs]
	Svc     *Service
	Enqueue func(ctx context.Context, runID string) (int64, error)
}

// Timeout: the upload of a big month.
func (w *TickWorker) Timeout(*river.Job[TickArgs]) time.Duration { return 10 * time.Minute }

// Work checks the schedule once.
func (w *TickWorker) Work(ctx context.Context, _ *river.Job[TickArgs]) error {
	rep, err := w.Svc.Tick(ctx)
	if err != nil {
		return err
	}
	for _, id := range rep.FetchDue {
		if _, err := w.Enqueue(ctx, id); err != nil {
			return err
		}
	}
	note := "予定の処理はありません"
	if rep.Started != "" {
		note = rep.Started + " の洗替依頼を送信しました"
	}
	return jobs.Finish(ctx, jobs.Result{Note: note, Counts: []jobs.Count{{Label: "結果取得を開始", N: len(rep.FetchDue)}}})
}

// FetchArgs is 「GMO 洗替結果取得」 of one run.
type FetchArgs struct {
	RunID string `json:"run_id"`
}

// Kind is the job kind.
func (FetchArgs) Kind() string { return "cardupdate.fetch" }

// InsertOpts: one attempt each; the schedule check enqueues the next while the file is not
// there, and a failure is the run's (an admin reruns it).
func (FetchArgs) InsertOpts() river.InsertOpts {
	return river.InsertOpts{MaxAttempts: 1, UniqueOpts: river.UniqueOpts{ByArgs: true, ByPeriod: time.Minute}}
}

// FetchWorker fetches and applies a run's result; its result is the CP932 CSV of every
// targeted customer with the 洗替判定結果.
type FetchWorker struct {
	river.WorkerDefaults[FetchArgs]
	Svc *Service
}

// Timeout: a million rows.
func (w *FetchWorker) Timeout(*river.Job[FetchArgs]) time.Duration { return 30 * time.Minute }

// Work fetches once. A result not there yet is no failure (the next check tries again); a
// failed month fails the job with the reason.
func (w *FetchWorker) Work(ctx context.Context, job *river.Job[FetchArgs]) error {
	run, err := w.Svc.Fetch(ctx, job.Args.RunID)
	if errors.Is(err, ErrNotReady) {
		return jobs.Finish(ctx, jobs.Result{Note: run.Month + " の結果ファイルはまだありません（" + TickEvery.String() + "ごとに確認します）"})
	}
	if err != nil {
		return err
	}
	csv, err := w.Svc.ResultCSV(ctx, run.ID)
	if err != nil {
		return err
	}
	return jobs.Finish(ctx, jobs.Result{
		Note: run.Month + " の洗替結果を反映しました",
		Counts: []jobs.Count{{Label: "有効性OK", N: run.OK}, {Label: "有効性NG", N: run.Invalid}, {Label: "照合エラー", N: run.Mismatch},
			{Label: "入力データエラー", N: run.InputError}},
		CSV: csv, CSVName: "cardupdate-" + run.Month + ".csv",
	})
}

// RunBody starts a month now.
type RunBody struct {
	Month string `json:"month,omitempty"` // YYYYMM; this month (JST) when empty
}

// RunAnswer is a run and, when one was enqueued, its 「GMO 洗替結果取得」 job.
type RunAnswer struct {
	Run
	StatusLabel string `json:"status_label"`
	JobID       int64  `json:"job_id,omitempty"`
}

func registerAPI(v1 *api.API, svc *Service, enqueue func(context.Context, string) (int64, error)) {
	const tag = "カード洗替"
	answer := func(w http.ResponseWriter, status int, run Run, job int64) {
		web.WriteJSON(w, status, RunAnswer{Run: run, StatusLabel: RunStatuses.Label(run.Status), JobID: job})
	}
	v1.Handle(api.Operation{Method: http.MethodPost, Path: "/api/v1/cardupdate/runs", Perm: auth.PermMoney, ID: "startCardUpdateRun", Tag: tag,
		Summary:     "その月の洗替を今すぐ開始（対象抽出と依頼ファイルの送信）",
		Description: "月ごとに1回です。送信済みの月はその状態を返します。結果日を過ぎていれば「GMO 洗替結果取得」を開始します。",
		Request:     RunBody{}, Response: RunAnswer{}}, func(w http.ResponseWriter, r *http.Request) {
		var b RunBody
		if err := web.DecodeJSON(r, &b); err != nil {
			web.WriteError(w, r, err)
			return
		}
		ctx := r.Context()
		if b.Month == "" {
			b.Month = monthNow(svc)
		}
		run, err := svc.Prepare(ctx, b.Month)
		if err == nil && (run.Status == RunSelected || (run.Status == RunFailed && run.UploadedAt.IsZero())) {
			run, err = svc.Upload(ctx, run.ID)
		}
		if err != nil {
			web.WriteError(w, r, err)
			return
		}
		var job int64
		if run.Status == RunUploaded || run.Status == RunFailed {
			if sc, err := svc.Schedule(ctx); err == nil && !svc.clock.Now().Before(sc.ResultTime(run.Month)) {
				if job, err = enqueue(ctx, run.ID); err != nil {
					web.WriteError(w, r, err)
					return
				}
			}
		}
		answer(w, http.StatusCreated, run, job)
	})
	v1.Handle(api.Operation{Method: http.MethodGet, Path: "/api/v1/cardupdate/runs", Perm: auth.PermView, ID: "listCardUpdateRuns", Tag: tag,
		Summary: "洗替の実行一覧（新しい月から）", Response: []RunAnswer{}}, func(w http.ResponseWriter, r *http.Request) {
		runs, err := svc.Runs(r.Context(), 120)
		if err != nil {
			web.WriteError(w, r, err)
			return
		}
		out := make([]RunAnswer, 0, len(runs))
		for _, run := range runs {
			out = append(out, RunAnswer{Run: run, StatusLabel: RunStatuses.Label(run.Status)})
		}
		web.WriteJSON(w, http.StatusOK, out)
	})
	v1.Handle(api.Operation{Method: http.MethodPost, Path: "/api/v1/cardupdate/runs/{id}/rerun", Perm: auth.PermMoney, ID: "rerunCardUpdateRun", Tag: tag,
		Summary: "失敗した洗替を再実行（未送信なら送信、送信済みなら結果取得）", PathParams: map[string]string{"id": "洗替の実行ID"},
		Response: RunAnswer{}, Status: http.StatusOK}, func(w http.ResponseWriter, r *http.Request) {
		run, err := svc.GetRun(r.Context(), svc.db, r.PathValue("id"))
		if err != nil {
			web.WriteError(w, r, err)
			return
		}
		run, job, err := svc.rerunNow(r.Context(), run.ID, enqueue)
		if err != nil {
			web.WriteError(w, r, err)
			return
		}
		answer(w, http.StatusOK, run, job)
	})
	v1.Handle(api.Operation{Method: http.MethodGet, Path: "/api/v1/cardupdate/settings", Perm: auth.PermView, ID: "getCardUpdateSettings", Tag: tag,
		Summary: "洗替の予定（送信日・結果取得日・結果待ちの期限、JST）", Response: Schedule{}},
		api.Get(func(ctx context.Context, _ string) (Schedule, error) { return svc.Schedule(ctx) }, api.AsIs[Schedule]))
	v1.Handle(api.Operation{Method: http.MethodPut, Path: "/api/v1/cardupdate/settings", Perm: auth.PermAdmin, ID: "saveCardUpdateSettings", Tag: tag,
		Summary: "洗替の予定を保存", Request: Schedule{}, Response: Schedule{}},
		api.Do(func(r *http.Request, sc Schedule) (Schedule, error) { return sc, svc.SaveSchedule(r.Context(), sc) }, api.AsIs[Schedule]))
	v1.Handle(api.Operation{Method: http.MethodGet, Path: "/api/v1/cardupdate/preview", Perm: auth.PermView, ID: "previewCardUpdate", Tag: tag,
		Summary: "洗替の対象の件数と一覧（先頭100件）", Query: []api.Param{{Name: "month", Description: "YYYYMM（省略時は今月）"}},
		Response: Preview{}}, func(w http.ResponseWriter, r *http.Request) {
		month := r.URL.Query().Get("month")
		if month == "" {
			month = monthNow(svc)
		}
		n, list, err := svc.Preview(r.Context(), month, 100)
		if err != nil {
			web.WriteError(w, r, err)
			return
		}
		web.WriteJSON(w, http.StatusOK, Preview{Month: month, Count: n, Targets: list})
	})
}

// Preview is the count and the first targets of a month.
type Preview struct {
	Month   string   `json:"month"`
	Count   int      `json:"count"`
	Targets []Target `json:"targets"`
}

// BillArgs is the daily billing run (06:00 JST): today's due subscriptions.
type BillArgs struct {
	Day string `json:"day,omitempty"` // YYYY-MM-DD; today (JST) when empty
}

// Kind is the job kind.
func (BillArgs) Kind() string { return "cardupdate.bill" }

// InsertOpts: one attempt; every charge is idempotent, so a rerun charges only what is left.
func (BillArgs) InsertOpts() river.InsertOpts { return river.InsertOpts{MaxAttempts: 1} }

// BillWorker runs Bill; its result lists the skipped subscriptions with the reason (CSV).
type BillWorker struct {
	river.WorkerDefaults[BillArgs]
	Svc *Service
}

// Timeout: many charges, each bounded by the runner's CallTimeout.
func (w *BillWorker) Timeout(*river.Job[BillArgs]) time.Duration { return time.Hour }

// Work bills one day.
func (w *BillWorker) Work(ctx context.Context, job *river.Job[BillArgs]) error {
	day := job.Args.Day
	if day == "" {
		day = w.Svc.clock.Now().In(jstLoc()).Format("2006-01-02")
	}
	rep, err := w.Svc.Bill(ctx, day)
	if err != nil {
		return err
	}
	var buf bytes.Buffer
	cw, err := jpcsv.NewWriter(&buf, jpcsv.CP932Replace, []string{"定期受注ID", "課金予定日", "金額", "状態", "理由", "OrderID"})
	if err != nil {
		return err
	}
	for _, group := range [][]Charge{rep.Skipped, rep.Failed, rep.Charged} {
		for _, c := range group {
			if err := cw.Write([]string{c.SubscriptionID, c.DueOn, strconv.FormatInt(c.Amount, 10), ChargeStatuses.Label(c.Status), c.Reason, c.OrderID}); err != nil {
				return err
			}
		}
	}
	if err := cw.Close(); err != nil {
		return err
	}
	return jobs.Finish(ctx, jobs.Result{
		Note:   day + " の定期課金",
		Counts: []jobs.Count{{Label: "課金済み", N: len(rep.Charged)}, {Label: "課金停止（要カード変更）", N: len(rep.Skipped)}, {Label: "課金失敗", N: len(rep.Failed)}},
		CSV:    buf.Bytes(), CSVName: "billing-" + day + ".csv",
	})
}
