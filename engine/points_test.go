package engine

import (
	"context"
	"testing"
)

// TestPoints checks the CEL point formula of the default bundle against
// SPEC §1: min(max, max(0, value) / full_at * max), exact for the page's
// examples.
func TestPoints(t *testing.T) {
	b, err := Default(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		track, metric, option string
		value                 int64
		want                  float64
	}{
		{"enterprise", "usage_growth", "CPOR", 300, 9},
		{"enterprise", "usage_growth", "DPOR", 2000, 15},
		{"enterprise", "usage_growth", "CPOR", 1500, 30},
		{"smb", "usage_growth", "CSP", 1000, 15},
		{"smb", "usage_growth", "CPOR", 1000, 30},
		{"enterprise", "deployments", "DPOR", 4, 10},
		{"enterprise", "deployments", "CPOR", 3, 15},
		{"smb", "deployments", "CPOR", 4, 20},
		{"smb", "deployments", "CSP", 4, 10},
		{"enterprise", "net_customer_adds", "", 1, 4},
		{"enterprise", "net_customer_adds", "", 6, 20},
		{"smb", "net_customer_adds", "", 3, 6},
		{"enterprise", "intermediate_certifications", "", 3, 7.5},
		{"smb", "intermediate_certifications", "", 1, 5},
		{"enterprise", "advanced_certifications", "", 1, 7.5},
		{"smb", "advanced_certifications", "", 2, 15},
		{"smb", "net_customer_adds", "", -4, 0},
		{"enterprise", "usage_growth", "CPOR", -300, 0},
		{"enterprise", "usage_growth", "CPOR", 0, 0},
		{"enterprise", "usage_growth", "CPOR", 33, 0.99},
	}
	act := map[string]any{varParams: b.Params}
	for _, tt := range tests {
		act[varTrack], act[varMetric], act[varOption], act[varValue] = tt.track, tt.metric, tt.option, tt.value
		got, err := evalDouble(b.points, act)
		if err != nil {
			t.Errorf("%s %s %s %d: %v", tt.track, tt.metric, tt.option, tt.value, err)
			continue
		}
		if got != tt.want {
			t.Errorf("%s %s %s %d: got %v points, want %v", tt.track, tt.metric, tt.option, tt.value, got, tt.want)
		}
	}
	act[varTrack], act[varMetric], act[varOption], act[varValue] = "enterprise", "usage_growth", "CSP", int64(5)
	if _, err := evalDouble(b.points, act); err == nil {
		t.Error("points for an option the track does not have: no error")
	}
}

// TestPointsCache: the cached points (table and map) are the formula's,
// on the first call and on later ones, inside and beyond the table.
func TestPointsCache(t *testing.T) {
	b, err := Default(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	act := map[string]any{}
	for _, tr := range b.Tracks {
		for _, m := range b.Metrics {
			opts := []string{""}
			if m.PerOption {
				opts = tr.Types
			}
			for _, o := range opts {
				for _, v := range []int64{-5, 0, 1, 3, 299, 300, pointsTableSize - 1, pointsTableSize, 250_000} {
					direct := map[string]any{varTrack: tr.Name, varMetric: m.ID, varOption: o, varValue: v}
					want, err := evalDouble(b.points, direct)
					if err != nil {
						t.Fatal(err)
					}
					for range 2 {
						if got, err := b.pointsFor(act, tr.Name, m.ID, o, v); err != nil || got != want {
							t.Errorf("%s %s %s %d: cached %v (%v), formula %v", tr.Name, m.ID, o, v, got, err, want)
						}
					}
				}
			}
		}
	}
}
