package payout_test

import (
	"testing"
	"time"

	"kessai/internal/payout"
	"kessai/internal/platform/clock"
)

// The list filters by case code and registration date in SQL: the total is right however many
// transfers match (the page used to collect matching IDs with a 5,000-row cap first).
func TestListFiltersByCaseAndDate(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	first := e.register(goodSeller)
	e.advance(48 * time.Hour)
	second := e.register(goodSeller)
	third := e.register(goodSeller)
	day := func(tr payout.Transfer, addDays int) time.Time {
		d := tr.CreatedAt.In(clock.JST)
		return time.Date(d.Year(), d.Month(), d.Day()+addDays, 0, 0, 0, 0, clock.JST)
	}
	tests := []struct {
		name string
		f    payout.Filter
		want []string
	}{
		{"case code", payout.Filter{CaseCode: second.CaseCode}, []string{second.ID}},
		{"unknown code", payout.Filter{CaseCode: "NOPE"}, nil},
		{"from the second day", payout.Filter{From: day(second, 0)}, []string{third.ID, second.ID}},
		{"to the first day", payout.Filter{To: day(first, 1)}, []string{first.ID}},
		{"one page of two", payout.Filter{From: day(second, 0), PerPage: 1, Page: 2}, []string{second.ID}},
	}
	for _, tt := range tests {
		items, total, err := e.room.svc.List(e.ctx, tt.f)
		if err != nil {
			t.Fatalf("%s: %v", tt.name, err)
		}
		var got []string
		for _, it := range items {
			got = append(got, it.ID)
		}
		wantTotal := len(tt.want)
		if tt.f.PerPage > 0 {
			wantTotal = 2
		}
		if !sameOrder(got, tt.want) || total != wantTotal {
			t.Errorf("%s: got %v (total %d), want %v (total %d)", tt.name, got, total, tt.want, wantTotal)
		}
	}
}

func sameOrder(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}
