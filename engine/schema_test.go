package engine

import (
	"context"
	"strconv"
	"strings"
	"testing"
)

func TestParamsSchemaReportsEveryProblem(t *testing.T) {
	const params = "modern_work/params.yaml"
	fsys := copyBundle(t,
		[3]string{params, "min_metric_points: 1", "min_metric_point: 1"},
		[3]string{params, "net_customer_adds:           {max_points: 20, full_at: 5}", "net_customer_adds:           {max_points: twenty, full_at: 0}"},
		[3]string{params, "intermediate_certifications: {max_points: 10, full_at: 4}", "intermediate_certifications: {max_points: 10, full_at: -4}"},
		[3]string{params, "paid_seats: {min: 11, max: 300}", "paid_seats: {min: 301, max: 300}"},
		[3]string{params, "usage_growth:                {max_points: 30, full_at: {CPOR: 1000, DPOR: 4000}}", "usage_growth:                {max_points: 30, full_at: {CPOR: 1000, CSP: 4000}}"},
		[3]string{params, `- {name: "Microsoft 365 Certified: Fundamentals", level: intermediate, codes: [MS-900]}`, `- {name: "Microsoft 365 Certified: Fundamentals", codes: [MS-900]}`},
		[3]string{params, `level: advanced, codes: [MS-102]}`, `level: advnced, codes: [MS-102]}`},
	)
	_, err := Load(context.Background(), fsys, "copy", "")
	if err == nil {
		t.Fatal("broken params loaded")
	}
	msg := err.Error()
	at := func(text string) string {
		return "copy/" + params + ":" + strconv.Itoa(lineOf(t, fsys, params, text)) + ":"
	}
	for _, want := range []string{
		at("min_metric_point: 1") + "1: min_metric_point: unknown key (did you mean \"min_metric_points\"?)",
		"min_metric_points: missing (required)",
		at("max_points: twenty") + "", "tracks.enterprise.metrics.net_customer_adds.max_points: want a number, got the string \"twenty\"",
		"tracks.enterprise.metrics.net_customer_adds.full_at: must be greater than 0, got 0",
		"tracks.enterprise.metrics.intermediate_certifications.full_at: must be greater than 0, got -4",
		at("min: 301, max: 300") + "", "tracks.smb.paid_seats: min (301) is above max (300)",
		"tracks.enterprise.metrics.usage_growth.full_at: names CSP, which track enterprise does not accept (attribution_types: CPOR, DPOR)",
		"tracks.enterprise.metrics.usage_growth.full_at: has no threshold for DPOR",
		"certifications[0].level: missing (required)",
		`certifications[8].level: want one of intermediate, advanced, got "advnced" (did you mean "advanced"?)`,
	} {
		if !strings.Contains(msg, want) {
			t.Errorf("errors lack %q:\n%s", want, msg)
		}
	}
}

func TestShippedParamsFitTheSchema(t *testing.T) {
	if _, err := Load(context.Background(), copyBundle(t), "copy", ""); err != nil {
		t.Fatal(err)
	}
}
