package main

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"evaluate/engine"
	"evaluate/facts"
	"evaluate/gen"
)

// The batch path (JSON Lines, --jobs workers, --shard): each partner's
// result is what scoring it alone gives, the shards are the whole, and a
// bad partner is reported in its place. The race detector runs these in
// CI (.ci/run).

// population writes n synthetic partners as JSON Lines.
func population(t testing.TB, n, tenants int) string {
	b, err := engine.Default(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	m, _ := facts.ParseMonth("2026-10")
	var buf bytes.Buffer
	if err := gen.WriteJSONLines(&buf, gen.Options{Seed: 100, Tenants: tenants, People: 6, Month: m, Schema: &b.Schema}, n); err != nil {
		t.Fatal(err)
	}
	return buf.String()
}

func jsonLines(t *testing.T, out string) []map[string]any {
	var rs []map[string]any
	for _, l := range strings.Split(strings.TrimSpace(out), "\n") {
		var r map[string]any
		if err := json.Unmarshal([]byte(l), &r); err != nil {
			t.Fatalf("%v: %q", err, l)
		}
		// Where the partner was read, and warnings (which name it), are
		// not its result.
		forget := func(r map[string]any) {
			delete(r, "file")
			delete(r, "line")
			delete(r, "warnings")
		}
		forget(r)
		if ds, ok := r["designations"].(map[string]any); ok {
			for _, d := range ds {
				forget(d.(map[string]any))
			}
		}
		rs = append(rs, r)
	}
	return rs
}

func TestBatchMatchesSingleFiles(t *testing.T) {
	t.Parallel()
	pop := population(t, 12, 30)
	// --gap: the plans too, which share memos across partners.
	code, out, errOut := runCLI(t, pop, "-o", "jsonl", "--jsonl", "--gap", "--jobs", "3", "-")
	if code == exitBadInput {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	batch := jsonLines(t, out)
	if len(batch) != 12 {
		t.Fatalf("%d results, want 12", len(batch))
	}
	if !strings.Contains(errOut, "evaluated 12, errors 0\n  business_applications: qualified ") {
		t.Errorf("no summary: %s", errOut)
	}
	dir := t.TempDir()
	for i, line := range strings.Split(strings.TrimSpace(pop), "\n") {
		p := filepath.Join(dir, "p.json")
		os.WriteFile(p, []byte(line), 0o644)
		_, one, _ := runCLI(t, "", "-o", "json", p)
		single := jsonLines(t, strings.ReplaceAll(strings.ReplaceAll(one, "\n", ""), "  ", ""))
		a, _ := json.Marshal(single[0])
		b, _ := json.Marshal(batch[i])
		if string(a) != string(b) {
			t.Errorf("partner %d: batch and single-file results differ", i)
		}
	}
}

func TestShardsAddUpToTheWhole(t *testing.T) {
	t.Parallel()
	pop := population(t, 17, 5)
	_, whole, _ := runCLI(t, pop, "-o", "jsonl", "--jsonl", "-")
	var parts []string
	for _, sh := range []string{"0/3", "1/3", "2/3"} {
		code, out, errOut := runCLI(t, pop, "-o", "jsonl", "--jsonl", "--shard", sh, "-")
		if code == exitBadInput {
			t.Fatalf("shard %s: %s", sh, errOut)
		}
		parts = append(parts, strings.Split(strings.TrimSpace(out), "\n")...)
	}
	w := strings.Split(strings.TrimSpace(whole), "\n")
	slices.Sort(w)
	slices.Sort(parts)
	if len(w) != 17 || !slices.Equal(w, parts) {
		t.Errorf("shards give %d results, the whole %d, or they differ", len(parts), len(w))
	}
	if code, _, _ := runCLI(t, pop, "--jsonl", "--shard", "3/3", "-"); code != exitBadInput {
		t.Errorf("--shard 3/3 accepted")
	}
}

func TestBadPartnerDoesNotStopTheRest(t *testing.T) {
	t.Parallel()
	pop := population(t, 3, 5)
	lines := strings.Split(strings.TrimSpace(pop), "\n")
	lines = slices.Insert(lines, 1, `{"partner": {"id": "broken"}, "customers": [{"tenant": "x", "associations": [{"type": "NOPE", "from": "2024-01-01"}]}]}`)
	code, out, errOut := runCLI(t, strings.Join(lines, "\n"), "-o", "jsonl", "--jsonl", "-")
	// One line out per line in, the bad one an error record in its place.
	got := strings.Split(strings.TrimSpace(out), "\n")
	if code != exitBadInput || len(got) != 4 {
		t.Fatalf("exit %d, output %d lines", code, len(got))
	}
	var rec struct {
		File   string
		Line   int
		Errors []struct {
			Line           int
			Field, Message string
		}
	}
	if err := json.Unmarshal([]byte(got[1]), &rec); err != nil || rec.File != "<stdin>" || rec.Line != 2 || len(rec.Errors) != 1 || rec.Errors[0].Field != "customers[0].associations[0].type" {
		t.Errorf("line 2 of the output is not the error record of line 2 of the input: %s (%v)", got[1], err)
	}
	for _, i := range []int{0, 2, 3} {
		if !strings.Contains(got[i], `"partner"`) {
			t.Errorf("line %d is not a result: %s", i+1, got[i])
		}
	}
	if !strings.Contains(errOut, `<stdin>:2: customers[0].associations[0].type: unknown attribution type "NOPE"`) || !strings.Contains(errOut, "errors 1") {
		t.Errorf("stderr: %s", errOut)
	}
}
