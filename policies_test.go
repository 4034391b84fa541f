package evaluate

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/open-policy-agent/opa/v1/format"
	"github.com/open-policy-agent/opa/v1/tester"
)

// TestRego runs every *_test.rego of the bundle with OPA's tester, exactly as
// `opa test policies/` does (data files under their folder's path).
func TestRego(t *testing.T) {
	results, err := tester.Run(context.Background(), "policies")
	if err != nil {
		t.Fatal(err)
	}
	if len(results) == 0 {
		t.Fatal("no Rego tests found")
	}
	for _, r := range results {
		if !r.Pass() {
			t.Errorf("%s.%s: %s", r.Package, r.Name, r.String())
		}
	}
	t.Logf("%d Rego tests", len(results))
}

// TestRegoFormatted checks that every Rego file is as `opa fmt` writes it,
// so that a program manager's `opa fmt -l policies/` lists only their own
// edits.
func TestRegoFormatted(t *testing.T) {
	files, err := filepath.Glob("policies/*/*.rego")
	if err != nil || len(files) == 0 {
		t.Fatalf("no Rego files: %v", err)
	}
	for _, f := range files {
		src, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		want, err := format.Source(f, src)
		if err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		if !bytes.Equal(src, want) {
			t.Errorf("%s is not formatted: run opa fmt -w %s", f, f)
		}
	}
}
