package attempt_test

import (
	"context"
	"testing"
	"time"

	"kessai/internal/platform/attempt"
	"kessai/internal/platform/clock"
	"kessai/internal/platform/db"
	"kessai/internal/platform/db/dbtest"
)

// TestJanitorStaleAfterPerOperation: an SFTP upload gets its own stale-after, so a sending upload
// still within it is not asked about while a sending HTTP call of the same age is.
func TestJanitorStaleAfterPerOperation(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	d := dbtest.Open(t, attempt.Migrations, things)
	clk := clock.NewFrozen(time.Date(2026, 11, 2, 1, 0, 0, 0, time.UTC))
	l := attempt.New(clk)
	r := &resolver{d: d, answer: map[string]attempt.Outcome{}}
	j := attempt.NewJanitor(d, l)
	j.Handle("test", "thing.send", r)
	j.HandleAfter("test", "thing.upload", r, 30*time.Minute)

	sending := func(op string) attempt.Attempt {
		var a attempt.Attempt
		err := d.InTx(ctx, func(tx *db.Tx) error {
			id := db.NewID("thg")
			if _, err := tx.ExecContext(ctx, `INSERT INTO attempt_things (id, status) VALUES (?, 'sending')`, id); err != nil {
				return err
			}
			var err error
			a, err = l.Begin(ctx, tx, attempt.Attempt{Room: "test", RecordType: "thing", RecordID: id, Operation: op})
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		if ok, err := l.MarkSending(ctx, d, a.ID); err != nil || !ok {
			t.Fatalf("mark sending: %v %v", ok, err)
		}
		return a
	}
	call, upload := sending("thing.send"), sending("thing.upload")
	r.answer[call.RecordID] = attempt.Outcome{State: attempt.Succeeded}
	r.answer[upload.RecordID] = attempt.Outcome{State: attempt.Succeeded}

	clk.Advance(5 * time.Minute) // past the default 2 minutes, within the upload's 30
	rep, err := j.Run(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if rep.Checked != 1 || thingStatus(t, d, call.RecordID) != "succeeded" || thingStatus(t, d, upload.RecordID) != "sending" {
		t.Fatalf("after 5 minutes: %+v, call %s, upload %s; want only the call asked about", rep,
			thingStatus(t, d, call.RecordID), thingStatus(t, d, upload.RecordID))
	}
	clk.Advance(30 * time.Minute)
	if rep, err = j.Run(ctx); err != nil || rep.Settled != 1 || thingStatus(t, d, upload.RecordID) != "succeeded" {
		t.Fatalf("after 35 minutes: %+v %v, upload %s", rep, err, thingStatus(t, d, upload.RecordID))
	}
}
