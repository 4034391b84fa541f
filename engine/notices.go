package engine

import (
	"fmt"
	"sort"

	"evaluate/facts"
)

// notices runs the bundle's notice rules on the evaluation and on every
// certification.
func (e *evaluation) notices(w *facts.Window) ([]Notice, error) {
	b, act := e.b, e.act
	var out []Notice
	clear(act)
	act[varMonth], act[varEnd], act[varAsOf], act[varGiven] = w.Month.String(), string(w.Month.LastDay()), string(w.AsOf), w.AsOfGiven
	for _, c := range b.evalNotices {
		on, err := evalBool(c.rule, act)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", c.name, err)
		}
		if on {
			out = append(out, Notice{Rule: c.name, Text: sayText(c.says, act, c.name)})
		}
	}
	clear(act)
	act[varAsOf] = string(w.AsOf)
	for i := range w.People {
		p := &w.People[i]
		act[varPerson] = p
		for k := range p.Certifications {
			act[varCert] = &p.Certifications[k]
			for _, c := range b.certNotices {
				on, err := evalBool(c.rule, act)
				if err != nil {
					return nil, fmt.Errorf("person %q: %s: %w", p.ID, c.name, err)
				}
				if on {
					out = append(out, Notice{Rule: c.name, Person: p.ID, Text: sayText(c.says, act, c.name)})
				}
			}
		}
	}
	sort.SliceStable(out, func(i, j int) bool {
		a, b := out[i], out[j]
		return a.Rule < b.Rule || a.Rule == b.Rule && (a.Person < b.Person || a.Person == b.Person && a.Text < b.Text)
	})
	return out, nil
}
