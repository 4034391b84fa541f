package engine

import (
	"bytes"
	"context"
	"encoding/json"
	"reflect"
	"testing"

	"evaluate/facts"
	"evaluate/gen"

	"github.com/open-policy-agent/opa/v1/rego"
)

// TestRegoResultMatchesJSON reads the designation's result directly and by
// the JSON round trip it replaces, for generated partners: the two must be
// the same, and the direct reading must be the one used.
func TestRegoResultMatchesJSON(t *testing.T) {
	b, err := Default(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	m, _ := facts.ParseMonth("2026-10")
	for seed := uint64(1); seed <= 8; seed++ {
		var buf bytes.Buffer
		if err := gen.WriteJSON(&buf, gen.Options{Seed: seed, Tenants: 30, Month: m, Vocabulary: b.Vocabulary}); err != nil {
			t.Fatal(err)
		}
		f, err := facts.Parse("gen.json", buf.Bytes(), b.Vocabulary)
		if err != nil {
			t.Fatal(err)
		}
		w, err := f.Window(facts.WindowOptions{})
		if err != nil {
			t.Fatal(err)
		}
		sums, err := (&evaluation{b: b, act: map[string]any{}, workers: 1}).sumMetrics(context.Background(), w, nil)
		if err != nil {
			t.Fatal(err)
		}
		input, err := b.scoreMetrics(sums)
		if err != nil {
			t.Fatal(err)
		}
		rs, err := b.rego.Eval(context.Background(), rego.EvalInput(input))
		if err != nil {
			t.Fatal(err)
		}
		v := rs[0].Expressions[0].Value
		direct, ok := resultFromRego(v)
		if !ok {
			t.Fatalf("seed %d: the shipped policy's result is not read directly", seed)
		}
		raw, _ := json.Marshal(v)
		var viaJSON Result
		if err := json.Unmarshal(raw, &viaJSON); err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(direct, &viaJSON) {
			a, _ := json.Marshal(direct)
			t.Errorf("seed %d: direct and JSON readings differ:\n%s\n%s", seed, a, raw)
		}
	}
}

// TestRegoResultOtherShapesFallBack: what the direct reading does not know
// is left to encoding/json.
func TestRegoResultOtherShapesFallBack(t *testing.T) {
	for _, v := range []any{
		map[string]any{"qualified": true, "Score": json.Number("70")},
		map[string]any{"score": 70.0},
		map[string]any{"tracks": map[string]any{"smb": map[string]any{"metrics": map[string]any{"m": map[string]any{"value": json.Number("1.5")}}}}},
		map[string]any{"tracks": map[string]any{"smb": map[string]any{"reasons": []any{"a", 1}}}},
		map[string]any{"tracks": map[string]any{"smb": map[string]any{"gap": nil}}},
		"qualified",
	} {
		if r, ok := resultFromRego(v); ok {
			t.Errorf("%v: read directly as %+v", v, r)
		}
	}
}
