package engine

import (
	"fmt"
	"strings"
)

// PolicyError is one problem in a policy bundle, at a file, line and column.
type PolicyError struct {
	File    string
	Line    int
	Column  int
	Message string
	// Snippet is the offending source line with a caret under the spot, when known.
	Snippet string
}

func (e PolicyError) Error() string {
	var b strings.Builder
	b.WriteString(e.File)
	if e.Line > 0 {
		fmt.Fprintf(&b, ":%d", e.Line)
		if e.Column > 0 {
			fmt.Fprintf(&b, ":%d", e.Column)
		}
	}
	b.WriteString(": ")
	b.WriteString(e.Message)
	if e.Snippet != "" {
		b.WriteString("\n")
		b.WriteString(e.Snippet)
	}
	return b.String()
}

// PolicyErrors is every problem found while loading a bundle; loading goes on
// after the first so that one run reports them all.
type PolicyErrors []PolicyError

func (es PolicyErrors) Error() string {
	parts := make([]string, len(es))
	for i, e := range es {
		parts[i] = e.Error()
	}
	return strings.Join(parts, "\n")
}

// snippet returns the line of src with a caret under column col (1-based).
func snippet(src []byte, line, col int) string {
	lines := strings.Split(string(src), "\n")
	if line < 1 || line > len(lines) {
		return ""
	}
	text := strings.TrimRight(lines[line-1], "\r")
	if col < 1 {
		return " | " + text
	}
	pad := make([]byte, 0, col)
	for i := 0; i < col-1 && i < len(text); i++ {
		if text[i] == '\t' {
			pad = append(pad, '\t')
		} else {
			pad = append(pad, ' ')
		}
	}
	return " | " + text + "\n | " + string(pad) + "^"
}
