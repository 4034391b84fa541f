package engine

import (
	"context"
	"encoding/json"
	"os"
	"strings"
	"testing"

	"evaluate/facts"
)

// TestEmbeddedBundleChecksWhole compiles the embedded bundle as a folder
// is compiled: every expression checked (the default bundle defers those
// of explanations) and its plans checked against its verdicts.
func TestEmbeddedBundleChecksWhole(t *testing.T) {
	t.Parallel()
	if _, err := LoadEmbedded(context.Background()); err != nil {
		t.Fatal(err)
	}
}

func TestLoadDefault(t *testing.T) {
	rs := evaluateDefault(t, "../testcases/modern_work/qualified_enterprise.yaml")
	out, _ := json.MarshalIndent(rs[0], "", " ")
	t.Logf("%s", out)
}

// evaluateDefault scores a fact file with the default bundle, every
// designation.
func evaluateDefault(t *testing.T, path string) []*Result {
	t.Helper()
	b, err := Default(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	f, err := facts.Parse(path, 1, data, &b.Schema)
	if err != nil {
		t.Fatal(err)
	}
	w, err := f.Window(facts.WindowOptions{Needs: b.Needs})
	if err != nil {
		t.Fatal(err)
	}
	rs, err := b.Evaluate(context.Background(), f, w, Options{})
	if err != nil {
		t.Fatal(err)
	}
	return rs
}

// scoredJSON evaluates a partner and marshals its results, for tests that
// compare two ways of scoring byte for byte.
func scoredJSON(t *testing.T, b *Bundle, f *facts.File, w *facts.Window, opts Options) []byte {
	t.Helper()
	rs, err := b.Evaluate(context.Background(), f, w, opts)
	if err != nil {
		t.Fatal(err)
	}
	out, err := json.Marshal(rs)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// A designation's tenant_warnings are in its result alone, so that a
// result does not change with the other designations scored; Problems,
// for people, keep every one.
func TestTenantWarningsStayWithTheirDesignation(t *testing.T) {
	t.Parallel()
	rs := evaluateDefault(t, "../testcases/contoso.yaml")
	count := func(ws []string, what string) (n int) {
		for _, s := range ws {
			if strings.Contains(s, what) {
				n++
			}
		}
		return n
	}
	// The fact file's warning about a Microsoft 365 workload that nothing
	// counts is for the designations that read workloads alone.
	readsWorkloads := map[string]bool{"modern_work": true, "security": true}
	for _, r := range rs {
		own := count(r.Warnings, "is newly associated")
		switch {
		case r.Designation == "modern_work" && own == 0:
			t.Errorf("modern_work: no newly-associated warning in %q", r.Warnings)
		case r.Designation != "modern_work" && own > 0:
			t.Errorf("%s carries Modern Work's warnings: %q", r.Designation, r.Warnings)
		}
		if ignored := count(r.Warnings, `workload "Dynamics365Sales" of tenant "woodgrove" is not an eligible workload`); ignored != map[bool]int{true: 1}[readsWorkloads[r.Designation]] {
			t.Errorf("%s: %d warnings of the ignored workload in %q", r.Designation, ignored, r.Warnings)
		}
		if len(r.Problems) != len(rs[0].Problems) {
			t.Errorf("%s: %d problems for people, %s has %d", r.Designation, len(r.Problems), rs[0].Designation, len(rs[0].Problems))
		}
	}
}
