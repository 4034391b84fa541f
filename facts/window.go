package facts

import (
	"fmt"
	"slices"
	"strings"
)

// Window is a fact file seen from one reporting month: only the months the
// rules look at, already resolved per tenant (DESIGN: facts computes the
// windowed facts, the policies decide what counts).
type Window struct {
	Month    Month // reporting month M
	Baseline Month // B = M - 12
	AsOf     Date  // evaluation date for certifications
	// AsOfGiven tells an evaluation date that was given (by the file or
	// --as-of) from the default, the last day of M.
	AsOfGiven bool
	Tenants   []TenantWindow
	People    []Person
	Warnings  []Problem
}

// TenantWindow is one tenant in the reporting and baseline months, and in the
// association month of every attribution type it is newly associated with.
type TenantWindow struct {
	Tenant string
	Now    MonthState
	Base   MonthState
	// New holds, per attribution type in effect in M and not in B, the
	// tenant's state in that association's month (SPEC §2 "newly associated").
	New []NewAssociation
}

// NewAssociation is a tenant's state in the month an association of Type
// began, for a type that is newly associated in the reporting month.
type NewAssociation struct {
	Type  string
	State MonthState
}

// MonthState is a tenant in one calendar month: the attribution types in
// effect on its last day and every workload's usage (a workload without a
// usage row counts as 0 seats and 0 users). CEL rules see it as `month`.
type MonthState struct {
	Month        string          `cel:"month"`
	Associations []string        `cel:"associations"`
	Workloads    []WorkloadMonth `cel:"workloads"`
}

// WorkloadMonth is one workload's usage in a month.
type WorkloadMonth struct {
	Workload    string `cel:"workload" json:"workload"`
	PaidSeats   int64  `cel:"paid_seats" json:"paid_seats"`
	ActiveUsers int64  `cel:"active_users" json:"active_users"`
}

// WindowOptions override the file's reporting month and evaluation date.
type WindowOptions struct {
	Month    Month
	HasMonth bool
	AsOf     Date
}

// Window resolves the reporting month, baseline and evaluation date and
// computes every tenant's windowed state.
//
// The reporting month is, in order: opts, the file's month, the latest month
// with usage, and (for a file with no usage at all) the month of the
// evaluation date. The evaluation date is opts, the file's as_of, or the last
// day of the reporting month.
func (f *File) Window(opts WindowOptions) (*Window, error) {
	w := &Window{People: f.People, Warnings: slices.Clone(f.Warnings)}
	asOf := f.AsOf
	if opts.AsOf != "" {
		asOf = opts.AsOf
	}
	// asOf picks the default month only; the window's own date follows.
	switch {
	case opts.HasMonth:
		w.Month = opts.Month
	case f.HasMonth:
		w.Month = f.Month
	default:
		latest, ok := f.latestUsage()
		switch {
		case ok:
			w.Month = latest
		case asOf != "":
			w.Month = asOf.Month()
		default:
			return nil, Problems{{File: f.Name, Field: "month", Message: "no reporting month: the file has no month, no usage rows and no as_of to take it from"}}
		}
	}
	w.Baseline = w.Month - 12
	w.AsOf, w.AsOfGiven = f.evaluationDate(opts, w.Month)
	w.Tenants = make([]TenantWindow, len(f.Customers))
	for i := range f.Customers {
		w.Tenants[i] = w.tenant(f.Name, i, &f.Customers[i])
	}
	return w, nil
}

// evaluationDate is the date certifications are counted on for reporting
// month m: --as-of; else the file's as_of, which belongs to the file's own
// reporting month (its month, or the default when it has none), so it is
// not used when --month chooses another; else the last day of m. given
// tells a date that was given from that default.
func (f *File) evaluationDate(opts WindowOptions, m Month) (d Date, given bool) {
	switch {
	case opts.AsOf != "":
		return opts.AsOf, true
	case f.AsOf != "" && (!opts.HasMonth || f.HasMonth && opts.Month == f.Month):
		return f.AsOf, true
	}
	return m.LastDay(), false
}

func (f *File) latestUsage() (Month, bool) {
	var latest Month
	found := false
	for _, c := range f.Customers {
		for _, wl := range c.Workloads {
			for _, u := range wl.Usage {
				if !found || u.Month > latest {
					latest, found = u.Month, true
				}
			}
		}
	}
	return latest, found
}

func (w *Window) tenant(file string, i int, c *Customer) TenantWindow {
	t := TenantWindow{Tenant: c.Tenant, Now: state(c, w.Month), Base: state(c, w.Baseline)}
	for _, typ := range t.Now.Associations {
		if slices.Contains(t.Base.Associations, typ) {
			continue
		}
		from := inEffect(c, typ, w.Month).From
		st := state(c, from.Month())
		t.New = append(t.New, NewAssociation{Type: typ, State: st})
		if !hasUsage(c, from.Month()) {
			w.Warnings = append(w.Warnings, Problem{File: file, Line: c.Line, Field: index("customers", i),
				Message: fmt.Sprintf("tenant %q is newly associated (%s from %s) but has no usage row in %s; its usage baseline is taken as 0", c.Tenant, typ, from, from.Month()),
				Kind:    "newly associated tenants without usage in their association month"})
		}
	}
	return t
}

// inEffect returns the association of type typ in effect on the last day of
// m (SPEC §2: from <= last day, to absent or >= last day). Associations of
// one type never overlap, so there is at most one.
func inEffect(c *Customer, typ string, m Month) *Association {
	last := m.LastDay()
	for i := range c.Associations {
		a := &c.Associations[i]
		if a.Type == typ && a.From <= last && (a.To == "" || a.To >= last) {
			return a
		}
	}
	return nil
}

func state(c *Customer, m Month) MonthState {
	s := MonthState{Month: m.String(), Workloads: make([]WorkloadMonth, len(c.Workloads))}
	last := m.LastDay()
	for _, a := range c.Associations {
		if a.From <= last && (a.To == "" || a.To >= last) && !slices.Contains(s.Associations, a.Type) {
			s.Associations = append(s.Associations, a.Type)
		}
	}
	slices.Sort(s.Associations)
	for i, wl := range c.Workloads {
		s.Workloads[i] = WorkloadMonth{Workload: wl.Name}
		for _, u := range wl.Usage {
			if u.Month == m {
				s.Workloads[i].PaidSeats, s.Workloads[i].ActiveUsers = u.PaidSeats, u.ActiveUsers
				break
			}
		}
	}
	// Workloads in name order, so nothing depends on the file's order.
	slices.SortFunc(s.Workloads, func(a, b WorkloadMonth) int { return strings.Compare(a.Workload, b.Workload) })
	return s
}

func hasUsage(c *Customer, m Month) bool {
	for _, wl := range c.Workloads {
		for _, u := range wl.Usage {
			if u.Month == m {
				return true
			}
		}
	}
	return false
}
