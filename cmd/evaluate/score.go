package main

import (
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
		for _, w := range r.Warnings {
			fmt.Fprintf(stderr, "warning: %s\n", w)
		}
		if !r.Qualified && code == exitQualified {
			code = exitNotQualified
		}
		results = append(results, r)
	}
	return results, code
}

// file reads, validates and scores one fact file ("-" is stdin).
func (s *scorer) file(ctx context.Context, name string) (*engine.Result, error) {
	f, err := s.read(name)
	if err != nil {
		return nil, err
	}
	return s.evaluate(ctx, f, s.window)
}

// read reads and validates one fact file ("-" is stdin).
func (s *scorer) read(name string) (*facts.File, error) {
	var data []byte
	var err error
	if name == "-" {
		data, err = io.ReadAll(s.stdin)
		name = "<stdin>"
	} else {
		data, err = os.ReadFile(name)
	}
	if err != nil {
		var pe *os.PathError
		if errors.As(err, &pe) {
			err = pe.Err
		}
		return nil, fmt.Errorf("%s: %v", name, err)
	}
	return facts.Parse(name, data, s.bundle.Vocabulary)
}

// evaluate scores a read fact file seen from one reporting month.
func (s *scorer) evaluate(ctx context.Context, f *facts.File, wopts facts.WindowOptions) (*engine.Result, error) {
	name := f.Name
	w, err := f.Window(wopts)
	if err != nil {
		return nil, err
	}
	if s.timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, s.timeout)
		defer cancel()
	}
	r, err := s.bundle.EvaluateWith(ctx, f, w, engine.Options{Explain: s.explain})
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
