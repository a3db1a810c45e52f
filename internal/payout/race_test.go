package payout_test

import (
	"context"
	"testing"
	"time"

	"kessai/internal/payout"
	"kessai/internal/platform/db"
)

// TestEditRacingTheClaimReachesTheBank: an edit whose transaction holds the transfer's row when
// an execution starts, and commits while the execution waits, must be what the bank receives
// — never the values before the edit while the record shows the new ones. On SQLite
// transactions are serial, so the race cannot happen there.
func TestEditRacingTheClaimReachesTheBank(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	if e.db.Dialect() != db.Postgres {
		t.Skip("SQLite runs one transaction at a time: an edit cannot commit inside the claim")
	}
	d2, err := db.Open(context.Background(), e.db.URL, "")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { d2.Close() })
	exec := e.openOn(d2).exec

	tr := e.register(seller{bank: "0001", branch: "001", number: "7777777", kana: "ｻﾄｳ ﾊﾅｺ", amount: 9101, caseStatus: "stocked"})
	const edited = 9202
	tx, err := e.db.SQL.BeginTx(e.ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback()
	// The edit (as Service.Update writes it) holds the row…
	if _, err := tx.ExecContext(e.ctx, `UPDATE transfers SET amount = $1, account_number = '7000001' WHERE id = $2 AND status = $3`,
		edited, tr.ID, payout.StatusAwaitingExecution); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { _, err := exec.ExecuteOne(e.ctx, tr.ID); done <- err }()
	// …until the execution is waiting for it, then commits.
	waitForLockWait(t, e.db)
	if err := tx.Commit(); err != nil {
		t.Fatal(err)
	}
	if err := <-done; err != nil {
		t.Fatalf("execute: %v", err)
	}
	cur := e.get(tr.ID)
	var got []int64
	for _, v := range e.sim.Transfers() {
		got = append(got, v.TotalAmount)
	}
	if cur.Amount != edited || len(got) != 1 || got[0] != cur.Amount {
		t.Fatalf("record amount %d, bank received %v: must be the record's", cur.Amount, got)
	}
}

// waitForLockWait waits until a session of this test's database waits for a row lock.
func waitForLockWait(t *testing.T, d *db.DB) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for time.Now().Before(deadline) {
		var n int
		err := d.QueryRowContext(context.Background(), `SELECT COUNT(*) FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid
			WHERE NOT l.granted AND a.datname = current_database()`).Scan(&n)
		if err != nil {
			t.Fatal(err)
		}
		if n > 0 {
			return
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Fatal("the execution never waited for the edit's row lock")
}
