package fastcel

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/google/cel-go/cel"
	"github.com/google/cel-go/common/types"
	"github.com/google/cel-go/common/types/ref"
	"github.com/google/cel-go/common/types/traits"
	"github.com/google/cel-go/ext"
)

// The variables of the test environment, at these places.
var testVars = []struct {
	name string
	typ  *cel.Type
}{
	{"x", cel.IntType}, {"y", cel.IntType}, {"d", cel.DoubleType}, {"s", cel.StringType}, {"b", cel.BoolType},
	{"l", cel.ListType(cel.IntType)}, {"ls", cel.ListType(cel.StringType)}, {"m", cel.MapType(cel.StringType, cel.IntType)},
	{"dy", cel.DynType},
}

func testEnv(t testing.TB) (*cel.Env, Dispatcher) {
	t.Helper()
	opts := []cel.EnvOption{
		ext.Bindings(), ext.Math(), ext.Lists(), ext.Strings(), ext.Sets(), ext.TwoVarComprehensions(),
		Limits(),
		cel.Constant("params", cel.DynType, types.DefaultTypeAdapter.NativeToValue(map[string]any{
			"names": []string{"a", "b", "c"}, "n": int64(3), "tracks": map[string]any{"smb": map[string]any{"min": int64(2)}},
		})),
		cel.Function("sum", cel.MemberOverload("list_int_sum", []*cel.Type{cel.ListType(cel.IntType)}, cel.IntType,
			cel.UnaryBinding(func(v ref.Val) ref.Val {
				total := ref.Val(types.IntZero)
				for it := v.(traits.Lister).Iterator(); it.HasNext() == types.True; {
					total = total.(traits.Adder).Add(it.Next())
					if types.IsError(total) {
						return total
					}
				}
				return total
			}))),
	}
	for _, v := range testVars {
		opts = append(opts, cel.Variable(v.name, v.typ))
	}
	env, err := cel.NewEnv(opts...)
	if err != nil {
		t.Fatal(err)
	}
	disp, err := NewDispatcher(env)
	if err != nil {
		t.Fatal(err)
	}
	return env, disp
}

var testOptions = Options{
	Global: func(name string) (int, bool) {
		for i, v := range testVars {
			if v.name == name {
				return i, true
			}
		}
		return 0, false
	},
	Field: func(string, string) (int, bool) { return 0, false },
}

// testData are values of the variables, in place order.
func testData(r *rand.Rand) []ref.Val {
	n := r.IntN(5)
	l := make([]int64, n)
	for i := range l {
		l[i] = int64(r.IntN(7)) - 2
	}
	ls := []string{"a", "b", "", "ab"}[:r.IntN(5)]
	m := map[string]int64{}
	for _, k := range []string{"a", "b", "c"}[:r.IntN(4)] {
		m[k] = int64(r.IntN(5)) - 1
	}
	dy := []any{int64(1), 2.5, "a", true, []int64{1}}[r.IntN(5)]
	a := types.DefaultTypeAdapter
	return []ref.Val{
		types.Int(r.IntN(9) - 3), types.Int(r.IntN(9) - 3), types.Double(float64(r.IntN(9))/2 - 2), types.String([]string{"a", "b", "", "ab"}[r.IntN(4)]),
		types.Bool(r.IntN(2) == 0), a.NativeToValue(l), a.NativeToValue(ls), a.NativeToValue(m), a.NativeToValue(dy),
	}
}

// agree evaluates expr both ways on data: a value from the fast path must
// be cel-go's; it reports whether the fast path gave a value.
func agree(t *testing.T, env *cel.Env, disp Dispatcher, expr string, data []ref.Val) (compiled, fast bool) {
	t.Helper()
	ast, iss := env.Compile(expr)
	if iss.Err() != nil {
		return false, false
	}
	p, err := Compile(env, ast, disp, testOptions)
	if err != nil {
		return false, false
	}
	prg, err := env.Program(ast)
	if err != nil {
		t.Fatalf("%s: %v", expr, err)
	}
	act := map[string]any{}
	for i, v := range testVars {
		act[v.name] = data[i]
	}
	want, _, werr := prg.Eval(act)
	got := p.Eval(data)
	if types.IsUnknownOrError(got) {
		return true, false
	}
	if werr != nil || got.Type() != want.Type() || got.Equal(want) != types.True {
		t.Errorf("%s on %v: fast path %v (%T), cel-go %v %v", expr, data, got, got, want, werr)
	}
	return true, true
}

// cases are constructs the fast path must evaluate as cel-go does; fast
// says it must give a value (not fall back on an error) for every data.
var cases = []struct {
	expr string
	fast bool
}{
	{`1 + 2 * 3 - 4 / 2 % 3`, true},
	{`9223372036854775807 + x > 0`, false}, // overflow for x > 0
	{`x / y == 1`, false},
	{`1.0 / 0.0 > d`, true},
	{`dyn(1) == 1.0 && dyn(2u) == 2 && dyn(1) < 1.5`, true},
	{`"a" + s < "abc" && "b" >= s`, true},
	{`(1 / 0 > 0) || true`, true},
	{`true || (1 / 0 > 0)`, true},
	{`(1 / 0 > 0) && false`, true},
	{`false && (1 / 0 > 0)`, true},
	{`(x / y > 0) && b`, false},
	{`(x / y > 0) ? 1 : 2`, false},
	{`b ? x : y`, true},
	{`s in params.names && !(1 in l)`, true},
	{`"smb" in params.tracks && has(params.tracks.smb) && !has(params.tracks.nope)`, true},
	{`params.tracks.nope.min`, false},
	{`int(params.tracks.smb.min) + x`, true},
	{`l.exists(e, e > x) || l.all(e, e < y)`, true},
	{`l.exists_one(e, e == 0)`, true},
	{`l.map(e, e * 2).sum()`, true},
	{`l.filter(e, e > 0).map(e, e + x).sum() + l.filter(e, e < 0).size()`, true},
	{`l.filter(e, e > 0).map(e, string(e)).join(", ")`, true},
	{`l.map(e, e > 0, e * y)`, true},
	{`l.map(e, 10 / e).sum()`, false},
	{`l.filter(e, 1 / e > 0).size()`, false},
	{`l.map(e, 1 / e).exists(v, v > 0)`, false},
	{`[0, 1].exists(v, 1 / v > 0)`, true},
	{`[0].exists(v, 1 / v > 0)`, false},
	{`[0, -1].all(v, 1 / v > 0)`, true},
	{`[1, 2].exists(v, [3].exists(v, v == 3))`, true},
	{`cel.bind(v, l.size(), cel.bind(v, v * 3, v + 1))`, true},
	{`cel.bind(unused, 1 / (x - x), y)`, true},
	{`l.map(e, dyn(e)).exists(v, v)`, false},
	{`{"a": 1, "b": x}.exists(k, k == s)`, true},
	{`{"a": 1, "a": 2}.size()`, false},
	{`m.transformMapEntry(k, v, {k + "!": v * x})`, true},
	{`l.transformMapEntry(i, v, {string(i): v})`, true},
	{`ls.transformMapEntry(i, v, {v: i})`, false}, // repeated keys for some data
	{`m.all(k, v, v >= -1 && k != "")`, true},
	{`l.size() + size(ls) + m.size()`, true},
	{`l[0]`, false},
	{`[[1], [2, 3]].flatten() + l`, true},
	{`l.map(e, e) == [1, 2] || l + [x] != [x]`, true},
	{`s in ls && !(s in [s, "x"] && false)`, true},
	{`ls.sort().distinct()`, true},
	{`math.greatest(l.map(e, e * y))`, false},
	{`dyn(1.5) > 1 && int(dyn(2.0)) == 2`, true},
	{`dy == 1`, true},
	{`dy + 1 > 0`, false},
	{`timestamp("2026-10-31T00:00:00Z") - timestamp("2026-10-01T00:00:00Z") <= duration("720h")`, true},
	{`m[s] + 1`, false},
	{`has(m.a) ? m.a : -1`, true},
	// Loops over constant lists, compiled once per element.
	{`[1, 2, 3].map(e, e * x + y)`, true},
	{`[1, 2, 3].filter(e, e > x).map(e, e * y).sum() + [4, 5].filter(e, e < y).size()`, true},
	{`[0, 1, 2].map(e, 10 / (e - x)).sum()`, false},
	{`[0, 1].exists(v, v / x > 0)`, false},
	{`[1, 2].exists(e, e == x) || [3, 4].all(e, e != y)`, true},
	{`params.names.exists(n, n == s && b) && params.names.filter(n, n != s).size() < 4`, true},
	{`[{"k": "a", "p": ["ab"]}, {"k": "b"}].map(e, has(e.p) && s in e.p || e.k == s)`, true},
	{`[{"k": 1}, {"k": 2}].map(e, l.map(v, v + e.k).sum())`, true},
	{`[1, 2].map(e, [3, 4].map(f, e * f + x)).flatten().sum()`, true},
	{`[1, 2].map(e, [e, e + 1].map(f, f * x + e))`, true},
	{`[1, 2].map(e, cel.bind(k, e * 2, k + x))`, true},
	{`[1, 2].map(e, l.exists(v, v == e))`, true},
	// Loops over constants alone, folded.
	{`params.names.map(n, n + "!").exists(v, v == s + "!")`, true},
	{`[1, 2, 3].map(v, v * 2).sum() + x`, true},
	{`params.tracks.map(t, params.tracks[t].min).sum() > y`, true},
	{`[0, 1].map(v, 1 / v).size() + x`, false},
	// cel.bind of a variable (a function's parameter): read where it is.
	{`cel.bind(v, y, cel.bind(y, 5, v + y))`, true},
	{`cel.bind(x, x, x * 2) + x`, true},
	{`l.map(e, cel.bind(v, e, cel.bind(w, v, w + x)))`, true},
	{`cel.bind(v, dy, v == 1)`, true},
	// Constant operands of &&, || and ?:.
	{`(x > 0 || true) && b`, true},
	{`b && (false || s == "a")`, true},
	{`(l.size() > 0 && false) || b`, true},
	{`x > 0 ? (true || x / y > 0) : false`, true},
	{`params.n > 2 ? x : y / 0`, true},
	{`params.n < 2 ? y / 0 : x`, true},
	{`(true && x / y > 0) || b`, false},
	{`false || dy`, false},
}

func TestMatchesCEL(t *testing.T) {
	env, disp := testEnv(t)
	r := rand.New(rand.NewPCG(1, 2))
	for _, tc := range cases {
		ast, iss := env.Compile(tc.expr)
		if iss.Err() != nil {
			t.Fatalf("%s: %v", tc.expr, iss.Err())
		}
		if _, err := Compile(env, ast, disp, testOptions); err != nil {
			t.Errorf("%s: the fast path cannot compile it: %v", tc.expr, err)
			continue
		}
		for range 40 {
			data := testData(r)
			if _, fast := agree(t, env, disp, tc.expr, data); !fast && tc.fast {
				t.Errorf("%s on %v: the fast path gave an error", tc.expr, data)
			}
		}
	}
}

// gen writes a random expression of a type from the fuzzer's choices.
type exprGen struct {
	r     *rand.Rand
	iters []string // comprehension variables in scope (ints)
	n     int
}

func (g *exprGen) pick(n int) int { return g.r.IntN(n) }

func (g *exprGen) intExpr(depth int) string {
	g.n++
	if depth <= 0 || g.n > 40 {
		leaves := []string{"x", "y", "0", "1", "-2", "l.size()", "params.n"}
		if len(g.iters) > 0 {
			leaves = append(leaves, g.iters[g.pick(len(g.iters))])
		}
		return leaves[g.pick(len(leaves))]
	}
	d := depth - 1
	switch g.pick(12) {
	case 0, 1:
		op := []string{"+", "-", "*", "/", "%"}[g.pick(5)]
		return "(" + g.intExpr(d) + " " + op + " " + g.intExpr(d) + ")"
	case 2:
		return "(" + g.boolExpr(d) + " ? " + g.intExpr(d) + " : " + g.intExpr(d) + ")"
	case 3:
		return g.listExpr(d) + ".size()"
	case 4:
		return g.listExpr(d) + ".sum()"
	case 5:
		return g.listExpr(d) + "[" + g.intExpr(d) + "]"
	case 6:
		v := g.fresh()
		body := g.intExpr(d)
		g.iters = g.iters[:len(g.iters)-1]
		return "cel.bind(" + v + ", " + g.intExpr(d) + ", " + body + ")"
	case 7:
		return "m[" + g.strExpr(d) + "]"
	case 8:
		return "int(" + g.strExpr(d) + ".size())"
	case 9:
		return "math.least(" + g.intExpr(d) + ", " + g.intExpr(d) + ")"
	case 10:
		return "int(d * double(" + g.intExpr(d) + "))"
	}
	return g.intExpr(d)
}

func (g *exprGen) fresh() string {
	v := fmt.Sprintf("v%d", len(g.iters))
	g.iters = append(g.iters, v)
	return v
}

func (g *exprGen) boolExpr(depth int) string {
	g.n++
	if depth <= 0 || g.n > 40 {
		return []string{"b", "true", "false", "x > y", "s == \"a\""}[g.pick(5)]
	}
	d := depth - 1
	switch g.pick(10) {
	case 0:
		return "(" + g.intExpr(d) + " " + []string{"<", "<=", "==", "!=", ">", ">="}[g.pick(6)] + " " + g.intExpr(d) + ")"
	case 1:
		return "(" + g.boolExpr(d) + " && " + g.boolExpr(d) + ")"
	case 2:
		return "(" + g.boolExpr(d) + " || " + g.boolExpr(d) + ")"
	case 3:
		return "!" + g.boolExpr(d)
	case 4, 5:
		list := g.listExpr(d)
		v := g.fresh()
		body := g.boolExpr(d)
		g.iters = g.iters[:len(g.iters)-1]
		return list + "." + []string{"exists", "all", "exists_one"}[g.pick(3)] + "(" + v + ", " + body + ")"
	case 6:
		return "(" + g.intExpr(d) + " in " + g.listExpr(d) + ")"
	case 7:
		return "(" + g.strExpr(d) + " in ls)"
	case 8:
		return "has(m." + []string{"a", "b", "z"}[g.pick(3)] + ")"
	}
	return g.boolExpr(d)
}

func (g *exprGen) strExpr(depth int) string {
	g.n++
	if depth <= 0 || g.n > 40 {
		return []string{"s", "\"a\"", "\"\"", "params.names[0]"}[g.pick(4)]
	}
	d := depth - 1
	switch g.pick(5) {
	case 0:
		return "(" + g.strExpr(d) + " + " + g.strExpr(d) + ")"
	case 1:
		return "string(" + g.intExpr(d) + ")"
	case 2:
		return "ls[" + g.intExpr(d) + "]"
	case 3:
		return g.listExpr(d) + ".map(" + g.bindInt(d, func() string { return "string(" + g.intExpr(d) + ")" }) + ").join(\",\")"
	}
	return g.strExpr(d)
}

// bindInt is "v, body" for a macro over ints, with v in scope in body.
func (g *exprGen) bindInt(_ int, body func() string) string {
	v := g.fresh()
	b := body()
	g.iters = g.iters[:len(g.iters)-1]
	return v + ", " + b
}

func (g *exprGen) listExpr(depth int) string {
	g.n++
	if depth <= 0 || g.n > 40 {
		return []string{"l", "[]", "[x, y]", "[1, 2, 3]"}[g.pick(4)]
	}
	d := depth - 1
	switch g.pick(7) {
	case 0:
		return g.listExpr(d) + ".filter(" + g.bindInt(d, func() string { return g.boolExpr(d) }) + ")"
	case 1:
		return g.listExpr(d) + ".map(" + g.bindInt(d, func() string { return g.intExpr(d) }) + ")"
	case 2:
		return "(" + g.listExpr(d) + " + " + g.listExpr(d) + ")"
	case 3:
		return "[" + g.intExpr(d) + ", " + g.intExpr(d) + "]"
	case 4:
		return g.listExpr(d) + ".map(" + g.bindInt(d, func() string { return g.boolExpr(d) }) + ", " + g.intExpr(d) + ")"
	case 5:
		return "m.transformList(k, v, " + g.intExpr(d) + ")"
	}
	return g.listExpr(d)
}

// FuzzMatchesCEL compares the fast path's values with cel-go's on
// generated expressions and data: the fuzzer chooses both (its input seeds
// the generator). Expressions that do not type-check are skipped.
func FuzzMatchesCEL(f *testing.F) {
	for _, seed := range []uint64{1, 2, 3, 42, 99, 1234, 98765} {
		f.Add(seed, seed*7+1)
	}
	f.Fuzz(func(t *testing.T, exprSeed, dataSeed uint64) {
		env, disp := testEnv(t)
		g := &exprGen{r: rand.New(rand.NewPCG(exprSeed, 3))}
		var expr string
		switch g.pick(4) {
		case 0:
			expr = g.intExpr(4)
		case 1:
			expr = g.boolExpr(4)
		case 2:
			expr = g.strExpr(4)
		default:
			expr = g.listExpr(4)
		}
		r := rand.New(rand.NewPCG(dataSeed, 5))
		for range 8 {
			agree(t, env, disp, expr, testData(r))
		}
	})
}

// TestGeneratedExpressionsCompile keeps the generator honest: most of what
// it writes type-checks and runs on the fast path, so the fuzz target
// compares values rather than skipping.
func TestGeneratedExpressionsCompile(t *testing.T) {
	env, disp := testEnv(t)
	compiled, valued := 0, 0
	var failures []string
	for seed := range uint64(300) {
		g := &exprGen{r: rand.New(rand.NewPCG(seed, 3))}
		expr := g.intExpr(4)
		r := rand.New(rand.NewPCG(seed, 5))
		c, fast := agree(t, env, disp, expr, testData(r))
		if c {
			compiled++
		} else if len(failures) < 3 {
			failures = append(failures, expr)
		}
		if fast {
			valued++
		}
	}
	if compiled < 250 || valued < 100 {
		t.Errorf("of 300 generated expressions %d compile and %d give values; e.g. %s", compiled, valued, strings.Join(failures, " | "))
	}
}

// TestKnownGlobals: a global in Options.Known folds as a constant would,
// and a program that depends on nothing else is constant.
func TestKnownGlobals(t *testing.T) {
	env, disp := testEnv(t)
	opts := testOptions
	opts.Known = map[int]ref.Val{0: types.Int(2), 3: types.String("a")} // x, s
	for _, tc := range []struct {
		expr     string
		constant bool
	}{
		{`x * 3 + params.n`, true},
		{`s == "a" ? x : y / 0`, true},
		{`s == "b" && y / 0 > 1`, true},
		{`x + y`, false},
		{`[1, 2].map(e, e * x + y)`, false},
	} {
		ast, iss := env.Compile(tc.expr)
		if iss.Err() != nil {
			t.Fatal(iss.Err())
		}
		p, err := Compile(env, ast, disp, opts)
		if err != nil {
			t.Fatalf("%s: %v", tc.expr, err)
		}
		if _, ok := p.Constant(); ok != tc.constant {
			t.Errorf("%s: constant %v, want %v", tc.expr, ok, tc.constant)
		}
		r := rand.New(rand.NewPCG(3, 4))
		for range 20 {
			data := testData(r)
			data[0], data[3] = types.Int(2), types.String("a")
			prg, _ := env.Program(ast)
			act := map[string]any{}
			for i, v := range testVars {
				act[v.name] = data[i]
			}
			want, _, _ := prg.Eval(act)
			if got := p.Eval(data); !types.IsUnknownOrError(got) && got.Equal(want) != types.True {
				t.Errorf("%s on %v: %v, cel-go %v", tc.expr, data, got, want)
			}
		}
	}
}
