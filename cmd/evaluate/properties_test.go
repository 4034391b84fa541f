package main

import (
	"encoding/json"
	"math/rand/v2"
	"os"
	"path/filepath"
	"testing"

	"evaluate/engine"
	"evaluate/facts"
	"evaluate/gen"
)

// genDoc returns a generated partner as plain JSON values, to be edited.
func genDoc(t *testing.T, seed uint64, tenants, people int) map[string]any {
	b, err := engine.Default(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	m, _ := facts.ParseMonth("2026-10")
	raw, _ := json.Marshal(gen.Document(gen.Options{Seed: seed, Tenants: tenants, People: people, Month: m, Months: 15, Vocabulary: b.Vocabulary}))
	var doc map[string]any
	json.Unmarshal(raw, &doc)
	return doc
}

// scoreDoc writes doc to a file named name and returns the CLI's JSON output.
func scoreDoc(t *testing.T, doc any, args ...string) (string, int) {
	t.Helper()
	// One path per test, so that results (which name the file) compare.
	p := filepath.Join(os.TempDir(), "evaluate-"+filepath.Base(t.Name())+".json")
	t.Cleanup(func() { os.Remove(p) })
	raw, _ := json.Marshal(doc)
	if err := os.WriteFile(p, raw, 0o644); err != nil {
		t.Fatal(err)
	}
	code, out, errOut := runCLI(t, "", append(append([]string{"-o", "json"}, args...), p)...)
	if code == exitBadInput {
		t.Fatalf("refused: %s", errOut)
	}
	return out, code
}

// shuffle reorders every list in a fact document, at every level.
func shuffle(r *rand.Rand, v any) any {
	switch x := v.(type) {
	case []any:
		for _, e := range x {
			shuffle(r, e)
		}
		r.Shuffle(len(x), func(i, j int) { x[i], x[j] = x[j], x[i] })
	case map[string]any:
		for _, e := range x {
			shuffle(r, e)
		}
	}
	return v
}

func TestResultDoesNotDependOnListOrder(t *testing.T) {
	for seed := uint64(1); seed <= 8; seed++ {
		doc := genDoc(t, seed, 25, 6)
		for _, args := range [][]string{nil, {"--explain"}} {
			want, _ := scoreDoc(t, doc, args...)
			again, _ := scoreDoc(t, doc, args...)
			if again != want {
				t.Fatalf("seed %d: the same input gave different output", seed)
			}
			r := rand.New(rand.NewPCG(seed, 99))
			for k := 0; k < 3; k++ {
				if got, _ := scoreDoc(t, shuffle(r, doc), args...); got != want {
					i := 0
					for i < len(got) && i < len(want) && got[i] == want[i] {
						i++
					}
					t.Fatalf("seed %d %v: shuffling the lists changed the result at %d:\n%s\n---\n%s", seed, args, i, want[max(0, i-300):min(len(want), i+100)], got[max(0, i-300):min(len(got), i+100)])
				}
			}
		}
	}
}

func TestScoresStayInBoundsAndCertificationsNeverLower(t *testing.T) {
	certified := map[string]any{"id": "new-person", "certifications": []any{
		map[string]any{"name": "MS-102"}, map[string]any{"name": "MS-700"}}}
	for seed := uint64(1); seed <= 12; seed++ {
		doc := genDoc(t, seed, int(seed*3), int(seed%4))
		out, _ := scoreDoc(t, doc)
		before := resultOf(t, out)
		for name, tr := range before.Tracks {
			for id, m := range tr.Metrics {
				if m.Points < 0 || m.Points > m.MaxPoints {
					t.Errorf("seed %d %s %s: %v points of %v", seed, name, id, m.Points, m.MaxPoints)
				}
			}
		}
		doc["people"] = append(doc["people"].([]any), certified)
		out, _ = scoreDoc(t, doc)
		after := resultOf(t, out)
		for name, tr := range after.Tracks {
			if tr.Score < before.Tracks[name].Score {
				t.Errorf("seed %d %s: a certified person lowered the score from %v to %v", seed, name, before.Tracks[name].Score, tr.Score)
			}
		}
		if before.Qualified && !after.Qualified {
			t.Errorf("seed %d: a certified person lost the designation", seed)
		}
	}
}

func TestPartnerWithoutDataScoresZero(t *testing.T) {
	out, code := scoreDoc(t, map[string]any{"partner": map[string]any{"id": "empty"}, "month": "2026-10"})
	r := resultOf(t, out)
	if code != exitNotQualified || r.Qualified || r.Score != 0 {
		t.Errorf("exit %d, qualified %v, score %v", code, r.Qualified, r.Score)
	}
	for name, tr := range r.Tracks {
		for id, m := range tr.Metrics {
			if m.Value != 0 || m.Points != 0 {
				t.Errorf("%s %s: %d, %v points", name, id, m.Value, m.Points)
			}
		}
	}
}
