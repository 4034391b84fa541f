package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"

	"evaluate/engine"
	"evaluate/facts"
)

// batch scores every document of the inputs, in parallel with the policies
// compiled once, and hands the outcomes on in input order. One document,
// or a whole population: the CLI scores everything through it.
type batch struct {
	sc    *scorer
	jobs  int
	shard shard
	// seen counts the documents of the input, every shard's (set by read
	// before it closes its channel, so run's caller may read it).
	seen int
	// unread counts those that are an input's error (an empty file),
	// not a partner's document.
	unread int
}

// shard selects a deterministic subset of a population: the items whose
// position in the input, counted from 0, is Index modulo Count. Run with the
// same input, the shards 0/n .. n-1/n together are the whole population.
type shard struct{ Index, Count int }

func parseShard(s string) (shard, error) {
	if s == "" {
		return shard{0, 1}, nil
	}
	a, b, ok := strings.Cut(s, "/")
	i, err1 := strconv.Atoi(a)
	n, err2 := strconv.Atoi(b)
	if !ok || err1 != nil || err2 != nil || n < 1 || i < 0 || i >= n {
		return shard{}, fmt.Errorf("--shard %q: want i/n with 0 <= i < n, e.g. 0/4", s)
	}
	return shard{i, n}, nil
}

// item is one partner to score: a file, or one line of a JSON Lines
// input; or an input that could not be read, in its place.
type item struct {
	index    int
	name     string // the input as messages name it
	path     string // a fact file to read; "" for a JSON Lines document
	line     int    // for JSON Lines, the document's line
	data     []byte // the document, for JSON Lines
	buf      *[]byte
	size     int64     // bytes of input the item stands for, for the progress bar
	err      error     // why the item could not be read
	imported *imported // for a fact file made from exports
}

// lineBuffers hold JSON Lines documents between the reader and the workers;
// each goes back once its partner is read, so a population of any size
// reuses a handful of them.
var lineBuffers = sync.Pool{New: func() any { return new([]byte) }}

// outcome is an item's result or error.
type outcome struct {
	item
	result *report
}

// where names the outcome's input for messages: the file, or file:line.
func (o *outcome) where() string {
	if o.line > 0 {
		return fmt.Sprintf("%s:%d", o.name, o.line)
	}
	return o.name
}

// read sends every document of the inputs, in order, to out; the shard
// keeps its own.
func (b *batch) read(ctx context.Context, srcs []source, out chan<- item) {
	k, unread := 0, 0
	defer func() { b.seen, b.unread = k, unread; close(out) }()
	emit := func(it item) bool {
		defer func() { k++ }()
		if it.err != nil && it.line == 0 && it.path == "" {
			unread++
		}
		if k%b.shard.Count != b.shard.Index {
			if it.buf != nil {
				lineBuffers.Put(it.buf) // another shard's partner
			}
			return true
		}
		it.index = k
		select {
		case out <- it:
			return true
		case <-ctx.Done():
			return false
		}
	}
	for _, s := range srcs {
		if !b.readSource(ctx, s, emit) {
			return
		}
	}
}

// run scores every document with b.jobs workers and calls emit with the
// outcomes in input order. Reading problems are outcomes too, so nothing
// is shared between the reader and the caller but the channels.
func (b *batch) run(ctx context.Context, srcs []source, emit func(outcome)) {
	jobs := b.jobs
	if jobs <= 0 {
		jobs = runtime.GOMAXPROCS(0)
	}
	items := make(chan item, jobs*2)
	results := make(chan outcome, jobs*2)
	go b.read(ctx, srcs, items)
	var wg sync.WaitGroup
	for range jobs {
		wg.Go(func() {
			for it := range items {
				results <- b.score(ctx, it)
			}
		})
	}
	go func() { wg.Wait(); close(results) }()
	// Reorder: hold outcomes until every earlier one has been emitted.
	pending := map[int]outcome{}
	next := b.shard.Index
	for o := range results {
		pending[o.index] = o
		for {
			p, ok := pending[next]
			if !ok {
				break
			}
			delete(pending, next)
			emit(p)
			next += b.shard.Count
		}
	}
}

func (b *batch) score(ctx context.Context, it item) outcome {
	switch {
	case it.err != nil:
		return outcome{item: it}
	case it.data == nil:
		r, err := b.sc.file(ctx, it.path, it.name, it.imported)
		it.err = err
		return outcome{item: it, result: r}
	}
	f, w, err := facts.Stream(it.name, max(1, it.line), bytes.NewReader(it.data), &b.sc.bundle.Schema, b.sc.windowOpts(), nil)
	if it.buf != nil {
		lineBuffers.Put(it.buf) // nothing read refers into it
	}
	it.data, it.buf = nil, nil
	if err != nil {
		it.err = b.sc.capped(err)
		return outcome{item: it}
	}
	r, err := b.sc.score1(ctx, f, w, nil)
	if r != nil {
		r.setLine(it.name, it.line)
	}
	it.err = err
	return outcome{item: it, result: r}
}

// errorRecord is a document that was not scored, as JSON output shows it in
// the document's place: its input, its line (for JSON Lines) and every
// problem found.
type errorRecord struct {
	File   string          `json:"file"`
	Line   int             `json:"line,omitempty"`
	Errors []facts.Problem `json:"errors"`
}

// where names the record's input: the file, or file:line.
func (e *errorRecord) where() string {
	if e.Line > 0 {
		return fmt.Sprintf("%s:%d", e.File, e.Line)
	}
	return e.File
}

func (o *outcome) errorRecord() *errorRecord {
	rec := &errorRecord{File: o.name, Line: o.line}
	var ps facts.Problems
	if errors.As(o.err, &ps) {
		// A problem of a JSON Lines document as a whole (no month) is at
		// the document's line.
		rec.Errors = slices.Clone(ps)
		for i, p := range rec.Errors {
			if p.Line == 0 && p.File == o.name && o.line > 0 {
				rec.Errors[i].Line = o.line
			}
		}
		return rec
	}
	msg := o.err.Error()
	for _, prefix := range []string{o.where() + ": ", o.name + ": "} {
		if strings.HasPrefix(msg, prefix) {
			msg = strings.TrimPrefix(msg, prefix)
			break
		}
	}
	rec.Errors = []facts.Problem{{File: o.name, Line: o.line, Message: msg}}
	return rec
}

// summary counts a population's outcomes, per designation.
type summary struct {
	evaluated, errors int
	qualified         map[string]int            // designation -> partners
	byTrack           map[string]map[string]int // designation -> track -> partners
}

func newSummary() *summary {
	return &summary{qualified: map[string]int{}, byTrack: map[string]map[string]int{}}
}

func (s *summary) add(o outcome) {
	if o.err != nil {
		s.errors++
		return
	}
	s.evaluated++
	for _, r := range o.result.Results {
		if r.Qualified {
			s.qualified[r.Designation]++
			if s.byTrack[r.Designation] == nil {
				s.byTrack[r.Designation] = map[string]int{}
			}
			s.byTrack[r.Designation][r.Track]++
		}
	}
}

// String is "evaluated N, qualified N (enterprise N, smb N), not qualified
// N, errors N" for one designation; with several, "evaluated N, errors N"
// and a line per designation with its counts.
func (s *summary) String(b *engine.Bundle) string {
	counts := func(d *engine.Designation) string {
		var parts []string
		for _, t := range d.Tracks {
			parts = append(parts, fmt.Sprintf("%s %d", t, s.byTrack[d.ID][t]))
		}
		return fmt.Sprintf("qualified %d (%s), not qualified %d", s.qualified[d.ID], strings.Join(parts, ", "), s.evaluated-s.qualified[d.ID])
	}
	if len(b.Designations) == 1 {
		return fmt.Sprintf("evaluated %d, %s, errors %d", s.evaluated, counts(b.Designations[0]), s.errors)
	}
	var out strings.Builder
	fmt.Fprintf(&out, "evaluated %d, errors %d", s.evaluated, s.errors)
	for _, d := range b.Designations {
		fmt.Fprintf(&out, "\n  %s: %s", d.ID, counts(d))
	}
	return out.String()
}

// recordWriter writes JSON Lines records, each whole: a record is never
// split between two writes to the output, so a reader that stops early
// (a closed pipe, an interrupt) never sees half a line.
type recordWriter struct {
	w *bufio.Writer
}

func (rw *recordWriter) write(v any) error {
	b, err := marshalLine(v)
	if err != nil {
		return err
	}
	if len(b) > rw.w.Available() {
		if err := rw.w.Flush(); err != nil {
			return err
		}
	}
	// Into an empty buffer, a record larger than it is written through in
	// one write.
	_, err = rw.w.Write(b)
	return err
}

// marshalLine is v as one line of JSON.
func marshalLine(v any) ([]byte, error) {
	b, err := marshalJSON(v)
	return append(b, '\n'), err
}

// marshalJSON is json.Marshal with <, > and & as they are (the names
// people give partners and files are not HTML).
func marshalJSON(v any) ([]byte, error) {
	// A report writes itself compact; an encoder would check and copy its
	// bytes once more.
	if r, ok := v.(*report); ok && r != nil {
		return r.MarshalJSON()
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	err := enc.Encode(v)
	return bytes.TrimRight(buf.Bytes(), "\n"), err
}

// scoreInputs scores every document of the inputs and writes the results:
// a line each as they come (-o jsonl, with a summary on stderr), or all at
// once in the chosen format. Errors go to stderr as they come, and into
// the output in the document's place where the format has one.
func scoreInputs(ctx context.Context, b *batch, srcs []source, output string, render renderer, ropts renderOptions, warn warningMode, stdout, stderr io.Writer) int {
	prog := newProgress(stderr, totalSize(srcs))
	out := bufio.NewWriterSize(stdout, 1<<16)
	rw := &recordWriter{w: out}
	sum := newSummary()
	code := exitQualified
	var entries []entry
	var writeErr error
	// Where each partner was first scored for a month: a population that
	// holds a partner twice for the same month is likely a mistake
	// upstream, and counts it twice (two months of one partner are not).
	firstAt := map[[2]string]string{}
	// Partners held again are told once in summary mode, then counted.
	twice := 0
	b.run(ctx, srcs, func(o outcome) {
		if ctx.Err() != nil {
			return // interrupted: what is left was cut short, not scored
		}
		prog.add(o.size)
		sum.add(o)
		if o.err != nil {
			prog.clear()
			code = exitBadInput
			rec := o.errorRecord()
			if o.line > 0 {
				// Each at the document's line, as the record says.
				for _, p := range rec.Errors {
					fmt.Fprintln(stderr, p)
				}
			} else {
				fmt.Fprintln(stderr, o.err)
			}
			if output == "jsonl" {
				writeErr = errors.Join(writeErr, rw.write(rec))
			} else {
				entries = append(entries, entry{Error: rec})
			}
			return
		}
		if len(o.result.Problems) > 0 && warn != warningsNone {
			prog.clear()
		}
		printWarnings(stderr, o.result, warn)
		if id := o.result.Partner.ID; warn != warningsNone && len(o.result.Results) > 0 {
			key := [2]string{id, o.result.Results[0].Month}
			if first, again := firstAt[key]; again {
				msg := fmt.Sprintf("%s: partner %q for %s again (first in %s): scored and counted twice", o.where(), id, key[1], first)
				if twice++; twice == 1 || warn == warningsAll {
					prog.clear()
					fmt.Fprintf(stderr, "warning: %s\n", msg)
				}
			} else {
				firstAt[key] = o.where()
			}
		}
		if !o.result.qualified() && code == exitQualified {
			code = exitNotQualified
		}
		if output == "jsonl" {
			writeErr = errors.Join(writeErr, rw.write(o.result))
			return
		}
		entries = append(entries, entry{Result: o.result})
	})
	prog.finish()
	if ctx.Err() != nil {
		// Every record written is whole; a document, an array or a page
		// would be a half one, so those are not written at all.
		what := "nothing written"
		if output == "jsonl" && out.Flush() == nil && writeErr == nil {
			what = "their records are written"
		}
		fmt.Fprintf(stderr, "evaluate: interrupted after %d partners; %s\n", sum.evaluated+sum.errors, what)
		return exitInterrupted
	}
	if output != "jsonl" && writeErr == nil {
		writeErr = render(out, entries, ropts)
	}
	if ferr := out.Flush(); writeErr == nil {
		writeErr = ferr
	}
	if writeErr != nil {
		fmt.Fprintf(stderr, "evaluate: write output: %v\n", writeErr)
		return exitBadInput
	}
	if twice > 1 && warn == warningsSummary {
		fmt.Fprintf(stderr, "warning: %d documents repeat a partner and month already scored, the first above (--warnings all lists each)\n", twice)
	}
	if output == "jsonl" {
		fmt.Fprintln(stderr, sum.String(b.sc.bundle))
	}
	if b.shard.Count > 1 && sum.evaluated+sum.errors == 0 && b.seen > 0 {
		// More shards than partners: not an error (a job of n shards must
		// not fail for its empty ones), but not silent either.
		if partners := b.seen - b.unread; partners > 0 {
			fmt.Fprintf(stderr, "evaluate: shard %d/%d holds none of the input's %d %s: nothing scored\n", b.shard.Index, b.shard.Count, partners, plural(partners, "partner", "partners"))
		} else {
			fmt.Fprintf(stderr, "evaluate: shard %d/%d: the input holds no partner (another shard reports its errors): nothing scored\n", b.shard.Index, b.shard.Count)
		}
	}
	return code
}
