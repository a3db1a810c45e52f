package lease_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"kessai/internal/platform/clock"
	"kessai/internal/platform/db"
	"kessai/internal/platform/db/dbtest"
	"kessai/internal/platform/lease"
)

func TestLease(t *testing.T) {
	t.Parallel()
	d := dbtest.Open(t, lease.Migrations)
	c := clock.NewFrozen(time.Date(2026, 3, 2, 1, 0, 0, 0, time.UTC))
	l := lease.New(d, c)
	ctx := context.Background()
	a, ok, err := l.TryTake(ctx, "x", "a", time.Minute)
	if err != nil || !ok || a.TookOver {
		t.Fatalf("first take: %+v %v %v", a, ok, err)
	}
	if _, ok, err := l.TryTake(ctx, "x", "b", time.Minute); err != nil || ok {
		t.Fatalf("second holder took a held lease: %v %v", ok, err)
	}
	if err := l.Release(ctx, a); err != nil {
		t.Fatal(err)
	}
	b, ok, err := l.TryTake(ctx, "x", "b", time.Minute)
	if err != nil || !ok || b.TookOver {
		t.Fatalf("take after release: %+v %v %v", b, ok, err)
	}
	// b dies holding it: after the TTL c takes over and is told.
	c.Advance(2 * time.Minute)
	cl, ok, err := l.TryTake(ctx, "x", "c", time.Minute)
	if err != nil || !ok || !cl.TookOver {
		t.Fatalf("take over an expired lease: %+v %v %v", cl, ok, err)
	}
	if err := l.Release(ctx, b); err != nil { // the dead holder's late release changes nothing
		t.Fatal(err)
	}
	wctx, cancel := context.WithTimeout(ctx, 300*time.Millisecond)
	defer cancel()
	if _, err := l.Wait(wctx, "x", "d", time.Minute); !errors.Is(err, lease.ErrBusy) {
		t.Fatalf("wait for a held lease: %v, want ErrBusy", err)
	}
	// ctx ending inside the database call (a slow commit under load) is ErrBusy too, not a
	// database error the caller would report as a failure.
	dead, kill := context.WithCancel(ctx)
	kill()
	if _, err := l.Wait(dead, "x", "e", time.Minute); !errors.Is(err, lease.ErrBusy) {
		t.Fatalf("wait with an ended context: %v, want ErrBusy", err)
	}
}

// TestLeaseOneHolderAcrossPools: many takers on separate pools (instances on PostgreSQL) —
// exactly one holds the lease.
func TestLeaseOneHolderAcrossPools(t *testing.T) {
	t.Parallel()
	d := dbtest.Open(t, lease.Migrations)
	c := clock.NewFrozen(time.Date(2026, 3, 2, 1, 0, 0, 0, time.UTC))
	pools := []*db.DB{d}
	if d.Dialect() == db.Postgres {
		for range 3 {
			d2, err := db.Open(context.Background(), d.URL, "")
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { d2.Close() })
			pools = append(pools, d2)
		}
	}
	results := make(chan bool, 16)
	for i := range 16 {
		go func() {
			_, ok, err := lease.New(pools[i%len(pools)], c).TryTake(context.Background(), "y", string(rune('a'+i)), time.Minute)
			if err != nil {
				t.Error(err)
			}
			results <- ok
		}()
	}
	held := 0
	for range 16 {
		if <-results {
			held++
		}
	}
	if held != 1 {
		t.Fatalf("%d holders, want 1", held)
	}
}
