package engine

import (
	"fmt"
	"reflect"

	"evaluate/facts"

	"github.com/google/cel-go/cel"
	"github.com/google/cel-go/checker"
	"github.com/google/cel-go/common/functions"
	"github.com/google/cel-go/common/types"
	"github.com/google/cel-go/common/types/ref"
	"github.com/google/cel-go/common/types/traits"
	"github.com/google/cel-go/ext"
)

// Summary is what the month rules decided about a tenant in one month. Metric
// expressions see it as now, base and assoc.
type Summary struct {
	Month       string `cel:"month"`
	Eligible    bool   `cel:"eligible"`
	Deployed    bool   `cel:"deployed"`
	ActiveUsers int64  `cel:"active_users"`
}

// celCostLimit bounds the estimated work of one expression, checked when the
// bundle loads (as Kubernetes checks admission expressions), so that a
// runaway comprehension in a policy is refused instead of hanging the
// process. Estimates assume lists and strings of up to celSizeLimit items.
// The check is static: costs are not tracked while evaluating, which would
// double the time per tenant; --timeout bounds evaluation at run time.
const (
	celCostLimit = 100_000_000
	celSizeLimit = 1_000
)

// sizeEstimator tells CEL's cost estimator how big inputs may be.
type sizeEstimator struct{}

func (sizeEstimator) EstimateSize(checker.AstNode) *checker.SizeEstimate {
	return &checker.SizeEstimate{Min: 0, Max: celSizeLimit}
}

func (sizeEstimator) EstimateCallCost(string, string, *checker.AstNode, []checker.AstNode) *checker.CallEstimate {
	return nil
}

// Variable names the engine binds, one set per kind of expression (as
// Kubernetes' admission CEL names object and params).
const (
	varParams = "params"
	varTrack  = "track"
	varTypes  = "types"
	varMonth  = "month"
	varPerson = "person"
	varAsOf   = "as_of"
	varOption = "option"
	varMetric = "metric"
	varValue  = "value"
	varNow    = "now"
	varBase   = "base"
	varAssoc  = "assoc"
	varNewly  = "newly"
	varLevels = "levels"
	varCert   = "cert"
	varEnd    = "month_end"
	varGiven  = "as_of_given"
)

var (
	monthStateType = cel.ObjectType("facts.MonthState")
	personType     = cel.ObjectType("facts.Person")
	certType       = cel.ObjectType("facts.Certification")
	summaryType    = cel.ObjectType("engine.Summary")
	stringList     = cel.ListType(cel.StringType)
)

// baseEnv is the CEL environment every expression shares: the fact types,
// the standard extensions and `params`. With params known, they are a
// constant of the environment: parameters never change while a bundle is
// loaded, so CEL can fold what depends on them alone, and no evaluation has
// to pass or adapt them.
func baseEnv(params map[string]any) (*cel.Env, error) {
	p := cel.Variable(varParams, cel.DynType)
	if params != nil {
		p = cel.Constant(varParams, cel.DynType, celValue(params))
	}
	return cel.NewEnv(
		ext.NativeTypes(reflect.TypeFor[facts.MonthState](), reflect.TypeFor[facts.Person](), reflect.TypeFor[facts.Certification](),
			reflect.TypeFor[Summary](), ext.ParseStructTags(true)),
		withRecords(),
		ext.Bindings(), ext.Math(), ext.Lists(), ext.Strings(), ext.Sets(),
		sumFunction(),
		p,
	)
}

// celValue converts YAML-decoded values to CEL values once, deeply, so that
// reading params costs no reflection at evaluation time.
func celValue(v any) ref.Val {
	switch x := v.(type) {
	case map[string]any:
		m := make(map[ref.Val]ref.Val, len(x))
		for k, e := range x {
			m[types.String(k)] = celValue(e)
		}
		return types.NewRefValMap(types.DefaultTypeAdapter, m)
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

// sumFunction adds list.sum() for int and double lists: CEL has no fold, and
// totals over workloads are what the rules need most.
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

// exprKind is the set of variables one kind of expression sees and the type
// it must return.
type exprKind struct {
	vars []cel.EnvOption
	// want lists acceptable output types.
	want []*cel.Type
}

var (
	wantBool   = []*cel.Type{cel.BoolType}
	wantInt    = []*cel.Type{cel.IntType}
	wantString = []*cel.Type{cel.StringType, cel.DynType}
	wantNumber = []*cel.Type{cel.DoubleType, cel.IntType, cel.DynType}
	wantList   = []*cel.Type{stringList, cel.ListType(cel.DynType), cel.DynType}
	// wantAnyList is for the joined programs, lists of the rules' results.
	wantAnyList = []*cel.Type{cel.ListType(cel.DynType), cel.ListType(cel.IntType), cel.ListType(cel.BoolType)}

	monthVars  = []cel.EnvOption{cel.Variable(varTrack, cel.StringType), cel.Variable(varMonth, monthStateType)}
	typesVars  = append([]cel.EnvOption{cel.Variable(varTypes, stringList)}, monthVars...)
	certVars   = []cel.EnvOption{cel.Variable(varPerson, personType), cel.Variable(varCert, certType), cel.Variable(varAsOf, cel.StringType)}
	tenantVars = []cel.EnvOption{
		cel.Variable(varTrack, cel.StringType), cel.Variable(varOption, cel.StringType),
		cel.Variable(varNow, summaryType), cel.Variable(varBase, summaryType), cel.Variable(varAssoc, summaryType),
		cel.Variable(varNewly, cel.BoolType),
	}
	personVars      = []cel.EnvOption{cel.Variable(varTrack, cel.StringType), cel.Variable(varLevels, stringList), cel.Variable(varPerson, personType)}
	trackMetricVars = []cel.EnvOption{cel.Variable(varTrack, cel.StringType), cel.Variable(varMetric, cel.StringType)}
	evaluationVars  = []cel.EnvOption{cel.Variable(varMonth, cel.StringType), cel.Variable(varEnd, cel.StringType), cel.Variable(varAsOf, cel.StringType), cel.Variable(varGiven, cel.BoolType)}

	kindParamsList  = exprKind{want: wantList}
	kindParamsValue = exprKind{want: wantNumber}
	kindParamsTiers = exprKind{want: []*cel.Type{cel.MapType(cel.StringType, cel.ListType(cel.IntType)), cel.DynType, cel.MapType(cel.StringType, cel.DynType), cel.MapType(cel.DynType, cel.DynType)}}
	kindTrackTypes  = exprKind{vars: []cel.EnvOption{cel.Variable(varTrack, cel.StringType)}, want: wantList}
	kindEligible    = exprKind{vars: typesVars, want: wantBool}
	kindEligibleMsg = exprKind{vars: typesVars, want: wantString}
	kindDeployed    = exprKind{vars: monthVars, want: wantBool}
	kindActive      = exprKind{vars: monthVars, want: wantInt}
	kindCertCond    = exprKind{vars: certVars, want: wantBool}
	kindCertMsg     = exprKind{vars: certVars, want: wantString}
	kindTenantSum   = exprKind{vars: tenantVars, want: wantInt}
	kindTenantWhen  = exprKind{vars: tenantVars, want: wantBool}
	kindTenantMsg   = exprKind{vars: tenantVars, want: wantString}
	kindPersonSum   = exprKind{vars: personVars, want: wantInt}
	kindEffort      = exprKind{vars: trackMetricVars, want: wantNumber}
	kindEvalNotice  = exprKind{vars: evaluationVars, want: wantBool}
	kindEvalMsg     = exprKind{vars: evaluationVars, want: wantString}
	kindPoints      = exprKind{vars: []cel.EnvOption{
		cel.Variable(varTrack, cel.StringType), cel.Variable(varMetric, cel.StringType),
		cel.Variable(varOption, cel.StringType), cel.Variable(varValue, cel.IntType),
	}, want: []*cel.Type{cel.DoubleType, cel.DynType}}
)

// compiler compiles the expressions of one rules file, collecting errors.
type compiler struct {
	base *cel.Env
	file string
	src  []byte
	errs PolicyErrors
	envs map[*exprKind]*cel.Env
	// params, when known, lets compile catch references to missing keys.
	params any
	// disps caches overload bindings per environment for the fast path.
	disps map[*cel.Env]map[string]*functions.Overload
	// compiled counts the expressions compiled without error.
	compiled int
	// noCostLimit skips the cost estimate, for expressions that run once
	// on params.yaml (schema rules) rather than on every record.
	noCostLimit bool
}

func (c *compiler) env(k *exprKind) *cel.Env {
	if e, ok := c.envs[k]; ok {
		return e
	}
	e, err := c.base.Extend(k.vars...)
	if err != nil {
		panic(fmt.Sprintf("engine: CEL environment: %v", err)) // a bug in the declarations above
	}
	c.envs[k] = e
	return e
}

// compile type-checks one expression and returns its program, or records
// every issue with its file position and returns nil.
func (c *compiler) compile(x *exprSource, k *exprKind) *program {
	if x.Text == "" {
		return nil
	}
	return c.compileText(x, k, x.Text)
}

// compileText compiles text in place of x's own text, reporting errors at
// x's position; it lets several expressions be joined into one program.
func (c *compiler) compileText(x *exprSource, k *exprKind, text string) *program {
	env := c.env(k)
	ast, iss := env.Compile(text)
	if iss.Err() != nil {
		for _, e := range iss.Errors() {
			loc := e.Location
			line, col := x.position(c.src, loc.Line(), loc.Column())
			c.errs = append(c.errs, PolicyError{File: c.file, Line: line, Column: col,
				Message: fmt.Sprintf("%s: %s", x.Name, hint(e.Message, env)), Snippet: snippet(c.src, line, col)})
		}
		return nil
	}
	if issues := lintParamsPaths(ast, c.params); len(issues) > 0 {
		for _, is := range issues {
			loc := ast.NativeRep().SourceInfo().GetStartLocation(is.id)
			line, col := x.position(c.src, loc.Line(), loc.Column())
			c.errs = append(c.errs, PolicyError{File: c.file, Line: line, Column: col,
				Message: fmt.Sprintf("%s: %s", x.Name, is.msg), Snippet: snippet(c.src, line, col)})
		}
		return nil
	}
	ok := false
	for _, w := range k.want {
		ok = ok || ast.OutputType().IsExactType(w)
	}
	if !ok {
		line, col := x.position(c.src, 1, 0)
		c.errs = append(c.errs, PolicyError{File: c.file, Line: line, Column: col,
			Message: fmt.Sprintf("%s must evaluate to %s, not %s", x.Name, k.want[0], ast.OutputType())})
		return nil
	}
	if est, err := env.EstimateCost(ast, sizeEstimator{}); err == nil && est.Max > celCostLimit && !c.noCostLimit {
		line, col := x.position(c.src, 1, 0)
		c.errs = append(c.errs, PolicyError{File: c.file, Line: line, Column: col,
			Message: fmt.Sprintf("%s may cost up to %d steps for inputs of %d items, over the limit of %d: avoid nested loops over the facts", x.Name, est.Max, celSizeLimit, celCostLimit)})
		return nil
	}
	if folder, ferr := cel.NewConstantFoldingOptimizer(); ferr == nil {
		if opt, oerr := cel.NewStaticOptimizer(folder); oerr == nil {
			if folded, iss := opt.Optimize(env, ast); iss.Err() == nil {
				ast = folded
			}
		}
	}
	prg, err := env.Program(ast, cel.EvalOptions(cel.OptOptimize))
	c.compiled++
	if err != nil {
		line, col := x.position(c.src, 1, 0)
		c.errs = append(c.errs, PolicyError{File: c.file, Line: line, Column: col, Message: fmt.Sprintf("%s: %v", x.Name, err)})
		return nil
	}
	p := &program{cel: prg}
	if disp, err := c.dispatcher(env); err == nil {
		p.fast = newFastProgram(env, ast, disp)
	}
	return p
}

// dispatcher returns env's overload bindings, indexed once per environment.
func (c *compiler) dispatcher(env *cel.Env) (map[string]*functions.Overload, error) {
	if d, ok := c.disps[env]; ok {
		return d, nil
	}
	d, err := dispatcher(env)
	if err == nil {
		if c.disps == nil {
			c.disps = map[*cel.Env]map[string]*functions.Overload{}
		}
		c.disps[env] = d
	}
	return d, err
}

// program is a compiled expression: cel-go's program, and the fast path
// (fastcel.go) when the expression allows one.
type program struct {
	cel  cel.Program
	fast *fastProgram
}

// slowCEL turns the fast path off, for tests that compare the two.
var slowCEL = false

// Eval evaluates as cel.Program's Eval does. A fast evaluation that ends
// in an error is run again on cel-go, whose error is the one reported.
func (p *program) Eval(act map[string]any) (ref.Val, *cel.EvalDetails, error) {
	if p.fast != nil && !slowCEL {
		if v := p.fast.eval(act); !types.IsUnknownOrError(v) {
			return v, nil, nil
		}
	}
	return p.cel.Eval(act)
}

func evalBool(prg *program, act map[string]any) (bool, error) {
	v, _, err := prg.Eval(act)
	if err != nil {
		return false, err
	}
	x, ok := v.Value().(bool)
	if !ok {
		return false, fmt.Errorf("want a bool, got %v", v)
	}
	return x, nil
}

func evalInt(prg *program, act map[string]any) (int64, error) {
	v, _, err := prg.Eval(act)
	if err != nil {
		return 0, err
	}
	x, ok := v.Value().(int64)
	if !ok {
		return 0, fmt.Errorf("want an int, got %v", v)
	}
	return x, nil
}

func evalDouble(prg *program, act map[string]any) (float64, error) {
	v, _, err := prg.Eval(act)
	if err != nil {
		return 0, err
	}
	switch x := v.Value().(type) {
	case float64:
		return x, nil
	case int64:
		return float64(x), nil
	}
	return 0, fmt.Errorf("want a number, got %v", v)
}

var reflectStrings = reflect.TypeFor[[]string]()

func evalStrings(prg *program, act map[string]any) ([]string, error) {
	v, _, err := prg.Eval(act)
	if err != nil {
		return nil, err
	}
	list, ok := v.Value().([]any)
	if !ok {
		native, err := v.ConvertToNative(reflectStrings)
		if err != nil {
			return nil, fmt.Errorf("want a list of strings, got %v", v)
		}
		return native.([]string), nil
	}
	out := make([]string, len(list))
	for i, x := range list {
		s, ok := x.(string)
		if !ok {
			return nil, fmt.Errorf("want a list of strings, got %v", x)
		}
		out[i] = s
	}
	return out, nil
}
