package engine

import (
	"io/fs"
	"testing"
	"testing/fstest"

	policies "evaluate"
)

// FuzzParams: any params.yaml is either accepted by the bundle's schema or
// refused with errors, never a panic or a hang.
func FuzzParams(f *testing.F) {
	shipped, err := fs.ReadFile(policies.Policies, "modern_work/params.yaml")
	if err != nil {
		f.Fatal(err)
	}
	schema, err := fs.ReadFile(policies.Policies, "modern_work/params.schema.yaml")
	if err != nil {
		f.Fatal(err)
	}
	f.Add(shipped)
	f.Add([]byte("min_total_points: 70\ntracks: {a: {paid_seats: {min: 5, max: 1}}}\n"))
	f.Add([]byte("a: &a [1, *a]\n"))
	f.Add([]byte("tracks: {enterprise: {metrics: {usage_growth: {full_at: {CSP: 0}}}}}\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		fsys := fstest.MapFS{
			"d/params.yaml":        {Data: data},
			"d/params.schema.yaml": {Data: schema},
		}
		params, _, errs, _, _ := readParams(fsys, "d")
		if len(errs) == 0 && params == nil {
			t.Fatal("no params and no error")
		}
	})
}
