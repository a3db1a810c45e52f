package cardupdate_test

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"kessai/internal/cardupdate"
	"kessai/internal/platform/attempt"
	"kessai/internal/platform/attempt/attempttest"
	"kessai/internal/platform/db"
	"kessai/internal/sandbox/gmopgsim"
)

// TestUploadMoneyCalls runs the month's upload through the platform's conformance suite: a crash
// at every step, every fault of the SFTP server, concurrent executions, a stalled sender racing
// the janitor and a late answer — GMO-PG must hold the month's request file exactly once and the
// run must say 送信済み.
func TestUploadMoneyCalls(t *testing.T) {
	t.Parallel()
	attempttest.Run(t, attempttest.Room{New: uploadWorld})
}

func uploadWorld(t *testing.T) attempttest.World {
	e := newEnv(t, jst(2026, 12, 1, 9), func(o *gmopgsim.Options) { o.HangTimeout = 2 * time.Second })
	e.card("m-1", gmopgsim.CardOK, "2612")
	var mu sync.Mutex
	month := time.Date(2027, 1, 1, 0, 0, 0, 0, jstLoc)
	months := map[string]string{} // run ID → month
	return attempttest.World{
		Prepare: func() string {
			mu.Lock()
			m := month.Format("200601")
			month = month.AddDate(0, 1, 0)
			mu.Unlock()
			run, err := e.svc.Prepare(e.ctx, m)
			if err != nil {
				t.Fatal(err)
			}
			mu.Lock()
			months[run.ID] = m
			mu.Unlock()
			return run.ID
		},
		Open: func(second bool) attempttest.Instance {
			d := e.db
			if second && e.db.Dialect() == db.Postgres {
				d2, err := db.Open(context.Background(), e.db.URL, "")
				if err != nil {
					t.Fatal(err)
				}
				t.Cleanup(func() { d2.Close() })
				d = d2
			}
			svc := cardupdate.NewService(d, e.clk, attempt.NewRunner(d, e.log), e.conn)
			svc.TempDir = e.svc.TempDir
			jan := attempt.NewJanitor(d, e.log)
			jan.HandleAfter(cardupdate.Room, cardupdate.OpUpload, cardupdate.NewResolver(svc), 0)
			return uploadInstance{e: e, svc: svc, jan: jan}
		},
		Arm: func(f attempttest.Fault) {
			mode := map[attempttest.Fault]gmopgsim.FaultMode{
				attempttest.TimeoutAfterAccept:      gmopgsim.FaultTimeoutAfterAccept,
				attempttest.CloseAfterAccept:        gmopgsim.FaultCloseAfterAccept,
				attempttest.ServerErrorAfterAccept:  gmopgsim.FaultDoubleSubmission,
				attempttest.ServerErrorBeforeAccept: gmopgsim.FaultRateLimit,
			}[f]
			if err := e.sim.SetFault(mode, 1, ""); err != nil {
				t.Fatal(err)
			}
		},
		Held: func(id string) int {
			mu.Lock()
			m := months[id]
			mu.Unlock()
			n := 0
			for _, u := range e.sim.Uploads() {
				if u.Month == m {
					n++
				}
			}
			return n
		},
		Agree: func(id string) error {
			run, err := e.svc.GetRun(e.ctx, e.db, id)
			if err != nil {
				return err
			}
			if run.Status != cardupdate.RunUploaded || run.UploadedAt.IsZero() {
				return fmt.Errorf("run %s is %s (%s), want uploaded", run.Month, run.Status, run.Reason)
			}
			atts, err := e.log.ForRecord(e.ctx, e.db, cardupdate.RecordRun, id)
			if err != nil {
				return err
			}
			return attempttest.Concluded(atts)
		},
		Advance: func(d time.Duration) { e.clk.Advance(d) },
		Settled: 15 * time.Minute,
	}
}

type uploadInstance struct {
	e   *env
	svc *cardupdate.Service
	jan *attempt.Janitor
}

func (in uploadInstance) Execute(ctx context.Context, id string, o attempttest.Options) error {
	r := in.svc.Runner()
	defer o.Apply(r)()
	_, err := in.svc.Upload(in.e.ctx, id)
	return err
}

func (in uploadInstance) Settle(ctx context.Context) error {
	_, err := in.jan.Run(in.e.ctx)
	return err
}
