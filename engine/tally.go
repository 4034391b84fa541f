package engine

import (
	"context"
	"runtime"
	"sync"

	"evaluate/facts"
)

// Tally scores tenants while a fact file is still being read: the reader
// hands it tenants one by one, workers score them for every designation,
// and Evaluate (with Options.Tally) picks up the totals. Reading and
// scoring then overlap, and no tenant is kept once scored.
type Tally struct {
	b       *Bundle
	ch      chan []facts.Customer
	batch   []facts.Customer
	wg      sync.WaitGroup
	tots    [][]totals
	warns   [][]facts.Problem
	errs    []error
	done    bool
	started bool
	file    string
	month   facts.Month
	ctx     context.Context
	workers int
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
	return &Tally{b: b, ch: make(chan []facts.Customer, workers*2), tots: make([][]totals, workers),
		warns: make([][]facts.Problem, workers), errs: make([]error, workers), file: file, ctx: ctx, workers: workers}
}

func (t *Tally) start(month facts.Month) {
	t.started, t.month = true, month
	b, ctx, file := t.b, t.ctx, t.file
	for i := range t.workers {
		t.tots[i] = b.newAllTotals()
		t.wg.Go(func() {
			s := b.newScorer(t.month)
			for batch := range t.ch {
				if t.errs[i] != nil {
					continue
				}
				if ctx.Err() != nil {
					t.errs[i] = ctx.Err()
					continue
				}
				for k := range batch {
					c := &batch[k]
					if err := s.tenant(ctx, c, t.tots[i]); err != nil {
						t.errs[i] = err
						break
					}
					w, err := s.tenantWarnings(ctx, c, file)
					if err != nil {
						t.errs[i] = err
						break
					}
					t.warns[i] = append(t.warns[i], w...)
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
		t.ch <- t.batch
		t.batch = make([]facts.Customer, 0, tallyBatch)
	}
}

// Close waits for the workers and returns the totals. A Tally that is not
// used must still be closed to stop its workers.
func (t *Tally) Close() ([]totals, []facts.Problem, error) {
	if !t.started {
		t.start(t.month)
	}
	if !t.done {
		if len(t.batch) > 0 {
			t.ch <- t.batch
		}
		close(t.ch)
		t.wg.Wait()
		t.done = true
	}
	all := t.b.newAllTotals()
	var warns []facts.Problem
	for i := range t.tots {
		if t.errs[i] != nil {
			return nil, nil, t.errs[i]
		}
		if err := t.b.mergeTotals(all, t.tots[i]); err != nil {
			return nil, nil, err
		}
		warns = append(warns, t.warns[i]...)
	}
	return all, warns, nil
}
