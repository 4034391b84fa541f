package engine

import (
	"context"
	"io/fs"
	"os"
	"path"
	"runtime"
	"strings"
	"testing"
	"testing/fstest"
	"time"

	policies "evaluate"
	"evaluate/facts"
)

// The places of modern_work's rules.yaml a fuzzed expression replaces:
// a function's body (run for every tenant, through eligible(m)), a value
// of every tenant, and a metric's formula (run once per partner, and not
// estimated when the bundle loads).
var fuzzSlots = []struct{ old, key string }{
	{"      body: m.types.exists(a, a in types)\n", "      body: "},
	{"      expr: eligible(now)\n", "      expr: "},
	{"      value: double(now - base)\n", "      value: "},
}

// Budgets of one input: loading and scoring each have a deadline, and
// whatever the expression, the run ends soon after it and allocates no
// more than a few evaluations' AllocLimit.
const (
	fuzzLoadTimeout = 2 * time.Second
	fuzzEvalTimeout = 200 * time.Millisecond
	fuzzMaxTime     = 6 * time.Second
	fuzzMaxAlloc    = 3 << 30
)

// FuzzBundleCEL substitutes a generated CEL expression into a copy of
// modern_work, loads it, and if it loads scores a small fact file: never
// a panic, never a hang past the budget, never an allocation past a
// bound, whatever the expression.
func FuzzBundleCEL(f *testing.F) {
	base := map[string][]byte{}
	err := fs.WalkDir(policies.Policies, "modern_work", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		base[p], err = fs.ReadFile(policies.Policies, p)
		return err
	})
	if err != nil {
		f.Fatal(err)
	}
	rules := string(base[path.Join("modern_work", RulesFile)])
	for _, s := range fuzzSlots {
		if strings.Count(rules, s.old) < 1 {
			f.Fatalf("modern_work/rules.yaml no longer has %q", s.old)
		}
	}
	factsSrc, err := os.ReadFile("../testcases/modern_work/association_in_effect.yaml")
	if err != nil {
		f.Fatal(err)
	}

	for _, seed := range []struct {
		slot uint8
		expr string
	}{
		{0, `m.types.exists(a, a in types)`},
		// Issue 15: constant strings that square their length at each step.
		{0, `cel.bind(a, "abcdefghij".replace("", "abcdefghij"), cel.bind(b, a.replace("", a), cel.bind(c, b.replace("", b), cel.bind(d, c.replace("", c), d.size() > 0)))) && m.types.exists(a, a in types)`},
		{1, `cel.bind(a, now.month.replace("", now.month), cel.bind(b, a.replace("", a), cel.bind(c, b.replace("", b), c.size() > 0)))`},
		// Nested loops over the facts, over constants, and work that
		// grows with the strings searched.
		{0, `m.workloads.exists(w, m.workloads.exists(v, m.workloads.exists(u, u.workload == w.workload + v.workload)))`},
		{1, `lists.range(1000).all(i, lists.range(1000).all(j, lists.range(1000).all(k, k >= 0)))`},
		{2, `double(cel.bind(s, "0123456789abcdef".replace("", "0123456789abcdef"), cel.bind(s2, s.replace("", s), lists.range(100000).filter(i, s2.contains("zz")).size())))`},
		// Strings and lists that double at each step.
		{1, `cel.bind(a, now.month + now.month, cel.bind(b, a + a, cel.bind(c, b + b, cel.bind(d, c + c, cel.bind(e, d + d, cel.bind(f, e + e, cel.bind(g, f + f, cel.bind(h, g + g, cel.bind(i, h + h, cel.bind(j, i + i, cel.bind(k, j + j, cel.bind(l, k + k, cel.bind(n, l + l, cel.bind(o, n + n, cel.bind(p, o + o, cel.bind(q, p + p, cel.bind(r, q + q, cel.bind(s, r + r, cel.bind(t, s + s, cel.bind(u, t + t, cel.bind(v, u + u, cel.bind(w, v + v, cel.bind(x, w + w, cel.bind(y, x + x, cel.bind(z, y + y, z.size() > 0)))))))))))))))))))))))))`},
		{2, `double(cel.bind(a, lists.range(10), cel.bind(b, a + a, cel.bind(c, b + b, cel.bind(d, c + c, cel.bind(e, d + d, cel.bind(f, e + e, cel.bind(g, f + f, cel.bind(h, g + g, cel.bind(i, h + h, cel.bind(j, i + i, cel.bind(k, j + j, cel.bind(l, k + k, cel.bind(n, l + l, cel.bind(o, n + n, cel.bind(p, o + o, cel.bind(q, p + p, cel.bind(r, q + q, cel.bind(s, r + r, cel.bind(t, s + s, cel.bind(u, t + t, [u, u, u].flatten().distinct().size())))))))))))))))))))))`},
		{2, `double([lists.range(30000), lists.range(30000)].flatten().map(x, string(x)).join("").size())`},
		{1, `"%s %s".format([lists.range(100000), lists.range(10000).map(i, now.month)]).size() > 0`},
		{0, `m.workloads.map(w, w.workload).distinct().size() == lists.range(20000).map(i, i % 7).distinct().size()`},
		// Arithmetic that fails.
		{0, `9223372036854775807 + 1 > 0 && m.types.exists(a, a in types)`},
		{1, `-9223372036854775808 - 1 < 0 || now.workloads.size() / 0 > 0`},
		{2, `double(now / (base - base))`},
		// Deep nesting.
		{0, strings.Repeat("(", 200) + "true" + strings.Repeat(")", 200)},
		{1, strings.Repeat("[", 120) + strings.Repeat("]", 120) + ".size() > 0"},
		{0, strings.Repeat("cel.bind(x, 1, ", 100) + "x > 0" + strings.Repeat(")", 100)},
		{2, `double(lists.range(10000).transformMapEntry(i, v, {string(v): lists.range(10)}).size())`},
	} {
		f.Add(seed.slot, seed.expr)
	}

	f.Fuzz(func(t *testing.T, slot uint8, expr string) {
		t.Parallel() // the seeds; fuzzing runs one input at a time
		s := fuzzSlots[int(slot)%len(fuzzSlots)]
		// A block scalar holds any expression, each line indented.
		block := "|-\n        " + strings.ReplaceAll(expr, "\n", "\n        ") + "\n"
		fsys := fstest.MapFS{}
		for p, data := range base {
			if p == path.Join("modern_work", RulesFile) {
				data = []byte(strings.Replace(rules, s.old, s.key+block, 1))
			}
			fsys[p] = &fstest.MapFile{Data: data}
		}
		var before runtime.MemStats
		runtime.ReadMemStats(&before)
		start := time.Now()
		defer func() {
			if d := time.Since(start); d > fuzzMaxTime {
				t.Errorf("took %s, past the budget of %s", d, fuzzMaxTime)
			}
			// Process-wide: with the seeds in parallel, a bound for
			// those running alongside too.
			var after runtime.MemStats
			runtime.ReadMemStats(&after)
			if n := after.TotalAlloc - before.TotalAlloc; n > fuzzMaxAlloc {
				t.Errorf("allocated %d MiB, past the bound of %d MiB", n>>20, fuzzMaxAlloc>>20)
			}
		}()

		ctx, cancel := context.WithTimeout(context.Background(), fuzzLoadTimeout)
		defer cancel()
		b, err := load(ctx, fsys, "fuzz", []string{"modern_work"}, false)
		if err != nil {
			return // refused: what a bad expression should be
		}
		file, err := facts.Parse("f.yaml", 1, factsSrc, &b.Schema)
		if err != nil {
			t.Fatal(err)
		}
		w, err := file.Window(facts.WindowOptions{Needs: b.Needs})
		if err != nil {
			t.Fatal(err)
		}
		ectx, ecancel := context.WithTimeout(context.Background(), fuzzEvalTimeout)
		defer ecancel()
		for _, explain := range []bool{false, true} {
			// An error is fine; a panic or a hang is not.
			b.Evaluate(ectx, file, w, Options{Workers: 1, Explain: explain})
		}
	})
}
