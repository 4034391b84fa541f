package facts

import (
	"fmt"
	"slices"
	"sort"
	"strings"
)

// Schema is what fact files may hold beyond the frame every designation
// shares (a partner, its customer tenants with their associations, its
// people with their certifications): the monthly series a tenant may have,
// the attributes an association may carry, and the words (attribution
// types, certification names) the designations know. Each designation's
// bundle declares the part it reads; the schema of a run is their union,
// so one fact file serves every designation.
type Schema struct {
	Series []Series
	Attrs  []Attr
	// Types are the attribution types an association may name.
	Types []string
	// Certifications are the certification names and exam codes some
	// designation counts, to point out one written carelessly.
	Certifications []string
}

// ValueKind is how a measure or an attribute is written and kept.
type ValueKind int

// The kinds of values.
const (
	// Count is a whole number, 0 or more.
	Count ValueKind = iota
	// Integer is a whole number of any sign.
	Integer
	// Cents is an amount of money with at most two decimals, of any sign,
	// kept exactly as a number of cents.
	Cents
	// Text is a string.
	Text
)

// ParseValueKind reads the name of a kind: count, int, cents or string.
func ParseValueKind(s string) (ValueKind, error) {
	switch s {
	case "count":
		return Count, nil
	case "int":
		return Integer, nil
	case "cents":
		return Cents, nil
	case "string":
		return Text, nil
	}
	return 0, fmt.Errorf("unknown kind %q (want count, int, cents or string)", s)
}

func (k ValueKind) String() string {
	return [...]string{"count", "int", "cents", "string"}[k]
}

// Series is a list of a tenant's entries (workloads, services, ...), each
// named by its keys and holding monthly rows of measures. A month appears
// at most once in an entry, and two entries of a tenant never have the
// same keys; a month with no row counts as 0 for every measure.
type Series struct {
	// Name is the list's key in a customer ("workloads").
	Name string
	// Keys are the fields naming an entry; the first is required, the
	// others optional ("" when absent).
	Keys []string
	// Rows is the key of an entry's list of monthly rows ("usage").
	Rows string
	// Measures are the values of a row besides its month; each is
	// optional and 0 when absent.
	Measures []Measure
	// Checks raise warnings about a row.
	Checks []Check
	// Used are the values of Keys[0] that some designation reads; an entry
	// with another is kept and reported as ignored. Nil: every value is used.
	Used []string
	// Names are values of Keys[0] that designations know (to write
	// synthetic files, and to point out a near miss), besides Used.
	Names []string
	// Noun names an entry in messages ("workload").
	Noun string
}

// Measure is one value of a monthly row.
type Measure struct {
	Name string
	Kind ValueKind
	// Required makes a row without the measure an error (a misspelt
	// paid_seat must not count as 0); otherwise it is 0 when absent.
	Required bool
}

// Check warns about a row when its comparison holds, e.g. active_users >
// paid_seats. Says is the message, with {name} replaced by a measure's or
// key's value, {tenant} and {month}.
type Check struct {
	Left, Op, Right string
	// Kind groups the warnings of a summary, as a plural phrase.
	Kind string
	Says string
}

// Attr is an attribute an association may carry, such as a CSP tier or a
// CPOR role: which types take it and which values each allows.
type Attr struct {
	Name string
	Kind ValueKind // Integer or Text
	// Values are the values allowed per attribution type; a type that is
	// not listed takes none.
	Values map[string][]string
	// Distinguishes makes two associations of one type with different
	// values of the attribute distinct, so they may overlap in time; an
	// association without the attribute stands for every value.
	Distinguishes bool
}

// Clone returns a copy that shares nothing changeable with s.
func (s Schema) Clone() Schema {
	out := s
	out.Series = slices.Clone(s.Series)
	for i := range out.Series {
		out.Series[i].Used = slices.Clone(s.Series[i].Used)
	}
	out.Attrs = slices.Clone(s.Attrs)
	for i := range out.Attrs {
		values := make(map[string][]string, len(out.Attrs[i].Values))
		for t, v := range out.Attrs[i].Values {
			values[t] = slices.Clone(v)
		}
		out.Attrs[i].Values = values
	}
	return out
}

// Merge adds what another designation declares. The same series or
// attribute declared twice must agree on the kinds of what both declare;
// the names used, measures, checks and values are the union.
func (s *Schema) Merge(o Schema) error {
	for _, os := range o.Series {
		i := slices.IndexFunc(s.Series, func(x Series) bool { return x.Name == os.Name })
		if i < 0 {
			os.Used = slices.Clone(os.Used)
			os.Names = slices.Clone(os.Names)
			s.Series = append(s.Series, os)
			continue
		}
		cur := &s.Series[i]
		if !slices.Equal(cur.Keys, os.Keys) || cur.Rows != os.Rows {
			return fmt.Errorf("series %s: keys %v and rows %q differ from another designation's (%v, %q)", os.Name, os.Keys, os.Rows, cur.Keys, cur.Rows)
		}
		for _, m := range os.Measures {
			j := slices.IndexFunc(cur.Measures, func(x Measure) bool { return x.Name == m.Name })
			switch {
			case j < 0:
				cur.Measures = append(cur.Measures, m)
			case cur.Measures[j].Kind != m.Kind:
				return fmt.Errorf("series %s: measure %s is %s here and %s in another designation", os.Name, m.Name, m.Kind, cur.Measures[j].Kind)
			}
		}
		for _, c := range os.Checks {
			if !slices.Contains(cur.Checks, c) {
				cur.Checks = append(cur.Checks, c)
			}
		}
		switch {
		case cur.Used == nil || os.Used == nil:
			cur.Used = nil
		default:
			cur.Used = union(cur.Used, os.Used)
		}
		cur.Names = union(cur.Names, os.Names)
		if cur.Noun == "" {
			cur.Noun = os.Noun
		}
	}
	for _, oa := range o.Attrs {
		i := slices.IndexFunc(s.Attrs, func(x Attr) bool { return x.Name == oa.Name })
		if i < 0 {
			values := map[string][]string{}
			for t, v := range oa.Values {
				values[t] = slices.Clone(v)
			}
			oa.Values = values
			s.Attrs = append(s.Attrs, oa)
			continue
		}
		cur := &s.Attrs[i]
		if cur.Kind != oa.Kind || cur.Distinguishes != oa.Distinguishes {
			return fmt.Errorf("association attribute %s is declared differently by two designations", oa.Name)
		}
		for t, v := range oa.Values {
			cur.Values[t] = union(cur.Values[t], v)
		}
	}
	s.Types = union(s.Types, o.Types)
	s.Certifications = union(s.Certifications, o.Certifications)
	return nil
}

func union(a, b []string) []string {
	out := append(slices.Clone(a), b...)
	sort.Strings(out)
	return slices.Compact(out)
}

// series returns the index of the series named name, or -1.
func (s *Schema) series(name string) int {
	return slices.IndexFunc(s.Series, func(x Series) bool { return x.Name == name })
}

// SeriesIndex returns the index of the series named name in every model's
// Customer.Series, or -1 when no designation declares it.
func (s *Schema) SeriesIndex(name string) int { return s.series(name) }

// AttrIndex returns the index of the attribute named name in every
// Association.Attrs, or -1.
func (s *Schema) AttrIndex(name string) int {
	return slices.IndexFunc(s.Attrs, func(x Attr) bool { return x.Name == name })
}

// MeasureIndex returns the index of measure name of series si in every
// Row.Values, or -1.
func (s *Schema) MeasureIndex(si int, name string) int {
	return slices.IndexFunc(s.Series[si].Measures, func(x Measure) bool { return x.Name == name })
}

// attrProblem says what is wrong with an association's attribute value
// ("" if nothing): a value on a type that takes none, or one not allowed.
func (a *Attr) problem(typ, value string) string {
	allowed := a.Values[typ]
	if slices.Contains(allowed, value) {
		return ""
	}
	if len(allowed) == 0 {
		var with []string
		for t := range a.Values {
			with = append(with, t)
		}
		sort.Strings(with)
		if len(with) == 0 {
			return fmt.Sprintf("a %s association has no %s", typ, a.Name)
		}
		return fmt.Sprintf("a %s association has no %s (only %s associations do)", typ, a.Name, strings.Join(with, ", "))
	}
	return fmt.Sprintf("%s has no %s %s (want %s)", typ, a.Name, value, strings.Join(allowed, " or "))
}
