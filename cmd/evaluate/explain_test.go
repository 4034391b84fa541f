package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"evaluate/engine"
	"evaluate/facts"
	"evaluate/gen"
)

func resultOf(t *testing.T, out string) *engine.Result {
	t.Helper()
	var r engine.Result
	if err := json.Unmarshal([]byte(out), &r); err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	return &r
}

func TestExplainDeploymentExclusion(t *testing.T) {
	_, out, _ := runCLI(t, "", "-o", "json", "--explain", tc("deployment_exclusion.yaml"))
	x := resultOf(t, out).Tracks["smb"].Metrics["deployments"].Options["CSP"].Explain
	if x == nil {
		t.Fatal("no explanation")
	}
	var left []string
	for _, l := range x.LeftOut {
		left = append(left, l.Tenant+" "+l.Rule)
	}
	if got := strings.Join(left, ", "); got != "x1 metrics[deployments].notes[deployed_at_association]" {
		t.Errorf("left out: %s", got)
	}
	var counted []string
	for _, c := range x.Reporting {
		counted = append(counted, fmt.Sprintf("%s%+d", c.Tenant, c.Adds))
	}
	if got := strings.Join(counted, " "); got != "x2+1 x3+1 x4+1" {
		t.Errorf("counted: %s", got)
	}
	if len(x.Baseline) != 1 || x.Baseline[0].Tenant != "x3" || x.Baseline[0].Adds != 0 {
		t.Errorf("baseline: %+v", x.Baseline)
	}
}

func TestExplainNewlyAssociatedBaseline(t *testing.T) {
	_, out, _ := runCLI(t, "", "-o", "json", "--explain", tc("newly_associated.yaml"))
	r := resultOf(t, out)
	x := r.Tracks["enterprise"].Metrics["usage_growth"].Options["CPOR"].Explain
	found := false
	for _, n := range x.Notes {
		if n.Tenant == "n1" && n.Rule == "metrics[usage_growth].notes[usage_baseline_at_association]" && strings.Contains(n.Text, "association month 2026-03 (200 active users then)") {
			found = true
		}
	}
	if !found {
		t.Errorf("no note on n1's baseline at its association month: %+v", x.Notes)
	}
	for _, c := range x.Reporting {
		if c.Tenant == "n1" && c.Adds != 300 {
			t.Errorf("n1 adds %d, want 500 - 200 = 300", c.Adds)
		}
	}
	// The explanation adds up to the value.
	for name, tr := range r.Tracks {
		for id, m := range tr.Metrics {
			check := func(what string, value int64, x *engine.Explanation) {
				var sum int64
				for _, c := range x.Reporting {
					sum += c.Adds
				}
				for _, c := range x.Baseline {
					sum -= c.Adds
				}
				if sum != value {
					t.Errorf("%s %s %s: explanation adds up to %d, value %d", name, id, what, sum, value)
				}
			}
			if m.Explain != nil {
				check("", m.Value, m.Explain)
			}
			for o, opt := range m.Options {
				check(o, opt.Value, opt.Explain)
			}
		}
	}
	// Left out for the track: n2 is DPOR only, so CPOR leaves it out by the association rule.
	var reasons []string
	for _, l := range x.LeftOut {
		reasons = append(reasons, l.Tenant+": "+l.Reason)
	}
	if got := strings.Join(reasons, "; "); got != "n2: no CPOR association in effect on the last day of 2026-10 (in effect: DPOR)" {
		t.Errorf("left out: %s", got)
	}
}

func TestExplainCertificationsAndText(t *testing.T) {
	_, out, _ := runCLI(t, "", "--explain", "--track", "smb", "--metric", "advanced_certifications", tc("certifications.yaml"))
	for _, want := range []string{
		"smb · advanced_certifications: value 2 → 15/15 points",
		"c: MS-102: expired 2026-11-19, before the evaluation date 2026-11-20 [certification.counts[not_expired]]",
		"d: MD-102: earned 2026-11-21, after the evaluation date 2026-11-20 [certification.counts[earned_by_evaluation_date]]",
		`e: AZ-104: "AZ-104" is not an eligible certification [certification.counts[eligible_certification]]`,
	} {
		if !strings.Contains(out, want) {
			t.Errorf("text explanation lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, "enterprise ·") || strings.Contains(out, "intermediate_certifications:") {
		t.Errorf("--track/--metric did not limit the explanation:\n%s", out)
	}
}

func TestFreshnessNotices(t *testing.T) {
	_, out, _ := runCLI(t, "", "-o", "json", tc("certifications.yaml"))
	var texts []string
	for _, n := range resultOf(t, out).Notices {
		texts = append(texts, n.Rule+" "+n.Person+": "+n.Text)
	}
	got := strings.Join(texts, "\n")
	if !strings.Contains(got, "notices.certification[skilling_data_lag] e: e: Microsoft 365 Certified: Modern Desktop Administrator Associate earned 2026-11-20, within 10 days of 2026-11-20") {
		t.Errorf("no notice on e's fresh certification:\n%s", got)
	}
	if strings.Contains(got, "MD-102") || strings.Contains(got, "performance_data_not_refreshed") {
		t.Errorf("notice on a future certification, or on data that is refreshed by 2026-11-20:\n%s", got)
	}
	_, out, _ = runCLI(t, "", "-o", "json", "--as-of", "2026-11-19", tc("certifications.yaml"))
	found := false
	for _, n := range resultOf(t, out).Notices {
		found = found || (n.Rule == "notices.evaluation[performance_data_not_refreshed]" && strings.Contains(n.Text, "data for 2026-10 is not expected there before 2026-11-20"))
	}
	if !found {
		t.Errorf("no notice that 2026-10 is not in Partner Center on 2026-11-19")
	}
}

func TestMonthsMatchesEachMonthAlone(t *testing.T) {
	b, err := engine.Default(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	m, _ := facts.ParseMonth("2026-10")
	path := filepath.Join(t.TempDir(), "year.json")
	var buf bytes.Buffer
	if err := gen.WriteJSON(&buf, gen.Options{Seed: 4, Tenants: 150, People: 10, Month: m, Months: 20, Vocabulary: b.Vocabulary}); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	_, out, errOut := runCLI(t, "", "-o", "json", "--months", "2025-11..2026-10", path)
	var h history
	if err := json.Unmarshal([]byte(out), &h.Months); err != nil {
		t.Fatalf("%v: %s %s", err, out, errOut)
	}
	if len(h.Months) != 12 {
		t.Fatalf("%d months, want 12", len(h.Months))
	}
	qualified := map[string]bool{}
	for mo := facts.Month(0); mo < 17; mo++ {
		month := (m - 16 + mo).String()
		_, one, _ := runCLI(t, "", "-o", "json", "--month", month, path)
		r := resultOf(t, one)
		qualified[month] = r.Qualified
		if mo < 5 {
			continue
		}
		row := h.Months[mo-5]
		if row.Month != month || row.Qualified != r.Qualified || row.Track != r.Track || row.Score != r.Score {
			t.Errorf("%s: --months says %+v, --month says %v %s %v", month, row, r.Qualified, r.Track, r.Score)
		}
		for name, tr := range r.Tracks {
			if row.Tracks[name].Score != tr.Score {
				t.Errorf("%s %s: %v vs %v", month, name, row.Tracks[name].Score, tr.Score)
			}
		}
		held := false
		for k := facts.Month(0); k <= 5; k++ {
			held = held || qualified[(m-16+mo-k).String()]
		}
		if row.Designation.Held != held {
			t.Errorf("%s: held %v, want %v", month, row.Designation.Held, held)
		}
	}
	seen := map[bool]bool{}
	for _, q := range qualified {
		seen[q] = true
	}
	if !seen[true] || !seen[false] {
		t.Errorf("the sample should qualify in some months and not in others: %v", qualified)
	}
}
