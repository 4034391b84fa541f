package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
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
	workers int // per partner; 0: one per CPU
	// maxBytes refuses larger fact files (0: no limit).
	maxBytes int64
}

// capReader fails once more than n bytes were read, so that a huge input
// is refused early rather than read to the end.
type capReader struct {
	r    io.Reader
	n    int64
	name string
}

func (c *capReader) Read(p []byte) (int, error) {
	if c.n < 0 {
		return 0, fmt.Errorf("%s: larger than --max-bytes allows", c.name)
	}
	k, err := c.r.Read(p)
	c.n -= int64(k)
	if c.n < 0 {
		return 0, fmt.Errorf("%s: larger than --max-bytes allows", c.name)
	}
	return k, err
}

func (s *scorer) limit(r io.Reader, name string) io.Reader {
	if s.maxBytes <= 0 {
		return r
	}
	return &capReader{r: r, n: s.maxBytes, name: name}
}

// score evaluates each file in order. A file that cannot be read or
// evaluated is reported on stderr and left out; code is 0 when every partner
// qualified, 1 when one did not, 2 when a file had an error.
func (s *scorer) score(ctx context.Context, names []string, stderr io.Writer) (results []*engine.Result, code int) {
	for _, name := range names {
		r, err := s.file(ctx, name)
		if err != nil {
			fmt.Fprintln(stderr, err)
			code = exitBadInput
			continue
		}
		printWarnings(stderr, r)
		if !r.Qualified && code == exitQualified {
			code = exitNotQualified
		}
		results = append(results, r)
	}
	return results, code
}

// file reads, validates and scores one fact file ("-" is stdin). JSON is
// read as a stream, a customer at a time; YAML whole.
func (s *scorer) file(ctx context.Context, name string) (*engine.Result, error) {
	var in io.Reader = s.stdin
	display := "<stdin>"
	if name != "-" {
		fh, err := os.Open(name)
		if err != nil {
			return nil, fmt.Errorf("%s: %v", name, unwrapPath(err))
		}
		defer fh.Close()
		in, display = fh, name
	}
	br := bufio.NewReaderSize(s.limit(in, display), 1<<16)
	head, _ := br.Peek(64) // fewer at the end of a short file
	if !facts.IsJSON(name, head) {
		f, err := s.parse(display, br)
		if err != nil {
			return nil, err
		}
		return s.evaluate(ctx, f, s.window)
	}
	// Tenants are scored while the rest of the file is read, unless the
	// explanation needs them kept in order; the timeout covers both.
	if s.timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, s.timeout)
		defer cancel()
	}
	var tally *engine.Tally
	var onTenant func(facts.TenantWindow)
	if !s.explain {
		tally = s.bundle.NewTally(ctx, s.workers)
		onTenant = tally.Add
	}
	f, w, err := facts.StreamJSON(display, 1, br, s.bundle.Vocabulary, s.window, onTenant)
	if err != nil {
		if tally != nil {
			tally.Close()
		}
		return nil, err
	}
	return s.score1(ctx, f, w, tally)
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
func (s *scorer) read(name string) (*facts.File, error) {
	if name == "-" {
		return s.parse("<stdin>", s.stdin)
	}
	fh, err := os.Open(name)
	if err != nil {
		return nil, fmt.Errorf("%s: %v", name, unwrapPath(err))
	}
	defer fh.Close()
	return s.parse(name, fh)
}

func (s *scorer) parse(name string, r io.Reader) (*facts.File, error) {
	data, err := io.ReadAll(s.limit(r, name))
	if err != nil {
		if strings.Contains(err.Error(), "--max-bytes") {
			return nil, err
		}
		return nil, fmt.Errorf("%s: %v", name, err)
	}
	return facts.Parse(name, data, s.bundle.Vocabulary)
}

// evaluate scores a read fact file seen from one reporting month.
func (s *scorer) evaluate(ctx context.Context, f *facts.File, wopts facts.WindowOptions) (*engine.Result, error) {
	w, err := f.Window(wopts)
	if err != nil {
		return nil, err
	}
	return s.score1(ctx, f, w, nil)
}

// score1 scores windowed facts within the timeout.
func (s *scorer) score1(ctx context.Context, f *facts.File, w *facts.Window, tally *engine.Tally) (*engine.Result, error) {
	name := f.Name
	if s.timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, s.timeout)
		defer cancel()
	}
	r, err := s.bundle.EvaluateWith(ctx, f, w, engine.Options{Explain: s.explain, Workers: s.workers, Tally: tally})
	if errors.Is(err, context.DeadlineExceeded) {
		return nil, fmt.Errorf("%s: evaluation took longer than --timeout %s", name, s.timeout)
	}
	if err != nil {
		return nil, fmt.Errorf("%s: evaluate: %v", name, err)
	}
	return r, nil
}

// expandPaths replaces each folder by the fact files in it (*.yaml, *.yml,
// *.json, not expected results), in name order; folder tells whether there
// was one.
func expandPaths(paths []string) (out []string, folder bool, err error) {
	for _, p := range paths {
		st, err := os.Stat(p)
		if p == "-" || err != nil || !st.IsDir() {
			out = append(out, p)
			continue
		}
		folder = true
		var found []string
		err = filepath.WalkDir(p, func(f string, d fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			if d.IsDir() && f != p && strings.HasPrefix(d.Name(), ".") {
				return filepath.SkipDir
			}
			if !d.IsDir() && isFactFile(f) {
				found = append(found, f)
			}
			return nil
		})
		if err != nil {
			return nil, folder, err
		}
		slices.Sort(found)
		out = append(out, found...)
	}
	return out, folder, nil
}

func isFactFile(name string) bool {
	if strings.Contains(filepath.Base(name), ".expected.") {
		return false
	}
	switch filepath.Ext(name) {
	case ".yaml", ".yml", ".json":
		return true
	}
	return false
}
