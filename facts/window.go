package facts

import (
	"cmp"
	"fmt"
	"slices"
	"strings"
)

// Needs are the months the rules of a run look at, relative to the
// reporting month M: offsets (0 is M, -12 the same month a year before),
// and whether the first month of every association is looked at too. Only
// rows of these months are kept, so that memory does not grow with the
// months a file holds.
type Needs struct {
	Offsets     []int
	AssocMonths bool
}

// Add merges another designation's needs.
func (n *Needs) Add(o Needs) {
	n.Offsets = append(n.Offsets, o.Offsets...)
	slices.Sort(n.Offsets)
	n.Offsets = slices.Compact(n.Offsets)
	n.AssocMonths = n.AssocMonths || o.AssocMonths
}

// WindowOptions override the file's reporting month and evaluation date.
type WindowOptions struct {
	Month    Month
	HasMonth bool
	AsOf     Date
	Needs    Needs
}

// Window is a fact file seen from one reporting month: only the rows of
// the months the rules look at, per tenant.
type Window struct {
	Month Month // reporting month M
	AsOf  Date  // evaluation date for certifications
	// AsOfGiven tells an evaluation date that was given (by the file or
	// --as-of) from the default, the last day of M.
	AsOfGiven bool
	Tenants   []Customer
	People    []Person
	Warnings  []Problem
	// Latest is the latest month of each series that has rows in the
	// file, by name (shared with the file: not to be changed).
	Latest map[string]Month
}

// reportingMonth is the month a file is scored for: opts, the file's
// month, or the latest month of any row. Not the month of the evaluation
// date: as_of usually lies in the month after M (SPEC.md's example), and
// SPEC-security.md §2 decides that a file with no month and no row is an
// input error.
func (f *File) reportingMonth(opts WindowOptions) (Month, bool) {
	switch {
	case opts.HasMonth:
		return opts.Month, true
	case f.HasMonth:
		return f.Month, true
	case f.HasRows:
		return f.Latest, true
	}
	return 0, false
}

// noMonth is the error of a file without a reporting month.
func (f *File) noMonth() error {
	return Problems{{File: f.Name, Field: "month", Message: "no reporting month: the file has no month and no usage rows to take it from (add month: YYYY-MM, or give --month)"}}
}

// Window selects the months opts.Needs asks for from every tenant.
func (f *File) Window(opts WindowOptions) (*Window, error) {
	m, ok := f.reportingMonth(opts)
	if !ok {
		return nil, f.noMonth()
	}
	w := f.newWindow(opts, m)
	keep := opts.Needs.keeper(m)
	w.Tenants = make([]Customer, len(f.Customers))
	for i := range f.Customers {
		w.Tenants[i] = keep.tenant(&f.Customers[i])
	}
	// Tenants by id, so that an explanation lists them in one order.
	slices.SortStableFunc(w.Tenants, func(a, b Customer) int { return strings.Compare(a.Tenant, b.Tenant) })
	return w, nil
}

func (f *File) newWindow(opts WindowOptions, m Month) *Window {
	w := &Window{Month: m, People: canonicalPeople(f.People), Warnings: slices.Clone(f.Warnings), Latest: f.LatestOf}
	w.AsOf, w.AsOfGiven = f.evaluationDate(opts, m)
	if w.AsOfGiven && w.AsOf < m.FirstDay() {
		// Partner Center counts certifications after the month it
		// scores; a date before that month began is a slip, and scores
		// the certifications of then.
		p := Problem{File: f.Name, Kind: "evaluation dates before the reporting month", Message: fmt.Sprintf(
			"--as-of %s is before the reporting month %s: certifications are counted on that day", w.AsOf, m)}
		if opts.AsOf == "" {
			p.Line, p.Field = f.AsOfLine, "as_of"
			p.Message = fmt.Sprintf("the evaluation date %s is before the reporting month %s: certifications are counted on that day", w.AsOf, m)
		}
		w.Warnings = append(w.Warnings, p)
	}
	return w
}

// canonicalPeople are people by id, each's certifications by name and
// dates: the order of a file's lists changes nothing (see
// Customer.canonical).
func canonicalPeople(people []Person) []Person {
	out := slices.Clone(people)
	slices.SortStableFunc(out, func(a, b Person) int { return strings.Compare(a.ID, b.ID) })
	for i := range out {
		certs := slices.Clone(out[i].Certifications)
		slices.SortStableFunc(certs, func(a, b Certification) int {
			return cmp.Or(strings.Compare(a.Name, b.Name), strings.Compare(string(a.Earned), string(b.Earned)), strings.Compare(string(a.Expires), string(b.Expires)))
		})
		out[i].Certifications = certs
	}
	return out
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

// keeper keeps the rows of the months a window needs.
type keeper struct {
	months []Month
	assoc  bool
	// The months as bits from lo, when they span fewer than 64: every row
	// of every tenant is looked up, and a search of two dozen months was
	// a percent of a population's CPU.
	lo   Month
	bits uint64
}

func (n Needs) keeper(m Month) keeper {
	k := keeper{assoc: n.AssocMonths}
	for _, o := range n.Offsets {
		k.months = append(k.months, m+Month(o))
	}
	if len(k.months) > 0 {
		if lo := slices.Min(k.months); slices.Max(k.months)-lo < 64 {
			k.lo = lo
			for _, x := range k.months {
				k.bits |= 1 << (x - lo)
			}
		}
	}
	return k
}

// keeps tells whether a row of month m is kept.
func (k keeper) keeps(m Month, assocMonths []Month) bool {
	if k.bits != 0 {
		if d := m - k.lo; d >= 0 && d < 64 && k.bits>>d&1 == 1 {
			return true
		}
	} else if slices.Contains(k.months, m) {
		return true
	}
	return slices.Contains(assocMonths, m)
}

// tenantInPlace is c with only the rows of the kept months, made from c's
// own slices: for a customer just read, which no one else holds.
func (k keeper) tenantInPlace(c *Customer) Customer {
	var assocMonths []Month
	if k.assoc {
		for _, a := range c.Associations {
			assocMonths = append(assocMonths, a.From.Month())
		}
	}
	for _, entries := range c.Series {
		for ei := range entries {
			e := &entries[ei]
			kept := e.Rows[:0]
			for _, r := range e.Rows {
				if k.keeps(r.Month, assocMonths) {
					kept = append(kept, r)
				}
			}
			e.Rows = kept
		}
	}
	return *c
}

// tenant is a copy of c with only the rows of the kept months.
func (k keeper) tenant(c *Customer) Customer {
	out := *c
	out.Series = make([][]Entry, len(c.Series))
	var assocMonths []Month
	if k.assoc {
		for _, a := range c.Associations {
			assocMonths = append(assocMonths, a.From.Month())
		}
	}
	for si, entries := range c.Series {
		kept := make([]Entry, len(entries))
		for ei, e := range entries {
			kept[ei] = Entry{Keys: e.Keys, Line: e.Line}
			for _, r := range e.Rows {
				if k.keeps(r.Month, assocMonths) {
					kept[ei].Rows = append(kept[ei].Rows, r)
				}
			}
		}
		out.Series[si] = kept
	}
	return out
}

// HasRows tells whether the tenant has a row of any series in month m.
func HasRows(c *Customer, m Month) bool {
	for _, entries := range c.Series {
		for _, e := range entries {
			for _, r := range e.Rows {
				if r.Month == m {
					return true
				}
			}
		}
	}
	return false
}
