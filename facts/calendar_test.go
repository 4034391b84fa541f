package facts

import (
	"testing"
	"time"
)

func TestMonth(t *testing.T) {
	tests := []struct {
		in       string
		lastDay  Date
		minus12  string
		wantFail bool
	}{
		{in: "2026-10", lastDay: "2026-10-31", minus12: "2025-10"},
		{in: "2024-02", lastDay: "2024-02-29", minus12: "2023-02"},
		{in: "2025-02", lastDay: "2025-02-28", minus12: "2024-02"},
		{in: "2026-01", lastDay: "2026-01-31", minus12: "2025-01"},
		{in: "2026-13", wantFail: true},
		{in: "2026-1", wantFail: true},
		{in: "26-10", wantFail: true},
		{in: "2026-10-01", wantFail: true},
		{in: "0000-01", wantFail: true},
		{in: "9999-12", wantFail: true},
	}
	for _, tt := range tests {
		m, err := ParseMonth(tt.in)
		if tt.wantFail {
			if err == nil {
				t.Errorf("ParseMonth(%q) = %v, want an error", tt.in, m)
			}
			continue
		}
		if err != nil {
			t.Fatalf("ParseMonth(%q): %v", tt.in, err)
		}
		if m.String() != tt.in {
			t.Errorf("ParseMonth(%q).String() = %q", tt.in, m.String())
		}
		if got := m.LastDay(); got != tt.lastDay {
			t.Errorf("%s.LastDay() = %s, want %s", tt.in, got, tt.lastDay)
		}
		if got := (m - 12).String(); got != tt.minus12 {
			t.Errorf("%s - 12 = %s, want %s", tt.in, got, tt.minus12)
		}
		if got := tt.lastDay.Month(); got != m {
			t.Errorf("%s.Month() = %s, want %s", tt.lastDay, got, m)
		}
	}
}

func TestParseDate(t *testing.T) {
	for in, ok := range map[string]bool{"2026-11-20": true, "2024-02-29": true, "2025-02-29": false, "2026-1-2": false, "20.11.2026": false, "": false,
		"1700-01-01": false, "9999-12-31": false, "1900-01-01": true, "2199-12-31": true} {
		if _, err := ParseDate(in); (err == nil) != ok {
			t.Errorf("ParseDate(%q): err = %v, want ok = %v", in, err, ok)
		}
	}
	// A date of the right form but no such day says so, not "want YYYY-MM-DD".
	for in, want := range map[string]string{
		"2025-02-29": `"2025-02-29" is not a day of the calendar: 2025-02 has 28 days`,
		"2026-04-31": `"2026-04-31" is not a day of the calendar: 2026-04 has 30 days`,
		"2026-04-00": `"2026-04-00" is not a day of the calendar: 2026-04 has 30 days`,
		"2026-4-01":  `"2026-4-01" is not a date: want YYYY-MM-DD`,
	} {
		if _, err := ParseDate(in); err == nil || err.Error() != want {
			t.Errorf("ParseDate(%q): %v, want %s", in, err, want)
		}
	}
}

// TestLastDayMatchesTime checks the arithmetic calendar against package
// time for every month of thirteen centuries: those of MinYear to MaxYear
// come from a table, the others are computed.
func TestLastDayMatchesTime(t *testing.T) {
	for m := Month(1000 * 12); m < Month(2300*12); m++ {
		first := time.Date(int(m)/12, time.Month(int(m)%12+1), 1, 0, 0, 0, 0, time.UTC)
		want := Date(first.AddDate(0, 1, -1).Format("2006-01-02"))
		if got := m.LastDay(); got != want {
			t.Fatalf("%s.LastDay() = %s, want %s", m, got, want)
		}
		if got, want := m.FirstDay(), Date(first.Format("2006-01-02")); got != want {
			t.Fatalf("%s.FirstDay() = %s, want %s", m, got, want)
		}
		if got, want := m.String(), first.Format("2006-01"); got != want {
			t.Fatalf("String() = %s, want %s", got, want)
		}
		if got := want.Month(); got != m {
			t.Fatalf("%s.Month() = %s, want %s", want, got, m)
		}
	}
}
