package engine

import (
	"context"
	"testing"

	policies "evaluate"
	"evaluate/facts"

	"github.com/google/cel-go/common/types/ref"
)

// benchPartner is a generated partner of n tenants with its window.
func benchPartner(b *testing.B, bundle *Bundle, n int) (*facts.File, *facts.Window) {
	return benchPartnerT(b, bundle, n)
}

func benchPartnerT(b testing.TB, bundle *Bundle, n int) (*facts.File, *facts.Window) {
	return benchPartnerSeed(b, bundle, n, 1)
}

// benchPartnerSeed is benchPartnerT with the generator's seed.
func benchPartnerSeed(b testing.TB, bundle *Bundle, n int, seed uint64) (*facts.File, *facts.Window) {
	b.Helper()
	m, _ := facts.ParseMonth("2026-10")
	f, w, err := bundle.generated("g.json", seed, n, m)
	if err != nil {
		b.Fatal(err)
	}
	return f, w
}

// BenchmarkEvaluate1k scores 1,000 tenants for every designation, or for
// one (sub-benchmarks), on one worker: the rules' cost per tenant.
func BenchmarkEvaluate1k(b *testing.B) {
	all, err := Default(context.Background())
	if err != nil {
		b.Fatal(err)
	}
	run := func(b *testing.B, bundle *Bundle) {
		f, w := benchPartner(b, bundle, 1000)
		b.ReportAllocs()
		for b.Loop() {
			if _, err := bundle.Evaluate(context.Background(), f, w, Options{Workers: 1}); err != nil {
				b.Fatal(err)
			}
		}
	}
	b.Run("all", func(b *testing.B) { run(b, all) })
	for _, d := range all.Designations {
		one, _ := all.Select([]string{d.ID})
		b.Run(d.ID, func(b *testing.B) { run(b, one) })
	}
}

// BenchmarkEvaluatePartner50 scores partners of 50 tenants (20 seeds, one
// after another) for every designation: per-partner work (metrics,
// verdicts, plans) dominates, as in a population of small partners.
func BenchmarkEvaluatePartner50(b *testing.B) {
	all, err := Default(context.Background())
	if err != nil {
		b.Fatal(err)
	}
	type partner struct {
		f *facts.File
		w *facts.Window
	}
	var ps []partner
	for seed := range uint64(20) {
		f, w := benchPartnerSeed(b, all, 50, seed+1)
		ps = append(ps, partner{f, w})
	}
	b.ReportAllocs()
	for b.Loop() {
		for _, p := range ps {
			if _, err := all.Evaluate(context.Background(), p.f, p.w, Options{Workers: 1}); err != nil {
				b.Fatal(err)
			}
		}
	}
}

// BenchmarkLoad compiles the embedded bundle as --policies does a folder
// (plans checked); the CLI's start-up without them is the same less the
// check.
func BenchmarkLoad(b *testing.B) {
	for b.Loop() {
		if _, err := Load(context.Background(), policies.Policies, EmbeddedSource); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkLoadDefault compiles the embedded bundle as Default does, once
// per process: what every command without --policies pays first.
func BenchmarkLoadDefault(b *testing.B) {
	names, err := DesignationFolders(policies.Policies)
	if err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		if _, err := load(context.Background(), policies.Policies, EmbeddedSource, names, true); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkVerdicts runs the six designations' Rego verdicts of one
// 50-tenant partner, as Evaluate does once per partner: the part of a
// population partner's cost that is OPA's.
func BenchmarkVerdicts(b *testing.B) {
	all, err := Default(context.Background())
	if err != nil {
		b.Fatal(err)
	}
	f, w := benchPartnerSeed(b, all, 50, 3)
	tot, _, err := all.sumTenants(context.Background(), w.Month, w.Tenants, 1, f.Name)
	if err != nil {
		b.Fatal(err)
	}
	s := all.newScorer(w.Month)
	for i := range w.People {
		if err := s.person(context.Background(), &w.People[i], w.AsOf, tot); err != nil {
			b.Fatal(err)
		}
	}
	type input struct {
		metrics map[string]map[string]*MetricResult
		partner map[string]any
	}
	var ins []input
	for di, d := range all.Designations {
		partner := d.partnerValues(tot[di])
		metrics, err := d.scoreAll(context.Background(), func(t, o string, m *Metric, a *Aggregate) ref.Val { return d.aggregateValue(tot[di], t, o, m, a) }, partner.cel)
		if err != nil {
			b.Fatal(err)
		}
		ins = append(ins, input{metrics, partner.native})
	}
	b.ReportAllocs()
	for b.Loop() {
		for di, d := range all.Designations {
			if _, err := d.verdict(context.Background(), ins[di].metrics, ins[di].partner); err != nil {
				b.Fatal(err)
			}
		}
	}
}
