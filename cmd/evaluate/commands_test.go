package main

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
)

func TestCheckShippedBundle(t *testing.T) {
	t.Parallel()
	code, out, errOut := runCLI(t, "", "check")
	lines := strings.Split(strings.TrimSuffix(out, "\n"), "\n")
	if code != 0 || len(lines) != len(designationIDs) || errOut != "" {
		t.Fatalf("exit %d\nstdout %q\nstderr %q", code, out, errOut)
	}
	for i, id := range designationIDs {
		if !strings.HasPrefix(lines[i], "ok: embedded bundle ("+id+") sha256:") {
			t.Errorf("line %d: %q, want designation %s", i+1, lines[i], id)
		}
	}
}

// designationIDs are the designations of the shipped bundle, in the order
// every command lists them.
var designationIDs = []string{"business_applications", "data_ai", "digital_app_innovation", "infrastructure", "modern_work", "security"}

// TestParamsKeyOneSpaceShort: a key of a list entry indented one space
// short is reported at its own line, not at the list's first entry (where
// yaml.v3 places it).
func TestParamsKeyOneSpaceShort(t *testing.T) {
	t.Parallel()
	dir := copyPolicies(t, edit{"params.yaml", "certifications:\n", "certifications:\n  - name: Extra\n    level: intermediate\n   codes: [X-1]\n"})
	code, _, errOut := runCLI(t, "", "check", "--policies", dir)
	at, _ := strconv.Atoi(lineIn(t, "params.yaml", "certifications:"))
	want := "modern_work/params.yaml:" + strconv.Itoa(at+3) + ": did not find expected '-' indicator"
	if code != exitBadInput || !strings.Contains(errOut, want) {
		t.Errorf("exit %d, want %d and %q:\n%s", code, exitBadInput, want, errOut)
	}
}

// TestParamsListedTwice: a schema's unique_items names the second entry,
// at its line, and the first.
func TestParamsListedTwice(t *testing.T) {
	t.Parallel()
	dir := copyPolicies(t, edit{"params.yaml", "  - Teams\n", "  - Teams\n  - Teams\n"})
	code, _, errOut := runCLI(t, "", "check", "--policies", dir)
	at, _ := strconv.Atoi(lineIn(t, "params.yaml", "  - Teams"))
	want := fmt.Sprintf(`modern_work/params.yaml:%d:5: eligible_workloads[`, at+1)
	if code != exitBadInput || !strings.Contains(errOut, want) || !strings.Contains(errOut, fmt.Sprintf(`: "Teams" is listed twice (first on line %d)`, at)) {
		t.Errorf("exit %d, want %d and %q:\n%s", code, exitBadInput, want, errOut)
	}
}

func TestCheckReportsEveryTypo(t *testing.T) {
	t.Parallel()
	dir := copyPolicies(t,
		edit{"rules.yaml", "params.eligible_workloads && w.paid_seats > 0 &&", "params.eligible_workloads && w.paid_seat > 0 &&"},
		edit{"rules.yaml", "params.tracks[track].attribution_types : [option]", "params.tracks[track].atribution_types : [option]"},
		edit{"designation.rego", "score := sum([m.points | some m in t.metrics])", "score := sum([m.points | some m in metricz])"},
		edit{"params.yaml", "deployment_active_ratio: 0.4", "deployment_active_ratio: 1.4"},
		edit{"params.yaml", "min_total_points: 70", "min_totl_points: 70"},
	)
	code, out, errOut := runCLI(t, "", "check", "--policies", dir)
	if code != exitBadInput || out != "" {
		t.Fatalf("exit %d, stdout %q", code, out)
	}
	for _, want := range []string{
		"modern_work/rules.yaml:" + lineIn(t, "rules.yaml", "params.eligible_workloads && w.paid_seats > 0 &&") + ":75: functions[deployed(m: Month)]: undefined field 'paid_seat' (did you mean \"paid_seats\"?)",
		"modern_work/rules.yaml:" + lineIn(t, "rules.yaml", "params.tracks[track].attribution_types : [option]") + ":49: ", `values[types]: params.tracks[…] has no key "atribution_types" (did you mean "attribution_types"?)`,
		"modern_work/designation.rego:" + lineIn(t, "designation.rego", "some m in t.metrics])") + ":", `var metricz is unsafe`,
		"modern_work/params.yaml:" + lineIn(t, "params.yaml", "deployment_active_ratio: 0.4") + ":26: deployment_active_ratio: must be at most 1, got 1.4",
		`modern_work/params.yaml:8:1: min_totl_points: unknown key (did you mean "min_total_points"?)`,
		"7 problems in " + dir,
	} {
		if !strings.Contains(errOut, want) {
			t.Errorf("check output lacks %q:\n%s", want, errOut)
		}
	}
	// A function that does not check is reported once, at its body, not
	// again at every rule that calls it.
	if n := strings.Count(errOut, "paid_seat'"); n != 1 {
		t.Errorf("the broken function is reported %d times:\n%s", n, errOut)
	}
}

func TestForbiddenBuiltinRefusedByCheckAndEvaluation(t *testing.T) {
	dir := copyPolicies(t, edit{"designation.rego", "\ty := floor(x)\n",
		"\tresp := http.send({\"method\": \"GET\", \"url\": \"https://example.invalid\"})\n\ty := floor(x) + count(resp)\n"})
	for _, args := range [][]string{{"check", "--policies", dir}, {"--policies", dir, tc("exact_70.yaml")}} {
		code, out, errOut := runCLI(t, "", args...)
		if code != exitBadInput || out != "" || !strings.Contains(errOut, "built-in http.send is not allowed") || !strings.Contains(errOut, "designation.rego:") {
			t.Errorf("%v: exit %d, stdout %q, stderr:\n%s", args, code, out, errOut)
		}
	}
}

func TestTestCommand(t *testing.T) {
	code, out, _ := runCLI(t, "", "test", testcasesDir)
	if code != exitQualified || !regexp.MustCompile(`(?m)^\d+ passed, 0 failed$`).MatchString(out) {
		t.Fatalf("shipped bundle: exit %d\n%s", code, out)
	}
	if !strings.Contains(out, "PASS rego data.modern_work_test.test_exactly_the_bar_qualifies") || !strings.Contains(out, "PASS case modern_work/exact_70") || !strings.Contains(out, "PASS case invalid/unknown_key") {
		t.Errorf("missing PASS lines:\n%s", out)
	}

	// A higher bar makes the golden cases that qualified fail, with a diff;
	// the Rego tests read the bar from params.yaml and still pass.
	dir := copyPolicies(t, edit{"params.yaml", "min_total_points: 70", "min_total_points: 75"})
	code, out, _ = runCLI(t, "", "test", "--policies", dir, testcasesDir)
	if code != exitNotQualified {
		t.Errorf("changed threshold: exit %d, want 1", code)
	}
	for _, want := range []string{"FAIL case modern_work/exact_70", ".qualified: got false, want true", "PASS rego data.modern_work_test.test_exactly_the_bar_qualifies", "PASS case modern_work/seat_bounds"} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, "FAIL rego") {
		t.Errorf("a Rego test pins the shipped bar:\n%s", out)
	}
	if !regexp.MustCompile(`(?m)^\d+ passed, [1-9]\d* failed$`).MatchString(out) {
		t.Errorf("no closing count line:\n%s", out)
	}

	if code, _, errOut := runCLI(t, "", "test", t.TempDir()); code != exitQualified {
		// The Rego tests alone still run; only a folder with no test at all is exit 2.
		t.Errorf("empty case folder: exit %d (%s)", code, errOut)
	}
	if code, _, _ := runCLI(t, "", "test", "/no/such/folder"); code != exitBadInput {
		t.Errorf("missing folder: exit %d, want 2", code)
	}
}

func TestDiffWithHigherBarListsExactlyThePreviouslyQualified(t *testing.T) {
	files := []string{}
	for _, name := range []string{"exact_70.yaml", "just_under_70.yaml", "metric_under_one.yaml", "qualified_enterprise.yaml", "track_choice.json", "seat_bounds.yaml", "certifications.yaml"} {
		files = append(files, tc(name))
	}
	var qualified []string
	_, out, _ := runCLI(t, "", append([]string{"-o", "json", "--designation", "modern_work"}, files...)...)
	var results []struct {
		Partner   struct{ ID string }
		Qualified bool
	}
	if err := json.Unmarshal([]byte(out), &results); err != nil {
		t.Fatal(err)
	}
	for _, r := range results {
		if r.Qualified {
			qualified = append(qualified, r.Partner.ID)
		}
	}
	if len(qualified) < 2 || len(qualified) == len(results) {
		t.Fatalf("the sample needs qualified and not qualified partners: %v", qualified)
	}

	dir := copyPolicies(t, edit{"params.yaml", "min_total_points: 70", "min_total_points: 100"})
	code, out, errOut := runCLI(t, "", append([]string{"diff", "-o", "json", "--designation", "modern_work", "--base-policies", "../../policies", "--policies", dir}, files...)...)
	if code != exitNotQualified {
		t.Errorf("exit %d, want 1 (changes)", code)
	}
	var changes []struct {
		Partner       struct{ ID string }
		Before, After struct {
			Qualified bool
			Track     string
			Score     float64
		}
	}
	if err := json.Unmarshal([]byte(out), &changes); err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	var changed []string
	for _, c := range changes {
		changed = append(changed, c.Partner.ID)
		if !c.Before.Qualified || c.After.Qualified {
			t.Errorf("%s: before %+v after %+v", c.Partner.ID, c.Before, c.After)
		}
	}
	if !slices.Equal(changed, qualified) {
		t.Errorf("changed %v, want exactly the previously qualified %v", changed, qualified)
	}
	want := "evaluated 7, errors 0; changed 3 results of 3 partners; newly qualified 0, newly not qualified 3"
	if len(qualified) != 3 || !strings.Contains(errOut, want) {
		t.Errorf("summary: %q, want %q", errOut, want)
	}

	// No change, no output but the summary, exit 0.
	code, out, _ = runCLI(t, "", "diff", "--base-policies", "../../policies", tc("exact_70.yaml"))
	if code != exitQualified || out != "evaluated 1, errors 0; changed 0 results of 0 partners; newly qualified 0, newly not qualified 0\n" {
		t.Errorf("no change: exit %d, %q", code, out)
	}
}

// TestDiffCountsPartnersAndResults: a partner that changes in two
// designations is one partner and two results; a file that cannot be read
// is an error of the summary, and exits 2.
func TestDiffCountsPartnersAndResults(t *testing.T) {
	t.Parallel()
	dir := copyPolicies(t, edit{"params.yaml", "min_total_points: 70", "min_total_points: 100"})
	sec := filepath.Join(dir, "security", "params.yaml")
	data, err := os.ReadFile(sec)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(sec, []byte(strings.Replace(string(data), "min_total_points: 70", "min_total_points: 100", 1)), 0o644); err != nil {
		t.Fatal(err)
	}
	bad := filepath.Join(t.TempDir(), "bad.yaml")
	os.WriteFile(bad, []byte("not: a fact file\n"), 0o644)
	code, out, errOut := runCLI(t, "", "diff", "--base-policies", "../../policies", "--policies", dir, filepath.Join(testcasesDir, "contoso.yaml"), bad)
	want := "evaluated 1, errors 1; changed 2 results of 1 partner; newly qualified 0, newly not qualified 2\n"
	if code != exitBadInput || !strings.HasSuffix(out, want) || !strings.Contains(errOut, "bad.yaml:1") {
		t.Errorf("exit %d, want %d\n%s\nstderr: %s", code, exitBadInput, out, errOut)
	}
	// The bar moved, no metric did: the reason says what changed.
	if !strings.Contains(out, "\n  enterprise: now: total 90 is under the minimum of 100 points\n") {
		t.Errorf("no reason for the verdict:\n%s", out)
	}
}

// TestRecipes walks through recipes of policies/README.md on a copy of the
// bundle: each edit must pass check and change what the recipe says.
func TestRecipes(t *testing.T) {
	const fact = `partner: {id: recipe}
month: 2026-10
customers:
  - tenant: copilot-only
    associations: [{type: CPOR, from: 2024-01-01}]
    workloads:
      - workload: Microsoft365Copilot
        usage: [{month: 2026-10, paid_seats: 500, active_users: 400}]
people:
  - {id: p1, certifications: [{name: MS-4002, earned: 2026-01-01}]}
`
	metric := func(out, track, metric string) float64 {
		var r struct {
			Tracks map[string]struct {
				Metrics map[string]struct{ Value float64 }
			}
		}
		if err := json.Unmarshal([]byte(out), &r); err != nil {
			t.Fatalf("%v: %s", err, out)
		}
		return r.Tracks[track].Metrics[metric].Value
	}

	_, before, warn := runCLI(t, fact, "-o", "json", "--designation", "modern_work", "-")
	if metric(before, "enterprise", "net_customer_adds") != 0 || !strings.Contains(warn, `"Microsoft365Copilot" of tenant "copilot-only" is not an eligible workload`) {
		t.Fatalf("before: the Copilot tenant counts or is not warned about\n%s\n%s", before, warn)
	}
	if metric(before, "enterprise", "intermediate_certifications") != 0 {
		t.Fatalf("before: MS-4002 counts")
	}

	// Recipe: add an eligible workload.
	dir := copyPolicies(t, edit{"params.yaml", "  - VivaConnections\n", "  - VivaConnections\n  - Microsoft365Copilot\n"})
	if code, out, errOut := runCLI(t, "", "check", "--policies", dir); code != 0 {
		t.Fatalf("check after adding a workload: %s%s", out, errOut)
	}
	_, after, warn := runCLI(t, fact, "-o", "json", "--designation", "modern_work", "--policies", dir, "-")
	if metric(after, "enterprise", "net_customer_adds") != 1 || metric(after, "enterprise", "usage_growth") != 400 || metric(after, "enterprise", "deployments") != 1 {
		t.Errorf("after adding the workload the tenant does not count:\n%s", after)
	}
	if strings.Contains(warn, "not an eligible workload") {
		t.Errorf("still warned as ignored: %s", warn)
	}

	// Recipe: add a certification.
	dir = copyPolicies(t, edit{"params.yaml", "certifications:\n", "certifications:\n  - {name: \"Microsoft 365 Certified: Copilot Administrator Associate\", level: intermediate, codes: [MS-4002]}\n"})
	if code, out, errOut := runCLI(t, "", "check", "--policies", dir); code != 0 {
		t.Fatalf("check after adding a certification: %s%s", out, errOut)
	}
	_, after, _ = runCLI(t, fact, "-o", "json", "--designation", "modern_work", "--policies", dir, "-")
	if metric(after, "enterprise", "intermediate_certifications") != 1 || metric(after, "smb", "intermediate_certifications") != 1 {
		t.Errorf("the new certification does not count:\n%s", after)
	}

	// Recipe: retire a certification (MS-102 is the only advanced exam code).
	dir = copyPolicies(t, edit{"params.yaml", `  - {name: "Microsoft 365 Certified: Enterprise Administrator Expert", level: advanced, codes: [MS-102]}`, ""})
	if code, out, errOut := runCLI(t, "", "check", "--policies", dir); code != 0 {
		t.Fatalf("check after retiring a certification: %s%s", out, errOut)
	}
	code, out, _ := runCLI(t, "", "diff", "--base-policies", "../../policies", "--policies", dir, tc("qualified_enterprise.yaml"))
	if code != exitNotQualified || !strings.Contains(out, "enterprise.advanced_certifications: 15 → 0 points (value 2 → 0)") {
		t.Errorf("retiring MS-102: exit %d\n%s", code, out)
	}
}

// lineIn returns the line number, as text, of the first line of a shipped
// policy file holding text.
func lineIn(t *testing.T, file, text string) string {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("..", "..", "policies", "modern_work", file))
	if err != nil {
		t.Fatal(err)
	}
	for i, l := range strings.Split(string(data), "\n") {
		if strings.Contains(l, text) {
			return strconv.Itoa(i + 1)
		}
	}
	t.Fatalf("%s has no %q", file, text)
	return ""
}

// TestChangeText: a change that hundredths rounded down would hide is
// shown exactly; others as people read numbers.
func TestChangeText(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		before, after float64
		want          string
	}{
		{69.9999999995, 69.9998999995, "69.9999999995 → 69.9998999995"},
		{69.99, 49.99, "69.99 → 49.99"},
		{70, 70.0000000000001, "70 → 70"},
		{0.2899999999999999, 0.29, "0.29 → 0.29"},
	} {
		b, a := changeText(c.before, c.after)
		if got := b + " → " + a; got != c.want {
			t.Errorf("changeText(%v, %v) = %s, want %s", c.before, c.after, got, c.want)
		}
	}
}

// TestReadingErrors makes the three mistakes of policies/README.md's
// "Reading errors" and checks that `evaluate check` says exactly what the
// README shows, so the example cannot drift from the tool.
func TestReadingErrors(t *testing.T) {
	t.Parallel()
	readme, err := os.ReadFile(filepath.Join("..", "..", "policies", "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	_, rest, ok := strings.Cut(string(readme), "## Reading errors")
	if !ok {
		t.Fatal("policies/README.md has no \"Reading errors\" section")
	}
	_, block, _ := strings.Cut(rest, "```\n")
	want, _, _ := strings.Cut(block, "```")
	dir := copyPolicies(t,
		edit{"designation.rego", "score := sum([m.points", "score := summ([m.points"},
		edit{"params.yaml", "paid_seats: {min: 11, max: 300}", "paid_seats: {min: 301, max: 300}"},
		edit{"rules.yaml", "w.workload in params.eligible_workloads && w.paid_seats > 0 &&", "w.workload in params.eligible_workloads && w.paid_seat > 0 &&"})
	code, _, got := runCLI(t, "", "check", "--policies", dir)
	got = strings.ReplaceAll(got, dir, "my-policies")
	if code != exitBadInput || got != want {
		t.Errorf("check: exit %d, said\n%s\npolicies/README.md shows\n%s", code, got, want)
	}
}

// TestCheckTriesTheRules: a misspelt key of a params map type-checks
// (params are dynamic); check scores generated partners and reports it at
// the key, rather than every scoring run failing. So is one in a plan.of,
// which the load's plan check meets first.
func TestCheckTriesTheRules(t *testing.T) {
	t.Parallel()
	dir := copyPolicies(t, edit{"rules.yaml", "int(seats.min)", "int(seats.minn)"})
	code, _, got := runCLI(t, "", "check", "--policies", dir)
	// At the function body that reads the key, not the value calling it.
	want := "/modern_work/rules.yaml:" + lineIn(t, "rules.yaml", "int(seats.min)") + ":38: fails on generated partner 1 of 12 tenants: modern_work: tenant \"tenant-000000\": values[eligible_now]: no such key: minn\n"
	if code != exitBadInput || !strings.Contains(got, want) || !strings.HasSuffix(got, "1 problem in "+dir+"\n") {
		t.Errorf("check: exit %d\n%s\nwant %s", code, got, want)
	}
	dir = copyPolicies(t, edit{"rules.yaml", `filter(e, e.level == "advanced")`, `filter(e, e.levl == "advanced")`})
	code, _, got = runCLI(t, "", "check", "--policies", dir)
	want = "/modern_work/rules.yaml:" + lineIn(t, "rules.yaml", `filter(e, e.level == "advanced")`) + ":"
	if code != exitBadInput || !strings.Contains(got, want) || !strings.Contains(got, "plan.of: no such key: levl") {
		t.Errorf("check of a plan.of: exit %d\n%s\nwant %s", code, got, want)
	}
}
