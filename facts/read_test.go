package facts

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
)

const sampleYAML = `partner: {id: "4711001", name: Contoso}
month: 2026-10
as_of: 2026-11-20
customers:
  - tenant: fabrikam
    associations:
      - {type: PAL, from: 2024-02-01}
      - {type: CPOR, role: OSU, from: 2025-03-15, to: 2026-06-30}
      - {type: CPOR, role: OSA, from: 2025-03-15}
      - {type: CSP, tier: 2, from: 2025-01-01}
    workloads:
      - workload: Intune
        usage:
          - {month: 2026-10, paid_seats: 40, active_users: 9}
          - {month: 2025-10, paid_seats: 30, active_users: 31}
    azure:
      - service: Azure Firewall
        offer_type: Pay-As-You-Go
        usage:
          - {month: 2026-10, acr_usd: 1250.40}
          - {month: 2026-09, acr_usd: -0.05}
    business_apps:
      - workload: Sales
        usage:
          - {month: 2026-10, revenue_usd: 1800.50, active_users: 25}
people:
  - id: p-17
    certifications:
      - {name: AZ-500, earned: 2025-01-10, expires: 2026-12-31}
`

func TestReadYAMLAndJSONAlike(t *testing.T) {
	fy, err := Parse("s.yaml", 1, []byte(sampleYAML), testSchema)
	if err != nil {
		t.Fatal(err)
	}
	c := fy.Customers[0]
	// Lists come out in one order (Customer.canonical): associations by
	// type, attributes and start; rows by month.
	if len(c.Associations) != 4 || c.Associations[1].Attrs[1] != "OSU" || c.Associations[2].Attrs[0] != "2" || c.Associations[3].Type != "PAL" {
		t.Errorf("associations: %+v", c.Associations)
	}
	az := c.Series[1][0]
	if az.Keys[1] != "Pay-As-You-Go" || az.Rows[0].Values[0] != -5 || az.Rows[1].Values[0] != 125040 {
		t.Errorf("azure: %+v", az)
	}
	if c.Series[2][0].Rows[0].Values[0] != 180050 || c.Series[2][0].Rows[0].Values[2] != 0 {
		t.Errorf("business_apps: %+v", c.Series[2][0])
	}
	if fy.Latest.String() != "2026-10" || len(fy.Warnings) != 1 || !strings.Contains(fy.Warnings[0].Message, "31 active users is more than the 30 paid seats") {
		t.Errorf("latest %s, warnings %v", fy.Latest, fy.Warnings)
	}
	// The same document as JSON reads the same.
	j := toJSON(t, sampleYAML)
	fj, err := Parse("s.json", 1, j, testSchema)
	if err != nil {
		t.Fatal(err)
	}
	fy.Name, fj.Name = "", ""
	fy.AsOfLine, fj.AsOfLine = 0, 0
	for i := range fy.Warnings {
		fy.Warnings[i].File, fy.Warnings[i].Line = "", 0
		fj.Warnings[i].File, fj.Warnings[i].Line = "", 0
	}
	stripLines(fy)
	stripLines(fj)
	if a, b := fmt.Sprintf("%+v", fy), fmt.Sprintf("%+v", fj); a != b {
		t.Errorf("YAML and JSON differ:\n%s\n%s", a, b)
	}
}

func stripLines(f *File) {
	for i := range f.Customers {
		c := &f.Customers[i]
		c.Line = 0
		for k := range c.Associations {
			c.Associations[k].Line = 0
		}
		for _, es := range c.Series {
			for k := range es {
				es[k].Line = 0
				for r := range es[k].Rows {
					es[k].Rows[r].Line = 0
				}
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

// toJSON converts YAML to indented JSON with a tiny round trip through the
// reader-independent yaml.v3 decoder.
func toJSON(t *testing.T, y string) []byte {
	t.Helper()
	var v any
	if err := yamlUnmarshal([]byte(y), &v); err != nil {
		t.Fatal(err)
	}
	b, err := json.MarshalIndent(v, "", " ")
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestProblemsNameLineAndField(t *testing.T) {
	for _, c := range []struct {
		name, doc string
		want      []string
	}{
		{"unknown key", "partner: {id: p}\ncustomers:\n  - tenant: a\n    workloads:\n      - {workload: Teams, usage: [{month: 2026-10, paid_seat: 3, active_users: 1}]}\n",
			[]string{`x.yaml:5: customers[0].workloads[0].usage[0].paid_seat: unknown key (did you mean "paid_seats"?)`, `x.yaml:5: customers[0].workloads[0].usage[0].paid_seats: missing (required)`}},
		{"cents", "partner: {id: p}\ncustomers:\n  - tenant: a\n    azure:\n      - {service: S, usage: [{month: 2026-10, acr_usd: 1.005}]}\n",
			[]string{`x.yaml:5: customers[0].azure[0].usage[0].acr_usd: want an amount with at most 2 decimals (cents), got 1.005`}},
		{"exponent", "partner: {id: p}\ncustomers:\n  - tenant: a\n    azure:\n      - {service: S, usage: [{month: 2026-10, acr_usd: 1.5e3}]}\n    workloads:\n      - {workload: Teams, usage: [{month: 2026-10, paid_seats: 2E2, active_users: 1}]}\n",
			[]string{`acr_usd: want an amount with at most 2 decimals (cents), got 1.5e3 (write it without an exponent: 1500)`, `paid_seats: want a whole number >= 0, got 2E2 (write it without an exponent: 200)`}},
		{"role on DPOR", "partner: {id: p}\ncustomers:\n  - tenant: a\n    associations: [{type: DPOR, role: OSU, from: 2024-01-01}]\n",
			[]string{`customers[0].associations[0].role: a DPOR association has no role (only CPOR associations do)`}},
		{"CPOR roles overlap only when equal or absent", "partner: {id: p}\ncustomers:\n  - tenant: a\n    associations: [{type: CPOR, role: OSU, from: 2024-01-01}, {type: CPOR, role: OSA, from: 2024-01-01}, {type: CPOR, from: 2025-01-01}]\n",
			[]string{`customers[0].associations[2]: tenant "a" has two CPOR associations whose dates overlap (the other on line 4)`}},
		{"duplicate service", "partner: {id: p}\ncustomers:\n  - tenant: a\n    azure: [{service: S, usage: []}, {service: S, offer_type: Trial, usage: []}, {service: S, usage: []}]\n",
			[]string{`customers[0].azure[2].service: tenant "a" lists Azure service "S" twice`}},
		{"duplicate entry whose rows have problems", "partner: {id: p}\ncustomers:\n  - tenant: a\n    azure:\n      - {service: S, usage: [{month: 2026-10, acr_usd: 1}, {month: 2026-10, acr_usd: 2}]}\n      - {service: S, usage: [{month: 2026-10, acr_usd: x}]}\n",
			[]string{`x.yaml:5: customers[0].azure[0].usage[1].month: Azure service "S" has two usage rows for 2026-10`, `x.yaml:6: customers[0].azure[1].service: tenant "a" lists Azure service "S" twice (first on line 5)`, `x.yaml:6: customers[0].azure[1].usage[0].acr_usd: want an amount`}},
		{"same tenant written twice", "partner: {id: p}\ncustomers:\n  - tenant: \"{0A1B2C3D-0000-1111-2222-333344445555}\"\n  - tenant: 0a1b2c3d-0000-1111-2222-333344445555\n  - tenant: \"café\"\n  - tenant: \"cafe\u0301\"\n",
			[]string{`x.yaml:4: customers[1].tenant: duplicate tenant`, `x.yaml:6: customers[3].tenant: duplicate tenant`}},
		{"duplicates beside other problems", "partner: {id: p}\ncustomers:\n  - {tenant: a, nam: x}\n  - {tenant: a}\npeople:\n  - {id: q, nme: y}\n  - {id: q}\n",
			[]string{`x.yaml:3: customers[0].nam: unknown key`, `x.yaml:4: customers[1].tenant: duplicate tenant "a" (first on line 3)`, `x.yaml:6: people[0].nme: unknown key`, `x.yaml:7: people[1].id: duplicate person "q" (first on line 6)`}},
		{"year out of range", "partner: {id: p}\nmonth: 9999-12\n", []string{`x.yaml:2: month: "9999-12" is out of range: years 1900 to 2199`}},
		{"huge count", "partner: {id: p}\ncustomers:\n  - tenant: a\n    workloads: [{workload: Teams, usage: [{month: 2026-10, paid_seats: 9223372036854775807, active_users: 1}]}]\n",
			[]string{`paid_seats: 9223372036854775807 is more than the largest number allowed`}},
		{"second document", "partner: {id: p}\n---\npartner: {id: q}\n", []string{`x.yaml:2: a second YAML document`}},
		{"a CSV given as a fact file", "MPNId,PartnerName,CustomerTenantId,CustomerName\n" + strings.Repeat("4711001,Contoso,t,Tenant\n", 200),
			[]string{`x.yaml:1: want a mapping with keys partner, month, as_of, customers, people, got "MPNId,PartnerName,CustomerTenantId,CustomerName 4711001,Cont…" (5047 characters)`}},
		{"tab indenting", "partner: {id: p}\ncustomers:\n  - tenant: a\n\tassociations: []\n", []string{`x.yaml:4: invalid YAML: found a tab character`}},
		{"tab in an item of a long list", customersYAML(100, "  ") + "  - tenant: z\n\tassociations: []\n", []string{`x.yaml:283: invalid YAML: found a tab character`}},
		// yaml.v3 places its parser's errors one line early; scanner
		// errors (could not find expected ':') it places right.
		{"flow mapping not closed", "partner: {id: p}\npeople: [\n  {id: a\n", []string{`x.yaml:3: invalid YAML: did not find expected ',' or '}'`}},
		{"flow sequence not closed", "partner: {id: p}\nmonth: 2026-10\npeople: [{id: a}\n", []string{`x.yaml:3: invalid YAML: did not find expected ',' or ']'`}},
		// yaml.v3 places a key one space short at the first entry of its
		// block list; the line meant is the key's.
		{"key one space short in a list", "partner: {id: p}\ncustomers:\n  - tenant: a\n    associations: []\n  - tenant: b\n    associations: []\n   workloads: []\n",
			[]string{`x.yaml:7: invalid YAML: did not find expected '-' indicator`}},
		{"key one space short in a long list", customersYAML(100, "  ") + "  - tenant: z\n   associations: []\n", []string{`x.yaml:283: invalid YAML: did not find expected '-' indicator`}},
		{"key without a colon", "partner: {id: p}\ncustomers:\n  - tenant: x\n  bad\n", []string{`x.yaml:4: invalid YAML: could not find expected ':'`}},
	} {
		_, err := Parse("x.yaml", 1, []byte(c.doc), testSchema)
		if err == nil {
			t.Errorf("%s: accepted", c.name)
			continue
		}
		for _, w := range c.want {
			if !strings.Contains(err.Error(), w) {
				t.Errorf("%s: lacks %q:\n%v", c.name, w, err)
			}
		}
	}
}

// TestJSONBareWords: a word without quotes is said to be one, not as
// jsontext's "invalid character 'o' in literal null" ({not json read as a
// broken null); other syntax errors keep jsontext's words.
func TestJSONBareWords(t *testing.T) {
	t.Parallel()
	const hint = `not a JSON value (invalid character %s): text and keys are written in "double quotes"`
	for _, c := range []struct{ doc, want string }{
		{"{not json}", fmt.Sprintf(hint, "'o'")},
		{`{"partner": {"id": nul}}`, fmt.Sprintf(hint, "'}'")},
		{`{"partner": {"id": "p", "name": Contoso}}`, fmt.Sprintf(hint, "'C'")},
		{`{"partner": {"id": "p"},, }`, "invalid character ',' at start of value"},
	} {
		_, err := Parse("x.json", 1, []byte(c.doc), testSchema)
		if err == nil || !strings.Contains(err.Error(), "x.json:1: invalid JSON: "+c.want) {
			t.Errorf("%s: got %v, want %q", c.doc, err, c.want)
		}
	}
}

func TestJSONNumbersAsWritten(t *testing.T) {
	for _, n := range []string{"1.", "400.", "400.0000000000000001", "1e-400", "4e2", "-1", "0x10"} {
		doc := `{"partner": {"id": "p"}, "customers": [{"tenant": "a", "workloads": [{"workload": "Teams", "usage": [{"month": "2026-10", "paid_seats": ` + n + `, "active_users": 0}]}]}]}`
		if _, err := Parse("x.json", 1, []byte(doc), testSchema); err == nil {
			t.Errorf("paid_seats %s accepted", n)
		}
	}
}

func TestStreamMatchesParse(t *testing.T) {
	j := toJSON(t, sampleYAML)
	f, err := Parse("s.json", 1, j, testSchema)
	if err != nil {
		t.Fatal(err)
	}
	opts := WindowOptions{Needs: Needs{Offsets: []int{0, -12}, AssocMonths: true}}
	whole, err := f.Window(opts)
	if err != nil {
		t.Fatal(err)
	}
	_, streamed, err := Stream("s.json", 1, bytes.NewReader(j), testSchema, opts, nil)
	if err != nil {
		t.Fatal(err)
	}
	if a, b := fmt.Sprintf("%+v", whole.Tenants), fmt.Sprintf("%+v", streamed.Tenants); a != b {
		t.Errorf("stream and parse differ:\n%s\n%s", a, b)
	}
	if streamed.AsOf != "2026-11-20" || !streamed.AsOfGiven || streamed.Month.String() != "2026-10" {
		t.Errorf("window %+v", streamed)
	}
	// Only the months asked for are kept: 2026-09's row is gone.
	if rows := streamed.Tenants[0].Series[1][0].Rows; len(rows) != 1 {
		t.Errorf("kept rows %+v", rows)
	}
}

// TestJSONTextsKept: the reader parses months and numbers from its own
// buffer and copies what it keeps; with escapes, and over a stream long
// enough that the buffer is reused, every kept text is what was written.
func TestJSONTextsKept(t *testing.T) {
	var compact bytes.Buffer
	if err := json.Compact(&compact, toJSON(t, sampleYAML)); err != nil {
		t.Fatal(err)
	}
	plain := compact.String()
	escaped := strings.NewReplacer(`"Intune"`, `"Int\u0075ne"`, `"fabrikam"`, `"fabr\u0069kam"`,
		`"2026-10"`, `"2026\u002d10"`, `"Pay-As-You-Go"`, `"Pay-As-You-G\u006f"`).Replace(plain)
	if escaped == plain {
		t.Fatal("nothing escaped")
	}
	many := func(doc string) []byte {
		i := strings.Index(doc, `"customers":[`) + len(`"customers":[`)
		j := strings.Index(doc, `],"month"`)
		if i < len(`"customers":[`) || j < 0 {
			t.Fatalf("unexpected JSON layout: %s", doc)
		}
		var b strings.Builder
		b.WriteString(doc[:i])
		for k := range 500 {
			if k > 0 {
				b.WriteString(",")
			}
			b.WriteString(strings.Replace(doc[i:j], `fabr`, fmt.Sprintf("t%03d-fabr", k), 1))
		}
		b.WriteString(doc[j:])
		return []byte(b.String())
	}
	opts := WindowOptions{Needs: Needs{Offsets: []int{0, -12}, AssocMonths: true}}
	_, want, err := Stream("p.json", 1, bytes.NewReader(many(plain)), testSchema, opts, nil)
	if err != nil {
		t.Fatal(err)
	}
	_, got, err := Stream("e.json", 1, bytes.NewReader(many(escaped)), testSchema, opts, nil)
	if err != nil {
		t.Fatal(err)
	}
	if a, b := fmt.Sprintf("%+v", want.Tenants), fmt.Sprintf("%+v", got.Tenants); a != b {
		t.Errorf("escaped and plain differ:\n%.600s\n%.600s", a, b)
	}
	if len(got.Tenants) != 500 || got.Tenants[499].Tenant != "t499-fabrikam" || got.Tenants[0].Series[0][0].Keys[0] != "Intune" {
		t.Errorf("tenants %d, last %q", len(got.Tenants), got.Tenants[len(got.Tenants)-1].Tenant)
	}
}
