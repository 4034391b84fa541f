package engine

import (
	"context"
	"encoding/json"
	"fmt"
	"reflect"
	"slices"

	"evaluate/facts"

	"github.com/google/cel-go/cel"
	"github.com/open-policy-agent/opa/v1/rego"
)

var reflectStrings = reflect.TypeFor[[]string]()

// Options change what an evaluation reports, never its score.
type Options struct {
	// Explain attaches to every metric and option the records that made it.
	Explain bool
}

// Evaluate scores one partner without explanations.
func (b *Bundle) Evaluate(ctx context.Context, f *facts.File, w *facts.Window) (*Result, error) {
	return b.EvaluateWith(ctx, f, w, Options{})
}

// EvaluateWith scores one partner: the CEL rules per tenant and person,
// summed per metric (and per attribution type), the point formulas, the Rego
// verdict, and for each track the plan of what it takes to qualify. f
// supplies the partner and warnings, w the windowed facts.
func (b *Bundle) EvaluateWith(ctx context.Context, f *facts.File, w *facts.Window, opts Options) (*Result, error) {
	e := &evaluation{b: b, act: map[string]any{}}
	if opts.Explain {
		e.explain = explanations{}
	}
	sums, err := e.sumMetrics(ctx, w)
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
	if r.Notices, err = e.notices(w); err != nil {
		return nil, err
	}
	e.attach(r)
	if err := b.plans(ctx, r, sums); err != nil {
		return nil, err
	}
	return r, nil
}

// evaluation is one partner's evaluation in progress. Its activation map is
// reused from record to record.
type evaluation struct {
	b       *Bundle
	act     map[string]any
	explain explanations // nil unless explaining
}

// metricSums holds each metric's summed value per track, keyed by option
// ("" for a track-wide metric).
type metricSums map[string]map[string]map[string]int64

// ctxCheckEvery is how many tenants are scored between looks at the context.
const ctxCheckEvery = 256

func (e *evaluation) sumMetrics(ctx context.Context, w *facts.Window) (metricSums, error) {
	b := e.b
	sums := metricSums{}
	for _, t := range b.Tracks {
		sums[t.Name] = map[string]map[string]int64{}
		for _, m := range b.Metrics {
			sums[t.Name][m.ID] = map[string]int64{}
		}
	}
	for i := range w.Tenants {
		if i%ctxCheckEvery == 0 && ctx.Err() != nil {
			return nil, ctx.Err()
		}
		if err := e.sumTenant(&w.Tenants[i], sums); err != nil {
			return nil, fmt.Errorf("tenant %q: %w", w.Tenants[i].Tenant, err)
		}
	}
	for i := range w.People {
		if err := e.sumPerson(&w.People[i], w.AsOf, sums); err != nil {
			return nil, fmt.Errorf("person %q: %w", w.People[i].ID, err)
		}
	}
	return sums, nil
}

// sumPerson finds the certification levels a person holds on the evaluation
// date and adds the person to every people metric.
func (e *evaluation) sumPerson(p *facts.Person, asOf facts.Date, sums metricSums) error {
	b, act := e.b, e.act
	clear(act)
	act[varParams], act[varPerson], act[varAsOf] = b.Params, p, string(asOf)
	var levels, counted []string
	var notCounted []CertificationNote
	for i := range p.Certifications {
		c := &p.Certifications[i]
		act[varCert] = c
		name, says, err := failing(b.certCounts, act)
		if err != nil {
			return err
		}
		if name != "" {
			notCounted = append(notCounted, CertificationNote{Person: p.ID, Certification: c.Name, Rule: name, Reason: says})
			continue
		}
		v, _, err := b.certLevel.Eval(act)
		if err != nil {
			return fmt.Errorf("certification %q: certification.level: %w", c.Name, err)
		}
		level := fmt.Sprint(v.Value())
		counted = append(counted, c.Name+" ("+level+")")
		if !slices.Contains(levels, level) {
			levels = append(levels, level)
		}
	}
	delete(act, varCert)
	delete(act, varAsOf)
	act[varLevels] = levels
	for _, t := range b.Tracks {
		act[varTrack] = t.Name
		for _, m := range b.Metrics {
			if m.Over != "people" {
				continue
			}
			v, err := evalInt(m.reporting, act)
			if err != nil {
				return fmt.Errorf("metrics[%s].reporting: %w", m.ID, err)
			}
			sums[t.Name][m.ID][""] += v
			if e.explain != nil {
				x := e.explain.get(t.Name, m.ID, "")
				if v != 0 {
					x.Reporting = append(x.Reporting, Contribution{Person: p.ID, Adds: v, Certifications: counted})
				}
				x.NotCounted = append(x.NotCounted, notCounted...)
			}
		}
	}
	return nil
}

// scope is one tenant seen by one track and one option ("" for the track's
// attribution types together).
type scope struct {
	tenant     *facts.TenantWindow
	track      Track
	option     string
	types      []string
	now, base  Summary
	assoc      Summary
	assocState *facts.MonthState
	newly      bool
}

func (e *evaluation) sumTenant(t *facts.TenantWindow, sums metricSums) error {
	b, act := e.b, e.act
	for _, tr := range b.Tracks {
		clear(act)
		act[varParams], act[varTrack] = b.Params, tr.Name
		// Deployment and users do not depend on the attribution type.
		nowDA, err := e.deployedActive(&t.Now)
		if err != nil {
			return err
		}
		baseDA, err := e.deployedActive(&t.Base)
		if err != nil {
			return err
		}
		s := scope{tenant: t, track: tr, types: tr.Types, now: nowDA, base: baseDA}
		if s.now.Eligible, err = e.isEligible(&t.Now, s.types); err != nil {
			return err
		}
		if s.base.Eligible, err = e.isEligible(&t.Base, s.types); err != nil {
			return err
		}
		if err := e.addTenant(&s, sums); err != nil {
			return err
		}
		for _, o := range tr.Types {
			so := scope{tenant: t, track: tr, option: o, types: []string{o}, now: nowDA, base: baseDA}
			if so.now.Eligible, err = e.isEligible(&t.Now, so.types); err != nil {
				return err
			}
			if so.base.Eligible, err = e.isEligible(&t.Base, so.types); err != nil {
				return err
			}
			for i := range t.New {
				if t.New[i].Type == o {
					so.newly, so.assocState = true, &t.New[i].State
					if so.assoc, err = e.deployedActive(so.assocState); err != nil {
						return err
					}
					if so.assoc.Eligible, err = e.isEligible(so.assocState, so.types); err != nil {
						return err
					}
				}
			}
			if err := e.addTenant(&so, sums); err != nil {
				return err
			}
		}
	}
	return nil
}

// addTenant adds one tenant's part to every tenant metric of its scope:
// track-wide metrics when the option is "", per-option metrics otherwise.
func (e *evaluation) addTenant(s *scope, sums metricSums) error {
	act := e.act
	act[varOption], act[varNow], act[varBase], act[varAssoc], act[varNewly] = s.option, s.now, s.base, s.assoc, s.newly
	for i := range e.b.Metrics {
		m := &e.b.Metrics[i]
		if m.Over != "tenants" || m.PerOption != (s.option != "") {
			continue
		}
		rep, err := evalInt(m.reporting, act)
		if err != nil {
			return fmt.Errorf("metrics[%s].reporting: %w", m.ID, err)
		}
		var bas int64
		if m.baseline != nil {
			if bas, err = evalInt(m.baseline, act); err != nil {
				return fmt.Errorf("metrics[%s].baseline: %w", m.ID, err)
			}
		}
		sums[s.track.Name][m.ID][s.option] += rep - bas
		if e.explain != nil {
			if err := e.explainTenant(s, m, rep, bas); err != nil {
				return err
			}
		}
	}
	return nil
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

// deployedActive runs the month rules that do not depend on the
// attribution type on one month of a tenant.
func (e *evaluation) deployedActive(st *facts.MonthState) (Summary, error) {
	s := Summary{Month: st.Month}
	var err error
	e.act[varMonth] = st
	if s.Deployed, err = evalBool(e.b.deployed, e.act); err != nil {
		return s, fmt.Errorf("%s: month.deployed: %w", st.Month, err)
	}
	if s.ActiveUsers, err = evalInt(e.b.activeUsers, e.act); err != nil {
		return s, fmt.Errorf("%s: month.active_users: %w", st.Month, err)
	}
	return s, nil
}

func (e *evaluation) isEligible(st *facts.MonthState, types []string) (bool, error) {
	e.act[varMonth], e.act[varTypes] = st, types
	v, err := evalBool(e.b.eligible, e.act)
	if err != nil {
		return false, fmt.Errorf("%s: month.eligible: %w", st.Month, err)
	}
	return v, nil
}

// notices runs the bundle's notice rules on the evaluation and on every
// certification.
func (e *evaluation) notices(w *facts.Window) ([]Notice, error) {
	b, act := e.b, e.act
	var out []Notice
	clear(act)
	act[varParams], act[varMonth], act[varEnd], act[varAsOf] = b.Params, w.Month.String(), string(w.Month.LastDay()), string(w.AsOf)
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
	act[varParams], act[varAsOf] = b.Params, string(w.AsOf)
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
	return out, nil
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

// points applies the bundle's point formula.
func (b *Bundle) pointsFor(act map[string]any, track, metric, option string, value int64) (float64, error) {
	act[varParams], act[varTrack], act[varMetric], act[varOption], act[varValue] = b.Params, track, metric, option, value
	p, err := evalDouble(b.points, act)
	if err != nil {
		return 0, fmt.Errorf("points of %s %s %s: %w", track, metric, option, err)
	}
	return p, nil
}

// scoreMetrics applies the points formula and shapes the Rego input.
func (b *Bundle) scoreMetrics(sums metricSums) (map[string]any, error) {
	act := map[string]any{}
	score := func(track, metric, option string, value int64) (map[string]any, error) {
		p, err := b.pointsFor(act, track, metric, option, value)
		return map[string]any{"value": value, "points": p}, err
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
