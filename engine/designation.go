package engine

import (
	"context"
	"fmt"
	"maps"
	"reflect"
	"slices"
	"sort"
	"strings"

	"evaluate/facts"

	"github.com/google/cel-go/cel"
	"github.com/google/cel-go/common/types"
	"github.com/google/cel-go/common/types/ref"
	"github.com/open-policy-agent/opa/v1/rego"
)

// Designation is one compiled designation: its parameters, the CEL programs
// that score its tenants and people, its metrics and the prepared Rego
// verdict.
type Designation struct {
	// ID is the designation's folder name and the Rego package.
	ID string
	// Source is the folder the bundle was read from, or EmbeddedSource;
	// Hash a content hash of every file of the designation's folder, so a
	// score can be traced to the exact rules.
	Source, Hash string
	// Params is params.yaml as decoded.
	Params map[string]any
	// Warnings are what params.schema.yaml's warning rules found.
	Warnings PolicyErrors
	// Tracks are scored in this order; Metrics are shown in this order.
	Tracks  []string
	Metrics []*Metric

	months      map[string]int
	ranges      map[string][2]int
	vars        tenantSlots
	assocMonths bool
	inEffect    string
	needs       facts.Needs
	layout      *layout
	// schema is the part of the fact schema this designation declares.
	schema facts.Schema
	// names are its track, metric and option names as CEL values.
	names map[string]ref.Val
	// functions are the tenant rules' functions, as written (share.go).
	functions []string

	values       []*namedExpr
	peopleValues []*namedExpr
	partner      []*Aggregate
	tenantFlow   *flow
	peopleFlow   *flow
	warnings     *compiled
	warningKind  string
	evalNotices  []rule
	certNotices  *itemRules
	resultExtra  *compiled
	header       *compiled
	// windows remembers what result_extra and the header say of each
	// reporting month and evaluation date (window).
	windows     levelMemo[windowSaid]
	retention   int
	partnerOver string
	// slots are the aggregate totals a record's program fills.
	slots     []slot
	slotIndex map[string]int
	rego      *rego.PreparedEvalQuery
	counts    struct{ expressions, modules int }
	// schemaChecked: params.yaml was checked against a params.schema.yaml.
	schemaChecked bool
}

// namedExpr is a value computed per tenant or person.
type namedExpr struct {
	name string
	expr *compiled
	deps deps
}

// Metric is one metric of a designation.
type Metric struct {
	ID   string
	Over string // tenants or people
	// Options are the metric's options per track (nil: none).
	Options map[string][]string
	// optionKeys are each track's options as the keys of the options map.
	optionKeys map[string]*fieldKeys
	Combine    string // "options" or "sources" ("" without options)
	// ValueUnit is written after the value for people ("%"; "" for none),
	// OptionUnits after each option's.
	ValueUnit   string
	OptionUnits map[string]string
	Aggregates  []*Aggregate
	value       *compiled
	points      *compiled
	maxPoints   *compiled
	extra       *compiled
	chosen      *compiled
	combPoints  *compiled
	combValue   *compiled
	// places are the formulas' variables; aggPlaces those of Aggregates.
	places    places
	aggPlaces []int
	// formulas are the formulas compiled for each track and option.
	formulas map[string]*trackFormulas
	// planPoints remembers the planner's points by track and aggregate
	// totals, for every partner, when the formulas read nothing else
	// (pointsOfTotals).
	planPoints     levelMemo[float64]
	pointsOfTotals bool
}

// optionsAll are the metric's options on any track, sorted.
func (m *Metric) optionsAll() []string {
	var all []string
	for _, os := range m.Options {
		all = append(all, os...)
	}
	slices.Sort(all)
	return slices.Compact(all)
}

// optionsOf are the metric's options on a track ("" alone without any).
func (m *Metric) optionsOf(track string) []string {
	if m.Options == nil {
		return []string{""}
	}
	return m.Options[track]
}

// Aggregate is one aggregate of a metric (or of the partner): what each
// record adds and how the parts combine.
type Aggregate struct {
	ID      string
	Op      string // sum, count, sum_by, union
	expr    *compiled
	deps    deps
	plan    *aggregatePlan
	explain *aggregateExplain
}

type aggregatePlan struct {
	unit     Unit
	effort   *compiled
	of       *compiled // nil: the unit says it all
	step     int64
	scale    float64
	byOption map[string]*aggregatePlan
	// efforts and ofs remember effort and of by their level.
	efforts levelMemo[float64]
	ofs     levelMemo[[]string]
}

// forOption is the plan of one option.
func (p *aggregatePlan) forOption(o string) *aggregatePlan {
	if q, ok := p.byOption[o]; ok {
		return q
	}
	return p
}

type aggregateExplain struct {
	says     string
	shown    *compiled // over track, metric and option; nil: always
	scale    float64
	unit     string
	byOption map[string]*explainShow
	detail   *compiled
	leftOut  []rule
	notes    []rule
	items    *itemRules
}

// rule is a named condition with what it says when it holds.
type rule struct {
	id, name   string
	when, says *compiled
}

// itemRules are rules over the items of a record (each certification of a
// person).
type itemRules struct {
	over  *compiled
	as    string
	name  *compiled
	rules []rule
	env   *cel.Env
	// places and item lay the rules out for the fast path (fastItems):
	// only the notices' rules are, explanations run on cel-go.
	places *places
	item   int
}

// RetentionMonths is how many full months before a month still keep a
// designation earned in them.
func (d *Designation) RetentionMonths() int { return d.retention }

// Summary says what the designation holds, for `evaluate check`.
func (d *Designation) Summary() string {
	params := "params valid"
	if !d.schemaChecked {
		params = "params not checked (no " + SchemaFile + ")"
	}
	return fmt.Sprintf("%s, %s, %s, %s, %s", count(len(d.Tracks), "track"), count(len(d.Metrics), "metric"),
		count(d.counts.expressions, "CEL expression"), count(d.counts.modules, "Rego module"), params)
}

func count(n int, thing string) string {
	if n == 1 {
		return "1 " + thing
	}
	return fmt.Sprintf("%d %ss", n, thing)
}

// tenantScope are the variables of expressions about one tenant.
func (d *declared) tenantScope() []cel.EnvOption {
	vars := []cel.EnvOption{
		cel.Variable(varTenant, cel.ObjectType(typeTenant)),
		cel.Variable(varTrack, cel.StringType), cel.Variable(varOption, cel.StringType), cel.Variable(varMetric, cel.StringType),
	}
	for _, name := range sortedKeys(d.rs.Months) {
		vars = append(vars, cel.Variable(name, cel.ObjectType(typeMonth)))
	}
	for _, name := range sortedKeys(d.rs.Ranges) {
		vars = append(vars, cel.Variable(name, cel.ListType(cel.ObjectType(typeMonth))))
	}
	if d.rs.AssociationMonths {
		vars = append(vars, cel.Variable(varAt, monthMapType))
	}
	return vars
}

// tenantVars are the variables a tenant record sets, as tenantScope
// declares them.
func (d *declared) tenantVars() []string {
	vars := []string{varTenant}
	vars = append(vars, sortedKeys(d.rs.Months)...)
	vars = append(vars, sortedKeys(d.rs.Ranges)...)
	if d.rs.AssociationMonths {
		vars = append(vars, varAt)
	}
	return vars
}

func (d *declared) personScope() []cel.EnvOption {
	return []cel.EnvOption{
		cel.Variable(varPerson, cel.ObjectType(typePerson)), cel.Variable(varAsOf, cel.StringType),
		cel.Variable(varTrack, cel.StringType), cel.Variable(varOption, cel.StringType), cel.Variable(varMetric, cel.StringType),
	}
}

func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

func dynVars(names []string) []cel.EnvOption {
	var out []cel.EnvOption
	for _, n := range names {
		out = append(out, cel.Variable(n, cel.DynType))
	}
	return out
}

// internNames makes the CEL value of every track, metric and option name
// once: scoring binds them for each metric evaluated (the plans evaluate
// thousands per partner), and a string made a ref.Val each time is an
// allocation each time.
func (d *Designation) internNames() {
	d.names = map[string]ref.Val{"": types.String("")}
	add := func(s string) { d.names[s] = types.String(s) }
	for _, t := range d.Tracks {
		add(t)
	}
	for _, m := range d.Metrics {
		add(m.ID)
		for _, opts := range m.Options {
			for _, o := range opts {
				add(o)
			}
		}
	}
}

// name is s as a CEL value, made once for the designation's own names.
func (d *Designation) name(s string) ref.Val {
	if v, ok := d.names[s]; ok {
		return v
	}
	return types.String(s)
}

// reads reports whether the designation reads the fact series name.
func (d *Designation) reads(name string) bool {
	return slices.ContainsFunc(d.schema.Series, func(s facts.Series) bool { return s.Name == name })
}

// compile compiles a declared designation against the run's layout.
func (d *declared) compile(ctx context.Context, l *layout, deferExplain bool) (*Designation, PolicyErrors) {
	rs := d.rs
	ts := newTypeSet(l, d.series, d.attrs)
	c := &compiler{file: d.rulesPath, src: d.src, params: d.params, ts: ts, deferExplain: deferExplain, trusted: deferExplain, missingKeys: d.missingKeys}
	base, err := newBaseEnv(ts, d.params)
	if err != nil {
		return nil, PolicyErrors{{File: d.rulesPath, Message: fmt.Sprintf("CEL environment: %v", err)}}
	}
	c.env = base
	des := &Designation{ID: d.id, Source: d.source, Hash: d.hash, Params: d.params, Warnings: d.warnings,
		months: rs.Months, ranges: map[string][2]int{}, assocMonths: rs.AssociationMonths, inEffect: rs.InEffect, layout: l}
	for name, r := range rs.Ranges {
		des.ranges[name] = [2]int{r[0], r[1]}
	}
	des.needs = d.needs()
	des.schema = d.schema
	for _, f := range rs.Functions {
		des.functions = append(des.functions, f.Def+"="+f.Body.Text)
	}

	// Tracks, and the options of each metric per track, come from params.
	des.Tracks, _ = evalParams[[]string](c, base, &rs.Tracks, wantStrList)
	sort.Strings(des.Tracks)

	// Tenants: functions, then values in order, each seeing those before.
	var valueNames []string
	for _, v := range rs.Values {
		valueNames = append(valueNames, v.Name)
	}
	tenantEnv := c.functions(base, append(d.tenantScope(), dynVars(valueNames)...), rs.Functions)
	tenantEnv = c.extend(tenantEnv, d.tenantScope()...)
	tenantEnv, des.values = c.values(tenantEnv, rs.Values)
	tenantDeps := valueDeps(des.values)

	var peopleNames []string
	for _, v := range rs.People.Values {
		peopleNames = append(peopleNames, v.Name)
	}
	personEnv := c.functions(base, append(d.personScope(), dynVars(peopleNames)...), rs.People.Functions)
	personEnv = c.extend(personEnv, d.personScope()...)
	personEnv, des.peopleValues = c.values(personEnv, rs.People.Values)
	peopleDeps := valueDeps(des.peopleValues)

	for i := range rs.Metrics {
		ms := &rs.Metrics[i]
		env, known := tenantEnv, tenantDeps
		if ms.Over == "people" {
			env, known = personEnv, peopleDeps
		}
		des.Metrics = append(des.Metrics, c.metric(des, ms, env, base, known))
	}
	if pa := rs.Partner; pa != nil {
		env, known := tenantEnv, tenantDeps
		if pa.Over == "people" {
			env, known = personEnv, peopleDeps
		}
		des.partnerOver = pa.Over
		for i := range pa.Aggregates {
			a := c.aggregate("partner", &pa.Aggregates[i], env, base, known)
			if a == nil {
				continue
			}
			if a.deps.track || a.deps.option {
				c.errs = append(c.errs, PolicyError{File: d.rulesPath, Line: pa.Aggregates[i].line, Message: fmt.Sprintf("partner.aggregates[%s]: a partner aggregate is the same on every track: it cannot use track or option", a.ID)})
			}
			des.partner = append(des.partner, a)
		}
	}
	if w := rs.TenantWarnings; w != nil {
		des.warnings = c.compile(tenantEnv, &w.Says, wantStrList)
		des.warningKind = w.Kind
	}
	evalEnv := c.extend(base, cel.Variable(varMonth, cel.StringType), cel.Variable(varMonthEnd, cel.StringType),
		cel.Variable(varAsOf, cel.StringType), cel.Variable(varGiven, cel.BoolType),
		cel.Variable(varLatest, cel.MapType(cel.StringType, cel.StringType)))
	c.once(func() { des.evalNotices = c.rules("notices.evaluation", evalEnv, rs.Notices.Evaluation) })
	if np := rs.Notices.People; np != nil {
		des.certNotices = c.itemRules("notices.people", personEnv, &np.Over, np.As, nil, np.Rules)
	}
	windowEnv := c.extend(base, cel.Variable(varMonths, cel.MapType(cel.StringType, cel.StringType)), cel.Variable(varAsOf, cel.StringType))
	c.once(func() {
		des.resultExtra = c.compile(windowEnv, &rs.ResultExtra, wantMap)
		des.header = c.compile(windowEnv, &rs.Header, wantString)
	})
	if rs.RetentionMonths.Text != "" {
		if n, ok := evalParams[int64](c, base, &rs.RetentionMonths, wantInt); ok {
			des.retention = int(n)
		}
	}
	if len(c.errs) == 0 {
		des.tenantFlow = c.newFlow(des, "tenants", d.tenantVars(), des.values)
		des.vars = des.tenantSlotsOf(des.tenantFlow)
		des.peopleFlow = c.newFlow(des, "people", []string{varPerson, varAsOf}, des.peopleValues)
		if des.certNotices != nil {
			c.fastItems(des.certNotices, des.peopleFlow, des.peopleValues, l)
		}
		if des.warnings != nil {
			if dp := dependsOn(des.warnings, tenantDeps); dp.track || dp.option || len(dp.values) > 0 {
				c.errorAt(&rs.TenantWarnings.Says, 1, 0, "tenant warnings are about the tenant and its months: they cannot use track, option or the values")
			}
			c.fast(des.warnings, &des.tenantFlow.places, l)
		}
	}
	des.counts.expressions = c.count
	des.schemaChecked = d.schemaChecked
	pq, modules, regoErrs := prepareRego(ctx, d.fsys, d.id, d.id, d.params)
	des.counts.modules = modules
	des.rego = pq
	// A Rego reference to a key the schema found missing is that error
	// again.
	regoErrs = slices.DeleteFunc(regoErrs, func(e PolicyError) bool {
		for k := range d.missingKeys {
			if strings.HasPrefix(e.Message, "data."+d.id+"."+k+": ") {
				return true
			}
		}
		return false
	})
	errs := append(c.errs, regoErrs...)
	if len(errs) > 0 {
		return nil, errs
	}
	des.internNames()
	if d.paramsBroken {
		// The verdict run on broken params fails with a Rego type error
		// that only repeats their schema's error (a string for a number).
		return des, nil
	}
	if err := des.checkShape(ctx); err != nil {
		pe := PolicyError{File: d.id, Message: err.Error()}
		if strings.Contains(pe.Message, "data."+d.id+"."+ResultRule) {
			// What the Rego returned: shown at its result rule. (A CEL
			// formula that failed names its own place in the message.)
			pe.File, pe.Line = resultRuleAt(d.fsys, d.id)
		}
		return nil, PolicyErrors{pe}
	}
	return des, nil
}

// needs are the months the designation looks at, relative to M.
func (d *declared) needs() facts.Needs {
	n := facts.Needs{AssocMonths: d.rs.AssociationMonths}
	for _, off := range d.rs.Months {
		n.Offsets = append(n.Offsets, off)
	}
	for _, r := range d.rs.Ranges {
		for off := r[0]; off <= r[1]; off++ {
			n.Offsets = append(n.Offsets, off)
		}
	}
	slices.Sort(n.Offsets)
	n.Offsets = slices.Compact(n.Offsets)
	return n
}

// values compiles named values in order, each declared to those after it
// with its type.
func (c *compiler) values(env *cel.Env, vs []valueSource) (*cel.Env, []*namedExpr) {
	var out []*namedExpr
	for i := range vs {
		v := &vs[i]
		p := c.compile(env, &v.Expr, nil)
		if p == nil {
			env = c.extend(env, cel.Variable(v.Name, cel.DynType))
			continue
		}
		out = append(out, &namedExpr{name: v.Name, expr: p})
		env = c.extend(env, cel.Variable(v.Name, p.ast.OutputType()))
	}
	return env, out
}

// aggregateType is the CEL type of an aggregate's total.
func aggregateType(op string) *cel.Type {
	switch op {
	case "sum_by":
		return cel.MapType(cel.StringType, cel.IntType)
	case "union":
		return cel.ListType(cel.StringType)
	}
	return cel.IntType
}

func (c *compiler) metric(des *Designation, ms *metricSource, env, base *cel.Env, known map[string]deps) *Metric {
	m := &Metric{ID: ms.ID, Over: ms.Over, ValueUnit: ms.ValueUnit, OptionUnits: ms.OptionUnits.Units}
	name := fmt.Sprintf("metrics[%s]", ms.ID)
	if ms.Options.Text != "" {
		m.Options, m.optionKeys = map[string][]string{}, map[string]*fieldKeys{}
		optEnv := c.extend(base, cel.Variable(varTrack, cel.StringType), cel.Variable(varMetric, cel.StringType))
		var p *compiled
		c.once(func() { p = c.compile(optEnv, &ms.Options, wantStrList) })
		if p != nil {
			for _, t := range des.Tracks {
				v, err := p.eval(map[string]any{varTrack: t, varMetric: ms.ID})
				if err != nil {
					c.errorAt(&ms.Options, 1, 0, fmt.Sprintf("track %s: %v", t, err))
					continue
				}
				opts, err := evalStrings(v)
				if err != nil || len(opts) == 0 {
					c.errorAt(&ms.Options, 1, 0, fmt.Sprintf("track %s: want a non-empty list of names, got %v", t, v))
					continue
				}
				m.Options[t] = opts
				m.optionKeys[t] = newFieldKeys(opts...)
			}
		}
		m.Combine = ms.Combine.As
	}
	// A unit for an option no track has would never be shown.
	for _, o := range slices.Sorted(maps.Keys(ms.OptionUnits.Units)) {
		if !slices.ContainsFunc(des.Tracks, func(t string) bool { return slices.Contains(m.Options[t], o) }) {
			c.errs = append(c.errs, PolicyError{File: c.file, Line: ms.OptionUnits.line, Message: fmt.Sprintf("%s.option_units: %q is not an option of the metric%s", name, o, facts.Suggest(o, m.optionsAll()))})
		}
	}
	aggVars := []cel.EnvOption{cel.Variable(varTrack, cel.StringType), cel.Variable(varOption, cel.StringType),
		cel.Variable(varMetric, cel.StringType), cel.Variable(varPartner, cel.MapType(cel.StringType, cel.DynType))}
	reserved := []string{varTrack, varOption, varMetric, varPartner, varValue, varParams}
	for i := range ms.Aggregates {
		as := &ms.Aggregates[i]
		if slices.Contains(reserved, as.ID) {
			c.errs = append(c.errs, PolicyError{File: c.file, Line: as.line, Message: fmt.Sprintf("%s.aggregates[%s]: the name %s is taken by a variable of the rules", name, as.ID, as.ID)})
			continue
		}
		a := c.aggregate(name, as, env, base, known)
		if a == nil {
			continue
		}
		m.Aggregates = append(m.Aggregates, a)
		op, _ := as.op()
		aggVars = append(aggVars, cel.Variable(as.ID, aggregateType(op)))
	}
	c.once(func() { c.metricFormulas(m, ms, base, aggVars) })
	// The formulas' variables, at places of their own: the planner
	// evaluates them thousands of times per partner.
	for _, v := range []string{varTrack, varOption, varMetric, varPartner, varValue, "points", varOptions, varChosen, varMax} {
		m.places.place(v)
	}
	for _, a := range m.Aggregates {
		m.aggPlaces = append(m.aggPlaces, m.places.place(a.ID))
	}
	for _, x := range []*compiled{m.value, m.points, m.maxPoints, m.extra, m.chosen, m.combPoints, m.combValue} {
		c.fast(x, &m.places, des.layout)
	}
	c.specializeFormulas(des, m)
	m.pointsOfTotals = pointsOfTotals(m)
	m.planPoints.limit = maxPlanPoints
	return m
}

// maxPlanPoints bounds a metric's memo of plan points: with a few counts
// of people or customers, partners of a population try the same totals.
const maxPlanPoints = 16384

// pointsOfTotals tells whether a metric's points on a track are a function
// of its integer aggregate totals alone: no formula the planner evaluates
// reads the partner's values, and every aggregate is a sum or a count.
// Then plans of different partners share their points.
func pointsOfTotals(m *Metric) bool {
	for _, a := range m.Aggregates {
		if aggregateType(a.Op) != cel.IntType {
			return false
		}
	}
	for _, x := range []*compiled{m.value, m.points, m.maxPoints, m.chosen, m.combPoints} {
		if x != nil && (x.ast == nil || referencesName(x.ast, varPartner)) {
			return false
		}
	}
	return true
}

// levelEnv is base with a metric's level: its track, metric and option
// (max_points, plan efforts, whether an explanation is shown).
func (c *compiler) levelEnv(base *cel.Env) *cel.Env {
	return c.extend(base, cel.Variable(varTrack, cel.StringType), cel.Variable(varMetric, cel.StringType), cel.Variable(varOption, cel.StringType))
}

// metricFormulas compiles a metric's formulas over its aggregates.
func (c *compiler) metricFormulas(m *Metric, ms *metricSource, base *cel.Env, aggVars []cel.EnvOption) {
	metricEnv := c.extend(base, aggVars...)
	m.value = c.compile(metricEnv, &ms.Value, wantNumber)
	m.points = c.compile(c.extend(metricEnv, cel.Variable(varValue, cel.DoubleType)), &ms.Points, wantNumber)
	maxEnv := c.levelEnv(base)
	m.maxPoints = c.compile(maxEnv, &ms.MaxPoints, wantNumber)
	m.extra = c.compile(c.extend(metricEnv, cel.Variable(varValue, cel.DoubleType), cel.Variable("points", cel.DoubleType)), &ms.Extra, wantMap)
	if cs := ms.Combine; cs != nil {
		combEnv := c.extend(base, cel.Variable(varOptions, cel.MapType(cel.StringType, cel.MapType(cel.StringType, cel.DoubleType))),
			cel.Variable(varTrack, cel.StringType), cel.Variable(varMetric, cel.StringType), cel.Variable(varMax, cel.DoubleType))
		if cs.As == "options" {
			m.chosen = c.compile(combEnv, &cs.Chosen, wantString)
			combEnv = c.extend(combEnv, cel.Variable(varChosen, cel.StringType))
		}
		m.combPoints = c.compile(combEnv, &cs.Points, wantNumber)
		m.combValue = c.compile(combEnv, &cs.Value, wantNumber)
	}
}

func (c *compiler) aggregate(group string, as *aggregateSource, env, base *cel.Env, known map[string]deps) *Aggregate {
	op, x := as.op()
	want := map[string][]*cel.Type{"sum": wantInt, "count": wantBool, "sum_by": wantSumBy, "union": wantStrList}[op]
	a := &Aggregate{ID: as.ID, Op: op, expr: c.compile(env, x, want)}
	if a.expr == nil {
		return nil
	}
	a.deps = dependsOn(a.expr, known)
	if pl := as.Plan; pl != nil {
		effEnv := c.levelEnv(base)
		mk := func(pl *planSource) *aggregatePlan {
			ap := &aggregatePlan{unit: pl.Unit, step: pl.Step, scale: pl.Scale}
			if pl.Effort.Text != "" {
				c.once(func() { ap.effort = c.compile(effEnv, &pl.Effort, wantNumber) })
			}
			if pl.Of.Text != "" {
				c.once(func() {
					ap.of = c.compile(c.extend(effEnv, cel.Variable(varAsOf, cel.StringType)), &pl.Of, wantStrList)
				})
			}
			return ap
		}
		a.plan = mk(pl)
		for o, po := range pl.ByOption {
			if a.plan.byOption == nil {
				a.plan.byOption = map[string]*aggregatePlan{}
			}
			q := mk(po)
			if q.effort == nil {
				q.effort = a.plan.effort
			}
			if q.of == nil {
				q.of = a.plan.of
			}
			a.plan.byOption[o] = q
		}
	}
	if ex := as.Explain; ex != nil {
		c.explaining(func() { c.explain(a, group, ex, env, base) })
	}
	return a
}

// explain compiles what an aggregate's explanation says.
func (c *compiler) explain(a *Aggregate, group string, ex *explainSource, env, base *cel.Env) {
	a.explain = &aggregateExplain{says: ex.Says, scale: ex.Scale, unit: ex.Unit, byOption: ex.ByOption, detail: c.compile(env, &ex.Detail, wantString)}
	if ex.Shown.Text != "" {
		a.explain.shown = c.compile(c.levelEnv(base), &ex.Shown, wantBool)
	}
	name := fmt.Sprintf("%s.aggregates[%s].explain", group, a.ID)
	a.explain.leftOut = c.rules(name+".left_out", env, ex.LeftOut)
	a.explain.notes = c.rules(name+".notes", env, ex.Notes)
	if it := ex.Items; it != nil {
		a.explain.items = c.itemRules(name+".items", env, &it.Over, it.As, &it.Name, it.LeftOut)
	}
}

func (c *compiler) rules(group string, env *cel.Env, rs []ruleSource) []rule {
	var out []rule
	for i := range rs {
		r := &rs[i]
		out = append(out, rule{id: r.ID, name: fmt.Sprintf("%s[%s]", group, r.ID),
			when: c.compile(env, &r.When, wantBool), says: c.compile(env, &r.Says, wantString)})
	}
	return out
}

// itemRules compiles rules over the items of a list: over is the list, as
// names one item.
func (c *compiler) itemRules(group string, env *cel.Env, over *exprSource, as string, name *exprSource, rs []ruleSource) *itemRules {
	// The list is checked now, deferred or not: its type is the item's.
	saved := c.deferring
	c.deferring = false
	p := c.compile(env, over, nil)
	c.deferring = saved
	if p == nil {
		return nil
	}
	elem := cel.DynType
	if t := p.ast.OutputType(); len(t.Parameters()) == 1 {
		elem = t.Parameters()[0]
	}
	itemEnv := c.extend(env, cel.Variable(as, elem))
	ir := &itemRules{over: p, as: as, env: itemEnv, rules: c.rules(group, itemEnv, rs)}
	if name != nil {
		ir.name = c.compile(itemEnv, name, wantString)
	}
	return ir
}

// evalStrings reads a CEL list of strings.
func evalStrings(v ref.Val) ([]string, error) {
	native, err := v.ConvertToNative(reflect.TypeFor[[]string]())
	if err != nil {
		return nil, err
	}
	return native.([]string), nil
}
