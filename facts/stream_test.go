package facts_test

import (
	"bytes"
	"encoding/json"
	"io"
	"reflect"
	"strings"
	"testing"
	"testing/iotest"

	"evaluate/facts"
	"evaluate/gen"
)

var vocab = facts.Vocabulary{
	AttributionTypes:  []string{"CPOR", "CSP", "DPOR"},
	EligibleWorkloads: []string{"Teams", "Exchange", "SharePoint", "Intune"},
	Certifications:    []string{"MS-102", "MS-700"},
	Tiers:             map[string][]int64{"CSP": {1, 2}},
}

// TestStreamMatchesWholeFile checks that reading a JSON fact file as a
// stream, a customer at a time, windows it exactly as reading it whole.
func TestStreamMatchesWholeFile(t *testing.T) {
	m, _ := facts.ParseMonth("2026-10")
	for seed := uint64(1); seed <= 6; seed++ {
		var buf bytes.Buffer
		if err := gen.WriteJSON(&buf, gen.Options{Seed: seed, Tenants: 40, People: 4, Month: m, Months: 16, Vocabulary: vocab}); err != nil {
			t.Fatal(err)
		}
		// Month first (as gen writes it), or after the customers.
		monthLast := strings.Replace(buf.String(), `"month": "2026-10", `, ``, 1)
		monthLast = strings.TrimSuffix(strings.TrimSpace(monthLast), "}") + `, "month": "2026-10"}`
		for _, src := range []string{buf.String(), monthLast} {
			for _, opts := range []facts.WindowOptions{{}, {Month: m - 2, HasMonth: true, AsOf: "2026-09-01"}} {
				whole, err := facts.Parse("p.json", []byte(src), vocab)
				if err != nil {
					t.Fatal(err)
				}
				want, err := whole.Window(opts)
				if err != nil {
					t.Fatal(err)
				}
				var tenants []facts.TenantWindow
				for _, collect := range []bool{false, true} {
					// One byte per read puts values across every buffer boundary.
					var r io.Reader = strings.NewReader(src)
					if collect {
						r = iotest.OneByteReader(r)
					}
					var on func(facts.TenantWindow)
					if collect {
						tenants = nil
						on = func(tw facts.TenantWindow) { tenants = append(tenants, tw) }
					}
					_, got, err := facts.StreamJSON("p.json", 1, r, vocab, opts, on)
					if err != nil {
						t.Fatal(err)
					}
					if collect && got.Tenants == nil {
						got.Tenants = tenants
					}
					if a, b := jsonOf(t, want), jsonOf(t, got); !reflect.DeepEqual(a, b) {
						i := 0
						for i < len(a) && i < len(b) && a[i] == b[i] {
							i++
						}
						t.Fatalf("seed %d (handed out %v): stream and whole file differ at %d:\n%s\n%s", seed, collect, i, a[max(0, i-80):min(len(a), i+80)], b[max(0, i-80):min(len(b), i+80)])
					}
				}
			}
		}
	}
}

func jsonOf(t *testing.T, v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestStreamReportsLikeParse(t *testing.T) {
	src := `{"partner": {"id": "p"}, "month": "2026-10", "customers": [
  {"tenant": "a", "associations": [{"type": "POR", "from": "2024-01-01"}]},
  {"tenant": "a", "workloads": [{"workload": "Teams", "usage": [{"month": "2026-10", "paid_seat": 5, "active_users": 1}]}]}
], "colour": 1}`
	_, errWhole := facts.Parse("p.json", []byte(src), vocab)
	_, _, errStream := facts.StreamJSON("p.json", 1, strings.NewReader(src), vocab, facts.WindowOptions{}, nil)
	if errWhole == nil || errStream == nil || errWhole.Error() != errStream.Error() {
		t.Errorf("messages differ:\nwhole:  %v\nstream: %v", errWhole, errStream)
	}
	for _, want := range []string{`p.json:2: customers[0].associations[0].type: unknown attribution type "POR"`, `p.json:3: customers[1].tenant: duplicate tenant "a"`, `p.json:3: customers[1].workloads[0].usage[0].paid_seat: unknown key`, `p.json:4: colour: unknown key`} {
		if !strings.Contains(errStream.Error(), want) {
			t.Errorf("stream errors lack %q:\n%v", want, errStream)
		}
	}
}

func TestStreamMonthBetweenCustomers(t *testing.T) {
	src := `{"partner": {"id": "p"}, "customers": [
  {"tenant": "a", "associations": [{"type": "CPOR", "from": "2024-01-01"}], "workloads": [{"workload": "Teams", "usage": [{"month": "2026-10", "paid_seats": 500, "active_users": 300}]}]}
], "month": "2026-10", "people": []}`
	_, w, err := facts.StreamJSON("p.json", 1, strings.NewReader(src), vocab, facts.WindowOptions{}, func(facts.TenantWindow) { t.Error("a held tenant was handed out") })
	if err != nil || len(w.Tenants) != 1 || w.Tenants[0].Now.Workloads[0].PaidSeats != 500 {
		t.Errorf("err %v, window %+v", err, w)
	}
}

func TestStreamWarnsLikeParse(t *testing.T) {
	src := `{"partner": {"id": "p"}, "month": "2026-10", "customers": [
  {"tenant": "plain", "workloads": [{"workload": "Teams", "usage": [{"month": "2026-10", "paid_seats": 5, "active_users": 1}]}]},
  {"tenant": "ignored", "workloads": [{"workload": "Dynamics", "usage": [{"month": "2026-10", "paid_seats": 5, "active_users": 1}]}]},
  {"tenant": "over", "workloads": [{"workload": "Teams", "usage": [{"month": "2026-10", "paid_seats": 5, "active_users": 9}]}]},
  {"tenant": "caf\u00e9", "name": "Caf\u00e9 \"Zur Post\"", "workloads": [{"workload": "Teams", "usage": [{"month": "2026-10", "paid_seats": 5, "active_users": 1}]}]},
  {"tenant": "brackets", "name": "\\\"}] \"[{\\", "workloads": [{"workload": "Teams", "usage": [{"month": "2026-10", "paid_seats": 5, "active_users": 1}]}]}
]}`
	whole, err := facts.Parse("p.json", []byte(src), vocab)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range []io.Reader{strings.NewReader(src), iotest.OneByteReader(strings.NewReader(src))} {
		f, w, err := facts.StreamJSON("p.json", 1, r, vocab, facts.WindowOptions{}, nil)
		if err != nil {
			t.Fatal(err)
		}
		if jsonOf(t, whole.Warnings) != jsonOf(t, f.Warnings) || len(f.Warnings) != 2 {
			t.Errorf("warnings differ:\n%v\n%v", whole.Warnings, f.Warnings)
		}
		if w.Tenants[3].Tenant != "café" {
			t.Errorf("escaped tenant id read as %q", w.Tenants[3].Tenant)
		}
		if len(w.Tenants) != 5 || w.Tenants[4].Tenant != "brackets" {
			t.Errorf("brackets and escaped quotes in a name: tenants %+v", w.Tenants)
		}
	}
}
