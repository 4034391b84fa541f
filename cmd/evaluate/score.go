package main

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"time"

	"evaluate/engine"
	"evaluate/facts"
)

// scorer evaluates fact files with one compiled bundle: the path every
// command that scores (evaluate, test, diff) goes through.
type scorer struct {
	bundle  *engine.Bundle
	window  facts.WindowOptions
	timeout time.Duration // per file; 0 for none
	stdin   io.Reader
	explain bool
	// explainTrack and explainMetric, when set, keep only their
	// explanations (--track, --metric), in every format.
	explainTrack, explainMetric string
	// noPlans leaves out each track's plan of what it takes (gap).
	noPlans bool
	workers int // per partner; 0: one per CPU
	// maxBytes refuses larger fact files (0: no limit).
	maxBytes int64
	// maxErrors is how many problems of one file are reported (0: all).
	maxErrors int
}

// defaultMaxErrors bounds the problems reported per file, as compilers
// do: a file with 20,000 errors has one or two mistakes repeated.
const defaultMaxErrors = 50

// capped keeps the first maxErrors problems of a file that could not be
// read, and says how many more there were.
func (s *scorer) capped(err error) error {
	var ps facts.Problems
	if s.maxErrors <= 0 || !errors.As(err, &ps) || len(ps) <= s.maxErrors {
		return err
	}
	more := len(ps) - s.maxErrors
	out := append(facts.Problems{}, ps[:s.maxErrors]...)
	return append(out, facts.Problem{File: ps[0].File,
		Message: fmt.Sprintf("and %d more %s (--max-errors 0 lists every one)", more, plural(more, "error", "errors"))})
}

// capReader fails once more than limit bytes were read, so that a huge
// input (stdin, a pipe) is refused early rather than read to the end.
type capReader struct {
	r        io.Reader
	n, limit int64
}

func (c *capReader) Read(p []byte) (int, error) {
	if c.n < 0 {
		return 0, c.tooLarge()
	}
	k, err := c.r.Read(p)
	c.n -= int64(k)
	if c.n < 0 {
		return 0, c.tooLarge()
	}
	return k, err
}

func (c *capReader) tooLarge() error {
	return fmt.Errorf("more than --max-bytes %s", formatBytes(c.limit))
}

func (s *scorer) limit(r io.Reader) io.Reader {
	if s.maxBytes <= 0 {
		return r
	}
	return &capReader{r: r, n: s.maxBytes, limit: s.maxBytes}
}

// open opens a fact file ("-" is stdin) within --max-bytes: a regular
// file larger than that is refused before it is read.
func (s *scorer) open(path, name string) (*input, error) {
	if path == "-" {
		return &input{Reader: s.limit(s.stdin), name: "<stdin>", close: func() {}}, nil
	}
	fh, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("%s: %v", name, unwrapPath(err))
	}
	in := &input{Reader: s.limit(fh), name: name, close: func() { fh.Close() }}
	if st, err := fh.Stat(); err == nil && st.Mode().IsRegular() {
		if s.maxBytes > 0 && st.Size() > s.maxBytes {
			fh.Close()
			return nil, fmt.Errorf("%s: %s is larger than --max-bytes %s", name, formatBytes(st.Size()), formatBytes(s.maxBytes))
		}
		in.size = st.Size()
	}
	return in, nil
}

// input is an opened fact file: its reader (within --max-bytes), its name
// as messages give it, and its size when it is a regular file.
type input struct {
	io.Reader
	name  string
	size  int64
	close func()
}

// readAll reads r, which reads the input, to its end into one buffer of
// the input's size when that is known, rather than one grown as it fills:
// on a 95 MB YAML file the growing cost 2 s, most of it the fresh pages of
// each larger buffer.
func readAll(r io.Reader, in *input) ([]byte, error) {
	var b bytes.Buffer
	if in.size > 0 {
		b.Grow(int(in.size) + bytes.MinRead)
	}
	_, err := b.ReadFrom(r)
	return b.Bytes(), err
}

// report is one partner's results: one per designation scored, in the
// bundle's order.
type report struct {
	File     string
	Line     int
	Partner  facts.Partner
	Results  []*engine.Result
	Problems []facts.Problem
}

// qualified tells whether the partner qualified for every designation.
func (r *report) qualified() bool {
	for _, x := range r.Results {
		if !x.Qualified {
			return false
		}
	}
	return true
}

// MarshalJSON is the result itself for one designation (SPEC.md §6), and
// the partner with a designations map for several (§8).
func (r *report) MarshalJSON() ([]byte, error) {
	if len(r.Results) == 1 {
		return r.Results[0].MarshalJSON()
	}
	// Written in place: through encoding/json, each result's bytes were
	// checked and copied again (a map of Marshalers), and once more by the
	// caller's encoder.
	ids := make([]string, 0, len(r.Results))
	byID := map[string]*engine.Result{}
	for _, x := range r.Results {
		if _, dup := byID[x.Designation]; !dup {
			ids = append(ids, x.Designation)
		}
		byID[x.Designation] = x
	}
	slices.Sort(ids)
	// The results first, so that the buffer is made once at its size.
	results := make([][]byte, len(ids))
	size := 256 + len(r.File)
	for i, id := range ids {
		x, err := byID[id].MarshalJSON()
		if err != nil {
			return nil, err
		}
		results[i], size = x, size+len(id)+4+len(x)
	}
	var b bytes.Buffer
	b.Grow(size)
	member := func(key string, v any) error {
		if b.Len() > 1 {
			b.WriteByte(',')
		}
		k, _ := marshalJSON(key)
		b.Write(k)
		b.WriteByte(':')
		x, err := marshalJSON(v)
		b.Write(x)
		return err
	}
	b.WriteByte('{')
	if r.File != "" {
		if err := member("file", r.File); err != nil {
			return nil, err
		}
	}
	if r.Line != 0 {
		if err := member("line", r.Line); err != nil {
			return nil, err
		}
	}
	if err := member("partner", r.Partner); err != nil {
		return nil, err
	}
	b.WriteString(`,"designations":{`)
	for i, id := range ids {
		if i > 0 {
			b.WriteByte(',')
		}
		k, _ := marshalJSON(id)
		b.Write(k)
		b.WriteByte(':')
		b.Write(results[i])
	}
	b.WriteString("}}")
	return b.Bytes(), nil
}

func newReport(f *facts.File, results []*engine.Result) *report {
	r := &report{File: f.Name, Partner: f.Partner, Results: results}
	if len(results) > 0 {
		r.Problems = results[0].Problems
	}
	return r
}

// setLine places a report of a JSON Lines document: file and line.
func (r *report) setLine(name string, line int) {
	r.File, r.Line = name, line
	for _, x := range r.Results {
		x.File, x.Line = name, line
	}
}

// score evaluates each file in order. A file that cannot be read or
// evaluated is reported on stderr and left out; code is 0 when every partner
// qualified, 1 when one did not, 2 when a file had an error.
func (s *scorer) score(ctx context.Context, names []string, stderr io.Writer) (reports []*report, code int) {
	for _, name := range names {
		r, err := s.file(ctx, name, name, nil)
		if err != nil {
			fmt.Fprintln(stderr, err)
			code = exitBadInput
			continue
		}
		printWarnings(stderr, r, warningsSummary)
		if !r.qualified() && code == exitQualified {
			code = exitNotQualified
		}
		reports = append(reports, r)
	}
	return reports, code
}

// file reads, validates and scores one fact file ("-" is stdin). JSON is
// read as a stream, a customer at a time; YAML whole, then a customer at a
// time. The timeout covers
// reading and parsing too: a file that trickles in or takes long to parse
// ends as a slow evaluation does.
//
// imp is set for a fact file made from exports (its warnings merged with
// the import's).
func (s *scorer) file(ctx context.Context, path, name string, imp *imported) (*report, error) {
	if s.timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, s.timeout)
		defer cancel()
	}
	in, err := s.open(path, name)
	if err != nil {
		return nil, err
	}
	defer in.close()
	display := in.name
	br := bufio.NewReaderSize(ctxReader{ctx, in}, 1<<16)
	head, _ := br.Peek(64) // fewer at the end of a short file
	var (
		f     *facts.File
		w     *facts.Window
		tally *engine.Tally
	)
	if facts.IsJSON(name, head) {
		// Tenants are scored while the rest of the file is read, unless
		// the explanation needs them kept in order.
		var onTenant func(facts.Month, facts.Customer)
		if !s.explain {
			tally = s.bundle.NewTally(ctx, display, s.workers)
			onTenant = tally.Add
		}
		if f, w, err = facts.Stream(display, 1, br, &s.bundle.Schema, s.windowOpts(), onTenant); err != nil && tally != nil {
			tally.Close()
		}
	} else {
		// YAML is read whole, then windowed a customer at a time as its
		// items are parsed (facts.StreamYAML).
		var data []byte
		if data, err = readAll(br, in); err != nil {
			return nil, s.late(ctx, display, fmt.Errorf("%s: %v", display, err))
		}
		f, w, err = facts.StreamYAML(display, data, &s.bundle.Schema, s.windowOpts())
	}
	if err != nil {
		return nil, s.late(ctx, display, s.capped(err))
	}
	w.Warnings = imp.merge(w.Warnings)
	r, err := s.score1(ctx, f, w, tally)
	imp.unline(display, r)
	return r, err
}

// late is err, or the timeout when that is why reading failed.
func (s *scorer) late(ctx context.Context, name string, err error) error {
	if errors.Is(ctx.Err(), context.DeadlineExceeded) {
		return fmt.Errorf("%s: reading and evaluating took longer than --timeout %s", name, s.timeout)
	}
	return err
}

// ctxReader stops reading once its context is done.
type ctxReader struct {
	ctx context.Context
	r   io.Reader
}

func (c ctxReader) Read(p []byte) (int, error) {
	if err := c.ctx.Err(); err != nil {
		return 0, err
	}
	return c.r.Read(p)
}

// windowOpts are the window options with the months the bundle needs.
func (s *scorer) windowOpts() facts.WindowOptions {
	o := s.window
	o.Needs = s.bundle.Needs
	return o
}

func unwrapPath(err error) error {
	var pe *os.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}

// read reads and validates one whole fact file ("-" is stdin), for
// commands that window it more than once.
func (s *scorer) read(path, name string) (*facts.File, error) {
	in, err := s.open(path, name)
	if err != nil {
		return nil, err
	}
	defer in.close()
	data, err := readAll(in, in)
	if err != nil {
		return nil, fmt.Errorf("%s: %v", in.name, err)
	}
	f, err := facts.Parse(in.name, 1, data, &s.bundle.Schema)
	return f, s.capped(err)
}

// evaluate scores a read fact file seen from one reporting month.
func (s *scorer) evaluate(ctx context.Context, f *facts.File, wopts facts.WindowOptions) (*report, error) {
	wopts.Needs = s.bundle.Needs
	w, err := f.Window(wopts)
	if err != nil {
		return nil, err
	}
	return s.score1(ctx, f, w, nil)
}

// score1 scores windowed facts within the timeout.
func (s *scorer) score1(ctx context.Context, f *facts.File, w *facts.Window, tally *engine.Tally) (*report, error) {
	name := f.Name
	if s.timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, s.timeout)
		defer cancel()
	}
	rs, err := s.bundle.Evaluate(ctx, f, w, engine.Options{Explain: s.explain, Workers: s.workers, Tally: tally, NoPlans: s.noPlans})
	if errors.Is(err, context.DeadlineExceeded) {
		return nil, fmt.Errorf("%s: evaluation took longer than --timeout %s", name, s.timeout)
	}
	if err != nil {
		return nil, fmt.Errorf("%s: evaluate: %v", name, err)
	}
	if s.explainTrack != "" || s.explainMetric != "" {
		limitExplanations(rs, s.explainTrack, s.explainMetric)
	}
	return newReport(f, rs), nil
}

// limitExplanations drops the explanations of the tracks and metrics
// other than track and metric ("" for all): the text renderers skip them,
// and JSON left them in, so --track was ignored there.
func limitExplanations(rs []*engine.Result, track, metric string) {
	for _, r := range rs {
		for t, tr := range r.Tracks {
			for id, m := range tr.Metrics {
				if (track == "" || track == t) && (metric == "" || metric == id) {
					continue
				}
				m.Explain = nil
				for _, o := range m.Options {
					o.Explain = nil
				}
				for _, o := range m.Sources {
					o.Explain = nil
				}
			}
		}
	}
}
