package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestPartnerCenterCases imports each case's exports under
// testcases/partner_center/: the fact file must be the case's fact.yaml to
// the byte (its scores are checked by the golden cases, against the
// independent reference), and scoring the exports directly must give the
// fact file's results.
func TestPartnerCenterCases(t *testing.T) {
	t.Parallel()
	dirs, _ := filepath.Glob(filepath.Join(testcasesDir, "partner_center", "*"))
	if len(dirs) < 2 {
		t.Fatalf("found %d Partner Center cases", len(dirs))
	}
	for _, dir := range dirs {
		want, err := os.ReadFile(filepath.Join(dir, "fact.yaml"))
		if err != nil {
			t.Fatal(err)
		}
		code, out, errOut := runCLI(t, "", "import", dir)
		if code != 0 || out != string(want) {
			t.Errorf("%s: exit %d, import gives\n%s\nwant\n%s\nstderr %s", dir, code, out, want, errOut)
		}
		_, fromFacts, _ := runCLI(t, "", "-o", "json", "--quiet", filepath.Join(dir, "fact.yaml"))
		_, fromExports, _ := runCLI(t, "", "-o", "json", "--quiet", "--from", "partner-center", dir)
		if stripFile(fromFacts) != stripFile(fromExports) {
			t.Errorf("%s: the exports score differently from their fact file", dir)
		}
	}
}

// stripFile drops the lines naming the input, which differ.
func stripFile(s string) string {
	var keep []string
	for _, l := range strings.Split(s, "\n") {
		if !strings.Contains(l, `"file":`) {
			keep = append(keep, l)
		}
	}
	return strings.Join(keep, "\n")
}
