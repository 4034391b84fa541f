package engine

import (
	"context"
	"reflect"
	"testing"
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
