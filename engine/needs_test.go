package engine

import (
	"encoding/json"
	"reflect"
	"testing"
)

// TestNeedsOfReadsAsJSON: needsOf reads the Rego's needs exactly as
// encoding/json reads them into Needs, and leaves to it what it cannot
// state as simply (other keys, other types).
func TestNeedsOfReadsAsJSON(t *testing.T) {
	t.Parallel()
	num := func(s string) json.Number { return json.Number(s) }
	cases := []struct {
		name string
		v    any
		fast bool // read by needsOf itself
	}{
		{"bars", map[string]any{"total": num("70"), "metrics": map[string]any{"a": num("1"), "b": num("0.5")}, "tolerance": num("1e-12")}, true},
		{"no metrics", map[string]any{"total": num("70")}, true},
		{"empty metrics", map[string]any{"total": num("70"), "metrics": map[string]any{}}, true},
		{"impossible", map[string]any{"possible": false, "why": "no track can qualify"}, true},
		{"possible true", map[string]any{"possible": true, "total": num("-3.25")}, true},
		{"empty", map[string]any{}, true},
		{"other case", map[string]any{"Total": num("70")}, false},
		{"unknown key", map[string]any{"total": num("70"), "note": "x"}, false},
		{"null total", map[string]any{"total": nil}, false},
		{"string total", map[string]any{"total": "70"}, false},
		{"out of range", map[string]any{"total": num("1e999")}, false},
		{"metric not a number", map[string]any{"metrics": map[string]any{"a": true}}, false},
		{"not an object", []any{num("1")}, false},
	}
	for _, c := range cases {
		got, ok := needsOf(c.v)
		if ok != c.fast {
			t.Errorf("%s: needsOf ok = %v, want %v", c.name, ok, c.fast)
		}
		b, err := json.Marshal(c.v)
		if err != nil {
			t.Fatal(err)
		}
		var want Needs
		jsonErr := json.Unmarshal(b, &want)
		if ok {
			if jsonErr != nil || !reflect.DeepEqual(*got, want) {
				t.Errorf("%s: needsOf = %+v, encoding/json = %+v (%v)", c.name, *got, want, jsonErr)
			}
		}
		r, err := readNeeds(c.v)
		if (err != nil) != (jsonErr != nil) || err == nil && !reflect.DeepEqual(*r, want) {
			t.Errorf("%s: readNeeds = %+v, %v; encoding/json = %+v, %v", c.name, r, err, want, jsonErr)
		}
	}
}
