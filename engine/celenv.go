package engine

import (
	"fmt"
	"math"
	"sort"
	"strings"
	"sync"

	"evaluate/internal/fastcel"

	"github.com/google/cel-go/cel"
	"github.com/google/cel-go/checker"
	celast "github.com/google/cel-go/common/ast"
	"github.com/google/cel-go/common/types"
	"github.com/google/cel-go/common/types/ref"
	"github.com/google/cel-go/common/types/traits"
	"github.com/google/cel-go/ext"
)

// celCostLimit bounds the estimated work of one expression, checked when the
// bundle loads (as Kubernetes checks admission expressions), so that a
// runaway comprehension is refused instead of hanging the process.
// Estimates assume lists and strings of up to celSizeLimit items.
// celRuntimeLimit bounds the work of one evaluation at run time, whatever
// the input: a tenant with a hundred thousand workloads is refused rather
// than looped over for minutes.
const (
	celCostLimit    = 1_000_000_000
	celSizeLimit    = 100
	celRuntimeLimit = 50_000_000
)

// sizeEstimator tells CEL's cost estimator how big inputs may be: a list
// or map of params has the size it has, anything from the facts up to
// celSizeLimit items.
type sizeEstimator struct{ params map[string]any }

func (e sizeEstimator) EstimateSize(n checker.AstNode) *checker.SizeEstimate {
	if cs := n.ComputedSize(); cs != nil {
		return cs
	}
	if p := n.Path(); len(p) > 0 && p[0] == varParams && e.params != nil {
		if size, ok := paramsSize(e.params, p[1:]); ok {
			return &checker.SizeEstimate{Min: 0, Max: size}
		}
	}
	return &checker.SizeEstimate{Min: 0, Max: celSizeLimit}
}

// paramsSize is the largest size of the params values at path (field
// names, or @items/@keys/@values for every element).
func paramsSize(v any, path []string) (uint64, bool) {
	if len(path) == 0 {
		switch x := v.(type) {
		case []any:
			return uint64(len(x)), true
		case map[string]any:
			return uint64(len(x)), true
		case string:
			return uint64(len(x)), true
		}
		return 0, false
	}
	var kids []any
	switch x := v.(type) {
	case map[string]any:
		switch path[0] {
		case "@values", "@items", "@keys":
			if path[0] == "@keys" {
				return 256, true
			}
			for _, k := range x {
				kids = append(kids, k)
			}
		default:
			kid, ok := x[path[0]]
			if !ok {
				return 0, false
			}
			kids = []any{kid}
		}
	case []any:
		if path[0] != "@items" {
			return 0, false
		}
		kids = x
	default:
		return 0, false
	}
	var best uint64
	for _, k := range kids {
		s, ok := paramsSize(k, path[1:])
		if !ok {
			return 0, false
		}
		best = max(best, s)
	}
	return best, true
}

func (sizeEstimator) EstimateCallCost(string, string, *checker.AstNode, []checker.AstNode) *checker.CallEstimate {
	return nil
}

// Variable names the engine binds (as Kubernetes' admission CEL names
// object and params).
const (
	varParams   = "params"
	varTenant   = "t"
	varAt       = "at"
	varTrack    = "track"
	varOption   = "option"
	varMetric   = "metric"
	varPerson   = "person"
	varAsOf     = "as_of"
	varValue    = "value"
	varOptions  = "options"
	varChosen   = "chosen"
	varMax      = "max_points"
	varPartner  = "partner"
	varMonth    = "month"
	varMonthEnd = "month_end"
	varGiven    = "as_of_given"
	varMonths   = "months"
)

// celValue converts YAML-decoded values to CEL values once, deeply, so that
// reading params costs no reflection at evaluation time.
func celValue(v any) ref.Val {
	switch x := v.(type) {
	case map[string]any:
		m := make(map[ref.Val]ref.Val, len(x))
		keys := make([]string, 0, len(x))
		for k, e := range x {
			m[types.String(k)] = celValue(e)
			keys = append(keys, k)
		}
		sort.Strings(keys)
		return sortedMap{Mapper: types.NewRefValMap(types.DefaultTypeAdapter, m).(traits.Mapper), keys: stringList(keys).(traits.Lister)}
	case []any:
		l := make([]ref.Val, len(x))
		for i, e := range x {
			l[i] = celValue(e)
		}
		return types.NewRefValList(types.DefaultTypeAdapter, l)
	default:
		return types.DefaultTypeAdapter.NativeToValue(v)
	}
}

// sortedMap is a map of params.yaml whose keys a rule iterates in name
// order (tracks.map(t, ...), tracks.filter(...)): Go's maps have no order,
// and a result or message that changed from run to run would be a bug.
type sortedMap struct {
	traits.Mapper
	keys traits.Lister
}

// Iterator implements traits.Iterable: the keys in order.
func (m sortedMap) Iterator() traits.Iterator { return m.keys.Iterator() }

// sumFunction adds list.sum() for int and double lists: CEL has no fold, and
// totals are what the rules need most. Int sums fail on overflow.
func sumFunction() cel.EnvOption {
	return cel.Function("sum",
		cel.MemberOverload("list_int_sum", []*cel.Type{cel.ListType(cel.IntType)}, cel.IntType,
			cel.UnaryBinding(func(v ref.Val) ref.Val { return sumList(v, types.Int(0)) })),
		cel.MemberOverload("list_double_sum", []*cel.Type{cel.ListType(cel.DoubleType)}, cel.DoubleType,
			cel.UnaryBinding(func(v ref.Val) ref.Val { return sumList(v, types.Double(0)) })),
	)
}

func sumList(v ref.Val, total ref.Val) ref.Val {
	l, ok := v.(traits.Lister)
	if !ok {
		return types.NewErr("sum: not a list")
	}
	for it := l.Iterator(); it.HasNext() == types.True; {
		adder, ok := total.(traits.Adder)
		if !ok {
			return types.NewErr("sum: not a number")
		}
		total = adder.Add(it.Next())
		if types.IsError(total) {
			return total
		}
	}
	return total
}

// function is one of a bundle's reusable rules: a macro that stands for its
// body with the parameters bound to the arguments (as cel.bind does), so
// that a rule reads eligible(now) and eligible(base).
type function struct {
	name   string
	params [][2]string // name, type
	body   celast.Expr
	src    *exprSource
}

// macro expands a call of the function into its body.
func (f *function) macro() cel.EnvOption {
	return cel.Macros(cel.GlobalMacro(f.name, len(f.params), func(mef cel.MacroExprFactory, _ celast.Expr, args []celast.Expr) (celast.Expr, *cel.Error) {
		body := mef.Copy(f.body)
		for i := len(f.params) - 1; i >= 0; i-- {
			name := f.params[i][0]
			body = mef.NewComprehension(mef.NewList(), "#unused", name, args[i], mef.NewLiteral(types.False), mef.NewIdent(name), body)
		}
		return body, nil
	}))
}

// parseType reads a parameter's type: a record (Month, Tenant,
// Association, Person, Certification, or a series' name), string, int,
// double, bool, dyn, list(T) or map(K, V).
func parseType(s string, ts *typeSet) (*cel.Type, error) {
	s = strings.TrimSpace(s)
	switch s {
	case "string":
		return cel.StringType, nil
	case "int":
		return cel.IntType, nil
	case "double":
		return cel.DoubleType, nil
	case "bool":
		return cel.BoolType, nil
	case "dyn":
		return cel.DynType, nil
	}
	if inner, ok := strings.CutPrefix(s, "list("); ok && strings.HasSuffix(inner, ")") {
		t, err := parseType(strings.TrimSuffix(inner, ")"), ts)
		return cel.ListType(t), err
	}
	if inner, ok := strings.CutPrefix(s, "map("); ok && strings.HasSuffix(inner, ")") {
		parts := splitTop(strings.TrimSuffix(inner, ")"))
		if len(parts) != 2 {
			return nil, fmt.Errorf("map(K, V) takes two types, got %q", s)
		}
		k, err1 := parseType(parts[0], ts)
		v, err2 := parseType(parts[1], ts)
		if err1 != nil || err2 != nil {
			return nil, fmt.Errorf("bad type %q", s)
		}
		return cel.MapType(k, v), nil
	}
	name := "fact." + s
	if _, ok := ts.structs[name]; ok {
		return cel.ObjectType(name), nil
	}
	var known []string
	for n := range ts.structs {
		known = append(known, strings.TrimPrefix(n, "fact."))
	}
	return nil, fmt.Errorf("unknown type %q (want string, int, double, bool, dyn, list(T), map(K, V) or one of %s)", s, strings.Join(known, ", "))
}

// newBaseEnv is the environment every expression of a designation shares:
// its record types, the standard extensions, sum() and params, which are a
// constant: they never change while a bundle is loaded, so CEL folds what
// depends on them alone.
func newBaseEnv(ts *typeSet, params map[string]any) (*cel.Env, error) {
	var p cel.EnvOption = cel.Variable(varParams, cel.DynType)
	if params != nil {
		p = cel.Constant(varParams, cel.DynType, celValue(params))
	}
	return cel.NewEnv(
		cel.CustomTypeProvider(provider{Provider: mustProvider(), ts: ts}),
		ext.Bindings(), ext.Math(), ext.Lists(), ext.Strings(), ext.Sets(), ext.TwoVarComprehensions(),
		sumFunction(),
		p,
	)
}

func mustProvider() types.Provider {
	reg, err := types.NewRegistry()
	if err != nil {
		panic(err) // the default registry always builds
	}
	return reg
}

// kind is a set of variables one kind of expression sees and the output
// types it may have.
type kind struct {
	vars []cel.EnvOption
	want []*cel.Type
}

var (
	wantBool    = []*cel.Type{cel.BoolType, cel.DynType}
	wantInt     = []*cel.Type{cel.IntType, cel.DynType}
	wantString  = []*cel.Type{cel.StringType, cel.DynType}
	wantNumber  = []*cel.Type{cel.DoubleType, cel.IntType, cel.DynType}
	wantList    = []*cel.Type{cel.ListType(cel.StringType), cel.ListType(cel.DynType), cel.DynType}
	wantMap     = []*cel.Type{cel.MapType(cel.StringType, cel.DynType), cel.MapType(cel.DynType, cel.DynType), cel.DynType}
	wantStrList = []*cel.Type{cel.ListType(cel.StringType), cel.ListType(cel.DynType), cel.DynType}
	wantAny     = []*cel.Type{cel.DynType}
	wantSumBy   = []*cel.Type{cel.MapType(cel.StringType, cel.IntType), cel.MapType(cel.StringType, cel.DynType), cel.MapType(cel.DynType, cel.DynType), cel.DynType}
)

// compiled is one compiled expression: its checked AST, and its program,
// made when it is first evaluated (most expressions of a bundle run only
// for --explain, or once per partner, and loading should not wait for them).
type compiled struct {
	src  *exprSource
	ast  *cel.Ast
	env  *cel.Env
	c    *compiler
	once sync.Once
	prg  cel.Program
	err  error
	// fast is the fast path's program, when the expression's variables
	// have places and the fast path supports it.
	fast   *fastcel.Program
	places *places
	// want is the output types a deferred expression is checked against
	// when it is first evaluated (ast nil until then).
	want     []*cel.Type
	deferred bool
}

// eval evaluates the expression.
func (p *compiled) eval(act any) (ref.Val, error) {
	p.once.Do(func() {
		if p.deferred {
			// Checked now, with a compiler of its own: evaluations run in
			// parallel, and the bundle's errors are long collected.
			c := *p.c
			c.errs = nil
			if p.ast = c.check(p.env, p.src, p.want); p.ast == nil {
				p.err = c.errs
				return
			}
		}
		p.prg, p.err = p.c.program(p.env, p.ast)
	})
	if p.err != nil {
		return nil, fmt.Errorf("%s: %w", p.src.Name, p.err)
	}
	v, _, err := p.prg.Eval(act)
	return v, err
}

// compiler compiles the expressions of one rules file, collecting errors.
type compiler struct {
	env    *cel.Env
	file   string
	src    []byte
	params map[string]any
	ts     *typeSet
	errs   PolicyErrors
	count  int
	// noCostLimit skips the cost estimate, for expressions that run once
	// on params.yaml (schema rules) rather than on every record.
	noCostLimit bool
	// broken are functions whose body did not check: a call of one fails
	// for the reason already reported at the body.
	broken map[string]bool
	// disp are the overload bindings the fast path calls.
	disp fastcel.Dispatcher
	// deferExplain defers the checking of the expressions that only
	// explanations run (the embedded bundle's, checked by its tests), so
	// that a run that does not explain does not wait for them; deferring
	// is set while those are compiled.
	deferExplain, deferring bool
}

// explaining compiles with fn the expressions of an explanation.
func (c *compiler) explaining(fn func()) {
	saved := c.deferring
	c.deferring = c.deferExplain
	defer func() { c.deferring = saved }()
	fn()
}

// callsBroken reports whether text calls a function whose body did not
// check.
func (c *compiler) callsBroken(text string) bool {
	for name := range c.broken {
		for i := strings.Index(text, name); i >= 0; {
			before := i == 0 || !isIdentByte(text[i-1])
			rest := strings.TrimLeft(text[i+len(name):], " \t\n")
			if before && strings.HasPrefix(rest, "(") {
				return true
			}
			next := strings.Index(text[i+1:], name)
			if next < 0 {
				break
			}
			i += 1 + next
		}
	}
	return false
}

func isIdentByte(b byte) bool {
	return b == '_' || b == '.' || '0' <= b && b <= '9' || 'a' <= b && b <= 'z' || 'A' <= b && b <= 'Z'
}

func (c *compiler) errorAt(x *exprSource, line, col int, msg string) {
	l, cl := x.position(c.src, line, col)
	c.errs = append(c.errs, PolicyError{File: c.file, Line: l, Column: cl, Message: x.Name + ": " + msg, Snippet: snippet(c.src, l, cl)})
}

// check parses and type-checks x in env; it reports problems and returns
// nil for an expression with any.
func (c *compiler) check(env *cel.Env, x *exprSource, want []*cel.Type) *cel.Ast {
	if x == nil || x.Text == "" {
		return nil
	}
	ast, iss := env.Compile(x.Text)
	if iss.Err() != nil && c.callsBroken(x.Text) {
		return nil
	}
	if iss.Err() != nil {
		for _, e := range iss.Errors() {
			loc := e.Location
			c.errorAt(x, loc.Line(), loc.Column(), hint(e.Message, env, c.ts.fieldNames()))
		}
		return nil
	}
	if issues := lintParamsPaths(ast, c.params); len(issues) > 0 {
		for _, is := range issues {
			loc := ast.NativeRep().SourceInfo().GetStartLocation(is.id)
			c.errorAt(x, loc.Line(), loc.Column(), is.msg)
		}
		return nil
	}
	ok := false
	out := ast.OutputType()
	for _, w := range want {
		// A map or list is right whatever its elements' types.
		sameContainer := (w.Kind() == types.MapKind || w.Kind() == types.ListKind) && w.Kind() == out.Kind()
		ok = ok || out.IsExactType(w) || sameContainer
	}
	if !ok && len(want) > 0 {
		c.errorAt(x, 1, 0, fmt.Sprintf("must evaluate to %s, not %s", want[0], ast.OutputType()))
		return nil
	}
	// An estimate of "unbounded" comes from a function CEL has no cost
	// model for (distinct, sort): the runtime limit bounds those.
	if est, err := env.EstimateCost(ast, sizeEstimator{c.params}); err == nil && est.Max > celCostLimit && est.Max != math.MaxUint64 && !c.noCostLimit {
		c.errorAt(x, 1, 0, fmt.Sprintf("may cost up to %d steps for inputs of %d items, over the limit of %d: avoid nested loops over the facts", est.Max, celSizeLimit, celCostLimit))
		return nil
	}
	return ast
}

// once compiles with fn expressions that run once per partner (metric
// formulas, options), not once per record: their cost is not estimated
// (the runtime limit still holds).
func (c *compiler) once(fn func()) {
	saved := c.noCostLimit
	c.noCostLimit = true
	defer func() { c.noCostLimit = saved }()
	fn()
}

// compile checks x and makes its program. With deferExplain, it only
// notes what to check: the expression is checked when first evaluated.
func (c *compiler) compile(env *cel.Env, x *exprSource, want []*cel.Type) *compiled {
	if c.deferring {
		if x == nil || x.Text == "" {
			return nil
		}
		c.count++
		return &compiled{src: x, env: env, c: c, want: want, deferred: true}
	}
	ast := c.check(env, x, want)
	if ast == nil {
		return nil
	}
	c.count++
	return &compiled{src: x, ast: ast, env: env, c: c}
}

// program makes an evaluable program of a checked AST: constants folded,
// and a runtime cost limit with interrupts checked in long loops.
func (c *compiler) program(env *cel.Env, ast *cel.Ast) (cel.Program, error) {
	if folder, err := cel.NewConstantFoldingOptimizer(); err == nil {
		if opt, err := cel.NewStaticOptimizer(folder); err == nil {
			if folded, iss := opt.Optimize(env, ast); iss.Err() == nil {
				ast = folded
			}
		}
	}
	return env.Program(ast, cel.EvalOptions(cel.OptOptimize), cel.CostLimit(celRuntimeLimit), cel.InterruptCheckFrequency(100))
}

// extend returns env with more variables.
func (c *compiler) extend(env *cel.Env, vars ...cel.EnvOption) *cel.Env {
	e, err := env.Extend(vars...)
	if err != nil {
		c.errs = append(c.errs, PolicyError{File: c.file, Message: fmt.Sprintf("CEL environment: %v", err)})
		return env
	}
	return e
}

// functions compiles a list of reusable rules in order, each seeing the
// ones before it, and returns the environment with all of them. Their
// bodies are checked once with their parameters and the variables of
// scope (values of the caller, declared as dyn, may be referred to).
func (c *compiler) functions(env *cel.Env, scope []cel.EnvOption, fs []functionSource) *cel.Env {
	for i := range fs {
		fsrc := &fs[i]
		name, params, err := parseDef(fsrc.Def)
		if err != nil {
			continue // reported by parseRules
		}
		vars := append([]cel.EnvOption{}, scope...)
		for _, p := range params {
			t, err := parseType(p[1], c.ts)
			if err != nil {
				c.errs = append(c.errs, PolicyError{File: c.file, Line: max(1, fsrc.Body.line-1), Message: fmt.Sprintf("functions[%s]: %v", fsrc.Def, err)})
				t = cel.DynType
			}
			vars = append(vars, cel.Variable(p[0], t))
		}
		// The body is checked where it stands, then kept unchecked as the
		// macro's template: each call is checked where it is made.
		if c.check(c.extend(env, vars...), &fsrc.Body, nil) == nil {
			if c.broken == nil {
				c.broken = map[string]bool{}
			}
			c.broken[name] = true
		}
		parsed, iss := env.Parse(fsrc.Body.Text)
		if iss.Err() != nil {
			continue
		}
		f := &function{name: name, params: params, body: parsed.NativeRep().Expr(), src: &fsrc.Body}
		env = c.extend(env, f.macro())
	}
	return env
}

// evalBool evaluates a bool expression.
func evalBool(p *compiled, act any) (bool, error) {
	v, err := p.eval(act)
	if err != nil {
		return false, err
	}
	b, ok := v.Value().(bool)
	if !ok {
		return false, fmt.Errorf("want a bool, got %v", v)
	}
	return b, nil
}

// evalString evaluates a string expression.
func evalString(p *compiled, act any) (string, error) {
	v, err := p.eval(act)
	if err != nil {
		return "", err
	}
	s, ok := v.Value().(string)
	if !ok {
		return "", fmt.Errorf("want a string, got %v", v)
	}
	return s, nil
}

// evalNumber evaluates a number expression as a float.
func evalNumber(p *compiled, act any) (float64, error) {
	v, err := p.eval(act)
	if err != nil {
		return 0, err
	}
	switch x := v.Value().(type) {
	case float64:
		return x, nil
	case int64:
		return float64(x), nil
	case uint64:
		return float64(x), nil
	}
	return 0, fmt.Errorf("want a number, got %v", v)
}
