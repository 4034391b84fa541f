package main

import (
	"encoding/json"
	"os"
	"path/filepath"
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
		if a, b := comparable(t, fromFacts), comparable(t, fromExports); a != b {
			t.Errorf("%s: the exports score differently from their fact file:\n%.600s\nwant\n%.600s", dir, b, a)
		}
	}
}

// comparable is a JSON result without what names the input (file) and the
// warnings, which differ: scoring exports adds the import's.
func comparable(t *testing.T, s string) string {
	t.Helper()
	var v any
	if err := json.Unmarshal([]byte(s), &v); err != nil {
		t.Fatalf("%v: %.300s", err, s)
	}
	var drop func(any)
	drop = func(v any) {
		switch x := v.(type) {
		case map[string]any:
			delete(x, "file")
			delete(x, "warnings")
			for _, e := range x {
				drop(e)
			}
		case []any:
			for _, e := range x {
				drop(e)
			}
		}
	}
	drop(v)
	out, _ := json.Marshal(v)
	return string(out)
}
