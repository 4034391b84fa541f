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

// A designation's tenant_warnings are in its result alone, so that a
// result does not change with the other designations scored; Problems,
// for people, keep every one.
func TestTenantWarningsStayWithTheirDesignation(t *testing.T) {
	t.Parallel()
	rs := evaluateDefault(t, "../testcases/contoso.yaml")
	newly := func(ws []string) (n int) {
		for _, s := range ws {
			if strings.Contains(s, "is newly associated") {
				n++
			}
		}
		return n
	}
	for _, r := range rs {
		own := newly(r.Warnings)
		switch {
		case r.Designation == "modern_work" && own == 0:
			t.Errorf("modern_work: no newly-associated warning in %q", r.Warnings)
		case r.Designation != "modern_work" && own > 0:
			t.Errorf("%s carries Modern Work's warnings: %q", r.Designation, r.Warnings)
		}
		if len(r.Problems) != len(rs[0].Problems) {
			t.Errorf("%s: %d problems for people, %s has %d", r.Designation, len(r.Problems), rs[0].Designation, len(rs[0].Problems))
		}
	}
}
