package facts

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"regexp"
	"slices"
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
		split, err := splitTree([]byte(doc))
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

// A problem in an item is reported as the whole document's parse reports
// it, on its line.
func TestSplitItemErrorsKeepTheirLines(t *testing.T) {
	doc := customersYAML(100, "  ")
	lines := strings.Split(doc, "\n")
	lines[200] = "  - {tenant: [unclosed"
	bad := []byte(strings.Join(lines, "\n"))
	_, errWhole := parseYAML(bad)
	_, errSplit := splitTree(bad)
	if errWhole == nil || errSplit == nil || errWhole.Error() != errSplit.Error() {
		t.Fatalf("whole %v, split %v", errWhole, errSplit)
	}
	_, err := Parse("bad.yaml", 1, bad, testSchema)
	var ps Problems
	if !errors.As(err, &ps) || len(ps) != 1 || ps[0].Line != errWhole.(*syntaxError).line || ps[0].Line < 199 || ps[0].Line > 205 {
		t.Errorf("Parse: %v, want the whole parse's %v near line 201", err, errWhole)
	}
}

// splitTree is the document as the split parse reads it, its items pulled
// into the list (and whole, as readYAML reads it, when an item fails).
func splitTree(data []byte) (*yaml.Node, error) {
	root, lazy, err := parseYAMLSplit(data)
	if err != nil || lazy == nil {
		return root, err
	}
	for {
		n, ok, err := lazy.pull()
		if err != nil {
			return parseYAML(data) // an item did not parse alone
		}
		if !ok {
			return root, nil
		}
		lazy.list.Content = append(lazy.list.Content, n)
	}
}

// A split YAML file streams (StreamYAML) to the window a whole parse gives,
// with its items parsed a batch at a time; a file whose items do not all
// parse alone is read whole and reports what the whole parse does.
func TestStreamYAMLIsParseThenWindow(t *testing.T) {
	t.Parallel()
	opts := WindowOptions{Needs: Needs{Offsets: []int{0, -12}, AssocMonths: true}}
	for _, n := range []int{10, 100, itemBatch*2 + 3} {
		doc := []byte(customersYAML(n, "  "))
		f, err := Parse("p.yaml", 1, doc, testSchema)
		if err != nil {
			t.Fatal(err)
		}
		want, err := f.Window(opts)
		if err != nil {
			t.Fatal(err)
		}
		_, got, err := StreamYAML("p.yaml", doc, testSchema, opts)
		if err != nil {
			t.Fatal(err)
		}
		// The window sorts its tenants; a stream keeps the file's order.
		byID := func(a, b Customer) int { return strings.Compare(a.Tenant, b.Tenant) }
		slices.SortFunc(got.Tenants, byID)
		slices.SortFunc(want.Tenants, byID)
		if len(got.Tenants) != n || fmt.Sprintf("%+v", got.Tenants) != fmt.Sprintf("%+v", want.Tenants) || got.Month != want.Month {
			t.Errorf("%d customers: streamed %d tenants, want %d (or they differ)", n, len(got.Tenants), len(want.Tenants))
		}
	}
	doc := strings.Split(customersYAML(itemBatch*2+3, "  "), "\n")
	doc[len(doc)/2] = "  - {tenant: [unclosed"
	bad := []byte(strings.Join(doc, "\n"))
	_, _, errStream := StreamYAML("p.yaml", bad, testSchema, opts)
	_, errParse := Parse("p.yaml", 1, bad, testSchema)
	if errStream == nil || errParse == nil || errStream.Error() != errParse.Error() {
		t.Errorf("stream %v, parse %v", errStream, errParse)
	}
}

// A split document whose list the validator never walks to the end (a
// key written twice) still reports what the whole parse does: a later
// item's syntax error.
func TestSplitUnreadItemsFallBack(t *testing.T) {
	t.Parallel()
	doc := strings.Split(customersYAML(100, "  "), "\n")
	doc[len(doc)-10] = "  - tenant: \"unterminated"
	text := strings.Join(doc, "\n")
	text = strings.Replace(text, "customers:\n", "\"customers\": []\ncustomers:\n", 1)
	_, errWhole := parseYAML([]byte(text))
	_, errParse := Parse("f.yaml", 1, []byte(text), testSchema)
	if errWhole == nil || errParse == nil || errParse.Error() != problemsOf("f.yaml", errWhole).Error() {
		t.Errorf("parse %v, want the whole parse's %v", errParse, errWhole)
	}
}

// mayHaveAnchors is the regular expression it replaced, only faster: the
// same answer on a table of cases and on random text of the characters
// that matter.
func TestMayHaveAnchorsIsTheRegexp(t *testing.T) {
	re := regexp.MustCompile(`(^|[\s\[{,])[&*][^\s]`)
	cases := []string{"", "&", "*", "&a", "*a", " &a", "x&a", "a: &x 1", "a: *x", "[*x]", "{&x: 1}",
		"a,*b", "a & b", "a *", "a\t*\n", "é&a", "\v&a", "\f&a", "&\u00e9", "a: 'x *y'"}
	rng := rand.New(rand.NewPCG(1, 2))
	alphabet := []byte(" \t\n\r\f\v[{,&*ax\xc3\xa9")
	for range 20000 {
		b := make([]byte, rng.IntN(8))
		for i := range b {
			b[i] = alphabet[rng.IntN(len(alphabet))]
		}
		cases = append(cases, string(b))
	}
	for _, c := range cases {
		if got, want := mayHaveAnchors([]byte(c)), re.MatchString(c); got != want {
			t.Errorf("mayHaveAnchors(%q) = %v, the regexp says %v", c, got, want)
		}
	}
}
