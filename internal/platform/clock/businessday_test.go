package clock

import (
	"testing"
	"time"
)

func day(s string) time.Time {
	d, err := time.ParseInLocation("2006-01-02", s, JST)
	if err != nil {
		panic(err)
	}
	return d
}

func TestIsBusinessDay(t *testing.T) {
	t.Parallel()
	tests := []struct {
		date string
		want bool
	}{
		{"2026-01-02", false}, // bank holiday
		{"2026-01-03", false},
		{"2026-01-05", true},  // Monday
		{"2026-01-12", false}, // 成人の日
		{"2026-05-01", true},
		{"2026-05-06", false}, // 振替休日
		{"2026-09-22", false}, // 国民の休日
		{"2026-12-30", true},
		{"2026-12-31", false},
		{"2025-12-31", false},
		{"2024-12-28", false}, // Saturday
		{"2024-12-29", false}, // Sunday
		{"2019-04-30", false},
		{"2019-05-01", false},
		{"2019-05-02", false},
		{"2019-05-07", true},
	}
	for _, tt := range tests {
		if got := IsBusinessDay(day(tt.date)); got != tt.want {
			t.Errorf("IsBusinessDay(%s) = %v, want %v", tt.date, got, tt.want)
		}
	}
}

func TestBusinessDayMoves(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		f    func(time.Time) time.Time
		from string
		want string
	}{
		{"next over GW 2019", NextBusinessDay, "2019-04-26", "2019-05-07"},
		{"next over year end", NextBusinessDay, "2026-12-30", "2027-01-04"},
		{"next is strict", NextBusinessDay, "2026-06-01", "2026-06-02"},
		{"prev over year end", PrevBusinessDay, "2027-01-04", "2026-12-30"},
		{"prev over silver week", PrevBusinessDay, "2026-09-24", "2026-09-18"},
		{"on or after business day", BusinessDayOnOrAfter, "2026-06-01", "2026-06-01"},
		{"on or after Saturday", BusinessDayOnOrAfter, "2026-06-27", "2026-06-29"},
		{"on or before Sunday", BusinessDayOnOrBefore, "2026-06-28", "2026-06-26"},
		{"on or before holiday", BusinessDayOnOrBefore, "2026-05-06", "2026-05-01"},
	}
	for _, tt := range tests {
		if got := tt.f(day(tt.from)); !got.Equal(day(tt.want)) || got.Location() != JST {
			t.Errorf("%s: from %s got %v, want %s 00:00 JST", tt.name, tt.from, got, tt.want)
		}
	}
}

func TestAddBusinessDays(t *testing.T) {
	t.Parallel()
	tests := []struct {
		from string
		n    int
		want string
	}{
		{"2026-04-30", 1, "2026-05-01"},
		{"2026-04-30", 2, "2026-05-07"},
		{"2026-05-02", 1, "2026-05-07"}, // from a Saturday
		{"2026-05-07", -1, "2026-05-01"},
		{"2026-05-07", -2, "2026-04-30"},
		{"2026-05-03", 0, "2026-05-03"},
		{"2026-12-25", 5, "2027-01-05"},
		{"2026-09-18", 1, "2026-09-24"},
	}
	for _, tt := range tests {
		if got := AddBusinessDays(day(tt.from), tt.n); !got.Equal(day(tt.want)) {
			t.Errorf("AddBusinessDays(%s, %d) = %s, want %s", tt.from, tt.n, got.Format("2006-01-02"), tt.want)
		}
	}
	// A time of day in UTC is read as its JST date and the result is midnight JST.
	u := time.Date(2026, 4, 30, 16, 0, 0, 0, time.UTC) // 2026-05-01 01:00 JST
	if got := AddBusinessDays(u, 1); !got.Equal(day("2026-05-07")) {
		t.Errorf("AddBusinessDays(%v, 1) = %v", u, got)
	}
}

func TestBusinessDaysWithToday(t *testing.T) {
	t.Parallel()
	c := NewFrozen(time.Date(2026, 12, 30, 15, 0, 0, 0, time.UTC)) // 12/31 00:00 JST
	if got := NextBusinessDay(Today(c)); !got.Equal(day("2027-01-04")) {
		t.Fatalf("NextBusinessDay(Today) = %v", got)
	}
}
