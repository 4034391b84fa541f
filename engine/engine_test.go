package engine

import (
	"context"
	"encoding/json"
	"os"
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
	b, err := Default(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile("../testcases/modern_work/qualified_enterprise.yaml")
	if err != nil {
		t.Fatal(err)
	}
	f, err := facts.Parse("q.yaml", 1, data, &b.Schema)
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
	out, _ := json.MarshalIndent(rs[0], "", " ")
	t.Logf("%s", out)
}
