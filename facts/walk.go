package facts

import (
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"
)

// walker checks a yaml.Node tree field by field and collects every problem,
// so that one run lists all of them.
type walker struct {
	file     string
	problems Problems
	warnings []Problem
	// within names the record being read (a tenant, a workload, a person),
	// so that an error deep inside it says whose it is.
	within string
	vocab  *Vocabulary
}

func (w *walker) errorf(n *yaml.Node, field, format string, args ...any) {
	msg := fmt.Sprintf(format, args...)
	if w.within != "" && !strings.Contains(msg, w.within) {
		msg += " (" + w.within + ")"
	}
	w.problems = append(w.problems, Problem{File: w.file, Line: line(n), Field: field, Message: msg})
}

// warnf records a warning of a kind (see Problem.Kind) about key.
func (w *walker) warnf(kind, key string, line int, field, format string, args ...any) {
	w.warnings = append(w.warnings, Problem{File: w.file, Line: line, Field: field, Message: fmt.Sprintf(format, args...), Kind: kind, Key: key})
}

func line(n *yaml.Node) int {
	if n == nil {
		return 0
	}
	return n.Line
}

// resolve follows YAML aliases to the node they stand for.
func resolve(n *yaml.Node) *yaml.Node {
	for n != nil && n.Kind == yaml.AliasNode {
		n = n.Alias
	}
	return n
}

// fields checks that n is a mapping whose keys are among allowed and appear
// once, and returns the value node of each key. Keys in required that are
// missing are reported.
func (w *walker) fields(n *yaml.Node, path string, allowed, required []string) map[string]*yaml.Node {
	n = resolve(n)
	if n == nil || n.Kind != yaml.MappingNode {
		w.errorf(n, path, "want a mapping with keys %s, got %s", strings.Join(allowed, ", "), describe(n))
		return nil
	}
	out := make(map[string]*yaml.Node, len(n.Content)/2)
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := resolve(n.Content[i]), n.Content[i+1]
		field := join(path, k.Value)
		switch {
		case k.Kind != yaml.ScalarNode:
			w.errorf(k, path, "a key must be a plain name")
		case !slices.Contains(allowed, k.Value):
			w.errorf(k, field, "unknown key%s (allowed: %s)", Suggest(k.Value, allowed), strings.Join(allowed, ", "))
		case out[k.Value] != nil:
			w.errorf(k, field, "appears twice in the same mapping (first on line %d)", line(out[k.Value]))
		default:
			out[k.Value] = resolve(v)
		}
	}
	for _, r := range required {
		if out[r] == nil {
			w.errorf(n, join(path, r), "missing (required)")
		}
	}
	return out
}

// sequence returns the items of a sequence; an absent or null value is empty.
func (w *walker) sequence(n *yaml.Node, path string) []*yaml.Node {
	n = resolve(n)
	if n == nil || isNull(n) {
		return nil
	}
	if n.Kind != yaml.SequenceNode {
		w.errorf(n, path, "want a list, got %s", describe(n))
		return nil
	}
	items := make([]*yaml.Node, len(n.Content))
	for i, c := range n.Content {
		items[i] = resolve(c)
	}
	return items
}

// str reads a non-empty string. A YAML scalar of another type (a number as a
// tenant id, say) is taken as written.
func (w *walker) str(n *yaml.Node, path string) (string, bool) {
	if n == nil {
		return "", false
	}
	if n.Kind != yaml.ScalarNode || isNull(n) {
		w.errorf(n, path, "want a string, got %s", describe(n))
		return "", false
	}
	if strings.TrimSpace(n.Value) == "" {
		w.errorf(n, path, "must not be empty")
		return "", false
	}
	if len(n.Value) > MaxString {
		w.errorf(n, path, "a string of %d bytes, longer than the %d allowed", len(n.Value), MaxString)
		return "", false
	}
	return n.Value, true
}

// label reads an optional display name: any scalar, empty or null allowed,
// as names are only shown, never matched.
func (w *walker) label(n *yaml.Node, path string) string {
	if n == nil || isNull(n) {
		return ""
	}
	if n.Kind != yaml.ScalarNode {
		w.errorf(n, path, "want a string, got %s", describe(n))
		return ""
	}
	if len(n.Value) > MaxString {
		w.errorf(n, path, "a string of %d bytes, longer than the %d allowed", len(n.Value), MaxString)
		return ""
	}
	return n.Value
}

// count reads a whole number >= 0, such as a seat count.
func (w *walker) count(n *yaml.Node, path string) (int64, bool) {
	if n == nil {
		return 0, false
	}
	if n.Kind != yaml.ScalarNode || (n.Tag != "!!int" && n.Tag != "!!float") {
		w.errorf(n, path, "want a whole number >= 0, got %s", describe(n))
		return 0, false
	}
	// Base 10 always: a leading zero is not octal in a seat count.
	v, err := strconv.ParseInt(strings.ReplaceAll(n.Value, "_", ""), 10, 64)
	if err != nil {
		f, ferr := strconv.ParseFloat(n.Value, 64)
		switch {
		case ferr == nil && !math.IsNaN(f) && !math.IsInf(f, 0) && f == math.Trunc(f) && math.Abs(f) < 1<<53:
			v = int64(f)
		default:
			w.errorf(n, path, "want a whole number >= 0, got %s", n.Value)
			return 0, false
		}
	}
	if v < 0 {
		w.errorf(n, path, "must not be negative, got %d", v)
		return 0, false
	}
	return v, true
}

func (w *walker) month(n *yaml.Node, path string) (Month, bool) {
	s, ok := w.str(n, path)
	if !ok {
		return 0, false
	}
	m, err := ParseMonth(s)
	if err != nil {
		w.errorf(n, path, "%v", err)
		return 0, false
	}
	return m, true
}

func (w *walker) date(n *yaml.Node, path string) (Date, bool) {
	s, ok := w.str(n, path)
	if !ok {
		return "", false
	}
	d, err := ParseDate(s)
	if err != nil {
		w.errorf(n, path, "%v", err)
		return "", false
	}
	return d, true
}

func isNull(n *yaml.Node) bool { return n.Kind == yaml.ScalarNode && n.Tag == "!!null" }

func describe(n *yaml.Node) string {
	switch {
	case n == nil:
		return "nothing"
	case n.Kind == yaml.MappingNode:
		return "a mapping"
	case n.Kind == yaml.SequenceNode:
		return "a list"
	case isNull(n):
		return "null"
	default:
		return strconv.Quote(n.Value)
	}
}

func join(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}

func index(path string, i int) string { return path + "[" + strconv.Itoa(i) + "]" }

// Suggest returns ` (did you mean "x"?)` for the allowed name closest to got.
func Suggest(got string, allowed []string) string {
	best, bestD := "", 3
	for _, a := range allowed {
		if d := distance(strings.ToLower(got), strings.ToLower(a)); d < bestD {
			best, bestD = a, d
		}
	}
	if best == "" {
		return ""
	}
	return fmt.Sprintf(" (did you mean %q?)", best)
}

// SameName returns the name in allowed that got is a careless spelling of:
// equal but for case, spaces, hyphens and underscores ("ms-700", "MS 700"
// for "MS-700"). It returns "" when there is none, or got is exact.
func SameName(got string, allowed []string) string {
	squash := strings.NewReplacer(" ", "", "-", "", "_", "")
	g := strings.ToLower(squash.Replace(got))
	for _, a := range allowed {
		if a != got && strings.ToLower(squash.Replace(a)) == g {
			return a
		}
	}
	return ""
}

// distance is the Levenshtein edit distance.
func distance(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}
