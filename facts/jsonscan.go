package facts

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"sync"
	"unicode/utf16"
	"unicode/utf8"

	"gopkg.in/yaml.v3"
)

// MaxDepth is how deeply a fact file's values may nest. A valid fact file
// needs six levels; anything far deeper is refused before it can exhaust
// the stack.
const MaxDepth = 32

// jsonScanner reads JSON from a stream into yaml.Nodes that keep their line,
// one value at a time, so that a large file never sits in memory whole.
type jsonScanner struct {
	r    *bufio.Reader
	line int
	buf  []byte
}

// readers are reused: each partner of a population, and each customer read
// the careful way, would otherwise allocate and clear a 64 KB buffer.
var readers = sync.Pool{New: func() any { return bufio.NewReaderSize(nil, 1<<16) }}

func newJSONScanner(r io.Reader, firstLine int) *jsonScanner {
	br := readers.Get().(*bufio.Reader)
	br.Reset(r)
	s := &jsonScanner{r: br, line: firstLine}
	// Exports from spreadsheets often start with a UTF-8 byte order mark.
	if b, _ := s.r.Peek(3); string(b) == "\ufeff" {
		s.r.Discard(3)
	}
	return s
}

// release hands the scanner's buffer back; the scanner is not used after.
// Nothing read keeps a reference into the buffer: strings and raw values
// are copies.
func (s *jsonScanner) release() {
	s.r.Reset(nil)
	readers.Put(s.r)
	s.r = nil
}

func (s *jsonScanner) fail(format string, args ...any) error {
	return &lineError{line: s.line, msg: "invalid JSON: " + fmt.Sprintf(format, args...)}
}

// next returns the next byte that is not white space.
func (s *jsonScanner) next() (byte, error) {
	for {
		c, err := s.r.ReadByte()
		if err != nil {
			return 0, err
		}
		switch c {
		case '\n':
			s.line++
		case ' ', '\t', '\r':
		default:
			return c, nil
		}
	}
}

// expect reads the next non-space byte and checks it is want.
func (s *jsonScanner) expect(want byte) error {
	c, err := s.next()
	if err != nil {
		return s.eof(err)
	}
	if c != want {
		return s.fail("want %q, found %q", want, c)
	}
	return nil
}

func (s *jsonScanner) eof(err error) error {
	if errors.Is(err, io.EOF) {
		return s.fail("unexpected end of file")
	}
	return err
}

// value reads one value starting with byte c.
func (s *jsonScanner) value(c byte, depth int) (*yaml.Node, error) {
	if depth > MaxDepth {
		return nil, s.fail("nested more than %d levels deep", MaxDepth)
	}
	n := &yaml.Node{Line: s.line, Column: 1}
	switch {
	case c == '{':
		n.Kind, n.Tag = yaml.MappingNode, "!!map"
		err := s.members(func(key string, line int, c byte) error {
			v, err := s.value(c, depth+1)
			if err != nil {
				return err
			}
			n.Content = append(n.Content, &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: key, Line: line, Column: 1}, v)
			return nil
		})
		return n, err
	case c == '[':
		n.Kind, n.Tag = yaml.SequenceNode, "!!seq"
		err := s.elements(func(c byte) error {
			v, err := s.value(c, depth+1)
			if err == nil {
				n.Content = append(n.Content, v)
			}
			return err
		})
		return n, err
	case c == '"':
		str, err := s.str()
		n.Kind, n.Tag, n.Value = yaml.ScalarNode, "!!str", str
		return n, err
	case c == 't' || c == 'f' || c == 'n':
		word, err := s.word(c)
		if err != nil {
			return nil, err
		}
		n.Kind, n.Value, n.Tag = yaml.ScalarNode, word, "!!bool"
		if word == "null" {
			n.Tag = "!!null"
		}
		return n, nil
	case c == '-' || (c >= '0' && c <= '9'):
		num, float, err := s.number(c)
		n.Kind, n.Value, n.Tag = yaml.ScalarNode, num, "!!int"
		if float {
			n.Tag = "!!float"
		}
		return n, err
	}
	return nil, s.fail("unexpected %q", c)
}

// members reads an object's members after its '{', calling f with each key
// and the first byte of its value.
func (s *jsonScanner) members(f func(key string, line int, c byte) error) error {
	for first := true; ; first = false {
		c, err := s.next()
		if err != nil {
			return s.eof(err)
		}
		if c == '}' && first {
			return nil
		}
		if c != '"' {
			return s.fail("want a string key, found %q", c)
		}
		line := s.line
		key, err := s.str()
		if err != nil {
			return err
		}
		if err := s.expect(':'); err != nil {
			return err
		}
		if c, err = s.next(); err != nil {
			return s.eof(err)
		}
		if err := f(key, line, c); err != nil {
			return err
		}
		if more, err := s.more('}'); !more {
			return err
		}
	}
}

// more reads what follows a value in an object or array: ',' (more
// follow) or the closing byte.
func (s *jsonScanner) more(close byte) (bool, error) {
	c, err := s.next()
	if err != nil {
		return false, s.eof(err)
	}
	switch c {
	case ',':
		return true, nil
	case close:
		return false, nil
	}
	return false, s.fail("want ',' or '%c' after a value, found %q", close, c)
}

// elements reads an array's elements after its '[', calling f with the
// first byte of each.
func (s *jsonScanner) elements(f func(c byte) error) error {
	for first := true; ; first = false {
		c, err := s.next()
		if err != nil {
			return s.eof(err)
		}
		if c == ']' && first {
			return nil
		}
		if err := f(c); err != nil {
			return err
		}
		if more, err := s.more(']'); !more {
			return err
		}
	}
}

// MaxString bounds one string of a fact file.
const MaxString = 1 << 16

// str reads a string after its opening quote.
func (s *jsonScanner) str() (string, error) {
	s.buf = s.buf[:0]
	for {
		c, err := s.r.ReadByte()
		if err != nil {
			return "", s.eof(err)
		}
		switch {
		case c == '"':
			if !utf8.Valid(s.buf) {
				return "", s.fail("a string is not valid UTF-8")
			}
			return string(s.buf), nil
		case c == '\\':
			if err := s.escape(); err != nil {
				return "", err
			}
		case c < 0x20:
			return "", s.fail("control character %q in a string", c)
		default:
			s.buf = append(s.buf, c)
		}
		if len(s.buf) > MaxString {
			return "", s.fail("a string longer than %d bytes", MaxString)
		}
	}
}

func (s *jsonScanner) escape() error {
	c, err := s.r.ReadByte()
	if err != nil {
		return s.eof(err)
	}
	switch c {
	case '"', '\\', '/':
		s.buf = append(s.buf, c)
	case 'b':
		s.buf = append(s.buf, '\b')
	case 'f':
		s.buf = append(s.buf, '\f')
	case 'n':
		s.buf = append(s.buf, '\n')
	case 'r':
		s.buf = append(s.buf, '\r')
	case 't':
		s.buf = append(s.buf, '\t')
	case 'u':
		r, err := s.hex4()
		if err != nil {
			return err
		}
		if utf16.IsSurrogate(r) {
			if b, _ := s.r.Peek(2); len(b) == 2 && b[0] == '\\' && b[1] == 'u' {
				s.r.Discard(2)
				r2, err := s.hex4()
				if err != nil {
					return err
				}
				r = utf16.DecodeRune(r, r2)
			} else {
				r = utf8.RuneError
			}
		}
		s.buf = utf8.AppendRune(s.buf, r)
	default:
		return s.fail("invalid escape \\%c", c)
	}
	return nil
}

func (s *jsonScanner) hex4() (rune, error) {
	var b [4]byte
	if _, err := io.ReadFull(s.r, b[:]); err != nil {
		return 0, s.eof(err)
	}
	v, err := strconv.ParseUint(string(b[:]), 16, 16)
	if err != nil {
		return 0, s.fail("invalid \\u escape %q", b[:])
	}
	return rune(v), nil
}

func (s *jsonScanner) word(c byte) (string, error) {
	want := map[byte]string{'t': "true", 'f': "false", 'n': "null"}[c]
	rest := make([]byte, len(want)-1)
	if _, err := io.ReadFull(s.r, rest); err != nil || string(rest) != want[1:] {
		return "", s.fail("invalid literal, want %s", want)
	}
	return want, nil
}

// number reads a number starting with c; float tells whether it has a
// fraction or an exponent.
func (s *jsonScanner) number(c byte) (string, bool, error) {
	s.buf = append(s.buf[:0], c)
	float := false
	for {
		b, err := s.r.ReadByte()
		if err != nil {
			break
		}
		if (b >= '0' && b <= '9') || b == '-' || b == '+' || b == '.' || b == 'e' || b == 'E' {
			float = float || b == '.' || b == 'e' || b == 'E'
			s.buf = append(s.buf, b)
			if len(s.buf) > 64 {
				return "", false, s.fail("a number longer than 64 characters")
			}
			continue
		}
		s.r.UnreadByte()
		break
	}
	num := string(s.buf)
	digits := strings.TrimPrefix(num, "-")
	if len(digits) > 1 && digits[0] == '0' && digits[1] >= '0' && digits[1] <= '9' {
		return "", false, s.fail("invalid number %q (JSON numbers have no leading zeros)", num)
	}
	if _, err := strconv.ParseFloat(num, 64); err != nil && !errors.Is(err, strconv.ErrRange) {
		return "", false, s.fail("invalid number %q", num)
	}
	return num, float, nil
}

// end checks that nothing but white space follows the document.
func (s *jsonScanner) end() error {
	c, err := s.next()
	if errors.Is(err, io.EOF) {
		return nil
	}
	if err != nil {
		return err
	}
	if c == '{' {
		return s.fail("more than one value in the file (found %q after it): several fact documents, one per line, are JSON Lines (--jsonl, or a .jsonl file)", c)
	}
	return s.fail("more than one value in the file (found %q after it)", c)
}
