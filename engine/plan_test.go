package engine

import (
	"context"
	"encoding/json"
	"math"
	"strings"
	"testing"

	"evaluate/facts"
	"evaluate/gen"
)

// specPoints is SPEC §1's formula, written here independently of the CEL.
func specPoints(params map[string]any, track, metric, option string, value int64) float64 {
	m := params["tracks"].(map[string]any)[track].(map[string]any)["metrics"].(map[string]any)[metric].(map[string]any)
	top := toFloat(m["max_points"])
	full := m["full_at"]
	if option != "" {
		full = full.(map[string]any)[option]
	}
	if value <= 0 {
		return 0
	}
	return math.Min(top, float64(value)*top/toFloat(full))
}

func toFloat(v any) float64 {
	switch x := v.(type) {
	case int:
		return float64(x)
	case float64:
		return x
	}
	panic(v)
}

// trackValues are a track's metric values per option ("" for track-wide).
type trackValues map[string]map[string]int64

func valuesOf(tr *TrackResult) trackValues {
	v := trackValues{}
	for id, m := range tr.Metrics {
		v[id] = map[string]int64{}
		if len(m.Options) == 0 {
			v[id][""] = m.Value
		}
		for o, opt := range m.Options {
			v[id][o] = opt.Value
		}
	}
	return v
}

// specQualifies applies SPEC §1 to metric values: best option per metric,
// total >= min_total_points and every metric >= min_metric_points.
func specQualifies(params map[string]any, track string, v trackValues) (bool, float64) {
	total, ok := 0.0, true
	for id, opts := range v {
		best := 0.0
		for o, val := range opts {
			best = math.Max(best, specPoints(params, track, id, o, val))
		}
		total += best
		ok = ok && best >= toFloat(params["min_metric_points"])-1e-9
	}
	return ok && total >= toFloat(params["min_total_points"])-1e-9, total
}

func evaluateDoc(t *testing.T, b *Bundle, doc any) *Result {
	t.Helper()
	raw, err := json.Marshal(doc)
	if err != nil {
		t.Fatal(err)
	}
	f, err := facts.Parse("gen.json", raw, b.Vocabulary)
	if err != nil {
		t.Fatal(err)
	}
	w, err := f.Window(facts.WindowOptions{})
	if err != nil {
		t.Fatal(err)
	}
	r, err := b.Evaluate(context.Background(), f, w)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// TestPlanQualifiesWithoutSlack checks every plan on generated partners with
// SPEC's formulas: its steps make the track qualify, one unit less of any
// step does not, and no cheaper plan exists (searched independently).
func TestPlanQualifiesWithoutSlack(t *testing.T) {
	b, err := Default(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	m, _ := facts.ParseMonth("2026-10")
	plans := 0
	for seed := uint64(1); seed <= 24; seed++ {
		r := evaluateDoc(t, b, gen.Document(gen.Options{Seed: seed, Tenants: int(seed % 12), People: int(seed % 5), Month: m, Vocabulary: b.Vocabulary}))
		for name, tr := range r.Tracks {
			if tr.Gap == nil || !tr.Gap.Possible {
				t.Fatalf("seed %d %s: no plan", seed, name)
			}
			if tr.Qualified {
				if len(tr.Gap.Steps) != 0 {
					t.Errorf("seed %d %s qualifies but has steps %+v", seed, name, tr.Gap.Steps)
				}
				continue
			}
			plans++
			v := valuesOf(tr)
			for _, s := range tr.Gap.Steps {
				v[s.Metric][s.Option] += s.Add
			}
			ok, total := specQualifies(b.Params, name, v)
			if !ok || math.Abs(total-tr.Gap.ScoreAfter) > 1e-6 {
				t.Errorf("seed %d %s: plan %+v gives %v (qualifies %v), plan says %v", seed, name, tr.Gap.Steps, total, ok, tr.Gap.ScoreAfter)
			}
			for _, s := range tr.Gap.Steps {
				v[s.Metric][s.Option]--
				if ok, _ := specQualifies(b.Params, name, v); ok {
					t.Errorf("seed %d %s: one %s less on %s still qualifies: slack", seed, name, s.Unit, s.Metric)
				}
				v[s.Metric][s.Option]++
			}
			if cheapest := bruteForceEffort(b.Params, name, valuesOf(tr)); math.Abs(cheapest-tr.Gap.Effort) > 1e-9 {
				t.Errorf("seed %d %s: plan effort %v, cheapest found by brute force %v", seed, name, tr.Gap.Effort, cheapest)
			}
		}
	}
	if plans < 16 {
		t.Errorf("only %d plans checked", plans)
	}
}

// bruteForceEffort tries every number of units for every metric option up
// to its full points (one option per metric), and returns the least effort
// that qualifies. The metric with the widest range goes last and is
// searched by bisection, since more units never lower a score.
func bruteForceEffort(params map[string]any, track string, v trackValues) float64 {
	effort := params["plan_effort"].(map[string]any)
	fulls := map[[2]string]int64{}
	full := func(id, o string) int64 { // units until the option is at full points
		if f, ok := fulls[[2]string{id, o}]; ok {
			return f
		}
		top := specPoints(params, track, id, o, 1<<40)
		add := int64(0)
		for specPoints(params, track, id, o, v[id][o]+add) < top {
			add++
		}
		fulls[[2]string{id, o}] = add
		return add
	}
	var metrics []string
	widest, width := "", int64(-1)
	for id := range v {
		for o := range v[id] {
			if f := full(id, o); f > width {
				widest, width = id, f
			}
		}
		metrics = append(metrics, id)
	}
	for i, id := range metrics {
		if id == widest {
			metrics[i], metrics[len(metrics)-1] = metrics[len(metrics)-1], metrics[i]
		}
	}
	with := func(adds map[[2]string]int64) trackValues {
		w := trackValues{}
		for id, opts := range v {
			w[id] = map[string]int64{}
			for o, x := range opts {
				w[id][o] = x + adds[[2]string{id, o}]
			}
		}
		return w
	}
	best := math.Inf(1)
	adds := map[[2]string]int64{}
	var try func(i int, cost float64)
	try = func(i int, cost float64) {
		if cost >= best {
			return
		}
		id := metrics[i]
		if i == len(metrics)-1 {
			for o := range v[id] {
				lo, hi := int64(0), full(id, o)
				adds[[2]string{id, o}] = hi
				if ok, _ := specQualifies(params, track, with(adds)); !ok {
					delete(adds, [2]string{id, o})
					continue
				}
				for lo < hi {
					mid := (lo + hi) / 2
					adds[[2]string{id, o}] = mid
					if ok, _ := specQualifies(params, track, with(adds)); ok {
						hi = mid
					} else {
						lo = mid + 1
					}
				}
				delete(adds, [2]string{id, o})
				best = math.Min(best, cost+float64(lo)*toFloat(effort[id]))
			}
			return
		}
		try(i+1, cost)
		for o := range v[id] {
			for add := int64(1); add <= full(id, o); add++ {
				adds[[2]string{id, o}] = add
				try(i+1, cost+float64(add)*toFloat(effort[id]))
			}
			delete(adds, [2]string{id, o})
		}
	}
	try(0, 0)
	return best
}

// TestWorkersAndTallyAgree scores a large partner one tenant at a time,
// split across workers, and through a Tally, and expects the same result.
func TestWorkersAndTallyAgree(t *testing.T) {
	b, err := Default(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	m, _ := facts.ParseMonth("2026-10")
	raw, _ := json.Marshal(gen.Document(gen.Options{Seed: 3, Tenants: parallelFrom + 500, Month: m, Vocabulary: b.Vocabulary}))
	f, err := facts.Parse("big.json", raw, b.Vocabulary)
	if err != nil {
		t.Fatal(err)
	}
	w, _ := f.Window(facts.WindowOptions{})
	var outs []string
	for _, workers := range []int{1, 2, 3} {
		r, err := b.EvaluateWith(context.Background(), f, w, Options{Workers: workers})
		if err != nil {
			t.Fatal(err)
		}
		out, _ := json.Marshal(r)
		outs = append(outs, string(out))
	}
	tally := b.NewTally(context.Background(), 2)
	for _, tw := range w.Tenants {
		tally.Add(tw)
	}
	empty := *w
	empty.Tenants = nil
	r, err := b.EvaluateWith(context.Background(), f, &empty, Options{Tally: tally})
	if err != nil {
		t.Fatal(err)
	}
	out, _ := json.Marshal(r)
	outs = append(outs, string(out))
	for i := 1; i < len(outs); i++ {
		if outs[i] != outs[0] {
			t.Errorf("variant %d differs from one worker", i)
		}
	}
}

// TestPeopleMetricBaseline: a people metric is reporting minus baseline,
// as tenant metrics are.
func TestPeopleMetricBaseline(t *testing.T) {
	fsys := copyBundle(t, [3]string{"modern_work/rules.yaml", `reporting: '"intermediate" in levels ? 1 : 0'`,
		`reporting: '"intermediate" in levels ? 1 : 0'` + "\n      baseline: '\"advanced\" in levels ? 1 : 0'"})
	edited, err := Load(context.Background(), fsys, "copy", "")
	if err != nil {
		t.Fatal(err)
	}
	shipped, _ := Default(context.Background())
	m, _ := facts.ParseMonth("2026-10")
	doc := gen.Document(gen.Options{Seed: 5, Tenants: 3, People: 60, Month: m, Vocabulary: shipped.Vocabulary})
	before, after := evaluateDoc(t, shipped, doc), evaluateDoc(t, edited, doc)
	if before.Tracks["smb"].Metrics["advanced_certifications"].Value == 0 {
		t.Fatal("the sample has no advanced certification: the test proves nothing")
	}
	for name, tr := range before.Tracks {
		want := tr.Metrics["intermediate_certifications"].Value - tr.Metrics["advanced_certifications"].Value
		if got := after.Tracks[name].Metrics["intermediate_certifications"].Value; got != want {
			t.Errorf("%s: %d, want intermediate minus advanced = %d", name, got, want)
		}
	}
}

// TestPlanCheckedAgainstRego: when plan.min_total is lower than the bar the
// Rego applies, plans fall short under the verdict, and the bundle is
// refused when it loads, saying so, rather than reporting plans that do not
// qualify.
func TestPlanCheckedAgainstRego(t *testing.T) {
	fsys := copyBundle(t, [3]string{"modern_work/rules.yaml", "min_total: params.min_total_points", "min_total: double(params.min_total_points) - 30.0"})
	_, err := Load(context.Background(), fsys, "edited", "modern_work")
	if err == nil || !strings.Contains(err.Error(), "edited/modern_work/rules.yaml: plan: a partner with every metric at 0: plan for enterprise: the plan") ||
		!strings.Contains(err.Error(), "does not qualify under the policy's verdict") {
		t.Errorf("err = %v, want the plan refused by the verdict", err)
	}
	fsys = copyBundle(t, [3]string{"modern_work/rules.yaml", "min_metric: params.min_metric_points", "min_metric: 0.0"})
	if _, err := Load(context.Background(), fsys, "edited", "modern_work"); err == nil || !strings.Contains(err.Error(), "does not qualify under the policy's verdict") {
		t.Errorf("plan.min_metric 0: err = %v, want the plan refused by the verdict", err)
	}
}
