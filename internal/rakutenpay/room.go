package rakutenpay

import (
	"context"
	"fmt"
	"strconv"
	"time"

	"github.com/riverqueue/river"

	"kessai/internal/commerce"
	"kessai/internal/platform/attempt"
	"kessai/internal/platform/clock"
	"kessai/internal/platform/db"
	"kessai/internal/platform/jobs"
	"kessai/internal/platform/logs"
	"kessai/internal/provider/rakuten"
	"kessai/internal/room"
	"kessai/internal/sandbox/rakutensim"
	"kessai/internal/sandbox/sim"
	"kessai/internal/web"
)

// Plugin is the rakutenpay room as kessai's room list holds it.
var Plugin = room.Room{
	Name:       Room,
	Label:      "楽天ペイ",
	Migrations: []db.Migrations{Migrations},
	Simulators: []sim.Spec{rakutensim.Spec},
	Attach:     attach,
}

// Settings from the environment.
const (
	EnvPollEvery = "KESSAI_RAKUTENPAY_POLL_EVERY"          // how often every shop is polled (1m)
	EnvRate      = "KESSAI_RAKUTENPAY_REQUESTS_PER_SECOND" // per shop (1; 0 turns the throttle off)
)

// DefaultPollEvery is the default poll interval: a minute (today's best tool: about 15).
const DefaultPollEvery = time.Minute

func attach(ctx context.Context, h *room.Host) error {
	every := DefaultPollEvery
	if v := h.Env(EnvPollEvery); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil || d < time.Second {
			return fmt.Errorf("%s=%q: a duration of 1s or more, e.g. 1m or 30s", EnvPollEvery, v)
		}
		every = d
	}
	rate := float64(rakuten.DefaultRequestsPerSecond)
	if v := h.Env(EnvRate); v != "" {
		f, err := strconv.ParseFloat(v, 64)
		if err != nil || f < 0 {
			return fmt.Errorf("%s=%q: requests per second per shop, 0 or more (0 = no throttle)", EnvRate, v)
		}
		rate = f
	}
	svc := NewService(h.DB, h.Clock, h.Commerce, h.Connections, attempt.NewRunner(h.DB, h.Attempts),
		Options{Throttles: rakuten.NewThrottles(rate), Log: h.Log})
	simURL, _ := h.SimulatorURL(rakutensim.Name)
	if err := svc.Declare(simURL); err != nil {
		return err
	}
	h.Resolve(OpCancel, NewCancelResolver(svc), 0)
	if err := room.AddWorker(h, &PollWorker{Svc: svc}, "楽天 受注取込・入金確認"); err != nil {
		return err
	}
	if err := h.Periodic("楽天 受注取込・入金確認", jobs.Periodic{Name: PollArgs{}.Kind(), Schedule: jobs.Every(every),
		Args: func() river.JobArgs { return PollArgs{} }, RunOnStart: true}); err != nil {
		return err
	}
	h.Shell.AddAttention(svc.attention)
	h.Pages.AddListExtension(commerce.ListExtension{
		List:  commerce.ListOrders,
		Field: &web.Field{Name: "x_view", Label: "表示", Type: "select", Options: web.Options(Views)},
		Where: svc.viewWhere(context.WithoutCancel(ctx)),
	})
	h.Pages.AddListExtension(commerce.ListExtension{
		List:   commerce.ListOrders,
		Field:  &web.Field{Name: "x_rakuten", Label: "楽天連携", Type: "select", Options: web.Options(Filters)},
		Where:  filterWhere,
		Column: &web.Column{Label: "楽天注文番号"},
		Cells:  svc.Cells,
	})
	p, err := newPages(h, svc)
	if err != nil {
		return err
	}
	h.Pages.AddOrderTab(p.tab())
	registerAPI(h, svc)
	return nil
}

// PollArgs is one poll of every shop whose 受注取込 is on (or of one shop).
type PollArgs struct {
	ShopID string `json:"shop_id,omitempty"`
}

// Kind is the job kind.
func (PollArgs) Kind() string { return "rakutenpay.poll" }

// InsertOpts: one attempt; the next period is the retry.
func (PollArgs) InsertOpts() river.InsertOpts { return river.InsertOpts{MaxAttempts: 1} }

// PollWorker polls the shops.
type PollWorker struct {
	river.WorkerDefaults[PollArgs]
	Svc *Service
}

// Timeout: a first import of many orders with the throttle on.
func (w *PollWorker) Timeout(*river.Job[PollArgs]) time.Duration { return 2 * time.Hour }

// Work polls each shop; one shop's failure does not stop the others.
func (w *PollWorker) Work(ctx context.Context, job *river.Job[PollArgs]) error {
	shops := []string{job.Args.ShopID}
	if job.Args.ShopID == "" {
		var err error
		if shops, err = w.Svc.Shops(ctx); err != nil {
			return err
		}
	}
	var total Report
	failed := 0
	for _, sh := range shops {
		rep, err := w.Svc.Poll(ctx, sh)
		if err != nil {
			failed++
			logs.From(ctx).WarnContext(ctx, "rakutenpay poll failed", "shop", sh, "err", err)
		}
		total.Imported += rep.Imported
		total.Updated += rep.Updated
		total.Conflicts += rep.Conflicts
		total.Unmapped += rep.Unmapped
		total.Failed += rep.Failed
	}
	return jobs.Finish(ctx, jobs.Result{Note: fmt.Sprintf("%d店舗を確認しました", len(shops)), Counts: []jobs.Count{
		{Label: "取込", N: total.Imported}, {Label: "入金・承認を反映", N: total.Updated}, {Label: "編集中のため次回", N: total.Conflicts},
		{Label: "決済方法が未設定", N: total.Unmapped}, {Label: "エラー", N: total.Failed + failed}}})
}

// attention is the top page's cards: licenseKeys about to expire, failed polls, slips for
// manual payment entry, unmapped orders and refused cancel requests.
func (s *Service) attention(ctx context.Context) ([]web.Attention, error) {
	var out []web.Attention
	shops, err := s.Shops(ctx)
	if err != nil {
		return nil, err
	}
	now := s.clock.Now()
	for _, sh := range shops {
		cfg, err := s.Config(ctx, sh)
		if err != nil || !cfg.Import {
			continue
		}
		link := "/settings/connections/" + ProviderKey + "?shop=" + sh
		t, ok, err := cfg.expiry()
		switch {
		case err != nil:
			out = append(out, web.Attention{Label: "楽天 licenseKey の有効期限の形式が正しくありません（" + sh + "）", Count: 1, Link: link, Level: "error"})
		case ok:
			days := int(t.Sub(dayStart(now)).Hours() / 24)
			if days < 0 {
				out = append(out, web.Attention{Label: "楽天 licenseKey の有効期限切れ（" + cfg.ExpiresOn + "）", Count: 1, Link: link, Level: "error"})
			} else if days <= LicenseWarnDays {
				out = append(out, web.Attention{Label: fmt.Sprintf("楽天 licenseKey の有効期限まであと%d日（%s）", days, cfg.ExpiresOn), Count: 1, Link: link, Level: "warn"})
			}
		}
		if st, err := s.PollState(ctx, sh); err == nil && st.LastError != "" {
			out = append(out, web.Attention{Label: "楽天の受注取込エラー: " + st.LastError, Count: 1, Link: link, Level: "error"})
		}
	}
	if n, err := s.count(ctx, `SELECT COUNT(*) FROM rakutenpay_orders WHERE manual_reason <> ''`); err == nil && n > 0 {
		out = append(out, web.Attention{Label: "楽天: 手動で入金確認が必要な受注", Count: n, Link: "/orders?x_rakuten=" + FilterManual, Level: "warn"})
	}
	if n, err := s.count(ctx, `SELECT COUNT(*) FROM rakutenpay_orders WHERE cancel_state = ?`, CancelFailed); err == nil && n > 0 {
		out = append(out, web.Attention{Label: "楽天へのキャンセル申請エラー", Count: n, Link: "/orders?x_rakuten=" + FilterCancelFailed, Level: "error"})
	}
	if n, err := s.count(ctx, `SELECT COUNT(*) FROM rakutenpay_unmapped`); err == nil && n > 0 {
		out = append(out, web.Attention{Label: "楽天: 決済方法が未設定のため取り込んでいない注文", Count: n, Link: "/settings/rakutenpay", Level: "warn"})
	}
	return out, nil
}

func dayStart(t time.Time) time.Time {
	y, m, d := t.In(clock.JST).Date()
	return time.Date(y, m, d, 0, 0, 0, 0, clock.JST)
}
