package clock

import "time"

// Japanese public holidays (国民の祝日) are computed by rule rather than read from a list, so the
// calendar never runs out. The rules follow the 国民の祝日に関する法律 with its amendments since
// 1980 and the one-off days of 1989, 1990, 1993, 2019 and the 2020/2021 Olympic moves.
//
// 春分の日 and 秋分の日 are set each February by the 国立天文台's announcement; the standard
// approximation used here agrees with it for 1980–2099. Outside those years the equinox days are
// not reported, and other rules are only meant for 1980 onwards.

// Holiday is one day off with its Japanese name.
type Holiday struct {
	Date time.Time // 00:00 JST
	Name string
}

// HolidayName returns the name of the public holiday on t's JST date: a 国民の祝日, "振替休日"
// (substitute holiday) or "国民の休日" (a day between two holidays).
func HolidayName(t time.Time) (string, bool) {
	y, m, d := t.In(JST).Date()
	if name, ok := nationalHoliday(y, m, d); ok {
		return name, true
	}
	day := date(y, m, d)
	if isSubstitute(day) {
		return "振替休日", true
	}
	// 国民の休日: since 1985-12-27, a non-Sunday between two 祝日.
	if !day.Before(date(1985, 12, 27)) && day.Weekday() != time.Sunday &&
		isNational(day.AddDate(0, 0, -1)) && isNational(day.AddDate(0, 0, 1)) {
		return "国民の休日", true
	}
	return "", false
}

// IsHoliday reports whether t's JST date is a public holiday.
func IsHoliday(t time.Time) bool {
	_, ok := HolidayName(t)
	return ok
}

// HolidaysIn lists the public holidays of a year in date order, for calendars and pickers.
func HolidaysIn(year int) []Holiday {
	var out []Holiday
	for d := date(year, 1, 1); d.Year() == year; d = d.AddDate(0, 0, 1) {
		if name, ok := HolidayName(d); ok {
			out = append(out, Holiday{Date: d, Name: name})
		}
	}
	return out
}

func date(y int, m time.Month, d int) time.Time { return time.Date(y, m, d, 0, 0, 0, 0, JST) }

func isNational(t time.Time) bool {
	y, m, d := t.Date()
	_, ok := nationalHoliday(y, m, d)
	return ok
}

// isSubstitute applies the 振替休日 rule: from 1973-04-12 the Monday after a 祝日 on Sunday;
// from 2007 the first day after it that is not itself a 祝日.
func isSubstitute(day time.Time) bool {
	switch {
	case !day.Before(date(2007, 1, 1)):
		for p := day.AddDate(0, 0, -1); isNational(p); p = p.AddDate(0, 0, -1) {
			if p.Weekday() == time.Sunday {
				return true
			}
		}
		return false
	case !day.Before(date(1973, 4, 12)):
		p := day.AddDate(0, 0, -1)
		return p.Weekday() == time.Sunday && isNational(p)
	}
	return false
}

// nthMonday returns the day of month of the n-th Monday of y/m.
func nthMonday(y int, m time.Month, n int) int {
	first := date(y, m, 1).Weekday()
	offset := (int(time.Monday) - int(first) + 7) % 7
	return 1 + offset + 7*(n-1)
}

// vernalEquinox and autumnalEquinox give the day in March/September, valid 1980–2099.
func vernalEquinox(y int) int {
	return int(20.8431 + 0.242194*float64(y-1980) - float64((y-1980)/4))
}

func autumnalEquinox(y int) int {
	return int(23.2488 + 0.242194*float64(y-1980) - float64((y-1980)/4))
}

// nationalHoliday reports the 国民の祝日 (and one-off 休日 declared by law) on y-m-d.
func nationalHoliday(y int, m time.Month, d int) (string, bool) {
	equinoxKnown := y >= 1980 && y <= 2099
	switch m {
	case time.January:
		switch {
		case d == 1 && y >= 1949:
			return "元日", true
		case y >= 2000 && d == nthMonday(y, m, 2), y >= 1949 && y < 2000 && d == 15:
			return "成人の日", true
		}
	case time.February:
		switch {
		case d == 11 && y >= 1967:
			return "建国記念の日", true
		case d == 23 && y >= 2020:
			return "天皇誕生日", true
		case y == 1989 && d == 24:
			return "昭和天皇の大喪の礼", true
		}
	case time.March:
		if equinoxKnown && d == vernalEquinox(y) {
			return "春分の日", true
		}
	case time.April:
		switch {
		case d == 29 && y >= 2007:
			return "昭和の日", true
		case d == 29 && y >= 1989:
			return "みどりの日", true
		case d == 29 && y >= 1949:
			return "天皇誕生日", true
		case y == 1959 && d == 10:
			return "皇太子明仁親王の結婚の儀", true
		}
	case time.May:
		switch {
		case d == 3 && y >= 1949:
			return "憲法記念日", true
		case d == 4 && y >= 2007:
			return "みどりの日", true
		case d == 5 && y >= 1949:
			return "こどもの日", true
		case y == 2019 && d == 1:
			return "天皇の即位の日", true
		}
	case time.June:
		if y == 1993 && d == 9 {
			return "皇太子徳仁親王の結婚の儀", true
		}
	case time.July:
		switch {
		case y == 2020 && d == 23, y == 2021 && d == 22:
			return "海の日", true
		case y == 2020 && d == 24, y == 2021 && d == 23:
			return "スポーツの日", true
		case y == 2020 || y == 2021:
		case y >= 2003 && d == nthMonday(y, m, 3), y >= 1996 && y < 2003 && d == 20:
			return "海の日", true
		}
	case time.August:
		switch {
		case y == 2020 && d == 10, y == 2021 && d == 8:
			return "山の日", true
		case y == 2020 || y == 2021:
		case y >= 2016 && d == 11:
			return "山の日", true
		}
	case time.September:
		switch {
		case y >= 2003 && d == nthMonday(y, m, 3), y >= 1966 && y < 2003 && d == 15:
			return "敬老の日", true
		case equinoxKnown && d == autumnalEquinox(y):
			return "秋分の日", true
		}
	case time.October:
		switch {
		case y == 2019 && d == 22:
			return "即位礼正殿の儀の行われる日", true
		case y == 2020 || y == 2021:
		case y >= 2020 && d == nthMonday(y, m, 2):
			return "スポーツの日", true
		case y >= 2000 && y < 2020 && d == nthMonday(y, m, 2), y >= 1966 && y < 2000 && d == 10:
			return "体育の日", true
		}
	case time.November:
		switch {
		case d == 3 && y >= 1948:
			return "文化の日", true
		case d == 23 && y >= 1948:
			return "勤労感謝の日", true
		case y == 1990 && d == 12:
			return "即位礼正殿の儀", true
		}
	case time.December:
		if d == 23 && y >= 1989 && y <= 2018 {
			return "天皇誕生日", true
		}
	}
	return "", false
}
