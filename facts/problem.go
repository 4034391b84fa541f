package facts

import (
	"fmt"
	"strings"
)

// Problem is one thing wrong with a fact file, or a warning about it, with the
// place it was found.
type Problem struct {
	File    string `json:"file"`
	Line    int    `json:"line,omitempty"`
	Field   string `json:"field,omitempty"`
	Message string `json:"message"`
	// Kind groups warnings of one sort for a summary, as a plural phrase
	// ("workloads ignored"); Key is what the warning is about within its
	// kind ("PowerBI"), when the summary counts them by name.
	Kind string `json:"-"`
	Key  string `json:"-"`
	// Hint is the name the warning's key likely meant, if any.
	Hint string `json:"-"`
	// Designation is the designation whose rule gave the warning, if one
	// did; a warning about the fact file itself concerns them all.
	Designation string `json:"-"`
	// Series is the series (workloads, azure) a warning about one of its
	// entries or rows concerns: it is no concern of a designation that
	// does not read that series.
	Series string `json:"-"`
}

// String formats the problem as "file:line: field: message".
func (p Problem) String() string {
	var b strings.Builder
	b.WriteString(p.File)
	if p.Line > 0 {
		fmt.Fprintf(&b, ":%d", p.Line)
	}
	b.WriteString(": ")
	if p.Field != "" {
		b.WriteString(p.Field)
		b.WriteString(": ")
	}
	b.WriteString(p.Message)
	return b.String()
}

// Problems is every error found in one fact file. A file with problems is
// never scored.
type Problems []Problem

// Error lists every problem, one per line.
func (ps Problems) Error() string {
	lines := make([]string, len(ps))
	for i, p := range ps {
		lines[i] = p.String()
	}
	return strings.Join(lines, "\n")
}
