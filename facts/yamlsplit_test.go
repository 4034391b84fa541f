package facts

import (
	"fmt"
	"reflect"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"
)

// tree is a node's kind, value, line and children, to compare parses.
func tree(n *yaml.Node) string {
	var b strings.Builder
	var walk func(n *yaml.Node, depth int)
	walk = func(n *yaml.Node, depth int) {
		fmt.Fprintf(&b, "%*s%d %q @%d\n", depth, "", n.Kind, n.Value, n.Line)
		for _, c := range n.Content {
			walk(c, depth+1)
		}
	}
	walk(n, 0)
	return b.String()
}

// customersYAML is a document with n customers written in the ways a file
// may write them: comments between and inside items, block scalars, an
// item starting on the line after its dash, nested flow lists.
func customersYAML(n int, indent string) string {
	var b strings.Builder
	b.WriteString("# a partner\npartner: {id: p}\nmonth: 2026-10\ncustomers:\n")
	for i := range n {
		switch i % 4 {
		case 0:
			fmt.Fprintf(&b, "%s- tenant: t%d\n%s  workloads: [{workload: Teams, usage: [{month: 2026-10, paid_seats: %d, active_users: 1}]}]\n", indent, i, indent, i)
		case 1:
			fmt.Fprintf(&b, "%s  # a comment between items\n%s- {tenant: t%d}\n\n", indent, indent, i)
		case 2:
			fmt.Fprintf(&b, "%s-\n%s  tenant: t%d\n%s  name: |\n%s    a block scalar\n%s    - that looks like an item\n", indent, indent, i, indent, indent, indent)
		default:
			fmt.Fprintf(&b, "%s- tenant: \"t%d\" # trailing comment\n", indent, i)
		}
	}
	b.WriteString("people:\n  - {id: x}\n")
	return b.String()
}

func TestSplitParseIsTheWholeParse(t *testing.T) {
	for _, doc := range []string{
		customersYAML(100, "  "),
		customersYAML(100, ""), // an indentless sequence
		customersYAML(100, "    "),
	} {
		whole, err := parseYAML([]byte(doc))
		if err != nil {
			t.Fatal(err)
		}
		if _, items, ok := splitCustomers([]byte(doc)); !ok || len(items) != 100 {
			t.Fatalf("not split: ok %v, %d items\n%s", ok, len(items), doc[:300])
		}
		split, err := parseYAMLSplit([]byte(doc))
		if err != nil {
			t.Fatal(err)
		}
		if a, b := tree(whole), tree(split); a != b {
			t.Errorf("the split parse differs from the whole one:\nwhole %.500s\nsplit %.500s", a, b)
		}
	}
}

func TestSplitFallsBackWhenItMust(t *testing.T) {
	many := strings.Repeat("  - {tenant: x}\n", 70)
	for name, doc := range map[string]string{
		"flow list": "partner: {id: p}\ncustomers: [" + strings.Repeat("{tenant: x},", 70) + "]\n",
		"anchor":    "partner: {id: p}\ncustomers:\n  - &a {tenant: x}\n" + many,
		"alias":     "partner: {id: p}\ncustomers:\n  - {tenant: x}\n" + many + "people: [*a]\n",
		"tabs":      "partner: {id: p}\ncustomers:\n\t- {tenant: x}\n" + many,
		"twice":     "partner: {id: p}\ncustomers:\n" + many + "customers:\n" + many,
	} {
		if _, _, ok := splitCustomers([]byte(doc)); ok {
			t.Errorf("%s: split", name)
		}
	}
}

// A problem in an item names the line of the whole document.
func TestSplitItemErrorsKeepTheirLines(t *testing.T) {
	doc := customersYAML(100, "  ")
	lines := strings.Split(doc, "\n")
	lines[200] = "  - {tenant: [unclosed"
	_, errWhole := parseYAML([]byte(strings.Join(lines, "\n")))
	_, errSplit := parseYAMLSplit([]byte(strings.Join(lines, "\n")))
	if errWhole == nil || errSplit == nil {
		t.Fatalf("no error: whole %v, split %v", errWhole, errSplit)
	}
	lw, ls := errWhole.(*syntaxError).line, errSplit.(*syntaxError).line
	if ls < 199 || ls > 205 || !reflect.DeepEqual(lw > 0, ls > 0) {
		t.Errorf("the split parse puts the error on line %d (the whole parse: %d), near line 201", ls, lw)
	}
}
