package engine

import (
	"context"
	"encoding/json"
	"fmt"
	"reflect"

	"evaluate/facts"

	"github.com/google/cel-go/cel"
	"github.com/open-policy-agent/opa/v1/rego"
)

var reflectStrings = reflect.TypeFor[[]string]()

// Evaluate scores one partner: the CEL rules per tenant and person, summed
// per metric (and per attribution type), the point formulas, then the Rego
// verdict. f supplies the partner and warnings, w the windowed facts.
func (b *Bundle) Evaluate(ctx context.Context, f *facts.File, w *facts.Window) (*Result, error) {
	sums, err := b.sumMetrics(ctx, w)
	if err != nil {
		return nil, err
	}
	input, err := b.scoreMetrics(sums)
	if err != nil {
		return nil, err
	}
	r, err := b.verdict(ctx, input)
	if err != nil {
		return nil, err
	}
	r.File = f.Name
	r.Partner = f.Partner
	r.Month, r.Baseline, r.AsOf = w.Month.String(), w.Baseline.String(), string(w.AsOf)
	for _, p := range w.Warnings {
		r.Warnings = append(r.Warnings, p.String())
	}
	r.Policies = Provenance{Source: b.Source, Designation: b.Designation, Hash: b.Hash}
	for _, t := range b.Tracks {
		r.TrackOrder = append(r.TrackOrder, t.Name)
	}
	for _, m := range b.Metrics {
		r.MetricOrder = append(r.MetricOrder, m.ID)
	}
	return r, nil
}

// metricSums holds each metric's summed value per track, keyed by option
// ("" for a track-wide metric).
type metricSums map[string]map[string]map[string]int64

// ctxCheckEvery is how many tenants are scored between looks at the context.
const ctxCheckEvery = 256

func (b *Bundle) sumMetrics(ctx context.Context, w *facts.Window) (metricSums, error) {
	sums := metricSums{}
	for _, t := range b.Tracks {
		sums[t.Name] = map[string]map[string]int64{}
		for _, m := range b.Metrics {
			sums[t.Name][m.ID] = map[string]int64{}
		}
	}
	act := map[string]any{varParams: b.Params}
	for i := range w.Tenants {
		if i%ctxCheckEvery == 0 && ctx.Err() != nil {
			return nil, ctx.Err()
		}
		if err := b.sumTenant(act, &w.Tenants[i], sums); err != nil {
			return nil, fmt.Errorf("tenant %q: %w", w.Tenants[i].Tenant, err)
		}
	}
	clear(act)
	act[varParams] = b.Params
	for i := range w.People {
		p := &w.People[i]
		act[varPerson], act[varAsOf] = p, string(w.AsOf)
		levels, err := evalStrings(b.levels, act)
		if err != nil {
			return nil, fmt.Errorf("person %q: person.%s: %w", p.ID, ruleLevels, err)
		}
		act[varLevels] = levels
		for _, t := range b.Tracks {
			act[varTrack] = t.Name
			for _, m := range b.Metrics {
				if m.Over != "people" {
					continue
				}
				v, err := evalInt(m.value, act)
				if err != nil {
					return nil, fmt.Errorf("person %q: metric %s: %w", p.ID, m.ID, err)
				}
				sums[t.Name][m.ID][""] += v
			}
		}
	}
	return sums, nil
}

func (b *Bundle) sumTenant(act map[string]any, t *facts.TenantWindow, sums metricSums) error {
	for _, tr := range b.Tracks {
		clear(act)
		act[varParams], act[varTrack] = b.Params, tr.Name
		now, err := b.summarize(act, &t.Now, tr.Types)
		if err != nil {
			return err
		}
		base, err := b.summarize(act, &t.Base, tr.Types)
		if err != nil {
			return err
		}
		if err := b.addTenant(act, tr, "", now, base, Summary{}, false, sums); err != nil {
			return err
		}
		for _, o := range tr.Types {
			one := []string{o}
			nowO, baseO := now, base
			if nowO.Eligible, err = b.isEligible(act, &t.Now, one); err != nil {
				return err
			}
			if baseO.Eligible, err = b.isEligible(act, &t.Base, one); err != nil {
				return err
			}
			var assoc Summary
			newly := false
			for i := range t.New {
				if t.New[i].Type == o {
					newly = true
					if assoc, err = b.summarize(act, &t.New[i].State, one); err != nil {
						return err
					}
				}
			}
			if err := b.addTenant(act, tr, o, nowO, baseO, assoc, newly, sums); err != nil {
				return err
			}
		}
	}
	return nil
}

// addTenant adds one tenant's value to every tenant metric of the track:
// track-wide metrics when option is "", per-option metrics otherwise.
func (b *Bundle) addTenant(act map[string]any, tr Track, option string, now, base, assoc Summary, newly bool, sums metricSums) error {
	act[varOption], act[varNow], act[varBase], act[varAssoc], act[varNewly] = option, now, base, assoc, newly
	for _, m := range b.Metrics {
		if m.Over != "tenants" || m.PerOption != (option != "") {
			continue
		}
		v, err := evalInt(m.value, act)
		if err != nil {
			return fmt.Errorf("metric %s: %w", m.ID, err)
		}
		sums[tr.Name][m.ID][option] += v
	}
	return nil
}

// summarize runs the month rules on one month of a tenant.
func (b *Bundle) summarize(act map[string]any, st *facts.MonthState, types []string) (Summary, error) {
	var s Summary
	var err error
	act[varMonth] = st
	if s.Eligible, err = b.isEligible(act, st, types); err != nil {
		return s, err
	}
	if s.Deployed, err = evalBool(b.deployed, act); err != nil {
		return s, fmt.Errorf("%s: month.%s: %w", st.Month, ruleDeployed, err)
	}
	if s.ActiveUsers, err = evalInt(b.activeUsers, act); err != nil {
		return s, fmt.Errorf("%s: month.%s: %w", st.Month, ruleActiveUsers, err)
	}
	return s, nil
}

func (b *Bundle) isEligible(act map[string]any, st *facts.MonthState, types []string) (bool, error) {
	act[varMonth], act[varTypes] = st, types
	v, err := evalBool(b.eligible, act)
	if err != nil {
		return false, fmt.Errorf("%s: month.%s: %w", st.Month, ruleEligible, err)
	}
	return v, nil
}

func evalBool(prg cel.Program, act map[string]any) (bool, error) {
	v, _, err := prg.Eval(act)
	if err != nil {
		return false, err
	}
	x, ok := v.Value().(bool)
	if !ok {
		return false, fmt.Errorf("want a bool, got %v", v)
	}
	return x, nil
}

func evalInt(prg cel.Program, act map[string]any) (int64, error) {
	v, _, err := prg.Eval(act)
	if err != nil {
		return 0, err
	}
	x, ok := v.Value().(int64)
	if !ok {
		return 0, fmt.Errorf("want an int, got %v", v)
	}
	return x, nil
}

func evalDouble(prg cel.Program, act map[string]any) (float64, error) {
	v, _, err := prg.Eval(act)
	if err != nil {
		return 0, err
	}
	switch x := v.Value().(type) {
	case float64:
		return x, nil
	case int64:
		return float64(x), nil
	}
	return 0, fmt.Errorf("want a number, got %v", v)
}

// scoreMetrics applies the points formula and shapes the Rego input.
func (b *Bundle) scoreMetrics(sums metricSums) (map[string]any, error) {
	act := map[string]any{varParams: b.Params}
	score := func(track, metric, option string, value int64) (map[string]any, error) {
		act[varTrack], act[varMetric], act[varOption], act[varValue] = track, metric, option, value
		p, err := evalDouble(b.points, act)
		if err != nil {
			return nil, fmt.Errorf("points of %s %s %s: %w", track, metric, option, err)
		}
		return map[string]any{"value": value, "points": p}, nil
	}
	tracks := map[string]any{}
	for _, t := range b.Tracks {
		metrics := map[string]any{}
		for _, m := range b.Metrics {
			if !m.PerOption {
				s, err := score(t.Name, m.ID, "", sums[t.Name][m.ID][""])
				if err != nil {
					return nil, err
				}
				metrics[m.ID] = s
				continue
			}
			options := map[string]any{}
			for _, o := range t.Types {
				s, err := score(t.Name, m.ID, o, sums[t.Name][m.ID][o])
				if err != nil {
					return nil, err
				}
				options[o] = s
			}
			metrics[m.ID] = map[string]any{"options": options}
		}
		tracks[t.Name] = map[string]any{"metrics": metrics}
	}
	return map[string]any{"tracks": tracks}, nil
}

// verdict runs the designation's Rego on the scored metrics.
func (b *Bundle) verdict(ctx context.Context, input map[string]any) (*Result, error) {
	rs, err := b.rego.Eval(ctx, rego.EvalInput(input))
	if ctx.Err() != nil {
		return nil, ctx.Err()
	}
	if err != nil {
		return nil, fmt.Errorf("policy %s: %w", b.Designation, err)
	}
	if len(rs) == 0 || len(rs[0].Expressions) == 0 {
		return nil, fmt.Errorf("policy %s: data.%s.%s is undefined for this input", b.Designation, b.Designation, ResultRule)
	}
	raw, err := json.Marshal(rs[0].Expressions[0].Value)
	if err != nil {
		return nil, err
	}
	var r Result
	if err := json.Unmarshal(raw, &r); err != nil {
		return nil, fmt.Errorf("policy %s: result has the wrong shape: %w", b.Designation, err)
	}
	return &r, nil
}
