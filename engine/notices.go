package engine

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"sort"

	"evaluate/facts"

	"github.com/google/cel-go/common/types"
	"github.com/google/cel-go/common/types/ref"
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

// fastItems lays out a person's item rules (the notices about each
// certification) for the fast path: the people flow's variables at their
// places, then the item. Every person of every designation runs them, so
// on cel-go's interpreter they cost more than the people's metrics.
func (c *compiler) fastItems(ir *itemRules, f *flow, values []*namedExpr, l *layout) {
	ir.places = &places{names: slices.Clone(f.names), index: maps.Clone(f.index)}
	ir.item = ir.places.place(ir.as)
	// A value the people flow compiled keeps the flow's places: they are
	// the first of these, at the same indices, so it reads g as it is.
	for _, v := range values {
		c.fast(v.expr, ir.places, l)
	}
	c.fast(ir.over, ir.places, l)
	for i := range ir.rules {
		c.fast(ir.rules[i].when, ir.places, l)
		c.fast(ir.rules[i].says, ir.places, l)
	}
}

// personNotices adds the notices about each item of person p to out; g
// holds the variables at ir's places.
func (d *Designation) personNotices(ctx context.Context, ir *itemRules, g []ref.Val, p *facts.Person, asOf facts.Date, out []Notice) ([]Notice, error) {
	clear(g)
	at := ir.places.index
	g[at[varPerson]], g[at[varAsOf]] = personRecord(p), types.String(string(asOf))
	// A person's rules are on no track and option.
	for _, name := range []string{varTrack, varOption, varMetric} {
		if i, ok := at[name]; ok {
			g[i] = types.String("")
		}
	}
	for _, v := range d.peopleValues {
		x, err := v.expr.evalAt(ctx, g)
		if err != nil {
			return out, fmt.Errorf("%s: %w", v.expr.src.Name, err)
		}
		g[at[v.name]] = x
	}
	v, err := ir.over.evalAt(ctx, g)
	if err != nil {
		return out, fmt.Errorf("%s: %w", ir.over.src.Name, err)
	}
	l, ok := v.(traits.Lister)
	if !ok {
		return out, fmt.Errorf("%s: want a list, got %v", ir.over.src.Name, v)
	}
	for it := l.Iterator(); it.HasNext() == types.True; {
		g[ir.item] = it.Next()
		for k := range ir.rules {
			r := &ir.rules[k]
			on, err := r.when.evalAt(ctx, g)
			if err != nil {
				return out, fmt.Errorf("%s: %w", r.name, err)
			}
			if b, ok := on.(types.Bool); !ok {
				return out, fmt.Errorf("%s: want a bool, got %v", r.name, on)
			} else if !b {
				continue
			}
			says, err := r.says.evalAt(ctx, g)
			if err != nil {
				return out, fmt.Errorf("%s: %w", r.name, err)
			}
			text, ok := says.(types.String)
			if !ok {
				return out, fmt.Errorf("%s: want a string, got %v", r.name, says)
			}
			out = append(out, Notice{Rule: r.name, Person: p.ID, Text: string(text)})
		}
	}
	return out, nil
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
func (d *Designation) notices(ctx context.Context, w *facts.Window) ([]Notice, error) {
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
		g := make([]ref.Val, len(ir.places.names))
		for i := range w.People {
			p := &w.People[i]
			var err error
			if out, err = d.personNotices(ctx, ir, g, p, w.AsOf, out); err != nil {
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
