package db_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"kessai/internal/platform/db"
	"kessai/internal/platform/db/dbtest"
)

// A SELECT outside a transaction is answered while another goroutine holds the writer in an
// open transaction, and sees the last committed state (WAL), not the uncommitted write.
func TestReadsDoNotWaitForTheWriter(t *testing.T) {
	ctx := context.Background()
	d := dbtest.Open(t, things)
	if _, err := d.ExecContext(ctx, `INSERT INTO things (id, name, amount, at, day) VALUES ('a', 'committed', 1, ?, '2026-01-01')`, time.Now().UTC()); err != nil {
		t.Fatal(err)
	}
	holding := make(chan struct{})
	release := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		err := d.InTx(ctx, func(tx *db.Tx) error {
			if _, err := tx.ExecContext(ctx, `UPDATE things SET name = 'uncommitted' WHERE id = 'a'`); err != nil {
				return err
			}
			close(holding)
			<-release
			return nil
		})
		if err != nil {
			t.Error(err)
		}
	}()
	<-holding
	// Several reads at once, each bounded: with one shared connection they would all block.
	rctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	var rg sync.WaitGroup
	for range db.ReadConns + 2 {
		rg.Add(1)
		go func() {
			defer rg.Done()
			var name string
			if err := d.QueryRowContext(rctx, `SELECT name FROM things WHERE id = 'a'`).Scan(&name); err != nil {
				t.Errorf("read while the writer is held: %v", err)
				return
			}
			if name != "committed" {
				t.Errorf("read %q while the writer is held, want the committed %q", name, "committed")
			}
		}()
	}
	rg.Wait()
	close(release)
	wg.Wait()
	var name string
	if err := d.QueryRowContext(ctx, `SELECT name FROM things WHERE id = 'a'`).Scan(&name); err != nil || name != "uncommitted" {
		t.Fatalf("after commit: %q, %v; want the committed update", name, err)
	}
}

// Statements that write still go to the writer even through QueryRowContext.
func TestWritesThroughQueryGoToTheWriter(t *testing.T) {
	ctx := context.Background()
	d := dbtest.Open(t, things)
	var id string
	err := d.QueryRowContext(ctx, `INSERT INTO things (id, name, amount, at, day) VALUES ('b', 'x', 1, ?, '2026-01-01') RETURNING id`, time.Now().UTC()).Scan(&id)
	if err != nil || id != "b" {
		t.Fatalf("INSERT … RETURNING through QueryRowContext = %q, %v", id, err)
	}
	if d.Dialect() == db.SQLite {
		if _, err := d.Reader().ExecContext(ctx, `DELETE FROM things`); err == nil {
			t.Fatal("the SQLite read pool accepted a write; it must be query_only")
		}
	}
}
