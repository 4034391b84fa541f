package engine

import (
	"context"
	"fmt"
	"maps"
	"runtime"
	"slices"
	"strconv"
	"sync"

	"evaluate/facts"
	"evaluate/internal/fastcel"

	"github.com/google/cel-go/common/types"
	"github.com/google/cel-go/common/types/ref"
	"github.com/google/cel-go/common/types/traits"
)

// Options change what an evaluation reports, never its score.
type Options struct {
	// Explain attaches to every metric and option the records that made it.
	Explain bool
	// Workers score tenants in parallel (0: one per CPU). Explanations are
	// built by one worker, so that they keep the file's order.
	Workers int
	// Tally, when set, holds the tenants already scored while the file was
	// read; the window then has no tenants of its own.
	Tally *Tally
	// NoPlans leaves every track's Gap out. After the tenants' rules the
	// plan search is the dearest part of a partner's scoring, and a
	// population scored for its verdicts has no use for it.
	NoPlans bool
}

// parallelFrom is the number of tenants from which scoring is split
// across workers; below it, starting them costs more than it saves.
const parallelFrom = 1 << 11

// ctxCheckEvery is how many tenants are scored between looks at the context.
const ctxCheckEvery = 64

// inEffectRule is how a designation decides that an association counts in
// a month.
func inEffectRule(name string) func(*facts.Association, facts.Month) bool {
	switch name {
	case "first_day":
		return func(a *facts.Association, m facts.Month) bool { return a.InEffect(m.FirstDay()) }
	case "any_day":
		return func(a *facts.Association, m facts.Month) bool {
			return a.From <= m.LastDay() && (a.To == "" || a.To >= m.FirstDay())
		}
	}
	return func(a *facts.Association, m facts.Month) bool { return a.InEffect(m.LastDay()) }
}

// scorer scores tenants and people for every designation of a bundle,
// with the variables of each designation's flows, reused from record to
// record.
type scorer struct {
	b       *Bundle
	month   facts.Month
	explain *explainer // nil unless explaining
	tenantG [][]ref.Val
	personG [][]ref.Val
	views   map[string]*views
	memo    *memo
}

func (b *Bundle) newScorer(month facts.Month) *scorer {
	s := &scorer{b: b, month: month, views: map[string]*views{}, memo: newMemo(b.memoSlots),
		tenantG: make([][]ref.Val, len(b.Designations)), personG: make([][]ref.Val, len(b.Designations))}
	for i, d := range b.Designations {
		s.tenantG[i] = make([]ref.Val, len(d.tenantFlow.names))
		s.personG[i] = make([]ref.Val, len(d.peopleFlow.names))
	}
	return s
}

// tenantGlobals sets a designation's tenant variables for one tenant.
func (s *scorer) tenantGlobals(di int, c *facts.Customer) []ref.Val {
	d := s.b.Designations[di]
	v := s.views[d.inEffect]
	if v == nil || v.c != c {
		// An explanation keeps the records it was made from: each tenant
		// gets views of its own then.
		if v == nil || s.explain != nil {
			v = newViews(s.b.layout, inEffectRule(d.inEffect))
			s.views[d.inEffect] = v
		}
		v.reset(c)
	}
	g, sl := s.tenantG[di], &d.vars
	clear(g)
	g[sl.tenant] = v.tenant
	for _, m := range sl.months {
		g[m.place] = v.month(s.month + facts.Month(m.off))
	}
	for _, r := range sl.ranges {
		g[r.place] = v.span(s.month+facts.Month(r.first), s.month+facts.Month(r.last))
	}
	if d.assocMonths {
		if v.at == nil {
			v.at = s.monthMap(v)
		}
		g[sl.at] = v.at
	}
	return g
}

// monthMap is the `at` map of the tenant of v: its association months and
// the months the bundle needs.
func (s *scorer) monthMap(v *views) *monthMap {
	mm := &v.atMap
	mm.v, mm.keys = v, mm.keys[:0]
	for _, a := range v.c.Associations {
		if m := a.From.Month(); !slices.Contains(mm.keys, m) {
			mm.keys = append(mm.keys, m)
		}
	}
	for _, off := range s.b.Needs.Offsets {
		if m := s.month + facts.Month(off); !slices.Contains(mm.keys, m) {
			mm.keys = append(mm.keys, m)
		}
	}
	return mm
}

// tenantSlots are where a designation's tenant variables sit in its
// tenant flow, found once rather than by name for every tenant.
type tenantSlots struct {
	tenant, at int
	months     []struct{ place, off int }
	ranges     []struct{ place, first, last int }
}

func (d *Designation) tenantSlotsOf(f *flow) tenantSlots {
	sl := tenantSlots{tenant: f.index[varTenant], at: f.index[varAt]}
	for _, name := range slices.Sorted(maps.Keys(d.months)) {
		sl.months = append(sl.months, struct{ place, off int }{f.index[name], d.months[name]})
	}
	for _, name := range slices.Sorted(maps.Keys(d.ranges)) {
		r := d.ranges[name]
		sl.ranges = append(sl.ranges, struct{ place, first, last int }{f.index[name], r[0], r[1]})
	}
	return sl
}

// tenantActivation is a designation's tenant variables for one tenant, as
// cel-go's activation (for explanations).
func (s *scorer) tenantActivation(di int, c *facts.Customer) map[string]any {
	g := s.tenantGlobals(di, c)
	act := s.b.Designations[di].tenantFlow.activation(g)
	act[varTrack], act[varOption], act[varMetric] = "", "", ""
	return act
}

// tenant adds one tenant to every designation's totals.
func (s *scorer) tenant(ctx context.Context, c *facts.Customer, tot []totals) error {
	s.memo.next()
	for di, d := range s.b.Designations {
		g := s.tenantGlobals(di, c)
		if err := d.tenantFlow.run(ctx, g, tot[di], s.memo); err != nil {
			return fmt.Errorf("%s: tenant %q: %w", d.ID, c.Tenant, err)
		}
		if s.explain != nil {
			if err := s.explain.tenant(ctx, di, s.tenantActivation(di, c), c); err != nil {
				return fmt.Errorf("%s: tenant %q: %w", d.ID, c.Tenant, err)
			}
		}
	}
	return nil
}

// person adds one person to every designation's totals.
func (s *scorer) person(ctx context.Context, p *facts.Person, asOf facts.Date, tot []totals) error {
	rec := personRecord(p)
	for di, d := range s.b.Designations {
		f, g := d.peopleFlow, s.personG[di]
		clear(g)
		g[f.index[varPerson]], g[f.index[varAsOf]] = rec, types.String(string(asOf))
		if err := f.run(ctx, g, tot[di], nil); err != nil {
			return fmt.Errorf("%s: person %q: %w", d.ID, p.ID, err)
		}
		if s.explain != nil {
			act := map[string]any{varPerson: rec, varAsOf: string(asOf), varTrack: "", varOption: "", varMetric: ""}
			if err := s.explain.person(ctx, di, act, p); err != nil {
				return fmt.Errorf("%s: person %q: %w", d.ID, p.ID, err)
			}
		}
	}
	return nil
}

func (b *Bundle) newAllTotals() []totals {
	out := make([]totals, len(b.Designations))
	for i, d := range b.Designations {
		out[i] = d.newTotals()
	}
	return out
}

func (b *Bundle) mergeTotals(into, from []totals) error {
	for i, d := range b.Designations {
		if err := into[i].merge(d, from[i]); err != nil {
			return fmt.Errorf("%s: %w", d.ID, err)
		}
	}
	return nil
}

// tenantWarnings runs the designations' tenant warnings, stopped when
// ctx is done.
func (s *scorer) tenantWarnings(ctx context.Context, c *facts.Customer, file string) ([]facts.Problem, error) {
	var out []facts.Problem
	for di, d := range s.b.Designations {
		if d.warnings == nil {
			continue
		}
		v, err := d.warnings.evalAt(ctx, s.tenantGlobals(di, c))
		if err != nil {
			return nil, fmt.Errorf("%s: tenant %q: tenant_warnings: %w", d.ID, c.Tenant, err)
		}
		msgs, err := evalStrings(v)
		if err != nil {
			return nil, err
		}
		for _, m := range msgs {
			out = append(out, facts.Problem{File: file, Line: c.Line, Message: m, Kind: d.warningKind, Designation: d.ID})
		}
	}
	return out, nil
}

// sumTenants scores tenants, split across workers for large partners.
// Totals are integers (and sets), so the order of adding does not change
// them.
func (b *Bundle) sumTenants(ctx context.Context, month facts.Month, tenants []facts.Customer, workers int, file string) ([]totals, []facts.Problem, error) {
	if workers <= 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	chunk := (len(tenants) + workers - 1) / max(1, workers)
	if workers == 1 || len(tenants) < parallelFrom {
		chunk, workers = len(tenants), 1
	}
	results := make([][]totals, workers)
	warns := make([][]facts.Problem, workers)
	errs := make([]error, workers)
	var wg sync.WaitGroup
	for i := range workers {
		lo, hi := min(i*chunk, len(tenants)), min((i+1)*chunk, len(tenants))
		wg.Go(func() {
			s := b.newScorer(month)
			tot := b.newAllTotals()
			for k := lo; k < hi; k++ {
				if (k-lo)%ctxCheckEvery == 0 && ctx.Err() != nil {
					errs[i] = ctx.Err()
					return
				}
				c := &tenants[k]
				if err := s.tenant(ctx, c, tot); err != nil {
					errs[i] = err
					return
				}
				w, err := s.tenantWarnings(ctx, c, file)
				if err != nil {
					errs[i] = err
					return
				}
				warns[i] = append(warns[i], w...)
			}
			results[i] = tot
		})
	}
	wg.Wait()
	all := b.newAllTotals()
	var warnings []facts.Problem
	for i := range workers {
		if errs[i] != nil {
			return nil, nil, errs[i]
		}
		if err := b.mergeTotals(all, results[i]); err != nil {
			return nil, nil, err
		}
		warnings = append(warnings, warns[i]...)
	}
	return all, warnings, nil
}

// Evaluate scores one partner for every designation of the bundle: the CEL
// rules per tenant and person, summed per aggregate, each metric's value,
// points and options, the Rego verdict, and for each track the plan of
// what it takes to qualify. f supplies the partner and warnings, w the
// windowed facts.
func (b *Bundle) Evaluate(ctx context.Context, f *facts.File, w *facts.Window, opts Options) ([]*Result, error) {
	var tot []totals
	var warnings []facts.Problem
	var ex *explainer
	if opts.Explain {
		ex = newExplainer(b)
		s := b.newScorer(w.Month)
		s.explain = ex
		tot = b.newAllTotals()
		for i := range w.Tenants {
			// Each tenant is explained by many evaluations on cel-go:
			// a look at the context costs nothing beside them.
			if ctx.Err() != nil {
				return nil, ctx.Err()
			}
			c := &w.Tenants[i]
			if err := s.tenant(ctx, c, tot); err != nil {
				return nil, err
			}
			ws, err := s.tenantWarnings(ctx, c, f.Name)
			if err != nil {
				return nil, err
			}
			warnings = append(warnings, ws...)
		}
	} else {
		var err error
		if tot, warnings, err = b.sumTenants(ctx, w.Month, w.Tenants, opts.Workers, f.Name); err != nil {
			return nil, err
		}
	}
	if opts.Tally != nil {
		tallied, tw, err := opts.Tally.Close()
		if err != nil {
			return nil, err
		}
		if err := b.mergeTotals(tot, tallied); err != nil {
			return nil, err
		}
		warnings = append(warnings, tw...)
	}
	s := b.newScorer(w.Month)
	s.explain = ex
	if ex != nil {
		ex.asOf, ex.totals = string(w.AsOf), tot
	}
	for i := range w.People {
		if err := s.person(ctx, &w.People[i], w.AsOf, tot); err != nil {
			return nil, err
		}
	}
	allWarnings := append(slices.Clone(w.Warnings), warnings...)
	var out []*Result
	for di, d := range b.Designations {
		r, err := d.result(ctx, tot[di], w, !opts.NoPlans)
		if err != nil {
			return nil, err
		}
		r.File = f.Name
		r.Partner = f.Partner
		r.Problems = allWarnings
		for _, p := range allWarnings {
			// Another designation's rule, or a series this one does not
			// read, is no concern of this result: it must not change with
			// what else was scored.
			if (p.Designation == "" || p.Designation == d.ID) && (p.Series == "" || d.reads(p.Series)) {
				r.Warnings = append(r.Warnings, p.Message)
			}
		}
		slices.Sort(r.Warnings)
		r.Warnings = slices.Compact(r.Warnings)
		if r.Notices, err = d.notices(ctx, w); err != nil {
			return nil, err
		}
		if ex != nil {
			if err := ex.attach(di, r); err != nil {
				return nil, err
			}
		}
		out = append(out, r)
	}
	return out, nil
}

// result scores a designation from its totals: metrics, verdict and,
// with plans, the plans.
func (d *Designation) result(ctx context.Context, tot totals, w *facts.Window, plans bool) (*Result, error) {
	partner := d.partnerValues(tot)
	metrics, err := d.scoreAll(ctx, func(t, o string, m *Metric, a *Aggregate) ref.Val { return d.aggregateValue(tot, t, o, m, a) }, partner.cel)
	if err != nil {
		return nil, err
	}
	r, err := d.verdict(ctx, metrics, partner.native)
	if err != nil {
		return nil, err
	}
	r.Designation = d.ID
	r.Month = w.Month.String()
	r.AsOf = string(w.AsOf)
	r.Policies = Provenance{Source: d.Source, Designation: d.ID, Hash: d.Hash}
	r.TrackOrder = slices.Clone(d.Tracks)
	for _, m := range d.Metrics {
		r.MetricOrder = append(r.MetricOrder, m.ID)
		if m.ValueUnit != "" {
			if r.ValueUnits == nil {
				r.ValueUnits = map[string]string{}
			}
			r.ValueUnits[m.ID] = m.ValueUnit
		}
		if len(m.OptionUnits) > 0 {
			if r.OptionUnits == nil {
				r.OptionUnits = map[string]map[string]string{}
			}
			r.OptionUnits[m.ID] = m.OptionUnits
		}
	}
	if err := d.window(r, w); err != nil {
		return nil, err
	}
	if !plans {
		return r, nil
	}
	if err := d.plans(ctx, r, tot, partner); err != nil {
		return nil, err
	}
	return r, nil
}

// window adds what the designation says of the window: the free keys of
// result_extra and the header. Both read only the months and the
// evaluation date, so they are evaluated (on cel-go) once for each pair
// of them and remembered, not again for every partner.
func (d *Designation) window(r *Result, w *facts.Window) error {
	said, err := d.windows.get(w.Month.String()+"\x00"+string(w.AsOf), func() (windowSaid, error) { return d.sayWindow(w) })
	if err != nil {
		return err
	}
	if said.extra != nil {
		if r.Extra == nil {
			r.Extra = map[string]any{}
		}
		// Each result its own copy of the maps and lists (plainJSON
		// copies them; a native value holds no json.Number to change).
		for k, x := range said.extra {
			r.Extra[k] = plainJSON(x)
		}
	}
	if d.header != nil {
		r.Header = said.header
	} else {
		r.Header = "reporting month " + r.Month + ", evaluation date " + r.AsOf
	}
	return nil
}

// windowSaid is what a designation says of one window.
type windowSaid struct {
	extra  map[string]any
	header string
}

func (d *Designation) sayWindow(w *facts.Window) (windowSaid, error) {
	var said windowSaid
	months := map[string]string{}
	for name, off := range d.months {
		months[name] = (w.Month + facts.Month(off)).String()
	}
	for name, rg := range d.ranges {
		months[name] = (w.Month + facts.Month(rg[0])).String() + ".." + (w.Month + facts.Month(rg[1])).String()
	}
	act := map[string]any{varMonths: months, varAsOf: string(w.AsOf)}
	if d.resultExtra != nil {
		v, err := d.resultExtra.eval(act)
		if err != nil {
			return said, fmt.Errorf("%s: result_extra: %w", d.ID, err)
		}
		if m, ok := native(v).(map[string]any); ok {
			said.extra = m
		}
	}
	if d.header != nil {
		h, err := evalString(d.header, act)
		if err != nil {
			return said, fmt.Errorf("%s: header: %w", d.ID, err)
		}
		said.header = h
	}
	return said, nil
}

// aggregateValue is an aggregate's total for a track and option.
func (d *Designation) aggregateValue(tot totals, track, option string, m *Metric, a *Aggregate) ref.Val {
	in := instance{track: track, option: option, metric: m, agg: a}
	i, ok := d.slotIndex[in.slotKey()]
	if !ok {
		return (&acc{}).value(a.Op)
	}
	return tot[i].value(a.Op)
}

// partnerAggregates are the partner aggregates as CEL and Go values.
type partnerAggregates struct {
	cel    ref.Val
	native map[string]any
}

func (d *Designation) partnerValues(tot totals) partnerAggregates {
	celVals := map[ref.Val]ref.Val{}
	nat := map[string]any{}
	for _, a := range d.partner {
		i := d.slotIndex[instance{agg: a}.slotKey()]
		celVals[types.String(a.ID)] = tot[i].value(a.Op)
		nat[a.ID] = tot[i].native(a.Op)
	}
	return partnerAggregates{cel: types.NewRefValMap(types.DefaultTypeAdapter, celVals), native: nat}
}

// scoreMetric computes a metric on a track from its aggregates: each
// option's value and points, then their combination, its formulas stopped
// when ctx is done. With a memo (the planner's, which tries thousands of
// totals that differ in one option only), only the points are computed:
// each option's result is kept by option and integer aggregate totals (a
// plan adds to sums and counts alone; its other aggregates, maps and sets,
// are the same on every call), neither extras nor the combined value are
// computed, and the result returned is the memo's, valid until the next
// call.
func (d *Designation) scoreMetric(ctx context.Context, track string, m *Metric, agg func(option string, a *Aggregate) ref.Val, partner ref.Val, memo *optionMemo) (*MetricResult, error) {
	fail := func(what string, err error) (*MetricResult, error) {
		return nil, fmt.Errorf("%s: metrics[%s].%s on %s: %w", d.ID, m.ID, what, track, err)
	}
	ix := m.places.index
	var g []ref.Val
	var mr *MetricResult
	if memo != nil {
		g = memo.places(len(m.places.names))
		memo.mr = MetricResult{}
		mr = &memo.mr
	} else {
		g = make([]ref.Val, len(m.places.names))
		mr = &MetricResult{}
	}
	atOption, atValue, atPoints := ix[varOption], ix[varValue], ix["points"]
	g[ix[varTrack]], g[ix[varMetric]], g[atOption] = d.name(track), d.name(m.ID), d.name("")
	// max_points reads the track and the metric alone: the planner's
	// memo (one track) computes it once.
	tf := m.formulasOf(track)
	var maxPoints float64
	var err error
	if memo != nil && memo.hasMax {
		maxPoints = memo.maxPoints
	} else {
		if maxPoints, err = numberWith(ctx, m.maxPoints, tf.maxPoints, g); err != nil {
			return fail("max_points", err)
		}
		if memo != nil {
			memo.maxPoints, memo.hasMax = maxPoints, true
		}
	}
	mr.MaxPoints = maxPoints
	g[ix[varPartner]], g[ix[varMax]] = partner, types.Double(maxPoints)
	one := func(option string) (*OptionResult, error) {
		g[atOption], g[atValue], g[atPoints] = d.name(option), nil, nil
		for i, a := range m.Aggregates {
			g[m.aggPlaces[i]] = agg(option, a)
		}
		if memo != nil {
			if or, ok := memo.lookup(option, m, g); ok {
				return or, nil
			}
		}
		of := tf.option(m, option)
		value, err := numberWith(ctx, m.value, of.value, g)
		if err != nil {
			return nil, fmt.Errorf("value: %w", err)
		}
		g[atValue] = types.Double(value)
		points, err := numberWith(ctx, m.points, of.points, g)
		if err != nil {
			return nil, fmt.Errorf("points: %w", err)
		}
		or := &OptionResult{Value: value, Points: points}
		or.cel = newFieldMap(valuePoints, types.Double(value), types.Double(points))
		if memo != nil {
			memo.keep(or)
			return or, nil
		}
		if m.extra != nil {
			g[atPoints] = types.Double(points)
			v, err := m.extra.evalWith(ctx, of.extra, g)
			if err != nil {
				return nil, fmt.Errorf("extra: %w", err)
			}
			or.Extra = withoutNulls(native(v))
		}
		return or, nil
	}
	if m.Options == nil {
		or, err := one("")
		if err != nil {
			return fail("", err)
		}
		mr.Value, mr.Points, mr.Extra = or.Value, or.Points, or.Extra
		return mr, nil
	}
	var opts map[string]*OptionResult
	var optVals *fieldMap
	if memo != nil {
		opts, optVals = memo.maps(m.optionKeys[track])
	} else {
		opts, optVals = map[string]*OptionResult{}, newFieldMap(m.optionKeys[track])
	}
	for _, o := range m.Options[track] {
		or, err := one(o)
		if err != nil {
			return fail("option "+o, err)
		}
		opts[o] = or
		optVals.set(o, or.cel)
	}
	g[atOption] = nil
	g[ix[varOptions]] = optVals
	if m.Combine == "options" {
		chosen, err := stringAt(ctx, m.chosen, tf.chosen, g)
		if err != nil {
			return fail("combine.chosen", err)
		}
		if opts[chosen] == nil {
			return fail("combine.chosen", fmt.Errorf("%q is not an option (options: %v)", chosen, m.Options[track]))
		}
		g[ix[varChosen]] = d.name(chosen)
		mr.Option, mr.Options = chosen, opts
		mr.Extra = opts[chosen].Extra
	} else {
		mr.Sources = opts
	}
	if mr.Points, err = numberWith(ctx, m.combPoints, tf.combPoints, g); err != nil {
		return fail("combine.points", err)
	}
	if memo != nil {
		return mr, nil
	}
	if mr.Value, err = numberWith(ctx, m.combValue, tf.combValue, g); err != nil {
		return fail("combine.value", err)
	}
	return mr, nil
}

// optionMemo is the planner's memory for one metric (see scoreMetric):
// the options' results by their totals, and the places, maps and result
// that each evaluation reuses.
type optionMemo struct {
	results map[string]*OptionResult
	key     []byte
	g       []ref.Val
	opts    map[string]*OptionResult
	vals    *fieldMap
	mr      MetricResult
	// maxPoints is the metric's max_points on the memo's track.
	maxPoints float64
	hasMax    bool
}

func (o *optionMemo) places(n int) []ref.Val {
	if len(o.g) != n {
		o.g = make([]ref.Val, n)
	}
	clear(o.g)
	return o.g
}

// maps are the options' results and their CEL map (of keys k), emptied:
// neither outlives the call that fills them.
func (o *optionMemo) maps(k *fieldKeys) (map[string]*OptionResult, *fieldMap) {
	if o.opts == nil {
		o.opts = map[string]*OptionResult{}
	}
	if o.vals == nil || o.vals.keys != k {
		o.vals = newFieldMap(k)
	}
	clear(o.opts)
	clear(o.vals.vals)
	return o.opts, o.vals
}

// lookup finds the option's result for the integer totals at places g,
// and keeps their key for keep.
func (o *optionMemo) lookup(option string, m *Metric, g []ref.Val) (*OptionResult, bool) {
	o.key = append(o.key[:0], option...)
	for _, at := range m.aggPlaces {
		if n, ok := g[at].(types.Int); ok {
			o.key = strconv.AppendInt(append(o.key, 0), int64(n), 10)
		}
	}
	or, ok := o.results[string(o.key)]
	return or, ok
}

// keep remembers a result under the key of the last lookup.
func (o *optionMemo) keep(or *OptionResult) {
	if o.results == nil {
		o.results = map[string]*OptionResult{}
	}
	o.results[string(o.key)] = or
}

// numberAt evaluates a number expression with its variables at places.
func numberAt(ctx context.Context, p *compiled, g []ref.Val) (float64, error) {
	v, err := p.evalAt(ctx, g)
	if err != nil {
		return 0, err
	}
	return asNumber(v)
}

// asNumber is a number expression's value as a float64.
func asNumber(v ref.Val) (float64, error) {
	switch x := v.(type) {
	case types.Double:
		return float64(x), nil
	case types.Int:
		return float64(x), nil
	case types.Uint:
		return float64(x), nil
	}
	return 0, fmt.Errorf("want a number, got %v", v)
}

// stringAt evaluates a string expression with its variables at places,
// with fast, a program of p for where it runs.
func stringAt(ctx context.Context, p *compiled, fast *fastcel.Program, g []ref.Val) (string, error) {
	v, err := p.evalWith(ctx, fast, g)
	if err != nil {
		return "", err
	}
	s, ok := v.(types.String)
	if !ok {
		return "", fmt.Errorf("want a string, got %v", v)
	}
	return string(s), nil
}

// withoutNulls is a CEL map as Go, without the keys whose value is null
// (so that a rule can leave a free key out).
func withoutNulls(v any) map[string]any {
	m, _ := v.(map[string]any)
	for k, x := range m {
		if x == nil {
			delete(m, k)
		}
	}
	return m
}

// native converts a CEL value to plain Go values (maps, lists, numbers,
// strings, bools), for JSON and Rego.
func native(v ref.Val) any {
	switch x := v.(type) {
	case types.Int:
		return int64(x)
	case types.Uint:
		return uint64(x)
	case types.Double:
		return float64(x)
	case types.String:
		return string(x)
	case types.Bool:
		return bool(x)
	case types.Null:
		return nil
	case traits.Mapper:
		out := map[string]any{}
		for it := x.Iterator(); it.HasNext() == types.True; {
			k := it.Next()
			out[fmt.Sprint(native(k))] = native(x.Get(k))
		}
		return out
	case traits.Lister:
		n := int(x.Size().(types.Int))
		out := make([]any, n)
		for i := range n {
			out[i] = native(x.Get(types.Int(i)))
		}
		return out
	}
	return v.Value()
}
