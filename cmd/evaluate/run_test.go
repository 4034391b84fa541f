package main

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func runCLI(t *testing.T, stdin string, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errb bytes.Buffer
	code = run(args, strings.NewReader(stdin), &out, &errb)
	return code, out.String(), errb.String()
}

// tc is the path of a Modern Work golden case (or of one under invalid/).
func tc(name string) string {
	if strings.HasPrefix(name, "invalid/") {
		return filepath.Join(testcasesDir, name)
	}
	return filepath.Join(testcasesDir, "modern_work", name)
}

func TestHelpLeadsWithExamples(t *testing.T) {
	code, out, _ := runCLI(t, "", "--help")
	if code != 0 {
		t.Errorf("exit %d", code)
	}
	if !strings.Contains(strings.SplitN(out, "Usage:", 2)[0], "Examples:\n  evaluate ") {
		t.Errorf("--help does not lead with examples:\n%s", out)
	}
	for _, flag := range []string{"--output", "--policies", "--month", "--as-of", "--version"} {
		if !strings.Contains(out, flag) {
			t.Errorf("--help lacks %s", flag)
		}
	}
}

func TestVersion(t *testing.T) {
	code, out, _ := runCLI(t, "", "--version")
	if code != 0 || !strings.Contains(out, "evaluate ") || !strings.Contains(out, "OPA ") || !strings.Contains(out, "cel-go ") {
		t.Errorf("exit %d, output:\n%s", code, out)
	}
}

func TestUsageErrors(t *testing.T) {
	for _, args := range [][]string{
		{},
		{"--no-such-flag", tc("exact_70.yaml")},
		{"-o", "xml", tc("exact_70.yaml")},
		{"--month", "2026-13", tc("exact_70.yaml")},
		{"--as-of", "tomorrow", tc("exact_70.yaml")},
		{"--policies", "/no/such/dir", tc("exact_70.yaml")},
		{"no-such-file.yaml"},
	} {
		code, out, errOut := runCLI(t, "", args...)
		if code != exitBadInput || out != "" || errOut == "" {
			t.Errorf("%v: exit %d, stdout %q, stderr %q; want 2, nothing, a message", args, code, out, errOut)
		}
	}
}

func TestTextOutput(t *testing.T) {
	code, out, errOut := runCLI(t, "", "--designation", "modern_work", tc("qualified_enterprise.yaml"))
	if code != exitQualified {
		t.Errorf("exit %d", code)
	}
	for _, want := range []string{
		"Contoso Modern Work (4711001)",
		"reporting month 2026-10, baseline 2025-10, certifications as of 2026-11-20",
		"usage_growth", "1500", "30/30", "CPOR",
		"total", "77.5/100",
		"QUALIFIED on the enterprise track with 77.5 points.",
		"smb does not qualify:\n  - total 25 is under the minimum of 70 points",
		"policies: embedded (modern_work) sha256:",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("text output lacks %q:\n%s", want, out)
		}
	}
	if !strings.Contains(errOut, `warning: `) || !strings.Contains(errOut, `"Dynamics365Sales"`) {
		t.Errorf("the ignored workload is not warned about on stderr: %q", errOut)
	}
	if strings.Contains(out, "warning") {
		t.Errorf("warnings leaked into stdout")
	}
}

func TestNotQualifiedSaysWhy(t *testing.T) {
	code, out, _ := runCLI(t, "", "--designation", "modern_work", tc("metric_under_one.yaml"))
	if code != exitNotQualified {
		t.Errorf("exit %d, want 1", code)
	}
	if !strings.Contains(out, "enterprise does not qualify:\n  - advanced_certifications has 0 points, under the minimum of 1\n") {
		t.Errorf("verdict does not name the metric under its minimum:\n%s", out)
	}
}

func TestSeveralFilesAndStdin(t *testing.T) {
	src, err := os.ReadFile(tc("exact_70.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	code, out, errOut := runCLI(t, string(src), "-o", "json", "--designation", "modern_work", tc("just_under_70.yaml"), "-")
	if code != exitNotQualified {
		t.Errorf("exit %d, want 1 (one of two not qualified); stderr %s", code, errOut)
	}
	var results []map[string]any
	if err := json.Unmarshal([]byte(out), &results); err != nil {
		t.Fatalf("not a JSON array: %v\n%s", err, out)
	}
	if len(results) != 2 || results[0]["qualified"] != false || results[1]["qualified"] != true || results[1]["file"] != "<stdin>" {
		t.Errorf("results = %v", results)
	}
}

func TestBadFileAmongGoodOnes(t *testing.T) {
	code, out, errOut := runCLI(t, "", "-o", "json", tc("exact_70.yaml"), tc("invalid/negative_seats.yaml"), tc("seat_bounds.yaml"))
	if code != exitBadInput {
		t.Errorf("exit %d, want 2", code)
	}
	// The array holds an entry per file, in order; the bad file's is its
	// errors.
	var results []map[string]any
	if err := json.Unmarshal([]byte(out), &results); err != nil || len(results) != 3 {
		t.Fatalf("want three entries, got %v: %s", err, out)
	}
	if results[0]["partner"] == nil || results[2]["partner"] == nil || results[1]["errors"] == nil || results[1]["file"] != tc("invalid/negative_seats.yaml") {
		t.Errorf("entries out of place: %s", out)
	}
	if !strings.Contains(errOut, "negative_seats.yaml:9: customers[0].workloads[0].usage[0].paid_seats") {
		t.Errorf("stderr = %s", errOut)
	}
}

func TestOverrides(t *testing.T) {
	// One month later there is no usage: every metric value drops to what
	// the certifications give, and the baseline follows the month.
	_, out, _ := runCLI(t, "", "-o", "json", "--designation", "modern_work", "--month", "2026-11", "--as-of", "2026-01-01", tc("certifications.yaml"))
	var r map[string]any
	if err := json.Unmarshal([]byte(out), &r); err != nil {
		t.Fatal(err)
	}
	if r["month"] != "2026-11" || r["baseline_month"] != "2025-11" || r["as_of"] != "2026-01-01" {
		t.Errorf("month/baseline/as_of = %v %v %v", r["month"], r["baseline_month"], r["as_of"])
	}
	// On 2026-01-01 only people a (MS-700 since 2024; MS-102 since 2025),
	// b (MS-900, no dates) and c (both certifications) count.
	ent := r["tracks"].(map[string]any)["enterprise"].(map[string]any)["metrics"].(map[string]any)
	if v := ent["intermediate_certifications"].(map[string]any)["value"]; v != 3.0 {
		t.Errorf("intermediate on 2026-01-01 = %v, want 3 (a, b, c)", v)
	}
	if v := ent["advanced_certifications"].(map[string]any)["value"]; v != 3.0 {
		t.Errorf("advanced on 2026-01-01 = %v, want 3 (a, c, d)", v)
	}
}

// edit replaces Old with New in File (a path inside policies/modern_work/).
type edit struct{ File, Old, New string }

// copyPolicies copies the shipped policies/ folder and applies edits.
func copyPolicies(t *testing.T, edits ...edit) string {
	t.Helper()
	dir := t.TempDir()
	if err := os.CopyFS(dir, os.DirFS(filepath.Join("..", "..", "policies"))); err != nil {
		t.Fatal(err)
	}
	for _, e := range edits {
		p := filepath.Join(dir, "modern_work", e.File)
		data, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(string(data), e.Old) {
			t.Fatalf("%s has no %q", e.File, e.Old)
		}
		if err := os.WriteFile(p, []byte(strings.Replace(string(data), e.Old, e.New, 1)), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

func TestEditedPoliciesChangeTheVerdict(t *testing.T) {
	if code, _, _ := runCLI(t, "", "--designation", "modern_work", tc("qualified_enterprise.yaml")); code != exitQualified {
		t.Fatalf("shipped policies: exit %d, want 0", code)
	}
	higher := copyPolicies(t, edit{"params.yaml", "min_total_points: 70", "min_total_points: 100"})
	code, out, _ := runCLI(t, "", "--designation", "modern_work", "--policies", higher, tc("qualified_enterprise.yaml"))
	if code != exitNotQualified || !strings.Contains(out, "total 77.5 is under the minimum of 100 points") {
		t.Errorf("min_total_points 100: exit %d\n%s", code, out)
	}
	if !strings.Contains(out, "policies: "+higher) {
		t.Errorf("the result does not name the policy folder:\n%s", out)
	}
	lower := copyPolicies(t, edit{"params.yaml", "min_metric_points: 1", "min_metric_points: 0"})
	if code, out, _ := runCLI(t, "", "--designation", "modern_work", "--policies", lower, tc("metric_under_one.yaml")); code != exitQualified {
		t.Errorf("min_metric_points 0: exit %d, want 0\n%s", code, out)
	}
}

// TestParseFlagsOnce: a one-value flag given again must give an equal
// value; list flags add up.
func TestParseFlagsOnce(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		args []string
		err  string
	}{
		{[]string{"-o", "json", "-o", "text"}, `already given as "json"`},
		{[]string{"-o", "json", "--output=json"}, ""},
		{[]string{"--timeout", "1m", "--timeout", "60s"}, ""},
		{[]string{"--timeout", "1m", "--timeout", "2m"}, `already given as "1m"`},
		{[]string{"--explain", "--explain=true"}, ""},
		{[]string{"--explain", "--explain=false"}, `already given as "true"`},
		{[]string{"--designation", "a", "--designation", "b"}, ""},
	} {
		fs := newFlagSet("t")
		fs.StringP("output", "o", "text", "")
		fs.Duration("timeout", time.Minute, "")
		fs.Bool("explain", false, "")
		fs.StringSlice("designation", nil, "")
		err := parseFlags(fs, c.args)
		switch {
		case c.err == "" && err != nil:
			t.Errorf("%v: %v", c.args, err)
		case c.err != "" && (err == nil || !strings.Contains(err.Error(), c.err)):
			t.Errorf("%v: error %v, want %q", c.args, err, c.err)
		}
	}
}
