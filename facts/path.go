package facts

import "strconv"

// fieldPath is where a value sits in a fact document, such as
// customers[3].workloads[0].usage[5].month. It is made into text only for a
// message: a file of millions of rows names a path only where it has a
// problem. The nil path is the document itself.
type fieldPath struct {
	parent *fieldPath
	key    string
	index  int // -1: a key
}

// root is the document's path.
var root *fieldPath

// Key is the path of a key of the value at p.
func (p *fieldPath) Key(k string) *fieldPath { return &fieldPath{parent: p, key: k, index: -1} }

// At is the path of an element of the list at p.
func (p *fieldPath) At(i int) *fieldPath { return &fieldPath{parent: p, index: i} }

// String is the path as messages write it.
func (p *fieldPath) String() string {
	if p == nil {
		return ""
	}
	return string(p.append(nil))
}

func (p *fieldPath) append(b []byte) []byte {
	if p == nil {
		return b
	}
	b = p.parent.append(b)
	if p.index >= 0 {
		b = append(b, '[')
		b = strconv.AppendInt(b, int64(p.index), 10)
		return append(b, ']')
	}
	if len(b) > 0 {
		b = append(b, '.')
	}
	return append(b, p.key...)
}
