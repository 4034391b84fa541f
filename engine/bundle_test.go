package engine

import (
	"context"
	"io/fs"
	"slices"
	"strconv"
	"strings"
	"testing"
	"testing/fstest"

	policies "evaluate"
)

func TestDefaultBundle(t *testing.T) {
	b, err := Default(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	var tracks []string
	for _, tr := range b.Tracks {
		tracks = append(tracks, tr.Name+":"+strings.Join(tr.Types, "+"))
	}
	if got := strings.Join(tracks, " "); got != "enterprise:CPOR+DPOR smb:CPOR+CSP" {
		t.Errorf("tracks = %s", got)
	}
	if got := b.Vocabulary.AttributionTypes; !slices.Equal(got, []string{"CPOR", "CSP", "DPOR"}) {
		t.Errorf("attribution types = %v", got)
	}
	if len(b.Vocabulary.EligibleWorkloads) != 14 {
		t.Errorf("eligible workloads = %v, want the 14 of SPEC §2", b.Vocabulary.EligibleWorkloads)
	}
	var metrics []string
	for _, m := range b.Metrics {
		metrics = append(metrics, m.ID)
	}
	if got := strings.Join(metrics, " "); got != "net_customer_adds intermediate_certifications advanced_certifications usage_growth deployments" {
		t.Errorf("metrics = %s", got)
	}
	if !strings.HasPrefix(b.Hash, "sha256:") || b.Source != EmbeddedSource || b.Designation != "modern_work" {
		t.Errorf("provenance = %s %s %s", b.Source, b.Designation, b.Hash)
	}
}

// copyBundle returns the embedded bundle as a MapFS with edits applied:
// each edit replaces old with new in a file, and must match.
func copyBundle(t *testing.T, edits ...[3]string) fstest.MapFS {
	t.Helper()
	m := fstest.MapFS{}
	err := fs.WalkDir(policies.Policies, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		src, err := fs.ReadFile(policies.Policies, p)
		m[p] = &fstest.MapFile{Data: src}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range edits {
		f := m[e[0]]
		if f == nil || !strings.Contains(string(f.Data), e[1]) {
			t.Fatalf("edit: %s has no %q", e[0], e[1])
		}
		f.Data = []byte(strings.Replace(string(f.Data), e[1], e[2], 1))
	}
	return m
}

func lineOf(t *testing.T, fsys fs.FS, file, text string) int {
	t.Helper()
	src, _ := fs.ReadFile(fsys, file)
	for i, l := range strings.Split(string(src), "\n") {
		if strings.Contains(l, text) {
			return i + 1
		}
	}
	t.Fatalf("%s has no %q", file, text)
	return 0
}

func TestBundleErrorsPointIntoFiles(t *testing.T) {
	const rules, rego = "modern_work/rules.yaml", "modern_work/designation.rego"
	fsys := copyBundle(t,
		[3]string{rules, "w.paid_seats > 0 &&", "w.paid_seat > 0 &&"},
		[3]string{rules, `'"advanced" in levels ? 1 : 0'`, `'"advanced" in level ? 1 : 0'`},
		[3]string{rules, `reporting: "now.eligible ? 1 : 0"`, `reporting: "now.eligible"`},
		[3]string{rego, "score := sum([m.points | some m in metrics])", "score := summ([m.points | some m in metrics])"},
	)
	_, err := Load(context.Background(), fsys, "copy", "")
	if err == nil {
		t.Fatal("a bundle with four typos loaded")
	}
	msg := err.Error()
	for _, want := range []string{
		"copy/modern_work/rules.yaml:" + strconv.Itoa(lineOf(t, fsys, rules, "w.paid_seat > 0")) + ":10: month.deployed: undefined field 'paid_seat'",
		"copy/modern_work/rules.yaml:" + strconv.Itoa(lineOf(t, fsys, rules, `in level ?`)) + ":33: metrics[advanced_certifications].reporting: undeclared reference to 'level'",
		"metrics[net_customer_adds].reporting must evaluate to int, not bool",
		"copy/modern_work/designation.rego:" + strconv.Itoa(lineOf(t, fsys, rego, "summ(")) + ":",
		"undefined function summ",
	} {
		if !strings.Contains(msg, want) {
			t.Errorf("errors lack %q:\n%s", want, msg)
		}
	}
	if !strings.Contains(msg, "^") {
		t.Errorf("CEL errors show no caret:\n%s", msg)
	}
}

func TestForbiddenBuiltinIsRefused(t *testing.T) {
	fsys := copyBundle(t, [3]string{"modern_work/designation.rego", "shown(x) := floor((x * 100) + 0.000001) / 100",
		"shown(x) := floor((x * 100) + 0.000001) / 100 if http.send({\"method\": \"GET\", \"url\": \"http://example.invalid\"})"})
	_, err := Load(context.Background(), fsys, "copy", "")
	if err == nil || !strings.Contains(err.Error(), "built-in http.send is not allowed") {
		t.Fatalf("err = %v, want http.send refused", err)
	}
	if !strings.Contains(err.Error(), "designation.rego:") {
		t.Errorf("err does not name the file: %v", err)
	}
}

func TestParamsErrors(t *testing.T) {
	fsys := copyBundle(t, [3]string{"modern_work/params.yaml", "min_total_points: 70", "min_total_points: [70"})
	_, err := Load(context.Background(), fsys, "copy", "")
	if err == nil || !strings.Contains(err.Error(), "copy/modern_work/params.yaml:") {
		t.Fatalf("err = %v, want a params.yaml error with a line", err)
	}
}

func TestDesignationChoice(t *testing.T) {
	fsys := copyBundle(t)
	for p, f := range fstest.MapFS(fsys) {
		if strings.HasPrefix(p, "modern_work/") {
			fsys["other/"+strings.TrimPrefix(p, "modern_work/")] = f
		}
	}
	if _, err := Load(context.Background(), fsys, "copy", ""); err == nil || !strings.Contains(err.Error(), "several designations (modern_work, other)") {
		t.Errorf("err = %v, want a request to choose", err)
	}
	if _, err := Load(context.Background(), fsys, "copy", "nope"); err == nil || !strings.Contains(err.Error(), `no designation "nope"`) {
		t.Errorf("err = %v", err)
	}
	if _, err := Load(context.Background(), fstest.MapFS{}, "empty", ""); err == nil {
		t.Error("an empty bundle loaded")
	}
}

func TestMisspelledNamesGetSuggestions(t *testing.T) {
	const rules = "modern_work/rules.yaml"
	fsys := copyBundle(t,
		[3]string{rules, "w.workload in params.eligible_workloads &&\n        w.paid_seats > 0", "w.workload in params.eligble_workloads &&\n        w.paid_seats > 0"},
		[3]string{rules, "cel.bind(seats, params.tracks[track].paid_seats,", "cel.bind(seats, params.tracks[track].paid_seat,"},
		[3]string{rules, ".map(w, w.active_users).sum()", ".map(w, w.active_user).sum()"},
		[3]string{rules, `baseline: "base.eligible ? 1 : 0"`, `baseline: "bse.eligible ? 1 : 0"`},
	)
	_, err := Load(context.Background(), fsys, "copy", "")
	if err == nil {
		t.Fatal("loaded")
	}
	for _, want := range []string{
		`copy/modern_work/rules.yaml:` + strconv.Itoa(lineOf(t, fsys, rules, "params.eligble_workloads")) + `:29: month.deployed: params has no key "eligble_workloads" (did you mean "eligible_workloads"?)`,
		`params.tracks[…] has no key "paid_seat" (did you mean "paid_seats"?)`,
		`month.active_users: undefined field 'active_user' (did you mean "active_users"?)`,
		`metrics[net_customer_adds].baseline: undeclared reference to 'bse' (did you mean "base"?)`,
	} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("errors lack %q:\n%v", want, err)
		}
	}
}

func TestCostlyExpressionIsRefused(t *testing.T) {
	const rules = "modern_work/rules.yaml"
	fsys := copyBundle(t, [3]string{rules, `reporting: "now.eligible ? 1 : 0"`,
		`reporting: "now.month.split('').all(a, now.month.split('').all(b, now.month.split('').all(c, now.month.split('').all(d, a + b + c + d != '')))) ? 1 : 0"`})
	_, err := Load(context.Background(), fsys, "copy", "")
	if err == nil || !strings.Contains(err.Error(), "metrics[net_customer_adds].reporting may cost up to") {
		t.Fatalf("err = %v, want the cost limit named", err)
	}
}

func TestClockAndRuntimeAreRefused(t *testing.T) {
	for _, call := range []string{"time.now_ns()", "opa.runtime()", `net.lookup_ip_addr("example.invalid")`, "rand.intn(\"x\", 3)"} {
		name := call[:strings.Index(call, "(")]
		fsys := copyBundle(t, [3]string{"modern_work/designation.rego", "shown(x) := floor((x * 100) + 0.000001) / 100",
			"shown(x) := floor((x * 100) + 0.000001) / 100 if {\n\t_ := " + call + "\n}"})
		_, err := Load(context.Background(), fsys, "copy", "")
		if err == nil || !strings.Contains(err.Error(), "built-in "+name+" is not allowed") {
			t.Errorf("%s: err = %v", name, err)
		}
	}
}
