package facts

import (
	"slices"
	"strings"
	"testing"
)

var vocab = Vocabulary{AttributionTypes: []string{"CPOR", "CSP", "DPOR"}, EligibleWorkloads: []string{"Teams", "Exchange"}, Tiers: map[string][]int64{"CSP": {1, 2}}}

func mustParse(t *testing.T, name, src string) *File {
	t.Helper()
	f, err := Parse(name, []byte(src), vocab)
	if err != nil {
		t.Fatalf("Parse: %v", err)
	}
	return f
}

func TestWindowAssociations(t *testing.T) {
	f := mustParse(t, "f.yaml", `
partner: {id: p}
month: 2026-10
customers:
  - tenant: t
    associations:
      - {type: CPOR, from: 2023-01-01, to: 2026-10-30}   # ends the day before M's last day
      - {type: DPOR, from: 2026-10-31}                   # starts on M's last day: in effect, new
      - {type: CSP, from: 2024-01-01, to: 2025-10-31}    # ends on B's last day: in effect in B
    workloads:
      - workload: Teams
        usage:
          - {month: 2025-10, paid_seats: 400, active_users: 100}
          - {month: 2026-10, paid_seats: 500, active_users: 300}
      - workload: Exchange
        usage:
          - {month: 2026-10, paid_seats: 20, active_users: 2}
`)
	w, err := f.Window(WindowOptions{})
	if err != nil {
		t.Fatal(err)
	}
	tw := w.Tenants[0]
	if got := tw.Now.Associations; !slices.Equal(got, []string{"DPOR"}) {
		t.Errorf("in effect in M: %v, want [DPOR]", got)
	}
	if got := tw.Base.Associations; !slices.Equal(got, []string{"CPOR", "CSP"}) {
		t.Errorf("in effect in B: %v, want [CPOR CSP]", got)
	}
	if len(tw.New) != 1 || tw.New[0].Type != "DPOR" || tw.New[0].State.Month != "2026-10" {
		t.Errorf("newly associated: %+v, want DPOR with association month 2026-10", tw.New)
	}
	// A workload without a row in a month is there with 0 seats and users;
	// workloads are in name order.
	if got := tw.Base.Workloads[0]; got != (WorkloadMonth{Workload: "Exchange"}) {
		t.Errorf("Exchange in B = %+v, want zero usage", got)
	}
	if got := tw.Now.Workloads[1]; got != (WorkloadMonth{"Teams", 500, 300}) {
		t.Errorf("Teams in M = %+v", got)
	}
}

func TestWindowReclaimedIsNotNew(t *testing.T) {
	f := mustParse(t, "f.yaml", `
partner: {id: p}
month: 2026-10
customers:
  - tenant: t
    associations:
      - {type: CPOR, from: 2024-01-01, to: 2025-12-31}
      - {type: CPOR, from: 2026-02-01}
`)
	w, _ := f.Window(WindowOptions{})
	if len(w.Tenants[0].New) != 0 {
		t.Errorf("a tenant associated in B and claimed again is newly associated: %+v", w.Tenants[0].New)
	}
}

func TestWindowAssociationMonthAndWarning(t *testing.T) {
	f := mustParse(t, "f.yaml", `
partner: {id: p}
month: 2026-10
customers:
  - tenant: late
    associations: [{type: CPOR, from: 2026-03-31}]
    workloads: [{workload: Teams, usage: [{month: 2026-03, paid_seats: 500, active_users: 200}]}]
  - tenant: norow
    associations: [{type: CSP, from: 2026-05-02}]
    workloads: [{workload: Teams, usage: [{month: 2026-10, paid_seats: 50, active_users: 20}]}]
`)
	w, _ := f.Window(WindowOptions{})
	if got := w.Tenants[0].New[0].State; got.Month != "2026-03" || got.Workloads[0].ActiveUsers != 200 {
		t.Errorf("association month state = %+v, want March with 200 users", got)
	}
	if len(w.Warnings) != 1 || !strings.Contains(w.Warnings[0].String(), `tenant "norow" is newly associated`) {
		t.Errorf("warnings = %v, want one about norow's missing association-month usage", w.Warnings)
	}
}

func TestWindowMonthAndDate(t *testing.T) {
	const noMonth = `
partner: {id: p}
customers:
  - tenant: t
    workloads:
      - workload: Other
        usage: [{month: 2026-07, paid_seats: 1, active_users: 1}]
      - workload: Teams
        usage: [{month: 2026-05, paid_seats: 1, active_users: 1}]
`
	tests := []struct {
		name, src          string
		opts               WindowOptions
		month, base, asOf  string
		wantErrorSubstring string
	}{
		{name: "latest usage month of any workload", src: noMonth, month: "2026-07", base: "2025-07", asOf: "2026-07-31"},
		{name: "file month and as_of", src: "partner: {id: p}\nmonth: 2026-10\nas_of: 2026-11-20\n", month: "2026-10", base: "2025-10", asOf: "2026-11-20"},
		{name: "flags override", src: "partner: {id: p}\nmonth: 2026-10\nas_of: 2026-11-20\n",
			opts: WindowOptions{Month: mustMonth("2026-02"), HasMonth: true, AsOf: "2026-03-01"}, month: "2026-02", base: "2025-02", asOf: "2026-03-01"},
		{name: "month flag moves the default as_of", src: noMonth, opts: WindowOptions{Month: mustMonth("2026-02"), HasMonth: true}, month: "2026-02", base: "2025-02", asOf: "2026-02-28"},
		{name: "no usage: month of as_of", src: "partner: {id: p}\nas_of: 2026-11-20\n", month: "2026-11", base: "2025-11", asOf: "2026-11-20"},
		{name: "nothing to take a month from", src: "partner: {id: p}\n", wantErrorSubstring: "no reporting month"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w, err := mustParse(t, "f.yaml", tt.src).Window(tt.opts)
			if tt.wantErrorSubstring != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErrorSubstring) {
					t.Fatalf("err = %v, want %q", err, tt.wantErrorSubstring)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if w.Month.String() != tt.month || w.Baseline.String() != tt.base || string(w.AsOf) != tt.asOf {
				t.Errorf("got M=%s B=%s as_of=%s, want %s %s %s", w.Month, w.Baseline, w.AsOf, tt.month, tt.base, tt.asOf)
			}
		})
	}
}

func mustMonth(s string) Month {
	m, err := ParseMonth(s)
	if err != nil {
		panic(err)
	}
	return m
}
