package engine

import (
	"bytes"
	"fmt"
	"strings"

	"evaluate/facts"

	"gopkg.in/yaml.v3"
)

// RulesFile is the name of a designation's CEL rules inside its folder.
const RulesFile = "rules.yaml"

// exprSource is one CEL expression as written in rules.yaml, with where it
// starts so that compile errors point into the file.
type exprSource struct {
	Name string // e.g. "month.eligible" or "metrics[3].value"
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

// metricSource declares one metric: what its per-record value is and what
// it sums over.
type metricSource struct {
	ID string `yaml:"id"`
	// Over is "tenants" or "people".
	Over string `yaml:"over"`
	// PerOption scores the metric once per attribution type of the track.
	PerOption bool       `yaml:"per_option"`
	Value     exprSource `yaml:"value"`
	line      int
}

// rulesSource is the content of rules.yaml. Its names are the engine's
// contract with a bundle; what the expressions decide is the bundle's.
type rulesSource struct {
	Tracks            exprSource            `yaml:"tracks"`
	AttributionTypes  exprSource            `yaml:"attribution_types"`
	EligibleWorkloads exprSource            `yaml:"eligible_workloads"`
	TrackTypes        exprSource            `yaml:"track_types"`
	Month             map[string]exprSource `yaml:"month"`
	Person            map[string]exprSource `yaml:"person"`
	Metrics           []metricSource        `yaml:"metrics"`
	Points            exprSource            `yaml:"points"`
}

// parseRules reads rules.yaml strictly: an unknown or missing key is an error.
func parseRules(file string, src []byte) (*rulesSource, PolicyErrors) {
	var doc struct {
		CEL yaml.Node `yaml:"cel"`
	}
	dec := yaml.NewDecoder(bytes.NewReader(src))
	dec.KnownFields(true)
	if err := dec.Decode(&doc); err != nil {
		return nil, PolicyErrors{yamlPolicyError(file, err)}
	}
	if doc.CEL.Kind == 0 {
		return nil, PolicyErrors{{File: file, Line: 1, Message: "missing top-level key cel"}}
	}
	var rs rulesSource
	if err := doc.CEL.Decode(&rs); err != nil {
		return nil, PolicyErrors{yamlPolicyError(file, err)}
	}
	var errs PolicyErrors
	// Strict keys: yaml.v3's KnownFields applies to the top decoder only.
	errs = append(errs, unknownKeys(file, &doc.CEL, rulesKeys)...)
	metricsNode := child(&doc.CEL, "metrics")
	for i := range rs.Metrics {
		m := &rs.Metrics[i]
		if metricsNode != nil && i < len(metricsNode.Content) {
			m.line = metricsNode.Content[i].Line
			errs = append(errs, unknownKeys(file, metricsNode.Content[i], []string{"id", "over", "per_option", "value"})...)
		}
		m.Value.Name = fmt.Sprintf("metrics[%s].value", m.ID)
		if m.ID == "" {
			errs = append(errs, PolicyError{File: file, Line: m.line, Message: fmt.Sprintf("metrics[%d]: missing id", i)})
		}
		if m.Over != "tenants" && m.Over != "people" {
			errs = append(errs, PolicyError{File: file, Line: m.line, Message: fmt.Sprintf("metrics[%d].over: want tenants or people, got %q", i, m.Over)})
		}
		if m.PerOption && m.Over != "tenants" {
			errs = append(errs, PolicyError{File: file, Line: m.line, Message: fmt.Sprintf("metrics[%d]: per_option needs over: tenants", i)})
		}
	}
	for _, e := range []struct {
		name string
		x    *exprSource
	}{{"tracks", &rs.Tracks}, {"attribution_types", &rs.AttributionTypes}, {"eligible_workloads", &rs.EligibleWorkloads}, {"track_types", &rs.TrackTypes}, {"points", &rs.Points}} {
		e.x.Name = e.name
		if e.x.Text == "" {
			errs = append(errs, PolicyError{File: file, Line: doc.CEL.Line, Message: "missing cel." + e.name})
		}
	}
	for _, group := range []struct {
		name string
		m    map[string]exprSource
		want []string
	}{{"month", rs.Month, monthRules}, {"person", rs.Person, personRules}} {
		for _, k := range group.want {
			if _, ok := group.m[k]; !ok {
				errs = append(errs, PolicyError{File: file, Line: doc.CEL.Line, Message: fmt.Sprintf("missing cel.%s.%s", group.name, k)})
			}
		}
		for k, x := range group.m {
			x.Name = group.name + "." + k
			group.m[k] = x
		}
		if n := child(&doc.CEL, group.name); n != nil {
			errs = append(errs, unknownKeys(file, n, group.want)...)
		}
	}
	return &rs, errs
}

var rulesKeys = []string{"tracks", "attribution_types", "eligible_workloads", "track_types", "month", "person", "metrics", "points"}

// The month and person rules the engine evaluates, by name.
var (
	monthRules  = []string{ruleEligible, ruleDeployed, ruleActiveUsers}
	personRules = []string{ruleLevels}
)

const (
	ruleEligible    = "eligible"
	ruleDeployed    = "deployed"
	ruleActiveUsers = "active_users"
	ruleLevels      = "levels"
)

func child(n *yaml.Node, key string) *yaml.Node {
	if n.Kind != yaml.MappingNode {
		return nil
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		if n.Content[i].Value == key {
			return n.Content[i+1]
		}
	}
	return nil
}

func unknownKeys(file string, n *yaml.Node, allowed []string) PolicyErrors {
	var errs PolicyErrors
	if n.Kind != yaml.MappingNode {
		return nil
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k := n.Content[i]
		known := false
		for _, a := range allowed {
			known = known || a == k.Value
		}
		if !known {
			errs = append(errs, PolicyError{File: file, Line: k.Line, Column: k.Column,
				Message: fmt.Sprintf("unknown key %q%s (allowed: %s)", k.Value, facts.Suggest(k.Value, allowed), strings.Join(allowed, ", "))})
		}
	}
	return errs
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
