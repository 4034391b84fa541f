package engine

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"path"
	"strconv"
	"strings"
	"testing"
	"testing/fstest"
	"time"

	policies "evaluate"
	"evaluate/facts"
	"evaluate/internal/fastcel"
)

// The shipped modern_work function that the tests below make hostile:
// every tenant rule calls it, through eligible(m).
const associatedBody = "body: m.types.exists(a, a in types)"

// modernWorkWith is the embedded modern_work designation, in memory, with
// the body of associated(m) replaced by body (a YAML scalar).
func modernWorkWith(t testing.TB, body string) fstest.MapFS {
	t.Helper()
	fsys := fstest.MapFS{}
	err := fs.WalkDir(policies.Policies, "modern_work", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		data, err := fs.ReadFile(policies.Policies, p)
		if err != nil {
			return err
		}
		if p == path.Join("modern_work", RulesFile) {
			if !strings.Contains(string(data), associatedBody) {
				t.Fatalf("%s no longer has %q", p, associatedBody)
			}
			data = []byte(strings.Replace(string(data), associatedBody, "body: "+body, 1))
		}
		fsys[p] = &fstest.MapFile{Data: data}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return fsys
}

// loadModernWork compiles modern_work with associated(m)'s body replaced,
// without checking its plans (which would score with it).
func loadModernWork(t testing.TB, body string) (*Bundle, error) {
	t.Helper()
	return load(context.Background(), modernWorkWith(t, body), "hostile", []string{"modern_work"}, false)
}

// bigTenant is a fact file of one tenant with n workloads, each with a
// month of usage in the baseline and the reporting month.
func bigTenant(t testing.TB, b *Bundle, n int) (*facts.File, *facts.Window) {
	t.Helper()
	var sb strings.Builder
	sb.WriteString(`{"partner": {"id": "big"}, "month": "2026-10", "as_of": "2026-11-20", "customers": [{"tenant": "t1", "associations": [{"type": "CPOR", "from": "2023-01-01"}], "workloads": [`)
	for i := range n {
		if i > 0 {
			sb.WriteByte(',')
		}
		fmt.Fprintf(&sb, `{"workload": "Teams %d", "usage": [{"month": "2025-10", "paid_seats": 400, "active_users": 100}, {"month": "2026-10", "paid_seats": 400, "active_users": 300}]}`, i)
	}
	sb.WriteString(`]}]}`)
	f, err := facts.Parse("big.json", 1, []byte(sb.String()), &b.Schema)
	if err != nil {
		t.Fatal(err)
	}
	w, err := f.Window(facts.WindowOptions{Needs: b.Needs})
	if err != nil {
		t.Fatal(err)
	}
	return f, w
}

// TestConstantBlowUpRefusedAtLoad: the expression of issue 15, whose
// constant strings square their length at each step, is a policy error
// at its line when the bundle loads, not a panic in constant folding or
// an out-of-memory.
func TestConstantBlowUpRefusedAtLoad(t *testing.T) {
	t.Parallel()
	body := `'cel.bind(a, "abcdefghij".replace("", "abcdefghij"), cel.bind(b, a.replace("", a), cel.bind(c, b.replace("", b), cel.bind(d, c.replace("", c), d.size() > 0)))) && m.types.exists(a, a in types)'`
	_, err := loadModernWork(t, body)
	var pe PolicyErrors
	if !errors.As(err, &pe) {
		t.Fatalf("got %v, want policy errors", err)
	}
	if len(pe) != 1 || pe[0].File != "hostile/modern_work/rules.yaml" || pe[0].Line != 60 ||
		!strings.Contains(pe[0].Message, "functions[associated(m: Month)]: expression exceeds the cost limit: replace would build a string of") {
		t.Errorf("got %v, want one error at modern_work/rules.yaml:60 that the expression exceeds the cost limit", pe)
	}
}

// eligibleNowLine is the line of Modern Work's eligible_now expression,
// where the expensive function those tests put in is called from (read,
// so that a comment added above it does not break them).
func eligibleNowLine(t *testing.T) string {
	t.Helper()
	src, err := fs.ReadFile(policies.Policies, "modern_work/rules.yaml")
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(string(src), "\n")
	for i, l := range lines {
		if strings.TrimSpace(l) == "- name: eligible_now" && i+1 < len(lines) {
			return strconv.Itoa(i + 2)
		}
	}
	t.Fatal("no eligible_now in modern_work/rules.yaml")
	return ""
}

// TestCELCostLimitAtRuntime: a rule that looks cheap to the estimate (it
// assumes a hundred workloads) but is not on a large tenant ends with a
// clear error naming the file and line, quickly, on the fast path and on
// cel-go.
func TestCELCostLimitAtRuntime(t *testing.T) {
	t.Parallel()
	// s2 is 1.2 MB, searched once per workload: 74,000 steps each.
	body := `'cel.bind(s, "0123456789abcdef0123456789abcdef".replace("", "0123456789abcdef0123456789abcdef"), cel.bind(s2, s.replace("", s), m.workloads.exists(w, s2.contains(w.workload)))) || m.types.exists(a, a in types)'`
	b, err := loadModernWork(t, body)
	if err != nil {
		t.Fatal(err)
	}
	f, w := bigTenant(t, b, 2000)
	where := "CEL evaluation exceeded its cost limit in modern_work/rules.yaml:" + eligibleNowLine(t)
	start := time.Now()
	_, err = b.Evaluate(context.Background(), f, w, Options{Workers: 1})
	if !errors.Is(err, fastcel.ErrCostLimit) || !strings.Contains(err.Error(), where) {
		t.Errorf("got %v, want %q", err, where)
	}
	if d := time.Since(start); d > runawayBound {
		t.Errorf("stopped after %s", d)
	}
	// cel-go, as for explanations: its own cost limit.
	x := flowExpr(t, b, "values[eligible_now]")
	act := b.newScorer(w.Month).tenantActivation(0, &w.Tenants[0])
	act[varTrack] = "enterprise"
	start = time.Now()
	_, err = x.evalContext(context.Background(), act)
	if !errors.Is(err, fastcel.ErrCostLimit) || !strings.Contains(err.Error(), where) {
		t.Errorf("cel-go: got %v, want %q", err, where)
	}
	if d := time.Since(start); d > runawayBound {
		t.Errorf("cel-go stopped after %s", d)
	}
}

// TestCELSizeLimits: a string that doubles at each step fails at the
// size limit, with the file and line, on the fast path and on cel-go
// (which would otherwise grow it to gigabytes within its cost limit).
func TestCELSizeLimits(t *testing.T) {
	t.Parallel()
	x := "m.month + m.month"
	for range 25 {
		x = "cel.bind(x, " + x + ", x + x)"
	}
	b, err := loadModernWork(t, "'"+x+".size() > 0 && m.types.exists(a, a in types)'")
	if err != nil {
		t.Fatal(err)
	}
	f, w := bigTenant(t, b, 1)
	where := "CEL evaluation exceeded its cost limit in modern_work/rules.yaml:" + eligibleNowLine(t) + ": "
	_, err = b.Evaluate(context.Background(), f, w, Options{Workers: 1})
	if !errors.Is(err, fastcel.ErrCostLimit) || !strings.Contains(err.Error(), where) {
		t.Errorf("got %v, want %q", err, where)
	}
	x2 := flowExpr(t, b, "values[eligible_now]")
	act := b.newScorer(w.Month).tenantActivation(0, &w.Tenants[0])
	act[varTrack] = "enterprise"
	_, err = x2.evalContext(context.Background(), act)
	if !errors.Is(err, fastcel.ErrCostLimit) || !strings.Contains(err.Error(), where) {
		t.Errorf("cel-go: got %v, want %q", err, where)
	}
}

// flowExpr is the tenant expression named name.
func flowExpr(t *testing.T, b *Bundle, name string) *compiled {
	t.Helper()
	for _, e := range b.Designations[0].tenantFlow.exprs() {
		if e.src.Name == name {
			return e
		}
	}
	t.Fatalf("no %s", name)
	return nil
}

// TestCELObservesContextInsideTenant: a rule nesting exists over the
// workloads of one tenant of 10,000 workloads (a trillion iterations)
// stops at the run's deadline, with the context's error (the CLI's "took
// longer than --timeout"), on the fast path and on cel-go: the context
// is looked at inside the loops, not only between tenants.
func TestCELObservesContextInsideTenant(t *testing.T) {
	t.Parallel()
	body := `'m.workloads.exists(w, m.workloads.exists(v, m.workloads.exists(u, u.workload == w.workload + v.workload))) || m.types.exists(a, a in types)'`
	b, err := loadModernWork(t, body)
	if err != nil {
		t.Fatal(err)
	}
	f, w := bigTenant(t, b, 10_000)
	within := func(what string, run func(ctx context.Context) error) {
		ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
		defer cancel()
		start := time.Now()
		err := run(ctx)
		if !errors.Is(err, context.DeadlineExceeded) {
			t.Errorf("%s: got %v, want the context's deadline", what, err)
		}
		if d := time.Since(start); d > runawayBound {
			t.Errorf("%s: stopped after %s, its deadline was 100ms", what, d)
		}
	}
	within("Evaluate", func(ctx context.Context) error {
		_, err := b.Evaluate(ctx, f, w, Options{Workers: 1})
		return err
	})
	x := flowExpr(t, b, "values[eligible_now]")
	act := b.newScorer(w.Month).tenantActivation(0, &w.Tenants[0])
	act[varTrack] = "enterprise"
	within("cel-go", func(ctx context.Context) error {
		_, err := x.evalContext(ctx, act)
		return err
	})
}

// TestSchemaDistinctLinear: the params schema's check that eligible
// workloads are listed once each (unique_items; a CEL rule with cel-go's
// distinct() took 13 s, 56 s for twice as many, and then failed on its cost
// limit) is linear: fifty thousand workloads are checked in about a
// second, YAML included, and a repeated one is still found.
func TestSchemaDistinctLinear(t *testing.T) {
	t.Parallel()
	params, err := fs.ReadFile(policies.Policies, "modern_work/params.yaml")
	if err != nil {
		t.Fatal(err)
	}
	schema, err := fs.ReadFile(policies.Policies, "modern_work/params.schema.yaml")
	if err != nil {
		t.Fatal(err)
	}
	withWorkloads := func(names []string) []byte {
		var sb strings.Builder
		for _, n := range names {
			sb.WriteString("  - " + n + "\n")
		}
		i := strings.Index(string(params), "eligible_workloads:\n")
		rest := string(params)[i+len("eligible_workloads:\n"):]
		for strings.HasPrefix(rest, "  - ") {
			rest = rest[strings.Index(rest, "\n")+1:]
		}
		return []byte(string(params)[:i] + "eligible_workloads:\n" + sb.String() + rest)
	}
	names := make([]string, 50_000)
	for i := range names {
		names[i] = fmt.Sprintf("Workload%d", i)
	}
	for _, c := range []struct {
		names []string
		twice bool
	}{{names, false}, {append(names[:len(names):len(names)], "Workload77"), true}} {
		fsys := fstest.MapFS{"d/params.yaml": {Data: withWorkloads(c.names)}, "d/params.schema.yaml": {Data: schema}}
		start := time.Now()
		_, _, errs, _, _ := readParams(fsys, "d")
		// About a second here, 13 s and a cost limit error before (a
		// slow machine is not mistaken for a quadratic distinct).
		if d := time.Since(start); d > runawayBound {
			t.Errorf("%d workloads checked in %s", len(c.names), d)
		}
		if got := strings.Contains(errs.Error(), `"Workload77" is listed twice`); got != c.twice || len(errs) != map[bool]int{false: 0, true: 1}[c.twice] {
			t.Errorf("%d workloads: %v", len(c.names), errs)
		}
	}
}
