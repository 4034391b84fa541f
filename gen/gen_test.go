package gen_test

import (
	"bytes"
	"testing"

	"evaluate/facts"
	"evaluate/gen"
)

var vocab = facts.Vocabulary{AttributionTypes: []string{"CPOR", "CSP", "DPOR"}, EligibleWorkloads: []string{"Teams", "Exchange"}, Certifications: []string{"MS-102"}, Tiers: map[string][]int64{"CSP": {1, 2}}}

func write(t *testing.T, seed uint64) []byte {
	m, _ := facts.ParseMonth("2026-10")
	var b bytes.Buffer
	if err := gen.WriteJSON(&b, gen.Options{Seed: seed, Tenants: 200, Month: m, Vocabulary: vocab}); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func TestDeterministicAndValid(t *testing.T) {
	a, b, c := write(t, 1), write(t, 1), write(t, 2)
	if !bytes.Equal(a, b) {
		t.Error("the same seed wrote different files")
	}
	if bytes.Equal(a, c) {
		t.Error("different seeds wrote the same file")
	}
	f, err := facts.Parse("gen.json", a, vocab)
	if err != nil {
		t.Fatalf("a generated file is refused: %v", err)
	}
	if len(f.Customers) != 200 || !f.HasMonth || len(f.People) == 0 {
		t.Errorf("customers %d, month %v, people %d", len(f.Customers), f.HasMonth, len(f.People))
	}
}
