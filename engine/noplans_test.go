package engine

import (
	"context"
	"encoding/json"
	"testing"
)

// TestNoPlansChangesOnlyTheGap scores generated partners with and without
// plans: leaving the plans out must leave every other key of every result
// as it was, and no track may carry a Gap.
func TestNoPlansChangesOnlyTheGap(t *testing.T) {
	t.Parallel()
	b, err := Default(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	gaps := 0
	for seed := uint64(21); seed <= 24; seed++ {
		f, w := benchPartnerSeed(t, b, 30, seed)
		with, err := b.Evaluate(context.Background(), f, w, Options{Workers: 1})
		if err != nil {
			t.Fatal(err)
		}
		without, err := b.Evaluate(context.Background(), f, w, Options{Workers: 1, NoPlans: true})
		if err != nil {
			t.Fatal(err)
		}
		for i, r := range with {
			for _, tr := range without[i].Tracks {
				if tr.Gap != nil {
					t.Fatalf("seed %d: %s: a gap with NoPlans", seed, r.Designation)
				}
			}
			for _, tr := range r.Tracks {
				if tr.Gap != nil {
					gaps++
					tr.Gap = nil
				}
			}
			a, _ := json.Marshal(r)
			b, _ := json.Marshal(without[i])
			if string(a) != string(b) {
				t.Errorf("seed %d: %s differs beyond its gaps:\n%s\n%s", seed, r.Designation, a, b)
			}
		}
	}
	if gaps == 0 {
		t.Fatal("no track had a plan to leave out: the test proves nothing")
	}
}
