package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"evaluate/facts"
)

// source is one input after folders are expanded: a fact file, a JSON
// Lines file (one fact document per line) or stdin ("-").
type source struct {
	name  string
	jsonl bool
	// size is a regular file's size in bytes, for the progress bar (0:
	// unknown, as for stdin).
	size int64
	// err says why the input cannot be read: a missing file, a folder with
	// no fact files in it. It is reported in the input's place.
	err error
	// path is the file to read when it is not name: a fact file made from
	// Partner Center exports, named for its partner.
	path string
	// imported is set for a fact file made from exports.
	imported *imported
}

// imported is what a fact file made from Partner Center exports carries:
// the import's warnings about the partner's export rows, the result's
// beside the fact file's.
type imported struct{ warnings []facts.Problem }

// merge is the warnings of a result: the import's, then the fact file's.
func (im *imported) merge(ws []facts.Problem) []facts.Problem {
	if im == nil {
		return ws
	}
	return append(slices.Clone(im.warnings), ws...)
}

// unline drops the lines of a result's warnings about the fact file made
// (display): they are lines of a file the user never sees, all on its one
// line (their field paths still say where).
func (im *imported) unline(display string, r *report) {
	if im == nil || r == nil {
		return
	}
	drop := func(ps []facts.Problem) {
		for i := range ps {
			if ps[i].File == display {
				ps[i].Line = 0
			}
		}
	}
	drop(r.Problems)
	for _, x := range r.Results {
		drop(x.Problems)
	}
}

// display is how messages name the source.
func (s source) display() string {
	if s.name == "-" {
		return "<stdin>"
	}
	return s.name
}

// factFileKinds are the names a folder is searched for, and which of them
// hold JSON Lines.
var (
	singleExts = []string{".yaml", ".yml", ".json"}
	linesExts  = []string{".jsonl", ".ndjson"}
)

func isJSONLinesName(name string) bool {
	return slices.Contains(linesExts, strings.ToLower(filepath.Ext(name)))
}

func isYAMLName(name string) bool {
	ext := strings.ToLower(filepath.Ext(name))
	return ext == ".yaml" || ext == ".yml"
}

// isFactFile tells the files of a folder that are fact files: by their
// name, and not the expected results of golden cases.
func isFactFile(name string) bool {
	if strings.Contains(filepath.Base(name), ".expected.") {
		return false
	}
	ext := strings.ToLower(filepath.Ext(name))
	return slices.Contains(singleExts, ext) || slices.Contains(linesExts, ext)
}

// expandSources turns the command line's inputs into sources: each folder
// into the fact files in it, in name order (hidden folders skipped). A
// .jsonl or .ndjson file is JSON Lines; with jsonl, every input is.
// Problems (a missing path, a folder without fact files, a YAML file
// given as JSON Lines) become sources with an error, in their place, so
// that the other inputs are still read.
func expandSources(args []string, jsonl bool) []source {
	var out []source
	for _, p := range args {
		if p == "-" {
			out = append(out, source{name: p, jsonl: jsonl})
			continue
		}
		st, err := os.Stat(p)
		switch {
		case err != nil:
			out = append(out, source{name: p, err: unwrapPath(err)})
		case st.IsDir():
			out = append(out, folderSources(p, jsonl)...)
		default:
			out = append(out, fileSource(p, st, jsonl))
		}
	}
	return out
}

func fileSource(p string, st fs.FileInfo, jsonl bool) source {
	s := source{name: p, jsonl: jsonl || isJSONLinesName(p)}
	if st.Mode().IsRegular() {
		s.size = st.Size()
	}
	if jsonl && isYAMLName(p) {
		s.err = errors.New("a YAML fact file, not JSON Lines: --jsonl reads one JSON fact document per line (leave out --jsonl to score this file)")
	}
	return s
}

func folderSources(dir string, jsonl bool) []source {
	var found []source
	err := filepath.WalkDir(dir, func(f string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			if f != dir && strings.HasPrefix(d.Name(), ".") {
				return filepath.SkipDir
			}
			return nil
		}
		if !isFactFile(f) {
			return nil
		}
		st, err := d.Info()
		if err != nil {
			return err
		}
		if !st.Mode().IsRegular() {
			// A FIFO or device would block the batch or never end.
			found = append(found, source{name: f, err: fmt.Errorf("not a regular file (%s); only regular files in a folder are read", st.Mode().Type())})
			return nil
		}
		found = append(found, fileSource(f, st, jsonl))
		return nil
	})
	if err != nil {
		return []source{{name: dir, err: unwrapPath(err)}}
	}
	if len(found) == 0 {
		return []source{{name: dir, err: fmt.Errorf("no fact files in this folder (looked for %s)", strings.Join(append(slices.Clone(singleExts), linesExts...), ", "))}}
	}
	slices.SortFunc(found, func(a, b source) int { return strings.Compare(a.name, b.name) })
	return found
}

// totalSize is the bytes of all sources, or 0 when one is of unknown size.
func totalSize(srcs []source) int64 {
	var n int64
	for _, s := range srcs {
		if s.err == nil && s.size == 0 {
			return 0
		}
		n += s.size
	}
	return n
}

// lineReader reads a JSON Lines input one document at a time, with a bound
// on a line's length: an over-long line is skipped to its end and reported,
// and reading goes on with the next.
type lineReader struct {
	r    *bufio.Reader
	max  int64 // 0: no bound
	line int
	buf  []byte
}

// next returns the next non-blank line and its number; tooLong says the
// line was over the bound (and is not returned). err is io.EOF at the end.
func (lr *lineReader) next() (doc []byte, line int, tooLong bool, n int64, err error) {
	for {
		// n counts every byte consumed, blank lines before the document
		// included, for the progress bar.
		lr.buf = lr.buf[:0]
		lr.line++
		over := false
		var read int64
		for {
			chunk, err := lr.r.ReadSlice('\n')
			read += int64(len(chunk))
			if !over {
				if lr.max > 0 && int64(len(lr.buf)+len(chunk)) > lr.max+1 {
					over = true
					lr.buf = lr.buf[:0]
				} else {
					lr.buf = append(lr.buf, chunk...)
				}
			}
			if errors.Is(err, bufio.ErrBufferFull) {
				continue
			}
			if err != nil && (!errors.Is(err, io.EOF) || read == 0) {
				return nil, lr.line, false, n + read, err
			}
			break
		}
		n += read
		if over {
			return nil, lr.line, true, n, nil
		}
		if doc := bytes.TrimSpace(lr.buf); len(doc) > 0 {
			return doc, lr.line, false, n, nil
		}
	}
}

// readSource emits the documents of one source in order: the file itself,
// or each line of a JSON Lines input. A JSON Lines input whose first
// document is not one JSON value (a YAML file, a pretty-printed JSON file)
// is one error, not one per line; one with no document at all is an error
// too, so that an empty input never passes for "every partner qualified".
func (b *batch) readSource(ctx context.Context, s source, emit func(item) bool) bool {
	name := s.display()
	// bad is the item for a problem at a line of the source (0: the whole).
	bad := func(line int, size int64, err error) item {
		where := name
		if line > 0 {
			where = fmt.Sprintf("%s:%d", name, line)
		}
		return item{name: name, line: line, size: size, err: fmt.Errorf("%s: %w", where, err)}
	}
	switch {
	case s.err != nil:
		var ps facts.Problems
		if errors.As(s.err, &ps) {
			// Problems name their own files and lines (the exports').
			return emit(item{name: name, size: s.size, err: b.sc.capped(s.err)})
		}
		return emit(bad(0, 0, s.err))
	case s.path != "":
		return emit(item{name: name, path: s.path, size: s.size, imported: s.imported})
	case !s.jsonl:
		return emit(item{name: name, path: s.name, size: s.size})
	}
	var r io.Reader = b.sc.stdin
	if s.name != "-" {
		f, err := os.Open(s.name)
		if err != nil {
			return emit(bad(0, 0, unwrapPath(err)))
		}
		defer f.Close()
		r = f
	}
	lr := &lineReader{r: bufio.NewReaderSize(r, 1<<20), max: b.sc.maxBytes}
	docs := 0
	// A first line that is no JSON document is a whole input that is not
	// JSON Lines (one error, not one per line of a YAML file), unless the
	// line after it is one: then it is that line's error alone.
	type read struct {
		doc     []byte
		line    int
		tooLong bool
		n       int64
		err     error
	}
	var pending *read
	next := func() read {
		if pending != nil {
			r := *pending
			pending = nil
			return r
		}
		var r read
		r.doc, r.line, r.tooLong, r.n, r.err = lr.next()
		if r.line == 1 {
			r.doc = bytes.TrimPrefix(r.doc, []byte("\ufeff")) // a byte-order mark
		}
		return r
	}
	for ctx.Err() == nil {
		rd := next()
		doc, line, tooLong, n, err := rd.doc, rd.line, rd.tooLong, rd.n, rd.err
		switch {
		case errors.Is(err, io.EOF):
			if docs == 0 {
				return emit(bad(0, 0, errors.New("no fact documents: the JSON Lines input is empty")))
			}
			return true
		case err != nil:
			return emit(bad(line, 0, err))
		case tooLong:
			docs++
			if !emit(bad(line, n, fmt.Errorf("a document of %s is larger than --max-bytes %s", formatBytes(n), formatBytes(b.sc.maxBytes)))) {
				return false
			}
			continue
		}
		if docs == 0 && !json.Valid(doc) {
			second := next()
			if second.err != nil || second.tooLong || !json.Valid(second.doc) {
				return emit(bad(0, s.size, fmt.Errorf("not JSON Lines: line %d is not a JSON document of its own (a JSON Lines input holds one JSON fact document per line; a YAML or pretty-printed JSON file is scored without --jsonl)", line)))
			}
			pending = &second
			docs++
			if !emit(bad(line, n, errors.New("not a JSON document: a JSON Lines input holds one JSON fact document per line"))) {
				return false
			}
			continue
		}
		docs++
		buf := lineBuffers.Get().(*[]byte)
		*buf = append((*buf)[:0], doc...)
		if !emit(item{name: name, line: line, data: *buf, buf: buf, size: n}) {
			return false
		}
	}
	return false
}

// documents calls fn with every document of the inputs, in order, one at
// a time: for commands that look at each partner more than once.
func (s *scorer) documents(ctx context.Context, srcs []source, fn func(item)) {
	b := &batch{sc: s, shard: shard{0, 1}}
	ch := make(chan item)
	go b.read(ctx, srcs, ch)
	for it := range ch {
		fn(it)
	}
}

// readItem reads and validates a whole document.
func (s *scorer) readItem(it item) (*facts.File, error) {
	switch {
	case it.err != nil:
		return nil, it.err
	case it.data == nil:
		f, err := s.read(it.path, it.name)
		if f != nil {
			f.Warnings = it.imported.merge(f.Warnings)
		}
		return f, err
	}
	defer lineBuffers.Put(it.buf)
	f, err := facts.Parse(it.name, max(1, it.line), it.data, &s.bundle.Schema)
	return f, s.capped(err)
}
