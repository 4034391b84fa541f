package engine

import (
	"context"
	"strings"
	"testing"
	"testing/fstest"
	"unicode/utf8"
)

// TestSnippetShowsOneLineCut: a snippet is the offending line alone, cut
// around the column when long, its control characters escaped.
func TestSnippetShowsOneLineCut(t *testing.T) {
	t.Parallel()
	long := strings.Repeat("a", 1<<20) + "BAD" + strings.Repeat("b", 1<<20)
	cases := []struct {
		name      string
		src       string
		line, col int
		want      string
	}{
		{"caret", "x := 1\ny := +\nz := 3\n", 2, 6, " | y := +\n |      ^"},
		{"tab", "\tfoo bar\n", 1, 6, " | \tfoo bar\n | \t    ^"},
		{"no column", "a\nb\n", 2, 0, " | b"},
		{"crlf", "a\r\nb\r\n", 1, 1, " | a\n | ^"},
		{"past the end", "a\n", 3, 1, ""},
		{"line 0", "a\n", 0, 1, ""},
		{"escape sequences", "x := \"\x1b[2J\a\u202e\"\n", 1, 6, " | x := \"\\x1b[2J\\x07\\u202e\"\n |      ^"},
		{"column past the line", "ab\n", 1, 9, " | ab\n |   ^"},
	}
	for _, c := range cases {
		if got := snippet([]byte(c.src), c.line, c.col); got != c.want {
			t.Errorf("%s: got\n%s\nwant\n%s", c.name, got, c.want)
		}
	}
	// A one-line file of megabytes shows snippetWidth characters around the
	// column, and the caret is under it.
	got := snippet([]byte(long), 1, 1<<20+1)
	text, caret, _ := strings.Cut(got, "\n")
	if n := utf8.RuneCountInString(text); n > snippetWidth+8 {
		t.Fatalf("snippet of %d characters", n)
	}
	if i := strings.Index(text, "BAD"); i < 0 || utf8.RuneCountInString(text[:i]) != utf8.RuneCountInString(caret)-1 {
		t.Errorf("caret not under the column:\n%s", got)
	}
	if !strings.HasPrefix(text, " | …a") || !strings.HasSuffix(text, "b…") {
		t.Errorf("cut not shown:\n%s", got)
	}
	// Multi-byte characters before the column count once.
	got = snippet([]byte("é := +\n"), 1, len("é := ")+1)
	if got != " | é := +\n |      ^" {
		t.Errorf("multi-byte:\n%s", got)
	}
}

// TestLongLineRegoErrorIsCut: a Rego syntax error at the end of a one-line
// file of a megabyte echoes about a line's width of it, not the file.
func TestLongLineRegoErrorIsCut(t *testing.T) {
	t.Parallel()
	src := "package modern_work\nx := [" + strings.Repeat("1, ", 50_000) + "+]\n"
	fsys := fstest.MapFS{"d/p.rego": {Data: []byte(src)}}
	_, _, errs := prepareRego(context.Background(), fsys, "d", "d", map[string]any{})
	if len(errs) == 0 {
		t.Fatal("no error")
	}
	if n := len(errs.Error()); n > 2000 {
		t.Errorf("error of %d bytes", n)
	}
}

// TestAtCode: a CEL error at the end of input, or on a comment or blank
// line, is shown after the last code before it, never in the YAML that
// follows the expression.
func TestAtCode(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		text              string
		line, col         int
		wantLine, wantCol int
	}{
		{"a && b", 1, 3, 1, 3},
		{"f(a,\n  b\n", 3, 0, 2, 3},
		{"f(a,\n  b  \n// the sum\n", 4, 0, 2, 3},
		{"// why\nf(a\n// more\n", 3, 2, 2, 3},
		{"x\n\n", 9, 9, 1, 1},
	} {
		if l, col := atCode(c.text, c.line, c.col); l != c.wantLine || col != c.wantCol {
			t.Errorf("atCode(%q, %d, %d) = %d, %d; want %d, %d", c.text, c.line, c.col, l, col, c.wantLine, c.wantCol)
		}
	}
}
