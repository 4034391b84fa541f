package gen_test

import (
	"bytes"
	"testing"

	"evaluate/facts"
	"evaluate/gen"
)

// schema is a small fact schema of two series, like a bundle's.
var schema = facts.Schema{
	Series: []facts.Series{
		{Name: "workloads", Keys: []string{"workload"}, Rows: "usage", Noun: "workload",
			Measures: []facts.Measure{{Name: "paid_seats", Kind: facts.Count, Required: true}, {Name: "active_users", Kind: facts.Count, Required: true}},
			Used:     []string{"Teams", "Exchange"}},
		{Name: "azure", Keys: []string{"service", "offer_type"}, Rows: "usage", Noun: "service",
			Measures: []facts.Measure{{Name: "acr_usd", Kind: facts.Cents}}, Used: []string{"Key Vault"}},
	},
	Attrs:          []facts.Attr{{Name: "tier", Kind: facts.Integer, Values: map[string][]string{"CSP": {"1", "2"}}}},
	Types:          []string{"CPOR", "CSP", "DPOR", "PAL"},
	Certifications: []string{"MS-102", "AZ-104"},
}

func write(t *testing.T, seed uint64, format string) []byte {
	t.Helper()
	m, _ := facts.ParseMonth("2026-10")
	var b bytes.Buffer
	o := gen.Options{Seed: seed, Tenants: 200, Month: m, Schema: &schema}
	var err error
	switch format {
	case "yaml":
		err = gen.WriteYAML(&b, o)
	default:
		err = gen.WriteJSON(&b, o)
	}
	if err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func TestDeterministicAndValid(t *testing.T) {
	a, b, c := write(t, 1, "json"), write(t, 1, "json"), write(t, 2, "json")
	if !bytes.Equal(a, b) {
		t.Error("the same seed wrote different files")
	}
	if bytes.Equal(a, c) {
		t.Error("different seeds wrote the same file")
	}
	for _, format := range []string{"json", "yaml"} {
		f, err := facts.Parse("gen."+format, 1, write(t, 1, format), &schema)
		if err != nil {
			t.Fatalf("%s: a generated file is refused: %v", format, err)
		}
		if len(f.Customers) != 200 || !f.HasMonth || len(f.People) == 0 {
			t.Errorf("%s: customers %d, month %v, people %d", format, len(f.Customers), f.HasMonth, len(f.People))
		}
		rows := 0
		for _, c := range f.Customers {
			for _, s := range c.Series {
				for _, e := range s {
					rows += len(e.Rows)
				}
			}
		}
		if rows == 0 {
			t.Errorf("%s: no monthly rows", format)
		}
	}
}
