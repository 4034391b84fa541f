package main

import (
	"fmt"
	"io"
	"unicode/utf8"
)

// output is every command's stdout and stderr. It remembers the first
// write error, so that a command whose output was lost (a full disk, a
// closed pipe) exits 2 whatever it printed; and, for text meant for a
// terminal, it escapes what a terminal would act on.
//
// Fact files and bundles are written by others: a partner name holding
// ESC [ ... (a terminal command), BEL, CR (overwrites the line) or a
// bidirectional override (shows text reversed) must reach the screen as
// visible characters, not as actions. HTML is escaped the same way (a
// browser reverses text at a bidirectional override too, and control
// characters are not valid in a page). JSON escapes them itself; fact
// files written by gen and import are data.
type output struct {
	w      io.Writer
	escape bool
	err    error
	carry  []byte // the start of a UTF-8 sequence cut by a write
}

// newOutput wraps w, escaping control characters.
func newOutput(w io.Writer) *output { return &output{w: w, escape: true} }

// raw turns escaping off for w when it is an output: the formats that
// are data (JSON, HTML, fact files) keep every character as it is.
func raw(w io.Writer) io.Writer {
	if o, ok := w.(*output); ok {
		o.flush()
		o.escape = false
	}
	return w
}

// underlying is the writer w wraps (for the progress bar, which draws
// with control characters on purpose, and for isTerminal).
func underlying(w io.Writer) io.Writer {
	if o, ok := w.(*output); ok {
		return o.w
	}
	return w
}

// writeFailed is the first write error of w, when w is an output.
func writeFailed(w io.Writer) error {
	if o, ok := w.(*output); ok {
		o.flush()
		return o.err
	}
	return nil
}

func (o *output) Write(p []byte) (int, error) {
	if o.err != nil {
		return 0, o.err
	}
	if !o.escape {
		return o.write(p, len(p))
	}
	n := len(p)
	if len(o.carry) > 0 {
		p = append(o.carry, p...)
		o.carry = nil
	}
	if cut := incompleteTail(p); cut < len(p) {
		o.carry = append([]byte(nil), p[cut:]...)
		p = p[:cut]
	}
	return o.write(escapeTerminal(p), n)
}

// write writes b whole and reports n bytes of the caller's written.
func (o *output) write(b []byte, n int) (int, error) {
	if _, err := o.w.Write(b); err != nil {
		o.err = err
		return 0, err
	}
	return n, nil
}

// flush writes a UTF-8 sequence the last write left unfinished, escaped
// as the invalid bytes it now is.
func (o *output) flush() {
	if len(o.carry) > 0 && o.err == nil {
		c := o.carry
		o.carry = nil
		o.write(escapeTerminal(c), len(c))
	}
}

// incompleteTail is where a UTF-8 sequence cut at the end of p starts
// (len(p) when p ends whole).
func incompleteTail(p []byte) int {
	for i := len(p) - 1; i >= 0 && i >= len(p)-utf8.UTFMax+1; i-- {
		if utf8.RuneStart(p[i]) {
			if !utf8.FullRune(p[i:]) {
				return i
			}
			break
		}
	}
	return len(p)
}

// escapeTerminal returns p with every control character but newline and
// tab, every invalid UTF-8 byte and every bidirectional control written
// as an escape (\x1b, \u202e), the way Go quotes them. Plain text comes
// back as it is, without a copy.
func escapeTerminal(p []byte) []byte {
	i := 0
	for i < len(p) && p[i] >= 0x20 && p[i] < 0x7f || i < len(p) && (p[i] == '\n' || p[i] == '\t') {
		i++
	}
	if i == len(p) {
		return p
	}
	out := append(make([]byte, 0, len(p)+16), p[:i]...)
	for i < len(p) {
		r, size := utf8.DecodeRune(p[i:])
		switch {
		case r == utf8.RuneError && size == 1:
			out = fmt.Appendf(out, `\x%02x`, p[i])
		case r == '\n' || r == '\t':
			out = append(out, byte(r))
		case r < 0x20 || r == 0x7f:
			out = fmt.Appendf(out, `\x%02x`, r)
		case unsafeRune(r):
			out = fmt.Appendf(out, `\u%04x`, r)
		default:
			out = append(out, p[i:i+size]...)
		}
		i += size
	}
	return out
}

// unsafeRune tells the runes beyond ASCII that change how a terminal shows
// the text around them: C1 controls and the bidirectional marks, embeddings,
// overrides and isolates.
func unsafeRune(r rune) bool {
	return r >= 0x80 && r <= 0x9f || r == 0x061c || r == 0x200e || r == 0x200f ||
		r >= 0x202a && r <= 0x202e || r >= 0x2066 && r <= 0x2069
}
