package facts

import (
	"reflect"
	"strings"
	"testing"
)

func TestYAMLAndJSONReadAlike(t *testing.T) {
	y := mustParse(t, "a.yaml", `
partner: {id: "4711", name: Contoso}
month: 2026-10
as_of: 2026-11-20
customers:
  - tenant: fabrikam
    associations: [{type: CSP, tier: 2, from: 2025-03-15, to: 2026-06-30}]
    workloads: [{workload: Teams, usage: [{month: 2026-10, paid_seats: 400, active_users: 260}]}]
people:
  - {id: p1, certifications: [{name: MS-102, earned: 2025-01-10}]}
`)
	j := mustParse(t, "a.json", `{"partner": {"id": "4711", "name": "Contoso"}, "month": "2026-10", "as_of": "2026-11-20",
	"customers": [{"tenant": "fabrikam", "associations": [{"type": "CSP", "tier": 2, "from": "2025-03-15", "to": "2026-06-30"}],
		"workloads": [{"workload": "Teams", "usage": [{"month": "2026-10", "paid_seats": 400, "active_users": 260}]}]}],
	"people": [{"id": "p1", "certifications": [{"name": "MS-102", "earned": "2025-01-10"}]}]}`)
	y.Name, j.Name = "", ""
	clearLines(y)
	clearLines(j)
	if !reflect.DeepEqual(y, j) {
		t.Errorf("YAML and JSON differ:\n%+v\n%+v", y, j)
	}
}

func clearLines(f *File) {
	for i := range f.Customers {
		c := &f.Customers[i]
		c.Line = 0
		for k := range c.Associations {
			c.Associations[k].Line = 0
		}
		for k := range c.Workloads {
			c.Workloads[k].Line = 0
			for u := range c.Workloads[k].Usage {
				c.Workloads[k].Usage[u].Line = 0
			}
		}
	}
	for i := range f.People {
		f.People[i].Line = 0
		for k := range f.People[i].Certifications {
			f.People[i].Certifications[k].Line = 0
		}
	}
}

func TestParseProblems(t *testing.T) {
	tests := []struct {
		name, file, src string
		want            []string
	}{
		{"empty", "e.yaml", "", []string{"e.yaml:1: the file is empty"}},
		{"not a mapping", "e.yaml", "- 1\n", []string{"e.yaml:1: want a mapping"}},
		{"YAML syntax", "e.yaml", "partner: {id: p\n", []string{"e.yaml:1: invalid YAML"}},
		{"JSON trailing data", "e.json", `{"partner": {"id": "p"}} {}`, []string{"e.json:1: invalid JSON: more than one value"}},
		{"seats as a string", "e.yaml", "partner: {id: p}\ncustomers: [{tenant: t, workloads: [{workload: Teams, usage: [{month: 2026-10, paid_seats: '12', active_users: 1}]}]}]\n",
			[]string{`paid_seats: want a whole number >= 0, got "12"`}},
		{"NaN seats", "e.yaml", "partner: {id: p}\ncustomers: [{tenant: t, workloads: [{workload: Teams, usage: [{month: 2026-10, paid_seats: .nan, active_users: 1}]}]}]\n",
			[]string{`paid_seats: want a whole number >= 0, got .nan`}},
		{"duplicate workload", "e.yaml", "partner: {id: p}\ncustomers: [{tenant: t, workloads: [{workload: Teams}, {workload: Teams}]}]\n",
			[]string{`e.yaml:2: customers[0].workloads[1].workload: tenant "t" lists workload "Teams" twice`}},
		{"association ends before it starts", "e.yaml", "partner: {id: p}\ncustomers: [{tenant: t, associations: [{type: CPOR, from: 2026-01-02, to: 2026-01-01}]}]\n",
			[]string{`to: ends (2026-01-01) before it starts (2026-01-02)`}},
		{"duplicate key", "e.yaml", "partner: {id: p}\nmonth: 2026-10\nmonth: 2026-11\n", []string{"e.yaml:3: month: appears twice"}},
		{"JSON leading zero", "e.json", `{"partner": {"id": "p"}, "customers": [{"tenant": "t", "workloads": [{"workload": "Teams", "usage": [{"month": "2026-10", "paid_seats": 010, "active_users": 1}]}]}]}`,
			[]string{`e.json:1: invalid JSON: invalid number "010"`}},
		{"tier zero", "e.yaml", "partner: {id: p}\ncustomers: [{tenant: t, associations: [{type: CSP, tier: 0, from: 2026-01-01}]}]\n", []string{"tier: want a tier of 1 or more"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f, err := Parse(tt.file, []byte(tt.src), vocab)
			if err == nil {
				t.Fatalf("Parse accepted it: %+v", f)
			}
			if f != nil {
				t.Errorf("Parse returned a file along with errors")
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q lacks %q", err, w)
				}
			}
		})
	}
}

func TestParseWarnings(t *testing.T) {
	f := mustParse(t, "w.yaml", `partner: {id: p}
customers:
  - tenant: t
    workloads:
      - workload: Dynamics
        usage: [{month: 2026-10, paid_seats: 5, active_users: 9}]
people:
  - {id: p1, certifications: [{name: MS-102, earned: 2026-01-02, expires: 2026-01-01}]}
`)
	got := ""
	for _, w := range f.Warnings {
		got += w.String() + "\n"
	}
	for _, want := range []string{
		`w.yaml:5: customers[0].workloads[0].workload: workload "Dynamics" of tenant "t" is not an eligible workload and is ignored`,
		`w.yaml:6: customers[0].workloads[0].usage[0].active_users: 9 active users is more than the 5 paid seats of workload "Dynamics" of tenant "t"`,
		`w.yaml:8: people[0].certifications[0].expires: MS-102 of person "p1" expires (2026-01-01) before it was earned (2026-01-02)`,
	} {
		if !strings.Contains(got, want) {
			t.Errorf("warnings lack %q:\n%s", want, got)
		}
	}
}

func TestAliasesResolve(t *testing.T) {
	f := mustParse(t, "a.yaml", `partner: {id: p}
customers:
  - tenant: a
    associations: &since2024 [{type: CPOR, from: 2024-01-01}]
  - tenant: b
    associations: *since2024
`)
	if len(f.Customers[1].Associations) != 1 || f.Customers[1].Associations[0].Type != "CPOR" {
		t.Errorf("alias not resolved: %+v", f.Customers[1])
	}
}

func TestCountsAreDecimal(t *testing.T) {
	f := mustParse(t, "d.yaml", "partner: {id: p}\ncustomers: [{tenant: t, workloads: [{workload: Teams, usage: [{month: 2026-10, paid_seats: 0400, active_users: 1_000}]}]}]\n")
	if u := f.Customers[0].Workloads[0].Usage[0]; u.PaidSeats != 400 || u.ActiveUsers != 1000 {
		t.Errorf("read %+v, want 400 seats and 1000 users", u)
	}
}

func TestByteOrderMark(t *testing.T) {
	for _, name := range []string{"bom.json", "bom.txt"} {
		f, err := Parse(name, []byte("\ufeff{\"partner\": {\"id\": \"p\"}}"), vocab)
		if err != nil || f.Partner.ID != "p" {
			t.Errorf("%s: %v", name, err)
		}
	}
}
