package engine

import (
	"fmt"
	"sort"

	"evaluate/facts"

	"github.com/google/cel-go/common/types"
	"github.com/google/cel-go/common/types/traits"
)

// Notice is something the user should know about the data, such as data
// Partner Center may not show yet.
type Notice struct {
	Rule   string `json:"rule"`
	Person string `json:"person,omitempty"`
	Text   string `json:"text"`
}

// values evaluates named values in order into act.
func evalValues(values []*namedExpr, act map[string]any) error {
	for _, v := range values {
		x, err := v.expr.eval(act)
		if err != nil {
			return fmt.Errorf("%s: %w", v.expr.src.Name, err)
		}
		act[v.name] = x
	}
	return nil
}

// personActivation binds a person's variables and values.
func (d *Designation) personActivation(p *facts.Person, asOf facts.Date) (map[string]any, error) {
	act := map[string]any{varPerson: personRecord(p), varAsOf: string(asOf), varTrack: "", varOption: "", varMetric: ""}
	return act, evalValues(d.peopleValues, act)
}

// firstRule is the first rule that holds, or nil.
func firstRule(rules []rule, act map[string]any) (*rule, string, error) {
	for i := range rules {
		r := &rules[i]
		on, err := evalBool(r.when, act)
		if err != nil {
			return nil, "", fmt.Errorf("%s: %w", r.name, err)
		}
		if on {
			says, err := evalString(r.says, act)
			if err != nil {
				return nil, "", fmt.Errorf("%s: %w", r.name, err)
			}
			return r, says, nil
		}
	}
	return nil, "", nil
}

// eachItem calls fn with act binding each item of the rules' list.
func (ir *itemRules) eachItem(act map[string]any, fn func() error) error {
	v, err := ir.over.eval(act)
	if err != nil {
		return fmt.Errorf("%s: %w", ir.over.src.Name, err)
	}
	l, ok := v.(traits.Lister)
	if !ok {
		return fmt.Errorf("%s: want a list, got %v", ir.over.src.Name, v)
	}
	defer delete(act, ir.as)
	for it := l.Iterator(); it.HasNext() == types.True; {
		act[ir.as] = it.Next()
		if err := fn(); err != nil {
			return err
		}
	}
	return nil
}

// notices runs the designation's notice rules on the evaluation and on
// every item of every person.
func (d *Designation) notices(w *facts.Window) ([]Notice, error) {
	var out []Notice
	// latest: every series the designation reads, "" for one without rows.
	latest := map[string]string{}
	for _, s := range d.schema.Series {
		latest[s.Name] = ""
		if m, ok := w.Latest[s.Name]; ok {
			latest[s.Name] = m.String()
		}
	}
	act := map[string]any{varMonth: w.Month.String(), varMonthEnd: string(w.Month.LastDay()), varAsOf: string(w.AsOf), varGiven: w.AsOfGiven, varLatest: latest}
	for i := range d.evalNotices {
		r := &d.evalNotices[i]
		on, err := evalBool(r.when, act)
		if err != nil {
			return nil, fmt.Errorf("%s: %s: %w", d.ID, r.name, err)
		}
		if on {
			says, err := evalString(r.says, act)
			if err != nil {
				return nil, fmt.Errorf("%s: %s: %w", d.ID, r.name, err)
			}
			out = append(out, Notice{Rule: r.name, Text: says})
		}
	}
	if ir := d.certNotices; ir != nil {
		for i := range w.People {
			p := &w.People[i]
			pact, err := d.personActivation(p, w.AsOf)
			if err != nil {
				return nil, err
			}
			err = ir.eachItem(pact, func() error {
				for k := range ir.rules {
					r := &ir.rules[k]
					on, err := evalBool(r.when, pact)
					if err != nil {
						return fmt.Errorf("%s: %w", r.name, err)
					}
					if on {
						says, err := evalString(r.says, pact)
						if err != nil {
							return fmt.Errorf("%s: %w", r.name, err)
						}
						out = append(out, Notice{Rule: r.name, Person: p.ID, Text: says})
					}
				}
				return nil
			})
			if err != nil {
				return nil, fmt.Errorf("%s: person %q: %w", d.ID, p.ID, err)
			}
		}
	}
	sort.SliceStable(out, func(i, j int) bool {
		a, b := out[i], out[j]
		return a.Rule < b.Rule || a.Rule == b.Rule && (a.Person < b.Person || a.Person == b.Person && a.Text < b.Text)
	})
	return out, nil
}
