package clock

import (
	"fmt"
	"strings"
	"testing"
	"time"
)

// Holiday lists as published by the Cabinet Office (内閣府「国民の祝日について」). The Cabinet
// Office calls substitute and in-between days simply 休日 (and the two 2019 enthronement days
// 休日（祝日扱い）); we name them 振替休日, 国民の休日 and by the special law. Every date from 1980
// to 2050 was also checked once against the holiday_jp data set.
var cabinetOffice = map[int]string{
	2019: `01-01 元日; 01-14 成人の日; 02-11 建国記念の日; 03-21 春分の日; 04-29 昭和の日;
		04-30 国民の休日; 05-01 天皇の即位の日; 05-02 国民の休日; 05-03 憲法記念日; 05-04 みどりの日;
		05-05 こどもの日; 05-06 振替休日; 07-15 海の日; 08-11 山の日; 08-12 振替休日; 09-16 敬老の日;
		09-23 秋分の日; 10-14 体育の日; 10-22 即位礼正殿の儀の行われる日; 11-03 文化の日; 11-04 振替休日;
		11-23 勤労感謝の日`,
	2020: `01-01 元日; 01-13 成人の日; 02-11 建国記念の日; 02-23 天皇誕生日; 02-24 振替休日; 03-20 春分の日;
		04-29 昭和の日; 05-03 憲法記念日; 05-04 みどりの日; 05-05 こどもの日; 05-06 振替休日; 07-23 海の日;
		07-24 スポーツの日; 08-10 山の日; 09-21 敬老の日; 09-22 秋分の日; 11-03 文化の日; 11-23 勤労感謝の日`,
	2021: `01-01 元日; 01-11 成人の日; 02-11 建国記念の日; 02-23 天皇誕生日; 03-20 春分の日; 04-29 昭和の日;
		05-03 憲法記念日; 05-04 みどりの日; 05-05 こどもの日; 07-22 海の日; 07-23 スポーツの日; 08-08 山の日;
		08-09 振替休日; 09-20 敬老の日; 09-23 秋分の日; 11-03 文化の日; 11-23 勤労感謝の日`,
	2024: `01-01 元日; 01-08 成人の日; 02-11 建国記念の日; 02-12 振替休日; 02-23 天皇誕生日; 03-20 春分の日;
		04-29 昭和の日; 05-03 憲法記念日; 05-04 みどりの日; 05-05 こどもの日; 05-06 振替休日; 07-15 海の日;
		08-11 山の日; 08-12 振替休日; 09-16 敬老の日; 09-22 秋分の日; 09-23 振替休日; 10-14 スポーツの日;
		11-03 文化の日; 11-04 振替休日; 11-23 勤労感謝の日`,
	2025: `01-01 元日; 01-13 成人の日; 02-11 建国記念の日; 02-23 天皇誕生日; 02-24 振替休日; 03-20 春分の日;
		04-29 昭和の日; 05-03 憲法記念日; 05-04 みどりの日; 05-05 こどもの日; 05-06 振替休日; 07-21 海の日;
		08-11 山の日; 09-15 敬老の日; 09-23 秋分の日; 10-13 スポーツの日; 11-03 文化の日; 11-23 勤労感謝の日;
		11-24 振替休日`,
	2026: `01-01 元日; 01-12 成人の日; 02-11 建国記念の日; 02-23 天皇誕生日; 03-20 春分の日; 04-29 昭和の日;
		05-03 憲法記念日; 05-04 みどりの日; 05-05 こどもの日; 05-06 振替休日; 07-20 海の日; 08-11 山の日;
		09-21 敬老の日; 09-22 国民の休日; 09-23 秋分の日; 10-12 スポーツの日; 11-03 文化の日; 11-23 勤労感謝の日`,
}

func TestHolidaysIn(t *testing.T) {
	t.Parallel()
	for year, list := range cabinetOffice {
		t.Run(fmt.Sprint(year), func(t *testing.T) {
			t.Parallel()
			var want []string
			for item := range strings.SplitSeq(list, ";") {
				want = append(want, fmt.Sprintf("%d-%s", year, strings.TrimSpace(item)))
			}
			var got []string
			for _, h := range HolidaysIn(year) {
				got = append(got, h.Date.Format("2006-01-02")+" "+h.Name)
			}
			if strings.Join(got, "\n") != strings.Join(want, "\n") {
				t.Errorf("HolidaysIn(%d):\n got %s\nwant %s", year, strings.Join(got, "\n     "), strings.Join(want, "\n     "))
			}
		})
	}
}

func TestHolidayName(t *testing.T) {
	t.Parallel()
	tests := []struct {
		date string
		want string // "" = not a holiday
	}{
		{"1989-02-24", "昭和天皇の大喪の礼"},
		{"1989-04-29", "みどりの日"},
		{"1989-12-23", "天皇誕生日"},
		{"1990-11-12", "即位礼正殿の儀"},
		{"1993-06-09", "皇太子徳仁親王の結婚の儀"},
		{"1998-05-04", "振替休日"}, // 5/3 Sunday, pre-2007 rule
		{"1999-05-04", "国民の休日"},
		{"1999-01-15", "成人の日"},
		{"2000-01-10", "成人の日"},
		{"2006-04-29", "みどりの日"},
		{"2006-05-04", "国民の休日"},
		{"2007-04-29", "昭和の日"},
		{"2007-04-30", "振替休日"},
		{"2008-05-06", "振替休日"}, // 5/4 Sunday: moves past 5/5 to 5/6 (post-2007 rule)
		{"2009-05-06", "振替休日"}, // 5/3 Sunday
		{"2009-09-22", "国民の休日"},
		{"2015-09-22", "国民の休日"},
		{"2018-12-23", "天皇誕生日"},
		{"2018-12-24", "振替休日"},
		{"2019-12-23", ""},
		{"2020-10-12", ""}, // スポーツの日 moved to 7/24
		{"2021-08-09", "振替休日"},
		{"2024-12-31", ""}, // a bank holiday, not a public one
		{"2032-09-21", "国民の休日"},
		{"2099-03-20", "春分の日"},
	}
	for _, tt := range tests {
		d, err := time.ParseInLocation("2006-01-02", tt.date, JST)
		if err != nil {
			t.Fatal(err)
		}
		got, _ := HolidayName(d)
		if got != tt.want {
			t.Errorf("HolidayName(%s) = %q, want %q", tt.date, got, tt.want)
		}
	}
}

func TestHolidayNameUsesJSTDate(t *testing.T) {
	t.Parallel()
	// 2026-05-05 15:30 UTC is already 5/6 in Japan (振替休日).
	u := time.Date(2026, 5, 5, 15, 30, 0, 0, time.UTC)
	if got, _ := HolidayName(u); got != "振替休日" {
		t.Fatalf("HolidayName(%v) = %q, want 振替休日", u, got)
	}
}

func TestEquinoxes(t *testing.T) {
	t.Parallel()
	// Days announced by the National Astronomical Observatory of Japan.
	tests := []struct{ year, spring, autumn int }{
		{1980, 20, 23}, {1992, 20, 23}, {2000, 20, 23}, {2012, 20, 22}, {2016, 20, 22},
		{2023, 21, 23}, {2024, 20, 22}, {2025, 20, 23}, {2026, 20, 23}, {2027, 21, 23},
	}
	for _, tt := range tests {
		if got := vernalEquinox(tt.year); got != tt.spring {
			t.Errorf("vernalEquinox(%d) = %d, want %d", tt.year, got, tt.spring)
		}
		if got := autumnalEquinox(tt.year); got != tt.autumn {
			t.Errorf("autumnalEquinox(%d) = %d, want %d", tt.year, got, tt.autumn)
		}
	}
}

func BenchmarkHolidayName(b *testing.B) {
	d := date(2026, 9, 22)
	for b.Loop() {
		HolidayName(d)
	}
}
