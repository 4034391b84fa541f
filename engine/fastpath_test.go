package engine

import (
	"bytes"
	"context"
	"encoding/json"
	"testing"

	"evaluate/facts"
	"evaluate/gen"
)

// TestFastPathScoresLikeCEL scores generated partners for every designation
// with and without the fast path; the results (with plans and
// explanations) must be the same to the byte.
func TestFastPathScoresLikeCEL(t *testing.T) {
	t.Parallel()
	b, err := Default(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	defer func() { slowCEL = false }()
	for seed := uint64(1); seed <= 3; seed++ {
		f, w := benchPartnerSeed(t, b, 30, seed)
		score := func(slow bool) []byte {
			slowCEL = slow
			return scoredJSON(t, b, f, w, Options{Explain: true, Workers: 1})
		}
		fast, slow := score(false), score(true)
		if !bytes.Equal(fast, slow) {
			t.Errorf("seed %d: the fast path and cel-go disagree:\nfast %.600s\ncel  %.600s", seed, fast, slow)
		}
	}
}

// TestNoticesFastPathLikeCEL gives the people's notice rules (one per
// certification of each person) certifications earned days before the
// evaluation date: the notices must be there, and the same on both paths.
func TestNoticesFastPathLikeCEL(t *testing.T) {
	b, err := Default(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	defer func() { slowCEL = false }()
	doc := `partner: {id: p1}
month: 2026-10
as_of: 2026-11-25
customers: []
people:
  - id: ann
    certifications:
      - {name: AZ-305, earned: 2026-11-24}
      - {name: MS-102, earned: 2026-11-20}
      - {name: MB-310, earned: 2026-11-22}
      - {name: AZ-104, earned: 2026-10-01}
      - {name: XX-999, earned: 2026-11-24}
  - id: bob
    certifications:
      - {name: AZ-500, earned: 2026-11-18, expires: 2027-11-18}
`
	f, err := facts.Parse("recent.yaml", 1, []byte(doc), &b.Schema)
	if err != nil {
		t.Fatal(err)
	}
	w, err := f.Window(facts.WindowOptions{Needs: b.Needs})
	if err != nil {
		t.Fatal(err)
	}
	slowCEL = false
	fast := scoredJSON(t, b, f, w, Options{Workers: 1})
	slowCEL = true
	slow := scoredJSON(t, b, f, w, Options{Workers: 1})
	if !bytes.Equal(fast, slow) {
		t.Errorf("the fast path and cel-go disagree:\nfast %.600s\ncel  %.600s", fast, slow)
	}
	if !bytes.Contains(fast, []byte(`"person":"bob"`)) || !bytes.Contains(fast, []byte(`"person":"ann"`)) {
		t.Errorf("no notice about ann's and bob's recent certifications: %.600s", fast)
	}
}

// TestRulesRunOnTheFastPath keeps every per-record expression of the
// shipped bundle on the fast path: one that falls back to cel-go scores
// several times slower, which only a benchmark would show.
func TestRulesRunOnTheFastPath(t *testing.T) {
	b, err := Default(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range b.Designations {
		for _, f := range []*flow{d.tenantFlow, d.peopleFlow} {
			for _, x := range f.exprs() {
				if x.fast == nil {
					t.Errorf("%s: %s runs on cel-go", d.ID, x.src.Name)
				}
			}
		}
		if ir := d.certNotices; ir != nil {
			for _, x := range append([]*compiled{ir.over}, ruleExprs(ir.rules)...) {
				if x.fast == nil {
					t.Errorf("%s: notices: %s runs on cel-go", d.ID, x.src.Name)
				}
			}
		}
		for _, m := range d.Metrics {
			for _, x := range []*compiled{m.value, m.points, m.maxPoints, m.extra, m.chosen, m.combPoints, m.combValue} {
				if x != nil && x.fast == nil {
					t.Errorf("%s: metrics[%s] %s runs on cel-go", d.ID, m.ID, x.src.Name)
				}
			}
		}
	}
}

// TestSharedResultsMatchAlone scores a partner for every designation at
// once (designations share results computed once per tenant, share.go) and
// for each alone: the results must be the same.
func TestSharedResultsMatchAlone(t *testing.T) {
	t.Parallel()
	b, err := Default(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if b.memoSlots == 0 {
		t.Fatal("no designation shares a result: the Azure designations should")
	}
	m, _ := facts.ParseMonth("2026-10")
	var buf bytes.Buffer
	if err := gen.WriteJSON(&buf, gen.Options{Seed: 7, Tenants: 60, Month: m, Schema: &b.Schema}); err != nil {
		t.Fatal(err)
	}
	f, err := facts.Parse("gen.json", 1, buf.Bytes(), &b.Schema)
	if err != nil {
		t.Fatal(err)
	}
	w, err := f.Window(facts.WindowOptions{Needs: b.Needs})
	if err != nil {
		t.Fatal(err)
	}
	all, err := b.Evaluate(context.Background(), f, w, Options{Workers: 1})
	if err != nil {
		t.Fatal(err)
	}
	for i, d := range b.Designations {
		one, _ := b.Select([]string{d.ID})
		rs, err := one.Evaluate(context.Background(), f, w, Options{Workers: 1})
		if err != nil {
			t.Fatal(err)
		}
		a, _ := json.Marshal(all[i])
		o, _ := json.Marshal(rs[0])
		if !bytes.Equal(a, o) {
			t.Errorf("%s: scored with the others %.300s\nalone %.300s", d.ID, a, o)
		}
	}
}

// ruleExprs are the conditions and texts of rules.
func ruleExprs(rs []rule) []*compiled {
	var out []*compiled
	for _, r := range rs {
		out = append(out, r.when, r.says)
	}
	return out
}
