package evaluate

import (
	"context"
	"testing"

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
