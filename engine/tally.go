package engine

import (
	"cmp"
	"context"
	"runtime"
	"slices"
	"sync"

	"evaluate/facts"
)

// Tally scores tenants while a fact file is still being read: the reader
// hands it tenants one by one, workers score them for every designation,
// and Evaluate (with Options.Tally) picks up the totals. Reading and
// scoring then overlap, and no tenant is kept once scored.
type Tally struct {
	b       *Bundle
	ch      chan tallyBatchOf
	batch   []facts.Customer
	seq     int // batches sent
	wg      sync.WaitGroup
	tots    [][]totals
	warns   [][]seqProblems
	errs    []seqError
	done    bool
	started bool
	file    string
	month   facts.Month
	ctx     context.Context
	workers int
}

// tallyBatchOf is a batch of tenants and its place among the file's.
type tallyBatchOf struct {
	seq       int
	customers []facts.Customer
}

// seqProblems and seqError are a worker's warnings and error with the
// place of their batch: merged in that order, the output is the same
// whichever worker scored which batch.
type seqProblems struct {
	seq int
	ps  []facts.Problem
}

type seqError struct {
	seq int
	err error
}

// tallyBatch is how many tenants travel to a worker together: enough that
// handing them over costs nothing beside scoring them (about 10 ms a
// batch), few enough that the tenants in flight (the one being filled,
// two per worker queued, one per worker being scored) stay a few megabytes:
// with 256, they were most of a large file's live heap.
const tallyBatch = 64

// NewTally makes a tally whose workers (0: one per CPU) score the tenants
// of a file as they come; they start with the first tenant, whose month is
// the reporting month.
func (b *Bundle) NewTally(ctx context.Context, file string, workers int) *Tally {
	if workers <= 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	return &Tally{b: b, ch: make(chan tallyBatchOf, workers*2), tots: make([][]totals, workers),
		warns: make([][]seqProblems, workers), errs: make([]seqError, workers), file: file, ctx: ctx, workers: workers}
}

func (t *Tally) start(month facts.Month) {
	t.started, t.month = true, month
	b, ctx, file := t.b, t.ctx, t.file
	for i := range t.workers {
		t.tots[i] = b.newAllTotals()
		t.wg.Go(func() {
			s := b.newScorer(t.month)
			for batch := range t.ch {
				if t.errs[i].err != nil {
					continue
				}
				if err := ctx.Err(); err != nil {
					t.errs[i] = seqError{batch.seq, err}
					continue
				}
				var warns []facts.Problem
				for k := range batch.customers {
					c := &batch.customers[k]
					if err := s.tenant(ctx, c, t.tots[i]); err != nil {
						t.errs[i] = seqError{batch.seq, err}
						break
					}
					w, err := s.tenantWarnings(ctx, c, file)
					if err != nil {
						t.errs[i] = seqError{batch.seq, err}
						break
					}
					warns = append(warns, w...)
				}
				if len(warns) > 0 {
					t.warns[i] = append(t.warns[i], seqProblems{batch.seq, warns})
				}
			}
		})
	}
}

// Add scores one tenant, windowed for reporting month m (soon, on a
// worker).
func (t *Tally) Add(m facts.Month, c facts.Customer) {
	if !t.started {
		t.start(m)
	}
	t.batch = append(t.batch, c)
	if len(t.batch) == tallyBatch {
		t.send()
		t.batch = make([]facts.Customer, 0, tallyBatch)
	}
}

func (t *Tally) send() {
	t.ch <- tallyBatchOf{seq: t.seq, customers: t.batch}
	t.seq++
}

// Close waits for the workers and returns the totals. A Tally that is not
// used must still be closed to stop its workers.
func (t *Tally) Close() ([]totals, []facts.Problem, error) {
	if !t.started {
		t.start(t.month)
	}
	if !t.done {
		if len(t.batch) > 0 {
			t.send()
		}
		close(t.ch)
		t.wg.Wait()
		t.done = true
	}
	// The error of the earliest tenant, as one worker would report it.
	first := seqError{seq: -1}
	for _, e := range t.errs {
		if e.err != nil && (first.err == nil || e.seq < first.seq) {
			first = e
		}
	}
	if first.err != nil {
		return nil, nil, first.err
	}
	all := t.b.newAllTotals()
	var batches []seqProblems
	for i := range t.tots {
		if err := t.b.mergeTotals(all, t.tots[i]); err != nil {
			return nil, nil, err
		}
		batches = append(batches, t.warns[i]...)
	}
	slices.SortFunc(batches, func(a, b seqProblems) int { return cmp.Compare(a.seq, b.seq) })
	var warns []facts.Problem
	for _, b := range batches {
		warns = append(warns, b.ps...)
	}
	return all, warns, nil
}
