package engine

import (
	"bytes"
	"context"
	"testing"

	"evaluate/facts"
	"evaluate/gen"
)

func benchFile(b *testing.B, bundle *Bundle, tenants int) []byte {
	m, _ := facts.ParseMonth("2026-10")
	var buf bytes.Buffer
	if err := gen.WriteJSON(&buf, gen.Options{Seed: 1, Tenants: tenants, Month: m, Vocabulary: bundle.Vocabulary}); err != nil {
		b.Fatal(err)
	}
	return buf.Bytes()
}

func benchmarkEvaluate(b *testing.B, tenants int) {
	bundle, err := Default(context.Background())
	if err != nil {
		b.Fatal(err)
	}
	data := benchFile(b, bundle, tenants)
	f, err := facts.Parse("bench.json", data, bundle.Vocabulary)
	if err != nil {
		b.Fatal(err)
	}
	w, err := f.Window(facts.WindowOptions{})
	if err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	for b.Loop() {
		if _, err := bundle.Evaluate(context.Background(), f, w); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkEvaluate measures scoring alone (CEL, sums, Rego, plan) on
// windowed facts.
func BenchmarkEvaluate50(b *testing.B)  { benchmarkEvaluate(b, 50) }
func BenchmarkEvaluate1k(b *testing.B)  { benchmarkEvaluate(b, 1000) }
func BenchmarkEvaluate10k(b *testing.B) { benchmarkEvaluate(b, 10000) }
