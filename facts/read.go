package facts

import (
	"bufio"
	"bytes"
	"errors"
	"io"
	"path/filepath"
	"sort"
	"strings"
	"sync"
)

// IsJSON tells a JSON fact file from YAML: by the name (".json"), or else by
// a '{' first in head, the file's first bytes.
func IsJSON(name string, head []byte) bool {
	trimmed := strings.TrimLeft(string(head[:min(len(head), 64)]), " \t\r\n\ufeff")
	return strings.EqualFold(filepath.Ext(name), ".json") || strings.HasPrefix(trimmed, "{")
}

// Parse validates one whole fact file. name is used in messages and to
// tell JSON from YAML (see IsJSON); firstLine numbers its first line (for
// a line of JSON Lines). On any problem it returns Problems listing all of
// them, and no File.
func Parse(name string, firstLine int, data []byte, schema *Schema) (*File, error) {
	if IsJSON(name, data) {
		var customers []Customer
		f, err := readJSON(name, firstLine, bytes.NewReader(data), schema, func(_ *File, _ int, c *Customer) {
			customers = append(customers, *c)
		})
		if err != nil {
			return nil, err
		}
		f.Customers = customers
		return f, nil
	}
	var customers []Customer
	f, err := readYAML(name, data, schema, func() { customers = nil }, func(_ *File, _ int, c *Customer) {
		customers = append(customers, *c)
	})
	if err != nil {
		return nil, err
	}
	f.Customers = customers
	return f, nil
}

// readYAML reads a YAML fact document, handing each customer to onCustomer
// as it is validated; the items of its customers list are parsed as they
// are reached and dropped once read (parseYAMLSplit). A document whose
// items do not parse alone is read again whole, after reset (the customers
// handed on so far are to be dropped), so that it reports what a whole
// parse does.
func readYAML(name string, data []byte, schema *Schema, reset func(), onCustomer func(*File, int, *Customer)) (*File, error) {
	root, lazy, err := parseYAMLSplit(data)
	if err != nil {
		return nil, problemsOf(name, err)
	}
	v := &validator{file: name, schema: schema}
	f := &File{Name: name}
	err = v.document(&yamlCursor{next: resolve(root), lazy: lazy}, f, onCustomer)
	// The split is trusted only when every item was read: a validator that
	// stopped early, or skipped the list, has not seen a later item's
	// syntax error that the whole parse reports.
	if lazy == nil || lazy.readAll() {
		return v.finish(f, err)
	}
	reset()
	if root, err = parseYAML(data); err != nil {
		return nil, problemsOf(name, err)
	}
	v = &validator{file: name, schema: schema}
	f = &File{Name: name}
	return v.finish(f, v.document(newYAMLCursor(root), f, onCustomer))
}

// problemsOf turns a reading error into the file's problems.
func problemsOf(name string, err error) error {
	var se *syntaxError
	if errors.As(err, &se) {
		return Problems{{File: name, Line: se.line, Message: se.msg}}
	}
	var ps Problems
	if errors.As(err, &ps) {
		return ps
	}
	return Problems{{File: name, Message: err.Error()}}
}

// finish returns the file, or every problem found in line order.
func (v *validator) finish(f *File, err error) (*File, error) {
	if err != nil {
		return nil, problemsOf(v.file, err)
	}
	if len(v.problems) > 0 {
		sort.SliceStable(v.problems, func(i, j int) bool { return v.problems[i].Line < v.problems[j].Line })
		return nil, v.problems
	}
	f.Warnings = v.warnings
	return f, nil
}

// jsonReaders are the read buffers of readJSON: a population is
// thousands of documents, each read in a call, and a new buffer of 64 KiB
// each was 4% of the bytes it allocated. The decoder copies from it, so
// nothing read refers to it after the call.
var jsonReaders = sync.Pool{New: func() any { return bufio.NewReaderSize(nil, 1<<16) }}

// readJSON reads a JSON fact document, a token at a time, handing each
// customer to onCustomer as it is read.
func readJSON(name string, firstLine int, r io.Reader, schema *Schema, onCustomer func(*File, int, *Customer)) (*File, error) {
	br := jsonReaders.Get().(*bufio.Reader)
	br.Reset(r)
	defer func() {
		br.Reset(nil)
		jsonReaders.Put(br)
	}()
	// Exports from spreadsheets often start with a UTF-8 byte order mark.
	if b, _ := br.Peek(3); string(b) == "\ufeff" {
		br.Discard(3)
	}
	c := newJSONCursor(br, firstLine)
	v := &validator{file: name, schema: schema}
	f := &File{Name: name}
	k, err := c.peek()
	if err == nil && k == 0 {
		err = &syntaxError{line: firstLine, msg: "the file is empty"}
	}
	if err != nil {
		var se *syntaxError
		if errors.As(err, &se) && strings.Contains(se.msg, "ends before") && c.lines.read <= 3 {
			err = &syntaxError{line: firstLine, msg: "the file is empty"}
		}
		return v.finish(f, err)
	}
	if k != '{' {
		s, err := consume(c, k)
		if err != nil {
			return v.finish(f, err)
		}
		return v.finish(f, &syntaxError{line: s.line, msg: "invalid JSON: a fact file is an object {...}, found " + describe(s)})
	}
	err = v.document(c, f, onCustomer)
	if err == nil {
		err = c.end()
	}
	return v.finish(f, err)
}

// Stream reads a JSON fact file from r a customer at a time and windows
// each customer as soon as it is read, so that memory holds only the
// months the rules look at, however many months or tenants the file has.
// That needs the reporting month before the customers: from opts, or a
// "month" key ahead of "customers" (as `evaluate gen` writes); otherwise
// the customers are kept to the end of the file and windowed then. With
// onTenant, each windowed tenant of a file without problems so far is
// handed to it rather than kept in the Window; a file found bad later must
// then be dropped by the caller, as Stream returns its problems.
func Stream(name string, firstLine int, r io.Reader, schema *Schema, opts WindowOptions, onTenant func(Month, Customer)) (*File, *Window, error) {
	wr := &windower{opts: opts, onTenant: onTenant}
	f, err := readJSON(name, firstLine, r, schema, wr.add)
	if err != nil {
		return nil, nil, err
	}
	return wr.window(f)
}

// StreamYAML reads a YAML fact file (data, whole) and windows each
// customer as it is read, as Stream does a JSON file: the document's
// nodes are parsed and dropped an item of its customers list at a time,
// so memory holds the text and the windowed tenants.
func StreamYAML(name string, data []byte, schema *Schema, opts WindowOptions) (*File, *Window, error) {
	wr := &windower{opts: opts}
	f, err := readYAML(name, data, schema, wr.reset, wr.add)
	if err != nil {
		return nil, nil, err
	}
	return wr.window(f)
}

// windower windows the customers of a file as they are read (Stream).
type windower struct {
	opts     WindowOptions
	onTenant func(Month, Customer)
	pending  []Customer // customers read before the month is known
	held     bool
	kept     []Customer
	keep     keeper
	month    Month
	ready    bool
}

func (wr *windower) add(f *File, _ int, c *Customer) {
	if !wr.ready && !wr.held {
		if m, ok := monthBefore(f, wr.opts); ok {
			wr.keep, wr.month, wr.ready = wr.opts.Needs.keeper(m), m, true
		} else {
			wr.held = true
		}
	}
	switch {
	case wr.held:
		wr.pending = append(wr.pending, *c)
	case wr.onTenant != nil:
		wr.onTenant(wr.month, wr.keep.tenantInPlace(c))
	default:
		wr.kept = append(wr.kept, wr.keep.tenantInPlace(c))
	}
}

// reset drops what was read (a file read again from its start).
func (wr *windower) reset() { *wr = windower{opts: wr.opts, onTenant: wr.onTenant} }

// window is the file's window once it has been read.
func (wr *windower) window(f *File) (*File, *Window, error) {
	if wr.held {
		f.Customers = wr.pending
		w, err := f.Window(wr.opts)
		f.Customers = nil
		return f, w, err
	}
	m, ok := f.reportingMonth(wr.opts)
	if !ok {
		return nil, nil, f.noMonth()
	}
	w := f.newWindow(wr.opts, m)
	w.Tenants = wr.kept
	return f, w, nil
}

// monthBefore is the reporting month when it is known before the
// customers are: from opts or the file's month key.
func monthBefore(f *File, opts WindowOptions) (Month, bool) {
	switch {
	case opts.HasMonth:
		return opts.Month, true
	case f.HasMonth:
		return f.Month, true
	}
	return 0, false
}
