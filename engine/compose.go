package engine

import (
	"fmt"
	"os"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/google/cel-go/cel"
	celast "github.com/google/cel-go/common/ast"
)

// deps says what an expression depends on besides the record: the track,
// the option, and which named values.
type deps struct {
	track, option bool
	values        []string
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

// composed is one CEL program that computes everything one record (a
// tenant, a person) adds to every aggregate of a designation, so that a
// record costs one evaluation: its values are bound once with cel.bind at
// the level they depend on (record, track, option) and shared below.
type composed struct {
	prg cel.Program
	// The program returns [shared, [per track: [slots, [per option: slots]]]];
	// these are the slots at each place.
	shared []int
	tracks [][]int
	opts   [][][]int
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

func (c *compiler) composeTenants(d *Designation, env *cel.Env) *composed {
	return c.compose(d, env, "tenants", d.values)
}

func (c *compiler) composePeople(d *Designation, env *cel.Env) *composed {
	return c.compose(d, env, "people", d.peopleValues)
}

// compose writes the program for records of kind over as CEL text, with
// each value and aggregate as written in rules.yaml, and compiles it once.
func (c *compiler) compose(d *Designation, env *cel.Env, over string, values []*namedExpr) *composed {
	cp := &composed{tracks: make([][]int, len(d.Tracks)), opts: make([][][]int, len(d.Tracks))}
	type entry struct {
		slot int
		text string
		deps deps
	}
	var shared []entry
	trackEntries := make([][]entry, len(d.Tracks))
	optEntries := make([]map[string][]entry, len(d.Tracks))
	optOrder := make([][]string, len(d.Tracks))
	seen := map[int]bool{}
	for _, in := range d.instances(over) {
		s := d.slotOf(in)
		if seen[s] {
			continue
		}
		seen[s] = true
		text := in.agg.expr.src.Text
		if in.metric != nil {
			// The aggregate's metric, for rules shared by several metrics.
			text = fmt.Sprintf("cel.bind(%s, %s, (\n%s\n))", varMetric, strconv.Quote(in.metric.ID), text)
		}
		e := entry{slot: s, text: text, deps: in.agg.deps}
		ti := slices.Index(d.Tracks, in.track)
		switch {
		case !in.agg.deps.track && !in.agg.deps.option:
			shared = append(shared, e)
		case !in.agg.deps.option:
			trackEntries[ti] = append(trackEntries[ti], e)
		default:
			if ti < 0 {
				continue // a partner aggregate on an option: refused when compiled
			}
			if optEntries[ti] == nil {
				optEntries[ti] = map[string][]entry{}
			}
			if _, ok := optEntries[ti][in.option]; !ok {
				optOrder[ti] = append(optOrder[ti], in.option)
			}
			optEntries[ti][in.option] = append(optEntries[ti][in.option], e)
		}
	}
	needed := func(es []entry) map[string]bool {
		out := map[string]bool{}
		for _, e := range es {
			for _, v := range e.deps.values {
				out[v] = true
			}
		}
		return out
	}
	all := append([]entry{}, shared...)
	for ti := range d.Tracks {
		all = append(all, trackEntries[ti]...)
		for _, o := range optOrder[ti] {
			all = append(all, optEntries[ti][o]...)
		}
	}
	// bind wraps body in the values of one level that some entry needs.
	bind := func(want map[string]bool, level func(deps) bool, body string) string {
		var b strings.Builder
		n := 0
		for _, v := range values {
			if want[v.name] && level(v.deps) {
				fmt.Fprintf(&b, "cel.bind(%s, (\n%s\n), ", v.name, v.expr.src.Text)
				n++
			}
		}
		b.WriteString(body)
		b.WriteString(strings.Repeat(")", n))
		return b.String()
	}
	list := func(es []entry, slots *[]int) string {
		var parts []string
		for _, e := range es {
			parts = append(parts, "dyn(\n"+e.text+"\n)")
			*slots = append(*slots, e.slot)
		}
		return "[" + strings.Join(parts, ", ") + "]"
	}
	var tracks []string
	for ti, t := range d.Tracks {
		var opts []string
		cp.opts[ti] = make([][]int, len(optOrder[ti]))
		var trackNeed []entry
		trackNeed = append(trackNeed, trackEntries[ti]...)
		for oi, o := range optOrder[ti] {
			es := optEntries[ti][o]
			trackNeed = append(trackNeed, es...)
			body := bind(needed(es), func(x deps) bool { return x.option }, list(es, &cp.opts[ti][oi]))
			opts = append(opts, fmt.Sprintf("cel.bind(%s, %s, %s)", varOption, strconv.Quote(o), body))
		}
		inner := "[" + list(trackEntries[ti], &cp.tracks[ti]) + ", [" + strings.Join(opts, ", ") + "]]"
		body := bind(needed(trackNeed), func(x deps) bool { return x.track && !x.option }, inner)
		tracks = append(tracks, fmt.Sprintf("cel.bind(%s, %s, %s)", varTrack, strconv.Quote(t), body))
	}
	text := bind(needed(all), func(x deps) bool { return !x.track && !x.option },
		"["+list(shared, &cp.shared)+", ["+strings.Join(tracks, ", ")+"]]")
	t0 := time.Now()
	ast, iss := env.Compile(text)
	if os.Getenv("EVAL_TIMING") != "" {
		fmt.Fprintf(os.Stderr, "compose %s %s: %d bytes, compile %v\n", d.ID, over, len(text), time.Since(t0))
	}
	if iss.Err() != nil {
		c.errs = append(c.errs, PolicyError{File: c.file, Message: fmt.Sprintf("the %s' rules do not compose into one program: %v", over, iss.Err())})
		return nil
	}
	t0 = time.Now()
	prg, err := c.program(env, ast)
	if os.Getenv("EVAL_TIMING") != "" {
		fmt.Fprintf(os.Stderr, "compose %s %s: program %v\n", d.ID, over, time.Since(t0))
	}
	if err != nil {
		c.errs = append(c.errs, PolicyError{File: c.file, Message: fmt.Sprintf("the %s' rules: %v", over, err)})
		return nil
	}
	cp.prg = prg
	return cp
}
