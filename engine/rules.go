package engine

import (
	"bytes"
	"fmt"
	"reflect"
	"regexp"
	"slices"
	"strings"
	"sync"

	"evaluate/facts"

	"gopkg.in/yaml.v3"
)

// RulesFile is the name of a designation's CEL rules inside its folder.
const RulesFile = "rules.yaml"

// exprSource is one CEL expression as written in rules.yaml, with where it
// starts so that compile errors point into the file.
type exprSource struct {
	Name string // e.g. "metrics[usage_growth].points"
	Text string
	// line and col of the expression's first character; block scalars
	// (| or >) start on the line after the indicator.
	line, col int
	style     yaml.Style
}

// UnmarshalYAML keeps the node's position.
func (e *exprSource) UnmarshalYAML(n *yaml.Node) error {
	if n.Kind != yaml.ScalarNode {
		return fmt.Errorf("line %d: want a CEL expression (a string)", n.Line)
	}
	e.Text, e.line, e.col, e.style = n.Value, n.Line, n.Column, n.Style
	return nil
}

// position maps a 1-based line and 0-based column inside the expression to a
// line and 1-based column of the file.
func (e *exprSource) position(src []byte, line, col int) (int, int) {
	switch e.style {
	case yaml.LiteralStyle, yaml.FoldedStyle:
		// The expression's columns count from the block's indentation,
		// which its first line sets.
		return e.line + line, indentOf(src, e.line+1) + col + 1
	case yaml.DoubleQuotedStyle, yaml.SingleQuotedStyle:
		return e.line, e.col + 1 + col
	default:
		return e.line, e.col + col
	}
}

func indentOf(src []byte, line int) int {
	lines := bytes.Split(src, []byte("\n"))
	if line < 1 || line > len(lines) {
		return 0
	}
	l := lines[line-1]
	return len(l) - len(bytes.TrimLeft(l, " \t"))
}

// Unit names one unit of what a plan adds, in the singular and the plural
// ("customer", "customers"); rules.yaml gives it as {one: customer, many:
// customers}, or as one word used for both.
type Unit struct {
	One  string `yaml:"one"`
	Many string `yaml:"many"`
}

// UnmarshalYAML accepts a word or {one, many}.
func (u *Unit) UnmarshalYAML(n *yaml.Node) error {
	if n.Kind == yaml.ScalarNode {
		u.One, u.Many = n.Value, n.Value
		return nil
	}
	type plain Unit
	var p plain
	if err := strictDecode(n, &p); err != nil {
		return err
	}
	*u = Unit(p)
	if u.One == "" {
		u.One = u.Many
	}
	if u.Many == "" {
		u.Many = u.One
	}
	return nil
}

// For is the form of the unit for n of them.
func (u Unit) For(n float64) string {
	if n == 1 || n == -1 {
		return u.One
	}
	return u.Many
}

// optionUnits are a metric's option_units, with their line for errors.
type optionUnits struct {
	Units map[string]string
	line  int
}

// UnmarshalYAML keeps the line.
func (u *optionUnits) UnmarshalYAML(n *yaml.Node) error {
	u.line = n.Line
	return strictDecode(n, &u.Units)
}

// ruleSource is one named condition: when it holds, says explains it.
type ruleSource struct {
	ID   string     `yaml:"id"`
	When exprSource `yaml:"when"`
	Says exprSource `yaml:"says"`
}

// itemsSource explains the items of a record (a person's certifications)
// that count for nothing, by the first rule that holds for each.
type itemsSource struct {
	Over    exprSource   `yaml:"over"`
	As      string       `yaml:"as"`
	Name    exprSource   `yaml:"name"`
	LeftOut []ruleSource `yaml:"left_out"`
}

// explainSource is what --explain says of an aggregate's records.
type explainSource struct {
	Says string `yaml:"says"`
	// Shown, when given, is whether the aggregate is explained at all on a
	// track, metric and option (false for one that is only there for
	// plans, or a step the metric's params leave out).
	Shown exprSource `yaml:"shown"`
	// Scale and Unit show the aggregate to people: its total and each
	// part divided by scale (100 for cents), followed by unit ("USD").
	Scale float64 `yaml:"scale"`
	Unit  string  `yaml:"unit"`
	// ByOption overrides says, scale and unit for one option of the metric
	// (Security's usage: cents of Azure ACR, or Microsoft 365 users).
	ByOption map[string]*explainShow `yaml:"by_option"`
	Detail   exprSource              `yaml:"detail"`
	LeftOut  []ruleSource            `yaml:"left_out"`
	Notes    []ruleSource            `yaml:"notes"`
	Items    *itemsSource            `yaml:"items"`
}

// explainShow is how an aggregate is shown to people for one option.
type explainShow struct {
	Says  string  `yaml:"says"`
	Scale float64 `yaml:"scale"`
	Unit  string  `yaml:"unit"`
	line  int
}

// UnmarshalYAML keeps the line, for errors.
func (s *explainShow) UnmarshalYAML(n *yaml.Node) error {
	type plain explainShow
	var p plain
	err := strictDecode(n, &p)
	*s = explainShow(p)
	s.line = n.Line
	return err
}

// planSource makes an aggregate something the plan of what it takes may
// add to: searched in steps of step units, each step costing effort (the
// last step then taken down to the unit, its effort in proportion), shown
// divided by scale.
type planSource struct {
	Unit   Unit       `yaml:"unit"`
	Effort exprSource `yaml:"effort"`
	Step   int64      `yaml:"step"`
	Scale  float64    `yaml:"scale"`
	// Of, over track, metric, option and as_of, lists the names of what
	// counts (the certifications of a step), so that a step says which to
	// get.
	Of exprSource `yaml:"of"`
	// ByOption overrides the plan for one option of the metric (a part
	// counted in other units).
	ByOption map[string]*planSource `yaml:"by_option"`
}

// aggregateSource is one aggregate of a metric: what each record adds,
// and how the records' parts combine.
type aggregateSource struct {
	ID      string         `yaml:"id"`
	Sum     exprSource     `yaml:"sum"`
	Count   exprSource     `yaml:"count"`
	SumBy   exprSource     `yaml:"sum_by"`
	Union   exprSource     `yaml:"union"`
	Plan    *planSource    `yaml:"plan"`
	Explain *explainSource `yaml:"explain"`
	line    int
}

// combineSource says how a metric's options combine.
type combineSource struct {
	As     string     `yaml:"as"`
	Chosen exprSource `yaml:"chosen"`
	Points exprSource `yaml:"points"`
	Value  exprSource `yaml:"value"`
}

type metricSource struct {
	ID         string            `yaml:"id"`
	Over       string            `yaml:"over"`
	Options    exprSource        `yaml:"options"`
	Combine    *combineSource    `yaml:"combine"`
	Aggregates []aggregateSource `yaml:"aggregates"`
	Value      exprSource        `yaml:"value"`
	Points     exprSource        `yaml:"points"`
	MaxPoints  exprSource        `yaml:"max_points"`
	Extra      exprSource        `yaml:"extra"`
	// ValueUnit is written after the metric's value for people ("%");
	// OptionUnits after an option's or part's value (Security's Azure
	// part in USD, its Microsoft 365 part in users).
	ValueUnit   string      `yaml:"value_unit"`
	OptionUnits optionUnits `yaml:"option_units"`
	line        int
}

// functionSource is a reusable CEL rule with typed parameters, written
// def: "name(p: Type, ...)".
type functionSource struct {
	Def  string     `yaml:"def"`
	Body exprSource `yaml:"body"`
	line int
}

type valueSource struct {
	Name string     `yaml:"name"`
	Expr exprSource `yaml:"expr"`
}

type measureSource struct {
	Kind     string `yaml:"kind"`
	Required bool   `yaml:"required"`
}

// UnmarshalYAML accepts a kind alone or {kind, required}.
func (m *measureSource) UnmarshalYAML(n *yaml.Node) error {
	if n.Kind == yaml.ScalarNode {
		m.Kind = n.Value
		return nil
	}
	type plain measureSource
	var p plain
	err := strictDecode(n, &p)
	*m = measureSource(p)
	return err
}

type checkSource struct {
	When string `yaml:"when"`
	Kind string `yaml:"kind"`
	Says string `yaml:"says"`
}

type seriesSource struct {
	Keys     []string      `yaml:"keys"`
	Rows     string        `yaml:"rows"`
	Noun     string        `yaml:"noun"`
	Measures yaml.Node     `yaml:"measures"` // ordered
	Checks   []checkSource `yaml:"checks"`
	Used     exprSource    `yaml:"used"`
	Names    exprSource    `yaml:"names"`
	measures []string
	kinds    map[string]measureSource
}

type attrSource struct {
	Kind          string     `yaml:"kind"`
	Values        exprSource `yaml:"values"`
	Distinguishes bool       `yaml:"distinguishes"`
}

type factsSource struct {
	Series             yaml.Node             `yaml:"series"` // ordered
	AttributionTypes   exprSource            `yaml:"attribution_types"`
	Attributes         map[string]attrSource `yaml:"association_attributes"`
	CertificationNames exprSource            `yaml:"certification_names"`
	series             []string
	seriesBy           map[string]*seriesSource
}

type partnerSource struct {
	Over       string            `yaml:"over"`
	Aggregates []aggregateSource `yaml:"aggregates"`
}

type peopleSource struct {
	Functions []functionSource `yaml:"functions"`
	Values    []valueSource    `yaml:"values"`
}

type warningsSource struct {
	Kind string     `yaml:"kind"`
	Says exprSource `yaml:"says"`
}

type noticesSource struct {
	Evaluation []ruleSource `yaml:"evaluation"`
	People     *struct {
		Over  exprSource   `yaml:"over"`
		As    string       `yaml:"as"`
		Rules []ruleSource `yaml:"rules"`
	} `yaml:"people"`
}

// rulesSource is the content of rules.yaml. Its names are the engine's
// contract with a bundle; what the expressions decide is the bundle's.
type rulesSource struct {
	Facts             factsSource      `yaml:"facts"`
	InEffect          string           `yaml:"in_effect"`
	Months            map[string]int   `yaml:"months"`
	Ranges            map[string][]int `yaml:"ranges"`
	AssociationMonths bool             `yaml:"association_months"`
	Tracks            exprSource       `yaml:"tracks"`
	Functions         []functionSource `yaml:"functions"`
	Values            []valueSource    `yaml:"values"`
	TenantWarnings    *warningsSource  `yaml:"tenant_warnings"`
	Metrics           []metricSource   `yaml:"metrics"`
	Partner           *partnerSource   `yaml:"partner"`
	People            peopleSource     `yaml:"people"`
	Notices           noticesSource    `yaml:"notices"`
	ResultExtra       exprSource       `yaml:"result_extra"`
	Header            exprSource       `yaml:"header"`
	RetentionMonths   exprSource       `yaml:"retention_months"`
}

var notFound = regexp.MustCompile(`field (\S+) not found in type \S+`)

// rulesKeys are every key rules.yaml may hold, at any depth: the names an
// unknown key is compared with for "did you mean".
var rulesKeys = sync.OnceValue(func() []string {
	seen := map[string]bool{}
	var walk func(t reflect.Type)
	walk = func(t reflect.Type) {
		for t.Kind() == reflect.Pointer || t.Kind() == reflect.Slice || t.Kind() == reflect.Map {
			t = t.Elem()
		}
		if t.Kind() != reflect.Struct || seen["\x00"+t.String()] {
			return
		}
		seen["\x00"+t.String()] = true
		for i := 0; i < t.NumField(); i++ {
			f := t.Field(i)
			if name, _, _ := strings.Cut(f.Tag.Get("yaml"), ","); name != "" && name != "-" {
				seen[name] = true
			}
			walk(f.Type)
		}
	}
	walk(reflect.TypeFor[rulesSource]())
	var keys []string
	for k := range seen {
		if !strings.HasPrefix(k, "\x00") {
			keys = append(keys, k)
		}
	}
	slices.Sort(keys)
	return keys
})

// parseRules reads rules.yaml strictly: an unknown key is an error, and so
// is a missing one the engine needs.
func parseRules(file string, src []byte) (*rulesSource, PolicyErrors) {
	var doc struct {
		CEL *rulesSource `yaml:"cel"`
	}
	dec := yaml.NewDecoder(bytes.NewReader(src))
	dec.KnownFields(true)
	if err := dec.Decode(&doc); err != nil {
		if te, ok := err.(*yaml.TypeError); ok {
			return nil, typeErrors(file, src, te)
		}
		return nil, PolicyErrors{yamlPolicyError(file, src, err)}
	}
	if doc.CEL == nil {
		return nil, PolicyErrors{{File: file, Line: 1, Message: "missing top-level key cel"}}
	}
	rs := doc.CEL
	p := &rulesParser{file: file, src: src}
	p.check(rs)
	return rs, p.errs
}

type rulesParser struct {
	file string
	src  []byte
	errs PolicyErrors
}

func (p *rulesParser) errorf(line int, format string, args ...any) {
	p.errs = append(p.errs, PolicyError{File: p.file, Line: max(line, 1), Message: fmt.Sprintf(format, args...)})
}

func (p *rulesParser) need(name string, x *exprSource) {
	x.Name = name
	if x.Text == "" {
		p.errorf(x.line, "missing cel.%s", name)
	}
}

func optional(name string, x *exprSource) { x.Name = name }

func (p *rulesParser) rules(group string, rs []ruleSource, needSays bool) {
	for i := range rs {
		r := &rs[i]
		if r.ID == "" {
			p.errorf(r.When.line, "%s[%d]: missing id", group, i)
		}
		p.need(fmt.Sprintf("%s[%s].when", group, r.ID), &r.When)
		if needSays {
			p.need(fmt.Sprintf("%s[%s].says", group, r.ID), &r.Says)
		} else {
			optional(fmt.Sprintf("%s[%s].says", group, r.ID), &r.Says)
		}
	}
}

func (p *rulesParser) check(rs *rulesSource) {
	p.checkFacts(&rs.Facts)
	switch rs.InEffect {
	case "last_day", "first_day", "any_day":
	case "":
		p.errorf(1, "missing cel.in_effect (last_day, first_day or any_day: the day of a month on which an association must be in effect)")
	default:
		p.errorf(1, "cel.in_effect: %q is not last_day, first_day or any_day", rs.InEffect)
	}
	for name, r := range rs.Ranges {
		if len(r) != 2 || r[0] > r[1] {
			p.errorf(1, "cel.ranges.%s: want [first, last] offsets from the reporting month, first <= last", name)
		}
	}
	for name, off := range rs.Months {
		if off > 0 || off < -120 {
			p.errorf(1, "cel.months.%s: offset %d is not between -120 and 0", name, off)
		}
	}
	p.need("tracks", &rs.Tracks)
	p.functions("functions", rs.Functions)
	p.functions("people.functions", rs.People.Functions)
	p.values("values", rs.Values)
	p.values("people.values", rs.People.Values)
	if w := rs.TenantWarnings; w != nil {
		p.need("tenant_warnings.says", &w.Says)
	}
	if len(rs.Metrics) == 0 {
		p.errorf(1, "missing cel.metrics")
	}
	for i := range rs.Metrics {
		p.metric(&rs.Metrics[i], i)
	}
	if pa := rs.Partner; pa != nil {
		if pa.Over != "tenants" && pa.Over != "people" {
			p.errorf(1, "partner.over: want tenants or people, got %q", pa.Over)
		}
		p.aggregates("partner", pa.Aggregates)
	}
	p.rules("notices.evaluation", rs.Notices.Evaluation, true)
	if np := rs.Notices.People; np != nil {
		p.need("notices.people.over", &np.Over)
		if np.As == "" {
			p.errorf(np.Over.line, "notices.people.as: missing (the name of one item)")
		}
		p.rules("notices.people", np.Rules, true)
	}
	optional("result_extra", &rs.ResultExtra)
	optional("header", &rs.Header)
	optional("retention_months", &rs.RetentionMonths)
}

func (p *rulesParser) checkFacts(f *factsSource) {
	p.need("facts.attribution_types", &f.AttributionTypes)
	optional("facts.certification_names", &f.CertificationNames)
	f.seriesBy = map[string]*seriesSource{}
	if f.Series.Kind == yaml.MappingNode {
		for i := 0; i+1 < len(f.Series.Content); i += 2 {
			name := f.Series.Content[i].Value
			var s seriesSource
			if err := strictDecode(f.Series.Content[i+1], &s); err != nil {
				if te, ok := err.(*yaml.TypeError); ok {
					p.errs = append(p.errs, typeErrors(p.file, p.src, te)...)
				} else {
					p.errorf(f.Series.Content[i].Line, "facts.series.%s: %v", name, err)
				}
				continue
			}
			s.kinds = map[string]measureSource{}
			m := s.Measures
			for k := 0; m.Kind == yaml.MappingNode && k+1 < len(m.Content); k += 2 {
				var ms measureSource
				if err := strictDecode(m.Content[k+1], &ms); err != nil {
					p.errorf(m.Content[k].Line, "facts.series.%s.measures.%s: %v", name, m.Content[k].Value, err)
				}
				s.measures = append(s.measures, m.Content[k].Value)
				s.kinds[m.Content[k].Value] = ms
			}
			if len(s.Keys) == 0 || s.Rows == "" {
				p.errorf(f.Series.Content[i].Line, "facts.series.%s: needs keys (the fields naming an entry) and rows (the key of its monthly rows)", name)
			}
			optional("facts.series."+name+".used", &s.Used)
			optional("facts.series."+name+".names", &s.Names)
			f.series = append(f.series, name)
			f.seriesBy[name] = &s
		}
	}
	for name, a := range f.Attributes {
		optional("facts.association_attributes."+name+".values", &a.Values)
		if a.Values.Text == "" {
			p.errorf(1, "facts.association_attributes.%s.values: missing (a map of attribution type to the values it takes)", name)
		}
		f.Attributes[name] = a
	}
}

func (p *rulesParser) functions(group string, fs []functionSource) {
	for i := range fs {
		f := &fs[i]
		f.line = f.Body.line
		p.need(fmt.Sprintf("%s[%s]", group, f.Def), &f.Body)
		if _, _, err := parseDef(f.Def); err != nil {
			p.errorf(f.Body.line-1, "%s[%d].def: %v", group, i, err)
		}
	}
}

func (p *rulesParser) values(group string, vs []valueSource) {
	for i := range vs {
		v := &vs[i]
		if v.Name == "" {
			p.errorf(v.Expr.line, "%s[%d]: missing name", group, i)
		}
		p.need(fmt.Sprintf("%s[%s]", group, v.Name), &v.Expr)
	}
}

func (p *rulesParser) metric(m *metricSource, i int) {
	if m.ID == "" {
		p.errorf(m.Value.line, "metrics[%d]: missing id", i)
	}
	name := fmt.Sprintf("metrics[%s]", m.ID)
	if m.Over != "tenants" && m.Over != "people" {
		p.errorf(m.Value.line, "%s.over: want tenants or people, got %q", name, m.Over)
	}
	optional(name+".options", &m.Options)
	if (m.Options.Text == "") != (m.Combine == nil) {
		p.errorf(m.Value.line, "%s: options and combine go together (options name the parts, combine says how they make the metric)", name)
	}
	if c := m.Combine; c != nil {
		switch c.As {
		case "options":
			p.need(name+".combine.chosen", &c.Chosen)
		case "sources":
			optional(name+".combine.chosen", &c.Chosen)
			if c.Chosen.Text != "" {
				p.errorf(c.Chosen.line, "%s.combine.chosen: only a metric that takes one of its options (as: options) chooses one", name)
			}
		default:
			p.errorf(m.Value.line, "%s.combine.as: want options (the best one counts) or sources (parts that add up), got %q", name, c.As)
		}
		p.need(name+".combine.points", &c.Points)
		p.need(name+".combine.value", &c.Value)
	}
	if len(m.Aggregates) == 0 {
		p.errorf(m.Value.line, "%s: missing aggregates", name)
	}
	p.aggregates(name, m.Aggregates)
	p.need(name+".value", &m.Value)
	p.need(name+".points", &m.Points)
	p.need(name+".max_points", &m.MaxPoints)
	optional(name+".extra", &m.Extra)
}

func (p *rulesParser) aggregates(group string, as []aggregateSource) {
	for i := range as {
		a := &as[i]
		name := fmt.Sprintf("%s.aggregates[%s]", group, a.ID)
		if a.ID == "" {
			p.errorf(1, "%s.aggregates[%d]: missing id", group, i)
		}
		n := 0
		for _, x := range []struct {
			op string
			e  *exprSource
		}{{"sum", &a.Sum}, {"count", &a.Count}, {"sum_by", &a.SumBy}, {"union", &a.Union}} {
			optional(name+"."+x.op, x.e)
			if x.e.Text != "" {
				n++
				a.line = x.e.line
			}
		}
		if n != 1 {
			p.errorf(a.line, "%s: give exactly one of sum, count, sum_by, union", name)
		}
		if pl := a.Plan; pl != nil {
			p.plan(name+".plan", pl, true)
			for o, po := range pl.ByOption {
				p.plan(name+".plan.by_option."+o, po, false)
			}
		}
		if x := a.Explain; x != nil {
			optional(name+".explain.detail", &x.Detail)
			optional(name+".explain.shown", &x.Shown)
			if x.Scale < 0 {
				p.errorf(x.Detail.line, "%s.explain.scale: %v: want more than 0 (or none)", name, x.Scale)
			}
			for o, bo := range x.ByOption {
				if bo == nil || bo.Scale < 0 {
					line := x.Detail.line
					if bo != nil {
						line = bo.line
					}
					p.errorf(line, "%s.explain.by_option.%s: want says, unit or a scale above 0", name, o)
				}
			}
			p.rules(name+".explain.left_out", x.LeftOut, true)
			p.rules(name+".explain.notes", x.Notes, true)
			if it := x.Items; it != nil {
				p.need(name+".explain.items.over", &it.Over)
				p.need(name+".explain.items.name", &it.Name)
				if it.As == "" {
					p.errorf(it.Over.line, "%s.explain.items.as: missing (the name of one item)", name)
				}
				p.rules(name+".explain.items.left_out", it.LeftOut, true)
			}
		}
	}
}

func (p *rulesParser) plan(name string, pl *planSource, top bool) {
	if pl.Effort.Text != "" || top && len(pl.ByOption) == 0 {
		p.need(name+".effort", &pl.Effort)
	}
	optional(name+".of", &pl.Of)
	if pl.Step == 0 {
		pl.Step = 1
	}
	if pl.Scale == 0 {
		pl.Scale = 1
	}
	if pl.Step < 0 || pl.Scale < 0 || (pl.Unit.Many == "" && (top && len(pl.ByOption) == 0 || !top)) {
		p.errorf(pl.Effort.line, "%s: needs a unit, and a step and scale above 0", name)
	}
}

// op names an aggregate's operation and its expression.
func (a *aggregateSource) op() (string, *exprSource) {
	switch {
	case a.Sum.Text != "":
		return "sum", &a.Sum
	case a.Count.Text != "":
		return "count", &a.Count
	case a.SumBy.Text != "":
		return "sum_by", &a.SumBy
	}
	return "union", &a.Union
}

var defRE = regexp.MustCompile(`^\s*([A-Za-z_][A-Za-z0-9_]*)\s*\((.*)\)\s*$`)

// parseDef reads "name(p: Type, q: Type)".
func parseDef(def string) (string, [][2]string, error) {
	m := defRE.FindStringSubmatch(def)
	if m == nil {
		return "", nil, fmt.Errorf("want name(param: Type, ...), got %q", def)
	}
	var params [][2]string
	if strings.TrimSpace(m[2]) != "" {
		for _, part := range splitTop(m[2]) {
			name, typ, ok := strings.Cut(part, ":")
			if !ok {
				return "", nil, fmt.Errorf("parameter %q of %s has no type (want p: Type)", strings.TrimSpace(part), m[1])
			}
			params = append(params, [2]string{strings.TrimSpace(name), strings.TrimSpace(typ)})
		}
	}
	return m[1], params, nil
}

// splitTop splits at commas outside parentheses.
func splitTop(s string) []string {
	var out []string
	depth, start := 0, 0
	for i, c := range s {
		switch c {
		case '(':
			depth++
		case ')':
			depth--
		case ',':
			if depth == 0 {
				out = append(out, s[start:i])
				start = i + 1
			}
		}
	}
	return append(out, s[start:])
}

// typeErrors are yaml.v3's decoding errors with their lines; an unknown
// key (which yaml.v3 words with the Go type and no column) gets the key
// meant and a caret under it.
func typeErrors(file string, src []byte, te *yaml.TypeError) PolicyErrors {
	var errs PolicyErrors
	lines := strings.Split(string(src), "\n")
	for _, e := range te.Errors {
		pe := yamlPolicyError(file, src, fmt.Errorf("%s", e))
		if m := notFound.FindStringSubmatch(pe.Message); m != nil {
			pe.Message = "unknown key " + m[1] + facts.Suggest(m[1], rulesKeys())
			if pe.Line >= 1 && pe.Line <= len(lines) {
				if i := strings.Index(lines[pe.Line-1], m[1]+":"); i >= 0 {
					pe.Column = i + 1
					pe.Snippet = snippet(src, pe.Line, pe.Column)
				}
			}
		}
		errs = append(errs, pe)
	}
	return errs
}

// strictDecode is n.Decode(v) refusing keys v has no field for, as the
// decoder of rules.yaml does with KnownFields: a node decoded on its own
// (by an UnmarshalYAML, or a part read later) would otherwise drop a
// misspelt key silently. The unknown keys come back as yaml.v3 words them.
func strictDecode(n *yaml.Node, v any) error {
	var unknown []string
	var walk func(n *yaml.Node, t reflect.Type)
	walk = func(n *yaml.Node, t reflect.Type) {
		for n.Kind == yaml.AliasNode {
			n = n.Alias
		}
		for t.Kind() == reflect.Pointer {
			t = t.Elem()
		}
		if t == reflect.TypeFor[yaml.Node]() || reflect.PointerTo(t).Implements(reflect.TypeFor[yaml.Unmarshaler]()) {
			return // read as a node, or by its own UnmarshalYAML
		}
		switch {
		case t.Kind() == reflect.Slice && n.Kind == yaml.SequenceNode:
			for _, c := range n.Content {
				walk(c, t.Elem())
			}
		case t.Kind() == reflect.Map && n.Kind == yaml.MappingNode:
			for i := 1; i < len(n.Content); i += 2 {
				walk(n.Content[i], t.Elem())
			}
		case t.Kind() == reflect.Struct && n.Kind == yaml.MappingNode:
			fields := map[string]reflect.Type{}
			for i := 0; i < t.NumField(); i++ {
				if name, _, _ := strings.Cut(t.Field(i).Tag.Get("yaml"), ","); name != "" && name != "-" {
					fields[name] = t.Field(i).Type
				}
			}
			for i := 0; i+1 < len(n.Content); i += 2 {
				k := n.Content[i]
				ft, ok := fields[k.Value]
				if !ok {
					unknown = append(unknown, fmt.Sprintf("line %d: field %s not found in type %s", k.Line, k.Value, t))
					continue
				}
				walk(n.Content[i+1], ft)
			}
		}
	}
	walk(n, reflect.TypeOf(v))
	if err := n.Decode(v); err != nil {
		return err
	}
	if len(unknown) > 0 {
		return &yaml.TypeError{Errors: unknown}
	}
	return nil
}

func yamlPolicyError(file string, src []byte, err error) PolicyError {
	msg := strings.TrimPrefix(err.Error(), "yaml: ")
	var line int
	if strings.HasPrefix(msg, "line ") {
		line, msg = facts.YAMLSyntaxLine(err, src)
	} else if strings.HasPrefix(msg, "unmarshal errors:\n  line ") {
		fmt.Sscanf(strings.TrimPrefix(msg, "unmarshal errors:\n  "), "line %d:", &line)
		msg = strings.TrimSpace(msg[strings.Index(msg, "line"):])
		msg = strings.TrimSpace(msg[strings.Index(msg, ":")+1:])
	}
	return PolicyError{File: file, Line: line, Message: msg}
}
