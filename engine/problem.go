package engine

import (
	"bytes"
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"
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

// snippetWidth is how many characters of a long line a snippet shows,
// around the column: a one-line file (minified, generated, or a file that
// is not a policy at all) must not echo megabytes.
const snippetWidth = 200

// snippet returns the line of src with a caret under column col (1-based,
// in bytes as the parsers count). It shows that line alone, never more of
// the file, cut to snippetWidth characters around the column, with control
// characters (escape sequences, carriage returns, bidirectional overrides)
// written as escapes so that a policy file cannot drive the terminal.
func snippet(src []byte, line, col int) string {
	if line < 1 {
		return ""
	}
	// The line is found by scanning: no copy of the rest of the file.
	start := 0
	for l := 1; l < line; l++ {
		i := bytes.IndexByte(src[start:], '\n')
		if i < 0 {
			return ""
		}
		start += i + 1
	}
	text := src[start:]
	if i := bytes.IndexByte(text, '\n'); i >= 0 {
		text = text[:i]
	}
	text = bytes.TrimRight(text, "\r")
	// The column as a rune index, then the window of runes around it.
	runes := []rune(string(text))
	at := len(runes)
	if col >= 1 && col-1 <= len(text) {
		at = utf8.RuneCount(text[:col-1])
	}
	from, to := 0, len(runes)
	if len(runes) > snippetWidth {
		from = max(0, min(at-snippetWidth/2, len(runes)-snippetWidth))
		to = from + snippetWidth
	}
	var b, pad strings.Builder
	b.WriteString(" | ")
	if from > 0 {
		b.WriteString("…")
		pad.WriteString(" ")
	}
	for i, r := range runes[from:to] {
		shown := shownRune(r)
		b.WriteString(shown)
		if from+i < at {
			if r == '\t' {
				pad.WriteByte('\t')
			} else {
				pad.WriteString(strings.Repeat(" ", utf8.RuneCountInString(shown)))
			}
		}
	}
	if to < len(runes) {
		b.WriteString("…")
	}
	if col < 1 {
		return b.String()
	}
	return b.String() + "\n | " + pad.String() + "^"
}

// shownRune is r as a snippet shows it: control and format characters
// (ESC, BEL, CR, bidirectional overrides, invalid UTF-8) escaped, a tab as it is.
func shownRune(r rune) string {
	switch {
	case r == '\t':
		return "\t"
	case r == utf8.RuneError:
		return `\ufffd`
	case unicode.IsControl(r) || unicode.Is(unicode.Cf, r):
		if r < 0x80 {
			return fmt.Sprintf(`\x%02x`, r)
		}
		return fmt.Sprintf(`\u%04x`, r)
	}
	return string(r)
}
