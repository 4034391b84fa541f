package main

import (
	"context"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"evaluate/engine"
)

var update = flag.Bool("update", false, "rewrite testcases/**/*.expected.json from the current output (check every diff by hand)")

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
	cases, _, err := findGoldenCases([]string{testcasesDir})
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

// updateGolden rewrites every case's expected result (see goldenCase.update).
func updateGolden(t *testing.T, ctx context.Context, s *scorer) {
	cases, _, err := findGoldenCases([]string{testcasesDir})
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range cases {
		if err := c.update(ctx, s); err != nil {
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

// TestFindGoldenCases: a folder gives its cases named by their path in it;
// a fact file or an expected file given by name gives its own case; a file
// without an expected result beside it gives none.
func TestFindGoldenCases(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	for _, f := range []string{"a.yaml", "a.expected.json", "sub/b.json", "sub/b.expected.err", "c.yaml"} {
		p := filepath.Join(dir, f)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte("{}"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	at := func(f string) string { return filepath.Join(dir, f) }
	for _, tc := range []struct {
		path  string
		want  []goldenCase
		empty bool
	}{
		{dir, []goldenCase{{"a", at("a.yaml"), at("a.expected.json")}, {"sub/b", at("sub/b.json"), at("sub/b.expected.err")}}, false},
		{at("a.yaml"), []goldenCase{{"a", at("a.yaml"), at("a.expected.json")}}, false},
		{at("sub/b.json"), []goldenCase{{"b", at("sub/b.json"), at("sub/b.expected.err")}}, false},
		{at("a.expected.json"), []goldenCase{{"a", at("a.yaml"), at("a.expected.json")}}, false},
		{at("c.yaml"), nil, true},
	} {
		got, empty, err := findGoldenCases([]string{tc.path})
		if err != nil {
			t.Fatalf("%s: %v", tc.path, err)
		}
		if !slices.Equal(got, tc.want) || (len(empty) > 0) != tc.empty {
			t.Errorf("%s: got %v (empty %v), want %v (empty %v)", tc.path, got, empty, tc.want, tc.empty)
		}
	}
}

// TestExpectedWithoutDesignation: an expected result of one designation's
// shape that names none is refused with what to add, not with a diff of
// every key against the object of several designations.
func TestExpectedWithoutDesignation(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	b, err := engine.Default(ctx)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	in, exp := filepath.Join(dir, "c.yaml"), filepath.Join(dir, "c.expected.json")
	src, err := os.ReadFile(filepath.Join(testcasesDir, "modern_work", "exact_70.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	os.WriteFile(in, src, 0o644)
	os.WriteFile(exp, []byte(`{"score": 70, "tracks": {}}`), 0o644)
	c := goldenCase{Name: "c", Input: in, Expected: exp}
	_, err = c.check(ctx, &scorer{bundle: b})
	if err == nil || !strings.Contains(err.Error(), `names no designation`) || !strings.Contains(err.Error(), `add "designation": "<id>"`) {
		t.Fatalf("got %v, want the missing designation named", err)
	}
	one, err := b.Select([]string{"modern_work"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.check(ctx, &scorer{bundle: one}); err != nil {
		t.Fatalf("one designation: %v", err)
	}
}
