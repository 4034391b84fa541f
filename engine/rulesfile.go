package engine

import (
	"bytes"
	"fmt"
	"regexp"
	"strings"

	"gopkg.in/yaml.v3"
)

// RulesFile is the name of a designation's CEL rules inside its folder.
const RulesFile = "rules.yaml"

// exprSource is one CEL expression as written in rules.yaml, with where it
// starts so that compile errors point into the file.
type exprSource struct {
	Name string // e.g. "month.deployed" or "metrics[usage_growth].reporting"
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

// Unit names one unit of a metric's value, in the singular and the plural
// ("customer", "customers"), for the plan of what it takes. rules.yaml gives
// it as {one: customer, many: customers}, or as one word used for both.
type Unit struct {
	One  string `yaml:"one" json:"-"`
	Many string `yaml:"many" json:"-"`
}

// UnmarshalYAML accepts a word or {one, many}.
func (u *Unit) UnmarshalYAML(n *yaml.Node) error {
	if n.Kind == yaml.ScalarNode {
		u.One, u.Many = n.Value, n.Value
		return nil
	}
	type plain Unit
	var p plain
	if err := n.Decode(&p); err != nil {
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
func (u Unit) For(n int64) string {
	if n == 1 || n == -1 {
		return u.One
	}
	return u.Many
}

// conditionSource is one named condition of a rule that holds when all its
// conditions do; says is a CEL string explaining a failure.
type conditionSource struct {
	ID   string     `yaml:"id"`
	Rule exprSource `yaml:"rule"`
	Says exprSource `yaml:"says"`
}

// noteSource explains a record's part in a metric when `when` holds.
type noteSource struct {
	ID      string     `yaml:"id"`
	When    exprSource `yaml:"when"`
	LeftOut bool       `yaml:"left_out"`
	Says    exprSource `yaml:"says"`
}

// metricSource declares one metric: what each record adds in the reporting
// and the baseline month, and what it sums over.
type metricSource struct {
	ID string `yaml:"id"`
	// Over is "tenants" or "people".
	Over string `yaml:"over"`
	// PerOption scores the metric once per attribution type of the track.
	PerOption bool         `yaml:"per_option"`
	Unit      Unit         `yaml:"unit"`
	Reporting exprSource   `yaml:"reporting"`
	Baseline  exprSource   `yaml:"baseline"`
	Notes     []noteSource `yaml:"notes"`
}

// rulesSource is the content of rules.yaml. Its names are the engine's
// contract with a bundle; what the expressions decide is the bundle's.
type rulesSource struct {
	Tracks            exprSource `yaml:"tracks"`
	AttributionTypes  exprSource `yaml:"attribution_types"`
	EligibleWorkloads exprSource `yaml:"eligible_workloads"`
	CertNames         exprSource `yaml:"certification_names"`
	TrackTypes        exprSource `yaml:"track_types"`
	AssociationTiers  exprSource `yaml:"association_tiers"`
	Month             struct {
		Eligible    []conditionSource `yaml:"eligible"`
		Deployed    exprSource        `yaml:"deployed"`
		ActiveUsers exprSource        `yaml:"active_users"`
	} `yaml:"month"`
	Certification struct {
		Counts []conditionSource `yaml:"counts"`
		Level  exprSource        `yaml:"level"`
	} `yaml:"certification"`
	Metrics []metricSource `yaml:"metrics"`
	Points  exprSource     `yaml:"points"`
	Plan    struct {
		MinTotal  exprSource `yaml:"min_total"`
		MinMetric exprSource `yaml:"min_metric"`
		Tolerance exprSource `yaml:"tolerance"`
		Effort    exprSource `yaml:"effort"`
	} `yaml:"plan"`
	Notices struct {
		Certification []conditionSource `yaml:"certification"`
		Evaluation    []conditionSource `yaml:"evaluation"`
	} `yaml:"notices"`
	RetentionMonths exprSource `yaml:"retention_months"`
}

var notFound = regexp.MustCompile(`field (\S+) not found in type \S+`)

// parseRules reads rules.yaml strictly: an unknown or missing key is an error.
func parseRules(file string, src []byte) (*rulesSource, PolicyErrors) {
	var doc struct {
		CEL *rulesSource `yaml:"cel"`
	}
	dec := yaml.NewDecoder(bytes.NewReader(src))
	dec.KnownFields(true)
	if err := dec.Decode(&doc); err != nil {
		var errs PolicyErrors
		if te, ok := err.(*yaml.TypeError); ok {
			for _, e := range te.Errors {
				pe := yamlPolicyError(file, fmt.Errorf("%s", e))
				pe.Message = notFound.ReplaceAllString(pe.Message, "unknown key $1")
				errs = append(errs, pe)
			}
			return nil, errs
		}
		return nil, PolicyErrors{yamlPolicyError(file, err)}
	}
	if doc.CEL == nil {
		return nil, PolicyErrors{{File: file, Line: 1, Message: "missing top-level key cel"}}
	}
	rs := doc.CEL
	var errs PolicyErrors
	need := func(name string, x *exprSource) {
		x.Name = name
		if x.Text == "" {
			errs = append(errs, PolicyError{File: file, Line: 1, Message: "missing cel." + name})
		}
	}
	optional := func(name string, x *exprSource) { x.Name = name }
	need("tracks", &rs.Tracks)
	need("attribution_types", &rs.AttributionTypes)
	need("eligible_workloads", &rs.EligibleWorkloads)
	need("track_types", &rs.TrackTypes)
	optional("certification_names", &rs.CertNames)
	optional("association_tiers", &rs.AssociationTiers)
	need("month.deployed", &rs.Month.Deployed)
	need("month.active_users", &rs.Month.ActiveUsers)
	need("certification.level", &rs.Certification.Level)
	need("points", &rs.Points)
	need("plan.min_total", &rs.Plan.MinTotal)
	need("plan.min_metric", &rs.Plan.MinMetric)
	optional("plan.tolerance", &rs.Plan.Tolerance)
	need("plan.effort", &rs.Plan.Effort)
	optional("retention_months", &rs.RetentionMonths)
	conditions := func(group string, cs []conditionSource) {
		for i := range cs {
			c := &cs[i]
			if c.ID == "" {
				errs = append(errs, PolicyError{File: file, Line: c.Rule.line, Message: fmt.Sprintf("%s[%d]: missing id", group, i)})
			}
			need(fmt.Sprintf("%s[%s].rule", group, c.ID), &c.Rule)
			optional(fmt.Sprintf("%s[%s].says", group, c.ID), &c.Says)
		}
	}
	if len(rs.Month.Eligible) == 0 {
		errs = append(errs, PolicyError{File: file, Line: 1, Message: "missing cel.month.eligible (a list of conditions)"})
	}
	conditions("month.eligible", rs.Month.Eligible)
	conditions("certification.counts", rs.Certification.Counts)
	conditions("notices.certification", rs.Notices.Certification)
	conditions("notices.evaluation", rs.Notices.Evaluation)
	for i := range rs.Metrics {
		m := &rs.Metrics[i]
		line := m.Reporting.line
		if m.ID == "" {
			errs = append(errs, PolicyError{File: file, Line: line, Message: fmt.Sprintf("metrics[%d]: missing id", i)})
		}
		if m.Over != "tenants" && m.Over != "people" {
			errs = append(errs, PolicyError{File: file, Line: line, Message: fmt.Sprintf("metrics[%s].over: want tenants or people, got %q", m.ID, m.Over)})
		}
		if m.PerOption && m.Over != "tenants" {
			errs = append(errs, PolicyError{File: file, Line: line, Message: fmt.Sprintf("metrics[%s]: per_option needs over: tenants", m.ID)})
		}
		need(fmt.Sprintf("metrics[%s].reporting", m.ID), &m.Reporting)
		optional(fmt.Sprintf("metrics[%s].baseline", m.ID), &m.Baseline)
		for k := range m.Notes {
			n := &m.Notes[k]
			need(fmt.Sprintf("metrics[%s].notes[%s].when", m.ID, n.ID), &n.When)
			need(fmt.Sprintf("metrics[%s].notes[%s].says", m.ID, n.ID), &n.Says)
		}
	}
	if len(rs.Metrics) == 0 {
		errs = append(errs, PolicyError{File: file, Line: 1, Message: "missing cel.metrics"})
	}
	return rs, errs
}

func yamlPolicyError(file string, err error) PolicyError {
	msg := strings.TrimPrefix(err.Error(), "yaml: ")
	var line int
	if _, scanErr := fmt.Sscanf(msg, "line %d:", &line); scanErr == nil {
		msg = strings.TrimSpace(msg[strings.Index(msg, ":")+1:])
	} else if strings.HasPrefix(msg, "unmarshal errors:\n  line ") {
		fmt.Sscanf(strings.TrimPrefix(msg, "unmarshal errors:\n  "), "line %d:", &line)
		msg = strings.TrimSpace(msg[strings.Index(msg, "line"):])
		msg = strings.TrimSpace(msg[strings.Index(msg, ":")+1:])
	}
	return PolicyError{File: file, Line: line, Message: msg}
}
