package pcenter_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"io/fs"
	"os"
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

// roundTrip writes a fact file's exports and imports them again, keeping
// at most runBytes of rows in memory (0: the default).
func roundTrip(t *testing.T, b *engine.Bundle, m *pcenter.Mapping, doc []byte, runBytes int, format string) []byte {
	t.Helper()
	f, err := facts.Parse("fact.json", 1, doc, &b.Schema)
	if err != nil {
		t.Fatalf("%v\n%.300s", err, doc)
	}
	exports, err := pcenter.Exports(f, &b.Schema, m)
	if err != nil {
		t.Fatal(err)
	}
	im := pcenter.NewImporter(m, &b.Schema, runBytes, t.TempDir())
	defer im.Close()
	for _, e := range exports {
		if err := im.ReadFile(e.File, bytes.NewReader(e.Data)); err != nil {
			t.Fatal(err)
		}
	}
	ps, err := im.Partners()
	if err != nil {
		t.Fatal(err)
	}
	if len(ps) != 1 || len(ps[0].Problems) > 0 {
		t.Fatalf("want one partner's fact file, got %d: %+v", len(ps), ps)
	}
	var out bytes.Buffer
	if err := im.Facts(ps, func(_ *pcenter.Partner, fact *gen.Object) error { return gen.Write(&out, fact, format) }); err != nil {
		t.Fatal(err)
	}
	return out.Bytes()
}

func genJSON(t *testing.T, b *engine.Bundle, seed uint64, tenants int) []byte {
	t.Helper()
	month, _ := facts.ParseMonth("2026-10")
	var buf bytes.Buffer
	if err := gen.WriteJSON(&buf, gen.Options{Seed: seed, Tenants: tenants, Month: month, Schema: &b.Schema}); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// Fact file -> exports -> import -> fact file is exact, once the fact file
// is in the form the exports can say (the first round trip makes it so).
func TestRoundTripIsExact(t *testing.T) {
	b, m := setup(t)
	for seed := uint64(1); seed <= 5; seed++ {
		once := roundTrip(t, b, m, genJSON(t, b, seed, 40), 0, "jsonl")
		twice := roundTrip(t, b, m, once, 0, "jsonl")
		if !bytes.Equal(once, twice) {
			t.Errorf("seed %d: the round trip is not exact:\nonce  %.400s\ntwice %.400s", seed, once, twice)
		}
	}
}

// Rows spilled to temporary files in many small runs make the same fact
// file, byte for byte, as rows kept in memory, in every format; and the
// streamed formats are those of encoding the whole document.
func TestSpilledRowsMakeTheSameFile(t *testing.T) {
	t.Parallel()
	b, m := setup(t)
	doc := genJSON(t, b, 11, 60)
	for _, format := range []string{"yaml", "json", "jsonl"} {
		inMemory := roundTrip(t, b, m, doc, 0, format)
		for _, runBytes := range []int{8 << 10, 64 << 10} {
			if spilled := roundTrip(t, b, m, doc, runBytes, format); !bytes.Equal(spilled, inMemory) {
				t.Errorf("%s, runs of %d bytes: the fact file differs:\n%.600s\nwant\n%.600s", format, runBytes, spilled, inMemory)
			}
		}
	}
	// The same file as a whole-document encoder writes.
	compact := roundTrip(t, b, m, doc, 0, "jsonl")
	var indented bytes.Buffer
	if err := json.Indent(&indented, bytes.TrimSpace(compact), "", "  "); err != nil {
		t.Fatal(err)
	}
	if got := roundTrip(t, b, m, doc, 0, "json"); string(got) != indented.String()+"\n" {
		t.Errorf("indented JSON differs from json.Indent of the whole:\n%.600s\nwant\n%.600s", got, indented.String())
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

// Partners are imported apart however the rows fall into runs: one whose
// id is a prefix of another's, one with a bad row (not imported, the
// others are), one with rows only of a dropped type; and the runs are
// removed when the import ends.
func TestSpilledPartnersStayApart(t *testing.T) {
	t.Parallel()
	b, m := setup(t)
	var csv strings.Builder
	csv.WriteString("MPNId,CustomerTenantId,CustomerName,WorkloadName,Month,PaidAvailableUnits,MonthlyActiveUsers,PartnerAttributionType\n")
	for i := range 300 {
		for _, p := range []string{"P1", "P10", "P2", "P3"} {
			month := "2026-10"
			if p == "P2" && i == 150 {
				month = "October" // P2's bad row
			}
			typ := "CPOR"
			if p == "P3" {
				typ = "Advisor" // dropped: P3 has no tenants
			}
			fmt.Fprintf(&csv, "%s,t%03d,Tenant %d,EXO,%s,%d,%d,%s\n", p, i%40, i, month, 100+i, 50+i%7, typ)
		}
	}
	facts := func(runBytes int) (map[string]string, []string) {
		dir := t.TempDir()
		im := pcenter.NewImporter(m, &b.Schema, runBytes, dir)
		if err := im.ReadFile("office.csv", strings.NewReader(csv.String())); err != nil {
			t.Fatal(err)
		}
		ps, err := im.Partners()
		if err != nil {
			t.Fatal(err)
		}
		var bad []string
		for _, p := range ps {
			if len(p.Problems) > 0 {
				bad = append(bad, p.ID)
			}
		}
		out := map[string]string{}
		err = im.Facts(ps, func(p *pcenter.Partner, fact *gen.Object) error {
			var buf bytes.Buffer
			err := gen.Write(&buf, fact, "jsonl")
			out[p.ID] = buf.String()
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		if left, _ := os.ReadDir(dir); len(left) > 0 {
			t.Errorf("runs of %d bytes: %d temporary files left", runBytes, len(left))
		}
		return out, bad
	}
	want, bad := facts(0)
	if strings.Join(bad, ",") != "P2" || len(want) != 3 || !strings.Contains(want["P3"], `"customers":[]`) {
		t.Fatalf("bad %v, imported %d: %v", bad, len(want), want["P3"])
	}
	for _, runBytes := range []int{2 << 10, 16 << 10} {
		got, _ := facts(runBytes)
		for id, w := range want {
			if got[id] != w {
				t.Errorf("runs of %d bytes: partner %s differs:\n%.300s\nwant\n%.300s", runBytes, id, got[id], w)
			}
		}
	}
	if !strings.Contains(want["P10"], `"tenant":"t039"`) || strings.Count(want["P1"], `"tenant":`) != 40 {
		t.Errorf("P1 and P10 mixed: %.300s", want["P1"])
	}
}

// Rows of one month that disagree are compared in the order their types
// first gave an entry a row: association-only rows (no workload) do not
// change it, so each disagreeing row is warned about.
func TestDisagreementsInTheOrderOfEntries(t *testing.T) {
	t.Parallel()
	b, m := setup(t)
	const csv = "MPNId,CustomerTenantId,WorkloadName,Month,PaidAvailableUnits,MonthlyActiveUsers,PartnerAttributionType\n" +
		"P1,t1,,2026-10,,,DPOR\n" +
		"P1,t1,,2026-10,,,PAL\n" +
		"P1,t1,EXO,2026-10,2,1,CPOR\n" +
		"P1,t1,EXO,2026-10,1,1,DPOR\n" +
		"P1,t1,EXO,2026-10,1,1,PAL\n"
	im := pcenter.NewImporter(m, &b.Schema, 0, t.TempDir())
	if err := im.ReadFile("office.csv", strings.NewReader(csv)); err != nil {
		t.Fatal(err)
	}
	ps, err := im.Partners()
	if err != nil {
		t.Fatal(err)
	}
	if err := im.Facts(ps, func(_ *pcenter.Partner, fact *gen.Object) error { return gen.Write(io.Discard, fact, "jsonl") }); err != nil {
		t.Fatal(err)
	}
	var lines []int
	for _, w := range ps[0].Warnings() {
		lines = append(lines, w.Line)
	}
	if fmt.Sprint(lines) != "[5 6]" {
		t.Errorf("warnings at lines %v, want [5 6]: %v", lines, ps[0].Warnings())
	}
}

// TestMappingDecodeErrors: a mapping's unknown keys are named at their
// lines with the keys their place allows, not with Go's type names, and a
// fact file given as the mapping is said to be one.
func TestMappingDecodeErrors(t *testing.T) {
	t.Parallel()
	for _, c := range []struct{ doc, want string }{
		{"partner_center:\n  datasets:\n    usage:\n      titel: x\n", `m.yaml:4: titel: unknown key (allowed: title, file, columns, series, keys, measures, combine, names, active_status, claim_type) (did you mean "title"?)`},
		{"partner_center:\n  atribution_types: {}\n", `m.yaml:2: atribution_types: unknown key (allowed: duplicate_values, attribution_types, workloads, services, datasets) (did you mean "attribution_types"?)`},
		{"partner: {id: p}\nmonth: 2026-10\n", "m.yaml:1: partner: unknown key (allowed: partner_center)\nm.yaml:2: month: unknown key (allowed: partner_center)\nm.yaml: this looks like a fact file"},
		{"partner_center:\n  datasets: {usage: {combine: [1]}}\n", "m.yaml:2: cannot unmarshal !!seq into string"},
	} {
		_, err := pcenter.ParseMapping("m.yaml", []byte(c.doc))
		if err == nil || !strings.Contains(err.Error(), c.want) || strings.Contains(err.Error(), "pcenter.") {
			t.Errorf("%q: got %v, want %q", c.doc, err, c.want)
		}
	}
}
