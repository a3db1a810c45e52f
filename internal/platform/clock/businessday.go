package clock

import "time"

// Bank business days (銀行営業日): Monday to Friday, except public holidays and the bank
// year-end holidays of 12/31 to 1/3. All functions take any time and work on its JST date; they
// return dates at 00:00 JST, like Today.

// IsBusinessDay reports whether t's JST date is a bank business day.
func IsBusinessDay(t time.Time) bool {
	d := dateOf(t)
	switch d.Weekday() {
	case time.Saturday, time.Sunday:
		return false
	}
	if _, m, day := d.Date(); (m == time.December && day == 31) || (m == time.January && day <= 3) {
		return false
	}
	return !IsHoliday(d)
}

// NextBusinessDay returns the first business day strictly after t's date.
func NextBusinessDay(t time.Time) time.Time {
	d := dateOf(t).AddDate(0, 0, 1)
	for !IsBusinessDay(d) {
		d = d.AddDate(0, 0, 1)
	}
	return d
}

// PrevBusinessDay returns the last business day strictly before t's date.
func PrevBusinessDay(t time.Time) time.Time {
	d := dateOf(t).AddDate(0, 0, -1)
	for !IsBusinessDay(d) {
		d = d.AddDate(0, 0, -1)
	}
	return d
}

// BusinessDayOnOrAfter returns t's date if it is a business day, else the next one
// (a due date that falls on a holiday moves to the 翌営業日).
func BusinessDayOnOrAfter(t time.Time) time.Time {
	if d := dateOf(t); IsBusinessDay(d) {
		return d
	}
	return NextBusinessDay(t)
}

// BusinessDayOnOrBefore returns t's date if it is a business day, else the previous one
// (a deadline that falls on a holiday moves to the 前営業日).
func BusinessDayOnOrBefore(t time.Time) time.Time {
	if d := dateOf(t); IsBusinessDay(d) {
		return d
	}
	return PrevBusinessDay(t)
}

// AddBusinessDays moves n business days from t's date: forward for n > 0, backward for n < 0.
// Starting on a non-business day, one step lands on the nearest business day in that direction.
// n == 0 returns t's date unchanged.
func AddBusinessDays(t time.Time, n int) time.Time {
	d := dateOf(t)
	for ; n > 0; n-- {
		d = NextBusinessDay(d)
	}
	for ; n < 0; n++ {
		d = PrevBusinessDay(d)
	}
	return d
}

// dateOf returns t's JST calendar date at 00:00 JST.
func dateOf(t time.Time) time.Time {
	y, m, d := t.In(JST).Date()
	return date(y, m, d)
}
