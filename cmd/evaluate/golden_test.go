package main

import (
	"context"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"evaluate/engine"
)

var update = flag.Bool("update", false, "rewrite testcases/*.expected.json from the current output (check every diff by hand)")

const testcasesDir = "../../testcases"

// TestGolden runs every case under testcases/ through the scoring path of
// the CLI with the shipped policies.
func TestGolden(t *testing.T) {
	ctx := context.Background()
	b, err := engine.Default(ctx)
	if err != nil {
		t.Fatal(err)
	}
	s := &scorer{bundle: b}
	if *update {
		updateGolden(t, ctx, s)
	}
	cases, err := findGoldenCases([]string{testcasesDir})
	if err != nil {
		t.Fatal(err)
	}
	if len(cases) < 20 {
		t.Fatalf("found %d golden cases, want the 20 or more in testcases/", len(cases))
	}
	for _, c := range cases {
		t.Run(c.Name, func(t *testing.T) {
			diffs, err := c.check(ctx, s)
			if err != nil {
				t.Fatal(err)
			}
			for _, d := range diffs {
				t.Error(d)
			}
		})
	}
}

// updateGolden writes <name>.expected.json for every fact file at the top
// of testcases/, without the keys that change with the machine or the
// bundle's content (file path, policy hash, warnings) or are prose (reasons).
func updateGolden(t *testing.T, ctx context.Context, s *scorer) {
	inputs, _ := filepath.Glob(filepath.Join(testcasesDir, "*.*"))
	for _, in := range inputs {
		if !isFactFile(in) {
			continue
		}
		r, err := s.file(ctx, in)
		if err != nil {
			t.Fatal(err)
		}
		v, _ := toJSONValue(r)
		m := v.(map[string]any)
		delete(m, "file")
		delete(m, "policies")
		delete(m, "warnings")
		// Reasons are prose for people; the verdict they explain is checked.
		for _, tr := range m["tracks"].(map[string]any) {
			delete(tr.(map[string]any), "reasons")
		}
		b, _ := json.MarshalIndent(m, "", "  ")
		if err := os.WriteFile(strings.TrimSuffix(in, filepath.Ext(in))+".expected.json", append(b, '\n'), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

func TestDiffJSON(t *testing.T) {
	var want, got any
	json.Unmarshal([]byte(`{"a": 1, "b": {"c": [1, 2]}, "d": "x", "e": 0.1}`), &want)
	json.Unmarshal([]byte(`{"a": 1.0000001, "b": {"c": [1, 3]}, "d": "y", "e": 0.1000000001, "free": true}`), &got)
	diffs := diffJSON("", want, got)
	if strings.Join(diffs, "|") != ".b.c[1]: got 3, want 2|.d: got \"y\", want \"x\"" {
		t.Errorf("diffs = %q", diffs)
	}
}
