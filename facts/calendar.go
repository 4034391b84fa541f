package facts

import (
	"fmt"
	"time"
)

// Month is a calendar month counted from year 0 (year*12 + month-1), so that
// month arithmetic is integer arithmetic.
type Month int

// ParseMonth reads "YYYY-MM".
func ParseMonth(s string) (Month, error) {
	t, err := time.Parse("2006-01", s)
	if err != nil || len(s) != 7 {
		return 0, fmt.Errorf("%q is not a month: want YYYY-MM", s)
	}
	return MonthOf(t), nil
}

// MonthOf returns the calendar month of t.
func MonthOf(t time.Time) Month {
	return Month(t.Year()*12 + int(t.Month()) - 1)
}

// Year returns the month's year.
func (m Month) Year() int { return int(m) / 12 }

// String formats the month as "YYYY-MM".
func (m Month) String() string {
	return fmt.Sprintf("%04d-%02d", int(m)/12, int(m)%12+1)
}

// LastDay is the month's last calendar day, the day on which SPEC §2 judges
// whether an association is in effect.
func (m Month) LastDay() Date {
	first := time.Date(int(m)/12, time.Month(int(m)%12+1), 1, 0, 0, 0, 0, time.UTC)
	return DateOf(first.AddDate(0, 1, -1))
}

// Date is a calendar day as "YYYY-MM-DD". The format sorts as the days do,
// which the CEL rules rely on when they compare dates as strings. The zero
// value means "absent".
type Date string

// ParseDate reads "YYYY-MM-DD".
func ParseDate(s string) (Date, error) {
	t, err := time.Parse("2006-01-02", s)
	if err != nil || len(s) != 10 {
		return "", fmt.Errorf("%q is not a date: want YYYY-MM-DD", s)
	}
	return DateOf(t), nil
}

// DateOf returns the calendar day of t.
func DateOf(t time.Time) Date { return Date(t.Format("2006-01-02")) }

// Month returns the calendar month the day falls in.
func (d Date) Month() Month {
	t, _ := time.Parse("2006-01-02", string(d))
	return MonthOf(t)
}
