package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"time"

	"evaluate/engine"
	"evaluate/facts"

	"golang.org/x/term"
)

// batch scores a population: many files, folders or JSON Lines documents,
// in parallel with the policies compiled once, results in input order.
type batch struct {
	sc    *scorer
	jobs  int
	jsonl bool // inputs are JSON Lines, one fact document per line
	shard shard
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

// item is one partner to score: a file, or one line of a JSON Lines input.
type item struct {
	index int
	name  string // file name
	line  int    // for JSON Lines, the document's line
	data  []byte // the document, for JSON Lines
	buf   *[]byte
}

// lineBuffers hold JSON Lines documents between the reader and the workers;
// each goes back once its partner is read, so a population of any size
// reuses a handful of them.
var lineBuffers = sync.Pool{New: func() any { return new([]byte) }}

// outcome is an item's result or error.
type outcome struct {
	item
	result *engine.Result
	err    error
}

// items lists the inputs in order, reading JSON Lines line by line.
func (b *batch) items(ctx context.Context, inputs []string, out chan<- item) error {
	defer close(out)
	k := 0
	emit := func(it item) bool {
		if k%b.shard.Count == b.shard.Index {
			it.index = k
			select {
			case out <- it:
			case <-ctx.Done():
				return false
			}
		} else if it.buf != nil {
			lineBuffers.Put(it.buf) // another shard's partner
		}
		k++
		return true
	}
	for _, name := range inputs {
		if !b.jsonl {
			if !emit(item{name: name}) {
				return ctx.Err()
			}
			continue
		}
		var r io.Reader = b.sc.stdin
		display := "<stdin>"
		if name != "-" {
			f, err := os.Open(name)
			if err != nil {
				return fmt.Errorf("%s: %v", name, unwrapPath(err))
			}
			defer f.Close()
			r, display = f, name
		}
		sc := bufio.NewScanner(r)
		lineMax := maxLine
		if b.sc.maxBytes > 0 && b.sc.maxBytes < maxLine {
			lineMax = int(b.sc.maxBytes) + 1
		}
		sc.Buffer(make([]byte, 0, min(1<<20, lineMax)), lineMax)
		line := 0
		for sc.Scan() {
			line++
			doc := bytes.TrimSpace(sc.Bytes())
			if len(doc) == 0 {
				continue
			}
			buf := lineBuffers.Get().(*[]byte)
			*buf = append((*buf)[:0], doc...)
			if !emit(item{name: display, line: line, data: *buf, buf: buf}) {
				return ctx.Err()
			}
		}
		if err := sc.Err(); err != nil {
			if errors.Is(err, bufio.ErrTooLong) {
				return fmt.Errorf("%s:%d: a document larger than --max-bytes allows", display, line+1)
			}
			return fmt.Errorf("%s:%d: %v", display, line+1, err)
		}
	}
	return nil
}

// maxLine bounds one JSON Lines document.
const maxLine = 256 << 20

// run scores every item with b.jobs workers and calls emit with the
// outcomes in input order.
func (b *batch) run(ctx context.Context, inputs []string, progress *progress, emit func(outcome)) error {
	jobs := b.jobs
	if jobs <= 0 {
		jobs = runtime.GOMAXPROCS(0)
	}
	b.sc.workers = 1 // partners run in parallel; each on one worker
	items := make(chan item, jobs*2)
	results := make(chan outcome, jobs*2)
	var readErr error
	go func() { readErr = b.items(ctx, inputs, items) }()
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
			progress.add(1)
			next += b.shard.Count
		}
	}
	return readErr
}

func (b *batch) score(ctx context.Context, it item) outcome {
	if it.data == nil {
		r, err := b.sc.file(ctx, it.name)
		return outcome{item: it, result: r, err: err}
	}
	f, w, err := facts.StreamJSON(it.name, it.line, bytes.NewReader(it.data), b.sc.bundle.Vocabulary, b.sc.window, nil)
	lineBuffers.Put(it.buf) // nothing read refers into it
	it.data, it.buf = nil, nil
	if err != nil {
		return outcome{item: it, err: err}
	}
	r, err := b.sc.score1(ctx, f, w, nil)
	if r != nil {
		r.File = fmt.Sprintf("%s:%d", it.name, it.line)
	}
	return outcome{item: it, result: r, err: err}
}

// summary counts a population's outcomes.
type summary struct {
	evaluated, qualified, errors int
	byTrack                      map[string]int
}

func (s *summary) add(o outcome) {
	switch {
	case o.err != nil:
		s.errors++
	default:
		s.evaluated++
		if o.result.Qualified {
			s.qualified++
			s.byTrack[o.result.Track]++
		}
	}
}

func (s *summary) String(tracks []engine.Track) string {
	var parts []string
	for _, t := range tracks {
		parts = append(parts, fmt.Sprintf("%s %d", t.Name, s.byTrack[t.Name]))
	}
	return fmt.Sprintf("evaluated %d, qualified %d (%s), not qualified %d, errors %d",
		s.evaluated, s.qualified, strings.Join(parts, ", "), s.evaluated-s.qualified, s.errors)
}

// progress draws a bar on stderr for long runs, only when stderr is a
// terminal, so it never mixes with output meant for machines.
type progress struct {
	w     io.Writer
	total int // 0 when unknown (a stream)
	mu    sync.Mutex
	done  int
	last  time.Time
}

func newProgress(stderr io.Writer, total int) *progress {
	f, ok := stderr.(*os.File)
	if !ok || !term.IsTerminal(int(f.Fd())) {
		return nil
	}
	return &progress{w: stderr, total: total}
}

func (p *progress) add(n int) {
	if p == nil {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	p.done += n
	if time.Since(p.last) < 100*time.Millisecond {
		return
	}
	p.last = time.Now()
	if p.total > 0 {
		const width = 30
		filled := p.done * width / p.total
		fmt.Fprintf(p.w, "\r[%s%s] %d/%d partners", strings.Repeat("#", filled), strings.Repeat(".", width-filled), p.done, p.total)
	} else {
		fmt.Fprintf(p.w, "\r%d partners", p.done)
	}
}

// clear wipes the bar so a message can be printed on a clean line.
func (p *progress) clear() {
	if p != nil {
		p.mu.Lock()
		fmt.Fprint(p.w, "\r\033[K")
		p.last = time.Time{}
		p.mu.Unlock()
	}
}

func (p *progress) finish() {
	if p != nil {
		fmt.Fprint(p.w, "\r\033[K")
	}
}

// writeJSONLine writes one result as a line of JSON.
func writeJSONLine(w io.Writer, r *engine.Result) error {
	b, err := json.Marshal(r)
	if err != nil {
		return err
	}
	_, err = w.Write(append(b, '\n'))
	return err
}

// runBatch scores a population and writes its results: a line each as they
// come (-o jsonl, with a summary on stderr), or all at once in the chosen
// format.
func runBatch(ctx context.Context, b *batch, files []string, output string, render renderer, ropts renderOptions, stdout, stderr io.Writer) int {
	total := 0
	if !b.jsonl {
		total = (len(files) - b.shard.Index + b.shard.Count - 1) / b.shard.Count
	}
	prog := newProgress(stderr, total)
	out := bufio.NewWriterSize(stdout, 1<<16)
	sum := summary{byTrack: map[string]int{}}
	code := exitQualified
	var results []*engine.Result
	var writeErr error
	err := b.run(ctx, files, prog, func(o outcome) {
		sum.add(o)
		if o.err != nil {
			prog.clear()
			fmt.Fprintln(stderr, o.err)
			code = exitBadInput
			return
		}
		if len(o.result.Problems) > 0 {
			prog.clear()
		}
		printWarnings(stderr, o.result)
		if !o.result.Qualified && code == exitQualified {
			code = exitNotQualified
		}
		if output == "jsonl" {
			if err := writeJSONLine(out, o.result); err != nil && writeErr == nil {
				writeErr = err
			}
			return
		}
		results = append(results, o.result)
	})
	prog.finish()
	if err != nil {
		fmt.Fprintf(stderr, "evaluate: %v\n", err)
		code = exitBadInput
	}
	if output != "jsonl" {
		writeErr = render(out, results, ropts)
	}
	if ferr := out.Flush(); writeErr == nil {
		writeErr = ferr
	}
	if writeErr != nil {
		fmt.Fprintf(stderr, "evaluate: write output: %v\n", writeErr)
		return exitBadInput
	}
	if output == "jsonl" {
		fmt.Fprintln(stderr, sum.String(b.sc.bundle.Tracks))
	}
	return code
}

// maxWarnings is how many warnings of one partner are printed; the JSON
// result carries them all.
const maxWarnings = 20

func printWarnings(w io.Writer, r *engine.Result) {
	for i, p := range r.Problems {
		if i == maxWarnings {
			fmt.Fprintf(w, "warning: %s: %d more warnings (the JSON result lists them all)\n", r.File, len(r.Problems)-maxWarnings)
			return
		}
		fmt.Fprintf(w, "warning: %s\n", p)
	}
}
