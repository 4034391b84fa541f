package facts

import (
	"bytes"
	"errors"
	"runtime"
	"strings"
	"sync"

	"gopkg.in/yaml.v3"
)

// A YAML fact file is mostly its customers: a block list under a top-level
// "customers:" key, one item per tenant. yaml.v3 parses a document on one
// thread and slowly (about 100 times slower than JSON), so such a list is
// cut into its items, each parsed on its own and in parallel, and the
// nodes put back in the document: the same nodes, lines and problems as a
// whole parse. A document that does not allow it (flow style, anchors or
// aliases, tabs in indentation) is parsed whole.

// yamlChunk is one item of the customers list: its text and first line.
type yamlChunk struct {
	text []byte
	line int
}

// mayHaveAnchors tells whether data has what may be a YAML anchor or
// alias: & or * at the start or after white space, [, { or a comma, and
// before anything but white space. Inside a quoted string it is a false
// alarm, which only costs the split. (The regular expression this was,
// (^|[\s\[{,])[&*][^\s], took 3.5 s on a 95 MB file.)
func mayHaveAnchors(data []byte) bool {
	for i := 0; i < len(data); i++ {
		j := bytes.IndexAny(data[i:], "&*")
		if j < 0 {
			return false
		}
		i += j
		if (i == 0 || isRegexpSpace(data[i-1]) || strings.IndexByte("[{,", data[i-1]) >= 0) &&
			i+1 < len(data) && !isRegexpSpace(data[i+1]) {
			return true
		}
	}
	return false
}

// isRegexpSpace is what \s matches in Go's regular expressions: space,
// tab, newline, form feed, return.
func isRegexpSpace(c byte) bool {
	return c == ' ' || c == '\t' || c == '\n' || c == '\f' || c == '\r'
}

// splitCustomers cuts data into a frame (the document with the customers'
// lines blank and "customers: []" in their place, so every other line keeps
// its number) and the items of the customers list; ok is false when the
// document is not written so that this is safe.
func splitCustomers(data []byte) (frame []byte, items []yamlChunk, ok bool) {
	if mayHaveAnchors(data) {
		return nil, nil, false
	}
	var starts []int // offsets of line starts
	for i := 0; i < len(data); {
		starts = append(starts, i)
		j := bytes.IndexByte(data[i:], '\n')
		if j < 0 {
			break
		}
		i += j + 1
	}
	line := func(k int) []byte {
		end := len(data)
		if k+1 < len(starts) {
			end = starts[k+1]
		}
		return bytes.TrimRight(data[starts[k]:end], "\r\n")
	}
	key := -1
	for k := range starts {
		l := line(k)
		if bytes.HasPrefix(l, []byte("customers:")) {
			rest := bytes.TrimSpace(l[len("customers:"):])
			if key >= 0 || len(rest) > 0 && rest[0] != '#' {
				return nil, nil, false // twice, or a value on the line
			}
			key = k
		}
	}
	if key < 0 {
		return nil, nil, false
	}
	indent := -1
	first, end := -1, len(starts)
	for k := key + 1; k < len(starts); k++ {
		l := line(k)
		t := bytes.TrimLeft(l, " ")
		if len(t) == 0 || t[0] == '#' {
			continue
		}
		if bytes.IndexByte(l[:len(l)-len(t)], '\t') >= 0 || bytes.HasPrefix(t, []byte("\t")) {
			return nil, nil, false
		}
		n := len(l) - len(t)
		isItem := t[0] == '-' && (len(t) == 1 || t[1] == ' ')
		if indent < 0 {
			if !isItem {
				return nil, nil, false // not a block list
			}
			indent, first = n, k
			items = append(items, yamlChunk{line: k + 1})
			continue
		}
		switch {
		case n == indent && isItem:
			items = append(items, yamlChunk{line: k + 1})
		case n < indent || n == indent:
			end = k
		}
		if end != len(starts) {
			break
		}
	}
	if len(items) == 0 {
		return nil, nil, false
	}
	offset := func(k int) int {
		if k < len(starts) {
			return starts[k]
		}
		return len(data)
	}
	for i := range items {
		stop := end
		if i+1 < len(items) {
			stop = items[i+1].line - 1
		}
		items[i].text = data[offset(items[i].line-1):offset(stop)]
	}
	frame = make([]byte, 0, offset(first)+len(data)-offset(end)+(end-first))
	frame = append(frame, data[:starts[key]]...)
	frame = append(frame, "customers: []\n"...)
	frame = append(frame, data[offset(key+1):offset(first)]...)
	frame = append(frame, bytes.Repeat([]byte{'\n'}, end-first)...)
	frame = append(frame, data[offset(end):]...)
	return frame, items, true
}

// parseYAMLSplit parses a document by its customers' items (see above),
// or whole when it cannot be split. The items are parsed as the cursor
// reaches them (lazyItems), a batch at a time in parallel, and dropped once
// read: a large file's nodes are never all in memory. The cursor stops at
// an item that does not parse as the whole would; the caller then reads
// the document whole (readYAML).
func parseYAMLSplit(data []byte) (*yaml.Node, *lazyItems, error) {
	const minItems = 64 // below that, one parse is as quick
	if line, ok := badText(data); !ok {
		return nil, nil, &syntaxError{line: line, msg: "invalid YAML: a NUL byte or invalid UTF-8"}
	}
	frame, items, ok := splitCustomers(data)
	if !ok || len(items) < minItems {
		root, err := parseYAML(data)
		return root, nil, err
	}
	root, err := parseYAML(frame)
	if err != nil {
		return nil, nil, err
	}
	var list *yaml.Node
	for i := 0; i+1 < len(root.Content); i += 2 {
		if root.Kind == yaml.MappingNode && root.Content[i].Value == "customers" {
			list = root.Content[i+1]
		}
	}
	if list == nil || list.Kind != yaml.SequenceNode {
		root, err := parseYAML(data)
		return root, nil, err
	}
	list.Line = items[0].line // a block list starts at its first dash
	return root, &lazyItems{list: list, items: items}, nil
}

// lazyItems are the customers' items of a split document, parsed as they
// are read.
type lazyItems struct {
	list  *yaml.Node // the frame's (empty) customers list
	items []yamlChunk
	batch []*yaml.Node
	errs  []error
	start int // the index of batch[0]
	// next is the index of the next item: it stays at an item that did
	// not parse alone (a syntax error or a wrong cut, which the whole
	// document reports as it should), so the split was read through when
	// it reaches the end (readAll).
	next int
}

// readAll tells whether every item was read, each parsed alone.
func (l *lazyItems) readAll() bool { return l.next == len(l.items) }

// itemBatch is how many items are parsed together, in parallel.
const itemBatch = 256

// pull is the next item; ok is false after the last.
func (l *lazyItems) pull() (n *yaml.Node, ok bool, err error) {
	if l.next >= len(l.items) {
		return nil, false, nil
	}
	if l.next >= l.start+len(l.batch) {
		l.fill()
	}
	i := l.next - l.start
	if l.errs[i] != nil {
		return nil, false, errSplitFailed
	}
	n, l.batch[i] = l.batch[i], nil
	l.next++
	return n, true, nil
}

// errSplitFailed stops a cursor at an item that did not parse alone.
var errSplitFailed = &syntaxError{line: 1, msg: "internal: an item of the customers list did not parse alone"}

func (l *lazyItems) fill() {
	l.start = l.next
	n := min(itemBatch, len(l.items)-l.start)
	l.batch, l.errs = make([]*yaml.Node, n), make([]error, n)
	workers := runtime.GOMAXPROCS(0)
	var wg sync.WaitGroup
	for w := range workers {
		wg.Go(func() {
			for i := w; i < n; i += workers {
				l.batch[i], l.errs[i] = parseItem(l.items[l.start+i])
			}
		})
	}
	wg.Wait()
}

var errNotOneItem = errors.New("not one list item")

// parseItem parses one item of the customers list, with its lines
// numbered as in the whole document and its shape checked as there (two
// levels deep: the document, then the list).
func parseItem(ch yamlChunk) (*yaml.Node, error) {
	var doc yaml.Node
	if err := yaml.Unmarshal(ch.text, &doc); err != nil {
		se := yamlError(err, ch.text).(*syntaxError)
		se.line += ch.line - 1
		return nil, se
	}
	if doc.Kind != yaml.DocumentNode || len(doc.Content) != 1 || doc.Content[0].Kind != yaml.SequenceNode || len(doc.Content[0].Content) != 1 {
		return nil, errNotOneItem
	}
	item := doc.Content[0].Content[0]
	renumber(item, ch.line-1)
	if err := checkShapeAt(item, 2); err != nil {
		return nil, err
	}
	return item, nil
}

// renumber moves a node's lines by delta.
func renumber(n *yaml.Node, delta int) {
	n.Line += delta
	for _, c := range n.Content {
		renumber(c, delta)
	}
}
