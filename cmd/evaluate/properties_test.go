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

// Properties of the scores of generated partners, for every designation.

// genDoc returns a generated partner as plain JSON values, to be edited.
func genDoc(t *testing.T, seed uint64, tenants, people int) map[string]any {
	t.Helper()
	b, err := engine.Default(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	m, _ := facts.ParseMonth("2026-10")
	raw, err := gen.AppendJSON(nil, gen.Document(gen.Options{Seed: seed, Tenants: tenants, People: people, Month: m, Schema: &b.Schema}))
	if err != nil {
		t.Fatal(err)
	}
	var doc map[string]any
	if err := json.Unmarshal(raw, &doc); err != nil {
		t.Fatal(err)
	}
	return doc
}

// scored is the part of a designation's result (SPEC.md §6) the
// properties read.
type scored struct {
	Qualified bool    `json:"qualified"`
	Score     float64 `json:"score"`
	Tracks    map[string]struct {
		Score   float64 `json:"score"`
		Metrics map[string]struct {
			Value     float64 `json:"value"`
			Points    float64 `json:"points"`
			MaxPoints float64 `json:"max_points"`
		} `json:"metrics"`
	} `json:"tracks"`
	raw json.RawMessage
}

// scoreDoc scores doc written to a file of the test's own and returns the
// CLI's JSON output: one object per designation, by id.
func scoreDoc(t *testing.T, doc any, args ...string) map[string]scored {
	t.Helper()
	// One path per test, so that results (which name the file) compare.
	p := filepath.Join(os.TempDir(), "evaluate-"+filepath.Base(t.Name())+".json")
	t.Cleanup(func() { os.Remove(p) })
	raw, _ := json.Marshal(doc)
	if err := os.WriteFile(p, raw, 0o644); err != nil {
		t.Fatal(err)
	}
	code, out, errOut := runCLI(t, "", append(append([]string{"-o", "json", "--quiet"}, args...), p)...)
	if code == exitBadInput {
		t.Fatalf("refused: %s", errOut)
	}
	var rep struct {
		Designations map[string]json.RawMessage `json:"designations"`
	}
	if err := json.Unmarshal([]byte(out), &rep); err != nil || len(rep.Designations) != len(designationIDs) {
		t.Fatalf("%v: %.300s", err, out)
	}
	res := map[string]scored{}
	for id, raw := range rep.Designations {
		var s scored
		if err := json.Unmarshal(raw, &s); err != nil {
			t.Fatal(err)
		}
		s.raw = raw
		res[id] = s
	}
	return res
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

// The order of a file's lists never changes a score, a plan or an
// explanation.
func TestResultDoesNotDependOnListOrder(t *testing.T) {
	t.Parallel()
	for seed := uint64(1); seed <= 3; seed++ {
		doc := genDoc(t, seed, 20, 5)
		for _, args := range [][]string{nil, {"--explain"}} {
			want := raws(scoreDoc(t, doc, args...))
			r := rand.New(rand.NewPCG(seed, 99))
			got := raws(scoreDoc(t, shuffle(r, doc), args...))
			if string(got) != string(want) {
				i := 0
				for i < len(got) && i < len(want) && got[i] == want[i] {
					i++
				}
				t.Fatalf("seed %d %v: shuffling the lists changed the result at byte %d:\n%s\n---\n%s", seed, args, i,
					want[max(0, i-300):min(len(want), i+100)], got[max(0, i-300):min(len(got), i+100)])
			}
		}
	}
}

// raws are the results' JSON, in designation order.
func raws(rs map[string]scored) string {
	var out []byte
	for _, id := range designationIDs {
		out = append(out, rs[id].raw...)
	}
	return string(out)
}

// Points stay within each metric's maximum, and another certified person
// never lowers a score or loses a designation.
func TestScoresStayInBoundsAndCertificationsNeverLower(t *testing.T) {
	t.Parallel()
	certified := map[string]any{"id": "new-person", "certifications": []any{
		map[string]any{"name": "MS-102"}, map[string]any{"name": "MS-700"}, map[string]any{"name": "AZ-500"},
		map[string]any{"name": "AZ-104"}, map[string]any{"name": "PL-200"}}}
	for seed := uint64(1); seed <= 6; seed++ {
		doc := genDoc(t, seed, int(seed*4), int(seed%4))
		before := scoreDoc(t, doc)
		doc["people"] = append(doc["people"].([]any), certified)
		after := scoreDoc(t, doc)
		for id, b := range before {
			for name, tr := range b.Tracks {
				for mid, m := range tr.Metrics {
					if m.Points < 0 || m.Points > m.MaxPoints+1e-9 {
						t.Errorf("seed %d %s %s %s: %v points of %v", seed, id, name, mid, m.Points, m.MaxPoints)
					}
				}
				if a := after[id].Tracks[name]; a.Score < tr.Score-1e-9 {
					t.Errorf("seed %d %s %s: a certified person lowered the score from %v to %v", seed, id, name, tr.Score, a.Score)
				}
			}
			if b.Qualified && !after[id].Qualified {
				t.Errorf("seed %d %s: a certified person lost the designation", seed, id)
			}
		}
	}
}

// A partner without data scores 0 everywhere and qualifies nowhere.
func TestPartnerWithoutDataScoresZero(t *testing.T) {
	t.Parallel()
	for id, r := range scoreDoc(t, map[string]any{"partner": map[string]any{"id": "empty"}, "month": "2026-10"}) {
		if r.Qualified || r.Score != 0 {
			t.Errorf("%s: qualified %v, score %v", id, r.Qualified, r.Score)
		}
		for name, tr := range r.Tracks {
			for mid, m := range tr.Metrics {
				if m.Value != 0 || m.Points != 0 {
					t.Errorf("%s %s %s: %v, %v points", id, name, mid, m.Value, m.Points)
				}
			}
		}
	}
}
