package payout

import (
	"testing"
	"time"

	"kessai/internal/platform/clock"
	"kessai/internal/provider/aozora"
)

// TestSearchPeriod: the bank is searched from the business day before the earliest date the
// request can carry to the business day after the latest, across weekends and holidays.
func TestSearchPeriod(t *testing.T) {
	t.Parallel()
	at := func(m time.Month, d, h, min int) time.Time { return time.Date(2026, m, d, h, min, 0, 0, clock.JST) }
	day := func(m time.Month, d int) aozora.Date { return aozora.Date{Year: 2026, Month: m, Day: d} }
	tests := []struct {
		name             string
		designated       aozora.Date
		sent, now, wall  time.Time
		wantFrom, wantTo aozora.Date
	}{
		{"a Tuesday", day(3, 3), at(3, 3, 0, 0), at(3, 3, 0, 15), at(3, 3, 0, 15), day(3, 2), day(3, 4)},
		{"a Monday: from the Friday", day(3, 9), at(3, 9, 0, 0), at(3, 9, 0, 15), at(3, 9, 0, 15), day(3, 6), day(3, 10)},
		{"a Friday: to the Monday", day(3, 6), at(3, 6, 23, 59), at(3, 6, 23, 59), at(3, 6, 23, 59), day(3, 5), day(3, 9)},
		{"after 春分の日 (Fri) and a weekend", day(3, 23), at(3, 23, 0, 0), at(3, 23, 0, 5), at(3, 23, 0, 5), day(3, 19), day(3, 24)},
		{"before 昭和の日 (Wed)", day(4, 28), at(4, 28, 23, 59), at(4, 28, 23, 59), at(4, 28, 23, 59), day(4, 27), day(4, 30)},
		{"sandbox clock days ahead of the wall", day(3, 12), at(3, 2, 10, 0), at(3, 12, 10, 5), at(3, 2, 10, 5), day(2, 27), day(3, 13)},
	}
	for _, tc := range tests {
		from, to := searchPeriod(tc.designated, tc.sent, tc.now, tc.wall)
		if from != tc.wantFrom || to != tc.wantTo {
			t.Errorf("%s: %s – %s, want %s – %s", tc.name, from, to, tc.wantFrom, tc.wantTo)
		}
	}
}
