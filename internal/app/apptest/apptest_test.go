package apptest

import (
	"testing"
	"time"

	"kessai/internal/platform/clock"
)

func TestUntilBankHours(t *testing.T) {
	at := func(s string) time.Time {
		v, err := time.ParseInLocation("2006-01-02 15:04", s, clock.JST)
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	for _, tc := range []struct{ now, want string }{
		{"2026-12-04 10:00", "2026-12-04 10:00"}, // Friday, open
		{"2026-12-04 13:59", "2026-12-04 13:59"},
		{"2026-12-04 14:00", "2026-12-07 10:00"}, // Friday afternoon → Monday
		{"2026-12-05 04:03", "2026-12-07 10:00"}, // Saturday night (the CI run that failed)
		{"2026-12-07 08:30", "2026-12-07 10:00"}, // Monday before opening → the same day
		{"2026-11-23 10:00", "2026-11-24 10:00"}, // 勤労感謝の日
		{"2026-12-30 15:00", "2027-01-04 10:00"}, // bank year-end holidays
	} {
		now := at(tc.now)
		if got := now.Add(UntilBankHours(now)); !got.Equal(at(tc.want)) {
			t.Errorf("%s: moved to %s, want %s", tc.now, got.In(clock.JST).Format("2006-01-02 15:04"), tc.want)
		}
	}
}
