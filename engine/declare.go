package engine

import (
	"fmt"
	"io/fs"
	"path"
	"reflect"
	"slices"
	"sort"
	"strconv"
	"strings"

	"evaluate/facts"

	"github.com/google/cel-go/cel"
	"github.com/google/cel-go/common/types/ref"
)

// declared is a designation read but not yet compiled: its parameters,
// rules and the part of the fact schema it declares. The schema of a run
// is known only once every designation is declared, and compiling needs
// it (the record types follow it).
type declared struct {
	id, source, hash string
	fsys             fs.FS
	params           map[string]any
	warnings         PolicyErrors
	rulesPath        string
	src              []byte
	rs               *rulesSource
	schema           facts.Schema
	schemaChecked    bool
	// series are the series the designation reads, with its measures;
	// attrs its association attributes.
	series map[string][]string
	attrs  []string
	// paramsBroken tells params that break their schema: compiled against
	// for their shape, but not run (their errors say what is wrong).
	paramsBroken bool
	// missingKeys are the top-level keys the schema found missing: a rule
	// that reads one is not told of again (one deleted line, one error).
	missingKeys map[string]bool
}

// declare reads a designation folder: params (checked against their
// schema), rules, and the facts the rules say they read, with the lists
// among them that come from params evaluated.
func declare(fsys fs.FS, source, id string) (*declared, PolicyErrors) {
	d := &declared{id: id, source: source, fsys: fsys, rulesPath: path.Join(id, RulesFile), series: map[string][]string{}}
	var errs PolicyErrors
	var err error
	if d.hash, err = hashDir(fsys, id); err != nil {
		return nil, PolicyErrors{{File: id, Message: err.Error()}}
	}
	var missing []string
	d.params, d.warnings, errs, missing, d.schemaChecked = readParams(fsys, id)
	d.paramsBroken = len(errs) > 0
	for _, key := range missing {
		if d.missingKeys == nil {
			d.missingKeys = map[string]bool{}
		}
		d.missingKeys[key] = true
	}
	for i := range d.warnings {
		d.warnings[i].File = displayPath(source, d.warnings[i].File)
	}
	d.src, err = fs.ReadFile(fsys, d.rulesPath)
	if err != nil {
		return nil, append(errs, PolicyError{File: d.rulesPath, Message: err.Error()})
	}
	if d.params == nil {
		return nil, errs
	}
	// Parameters that break their schema still have a shape: the rules
	// are compiled against them, so that one run of check reports the
	// problems of every file.
	rs, rerrs := parseRules(d.rulesPath, d.src)
	errs = append(errs, rerrs...)
	if rs == nil || len(rerrs) > 0 {
		return nil, errs
	}
	d.rs = rs
	if ferrs := d.declareFacts(); len(ferrs) > 0 {
		return nil, append(errs, ferrs...)
	}
	return d, errs
}

// paramsEnv evaluates expressions over params alone.
func (d *declared) paramsEnv() (*compiler, *cel.Env, error) {
	c := &compiler{file: d.rulesPath, src: d.src, params: d.params, ts: &typeSet{structs: map[string]*structDecl{}}}
	env, err := newBaseEnv(c.ts, d.params)
	return c, env, err
}

// evalParams evaluates a params-only expression; want says the Go type.
func evalParams[T any](c *compiler, env *cel.Env, x *exprSource, want []*cel.Type) (T, bool) {
	var zero T
	var p *compiled
	c.once(func() { p = c.compile(env, x, want) })
	if p == nil {
		return zero, false
	}
	v, err := p.eval(map[string]any{})
	if err != nil {
		c.errorAt(x, 1, 0, err.Error())
		return zero, false
	}
	out, err := v.ConvertToNative(reflect.TypeFor[T]())
	if err != nil {
		c.errorAt(x, 1, 0, fmt.Sprintf("want %v, got %v", reflect.TypeFor[T](), v))
		return zero, false
	}
	return out.(T), true
}

func (d *declared) declareFacts() PolicyErrors {
	c, env, err := d.paramsEnv()
	if err != nil {
		return PolicyErrors{{File: d.rulesPath, Message: fmt.Sprintf("CEL environment: %v", err)}}
	}
	f := &d.rs.Facts
	if types, ok := evalParams[[]string](c, env, &f.AttributionTypes, wantStrList); ok {
		d.schema.Types = union(types)
	}
	if f.CertificationNames.Text != "" {
		if names, ok := evalParams[[]string](c, env, &f.CertificationNames, wantStrList); ok {
			d.schema.Certifications = union(names)
		}
	}
	for _, name := range f.series {
		s := f.seriesBy[name]
		se := facts.Series{Name: name, Keys: s.Keys, Rows: s.Rows, Noun: s.Noun}
		if se.Noun == "" {
			se.Noun = strings.TrimSuffix(name, "s")
		}
		for _, m := range s.measures {
			ms := s.kinds[m]
			k, err := facts.ParseValueKind(ms.Kind)
			if err != nil || k == facts.Text {
				c.errs = append(c.errs, PolicyError{File: d.rulesPath, Message: fmt.Sprintf("facts.series.%s.measures.%s: kind %q: want count, int or cents", name, m, ms.Kind)})
				continue
			}
			se.Measures = append(se.Measures, facts.Measure{Name: m, Kind: k, Required: ms.Required})
		}
		for i, ck := range s.Checks {
			parts := strings.Fields(ck.When)
			if len(parts) != 3 || !slices.Contains([]string{">", ">=", "<", "<=", "==", "!="}, parts[1]) {
				c.errs = append(c.errs, PolicyError{File: d.rulesPath, Message: fmt.Sprintf("facts.series.%s.checks[%d].when: want \"measure OP measure\" (OP one of > >= < <= == !=), got %q", name, i, ck.When)})
				continue
			}
			for _, side := range []string{parts[0], parts[2]} {
				if _, err := strconv.ParseInt(side, 10, 64); err != nil && !slices.Contains(s.measures, side) {
					c.errs = append(c.errs, PolicyError{File: d.rulesPath, Message: fmt.Sprintf("facts.series.%s.checks[%d].when: %q is not a measure of the series", name, i, side)})
				}
			}
			se.Checks = append(se.Checks, facts.Check{Left: parts[0], Op: parts[1], Right: parts[2], Kind: ck.Kind, Says: ck.Says})
		}
		if s.Used.Text != "" {
			if used, ok := evalParams[[]string](c, env, &s.Used, wantStrList); ok {
				se.Used = union(used)
				if se.Used == nil {
					se.Used = []string{}
				}
			}
		}
		if s.Names.Text != "" {
			if names, ok := evalParams[[]string](c, env, &s.Names, wantStrList); ok {
				se.Names = union(names)
			}
		}
		d.schema.Series = append(d.schema.Series, se)
		d.series[name] = s.measures
	}
	var attrNames []string
	for name := range f.Attributes {
		attrNames = append(attrNames, name)
	}
	sort.Strings(attrNames)
	for _, name := range attrNames {
		a := f.Attributes[name]
		k, err := facts.ParseValueKind(a.Kind)
		if err != nil || (k != facts.Integer && k != facts.Text) {
			c.errs = append(c.errs, PolicyError{File: d.rulesPath, Message: fmt.Sprintf("facts.association_attributes.%s.kind: want int or string, got %q", name, a.Kind)})
			continue
		}
		x := a.Values
		var p *compiled
		c.once(func() { p = c.compile(env, &x, wantMap) })
		if p == nil {
			continue
		}
		v, err := p.eval(map[string]any{})
		if err != nil {
			c.errorAt(&x, 1, 0, err.Error())
			continue
		}
		values, err := attrValues(v)
		if err != nil {
			c.errorAt(&x, 1, 0, err.Error())
			continue
		}
		d.schema.Attrs = append(d.schema.Attrs, facts.Attr{Name: name, Kind: k, Values: values, Distinguishes: a.Distinguishes})
		d.attrs = append(d.attrs, name)
	}
	return c.errs
}

// attrValues reads a map of attribution type to allowed values (numbers
// or strings), as the fact file writes them.
func attrValues(v ref.Val) (map[string][]string, error) {
	native, err := v.ConvertToNative(reflect.TypeFor[map[string][]any]())
	if err != nil {
		return nil, fmt.Errorf("want a map of attribution type to a list of values, got %v", v)
	}
	out := map[string][]string{}
	for t, vals := range native.(map[string][]any) {
		for _, x := range vals {
			switch y := x.(type) {
			case int64:
				out[t] = append(out[t], strconv.FormatInt(y, 10))
			case float64:
				out[t] = append(out[t], strconv.FormatFloat(y, 'f', -1, 64))
			default:
				out[t] = append(out[t], fmt.Sprint(y))
			}
		}
	}
	return out, nil
}

func union(ss []string) []string {
	out := slices.Clone(ss)
	sort.Strings(out)
	return slices.Compact(out)
}
