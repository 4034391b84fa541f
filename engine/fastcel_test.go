package engine

import (
	"bytes"
	"context"
	"encoding/json"
	"testing"

	"evaluate/facts"
	"evaluate/gen"

	"github.com/google/cel-go/cel"
	"github.com/google/cel-go/common/types"
	"github.com/google/cel-go/common/types/ref"
)

// fastCases are CEL constructs the fast path must evaluate exactly as
// cel-go does. fast says the fast path must give the value itself; the
// others may end in an error, which sends the evaluation back to cel-go,
// but a value they give must be cel-go's.
var fastCases = []struct {
	expr string
	fast bool
}{
	{`1 + 2 * 3 - 4 / 2 % 3`, true},
	{`9223372036854775807 + 1 > 0`, false}, // overflow: an error in both
	{`1 / 0 == 1`, false},
	{`1.0 / 0.0 > 1.0`, true},
	{`double(month.workloads[0].paid_seats) * 0.0 / 0.0 < 1.0`, false}, // NaN
	{`dyn(1) == 1.0 && dyn(2u) == 2 && dyn(1) < 1.5`, true},
	{`"a" + "b" < "abc" && "b" >= "a"`, true},
	{`(1 / 0 > 0) || true`, true},
	{`true || (1 / 0 > 0)`, true},
	{`(1 / 0 > 0) && false`, true},
	{`false && (1 / 0 > 0)`, true},
	{`(1 / 0 > 0) && true`, false},
	{`(1 / 0 > 0) ? 1 : 2`, false},
	{`track == "enterprise" ? 1 : 2`, true},
	{`"CPOR" in params.tracks[track].attribution_types`, true},
	{`1 in params.tracks[track].attribution_types`, true},
	{`"enterprise" in params.tracks`, true},
	{`has(params.tracks.smb) && !has(params.tracks.nope)`, true},
	{`has(params.tracks[track].paid_seats.max)`, true},
	{`params.tracks.nope.paid_seats`, false},
	{`int(params.tracks[track].paid_seats.min) + 1`, true},
	{`double(params.deployment_active_ratio) * 100.0`, true},
	{`month.workloads.exists(w, w.workload in params.eligible_workloads && w.paid_seats > 300)`, true},
	{`month.workloads.all(w, w.paid_seats > 0)`, true},
	{`month.workloads.exists_one(w, w.active_users > 100)`, true},
	{`month.workloads.map(w, w.paid_seats).sum()`, true},
	{`month.workloads.filter(w, w.paid_seats > 100).map(w, w.workload).join(", ")`, true},
	{`month.workloads.map(w, w.paid_seats > 100, w.active_users)`, true},
	{`month.workloads.map(w, 10 / (w.paid_seats - w.paid_seats))`, false},
	{`month.workloads.filter(w, 1 / (w.paid_seats - w.paid_seats) > 0).size()`, false},
	{`[0, 1].exists(x, 1 / x > 0)`, true},
	{`[0].exists(x, 1 / x > 0)`, false},
	{`[0, -1].all(x, 1 / x > 0)`, true},
	{`[1, 0].all(x, 1 / x > 0)`, false},
	{`[1, 2].exists(x, [3].exists(x, x == 3))`, true},
	{`month.workloads.map(w, w.paid_seats - 500).exists(x, 1 / x > 0)`, false},
	{`month.workloads.map(w, w.paid_seats - 301).all(x, 1 / x >= 0)`, false},
	{`month.workloads.map(w, w.paid_seats).exists(x, [x].exists(x, x == 500))`, true},
	{`month.workloads.map(w, w.paid_seats).exists_one(x, x > 100 && month.associations.size() > 0)`, true},
	{`cel.bind(x, month.workloads.size(), cel.bind(x, x * 3, x + 1))`, true},
	{`month.workloads.map(w, dyn(w.workload)).exists(x, x)`, false},
	{`month.workloads.map(w, w.paid_seats > 100 ? dyn(true) : dyn(1)).all(x, x)`, false},
	{`month.workloads.filter(w, w.paid_seats > 100000).all(w, w.paid_seats > 0)`, true},
	{`month.workloads.filter(w, w.paid_seats > 100000).exists(w, w.paid_seats > 0)`, true},
	{`month.workloads.all(w, w.paid_seats > 10 || 1 / 0 > 1)`, true},
	{`month.workloads.exists(w, w.paid_seats < 10 && 1 / 0 > 1)`, true},
	{`month.workloads.exists(w, month.associations.exists(a, a == "CPOR" && w.paid_seats > 300))`, true},
	{`cel.bind(unused, 1 / (month.workloads.size() - month.workloads.size()), track)`, true},
	{`month.associations.exists(a, a in params.tracks[track].attribution_types) || month.workloads.size() / 0 > 1`, false},
	{`[1, 2].map(x, [10, 20].map(y, x * y))`, true},
	{`cel.bind(x, 2, cel.bind(x, x * 3, x + 1))`, true},
	{`cel.bind(t, [track], t.exists(track, track == "smb"))`, true},
	{`cel.bind(unused, 1 / 0, 5)`, true},
	{`{"a": 1, "b": 2}.exists(k, k == "b")`, true},
	{`month.associations.size() + size(month.workloads)`, true},
	{`month.workloads[0].paid_seats`, true},
	{`month.workloads[5].paid_seats`, false},
	{`month.month.substring(0, 4) + string(month.workloads.size())`, true},
	{`math.least(3.0, double(month.workloads[0].paid_seats))`, true},
	{`[[1], [2, 3]].flatten() + [4]`, true},
	{`month.workloads.map(w, w.paid_seats) == [500, 20] || month.workloads.map(w, w.paid_seats) == [301]`, true},
	{`[month.workloads.size()] == [dyn(1.0)] && [month.month] != [month.month, month.month]`, true},
	{`month.workloads.map(w, w.paid_seats) + [1, 2, 3, 4, 5, 6, 7]`, true},
	{`[month.workloads.size(), 2][5]`, false},
	{`month.workloads.map(w, w.paid_seats)[dyn(0u)] + [month.workloads.size(), 1, 2, 3, 4, 5, 6][6]`, true},
	{`month.month in [month.month, "x"] && !(1 in month.workloads.map(w, w.paid_seats))`, true},
	{`[[month.month], month.associations].flatten().size()`, true},
	{`params.tracks.map(t, params.tracks[t].attribution_types).flatten()`, true},
	{`dyn(1.5) > 1 && int(dyn(2.0)) == 2`, true},
	{`timestamp("2026-10-31T00:00:00Z") - timestamp("2026-10-01T00:00:00Z") <= duration("720h")`, true},
	{`month.workloads.exists(w, w.workload == "Teams") ? month.workloads.filter(w, w.workload == "Teams")[0].active_users : -1`, true},
}

func TestFastPathMatchesCEL(t *testing.T) {
	b, err := Default(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	base, err := baseEnv(b.Params)
	if err != nil {
		t.Fatal(err)
	}
	c := &compiler{base: base, envs: map[*exprKind]*cel.Env{}}
	kind := &exprKind{vars: monthVars, want: []*cel.Type{cel.DynType, cel.BoolType, cel.IntType, cel.DoubleType, cel.StringType,
		cel.ListType(cel.IntType), cel.ListType(cel.StringType), cel.ListType(cel.ListType(cel.IntType)), cel.ListType(cel.DynType)}}
	months := []*facts.MonthState{
		{Month: "2026-10", Associations: []string{"CPOR"}, Workloads: []facts.WorkloadMonth{
			{Workload: "Teams", PaidSeats: 500, ActiveUsers: 300}, {Workload: "Exchange", PaidSeats: 20, ActiveUsers: 3}}},
		{Month: "2025-10", Associations: []string{"CSP", "DPOR"}, Workloads: []facts.WorkloadMonth{
			{Workload: "Windows", PaidSeats: 301, ActiveUsers: 301}}},
	}
	for _, tc := range fastCases {
		p := c.compileText(&exprSource{Name: "case"}, kind, tc.expr)
		if p == nil {
			t.Fatalf("%s: does not compile: %v", tc.expr, c.errs)
		}
		if p.fast == nil {
			t.Errorf("%s: the fast path cannot compile it", tc.expr)
			continue
		}
		for _, track := range []string{"enterprise", "smb"} {
			for _, st := range months {
				act := map[string]any{varTrack: track, varMonth: monthRecord(st, b.names)}
				want, _, werr := p.cel.Eval(act)
				got := p.fast.eval(act)
				if types.IsUnknownOrError(got) {
					if tc.fast {
						t.Errorf("%s (%s, %s): fast path gave %v; cel-go: %v %v", tc.expr, track, st.Month, got, want, werr)
					}
					continue
				}
				if werr != nil || !sameVal(got, want) {
					t.Errorf("%s (%s, %s): fast path %v (%T), cel-go %v %v", tc.expr, track, st.Month, got, got, want, werr)
				}
				// Through program.Eval the answer is cel-go's either way.
				v, _, err := p.Eval(act)
				if err != nil || !sameVal(v, want) {
					t.Errorf("%s: program.Eval %v %v, cel-go %v", tc.expr, v, err, want)
				}
			}
		}
	}
}

// sameVal compares CEL values by type and equality, lists and maps deeply.
func sameVal(a, b ref.Val) bool {
	if a.Type() != b.Type() {
		return false
	}
	return a.Equal(b) == types.True
}

// TestFastPathScoresLikeCEL scores generated partners with and without the
// fast path; the results (with explanations, which run the `says`
// expressions) must be the same to the byte.
func TestFastPathScoresLikeCEL(t *testing.T) {
	defer func() { slowCEL = false }()
	score := func(slow bool, seed uint64) []byte {
		slowCEL = slow
		b, err := Default(context.Background()) // fresh: points are cached per bundle
		if err != nil {
			t.Fatal(err)
		}
		m, _ := facts.ParseMonth("2026-10")
		var buf bytes.Buffer
		if err := gen.WriteJSON(&buf, gen.Options{Seed: seed, Tenants: 40, Month: m, Vocabulary: b.Vocabulary}); err != nil {
			t.Fatal(err)
		}
		f, err := facts.Parse("gen.json", buf.Bytes(), b.Vocabulary)
		if err != nil {
			t.Fatal(err)
		}
		w, err := f.Window(facts.WindowOptions{})
		if err != nil {
			t.Fatal(err)
		}
		r, err := b.EvaluateWith(context.Background(), f, w, Options{Explain: true, Workers: 1})
		if err != nil {
			t.Fatal(err)
		}
		out, err := json.Marshal(r)
		if err != nil {
			t.Fatal(err)
		}
		return out
	}
	for seed := uint64(1); seed <= 12; seed++ {
		fast, slow := score(false, seed), score(true, seed)
		if !bytes.Equal(fast, slow) {
			t.Errorf("seed %d: fast path and cel-go disagree:\nfast %.400s\ncel  %.400s", seed, fast, slow)
		}
	}
}

// TestRulesUseFastPath keeps the per-tenant programs on the fast path: if
// a rules change makes one fall back to cel-go, scoring slows several
// times over, which the population benchmark would only show much later.
func TestRulesUseFastPath(t *testing.T) {
	b, err := Default(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	for name, p := range map[string]*program{"month rules": b.monthAll, "tenant metrics": b.scopeAll[false],
		"per-option tenant metrics": b.scopeAll[true], "points": b.points, "certification level": b.certLevel} {
		if p == nil || p.fast == nil {
			t.Errorf("%s: not on the fast path", name)
		}
	}
}
