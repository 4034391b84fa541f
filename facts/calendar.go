package facts

import (
	"fmt"
	"strconv"
	"sync"
	"time"
)

// Years a month or date may fall in. Fact files describe a program that
// began in the 2020s; a year outside this range is a typo (0000, 9999) and
// would only overflow date arithmetic later, so it is refused where it is
// read, with its place.
const (
	MinYear = 1900
	MaxYear = 2199
)

// Month is a calendar month counted from year 0 (year*12 + month-1), so that
// month arithmetic is integer arithmetic.
type Month int

// ParseMonth reads "YYYY-MM".
func ParseMonth(s string) (Month, error) {
	m, ok := parseMonth(s)
	if !ok {
		if _, shape := parseMonthShape(s); shape {
			return 0, fmt.Errorf("%q is out of range: years %d to %d", s, MinYear, MaxYear)
		}
		return 0, fmt.Errorf("%q is not a month: want YYYY-MM", s)
	}
	return m, nil
}

func parseMonth(s string) (Month, bool) {
	m, ok := parseMonthShape(s)
	if y := int(m) / 12; !ok || y < MinYear || y > MaxYear {
		return 0, false
	}
	return m, true
}

func parseMonthShape(s string) (Month, bool) {
	y, okY := digits(s, 0, 4)
	m, okM := digits(s, 5, 7)
	if len(s) != 7 || s[4] != '-' || !okY || !okM || m < 1 || m > 12 {
		return 0, false
	}
	return Month(y*12 + m - 1), true
}

// digits reads s[from:to] as a decimal number; fact files hold millions of
// months and dates, and time.Parse is slow for them.
func digits(s string, from, to int) (int, bool) {
	if len(s) < to {
		return 0, false
	}
	n := 0
	for i := from; i < to; i++ {
		c := s[i]
		if c < '0' || c > '9' {
			return 0, false
		}
		n = n*10 + int(c-'0')
	}
	return n, true
}

// MonthOf returns the calendar month of t.
func MonthOf(t time.Time) Month {
	return Month(t.Year()*12 + int(t.Month()) - 1)
}

// String formats the month as "YYYY-MM".
func (m Month) String() string {
	if t, ok := m.text(); ok {
		return t[:7]
	}
	return string(m.Append(make([]byte, 0, 7)))
}

// monthTexts are every month's first and last day from MinYear to MaxYear,
// "YYYY-MM-01YYYY-MM-DD" each, in one string: a rule reads a month's name
// or last day for every tenant and month, and slicing makes nothing.
var monthTexts = sync.OnceValue(func() string {
	b := make([]byte, 0, (MaxYear-MinYear+1)*12*20)
	for m := Month(MinYear * 12); m < Month((MaxYear+1)*12); m++ {
		b = m.Append(b)
		b = append(b, "-01"...)
		b = appendLastDay(b, m)
	}
	return string(b)
})

// text is the month's "YYYY-MM-01YYYY-MM-DD" from monthTexts.
func (m Month) text() (string, bool) {
	if m < Month(MinYear*12) || m >= Month((MaxYear+1)*12) {
		return "", false
	}
	i := int(m-Month(MinYear*12)) * 20
	return monthTexts()[i : i+20], true
}

// Append appends the month as YYYY-MM.
func (m Month) Append(b []byte) []byte {
	y, mo := int(m)/12, int(m)%12+1
	b = appendPadded(b, y, 4)
	b = append(b, '-')
	return appendPadded(b, mo, 2)
}

// LastDay is the month's last calendar day.
func (m Month) LastDay() Date {
	if t, ok := m.text(); ok {
		return Date(t[10:])
	}
	return Date(appendLastDay(make([]byte, 0, 10), m))
}

func appendLastDay(b []byte, m Month) []byte {
	b = m.Append(b)
	b = append(b, '-')
	return appendPadded(b, m.days(), 2)
}

// FirstDay is the month's first calendar day.
func (m Month) FirstDay() Date {
	if t, ok := m.text(); ok {
		return Date(t[:10])
	}
	return Date(m.String() + "-01")
}

// days is the number of days in the month (Gregorian calendar).
func (m Month) days() int {
	y, mo := int(m)/12, int(m)%12+1
	switch mo {
	case 2:
		if y%4 == 0 && (y%100 != 0 || y%400 == 0) {
			return 29
		}
		return 28
	case 4, 6, 9, 11:
		return 30
	}
	return 31
}

// Date is a calendar day as "YYYY-MM-DD". The format sorts as the days do,
// which the CEL rules rely on when they compare dates as strings. The zero
// value means "absent".
type Date string

// ParseDate reads "YYYY-MM-DD".
func ParseDate(s string) (Date, error) {
	m, err := ParseMonth(s[:min(len(s), 7)])
	if err != nil && len(s) == 10 {
		if _, shape := parseMonthShape(s[:7]); shape {
			return "", fmt.Errorf("%q is out of range: years %d to %d", s, MinYear, MaxYear)
		}
	}
	d, ok := digits(s, 8, 10)
	if err == nil && len(s) == 10 && s[7] == '-' && ok && (d < 1 || d > m.days()) {
		// Written as a date, but no such day.
		return "", fmt.Errorf("%q is not a day of the calendar: %s has %d days", s, m, m.days())
	}
	if err != nil || len(s) != 10 || s[7] != '-' || !ok {
		return "", fmt.Errorf("%q is not a date: want YYYY-MM-DD", s)
	}
	return Date(s), nil
}

// DateOf returns the calendar day of t.
func DateOf(t time.Time) Date { return Date(t.Format("2006-01-02")) }

// Month returns the calendar month the day falls in.
func (d Date) Month() Month {
	m, _ := parseMonthShape(string(d)[:min(len(d), 7)])
	return m
}

// appendPadded appends n in decimal with leading zeros to width digits.
func appendPadded(b []byte, n, width int) []byte {
	digits := 1 // as strconv.Itoa(n) would write it, sign included
	for x := n; x >= 10 || x <= -10; x /= 10 {
		digits++
	}
	if n < 0 {
		digits++
	}
	for i := digits; i < width; i++ {
		b = append(b, '0')
	}
	return strconv.AppendInt(b, int64(n), 10)
}
