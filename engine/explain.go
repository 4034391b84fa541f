package engine

import (
	"fmt"
	"sort"

	"evaluate/facts"
)

// Explanation says which records made a metric's (or an option's) value and
// which were left out by which rule. It is built from the same evaluations
// as the score, so the two cannot disagree.
type Explanation struct {
	// Rule names the metric's expressions in the bundle.
	Rule string `json:"rule"`
	// Reporting lists the records counted in the reporting month with what
	// each adds; Baseline those counted in the baseline month (subtracted).
	Reporting []Contribution `json:"reporting_month"`
	Baseline  []Contribution `json:"baseline_month,omitempty"`
	// LeftOut lists records that add nothing in the reporting month and why.
	LeftOut []LeftOut `json:"left_out,omitempty"`
	// Notes say more about a counted record (e.g. a usage baseline taken
	// at the association month).
	Notes []Note `json:"notes,omitempty"`
	// NotCounted lists certifications that count for no one, and why.
	NotCounted []CertificationNote `json:"certifications_not_counted,omitempty"`
}

// Contribution is one tenant or person counted in a month.
type Contribution struct {
	Tenant         string                `json:"tenant,omitempty"`
	Person         string                `json:"person,omitempty"`
	Adds           int64                 `json:"adds"`
	Month          string                `json:"month,omitempty"`
	ActiveUsers    *int64                `json:"active_users,omitempty"`
	Deployed       *bool                 `json:"deployed,omitempty"`
	Associations   []string              `json:"associations,omitempty"`
	Workloads      []facts.WorkloadMonth `json:"workloads,omitempty"`
	Certifications []string              `json:"certifications,omitempty"`
}

// LeftOut is a tenant that adds nothing in a month, with the rule that
// decided it.
type LeftOut struct {
	Tenant string `json:"tenant"`
	Month  string `json:"month"`
	Rule   string `json:"rule"`
	Reason string `json:"reason"`
}

// Note is a rule's remark on a tenant's part in a metric.
type Note struct {
	Tenant string `json:"tenant"`
	Rule   string `json:"rule"`
	Text   string `json:"text"`
}

// CertificationNote is a certification that does not count, and why.
type CertificationNote struct {
	Person        string `json:"person"`
	Certification string `json:"certification"`
	Rule          string `json:"rule"`
	Reason        string `json:"reason"`
}

// Notice is something the user should know about the data, such as data
// Partner Center may not show yet.
type Notice struct {
	Rule   string `json:"rule"`
	Person string `json:"person,omitempty"`
	Text   string `json:"text"`
}

// explanations collects Explanations by track, metric and option ("" for a
// track-wide metric) while a partner is evaluated.
type explanations map[string]map[string]map[string]*Explanation

func (e explanations) get(track, metric, option string) *Explanation {
	if e[track] == nil {
		e[track] = map[string]map[string]*Explanation{}
	}
	if e[track][metric] == nil {
		e[track][metric] = map[string]*Explanation{}
	}
	x := e[track][metric][option]
	if x == nil {
		x = &Explanation{Rule: "metrics[" + metric + "]", Reporting: []Contribution{}}
		e[track][metric][option] = x
	}
	return x
}

// failing returns the first condition that does not hold, and what it says.
func failing(conds []condition, act map[string]any) (name, says string, err error) {
	for _, c := range conds {
		ok, err := evalBool(c.rule, act)
		if err != nil {
			return "", "", fmt.Errorf("%s: %w", c.name, err)
		}
		if !ok {
			return c.name, sayText(c.says, act, c.name), nil
		}
	}
	return "", "", nil
}

// sayText evaluates a says expression; a rule without one, or one that
// fails, is named instead.
func sayText(prg *program, act map[string]any, name string) string {
	if prg == nil {
		return name
	}
	v, _, err := prg.Eval(act)
	if err != nil {
		return fmt.Sprintf("%s (its message failed: %v)", name, err)
	}
	if s, ok := v.Value().(string); ok {
		return s
	}
	return fmt.Sprint(v.Value())
}

func monthContribution(tenant string, adds int64, st *facts.MonthState, s Summary) Contribution {
	users, deployed := s.ActiveUsers, s.Deployed
	return Contribution{Tenant: tenant, Adds: adds, Month: st.Month, ActiveUsers: &users, Deployed: &deployed,
		Associations: st.Associations, Workloads: st.Workloads}
}

// sort orders every list by tenant, person and certification, so that an
// explanation does not depend on the order of the fact file's lists.
func (e explanations) sort() {
	for _, metrics := range e {
		for _, options := range metrics {
			for _, x := range options {
				byRecord := func(cs []Contribution) {
					sort.SliceStable(cs, func(i, j int) bool {
						return cs[i].Tenant+"\x00"+cs[i].Person < cs[j].Tenant+"\x00"+cs[j].Person
					})
				}
				byRecord(x.Reporting)
				byRecord(x.Baseline)
				sort.SliceStable(x.LeftOut, func(i, j int) bool { return x.LeftOut[i].Tenant < x.LeftOut[j].Tenant })
				sort.SliceStable(x.Notes, func(i, j int) bool {
					return x.Notes[i].Tenant < x.Notes[j].Tenant || x.Notes[i].Tenant == x.Notes[j].Tenant && x.Notes[i].Rule < x.Notes[j].Rule
				})
				sort.SliceStable(x.NotCounted, func(i, j int) bool {
					a, b := x.NotCounted[i], x.NotCounted[j]
					return a.Person < b.Person || a.Person == b.Person && (a.Certification < b.Certification || a.Certification == b.Certification && a.Rule < b.Rule)
				})
			}
		}
	}
}

// explainTenant records a tenant's part in a metric: counted in the
// reporting month (or left out, by which rule), counted in the baseline
// month, and the metric's notes on it.
func (e *evaluation) explainTenant(s *scope, m *Metric, rep, bas int64) error {
	x := e.explain.get(s.track.Name, m.ID, s.option)
	tenant := s.tenant.Tenant
	leftOut := false
	if !s.now.Eligible {
		leftOut = true
		e.act[varMonth], e.act[varTypes] = &s.tenant.Now, s.types
		name, says, err := failing(e.b.eligibleIf, e.act)
		if err != nil {
			return err
		}
		x.LeftOut = append(x.LeftOut, LeftOut{Tenant: tenant, Month: s.tenant.Now.Month, Rule: name, Reason: says})
	}
	for _, n := range m.notes {
		on, err := evalBool(n.when, e.act)
		if err != nil {
			return fmt.Errorf("%s.when: %w", n.name, err)
		}
		if !on {
			continue
		}
		text := sayText(n.says, e.act, n.name)
		if n.leftOut && !leftOut {
			leftOut = true
			x.LeftOut = append(x.LeftOut, LeftOut{Tenant: tenant, Month: s.tenant.Now.Month, Rule: n.name, Reason: text})
		} else if !n.leftOut {
			x.Notes = append(x.Notes, Note{Tenant: tenant, Rule: n.name, Text: text})
		}
	}
	if !leftOut {
		x.Reporting = append(x.Reporting, monthContribution(tenant, rep, &s.tenant.Now, s.now))
	}
	if s.base.Eligible {
		x.Baseline = append(x.Baseline, monthContribution(tenant, bas, &s.tenant.Base, s.base))
	}
	return nil
}

// attach puts the collected explanations on the result's metrics and options.
func (e *evaluation) attach(r *Result) {
	if e.explain == nil {
		return
	}
	for t, metrics := range e.explain {
		tr := r.Tracks[t]
		if tr == nil {
			continue
		}
		for m, options := range metrics {
			mr := tr.Metrics[m]
			if mr == nil {
				continue
			}
			for o, x := range options {
				if o == "" {
					mr.Explain = x
					continue
				}
				opt := mr.Options[o]
				opt.Explain = x
				mr.Options[o] = opt
			}
		}
	}
}
