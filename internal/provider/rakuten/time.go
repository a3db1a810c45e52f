package rakuten

import (
	"bytes"
	"encoding/json"
	"fmt"
	"time"

	"kessai/internal/platform/clock"
)

// Rakuten writes datetimes with a colon-less offset ("2026-01-05T10:00:00+0900") and rejects
// other forms in requests. Some of its documents write "+09:00", so both are read.
const (
	DateTimeLayout = "2006-01-02T15:04:05-0700"
	dateTimeColon  = "2006-01-02T15:04:05-07:00"
	DateLayout     = "2006-01-02"
)

// DateTime is a Rakuten datetime. It marshals as JST with a +0900 offset and reads either offset
// form. The zero DateTime marshals as null.
type DateTime struct{ time.Time }

// At returns t as a DateTime.
func At(t time.Time) DateTime { return DateTime{t} }

// String is the wire form in JST.
func (d DateTime) String() string { return d.In(clock.JST).Format(DateTimeLayout) }

// MarshalJSON writes the +0900 form, or null for the zero time.
func (d DateTime) MarshalJSON() ([]byte, error) {
	if d.IsZero() {
		return []byte("null"), nil
	}
	return []byte(`"` + d.String() + `"`), nil
}

// UnmarshalJSON reads "+0900" or "+09:00"; null and "" give the zero time.
func (d *DateTime) UnmarshalJSON(b []byte) error {
	if bytes.Equal(b, []byte("null")) {
		*d = DateTime{}
		return nil
	}
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return fmt.Errorf("rakuten: datetime: %w", err)
	}
	t, err := ParseDateTime(s)
	if err != nil {
		return err
	}
	*d = t
	return nil
}

// ParseDateTime reads a Rakuten datetime ("" is the zero time).
func ParseDateTime(s string) (DateTime, error) {
	if s == "" {
		return DateTime{}, nil
	}
	t, err := time.Parse(DateTimeLayout, s)
	if err != nil {
		t, err = time.Parse(dateTimeColon, s)
	}
	if err != nil {
		return DateTime{}, fmt.Errorf("rakuten: datetime %q: want YYYY-MM-DDThh:mm:ss+0900", s)
	}
	return DateTime{t.UTC()}, nil
}

// Date is a calendar date ("YYYY-MM-DD") in JST. The zero Date marshals as null.
type Date struct{ time.Time }

// DateOf returns the JST calendar date of t.
func DateOf(t time.Time) Date {
	j := t.In(clock.JST)
	return Date{time.Date(j.Year(), j.Month(), j.Day(), 0, 0, 0, 0, clock.JST)}
}

func (d Date) String() string { return d.In(clock.JST).Format(DateLayout) }

// MarshalJSON writes "YYYY-MM-DD", or null for the zero date.
func (d Date) MarshalJSON() ([]byte, error) {
	if d.IsZero() {
		return []byte("null"), nil
	}
	return []byte(`"` + d.String() + `"`), nil
}

// UnmarshalJSON reads "YYYY-MM-DD"; null and "" give the zero date.
func (d *Date) UnmarshalJSON(b []byte) error {
	if bytes.Equal(b, []byte("null")) {
		*d = Date{}
		return nil
	}
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return fmt.Errorf("rakuten: date: %w", err)
	}
	if s == "" {
		*d = Date{}
		return nil
	}
	t, err := time.ParseInLocation(DateLayout, s, clock.JST)
	if err != nil {
		return fmt.Errorf("rakuten: date %q: want YYYY-MM-DD", s)
	}
	*d = Date{t}
	return nil
}
