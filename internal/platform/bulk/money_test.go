package bulk_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"kessai/internal/platform/attempt"
	"kessai/internal/platform/audit"
	"kessai/internal/platform/auth"
	"kessai/internal/platform/bulk"
	"kessai/internal/platform/clock"
	"kessai/internal/platform/db"
	"kessai/internal/platform/db/dbtest"
	"kessai/internal/platform/outbound"
)

// provider is a real HTTP server that records each charge by its key, and checks that the
// record's claim and attempt were committed before the call arrived.
type provider struct {
	mu        sync.Mutex
	held      map[string]int // key → requests
	uncommitd []string       // keys that arrived before their attempt was readable
	srv       *httptest.Server
}

func newProvider(t *testing.T, d *db.DB) *provider {
	p := &provider{held: map[string]int{}}
	p.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		key := r.Header.Get("Idempotency-Key")
		_, _ = io.Copy(io.Discard, r.Body)
		var st string
		// Another connection: it sees only what was committed.
		err := d.QueryRowContext(r.Context(), `SELECT state FROM attempts WHERE idempotency_key = ?`, key).Scan(&st)
		p.mu.Lock()
		defer p.mu.Unlock()
		if err != nil || st != string(attempt.Sending) {
			p.uncommitd = append(p.uncommitd, key)
		}
		p.held[key]++
		fmt.Fprint(w, `{"ok":true}`)
	}))
	t.Cleanup(p.srv.Close)
	return p
}

// TestMoneyActionCallsAfterCommit: a bulk action that moves money claims each record and writes
// its attempt in the batch's transaction, and makes each call only after that commits (After).
// A run whose process died between the commit and the calls sends nothing when the job is
// retried: the janitor fails the pending attempts as never sent.
func TestMoneyActionCallsAfterCommit(t *testing.T) {
	t.Parallel()
	things := db.Migrations{Module: "bulk_things", FS: subFS(t, thingsFS)}
	d := dbtest.Open(t, audit.Migrations, bulk.Migrations, attempt.Migrations, things)
	ctx := auth.WithPrincipal(context.Background(), staff)
	for i := range 5 {
		if _, err := d.ExecContext(ctx, `INSERT INTO bulk_things (id, status) VALUES (?, 'new')`, fmt.Sprintf("m%d", i)); err != nil {
			t.Fatal(err)
		}
	}
	c := clock.NewFrozen(time.Date(2026, 11, 20, 1, 0, 0, 0, time.UTC))
	log := attempt.New(c)
	runner := attempt.NewRunner(d, log)
	p := newProvider(t, d)
	apply := func(ctx context.Context, tx *db.Tx, a attempt.Attempt, o attempt.Outcome) error {
		st := map[attempt.State]string{attempt.Succeeded: "charged", attempt.Failed: "failed"}[o.State]
		if st == "" {
			return nil
		}
		_, err := tx.ExecContext(ctx, `UPDATE bulk_things SET status = ? WHERE id = ? AND status = 'sending'`, st, a.RecordID)
		return err
	}
	op := func(id string) attempt.Op {
		return attempt.Op{
			Claim: func(ctx context.Context, tx *db.Tx) (attempt.Attempt, error) {
				res, err := tx.ExecContext(ctx, `UPDATE bulk_things SET status = 'sending', calls = calls + 1 WHERE id = ? AND status = 'new'`, id)
				if err != nil {
					return attempt.Attempt{}, err
				}
				if n, _ := res.RowsAffected(); n == 0 {
					return attempt.Attempt{}, fmt.Errorf("%s is not new", id)
				}
				return attempt.Attempt{Room: "test", RecordType: "thing", RecordID: id, Operation: "thing.charge"}, nil
			},
			Send: func(ctx context.Context, a attempt.Attempt) attempt.Outcome {
				req, _ := http.NewRequestWithContext(ctx, http.MethodPost, p.srv.URL, nil)
				req.Header.Set("Idempotency-Key", a.IdempotencyKey)
				req, sent := outbound.Once(req)
				res, err := http.DefaultClient.Do(req)
				if err != nil {
					if sent.Left() {
						return attempt.Outcome{State: attempt.Unknown, Message: err.Error()}
					}
					return attempt.Outcome{State: attempt.Failed, Message: err.Error()}
				}
				res.Body.Close()
				return attempt.Outcome{State: attempt.Succeeded, Code: res.Status}
			},
			Apply: apply,
		}
	}
	s := bulk.New(d, c, &audit.Log{Now: c.Now})
	s.SetRunner(manual{})
	s.BatchSize = 2
	do := func(ctx context.Context, tx *db.Tx, id string) (string, string, error) {
		if _, err := runner.Claim(ctx, tx, op(id)); err != nil {
			return bulk.OutcomeError, err.Error(), nil
		}
		return "claimed", "", nil
	}
	after := func(ctx context.Context, r bulk.Result) bulk.Result {
		var a attempt.Attempt
		atts, err := log.ForRecord(ctx, d, "thing", r.RecordID)
		if err != nil || len(atts) == 0 {
			return bulk.Result{Outcome: bulk.OutcomeError, Reason: fmt.Sprint("no attempt: ", err)}
		}
		a = atts[len(atts)-1]
		done, err := runner.Send(ctx, op(r.RecordID), a)
		if err != nil {
			return bulk.Result{Outcome: bulk.OutcomeError, Reason: err.Error()}
		}
		return bulk.Result{Outcome: string(done.State)}
	}
	outcomes := []bulk.Outcome{{Code: "claimed", Label: "送信待ち"}, {Code: "succeeded", Label: "成功"}}
	s.Register(bulk.Action{Name: "charge", Label: "請求する", RecordType: "thing", Perm: auth.PermOperate, Outcomes: outcomes, Do: do, After: after})
	// The same action in a process that dies right after each batch commits: no After.
	s.Register(bulk.Action{Name: "charge_dies", Label: "請求する（停止）", RecordType: "thing", Perm: auth.PermOperate, Outcomes: outcomes, Do: do})

	id, _, err := s.Start(ctx, bulk.Request{Action: "charge", Token: "a", IDs: []string{"m0", "m1", "m2"}})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Process(ctx, id); err != nil {
		t.Fatal(err)
	}
	run, _ := s.Get(ctx, id)
	if run.Counts["succeeded"] != 3 || run.Done != 3 {
		t.Fatalf("counts %v, want 3 succeeded", run.Counts)
	}
	p.mu.Lock()
	if len(p.held) != 3 || len(p.uncommitd) != 0 {
		t.Fatalf("provider holds %v; calls before their claim committed: %v", p.held, p.uncommitd)
	}
	for k, n := range p.held {
		if n != 1 {
			t.Fatalf("key %s sent %d times", k, n)
		}
	}
	p.mu.Unlock()

	died, _, err := s.Start(ctx, bulk.Request{Action: "charge_dies", Token: "b", IDs: []string{"m3", "m4"}})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Process(ctx, died); err != nil {
		t.Fatal(err)
	}
	if err := s.Process(ctx, died); err != nil { // the job retried after the crash
		t.Fatal(err)
	}
	j := attempt.NewJanitor(d, log)
	j.Handle("test", "thing.charge", resolverFunc{apply: apply})
	c.Advance(time.Hour)
	if rep, err := j.Run(ctx); err != nil || rep.Settled != 2 {
		t.Fatalf("janitor %+v %v, want the 2 pending attempts settled", rep, err)
	}
	var failed int
	if err := d.QueryRowContext(ctx, `SELECT COUNT(*) FROM bulk_things WHERE id IN ('m3', 'm4') AND status = 'failed'`).Scan(&failed); err != nil {
		t.Fatal(err)
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if failed != 2 || len(p.held) != 3 {
		t.Fatalf("after the crash: %d failed, provider holds %d keys; want 2 failed and nothing sent", failed, len(p.held))
	}
}

// resolverFunc settles only pending attempts (which need no question to the provider).
type resolverFunc struct {
	apply func(context.Context, *db.Tx, attempt.Attempt, attempt.Outcome) error
}

func (r resolverFunc) Resolve(context.Context, attempt.Attempt) (attempt.Outcome, error) {
	return attempt.Outcome{State: attempt.Unknown}, nil
}

func (r resolverFunc) Apply(ctx context.Context, tx *db.Tx, a attempt.Attempt, o attempt.Outcome) error {
	return r.apply(ctx, tx, a, o)
}
