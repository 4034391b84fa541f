package engine

import (
	"context"
	"fmt"
	"maps"
	"slices"

	"evaluate/internal/fastcel"

	celast "github.com/google/cel-go/common/ast"
	"github.com/google/cel-go/common/types"
	"github.com/google/cel-go/common/types/ref"
)

// flow is how one record (a tenant, a person) is scored for a designation:
// its variables sit at fixed places, and each value and aggregate is
// computed at the level it depends on: once per record, once per track,
// or once per track and option, and shared below. Every expression runs on
// the fast path (internal/fastcel) where it can, on cel-go otherwise and
// for every error message.
type flow struct {
	places
	track  int // places of the track, option and metric variables
	option int
	metric int
	shared level
	tracks []trackLevel
}

// places are where variables sit in the slice the fast path reads them
// from (and from which cel-go's activation is made).
type places struct {
	names []string // variable names by place
	index map[string]int
}

// place returns the place of a variable, making one on first use.
func (p *places) place(name string) int {
	if i, ok := p.index[name]; ok {
		return i
	}
	if p.index == nil {
		p.index = map[string]int{}
	}
	p.names = append(p.names, name)
	p.index[name] = len(p.names) - 1
	return len(p.names) - 1
}

// level is what one level computes: values in order, then aggregates.
type level struct {
	values []flowValue
	aggs   []flowAgg
}

type flowValue struct {
	place int
	expr  *compiled
	memo  int // the memo slot of a result shared with other designations, or -1
	// prog is expr's fast program for this level alone (see specialize).
	prog *fastcel.Program
}

type flowAgg struct {
	slot   int     // in the totals
	metric ref.Val // the aggregate's metric, as the variable metric sees it
	op     string
	expr   *compiled
	deps   deps
	memo   int
	prog   *fastcel.Program
}

type trackLevel struct {
	track   ref.Val
	level   level
	options []optionLevel
}

type optionLevel struct {
	option ref.Val
	level  level
}

// deps says what an expression depends on besides the record: the track,
// the option, and which named values.
type deps struct {
	track, option bool
	values        []string
}

// dependsOn works out an expression's dependencies, through the values it
// uses (known holds theirs).
func dependsOn(p *compiled, known map[string]deps) deps {
	refs := map[string]bool{}
	references(p.ast.NativeRep().Expr(), refs)
	var d deps
	for name := range refs {
		switch name {
		case varTrack:
			d.track = true
		case varOption:
			d.option = true
		default:
			if vd, ok := known[name]; ok {
				d.track = d.track || vd.track
				d.option = d.option || vd.option
				d.values = append(d.values, name)
				d.values = append(d.values, vd.values...)
			}
		}
	}
	slices.Sort(d.values)
	d.values = slices.Compact(d.values)
	return d
}

// valueDeps works out every value's dependencies, in order.
func valueDeps(values []*namedExpr) map[string]deps {
	known := map[string]deps{}
	for _, v := range values {
		v.deps = dependsOn(v.expr, known)
		known[v.name] = v.deps
	}
	return known
}

// instance is one aggregate on one track and option: a slot of the totals.
type instance struct {
	track, option string
	metric        *Metric // nil for a partner aggregate
	agg           *Aggregate
}

// slotKey identifies the instances that compute the same thing: those
// whose expression depends on neither track nor option share one slot
// across tracks and options, and so on.
func (in instance) slotKey() string {
	metric := "#partner"
	if in.metric != nil {
		metric = in.metric.ID
	}
	key := metric + "\x00" + in.agg.ID
	if in.agg.deps.track {
		key += "\x00" + in.track
	}
	if in.agg.deps.option {
		key += "\x00" + in.option
	}
	return key
}

// slotOf returns the slot of an instance, making one on first use.
func (d *Designation) slotOf(in instance) int {
	if d.slotIndex == nil {
		d.slotIndex = map[string]int{}
	}
	k := in.slotKey()
	if i, ok := d.slotIndex[k]; ok {
		return i
	}
	d.slots = append(d.slots, slot{op: in.agg.Op, key: k})
	d.slotIndex[k] = len(d.slots) - 1
	return len(d.slots) - 1
}

// slot is one aggregate total of a designation.
type slot struct {
	op  string
	key string
}

// instances lists every aggregate instance over records of kind over.
func (d *Designation) instances(over string) []instance {
	var out []instance
	for _, m := range d.Metrics {
		if m.Over != over {
			continue
		}
		for _, t := range d.Tracks {
			for _, o := range m.optionsOf(t) {
				for _, a := range m.Aggregates {
					out = append(out, instance{track: t, option: o, metric: m, agg: a})
				}
			}
		}
	}
	if d.partnerOver == over {
		for _, a := range d.partner {
			out = append(out, instance{agg: a})
		}
	}
	return out
}

// newFlow lays out the scoring of records of kind over: recordVars are
// the variables the record sets, values the named values in order.
func (c *compiler) newFlow(d *Designation, over string, recordVars []string, values []*namedExpr) *flow {
	f := &flow{}
	place := f.place
	for _, v := range recordVars {
		place(v)
	}
	f.track, f.option, f.metric = place(varTrack), place(varOption), place(varMetric)
	for _, v := range values {
		place(v.name)
	}

	type group struct {
		aggs []flowAgg
		need map[string]bool
	}
	add := func(g *group, in instance) {
		metric := ref.Val(types.String(""))
		if in.metric != nil {
			metric = types.String(in.metric.ID)
		}
		g.aggs = append(g.aggs, flowAgg{slot: d.slotOf(in), metric: metric, op: in.agg.Op, expr: in.agg.expr, deps: in.agg.deps, memo: -1})
		if g.need == nil {
			g.need = map[string]bool{}
		}
		for _, v := range in.agg.deps.values {
			g.need[v] = true
		}
	}
	var shared group
	tracks := make([]group, len(d.Tracks))
	opts := make([]map[string]*group, len(d.Tracks))
	optOrder := make([][]string, len(d.Tracks))
	seen := map[int]bool{}
	for _, in := range d.instances(over) {
		s := d.slotOf(in)
		if seen[s] {
			continue
		}
		seen[s] = true
		ti := slices.Index(d.Tracks, in.track)
		switch {
		case !in.agg.deps.track && !in.agg.deps.option:
			add(&shared, in)
		case ti < 0:
			continue // a partner aggregate on a track or option: refused when compiled
		case !in.agg.deps.option:
			add(&tracks[ti], in)
		default:
			if opts[ti] == nil {
				opts[ti] = map[string]*group{}
			}
			if opts[ti][in.option] == nil {
				opts[ti][in.option] = &group{}
				optOrder[ti] = append(optOrder[ti], in.option)
			}
			add(opts[ti][in.option], in)
		}
	}
	// Each level computes the values of its own level that it or a level
	// below needs, in order.
	valuesAt := func(need map[string]bool, atLevel func(deps) bool) []flowValue {
		var out []flowValue
		for _, v := range values {
			if need[v.name] && atLevel(v.deps) {
				out = append(out, flowValue{place: f.index[v.name], expr: v.expr, memo: -1})
			}
		}
		return out
	}
	union := func(sets ...map[string]bool) map[string]bool {
		out := map[string]bool{}
		for _, s := range sets {
			for k := range s {
				out[k] = true
			}
		}
		return out
	}
	all := []map[string]bool{shared.need}
	for ti := range d.Tracks {
		trackNeed := []map[string]bool{tracks[ti].need}
		var ol []optionLevel
		for _, o := range optOrder[ti] {
			g := opts[ti][o]
			trackNeed = append(trackNeed, g.need)
			ol = append(ol, optionLevel{option: types.String(o), level: level{
				values: valuesAt(g.need, func(x deps) bool { return x.option }),
				aggs:   g.aggs,
			}})
		}
		all = append(all, trackNeed...)
		f.tracks = append(f.tracks, trackLevel{track: types.String(d.Tracks[ti]), options: ol, level: level{
			values: valuesAt(union(trackNeed...), func(x deps) bool { return x.track && !x.option }),
			aggs:   tracks[ti].aggs,
		}})
	}
	f.shared = level{values: valuesAt(union(all...), func(x deps) bool { return !x.track && !x.option }), aggs: shared.aggs}

	for _, x := range f.exprs() {
		c.fast(x, &f.places, d.layout)
	}
	c.specialize(f, d.layout)
	return f
}

// specialize compiles each expression of the flow again for its level,
// where the track, the option and the metric are known, and so are the
// values of the levels above that were constant there: a track's
// attribution types, its seat range, params.tracks[track]... fold, and a
// test of option == "azure" picks its branch when compiled. Such a
// program gives what the level's generic one gives with the same
// variables, which run still sets.
func (c *compiler) specialize(f *flow, l *layout) {
	empty := ref.Val(types.String(""))
	compile := func(x *compiled, known map[int]ref.Val) *fastcel.Program {
		return c.specialized(x, &f.places, l, known)
	}
	at := func(lv *level, known map[int]ref.Val) {
		for i := range lv.values {
			v := &lv.values[i]
			v.prog = compile(v.expr, known)
			if v.prog == nil {
				continue
			}
			if k, ok := v.prog.Constant(); ok {
				known[v.place] = k
			}
		}
		for i := range lv.aggs {
			a := &lv.aggs[i]
			known[f.metric] = a.metric
			a.prog = compile(a.expr, known)
		}
		known[f.metric] = empty
	}
	// The shared level's values read neither track nor option: their
	// generic programs serve (compiling them again only costs the load).
	// Its aggregates may read their metric.
	for i := range f.shared.values {
		f.shared.values[i].prog = f.shared.values[i].expr.fastOrNil()
	}
	base := map[int]ref.Val{f.track: empty, f.option: empty, f.metric: empty}
	at(&level{aggs: f.shared.aggs}, maps.Clone(base))
	for ti := range f.tracks {
		t := &f.tracks[ti]
		tk := maps.Clone(base)
		tk[f.track] = t.track
		at(&t.level, tk)
		for oi := range t.options {
			o := &t.options[oi]
			ok := maps.Clone(tk)
			ok[f.option] = o.option
			at(&o.level, ok)
		}
	}
}

// specialized is x compiled for the fast path with the globals known
// fixed, or x's generic program where x has none or this compile fails.
func (c *compiler) specialized(x *compiled, f *places, l *layout, known map[int]ref.Val) *fastcel.Program {
	if x == nil || x.fast == nil {
		return x.fastOrNil()
	}
	if p, err := c.compileFast(x, f, l, known); err == nil {
		return p
	}
	return x.fast
}

// exprs are every expression the flow runs.
func (f *flow) exprs() []*compiled {
	var out []*compiled
	each := func(l *level) {
		for _, v := range l.values {
			out = append(out, v.expr)
		}
		for _, a := range l.aggs {
			out = append(out, a.expr)
		}
	}
	each(&f.shared)
	for ti := range f.tracks {
		each(&f.tracks[ti].level)
		for oi := range f.tracks[ti].options {
			each(&f.tracks[ti].options[oi].level)
		}
	}
	return out
}

// fast compiles x for the fast path, with its variables at places; an
// expression the fast path does not support runs on cel-go.
func (c *compiler) fast(x *compiled, f *places, l *layout) {
	if x == nil || x.places != nil {
		return
	}
	x.places = f
	if c.disp == nil {
		disp, err := fastcel.NewDispatcher(x.env)
		if err != nil {
			return
		}
		c.disp = disp
	}
	// An error leaves x to cel-go: ErrUnsupported, or a constant over the
	// limits, which check has refused already.
	if p, err := c.compileFast(x, f, l, nil); err == nil {
		x.fast = p
	}
}

// compileFast compiles x for the fast path with its variables at places
// f, those in known fixed (fastcel Options.Known).
func (c *compiler) compileFast(x *compiled, f *places, l *layout, known map[int]ref.Val) (*fastcel.Program, error) {
	opts := fastcel.Options{
		Global: func(name string) (int, bool) { i, ok := f.index[name]; return i, ok },
		Field:  l.fieldIndex,
		Known:  known,
	}
	if x.perPartner {
		opts.CostLimit = FormulaCostLimit
	}
	return fastcel.Compile(x.env, x.ast, c.disp, opts)
}

// evalAt evaluates x with its variables at their places: on the
// fast path, or on cel-go when the fast path has no program or ends in an
// error (cel-go's value and message are the ones reported then). An
// evaluation stopped by a limit or by ctx is not run again: it would be
// stopped again, later.
func (x *compiled) evalAt(ctx context.Context, g []ref.Val) (ref.Val, error) {
	return x.evalWith(ctx, x.fast, g)
}

// fastOrNil is x's generic fast program, or nil.
func (x *compiled) fastOrNil() *fastcel.Program {
	if x == nil {
		return nil
	}
	return x.fast
}

// evalWith is evalAt with fast, a program of x for where it runs.
func (x *compiled) evalWith(ctx context.Context, fast *fastcel.Program, g []ref.Val) (ref.Val, error) {
	if fast != nil && !slowCEL {
		v := fast.EvalContext(ctx, g)
		if !types.IsUnknownOrError(v) {
			return v, nil
		}
		if err := fastcel.Stopped(v); err != nil {
			return nil, x.stopped(ctx, err)
		}
	}
	return x.evalContext(ctx, x.places.activation(g))
}

// slowCEL turns the fast path off, for the test that compares the two.
var slowCEL bool

// activation is the variables at their places as cel-go's activation.
func (f *places) activation(g []ref.Val) map[string]any {
	act := make(map[string]any, len(f.names))
	for i, n := range f.names {
		if g[i] != nil {
			act[n] = g[i]
		}
	}
	return act
}

// run scores one record whose variables are set in g, adding to tot; m
// holds the record's results shared with other designations (or is nil).
func (f *flow) run(ctx context.Context, g []ref.Val, tot totals, m *memo) error {
	empty := ref.Val(types.String(""))
	g[f.track], g[f.option], g[f.metric] = empty, empty, empty
	if err := f.level(ctx, &f.shared, g, tot, m); err != nil {
		return err
	}
	for ti := range f.tracks {
		t := &f.tracks[ti]
		g[f.track], g[f.option], g[f.metric] = t.track, empty, empty
		if err := f.level(ctx, &t.level, g, tot, nil); err != nil {
			return err
		}
		for oi := range t.options {
			o := &t.options[oi]
			g[f.option], g[f.metric] = o.option, empty
			if err := f.level(ctx, &o.level, g, tot, nil); err != nil {
				return err
			}
		}
	}
	return nil
}

func (f *flow) level(ctx context.Context, l *level, g []ref.Val, tot totals, m *memo) error {
	for _, v := range l.values {
		x, ok := m.get(v.memo)
		if !ok {
			var err error
			if x, err = v.expr.evalWith(ctx, v.prog, g); err != nil {
				return fmt.Errorf("%s: %w", v.expr.src.Name, err)
			}
			m.put(v.memo, x)
		}
		g[v.place] = x
	}
	for _, a := range l.aggs {
		g[f.metric] = a.metric
		x, ok := m.get(a.memo)
		if !ok {
			var err error
			if x, err = a.expr.evalWith(ctx, a.prog, g); err != nil {
				return fmt.Errorf("%s: %w", a.expr.src.Name, err)
			}
			m.put(a.memo, x)
		}
		if err := tot[a.slot].add(a.op, x); err != nil {
			return fmt.Errorf("%s: %w", a.expr.src.Name, err)
		}
	}
	return nil
}

// references lists the identifiers an expression mentions.
func references(e celast.Expr, out map[string]bool) {
	if e.Kind() == celast.IdentKind {
		out[e.AsIdent()] = true
	}
	for _, ch := range children(e) {
		references(ch, out)
	}
}
