package engine

import (
	"fmt"
	"math"
	"slices"
	"sort"
	"strings"

	"evaluate/facts"

	"github.com/google/cel-go/cel"
	"gopkg.in/yaml.v3"
)

// SchemaFile is the name of a designation's parameter schema. The schema is
// part of the bundle, not of the engine: the engine only knows how to apply
// one, so the keys and limits of params.yaml stay the program's to define.
const SchemaFile = "params.schema.yaml"

// schema is a small structural schema in the spirit of JSON Schema and of
// Kubernetes' CRD validation rules: types, required and allowed keys, bounds,
// and CEL rules for what spans several keys.
type schema struct {
	Type                 string             `yaml:"type"` // object, array, string, number, integer, boolean
	Description          string             `yaml:"description"`
	Required             []string           `yaml:"required"`
	Properties           map[string]*schema `yaml:"properties"`
	AdditionalProperties *schema            `yaml:"additional_properties"`
	Items                *schema            `yaml:"items"`
	MinItems             *int               `yaml:"min_items"`
	// UniqueItems refuses an array that lists a scalar twice, at the
	// second one's line.
	UniqueItems      bool          `yaml:"unique_items"`
	Enum             []string      `yaml:"enum"`
	Minimum          *float64      `yaml:"minimum"`
	ExclusiveMinimum *float64      `yaml:"exclusive_minimum"`
	Maximum          *float64      `yaml:"maximum"`
	OneOf            []*schema     `yaml:"one_of"`
	Rules            []*schemaRule `yaml:"rules"`
}

// schemaRule is a CEL check on one node. Variables: self (the node's value),
// root (the whole parameters file) and keys (the map keys on the path to the
// node, outermost first).
type schemaRule struct {
	Rule              exprSource `yaml:"rule"`
	Message           string     `yaml:"message"`
	MessageExpression exprSource `yaml:"message_expression"`
	// Severity "warning" reports a breach without refusing the bundle
	// (say, a bar no partner can reach); anything else is an error.
	Severity string `yaml:"severity"`
	// At names the key of the node a breach is shown at (a rule on the
	// whole file about min_metric_points points at that key), when the
	// node has it.
	At            string `yaml:"at"`
	rule, message *compiled
}

// readSchema parses the schema file and compiles its rules.
func readSchema(file string, src []byte) (*schema, PolicyErrors) {
	var doc struct {
		Schema *schema `yaml:"params_schema"`
	}
	if err := yaml.Unmarshal(src, &doc); err != nil {
		return nil, PolicyErrors{yamlPolicyError(file, src, err)}
	}
	if doc.Schema == nil {
		return nil, PolicyErrors{{File: file, Line: 1, Message: "missing top-level key params_schema"}}
	}
	c := &compiler{file: file, src: src, ts: &typeSet{structs: map[string]*structDecl{}}, noCostLimit: true}
	base, err := newBaseEnv(c.ts, nil)
	if err != nil {
		return nil, PolicyErrors{{File: file, Message: err.Error()}}
	}
	env := c.extend(base, cel.Variable("self", cel.DynType), cel.Variable("root", cel.DynType), cel.Variable("keys", cel.ListType(cel.StringType)))
	var walk func(s *schema)
	walk = func(s *schema) {
		if s == nil {
			return
		}
		for _, r := range s.Rules {
			r.Rule.Name = "rule"
			r.rule = c.compile(env, &r.Rule, wantBool)
			if r.MessageExpression.Text != "" {
				r.MessageExpression.Name = "message_expression"
				r.message = c.compile(env, &r.MessageExpression, wantString)
			}
		}
		for _, p := range s.Properties {
			walk(p)
		}
		walk(s.AdditionalProperties)
		walk(s.Items)
		for _, o := range s.OneOf {
			walk(o)
		}
	}
	walk(doc.Schema)
	return doc.Schema, c.errs
}

// validator checks a YAML tree against a schema, collecting every problem
// with its key path and line.
type validator struct {
	file  string
	root  any
	errs  PolicyErrors
	warns PolicyErrors
	// missing are the required top-level keys the file lacks.
	missing []string
}

func (v *validator) errorf(n *yaml.Node, path, format string, args ...any) {
	msg := fmt.Sprintf(format, args...)
	if path != "" {
		msg = path + ": " + msg
	}
	v.errs = append(v.errs, PolicyError{File: v.file, Line: n.Line, Column: n.Column, Message: msg})
}

// validate checks n at path against s; keys are the map keys met on the way.
func (v *validator) validate(s *schema, n *yaml.Node, path string, keys []string) {
	for n.Kind == yaml.AliasNode {
		n = n.Alias
	}
	if len(s.OneOf) > 0 {
		// The alternative whose type fits the value speaks for it; with
		// none fitting, the value has the wrong type for all of them.
		var kinds []string
		for _, alt := range s.OneOf {
			probe := &validator{file: v.file}
			if probe.checkType(alt, n, path) {
				v.validate(alt, n, path, keys)
				v.rules(s, n, path, keys)
				return
			}
			kinds = append(kinds, article(alt.Type))
		}
		v.errorf(n, path, "want %s, got %s", strings.Join(kinds, " or "), describeNode(n))
		return
	}
	if !v.checkType(s, n, path) {
		return
	}
	switch s.Type {
	case "object":
		seen := map[string]bool{}
		allowed := slices.Sorted(mapKeys(s.Properties))
		for i := 0; i+1 < len(n.Content); i += 2 {
			k, val := n.Content[i], n.Content[i+1]
			kpath := join(path, k.Value)
			seen[k.Value] = true
			switch {
			case s.Properties[k.Value] != nil:
				v.validate(s.Properties[k.Value], val, kpath, keys)
			case s.AdditionalProperties != nil:
				v.validate(s.AdditionalProperties, val, kpath, append(slices.Clip(keys), k.Value))
			default:
				v.errorf(k, kpath, "unknown key%s (allowed: %s)", facts.Suggest(k.Value, allowed), strings.Join(allowed, ", "))
			}
		}
		for _, r := range s.Required {
			if !seen[r] {
				v.errorf(n, join(path, r), "missing (required)")
				if path == "" {
					v.missing = append(v.missing, r)
				}
			}
		}
	case "array":
		if s.MinItems != nil && len(n.Content) < *s.MinItems {
			v.errorf(n, path, "want at least %d items, got %d", *s.MinItems, len(n.Content))
		}
		if s.Items != nil {
			for i, item := range n.Content {
				v.validate(s.Items, item, fmt.Sprintf("%s[%d]", path, i), keys)
			}
		}
		if s.UniqueItems {
			first := map[string]int{}
			for i, item := range n.Content {
				if item.Kind != yaml.ScalarNode {
					continue
				}
				if line, dup := first[item.Value]; dup {
					v.errorf(item, fmt.Sprintf("%s[%d]", path, i), "%q is listed twice (first on line %d)", item.Value, line)
					continue
				}
				first[item.Value] = item.Line
			}
		}
	case "string":
		if len(s.Enum) > 0 && !slices.Contains(s.Enum, n.Value) {
			v.errorf(n, path, "want one of %s, got %q%s", strings.Join(s.Enum, ", "), n.Value, facts.Suggest(n.Value, s.Enum))
		}
	case "number", "integer":
		var f float64
		if err := n.Decode(&f); err != nil || math.IsNaN(f) || math.IsInf(f, 0) {
			v.errorf(n, path, "want a finite number, got %s", n.Value)
			return
		}
		switch {
		case s.Minimum != nil && f < *s.Minimum:
			v.errorf(n, path, "must be at least %v, got %v", *s.Minimum, f)
		case s.ExclusiveMinimum != nil && f <= *s.ExclusiveMinimum:
			v.errorf(n, path, "must be greater than %v, got %v", *s.ExclusiveMinimum, f)
		case s.Maximum != nil && f > *s.Maximum:
			v.errorf(n, path, "must be at most %v, got %v", *s.Maximum, f)
		}
	}
	v.rules(s, n, path, keys)
}

func (v *validator) checkType(s *schema, n *yaml.Node, path string) bool {
	ok := true
	switch s.Type {
	case "object":
		ok = n.Kind == yaml.MappingNode
	case "array":
		ok = n.Kind == yaml.SequenceNode
	case "string":
		ok = n.Kind == yaml.ScalarNode && n.Tag == "!!str"
	case "number":
		ok = n.Kind == yaml.ScalarNode && (n.Tag == "!!int" || n.Tag == "!!float")
	case "integer":
		ok = n.Kind == yaml.ScalarNode && n.Tag == "!!int"
	case "boolean":
		ok = n.Kind == yaml.ScalarNode && n.Tag == "!!bool"
	}
	if !ok {
		hint := ""
		if s.Type == "string" && n.Tag == "!!timestamp" {
			// YAML reads an unquoted 2024-06-30 as a date, not text.
			hint = fmt.Sprintf(" (a date: write it in quotes, \"%s\")", n.Value)
		}
		v.errorf(n, path, "want %s, got %s%s", article(s.Type), describeNode(n), hint)
	}
	return ok
}

func (v *validator) rules(s *schema, n *yaml.Node, path string, keys []string) {
	if len(s.Rules) == 0 {
		return
	}
	var self any
	if err := n.Decode(&self); err != nil {
		return
	}
	act := map[string]any{"self": celValue(self), "root": celValue(v.root), "keys": keys}
	for _, r := range s.Rules {
		if r.rule == nil {
			continue
		}
		ok, err := evalBool(r.rule, act)
		if err != nil && len(v.errs) > 0 {
			// A rule over a key already reported missing or mistyped
			// fails for that reason; saying so twice helps no one.
			continue
		}
		if err != nil {
			v.errorf(n, path, "rule %q failed: %v", r.Rule.Text, err)
			continue
		}
		if ok {
			continue
		}
		msg := r.Message
		if r.message != nil {
			if out, err := r.message.eval(act); err == nil {
				if s, isStr := out.Value().(string); isStr {
					msg = s
				}
			}
		}
		if msg == "" {
			msg = "breaks the rule " + r.Rule.Text
		}
		at := n
		if r.At != "" && n.Kind == yaml.MappingNode {
			for i := 0; i+1 < len(n.Content); i += 2 {
				if n.Content[i].Value == r.At {
					at = n.Content[i]
				}
			}
		}
		if r.Severity == "warning" {
			if path != "" {
				msg = path + ": " + msg
			}
			v.warns = append(v.warns, PolicyError{File: v.file, Line: at.Line, Column: at.Column, Message: msg})
			continue
		}
		v.errorf(at, path, "%s", msg)
	}
}

func mapKeys[V any](m map[string]V) func(func(string) bool) {
	return func(yield func(string) bool) {
		for k := range m {
			if !yield(k) {
				return
			}
		}
	}
}

func join(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}

func article(typ string) string {
	switch typ {
	case "object":
		return "a mapping"
	case "array":
		return "a list"
	case "integer":
		return "a whole number"
	default:
		if strings.ContainsAny(typ[:1], "aeiou") {
			return "an " + typ
		}
		return "a " + typ
	}
}

func describeNode(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "a mapping"
	case yaml.SequenceNode:
		return "a list"
	}
	switch n.Tag {
	case "!!str":
		return fmt.Sprintf("the string %q", n.Value)
	case "!!null":
		return "nothing"
	}
	return n.Value
}

// sortErrors orders errors by file and line, for reading.
func sortErrors(errs PolicyErrors) {
	sort.SliceStable(errs, func(i, j int) bool {
		if errs[i].File != errs[j].File {
			return errs[i].File < errs[j].File
		}
		return errs[i].Line < errs[j].Line
	})
}
