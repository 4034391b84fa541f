package engine

import (
	"context"
	"reflect"
	"strings"
	"testing"

	"evaluate/facts"
)

// TestViewsReusedPerTenant: one scorer reuses a tenant's views for the
// next (views.reset); every tenant adds to the totals, and warns, exactly
// what a scorer of its own gives it.
func TestViewsReusedPerTenant(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	b, err := Default(ctx)
	if err != nil {
		t.Fatal(err)
	}
	f, w := benchPartnerSeed(t, b, 80, 5)
	shared := b.newScorer(w.Month)
	for i := range w.Tenants {
		c := &w.Tenants[i]
		got, want := b.newAllTotals(), b.newAllTotals()
		own := b.newScorer(w.Month)
		if err := shared.tenant(ctx, c, got); err != nil {
			t.Fatal(err)
		}
		if err := own.tenant(ctx, c, want); err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("tenant %d (%s): totals after the tenant before %v, on its own %v", i, c.Tenant, got, want)
		}
		gw, err := shared.tenantWarnings(ctx, c, f.Name)
		if err != nil {
			t.Fatal(err)
		}
		ww, err := own.tenantWarnings(ctx, c, f.Name)
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(gw, ww) {
			t.Fatalf("tenant %d (%s): warnings after the tenant before %v, on its own %v", i, c.Tenant, gw, ww)
		}
	}
}

// TestWindowSaidPerMonth: what a designation says of its window is
// remembered per reporting month and evaluation date, so partners of
// different months in one run each get their own.
func TestWindowSaidPerMonth(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	b, err := Default(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for round := range 2 {
		for _, month := range []string{"2026-10", "2025-03", "2026-10"} {
			m, _ := facts.ParseMonth(month)
			f, w, err := b.generated("g.json", 3, 5, m)
			if err != nil {
				t.Fatal(err)
			}
			rs, err := b.Evaluate(ctx, f, w, Options{Workers: 1, NoPlans: true})
			if err != nil {
				t.Fatal(err)
			}
			base := (m - 12).String()
			for _, r := range rs {
				if !strings.Contains(r.Header, "reporting month "+month) || !strings.Contains(r.Header, "baseline "+base) {
					t.Errorf("round %d, %s, %s: header %q", round, month, r.Designation, r.Header)
				}
				if got := r.Extra["baseline_month"]; got != base {
					t.Errorf("round %d, %s, %s: baseline_month %v, want %s", round, month, r.Designation, got, base)
				}
				r.Extra["baseline_month"] = "changed" // must not reach the next result
			}
		}
	}
}
