package pcenter_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io/fs"
	"strings"
	"testing"

	policies "evaluate"
	"evaluate/engine"
	"evaluate/facts"
	"evaluate/gen"
	"evaluate/pcenter"
)

func setup(t *testing.T) (*engine.Bundle, *pcenter.Mapping) {
	t.Helper()
	b, err := engine.Default(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	m, err := pcenter.LoadMapping(policies.Policies, pcenter.MappingFile)
	if err != nil {
		t.Fatal(err)
	}
	return b, m
}

// roundTrip writes a fact file's exports and imports them again.
func roundTrip(t *testing.T, b *engine.Bundle, m *pcenter.Mapping, doc []byte) []byte {
	t.Helper()
	f, err := facts.Parse("fact.json", 1, doc, &b.Schema)
	if err != nil {
		t.Fatalf("%v\n%.300s", err, doc)
	}
	exports, err := pcenter.Exports(f, &b.Schema, m)
	if err != nil {
		t.Fatal(err)
	}
	im := pcenter.NewImporter(m, &b.Schema)
	for _, e := range exports {
		if err := im.ReadFile(e.File, bytes.NewReader(e.Data)); err != nil {
			t.Fatal(err)
		}
	}
	docs, _, err := im.Documents()
	if err != nil {
		t.Fatal(err)
	}
	if len(docs) != 1 || docs[0].Fact == nil {
		t.Fatalf("want one partner's fact file, got %d: %+v", len(docs), docs)
	}
	out, err := json.Marshal(docs[0].Fact)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// Fact file -> exports -> import -> fact file is exact, once the fact file
// is in the form the exports can say (the first round trip makes it so).
func TestRoundTripIsExact(t *testing.T) {
	b, m := setup(t)
	month, _ := facts.ParseMonth("2026-10")
	for seed := uint64(1); seed <= 5; seed++ {
		var buf bytes.Buffer
		if err := gen.WriteJSON(&buf, gen.Options{Seed: seed, Tenants: 40, Month: month, Schema: &b.Schema}); err != nil {
			t.Fatal(err)
		}
		once := roundTrip(t, b, m, buf.Bytes())
		twice := roundTrip(t, b, m, once)
		if !bytes.Equal(once, twice) {
			t.Errorf("seed %d: the round trip is not exact:\nonce  %.400s\ntwice %.400s", seed, once, twice)
		}
	}
}

// A dataset of claims says which attribution type it claims; the mapping
// is refused when the associated column and claim_type disagree.
func TestMappingClaimType(t *testing.T) {
	t.Parallel()
	src, err := fs.ReadFile(policies.Policies, pcenter.MappingFile)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := pcenter.ParseMapping("m.yaml", src); err != nil {
		t.Fatalf("shipped mapping: %v", err)
	}
	bad := strings.Replace(string(src), "claim_type: CPOR", "", 1)
	if _, err := pcenter.ParseMapping("m.yaml", []byte(bad)); err == nil || !strings.Contains(err.Error(), "datasets.cpor_claims: a dataset of claims") {
		t.Errorf("no claim_type: %v", err)
	}
}
