package attempt_test

import (
	"context"
	"errors"
	"os"
	"testing"
	"time"

	"kessai/internal/platform/attempt"
	"kessai/internal/platform/clock"
	"kessai/internal/platform/db"
	"kessai/internal/platform/db/dbtest"
)

var things = db.Migrations{Module: "attempt_test", FS: os.DirFS("testdata")}

// thing is a record with a status, changed in the same transaction as its attempts.
func newThing(t *testing.T, d *db.DB, l *attempt.Log, key string) attempt.Attempt {
	t.Helper()
	var a attempt.Attempt
	err := d.InTx(context.Background(), func(tx *db.Tx) error {
		id := db.NewID("thg")
		if _, err := tx.ExecContext(context.Background(), `INSERT INTO attempt_things (id, status) VALUES (?, 'sending')`, id); err != nil {
			return err
		}
		var err error
		a, err = l.Begin(context.Background(), tx, attempt.Attempt{Room: "test", RecordType: "thing", RecordID: id, Operation: "thing.send", IdempotencyKey: key})
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return a
}

func thingStatus(t *testing.T, d *db.DB, id string) string {
	t.Helper()
	var s string
	if err := d.QueryRowContext(context.Background(), `SELECT status FROM attempt_things WHERE id = ?`, id).Scan(&s); err != nil {
		t.Fatal(err)
	}
	return s
}

func TestBeginRollsBackWithTheRecord(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	d := dbtest.Open(t, attempt.Migrations, things)
	l := attempt.New(clock.NewFrozen(time.Date(2026, 11, 2, 1, 0, 0, 0, time.UTC)))
	boom := errors.New("boom")
	var id string
	err := d.InTx(ctx, func(tx *db.Tx) error {
		a, err := l.Begin(ctx, tx, attempt.Attempt{Room: "test", RecordType: "thing", RecordID: "x", Operation: "thing.send"})
		id = a.ID
		if err != nil {
			return err
		}
		return boom
	})
	if !errors.Is(err, boom) {
		t.Fatalf("InTx = %v", err)
	}
	if _, err := l.Get(ctx, d, id); !errors.Is(err, db.ErrNotFound) {
		t.Fatalf("attempt survived its rolled-back transaction: %v", err)
	}
}

// TestRetryReusesKey: a re-execution of a request the provider may hold is sent with the same
// key, so two attempts may share it (the provider dedupes, not our table).
func TestRetryReusesKey(t *testing.T) {
	t.Parallel()
	d := dbtest.Open(t, attempt.Migrations, things)
	l := attempt.New(clock.NewFrozen(time.Date(2026, 11, 2, 1, 0, 0, 0, time.UTC)))
	newThing(t, d, l, "key-1")
	if b := newThing(t, d, l, "key-1"); b.IdempotencyKey != "key-1" {
		t.Fatalf("second attempt's key %q", b.IdempotencyKey)
	}
}

// TestMarkSendingRacesTheJanitor: the janitor fails a stale pending attempt without asking (it
// was never sent), and MarkSending then refuses it; an attempt marked sending first is asked
// about instead, never failed as unsent.
func TestMarkSendingRacesTheJanitor(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	d := dbtest.Open(t, attempt.Migrations, things)
	clk := clock.NewFrozen(time.Date(2026, 11, 2, 1, 0, 0, 0, time.UTC))
	l := attempt.New(clk)
	r := &resolver{d: d, answer: map[string]attempt.Outcome{}}
	j := attempt.NewJanitor(d, l)
	j.Handle("test", "thing.send", r)

	stalled := newThing(t, d, l, "") // claimed, then the process stalled before sending
	sending := newThing(t, d, l, "") // marked sending, then the process stalled
	if ok, err := l.MarkSending(ctx, d, sending.ID); !ok || err != nil {
		t.Fatalf("mark sending: %v %v", ok, err)
	}
	clk.Advance(5 * time.Minute)
	if _, err := j.Run(ctx); err != nil {
		t.Fatal(err)
	}
	if r.asked != 1 {
		t.Fatalf("resolver asked %d times, want 1 (only the sending one)", r.asked)
	}
	a, _ := l.Get(ctx, d, stalled.ID)
	if a.State != attempt.Failed || a.ProviderCode != attempt.CodeNotSent || thingStatus(t, d, stalled.RecordID) != "failed" {
		t.Fatalf("stalled pending attempt: %s %s, record %s; want failed not_sent", a.State, a.ProviderCode, thingStatus(t, d, stalled.RecordID))
	}
	if ok, err := l.MarkSending(ctx, d, stalled.ID); ok || err != nil {
		t.Fatalf("mark sending after the janitor failed it: %v %v, want refused", ok, err)
	}
	b, _ := l.Get(ctx, d, sending.ID)
	if b.State != attempt.Unknown || b.SentAt.IsZero() {
		t.Fatalf("stale sending attempt: %s sent %v, want unknown with its send time", b.State, b.SentAt)
	}
}

func TestFinish(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	d := dbtest.Open(t, attempt.Migrations, things)
	l := attempt.New(clock.NewFrozen(time.Date(2026, 11, 2, 1, 0, 0, 0, time.UTC)))
	tests := []struct {
		name   string
		steps  []attempt.State
		want   attempt.State
		errIdx int // index of the step that must fail with ErrSettled, -1 for none
	}{
		{"succeeded", []attempt.State{attempt.Succeeded}, attempt.Succeeded, -1},
		{"failed", []attempt.State{attempt.Failed}, attempt.Failed, -1},
		{"unknown then succeeded", []attempt.State{attempt.Unknown, attempt.Succeeded}, attempt.Succeeded, -1},
		{"settled twice", []attempt.State{attempt.Succeeded, attempt.Failed}, attempt.Succeeded, 1},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			a := newThing(t, d, l, "")
			for i, st := range tc.steps {
				_, err := l.Finish(ctx, d, a.ID, attempt.Outcome{State: st, Code: "C", Message: "m"})
				if i == tc.errIdx {
					if !errors.Is(err, attempt.ErrSettled) {
						t.Fatalf("step %d: %v, want ErrSettled", i, err)
					}
					continue
				}
				if err != nil {
					t.Fatalf("step %d: %v", i, err)
				}
			}
			got, err := l.Get(ctx, d, a.ID)
			if err != nil {
				t.Fatal(err)
			}
			if got.State != tc.want {
				t.Fatalf("state %s, want %s", got.State, tc.want)
			}
		})
	}
}

// resolver answers from a map of record ID to outcome and counts what it is asked.
type resolver struct {
	d      *db.DB
	answer map[string]attempt.Outcome
	asked  int
}

func (r *resolver) Resolve(_ context.Context, a attempt.Attempt) (attempt.Outcome, error) {
	r.asked++
	if o, ok := r.answer[a.RecordID]; ok {
		return o, nil
	}
	return attempt.Outcome{State: attempt.Unknown}, nil
}

func (r *resolver) Apply(ctx context.Context, tx *db.Tx, a attempt.Attempt, o attempt.Outcome) error {
	_, err := tx.ExecContext(ctx, `UPDATE attempt_things SET status = ? WHERE id = ?`, string(o.State), a.RecordID)
	return err
}

func TestJanitor(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	d := dbtest.Open(t, attempt.Migrations, things)
	clk := clock.NewFrozen(time.Date(2026, 11, 2, 1, 0, 0, 0, time.UTC))
	l := attempt.New(clk)
	r := &resolver{d: d, answer: map[string]attempt.Outcome{}}
	j := attempt.NewJanitor(d, l)
	j.Handle("test", "thing.send", r)

	fresh := newThing(t, d, l, "") // pending and young: maybe still in flight, must be left alone
	clk.Advance(time.Minute)
	sent := newThing(t, d, l, "")  // unknown, the provider has it
	never := newThing(t, d, l, "") // unknown, the provider says it never arrived
	silent := newThing(t, d, l, "")
	for _, a := range []attempt.Attempt{sent, never, silent} {
		if _, err := l.Finish(ctx, d, a.ID, attempt.Outcome{State: attempt.Unknown}); err != nil {
			t.Fatal(err)
		}
	}
	r.answer[sent.RecordID] = attempt.Outcome{State: attempt.Succeeded, Response: "applyNo=1"}
	r.answer[never.RecordID] = attempt.Outcome{State: attempt.Failed, Message: "not found"}
	r.answer[fresh.RecordID] = attempt.Outcome{State: attempt.Succeeded}

	rep, err := j.Run(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if rep.Checked != 3 || rep.Settled != 2 {
		t.Fatalf("report %+v, want 3 checked, 2 settled", rep)
	}
	for _, c := range []struct {
		a    attempt.Attempt
		want string
	}{{fresh, "sending"}, {sent, "succeeded"}, {never, "failed"}, {silent, "sending"}} {
		if got := thingStatus(t, d, c.a.RecordID); got != c.want {
			t.Errorf("record of %s: %s, want %s", c.a.ID, got, c.want)
		}
	}

	// Once stale, the pending one is failed as never sent, without asking the provider.
	clk.Advance(3 * time.Minute)
	asked := r.asked
	rep, err = j.Run(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if rep.Checked != 2 || rep.Settled != 1 || r.asked != asked+1 {
		t.Fatalf("second report %+v, asked %d more; want 2 checked (fresh, silent), 1 settled, only silent asked", rep, r.asked-asked)
	}
	if got := thingStatus(t, d, fresh.RecordID); got != "failed" {
		t.Fatalf("stale pending record: %s", got)
	}
	a, _ := l.Get(ctx, d, silent.ID)
	if a.State != attempt.Unknown {
		t.Fatalf("silent attempt %s, want unknown", a.State)
	}
}

// TestJanitorDoesNotStarve: with a batch smaller than the open attempts, attempts the provider
// cannot settle yet go to the back, so every open attempt is asked about in turn.
func TestJanitorDoesNotStarve(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	d := dbtest.Open(t, attempt.Migrations, things)
	clk := clock.NewFrozen(time.Date(2026, 11, 2, 1, 0, 0, 0, time.UTC))
	l := attempt.New(clk)
	asked := map[string]int{}
	j := attempt.NewJanitor(d, l)
	j.Batch = 1
	j.Handle("test", "thing.send", resolveFunc(func(a attempt.Attempt) attempt.Outcome {
		asked[a.ID]++
		return attempt.Outcome{State: attempt.Unknown}
	}))
	var ids []string
	for range 3 {
		a := newThing(t, d, l, "")
		if _, err := l.Finish(ctx, d, a.ID, attempt.Outcome{State: attempt.Unknown}); err != nil {
			t.Fatal(err)
		}
		ids = append(ids, a.ID)
		clk.Advance(time.Second)
	}
	for range 3 {
		clk.Advance(time.Minute)
		if _, err := j.Run(ctx); err != nil {
			t.Fatal(err)
		}
	}
	for _, id := range ids {
		if asked[id] != 1 {
			t.Fatalf("asked %v: want each of the 3 open attempts once in 3 runs of 1", asked)
		}
	}
}

type resolveFunc func(attempt.Attempt) attempt.Outcome

func (f resolveFunc) Resolve(_ context.Context, a attempt.Attempt) (attempt.Outcome, error) {
	return f(a), nil
}

func (resolveFunc) Apply(context.Context, *db.Tx, attempt.Attempt, attempt.Outcome) error { return nil }
