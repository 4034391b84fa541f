package main

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite testcases/*.expected.json from the current output (check every diff by hand)")

const testcasesDir = "../../testcases"

// TestGolden runs every testcases/<name>.yaml|json that has a
// <name>.expected.json through the CLI (-o json) and compares the result
// with the expected one: every key in the expected file must be present with
// the same value (numbers to 1e-6); keys it leaves out are not checked.
// Adding a case needs no code.
func TestGolden(t *testing.T) {
	expected, _ := filepath.Glob(filepath.Join(testcasesDir, "*.expected.json"))
	if *update {
		expected = nil
		inputs, _ := filepath.Glob(filepath.Join(testcasesDir, "*.*"))
		for _, in := range inputs {
			if ext := filepath.Ext(in); (ext == ".yaml" || ext == ".json") && !strings.HasSuffix(in, ".expected.json") {
				expected = append(expected, strings.TrimSuffix(in, ext)+".expected.json")
			}
		}
	}
	if len(expected) == 0 {
		t.Fatal("no golden cases found")
	}
	for _, exp := range expected {
		name := strings.TrimSuffix(filepath.Base(exp), ".expected.json")
		t.Run(name, func(t *testing.T) {
			input := factFile(t, strings.TrimSuffix(exp, ".expected.json"))
			var stdout, stderr bytes.Buffer
			code := run([]string{"-o", "json", input}, nil, &stdout, &stderr)
			var got map[string]any
			if err := json.Unmarshal(stdout.Bytes(), &got); err != nil {
				t.Fatalf("exit %d, output is not JSON: %v\nstderr: %s", code, err, stderr.String())
			}
			if *update {
				writeExpected(t, exp, got)
				return
			}
			var want map[string]any
			raw, err := os.ReadFile(exp)
			if err != nil {
				t.Fatal(err)
			}
			if err := json.Unmarshal(raw, &want); err != nil {
				t.Fatalf("%s: %v", exp, err)
			}
			for _, d := range diffJSON("", want, got) {
				t.Error(d)
			}
			wantCode := exitNotQualified
			if q, _ := got["qualified"].(bool); q {
				wantCode = exitQualified
			}
			if code != wantCode {
				t.Errorf("exit code %d, want %d", code, wantCode)
			}
		})
	}
}

// TestGoldenInvalid runs every testcases/invalid/<name>.yaml|json and expects
// exit 2, nothing on stdout, and every line of <name>.expected.err somewhere
// in stderr.
func TestGoldenInvalid(t *testing.T) {
	expected, _ := filepath.Glob(filepath.Join(testcasesDir, "invalid", "*.expected.err"))
	if len(expected) == 0 {
		t.Fatal("no invalid cases found")
	}
	for _, exp := range expected {
		name := strings.TrimSuffix(filepath.Base(exp), ".expected.err")
		t.Run(name, func(t *testing.T) {
			input := factFile(t, strings.TrimSuffix(exp, ".expected.err"))
			var stdout, stderr bytes.Buffer
			code := run([]string{"-o", "json", input}, nil, &stdout, &stderr)
			if code != exitBadInput {
				t.Errorf("exit code %d, want %d", code, exitBadInput)
			}
			if stdout.Len() > 0 {
				t.Errorf("a refused file printed a result:\n%s", stdout.String())
			}
			raw, err := os.ReadFile(exp)
			if err != nil {
				t.Fatal(err)
			}
			for _, want := range strings.Split(strings.TrimSpace(string(raw)), "\n") {
				if want = strings.TrimSpace(want); want != "" && !strings.Contains(stderr.String(), want) {
					t.Errorf("stderr lacks %q; it was:\n%s", want, stderr.String())
				}
			}
		})
	}
}

func factFile(t *testing.T, stem string) string {
	for _, ext := range []string{".yaml", ".yml", ".json"} {
		if _, err := os.Stat(stem + ext); err == nil {
			return stem + ext
		}
	}
	t.Fatalf("no fact file for %s", stem)
	return ""
}

// writeExpected stores the result without the keys that change with the
// policy bundle's content or the machine (file path, policy hash).
func writeExpected(t *testing.T, path string, got map[string]any) {
	delete(got, "file")
	delete(got, "policies")
	delete(got, "warnings")
	b, err := json.MarshalIndent(got, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, append(b, '\n'), 0o644); err != nil {
		t.Fatal(err)
	}
}

// diffJSON lists where got differs from want; keys absent from want are free.
func diffJSON(path string, want, got any) []string {
	switch w := want.(type) {
	case map[string]any:
		g, ok := got.(map[string]any)
		if !ok {
			return []string{fmt.Sprintf("%s: got %v, want an object", path, got)}
		}
		keys := make([]string, 0, len(w))
		for k := range w {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		var out []string
		for _, k := range keys {
			gv, ok := g[k]
			if !ok {
				out = append(out, fmt.Sprintf("%s.%s: missing, want %v", path, k, w[k]))
				continue
			}
			out = append(out, diffJSON(path+"."+k, w[k], gv)...)
		}
		return out
	case []any:
		g, ok := got.([]any)
		if !ok || len(g) != len(w) {
			return []string{fmt.Sprintf("%s: got %v, want %v", path, got, want)}
		}
		var out []string
		for i := range w {
			out = append(out, diffJSON(fmt.Sprintf("%s[%d]", path, i), w[i], g[i])...)
		}
		return out
	case float64:
		g, ok := got.(float64)
		if !ok || math.Abs(g-w) > 1e-6 {
			return []string{fmt.Sprintf("%s: got %v, want %v", path, got, want)}
		}
		return nil
	default:
		if fmt.Sprint(want) != fmt.Sprint(got) {
			return []string{fmt.Sprintf("%s: got %v, want %v", path, got, want)}
		}
		return nil
	}
}
