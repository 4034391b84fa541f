package pcenter

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"
	"unsafe"

	"evaluate/facts"
)

// row is what one export row says of a tenant, kept until every row of
// the tenant is together: its association (type, tier, month, a claim's
// date) and, unless it names no entry, the entry's key and measures.
type row struct {
	partner, tenant, name string
	atype                 string // the bundle's attribution type
	claim                 facts.Date
	key                   string // the entry's keys, joined by NUL
	tier                  int64
	series                int8 // the schema's series, by index; -1: no entry
	rec
}

// compareRows orders rows by partner, tenant, entry, month, Partner Center
// type, and then as they were read: the order the fact file is made in.
func compareRows(a, b *row) int {
	if c := strings.Compare(a.partner, b.partner); c != 0 {
		return c
	}
	if c := strings.Compare(a.tenant, b.tenant); c != 0 {
		return c
	}
	if a.series != b.series {
		return int(a.series) - int(b.series)
	}
	if c := strings.Compare(a.key, b.key); c != 0 {
		return c
	}
	switch {
	case a.month != b.month:
		return int(a.month - b.month)
	case a.typ != b.typ:
		return int(a.typ) - int(b.typ)
	case a.file != b.file:
		return int(a.file - b.file)
	}
	return int(a.line - b.line)
}

// DefaultRunBytes is how much memory the rows read may take before they
// are sorted and written to a temporary file (a run); the runs are merged
// when the fact files are made. Memory is then bounded by this and one
// tenant's rows, whatever the size of the exports.
const DefaultRunBytes = 32 << 20

// spill holds the rows read: in memory up to a budget, then as sorted runs
// in temporary files.
type spill struct {
	dir    string // "" for the system's temporary folder
	budget int
	rows   []row
	size   int
	intern map[string]string
	runs   []*os.File
	buf    []byte
}

var rowSize = int(unsafe.Sizeof(row{}))

// str is s as a string the rows may keep: one copy per distinct value in
// a run (the CSV reader's fields share one string per line, which keeping
// a field would keep whole).
func (s *spill) str(v string) string {
	if v == "" {
		return ""
	}
	if k, ok := s.intern[v]; ok {
		return k
	}
	if s.intern == nil {
		s.intern = map[string]string{}
	}
	k := strings.Clone(v)
	s.intern[k] = k
	s.size += len(k) + 48 // the string and its map entry, about
	return k
}

// strBytes is str of bytes, without a string made for a value seen.
func (s *spill) strBytes(b []byte) string {
	if k, ok := s.intern[string(b)]; ok {
		return k
	}
	return s.str(string(b))
}

func (s *spill) add(r row) error {
	r.partner, r.tenant, r.name, r.key = s.str(r.partner), s.str(r.tenant), s.str(r.name), s.str(r.key)
	r.claim = facts.Date(s.str(string(r.claim)))
	s.rows = append(s.rows, r)
	s.size += rowSize
	if s.size >= s.budget {
		return s.flush()
	}
	return nil
}

// flush sorts the rows in memory and writes them to a new run.
func (s *spill) flush() error {
	slices.SortFunc(s.rows, func(a, b row) int { return compareRows(&a, &b) })
	f, err := os.CreateTemp(s.dir, "evaluate-import-*")
	if err != nil {
		return fmt.Errorf("the rows read pass %d MiB and go to temporary files, but one cannot be made (the folder is $TMPDIR, else /tmp): %v", s.budget>>20, err)
	}
	// The run needs no name once open; where a file cannot be removed
	// while open, close removes it.
	os.Remove(f.Name())
	s.runs = append(s.runs, f)
	w := bufio.NewWriterSize(f, 1<<16)
	for i := range s.rows {
		s.buf = appendRow(s.buf[:0], &s.rows[i])
		w.Write(s.buf)
	}
	if err := w.Flush(); err != nil {
		return fmt.Errorf("spill the rows read to %s: %v", f.Name(), err)
	}
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		return err
	}
	clear(s.rows)
	s.rows, s.size, s.intern = s.rows[:0], 0, nil
	return nil
}

// close ends the spill and removes its runs.
func (s *spill) close() {
	for _, f := range s.runs {
		f.Close()
		os.Remove(f.Name())
	}
	s.runs, s.rows = nil, nil
}

func appendString(b []byte, s string) []byte {
	b = binary.AppendUvarint(b, uint64(len(s)))
	return append(b, s...)
}

// appendRow writes a row of a run: its strings with their lengths, its
// numbers as varints.
func appendRow(b []byte, r *row) []byte {
	for _, s := range [...]string{r.partner, r.tenant, r.name, r.atype, string(r.claim), r.key} {
		b = appendString(b, s)
	}
	b = binary.AppendVarint(b, r.tier)
	b = append(b, byte(r.series), r.has)
	if r.sum {
		b = append(b, 1)
	} else {
		b = append(b, 0)
	}
	b = binary.AppendVarint(b, int64(r.month))
	b = binary.AppendUvarint(b, uint64(r.typ))
	for i := range maxMeasures {
		if r.has&(1<<i) != 0 {
			b = binary.AppendVarint(b, r.vals[i])
		}
	}
	b = binary.AppendUvarint(b, uint64(r.file))
	return binary.AppendUvarint(b, uint64(r.line))
}

// runReader reads the rows of a run back.
type runReader struct {
	br      *bufio.Reader
	err     error
	strs    []byte
	partner string // the last partner read: runs hold few
}

func (rr *runReader) uvarint() uint64 {
	v, err := binary.ReadUvarint(rr.br)
	if err != nil && rr.err == nil {
		rr.err = err
	}
	return v
}

func (rr *runReader) varint() int64 {
	v, err := binary.ReadVarint(rr.br)
	if err != nil && rr.err == nil {
		rr.err = err
	}
	return v
}

func (rr *runReader) byte() byte {
	c, err := rr.br.ReadByte()
	if err != nil && rr.err == nil {
		rr.err = err
	}
	return c
}

func (rr *runReader) string() string {
	n := rr.uvarint()
	if rr.err != nil || n == 0 {
		return ""
	}
	if n > 1<<30 {
		rr.err = errors.New("a damaged run")
		return ""
	}
	rr.strs = slices.Grow(rr.strs[:0], int(n))[:n]
	if _, err := io.ReadFull(rr.br, rr.strs); err != nil {
		rr.err = err
		return ""
	}
	return string(rr.strs)
}

// next reads a row; false at the end of the run.
func (rr *runReader) next(r *row) (bool, error) {
	if _, err := rr.br.Peek(1); err == io.EOF {
		return false, nil
	}
	*r = row{}
	r.partner = rr.string()
	if r.partner == rr.partner {
		r.partner = rr.partner
	} else {
		rr.partner = r.partner
	}
	r.tenant, r.name, r.atype, r.claim, r.key = rr.string(), rr.string(), rr.string(), facts.Date(rr.string()), rr.string()
	r.tier = rr.varint()
	r.series, r.has = int8(rr.byte()), rr.byte()
	r.sum = rr.byte() == 1
	r.month = facts.Month(rr.varint())
	r.typ = uint16(rr.uvarint())
	for i := range maxMeasures {
		if r.has&(1<<i) != 0 {
			r.vals[i] = rr.varint()
		}
	}
	r.file, r.line = int32(rr.uvarint()), int32(rr.uvarint())
	if rr.err != nil {
		return false, fmt.Errorf("read back the rows spilled to a temporary file: %v", rr.err)
	}
	return true, nil
}

// merger gives the rows of every run, and those still in memory, in
// order: a k-way merge over a heap of the runs' next rows.
type merger struct {
	heads []head
	err   error // the first run that could not be read back
}

type head struct {
	r    row
	next func(*row) (bool, error)
}

// merge starts reading the rows back in order.
func (s *spill) merge() (*merger, error) {
	slices.SortFunc(s.rows, func(a, b row) int { return compareRows(&a, &b) })
	m := &merger{}
	for _, f := range s.runs {
		rr := &runReader{br: bufio.NewReaderSize(f, 1<<16)}
		if err := m.push(rr.next); err != nil {
			return nil, err
		}
	}
	rows := s.rows
	if err := m.push(func(r *row) (bool, error) {
		if len(rows) == 0 {
			return false, nil
		}
		*r, rows = rows[0], rows[1:]
		return true, nil
	}); err != nil {
		return nil, err
	}
	return m, nil
}

func (m *merger) push(next func(*row) (bool, error)) error {
	h := head{next: next}
	ok, err := next(&h.r)
	if err != nil || !ok {
		return err
	}
	m.heads = append(m.heads, h)
	m.up(len(m.heads) - 1)
	return nil
}

// peek is the next row (nil at the end).
func (m *merger) peek() *row {
	if len(m.heads) == 0 {
		return nil
	}
	return &m.heads[0].r
}

// pop drops the next row, reading its run's following one.
func (m *merger) pop() error {
	h := &m.heads[0]
	ok, err := h.next(&h.r)
	if err != nil {
		m.err = err
		return err
	}
	if !ok {
		last := len(m.heads) - 1
		m.heads[0] = m.heads[last]
		m.heads = m.heads[:last]
	}
	m.down(0)
	return nil
}

func (m *merger) up(i int) {
	for i > 0 {
		p := (i - 1) / 2
		if compareRows(&m.heads[i].r, &m.heads[p].r) >= 0 {
			return
		}
		m.heads[i], m.heads[p] = m.heads[p], m.heads[i]
		i = p
	}
}

func (m *merger) down(i int) {
	for {
		l, small := 2*i+1, i
		if l < len(m.heads) && compareRows(&m.heads[l].r, &m.heads[small].r) < 0 {
			small = l
		}
		if r := l + 1; r < len(m.heads) && compareRows(&m.heads[r].r, &m.heads[small].r) < 0 {
			small = r
		}
		if small == i {
			return
		}
		m.heads[i], m.heads[small] = m.heads[small], m.heads[i]
		i = small
	}
}

// tenant appends the rows of the next tenant of partner id to rows; false
// when the partner has no more.
func (m *merger) tenant(id string, rows []row) ([]row, bool, error) {
	first := m.peek()
	if first == nil || first.partner != id {
		return rows, false, nil
	}
	tid := first.tenant
	for r := m.peek(); r != nil && r.partner == id && r.tenant == tid; r = m.peek() {
		rows = append(rows, *r)
		if err := m.pop(); err != nil {
			return rows, false, err
		}
	}
	return rows, true, nil
}

// tenants calls fn with the rows of each tenant of partner id in turn.
func (m *merger) tenants(id string, fn func(rows []row) error) error {
	var rows []row
	for {
		var more bool
		var err error
		if rows, more, err = m.tenant(id, rows[:0]); err != nil || !more {
			return err
		}
		if err := fn(rows); err != nil {
			return err
		}
	}
}

// skip drops the rows of partners before id (those not imported).
func (m *merger) skip(id string) error {
	for r := m.peek(); r != nil && r.partner < id; r = m.peek() {
		if err := m.pop(); err != nil {
			return err
		}
	}
	return nil
}
