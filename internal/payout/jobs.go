package payout

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"time"

	"github.com/riverqueue/river"

	"kessai/internal/platform/auth"
	"kessai/internal/platform/errs"
	"kessai/internal/platform/jobs"
)

// PollArgs is the periodic job that follows 承認待ち transfers at the bank.
type PollArgs struct{}

// Kind is the job kind.
func (PollArgs) Kind() string { return "payout.poll" }

// InsertOpts: a failed poll is simply the next period's work.
func (PollArgs) InsertOpts() river.InsertOpts { return river.InsertOpts{MaxAttempts: 2} }

// PollEvery is how often the bank is asked.
const PollEvery = time.Minute

// PollWorker runs the Poller.
type PollWorker struct {
	river.WorkerDefaults[PollArgs]
	Poller *Poller
}

// Work polls once.
func (w *PollWorker) Work(ctx context.Context, _ *river.Job[PollArgs]) error {
	rep, err := w.Poller.Poll(ctx)
	if err != nil {
		return err
	}
	return jobs.Finish(ctx, jobs.Result{Counts: []jobs.Count{{Label: "照会", N: rep.Checked}, {Label: "状態が変わった振込", N: rep.Changed}}})
}

// ExecuteArgs is the execution of a selection of transfers, with progress.
type ExecuteArgs struct {
	TransferIDs []string `json:"transfer_ids"`
	By          string   `json:"by"` // who asked, for executed_by and the audit log
	ByID        string   `json:"by_id"`
	Mode        string   `json:"mode,omitempty"` // ModeBulk, ModeSingle, or "" for the room's setting
}

// Kind is the job kind.
func (ExecuteArgs) Kind() string { return "payout.execute" }

// InsertOpts: one attempt. A retry after a crash is safe — executed transfers are no longer
// executable — but a person should look at what stopped it first.
func (ExecuteArgs) InsertOpts() river.InsertOpts { return river.InsertOpts{MaxAttempts: 1} }

// ExecuteWorker executes each transfer and reports progress.
type ExecuteWorker struct {
	river.WorkerDefaults[ExecuteArgs]
	Exec *Executor
}

// Timeout bounds the whole run: each call has its own CallTimeout.
func (w *ExecuteWorker) Timeout(job *river.Job[ExecuteArgs]) time.Duration {
	return time.Duration(len(job.Args.TransferIDs)+1) * (w.Exec.CallTimeout + 5*time.Second)
}

// Work sends the transfers one by one.
func (w *ExecuteWorker) Work(ctx context.Context, job *river.Job[ExecuteArgs]) error {
	ctx = auth.WithPrincipal(ctx, &auth.Principal{Kind: auth.KindUser, ID: job.Args.ByID, Name: job.Args.By, Role: auth.RoleAccountant})
	bank, err := w.Exec.bank(ctx)
	if err != nil {
		return err
	}
	total := len(job.Args.TransferIDs)
	counts := map[string]int{}
	refused, exported := 0, 0
	mode := job.Args.Mode
	if mode == "" {
		if mode, err = w.Exec.svc.ExecuteMode(ctx); err != nil {
			return err
		}
	}
	if mode != ModeSingle {
		// まとめて: one 総合振込 per MaxBatchItems; each row still says what became of it.
		res, err := w.Exec.ExecuteAs(ctx, job.Args.TransferIDs, ModeBulk)
		if err != nil {
			return fmt.Errorf("execute 総合振込: %w", err)
		}
		for _, r := range res {
			switch {
			case strings.Contains(r.Error, "全銀ファイルに出力済み"):
				exported++
			case r.Error != "":
				refused++
			default:
				counts[r.Status]++
			}
		}
		_ = jobs.Progress(ctx, total, total)
		return jobs.Finish(ctx, executeResult(counts, refused, exported, total))
	}
	for i, id := range job.Args.TransferIDs {
		t, err := w.Exec.executeWith(ctx, bank, id)
		switch {
		case errors.Is(err, ErrFileExported):
			exported++
		case err != nil && errKind(err):
			refused++
		case err != nil:
			return fmt.Errorf("execute transfer %s: %w", id, err)
		default:
			counts[t.Status]++
		}
		_ = jobs.Progress(ctx, i+1, total)
	}
	return jobs.Finish(ctx, executeResult(counts, refused, exported, total))
}

// executeResult is the job's result: the transfers per status, and those not sent.
func executeResult(counts map[string]int, refused, exported, total int) jobs.Result {
	var res jobs.Result
	for _, st := range Statuses.All() {
		if n := counts[st.Code]; n > 0 {
			res.Counts = append(res.Counts, jobs.Count{Label: st.Label, N: n, Link: "/accounting/transfers?" + url.Values{"status": {st.Code}}.Encode()})
		}
	}
	if exported > 0 {
		res.Counts = append(res.Counts, jobs.Count{Label: "全銀ファイルに出力済みのため、APIでは振込しなかった振込", N: exported})
	}
	if refused > 0 {
		res.Counts = append(res.Counts, jobs.Count{Label: "実行できなかった振込（状態が変わっていた）", N: refused})
	}
	res.Note = fmt.Sprintf("%d件の振込を銀行へ送信しました", total-refused-exported)
	return res
}

// errKind reports whether err is a refusal a person can act on (a state conflict, not found),
// as opposed to a failure of kessai itself.
func errKind(err error) bool {
	e := errs.As(err)
	return e != nil && e.Kind != errs.KindInternal
}
