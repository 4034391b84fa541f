package facts

import (
	"fmt"
	"strings"
)

// Suggest returns ` (did you mean "x"?)` for the allowed name closest to
// got (by edit distance, ignoring case), or "" when none is close.
func Suggest(got string, allowed []string) string {
	best, bestD := "", 3
	for _, a := range allowed {
		if d := distance(strings.ToLower(got), strings.ToLower(a)); d < bestD {
			best, bestD = a, d
		}
	}
	if best == "" || best == got {
		return ""
	}
	return fmt.Sprintf(" (did you mean %q?)", best)
}

// SuggestTyped is Suggest for a name a person typed on the command line,
// which may also be cut short ("deploy" for "deployments"): then the one
// name it begins, if only one. Not for names in data, where a shorter
// name is often another product ("Microsoft365", "Microsoft365Apps").
func SuggestTyped(got string, allowed []string) string {
	if s := Suggest(got, allowed); s != "" || len(got) < 3 {
		return s
	}
	best := ""
	for _, a := range allowed {
		if strings.HasPrefix(strings.ToLower(a), strings.ToLower(got)) {
			if best != "" {
				return ""
			}
			best = a
		}
	}
	if best == "" || best == got {
		return ""
	}
	return fmt.Sprintf(" (did you mean %q?)", best)
}

// SameNameOrSuggest is the allowed name got most likely meant, or "".
func SameNameOrSuggest(got string, allowed []string) string {
	if s := SameName(got, allowed); s != "" {
		return s
	}
	s := Suggest(got, allowed)
	return strings.TrimSuffix(strings.TrimPrefix(s, ` (did you mean "`), `"?)`)
}

// squash drops what SameName ignores; made once (a Replacer builds its
// tables on first use, and SameName runs for every certification read).
var squash = strings.NewReplacer(" ", "", "-", "", "_", "")

// SameName returns the name in allowed that got is a careless spelling of:
// equal but for case, spaces, hyphens and underscores ("ms-700", "MS 700"
// for "MS-700"). It returns "" when there is none, or got is exact.
func SameName(got string, allowed []string) string {
	g := strings.ToLower(squash.Replace(got))
	for _, a := range allowed {
		if a == got {
			return ""
		}
	}
	for _, a := range allowed {
		if strings.ToLower(squash.Replace(a)) == g {
			return a
		}
	}
	return ""
}

// distance is the Levenshtein edit distance, bounded: strings much longer
// than a name are compared only by their length.
func distance(a, b string) int {
	if len(a) > 256 || len(b) > 256 {
		return max(len(a), len(b))
	}
	// Two rows on the stack: a population's ignored names are compared
	// with every allowed one, and the rows were most of its garbage.
	var rows [2][257]int
	prev, cur := rows[0][:len(b)+1], rows[1][:len(b)+1]
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
