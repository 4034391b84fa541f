package engine

import (
	"context"
	"testing"
)

// BenchmarkVerdict measures one evaluation of the designation's Rego on
// scored metrics, which runs once per partner and once per plan check.
func BenchmarkVerdict(b *testing.B) {
	bundle, err := Default(context.Background())
	if err != nil {
		b.Fatal(err)
	}
	sums := bundle.newSums()
	for _, t := range bundle.Tracks {
		for _, m := range bundle.Metrics {
			sums[t.Name][m.ID][""] = 3
			for _, o := range t.Types {
				sums[t.Name][m.ID][o] = 2
			}
		}
	}
	input, err := bundle.scoreMetrics(sums)
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := bundle.verdict(context.Background(), input); err != nil {
			b.Fatal(err)
		}
	}
}
