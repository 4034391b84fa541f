package engine

import (
	"bytes"
	"context"
	"testing"
)

// TestPlanPointsSharedAcrossPartners scores generated partners on a bundle
// whose planners share points across partners (Metric.planPoints, warmed
// by the partners scored before) and on one whose planners share nothing:
// the results, plans included, must be the same to the byte.
func TestPlanPointsSharedAcrossPartners(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	shared, err := LoadEmbedded(ctx)
	if err != nil {
		t.Fatal(err)
	}
	alone, err := LoadEmbedded(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range alone.Designations {
		for _, m := range d.Metrics {
			m.pointsOfTotals = false
		}
	}
	score := func(b *Bundle, seed uint64) []byte {
		f, w := benchPartnerSeed(t, b, 20, seed)
		return scoredJSON(t, b, f, w, Options{Workers: 1})
	}
	// Twice over, so that the second round finds every partner's points
	// left by the others.
	for round := range 2 {
		for seed := uint64(1); seed <= 4; seed++ {
			if a, b := score(shared, seed), score(alone, seed); !bytes.Equal(a, b) {
				t.Fatalf("round %d, seed %d: shared plan points change the result:\nshared %.600s\nalone  %.600s", round, seed, a, b)
			}
		}
	}
	kept := 0
	for _, d := range shared.Designations {
		for _, m := range d.Metrics {
			kept += len(m.planPoints.m)
		}
	}
	if kept == 0 {
		t.Error("no plan points were shared: the test compared nothing")
	}
}

// TestPointsOfTotals: a metric whose formulas read the partner's values
// scores differently for partners with the same totals, so its points are
// not shared.
func TestPointsOfTotals(t *testing.T) {
	t.Parallel()
	b, err := Default(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	m := b.Designations[0].Metrics[0]
	if !pointsOfTotals(m) {
		t.Fatalf("%s: points of integer totals alone are not shared", m.ID)
	}
	other := &Metric{ID: m.ID, Aggregates: m.Aggregates, value: m.value, maxPoints: m.maxPoints,
		points: m.value.c.compile(m.points.env, &exprSource{Name: "points", Text: "partner.size() > 0 ? 1.0 : 0.0"}, wantNumber)}
	if other.points == nil || other.points.ast == nil {
		t.Fatal("the test's formula did not compile")
	}
	if pointsOfTotals(other) {
		t.Error("points that read the partner's values are shared across partners")
	}
}
