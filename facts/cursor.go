package facts

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"regexp"
	"slices"
	"strings"
	"unicode/utf8"
	"unsafe"

	"github.com/go-json-experiment/json/jsontext"
	"gopkg.in/yaml.v3"
)

// cursor reads one document's values in order, whatever its syntax, so
// that one validator serves JSON and YAML. Every method that consumes a
// value also returns the line it is on.
type cursor interface {
	// peek tells the kind of the next value without consuming it: '{',
	// '[', '"' (a string), '0' (a number), 't', 'f' (booleans) or 'n'.
	peek() (byte, error)
	// enter consumes the '{' or '[' that peek reported.
	enter() (line int, err error)
	// key consumes the next key of the current object; ok is false, and
	// the object is consumed, at its end. A key among known is returned as
	// that string (a reader may compare against them instead of making one)
	// with its index there; at is -1 for any other key.
	key(known []string) (name string, at, line int, ok bool, err error)
	// more tells whether the current array has another element; false
	// consumes the array's end.
	more() (bool, error)
	// scalar consumes a scalar value.
	scalar() (scalar, error)
	// value consumes any value as next does: a JSON reader, which sees
	// the kind as it reads, need not be asked for it first (millions of
	// months and amounts are read by it).
	value() (scalar, error)
	// skip consumes any value.
	skip() error
}

// scalar is a value as written: its text (a string unquoted, a number as
// it stands), its kind as peek reports it, and the line it is on. A
// transient text lies in the reader's buffer and is valid only until the
// cursor's next call: read at once (a month, a number, a message), or
// cloned to be kept (owned does that).
type scalar struct {
	text      string
	kind      byte
	line      int
	transient bool
	// checked: the text is valid UTF-8 without NUL bytes, as the reader
	// saw (JSON without escapes, whose decoder refuses anything else).
	checked bool
}

// owned is the scalar's text, copied if it is transient.
func (s scalar) owned() string {
	if s.transient {
		return strings.Clone(s.text)
	}
	return s.text
}

// syntaxError is a document that cannot be read on: the problem and its
// line.
type syntaxError struct {
	line int
	msg  string
}

func (e *syntaxError) Error() string { return fmt.Sprintf("line %d: %s", e.line, e.msg) }

// MaxDepth bounds how deeply values nest; a fact file needs six levels.
const MaxDepth = 32

// Aliases may expand a YAML document to at most aliasExpansion times the
// values it writes, plus aliasSlack (so that a small file may use a few
// anchors freely): more is an alias bomb.
const (
	aliasExpansion = 10
	aliasSlack     = 1000
)

// MaxString bounds a string's length in bytes.
const MaxString = 1 << 16

// lineTracker passes a reader through and remembers where its newlines
// are, so that a byte offset becomes a line number. Offsets are asked for
// in increasing order, so the newlines before the last one asked for are
// only counted.
type lineTracker struct {
	r       io.Reader
	read    int64
	first   int     // line of the stream's first byte
	counted int     // newlines before the offsets still kept
	nl      []int64 // offsets of the newlines not yet counted
	head    int
}

func (t *lineTracker) Read(p []byte) (int, error) {
	n, err := t.r.Read(p)
	for i, b := 0, p[:n]; ; {
		j := bytes.IndexByte(b[i:], '\n')
		if j < 0 {
			break
		}
		t.nl = append(t.nl, t.read+int64(i+j))
		i += j + 1
	}
	t.read += int64(n)
	return n, err
}

// line is the line of the byte at offset off.
func (t *lineTracker) line(off int64) int {
	for t.head < len(t.nl) && t.nl[t.head] < off {
		t.head++
		t.counted++
	}
	if t.head > 4096 && t.head*2 > len(t.nl) {
		t.nl = append(t.nl[:0], t.nl[t.head:]...)
		t.head = 0
	}
	return t.first + t.counted
}

// jsonCursor reads JSON with jsontext, a token at a time.
type jsonCursor struct {
	dec   *jsontext.Decoder
	lines *lineTracker
	// names are the object keys read so far, so that a key seen before
	// (every row's "month") is not a new string each time.
	names map[string]string
	// unquoted is the text of the last string with escapes.
	unquoted []byte
}

// maxNames bounds the keys kept by a cursor: keys are the schema's, and a
// file of random keys is refused for them anyway.
const maxNames = 256

func newJSONCursor(r io.Reader, firstLine int) *jsonCursor {
	lt := &lineTracker{r: r, first: firstLine}
	// Duplicate keys are the validator's to report, with both lines.
	return &jsonCursor{dec: jsontext.NewDecoder(lt, jsontext.AllowDuplicateNames(true)), lines: lt}
}

var inLiteral = regexp.MustCompile(`^invalid character ('[^']*'|.+) in literal (?:null|true|false) \(expecting .+\)$|^invalid character ('[A-Za-z_]') at start of value$`)

// lastLine is the line of the token just read: most often on the line of
// the one before (a JSON Lines document is one line), which is answered
// without a call.
func (c *jsonCursor) lastLine() int {
	off, t := c.dec.InputOffset()-1, c.lines
	if t.head >= len(t.nl) || t.nl[t.head] >= off {
		return t.first + t.counted
	}
	return t.line(max(0, off))
}

func (c *jsonCursor) fail(err error) error {
	if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
		return &syntaxError{line: c.lines.line(c.lines.read), msg: "invalid JSON: the input ends before the document does"}
	}
	var se *jsontext.SyntacticError
	if errors.As(err, &se) {
		msg := se.Err.Error()
		msg = strings.TrimPrefix(msg, "jsontext: ")
		if m := inLiteral.FindStringSubmatch(msg); m != nil {
			// jsontext reads any word starting with n, t or f as the
			// literal it begins ("{not json" as a broken null).
			msg = fmt.Sprintf("not a JSON value (invalid character %s): text and keys are written in \"double quotes\", and the only bare words are true, false and null", m[1]+m[2])
		}
		return &syntaxError{line: c.lines.line(se.ByteOffset), msg: "invalid JSON: " + msg}
	}
	// A read error (jsontext wraps it): what the reader said.
	if u := errors.Unwrap(err); u != nil {
		return u
	}
	return err
}

func (c *jsonCursor) peek() (byte, error) {
	k := c.dec.PeekKind()
	if k == 0 {
		_, err := c.dec.ReadToken()
		if err == nil {
			err = io.ErrUnexpectedEOF
		}
		return 0, c.fail(err)
	}
	if c.dec.StackDepth() >= MaxDepth && (k == '{' || k == '[') {
		return 0, &syntaxError{line: c.lastLine(), msg: fmt.Sprintf("nested more than %d levels deep", MaxDepth)}
	}
	return byte(k), nil
}

func (c *jsonCursor) enter() (int, error) {
	if _, err := c.dec.ReadToken(); err != nil {
		return 0, c.fail(err)
	}
	return c.lastLine(), nil
}

func (c *jsonCursor) key(known []string) (string, int, int, bool, error) {
	if c.dec.PeekKind() == '}' {
		_, err := c.dec.ReadToken()
		return "", -1, 0, false, c.failOrNil(err)
	}
	raw, err := c.dec.ReadValue()
	if err != nil {
		return "", -1, 0, false, c.fail(err)
	}
	line := c.lastLine()
	if b := raw[1 : len(raw)-1]; bytes.IndexByte(b, '\\') < 0 {
		// An object's keys are few: comparing is cheaper than hashing.
		for i, k := range known {
			if string(b) == k {
				return k, i, line, true, nil
			}
		}
		if name, ok := c.names[string(b)]; ok {
			return name, -1, line, true, nil
		}
		name := string(b)
		if c.names == nil {
			c.names = map[string]string{}
		}
		if len(c.names) < maxNames {
			c.names[name] = name
		}
		return name, -1, line, true, nil
	}
	unquoted, err := jsontext.AppendUnquote(nil, raw)
	if err != nil {
		return "", -1, 0, false, c.fail(err)
	}
	name := string(unquoted)
	return name, slices.Index(known, name), line, true, nil
}

func (c *jsonCursor) failOrNil(err error) error {
	if err != nil {
		return c.fail(err)
	}
	return nil
}

// more says whether the list goes on; one PeekKind, as it is called for
// every row.
func (c *jsonCursor) more() (bool, error) {
	switch c.dec.PeekKind() {
	case ']':
		_, err := c.dec.ReadToken()
		return false, c.failOrNil(err)
	case 0:
		_, err := c.dec.ReadToken()
		if err == nil {
			err = io.ErrUnexpectedEOF
		}
		return false, c.fail(err)
	}
	return true, nil
}

// scalar reads the value's bytes as they stand: the text of a number or
// of a string without escapes is those bytes (transient), so that the
// months and amounts of millions of rows are parsed without a string each.
func (c *jsonCursor) scalar() (scalar, error) {
	if k := c.dec.PeekKind(); k == '{' || k == '[' {
		return scalar{}, &syntaxError{line: c.lastLine(), msg: "internal: scalar() on a container"}
	}
	return c.read()
}

func (c *jsonCursor) value() (scalar, error) {
	if k := c.dec.PeekKind(); k == '{' || k == '[' || k == 0 {
		return next(c) // a container, or the end or an error
	}
	return c.read()
}

// read reads the scalar that comes next.
func (c *jsonCursor) read() (scalar, error) {
	raw, err := c.dec.ReadValue()
	if err != nil {
		return scalar{}, c.fail(err)
	}
	s := scalar{kind: raw[0], line: c.lastLine(), transient: true}
	switch raw[0] {
	case '"':
		b := raw[1 : len(raw)-1]
		if bytes.IndexByte(b, '\\') >= 0 {
			if c.unquoted, err = jsontext.AppendUnquote(c.unquoted[:0], raw); err != nil {
				return scalar{}, c.fail(err)
			}
			b = c.unquoted
		} else {
			// jsontext refuses invalid UTF-8 and raw control characters:
			// only an escape makes a NUL.
			s.checked = true
		}
		s.text = unsafe.String(unsafe.SliceData(b), len(b))
	case 't':
		s.text = "true"
	case 'f':
		s.text = "false"
	case 'n':
		s.text = "null"
	default:
		s.kind, s.checked = '0', true
		s.text = unsafe.String(unsafe.SliceData(raw), len(raw))
	}
	return s, nil
}

func (c *jsonCursor) skip() error {
	k, err := c.peek()
	if err != nil {
		return err
	}
	if k != '{' && k != '[' {
		_, err := c.dec.ReadToken()
		return c.failOrNil(err)
	}
	depth := c.dec.StackDepth()
	for {
		if c.dec.StackDepth() > MaxDepth {
			return &syntaxError{line: c.lastLine(), msg: fmt.Sprintf("nested more than %d levels deep", MaxDepth)}
		}
		if _, err := c.dec.ReadToken(); err != nil {
			return c.fail(err)
		}
		if c.dec.StackDepth() == depth {
			return nil
		}
	}
}

// end checks that nothing but white space follows the document.
func (c *jsonCursor) end() error {
	k := c.dec.PeekKind()
	if k == 0 {
		if _, err := c.dec.ReadToken(); err != nil && !errors.Is(err, io.EOF) {
			return c.fail(err)
		}
		return nil
	}
	line := c.lines.line(c.dec.InputOffset())
	if k == '{' {
		return &syntaxError{line: line, msg: "invalid JSON: more than one value in the file (found '{' after it): several fact documents, one per line, are JSON Lines (--jsonl, or a .jsonl file)"}
	}
	return &syntaxError{line: line, msg: fmt.Sprintf("invalid JSON: more than one value in the file (found %q after it)", byte(k))}
}

// yamlCursor walks a yaml.v3 node tree as if it were read value by value;
// the items of a split customers list (lazy) are parsed as it reaches them.
type yamlCursor struct {
	stack []yamlFrame
	next  *yaml.Node // the value peek and the consuming methods see
	lazy  *lazyItems
}

type yamlFrame struct {
	n *yaml.Node
	i int
}

func newYAMLCursor(root *yaml.Node) *yamlCursor { return &yamlCursor{next: resolve(root)} }

// resolve follows YAML aliases to the node they stand for.
func resolve(n *yaml.Node) *yaml.Node {
	for n != nil && n.Kind == yaml.AliasNode {
		n = n.Alias
	}
	return n
}

func yamlKind(n *yaml.Node) byte {
	switch n.Kind {
	case yaml.MappingNode:
		return '{'
	case yaml.SequenceNode:
		return '['
	}
	switch n.ShortTag() {
	case "!!int", "!!float":
		return '0'
	case "!!bool":
		if strings.EqualFold(n.Value, "true") {
			return 't'
		}
		return 'f'
	case "!!null":
		return 'n'
	}
	return '"'
}

func (c *yamlCursor) peek() (byte, error) {
	if c.next == nil {
		return 0, &syntaxError{line: 1, msg: "internal: no value"}
	}
	return yamlKind(c.next), nil
}

func (c *yamlCursor) enter() (int, error) {
	n := c.next
	c.stack = append(c.stack, yamlFrame{n: n})
	c.next = nil
	return n.Line, nil
}

func (c *yamlCursor) key(known []string) (string, int, int, bool, error) {
	f := &c.stack[len(c.stack)-1]
	if f.i+1 >= len(f.n.Content) {
		c.stack = c.stack[:len(c.stack)-1]
		return "", -1, 0, false, nil
	}
	k, v := resolve(f.n.Content[f.i]), resolve(f.n.Content[f.i+1])
	f.i += 2
	c.next = v
	if k.Kind != yaml.ScalarNode {
		return "", -1, k.Line, true, &syntaxError{line: k.Line, msg: "a key must be a plain name"}
	}
	return k.Value, slices.Index(known, k.Value), k.Line, true, nil
}

func (c *yamlCursor) more() (bool, error) {
	f := &c.stack[len(c.stack)-1]
	if c.lazy != nil && f.n == c.lazy.list {
		n, ok, err := c.lazy.pull()
		if !ok {
			c.stack = c.stack[:len(c.stack)-1]
		}
		c.next = n
		return ok, err
	}
	if f.i >= len(f.n.Content) {
		c.stack = c.stack[:len(c.stack)-1]
		return false, nil
	}
	c.next = resolve(f.n.Content[f.i])
	f.i++
	return true, nil
}

func (c *yamlCursor) scalar() (scalar, error) {
	n := c.next
	c.next = nil
	return scalar{text: n.Value, kind: yamlKind(n), line: n.Line}, nil
}

func (c *yamlCursor) value() (scalar, error) { return next(c) }

func (c *yamlCursor) skip() error {
	c.next = nil
	return nil
}

// parseYAML reads a YAML document into nodes and checks its shape: one
// document, valid UTF-8 without NUL bytes, nesting at most MaxDepth deep
// and aliases that expand to no more than the file's own size.
func parseYAML(data []byte) (*yaml.Node, error) {
	if line, ok := badText(data); !ok {
		return nil, &syntaxError{line: line, msg: "invalid YAML: a NUL byte or invalid UTF-8"}
	}
	dec := yaml.NewDecoder(bytes.NewReader(data))
	var doc yaml.Node
	if err := dec.Decode(&doc); err != nil {
		if errors.Is(err, io.EOF) {
			return nil, &syntaxError{line: 1, msg: "the file is empty"}
		}
		return nil, yamlError(err, data)
	}
	var second yaml.Node
	if err := dec.Decode(&second); err == nil {
		return nil, &syntaxError{line: second.Line, msg: "a second YAML document: a fact file is one document (one partner); several partners are several files, or JSON Lines"}
	} else if !errors.Is(err, io.EOF) {
		return nil, yamlError(err, data)
	}
	if doc.Kind == 0 || len(doc.Content) == 0 {
		return nil, &syntaxError{line: 1, msg: "the file is empty"}
	}
	if err := checkShape(doc.Content[0]); err != nil {
		return nil, err
	}
	return doc.Content[0], nil
}

// badText finds a NUL byte or invalid UTF-8 and its line.
func badText(data []byte) (int, bool) {
	if utf8.Valid(data) && bytes.IndexByte(data, 0) < 0 {
		return 0, true
	}
	line := 1
	for i := 0; i < len(data); {
		r, size := utf8.DecodeRune(data[i:])
		if r == 0 || r == utf8.RuneError && size <= 1 {
			return line, false
		}
		if r == '\n' {
			line++
		}
		i += size
	}
	return line, true
}

// yamlError is yaml.v3's error of data as a syntax error at its line.
func yamlError(err error, data []byte) error {
	line, msg := YAMLSyntaxLine(err, data)
	return &syntaxError{line: max(line, 1), msg: "invalid YAML: " + msg}
}

// YAMLSyntaxLine is yamlErrorLine for a syntax error of data, with the
// line yaml.v3 gives moved to the line meant where it gives that of an
// enclosing collection.
func YAMLSyntaxLine(err error, data []byte) (int, string) {
	line, msg := yamlErrorLine(err)
	if strings.Contains(msg, "tab character") {
		// yaml.v3 gives the line before the tab's (that of the mapping it
		// breaks): the line meant is the first from there indented by one.
		line = tabLine(data, max(line, 1))
	}
	if msg == "did not find expected '-' indicator" {
		line = misindentedEntryLine(data, line)
	}
	return line, msg
}

// misindentedEntryLine: yaml.v3 places "did not find expected '-'
// indicator" at the first entry of the block list it breaks, which may be
// far above the line meant: the first after it indented deeper than the
// list's "-" but less deep than its entries' keys (a key one space short).
// It is line when no line is so indented.
func misindentedEntryLine(data []byte, line int) int {
	n, dash, content := 1, -1, -1
	for rest := data; len(rest) > 0; n++ {
		text, after, _ := bytes.Cut(rest, []byte("\n"))
		rest = after
		trimmed := bytes.TrimLeft(text, " ")
		indent := len(text) - len(trimmed)
		switch {
		case n < line:
			continue
		case n == line:
			if !bytes.HasPrefix(trimmed, []byte("- ")) {
				return line
			}
			dash, content = indent, indent+2+len(trimmed[2:])-len(bytes.TrimLeft(trimmed[2:], " "))
		case len(bytes.TrimSpace(trimmed)) == 0 || trimmed[0] == '#':
			continue
		case indent == dash && bytes.HasPrefix(trimmed, []byte("- ")):
			continue // the list's next entry
		case indent <= dash:
			return line
		case indent < content:
			return n
		}
	}
	return line
}

// tabLine is the first line from line on whose indentation holds a tab,
// or line when none does.
func tabLine(data []byte, line int) int {
	n := 1
	for rest := data; len(rest) > 0; n++ {
		text, after, _ := bytes.Cut(rest, []byte("\n"))
		rest = after
		if n < line {
			continue
		}
		indent := text[:len(text)-len(bytes.TrimLeft(text, " \t"))]
		if bytes.IndexByte(indent, '\t') >= 0 {
			return n
		}
	}
	return line
}

// checkShape refuses YAML that nests deeper than MaxDepth or whose aliases
// expand to far more values than the file holds (an "alias bomb"), before
// anything walks it.
func checkShape(root *yaml.Node) error { return checkShapeAt(root, 0) }

// checkShapeAt checks a node that sits depth levels down in its document.
func checkShapeAt(root *yaml.Node, depth int) error {
	raw := 0
	sizes := map[*yaml.Node]int{}
	var measure func(n *yaml.Node, depth int) (int, error)
	measure = func(n *yaml.Node, depth int) (int, error) {
		if depth > MaxDepth {
			return 0, &syntaxError{line: n.Line, msg: fmt.Sprintf("nested more than %d levels deep", MaxDepth)}
		}
		if n.Kind == yaml.AliasNode {
			if n.Alias == nil {
				return 0, &syntaxError{line: n.Line, msg: "an alias to nothing"}
			}
			if size, ok := sizes[n.Alias]; ok {
				if size < 0 {
					return 0, &syntaxError{line: n.Line, msg: "an alias refers to a value that contains it"}
				}
				return size, nil
			}
			return measure(n.Alias, depth)
		}
		if size, ok := sizes[n]; ok {
			if size < 0 {
				return 0, &syntaxError{line: n.Line, msg: "an alias refers to a value that contains it"}
			}
			return size, nil
		}
		// A long scalar weighs as much as the values it could have been,
		// written or expanded alike.
		size := 1 + len(n.Value)/64
		raw += size
		sizes[n] = -1
		for _, c := range n.Content {
			s, err := measure(c, depth+1)
			if err != nil {
				return 0, err
			}
			size += s
		}
		sizes[n] = size
		return size, nil
	}
	total, err := measure(root, depth)
	if err != nil {
		return err
	}
	if total > aliasExpansion*raw+aliasSlack {
		return &syntaxError{line: root.Line, msg: fmt.Sprintf("aliases expand the document to %d values from %d written: refused as an alias bomb", total, raw)}
	}
	return nil
}

// parserProblems are yaml.v3's parser errors (parserc.go), which it places
// by a 0-based line where its scanner's errors are 1-based: one line
// early ("people: [" reported for the "{id: a" under it).
var parserProblems = []string{
	"did not find expected <stream-start>", "did not find expected <document start>",
	"found undefined tag handle", "did not find expected node content",
	"did not find expected '-' indicator", "did not find expected key",
	"did not find expected ',' or ']'", "did not find expected ',' or '}'",
	"found duplicate %YAML directive", "found incompatible YAML document", "found duplicate %TAG directive",
}

// yamlErrorLine reads yaml.v3's syntax error "yaml: line N: msg" as its
// 1-based line (0 when it gives none) and message.
func yamlErrorLine(err error) (int, string) {
	msg := strings.TrimPrefix(err.Error(), "yaml: ")
	var line int
	if _, scanErr := fmt.Sscanf(msg, "line %d:", &line); scanErr != nil {
		return 0, msg
	}
	msg = strings.TrimSpace(msg[strings.Index(msg, ":")+1:])
	if slices.Contains(parserProblems, msg) {
		line++
	}
	return line, msg
}
