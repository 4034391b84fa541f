package engine

import (
	"context"
	"errors"
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
	"github.com/google/cel-go/interpreter"
)

// The limits of CEL in a bundle. A bundle is as untrusted as a fact file
// (program managers load them from shared folders), so whatever its
// expressions say, loading and scoring end, within bounded memory.
const (
	// EstimatedCostLimit bounds the estimated work of one expression,
	// checked when the bundle loads (as Kubernetes checks admission
	// expressions), so that a runaway comprehension is refused before it
	// runs. Estimates assume lists and strings of up to EstimatedSize items.
	EstimatedCostLimit = 1_000_000_000
	// EstimatedSize is the size of the facts' lists and strings the
	// estimate assumes.
	EstimatedSize = 100
	// RuntimeCostLimit bounds the work of one evaluation on cel-go, in
	// cel-go's cost units, whatever the input: an expression that loops
	// over a hundred thousand workloads for each of them is stopped rather
	// than run for minutes. On the fast path, fastcel.CostLimit,
	// fastcel.MaxStringSize and fastcel.MaxListSize bound the same; cel-go
	// evaluations are held to the same sizes.
	RuntimeCostLimit = 50_000_000
	// FormulaCostLimit is the fast path's budget of steps for one
	// evaluation of a formula run once per partner (a metric's value,
	// points and options), instead of fastcel.CostLimit: a formula reads
	// aggregates and params, which do not grow with the facts, and the
	// planner runs each thousands of times, when the bundle loads too.
	FormulaCostLimit = 10_000_000
)

// sizeEstimator tells CEL's cost estimator how big inputs may be: a list
// or map of params has the size it has, anything from the facts up to
// EstimatedSize items.
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
	return &checker.SizeEstimate{Min: 0, Max: EstimatedSize}
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
	varLatest   = "latest"
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
	t := fastcel.NewTotal(total)
	n, _ := l.Size().(types.Int)
	for i := types.Int(0); i < n; i++ {
		if err := t.Add(l.Get(i)); types.IsError(err) {
			return err
		}
	}
	return t.Value()
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
		fastcel.Limits(),
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
	// perPartner is an expression run once per partner (a metric's
	// formulas): it has the smaller budget FormulaCostLimit.
	perPartner bool
}

// eval evaluates the expression, within the runtime limits, and stops
// when the context an activation holds at ctxVar is done.
func (p *compiled) eval(act any) (ref.Val, error) {
	if m, ok := act.(map[string]any); ok {
		if ctx, ok := m[ctxVar].(context.Context); ok {
			return p.evalContext(ctx, act)
		}
	}
	return p.evalContext(context.Background(), act)
}

// ctxVar is where an activation carries the run's context to eval: the
// explainer evaluates through eval with activations it is given (and
// copies). No CEL identifier can name it.
const ctxVar = "@context"

// evalContext is eval that stops with ctx's error when ctx is done, also
// inside the expression's loops.
func (p *compiled) evalContext(ctx context.Context, act any) (ref.Val, error) {
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
	v, _, err := p.prg.ContextEval(ctx, act)
	if err != nil {
		return v, p.stopped(ctx, err)
	}
	return v, nil
}

// stopped turns the error of an evaluation stopped by a limit or by its
// context into one that says so, with where the expression is; any other
// error is returned as it is.
func (p *compiled) stopped(ctx context.Context, err error) error {
	if ctxErr := ctx.Err(); ctxErr != nil {
		return ctxErr // the run's deadline, not the expression, stopped it
	}
	var cancelled interpreter.EvalCancelledError
	switch {
	case errors.As(err, &cancelled) && cancelled.Cause == interpreter.CostLimitExceeded:
		err = &fastcel.LimitError{Detail: fmt.Sprintf("more than %d cost units, or a string or list over %d bytes or %d elements",
			RuntimeCostLimit, fastcel.MaxStringSize, fastcel.MaxListSize)}
	case !errors.Is(err, fastcel.ErrCostLimit):
		return &exprError{p: p, err: err}
	}
	file, line, _ := p.where()
	return fmt.Errorf("CEL evaluation exceeded its cost limit in %s:%d: %w", file, line, err)
}

// exprError is an expression's evaluation error, which says what err
// does and keeps the expression, so that Try can show where it is.
type exprError struct {
	p   *compiled
	err error
}

func (e *exprError) Error() string { return e.err.Error() }
func (e *exprError) Unwrap() error { return e.err }

// where is the file, line and column of the expression.
func (p *compiled) where() (string, int, int) {
	if p.c == nil || p.src == nil {
		return "", 0, 0
	}
	line, col := p.src.position(p.c.src, 1, 0)
	return p.c.file, line, col
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
	// missingKeys are top-level params keys params.schema.yaml reported
	// missing: a reference to one is not an error of its own too.
	missingKeys map[string]bool
	// trusted skips the checks that only refuse an expression (the lint of
	// params paths, constants over a limit, the cost estimate) for the
	// embedded bundle: TestCheckShippedBundle runs them all on it, as
	// evaluate check does, and every command would otherwise pay for them
	// again (a tenth of loading).
	trusted bool
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

// atCode is where an error at line, col of text is shown: there, unless
// that is a blank or comment line or past the text (CEL's end of input,
// for a missing parenthesis), which would point into the YAML after the
// expression; then just after the last code before it.
func atCode(text string, line, col int) (int, int) {
	lines := strings.Split(text, "\n")
	code := func(i int) bool {
		t := strings.TrimSpace(lines[i])
		return t != "" && !strings.HasPrefix(t, "//")
	}
	if line >= 1 && line <= len(lines) && code(line-1) {
		return line, col
	}
	for i := min(line, len(lines)) - 1; i >= 0; i-- {
		if code(i) {
			return i + 1, len(strings.TrimRight(lines[i], " \t"))
		}
	}
	return line, col
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
			line, col := atCode(x.Text, e.Location.Line(), e.Location.Column())
			c.errorAt(x, line, col, hint(e.Message, env, c.ts.fieldNames()))
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
	if c.trusted {
		return ast
	}
	if issues := lintParamsPaths(ast, c.params); len(issues) > 0 {
		for _, is := range issues {
			if c.missingKeys[is.top] {
				continue // params.schema.yaml said it is missing
			}
			loc := ast.NativeRep().SourceInfo().GetStartLocation(is.id)
			c.errorAt(x, loc.Line(), loc.Column(), is.msg)
		}
		return nil
	}
	// A constant part that meets a limit fails whenever it runs: refused
	// here, where it is written. A call of a function whose body has one
	// was refused at the body.
	if c.disp == nil {
		if disp, err := fastcel.NewDispatcher(env); err == nil {
			c.disp = disp
		}
	}
	if c.disp != nil {
		var ce *fastcel.ConstantError
		if err := fastcel.CheckConstants(env, ast, c.disp); errors.As(err, &ce) {
			if !c.callsBroken(x.Text) {
				loc := ast.NativeRep().SourceInfo().GetStartLocation(ce.ID)
				c.errorAt(x, max(loc.Line(), 1), max(loc.Column(), 0), "expression exceeds the cost limit: "+ce.Err.Error())
			}
			return nil
		}
	}
	// An estimate of "unbounded" comes from a function CEL has no cost
	// model for (distinct, sort): the runtime limit bounds those.
	if est, err := env.EstimateCost(ast, sizeEstimator{c.params}); err == nil && est.Max > EstimatedCostLimit && est.Max != math.MaxUint64 && !c.noCostLimit {
		c.errorAt(x, 1, 0, fmt.Sprintf("may cost up to %d steps for inputs of %d items, over the limit of %d: avoid nested loops over the facts", est.Max, EstimatedSize, EstimatedCostLimit))
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
	return &compiled{src: x, ast: ast, env: env, c: c, perPartner: c.noCostLimit}
}

// program makes an evaluable program of a checked AST, with a runtime
// cost limit, the size limits, and interrupts checked in long loops.
// cel-go's constant folder is not run: it evaluates comprehensions over
// constants without any cost limit (a nested lists.range would hang the
// first evaluation), and cel-go is the slow path anyway; the fast path
// folds constants within its budget.
func (c *compiler) program(env *cel.Env, ast *cel.Ast) (cel.Program, error) {
	return env.Program(ast, cel.EvalOptions(cel.OptOptimize), cel.CostLimit(RuntimeCostLimit),
		cel.CostTracking(sizeLimits{}), cel.InterruptCheckFrequency(interruptEvery))
}

// interruptEvery is how many comprehension iterations cel-go runs between
// looks at the context.
const interruptEvery = 100

// sizeLimits holds cel-go's evaluations to the fast path's size limits:
// cel-go charges a concatenation after it is made, and little (lists
// concatenate lazily), so a doubling string or list would otherwise grow
// to gigabytes within the cost limit. A result over the limits costs more
// than the whole limit, which stops the evaluation at once.
type sizeLimits struct{}

var overLimit = uint64(RuntimeCostLimit + 1)

// CallCost implements interpreter.ActualCostEstimator; nil leaves the
// cost to cel-go.
func (sizeLimits) CallCost(_, _ string, _ []ref.Val, result ref.Val) *uint64 {
	if fastcel.TooBig(result) || fastcel.Stopped(result) != nil {
		return &overLimit
	}
	return nil
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
