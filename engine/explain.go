package engine

import (
	"cmp"
	"context"
	"fmt"
	"maps"
	"sort"

	"evaluate/facts"

	"github.com/google/cel-go/common/types"
	"github.com/google/cel-go/common/types/ref"
)

// Explanation says which records made a metric's (or an option's) value
// and which were left out by which rule. It is built from the same rules
// as the score, evaluated one by one.
type Explanation struct {
	// Rule names the metric in the bundle.
	Rule       string                 `json:"rule"`
	Aggregates []AggregateExplanation `json:"aggregates"`
}

// AggregateExplanation is one aggregate of the metric: what each record
// added, the records left out and why, and notes.
type AggregateExplanation struct {
	ID   string `json:"id"`
	Says string `json:"says,omitempty"`
	// Scale and Unit are how people read Total and each record's Adds
	// (divided by Scale, in Unit), when the bundle says.
	Scale      float64        `json:"scale,omitempty"`
	Unit       string         `json:"unit,omitempty"`
	Total      any            `json:"total"`
	Records    []Contribution `json:"records"`
	LeftOut    []LeftOut      `json:"left_out,omitempty"`
	Notes      []Note         `json:"notes,omitempty"`
	NotCounted []ItemNote     `json:"not_counted,omitempty"`
}

// Contribution is one tenant or person counted, with what it adds.
type Contribution struct {
	Tenant string `json:"tenant,omitempty"`
	Person string `json:"person,omitempty"`
	Adds   any    `json:"adds"`
	Detail string `json:"detail,omitempty"`
}

// LeftOut is a record that adds nothing, with the rule that decided it.
type LeftOut struct {
	Tenant string `json:"tenant,omitempty"`
	Person string `json:"person,omitempty"`
	Rule   string `json:"rule"`
	Reason string `json:"reason"`
}

// Note is a rule's remark on a record's part.
type Note struct {
	Tenant string `json:"tenant,omitempty"`
	Person string `json:"person,omitempty"`
	Rule   string `json:"rule"`
	Text   string `json:"text"`
}

// ItemNote is an item of a record (a certification of a person) that
// counts for nothing, and why.
type ItemNote struct {
	Person string `json:"person"`
	Item   string `json:"item"`
	Rule   string `json:"rule"`
	Reason string `json:"reason"`
}

type exKey struct{ track, metric, option string }

// explainer collects explanations while a partner is scored.
type explainer struct {
	b      *Bundle
	ex     []map[exKey]*Explanation
	asOf   string
	totals []totals
}

func newExplainer(b *Bundle) *explainer {
	e := &explainer{b: b, ex: make([]map[exKey]*Explanation, len(b.Designations))}
	for i := range e.ex {
		e.ex[i] = map[exKey]*Explanation{}
	}
	return e
}

func (e *explainer) get(di int, track string, m *Metric, option string) *Explanation {
	k := exKey{track, m.ID, option}
	x := e.ex[di][k]
	if x == nil {
		x = &Explanation{Rule: fmt.Sprintf("metrics[%s]", m.ID)}
		for _, a := range m.Aggregates {
			ax := AggregateExplanation{ID: a.ID, Records: []Contribution{}}
			if a.explain != nil {
				ax.Says, ax.Scale, ax.Unit = a.explain.says, a.explain.scale, a.explain.unit
				if bo := a.explain.byOption[option]; bo != nil {
					ax.Says = cmp.Or(bo.Says, ax.Says)
					ax.Scale = cmp.Or(bo.Scale, ax.Scale)
					ax.Unit = cmp.Or(bo.Unit, ax.Unit)
				}
			}
			x.Aggregates = append(x.Aggregates, ax)
		}
		e.ex[di][k] = x
	}
	return x
}

// zero tells a part that adds nothing.
func zero(v ref.Val) bool {
	switch x := v.(type) {
	case types.Int:
		return x == 0
	case types.Bool:
		return !bool(x)
	}
	if s, ok := v.(interface{ Size() ref.Val }); ok {
		return s.Size() == types.Int(0)
	}
	return false
}

// tenant explains one tenant's part in every tenant metric. Its
// evaluations find ctx in their activations (at ctxVar), so that the run's
// deadline stops them too.
func (e *explainer) tenant(ctx context.Context, di int, act map[string]any, c *facts.Customer) error {
	d := e.b.Designations[di]
	act[ctxVar] = ctx
	for _, t := range d.Tracks {
		for _, m := range d.Metrics {
			if m.Over != "tenants" {
				continue
			}
			for _, o := range m.optionsOf(t) {
				a2 := maps.Clone(act)
				a2[varTrack], a2[varOption], a2[varMetric] = t, o, m.ID
				if err := evalValues(d.values, a2); err != nil {
					return err
				}
				if err := e.record(d, e.get(di, t, m, o), m, a2, c.Tenant, ""); err != nil {
					return err
				}
			}
		}
	}
	return nil
}

// person explains one person's part in every people metric, stopped as
// tenant is when ctx is done.
func (e *explainer) person(ctx context.Context, di int, _ map[string]any, p *facts.Person) error {
	d := e.b.Designations[di]
	for _, t := range d.Tracks {
		for _, m := range d.Metrics {
			if m.Over != "people" {
				continue
			}
			for _, o := range m.optionsOf(t) {
				act := map[string]any{varPerson: personRecord(p), varAsOf: e.asOf, varTrack: t, varOption: o, varMetric: m.ID, ctxVar: ctx}
				if err := evalValues(d.peopleValues, act); err != nil {
					return err
				}
				if err := e.record(d, e.get(di, t, m, o), m, act, "", p.ID); err != nil {
					return err
				}
			}
		}
	}
	return nil
}

// record explains one record's part in one metric option.
func (e *explainer) record(d *Designation, x *Explanation, m *Metric, act map[string]any, tenant, person string) error {
	for ai, a := range m.Aggregates {
		ax := &x.Aggregates[ai]
		v, err := a.expr.eval(act)
		if err != nil {
			return fmt.Errorf("%s: %w", a.expr.src.Name, err)
		}
		ex := a.explain
		var leftOut *rule
		var says string
		if zero(v) && ex != nil {
			if leftOut, says, err = firstRule(ex.leftOut, act); err != nil {
				return err
			}
		}
		// With left_out rules every record is accounted for: one that adds
		// 0 and that no rule leaves out is counted, with 0 (an eligible
		// tenant without active users), rather than missing from both.
		if !zero(v) || ex != nil && len(ex.leftOut) > 0 && leftOut == nil {
			c := Contribution{Tenant: tenant, Person: person, Adds: native(v)}
			if ex != nil && ex.detail != nil {
				if c.Detail, err = evalString(ex.detail, act); err != nil {
					return fmt.Errorf("%s: %w", ex.detail.src.Name, err)
				}
			}
			ax.Records = append(ax.Records, c)
		} else if leftOut != nil {
			ax.LeftOut = append(ax.LeftOut, LeftOut{Tenant: tenant, Person: person, Rule: leftOut.name, Reason: says})
		}
		if ex == nil {
			continue
		}
		for i := range ex.notes {
			r := &ex.notes[i]
			on, err := evalBool(r.when, act)
			if err != nil {
				return fmt.Errorf("%s: %w", r.name, err)
			}
			if on {
				text, err := evalString(r.says, act)
				if err != nil {
					return fmt.Errorf("%s: %w", r.name, err)
				}
				ax.Notes = append(ax.Notes, Note{Tenant: tenant, Person: person, Rule: r.name, Text: text})
			}
		}
		if ir := ex.items; ir != nil {
			err := ir.eachItem(act, func() error {
				r, says, err := firstRule(ir.rules, act)
				if err != nil || r == nil {
					return err
				}
				name, err := evalString(ir.name, act)
				if err != nil {
					return err
				}
				ax.NotCounted = append(ax.NotCounted, ItemNote{Person: person, Item: name, Rule: r.name, Reason: says})
				return nil
			})
			if err != nil {
				return err
			}
		}
	}
	return nil
}

// attach puts the explanations on the result's metrics and options, each
// list in id order so that nothing depends on the file's order, without
// the aggregates whose explain.shown is false there.
func (e *explainer) attach(di int, r *Result) error {
	d := e.b.Designations[di]
	for k, x := range e.ex[di] {
		m := d.metricByID(k.metric)
		for ai := range x.Aggregates {
			ax := &x.Aggregates[ai]
			sort.SliceStable(ax.Records, func(i, j int) bool { return recordID(ax.Records[i]) < recordID(ax.Records[j]) })
			sort.SliceStable(ax.LeftOut, func(i, j int) bool {
				return ax.LeftOut[i].Tenant+ax.LeftOut[i].Person < ax.LeftOut[j].Tenant+ax.LeftOut[j].Person
			})
			sort.SliceStable(ax.Notes, func(i, j int) bool {
				return ax.Notes[i].Tenant+ax.Notes[i].Person < ax.Notes[j].Tenant+ax.Notes[j].Person
			})
			sort.SliceStable(ax.NotCounted, func(i, j int) bool { return ax.NotCounted[i].Person < ax.NotCounted[j].Person })
			if m != nil {
				in := instance{track: k.track, option: k.option, metric: m, agg: m.Aggregates[ai]}
				if s, ok := d.slotIndex[in.slotKey()]; ok {
					ax.Total = e.totals[di][s].native(m.Aggregates[ai].Op)
				}
			}
		}
		if err := hide(m, k, x); err != nil {
			return err
		}
		tr := r.Tracks[k.track]
		if tr == nil || tr.Metrics[k.metric] == nil {
			continue
		}
		mr := tr.Metrics[k.metric]
		switch {
		case k.option == "":
			mr.Explain = x
		case mr.Options[k.option] != nil:
			mr.Options[k.option].Explain = x
		case mr.Sources[k.option] != nil:
			mr.Sources[k.option].Explain = x
		}
	}
	return nil
}

// hide drops from x, metric m's explanation at k, the aggregates the
// bundle does not show there.
func hide(m *Metric, k exKey, x *Explanation) error {
	if m == nil {
		return nil
	}
	kept := x.Aggregates[:0]
	for ai, ax := range x.Aggregates {
		if ex := m.Aggregates[ai].explain; ex != nil && ex.shown != nil {
			show, err := evalBool(ex.shown, map[string]any{varTrack: k.track, varMetric: k.metric, varOption: k.option})
			if err != nil {
				return fmt.Errorf("metrics[%s].aggregates[%s].explain.shown: %w", m.ID, ax.ID, err)
			}
			if !show {
				continue
			}
		}
		kept = append(kept, ax)
	}
	x.Aggregates = kept
	return nil
}

func recordID(c Contribution) string { return c.Tenant + c.Person }
