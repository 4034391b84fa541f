package gen_test

import (
	"bytes"
	"encoding/json"
	"testing"

	"evaluate/gen"

	"gopkg.in/yaml.v3"
)

// Write gives the bytes of encoding the whole document at once (yaml.v3
// with an indent of two; compact JSON; json.Indent), with lists as
// []any or as Items, for strings that need quotes, escapes or several
// lines (U+2028 is a line break to YAML), and for empty lists.
func TestWriteEqualsWholeDocument(t *testing.T) {
	t.Parallel()
	names := []string{"Contoso", "Contoso\nLtd\u2028Europe", "Ünïcødé 株式会社", `say "yes"`, "yes", "2026-10", "- dash", "a: b", "#hash", " padded ", "tab\there", "", "null", "123", "\u2029"}
	customers := func() []any {
		var out []any
		for i, n := range names {
			c := (&gen.Object{}).Set("tenant", n).Set("name", n+"!").Set("n", int64(i)).Set("amount", gen.Cents(int64(i*1001-5000)))
			c.Set("empty", []any{})
			c.Set("rows", []any{(&gen.Object{}).Set("month", "2026-10").Set("note", n)})
			out = append(out, c)
		}
		return out
	}
	doc := func(items bool) *gen.Object {
		d := (&gen.Object{}).Set("partner", (&gen.Object{}).Set("id", "P\u2028 1")).Set("month", "2026-10")
		if items {
			list := customers()
			d.Set("customers", gen.Items(func(emit func(any) error) error {
				for _, c := range list {
					if err := emit(c); err != nil {
						return err
					}
				}
				return nil
			}))
		} else {
			d.Set("customers", customers())
		}
		var none any = []any{}
		if items {
			none = gen.Items(func(func(any) error) error { return nil })
		}
		return d.Set("people", []any{}).Set("none", none)
	}
	whole := doc(false)
	var wantYAML bytes.Buffer
	enc := yaml.NewEncoder(&wantYAML)
	enc.SetIndent(2)
	if err := enc.Encode(whole); err != nil {
		t.Fatal(err)
	}
	enc.Close()
	compact, err := gen.AppendJSON(nil, whole)
	if err != nil {
		t.Fatal(err)
	}
	var indented bytes.Buffer
	json.Indent(&indented, compact, "", "  ")
	want := map[string]string{"yaml": wantYAML.String(), "jsonl": string(compact) + "\n", "json": indented.String() + "\n"}
	for format, w := range want {
		for _, items := range []bool{false, true} {
			var got bytes.Buffer
			if err := gen.Write(&got, doc(items), format); err != nil {
				t.Fatal(err)
			}
			if got.String() != w {
				t.Errorf("%s (Items %v):\n%s\nwant\n%s", format, items, got.String(), w)
			}
		}
	}
	var back map[string]any
	if err := yaml.Unmarshal(wantYAML.Bytes(), &back); err != nil {
		t.Errorf("the YAML does not read back: %v", err)
	}
}
