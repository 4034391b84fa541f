package fastcel

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/cel-go/cel"
	"github.com/google/cel-go/common/types"
	"github.com/google/cel-go/common/types/ref"
	"github.com/google/cel-go/ext"
)

// limitData are the test variables with l a list of n ints and s a
// string of n bytes.
func limitData(n int) []ref.Val {
	l := make([]int64, n)
	for i := range l {
		l[i] = int64(i)
	}
	a := types.DefaultTypeAdapter
	return []ref.Val{types.Int(1), types.Int(2), types.Double(1), types.String(strings.Repeat("ab", n/2)), types.True,
		a.NativeToValue(l), a.NativeToValue([]string{"a"}), a.NativeToValue(map[string]int64{"a": 1}), types.Int(1)}
}

func compileLimited(t *testing.T, env *cel.Env, disp Dispatcher, expr string, limit int64) *Program {
	t.Helper()
	ast, iss := env.Compile(expr)
	if iss.Err() != nil {
		t.Fatalf("%s: %v", expr, iss.Err())
	}
	opts := testOptions
	opts.CostLimit = limit
	p, err := Compile(env, ast, disp, opts)
	if err != nil {
		t.Fatalf("%s: %v", expr, err)
	}
	return p
}

// wantLimit checks that v is an evaluation stopped by a limit, saying
// what says.
func wantLimit(t *testing.T, expr string, v ref.Val, says string) {
	t.Helper()
	err := Stopped(v)
	if err == nil || !errors.Is(err, ErrCostLimit) {
		t.Fatalf("%s: got %v, want a limit error", expr, v)
	}
	if !strings.Contains(err.Error(), says) {
		t.Errorf("%s: %v does not say %q", expr, err, says)
	}
}

// TestStepLimit: a loop ends at the evaluation's cost limit, even inside
// an && or || that would absorb an error, and the program is reusable.
func TestStepLimit(t *testing.T) {
	t.Parallel()
	env, disp := testEnv(t)
	data := limitData(1000)
	for _, expr := range []string{
		`l.exists(e, l.exists(f, e + f < 0))`,
		`l.exists(e, l.exists(f, e + f < 0)) || true`,
		`l.all(e, l.map(f, f * e).size() > 0)`,
		`l.filter(e, l.filter(f, f > e).size() > 0).size() > 0`,
		`l.transformMapEntry(i, v, {string(i): l.map(f, f + v)}).size() > 0`,
		`l.map(e, s.contains("zz")).size() > 0`, // the cost of the string searched
	} {
		p := compileLimited(t, env, disp, expr, 20_000)
		start := time.Now()
		for range 2 {
			wantLimit(t, expr, p.Eval(data), "more than 20000 steps")
		}
		if d := time.Since(start); d > 5*time.Second {
			t.Errorf("%s: stopped after %s", expr, d)
		}
		// Within the limit the same program gives its value.
		if v := p.Eval(limitData(10)); types.IsError(v) {
			t.Errorf("%s on 10 elements: %v", expr, v)
		}
	}
}

// TestEvalContext: a long loop observes its context, and ends with the
// context's error long before its cost limit.
func TestEvalContext(t *testing.T) {
	t.Parallel()
	env, disp := testEnv(t)
	expr := `l.exists(a, l.exists(b, l.exists(c, a + b + c < 0)))` // 10^9 iterations
	p := compileLimited(t, env, disp, expr, 0)
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	start := time.Now()
	v := p.EvalContext(ctx, limitData(1000))
	if err := Stopped(v); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("got %v, want the context's deadline", v)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("stopped after %s, its deadline was 50ms", d)
	}
}

// TestSizeLimits: what would build a string or list over the size limits
// fails before it does, on the fast path and on cel-go (whose bindings
// are the bounded ones), with a small s and l.
func TestSizeLimits(t *testing.T) {
	t.Parallel()
	env, disp := testEnv(t)
	data := limitData(16)
	doubling := func(x string, n int) string { // x doubled n times
		e := "cel.bind(v0, " + x + " + " + x + ", "
		for i := 1; i < n; i++ {
			e += fmt.Sprintf("cel.bind(v%d, v%d + v%d, ", i, i-1, i-1)
		}
		e += fmt.Sprintf("size(v%d)", n-1) + strings.Repeat(")", n)
		return e
	}
	bs := func(n int) string { return strings.Repeat("b, ", n-1) + "b" }
	cases := []struct {
		expr, says string
		celGo      bool // cel-go's bindings refuse it too
	}{
		{`s.replace("", s).replace("", s.replace("", s)).replace("", s.replace("", s)).size()`, "replace would build", true},
		{`cel.bind(a, s.replace("", s), cel.bind(b, a.replace("", a), b.replace("", b).size()))`, "replace would build", true},
		{doubling("s", 30), "a string of", false},
		{doubling("s", 30) + " > 0 || true", "a string of", false}, // final, not absorbed
		{doubling("l", 30), "a list of", false},
		{`cel.bind(a, s.replace("", s), cel.bind(b, a.replace("", a), [` + bs(210) + `].join("").size()))`, "join would build", true},
		{`cel.bind(a, s.replace("", s), cel.bind(b, a.replace("", a), b.replace("", s + s).split("").size()))`, "split would build", true},
		{`cel.bind(a, s.replace("", s), cel.bind(b, a.replace("", a), b.replace("", s + s).split("", 3000000).size()))`, "split would build", true},
		{`cel.bind(a, s.replace("", s), cel.bind(b, a.replace("", a), b.replace("", b, 1000).size()))`, "replace would build", true},
		{`cel.bind(a, s.replace("", s), cel.bind(b, a.replace("", a), [` + bs(210) + `].join().size()))`, "join would build", true},
		{`cel.bind(a, lists.range(1000000), [a, a, a].flatten(1).size())`, "flatten would build", true},
		{`cel.bind(a, lists.range(1000000), [a, a, a, a, a, a, a, a].flatten().size())`, "flatten would build", true},
		{`cel.bind(a, s.replace("", s), cel.bind(b, a.replace("", a), "%s".format([[` + bs(256) + `]]).size()))`, "format would build", true},
	}
	for _, c := range cases {
		p := compileLimited(t, env, disp, c.expr, 0)
		wantLimit(t, c.expr, p.Eval(data), c.says)
		if !c.celGo {
			continue
		}
		ast, _ := env.Compile(c.expr)
		prg, err := env.Program(ast)
		if err != nil {
			t.Fatal(err)
		}
		act := map[string]any{}
		for i, v := range testVars {
			act[v.name] = data[i]
		}
		if _, _, err := prg.Eval(act); !errors.Is(err, ErrCostLimit) {
			t.Errorf("%s on cel-go: %v, want a limit error", c.expr, err)
		}
	}
}

// TestConstantOverLimit: a constant part that meets a limit is an error
// of Compile (and of CheckConstants), not a panic while folding it.
func TestConstantOverLimit(t *testing.T) {
	t.Parallel()
	env, disp := testEnv(t)
	for i, expr := range []string{
		// The expression of issue 15: each step squares the length.
		`cel.bind(a, "abcdefghij".replace("", "abcdefghij"), cel.bind(b, a.replace("", a), cel.bind(c, b.replace("", b), cel.bind(d, c.replace("", c), d.size() > 0)))) && l.exists(e, e == x)`,
		// Ten, a thousand, a hundred thousand, ten million, a billion bytes.
		`x > 0 || "abcdefghij"` + strings.Repeat(`.replace("", "`+strings.Repeat("0123456789", 10)+`")`, 4) + `.size() > 0`,
	} {
		ast, iss := env.Compile(expr)
		if iss.Err() != nil {
			t.Fatal(iss.Err())
		}
		// Compile keeps only small constants, so it finds only what
		// grows past the limits from one (the first).
		var ce *ConstantError
		if _, err := Compile(env, ast, disp, testOptions); i == 0 && (!errors.As(err, &ce) || !errors.Is(err, ErrCostLimit)) {
			t.Errorf("%s: Compile: %v, want a ConstantError", expr, err)
		}
		if err := CheckConstants(env, ast, disp); !errors.As(err, &ce) {
			t.Errorf("%s: CheckConstants: %v, want a ConstantError", expr, err)
		}
	}
	// Under the limits, a large constant is computed at each evaluation
	// rather than kept folded, and is right.
	p := compileLimited(t, env, disp, `"abcdefghij".replace("", "abcdefghij").replace("", "0123456789").size()`, 0)
	if v := p.Eval(limitData(4)); v != types.Int(120+121*10) {
		t.Errorf("got %v", v)
	}
}

// TestDistinctLinear: distinct and the sets functions are linear (a
// hundred thousand elements in well under a second; cel-go's take
// minutes) and agree with cel-go's on mixed lists.
func TestDistinctLinear(t *testing.T) {
	t.Parallel()
	env, disp := testEnv(t)
	plain, err := cel.NewEnv(ext.Lists(), ext.Sets(), cel.Variable("a", cel.DynType), cel.Variable("b", cel.DynType))
	if err != nil {
		t.Fatal(err)
	}
	bounded, err := plain.Extend(Limits())
	if err != nil {
		t.Fatal(err)
	}
	big := make([]int64, 100_000)
	for i := range big {
		big[i] = int64(i % 50_000)
	}
	data := limitData(4)
	data[5] = types.DefaultTypeAdapter.NativeToValue(big)
	start := time.Now()
	for _, expr := range []string{`l.distinct().size() == 50000`, `sets.contains(l, l.distinct()) && sets.equivalent(l, l) && sets.intersects(l, [49999])`} {
		p := compileLimited(t, env, disp, expr, 0)
		if v := p.Eval(data); v != types.True {
			t.Errorf("%s: %v", expr, v)
		}
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("distinct and sets over 100k elements took %s", d)
	}

	// The same results as cel-go's quadratic versions.
	r := rand.New(rand.NewPCG(15, 15))
	elems := []any{int64(1), 1.0, uint64(1), int64(2), 2.5, "a", "b", true, false, nil, []any{int64(1)}, []any{1.0}, map[string]any{"k": int64(1)},
		int64(1) << 60, float64(int64(1) << 60), uint64(1) << 63, -0.0, 0.0, int64(0)}
	randList := func() ref.Val {
		n := r.IntN(8)
		l := make([]any, n)
		for i := range l {
			l[i] = elems[r.IntN(len(elems))]
		}
		return types.DefaultTypeAdapter.NativeToValue(l)
	}
	for _, expr := range []string{`a.distinct()`, `sets.contains(a, b)`, `sets.equivalent(a, b)`, `sets.intersects(a, b)`} {
		wp, gp, _ := plainAndBounded(t, plain, bounded, expr)
		for range 2000 {
			act := map[string]any{"a": randList(), "b": randList()}
			w, _, werr := wp.Eval(act)
			g, _, gerr := gp.Eval(act)
			if (werr != nil) != (gerr != nil) || werr == nil && w.Equal(g) != types.True {
				t.Fatalf("%s on %v: got %v %v, cel-go %v %v", expr, act, g, gerr, w, werr)
			}
		}
	}
}

// TestUnrollBounded: loops over constant lists nested in each other are
// compiled once per element only up to maxUnrolled copies in all (six
// levels of 32 would be a billion), and still give cel-go's values.
func TestUnrollBounded(t *testing.T) {
	t.Parallel()
	env, disp := testEnv(t)
	l := "[" + strings.TrimSuffix(strings.Repeat("1, ", 32), ", ") + "]"
	expr := l + ".exists(a, " + l + ".exists(b, " + l + ".exists(c, " + l + ".exists(d, " + l + ".exists(e, " + l + ".exists(f, a + b + c + d + e + f > x))))))"
	ast, iss := env.Compile(expr)
	if iss.Err() != nil {
		t.Fatal(iss.Err())
	}
	if err := CheckConstants(env, ast, disp); err != nil {
		t.Fatal(err)
	}
	p, err := Compile(env, ast, disp, testOptions)
	if err != nil {
		t.Fatal(err)
	}
	if p.unrolled == 0 || p.unrolled > maxUnrolled {
		t.Errorf("%d element copies compiled, want some and at most %d", p.unrolled, maxUnrolled)
	}
	data := limitData(4)
	if v := p.Eval(data); v != types.True {
		t.Errorf("got %v, want true (x is small)", v)
	}
}

// TestUnrolledFoldsAreSpeculative: a copy of a loop's body for an element
// that cel-go never reaches (exists decided before it) may fold to
// something over the limits; that neither refuses the expression nor
// takes it off the fast path.
func TestUnrolledFoldsAreSpeculative(t *testing.T) {
	t.Parallel()
	env, disp := testEnv(t)
	grow := `string(n)` + strings.Repeat(`.replace("", "0123456789abcdef")`, 6)
	expr := `[1, 2].exists(n, n == 1 || ` + grow + `.size() > 0) && x == x`
	ast, iss := env.Compile(expr)
	if iss.Err() != nil {
		t.Fatal(iss.Err())
	}
	if err := CheckConstants(env, ast, disp); err != nil {
		t.Fatalf("CheckConstants: %v", err)
	}
	p, err := Compile(env, ast, disp, testOptions)
	if err != nil {
		t.Fatalf("Compile: %v", err)
	}
	if v := p.Eval(limitData(4)); v != types.True {
		t.Errorf("got %v, want true", v)
	}
}

// TestFoldedListsShared: a folded list is read by evaluations on several
// goroutines at once (run under the race detector by .ci/run).
func TestFoldedListsShared(t *testing.T) {
	t.Parallel()
	env, disp := testEnv(t)
	ast, iss := env.Compile(`params.names.map(n, n + "!") == ls || params.names.map(n, n + "!") + ls != ls`)
	if iss.Err() != nil {
		t.Fatal(iss.Err())
	}
	p, err := Compile(env, ast, disp, testOptions)
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	for range 4 {
		wg.Go(func() {
			for range 100 {
				if v := p.Eval(limitData(4)); v != types.True {
					t.Errorf("got %v", v)
					return
				}
			}
		})
	}
	wg.Wait()
}

// plainAndBounded are expr's cel-go programs in plain (ext's own
// functions) and in bounded (plain with Limits), and its checked AST in
// bounded, for a test that compares the two.
func plainAndBounded(t *testing.T, plain, bounded *cel.Env, expr string) (want, got cel.Program, checked *cel.Ast) {
	t.Helper()
	wa, iss := plain.Compile(expr)
	if iss.Err() != nil {
		t.Fatal(iss.Err())
	}
	checked, iss = bounded.Compile(expr)
	if iss.Err() != nil {
		t.Fatal(iss.Err())
	}
	want, err1 := plain.Program(wa)
	got, err2 := bounded.Program(checked)
	if err1 != nil || err2 != nil {
		t.Fatal(err1, err2)
	}
	return want, got, checked
}
