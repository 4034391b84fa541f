package engine

import (
	"context"
	"runtime"
	"sync"

	"evaluate/facts"
)

// Tally scores tenants while a fact file is still being read: the reader
// hands it tenants one by one, workers sum them, and EvaluateWith (with
// Options.Tally) picks up the sums. Reading and scoring then overlap, and no
// tenant is kept once scored.
type Tally struct {
	b     *Bundle
	ch    chan []facts.TenantWindow
	batch []facts.TenantWindow
	wg    sync.WaitGroup
	sums  []metricSums
	errs  []error
	done  bool
}

// tallyBatch is how many tenants travel to a worker together.
const tallyBatch = 256

// NewTally starts workers (0: one per CPU) that score tenants as they come.
func (b *Bundle) NewTally(ctx context.Context, workers int) *Tally {
	if workers <= 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	t := &Tally{b: b, ch: make(chan []facts.TenantWindow, workers*2), sums: make([]metricSums, workers), errs: make([]error, workers)}
	for i := range workers {
		t.sums[i] = b.newSums()
		t.wg.Go(func() {
			e := &evaluation{b: b, act: map[string]any{}}
			for batch := range t.ch {
				if t.errs[i] != nil {
					continue
				}
				if ctx.Err() != nil {
					t.errs[i] = ctx.Err()
					continue
				}
				for k := range batch {
					if err := e.sumTenant(&batch[k], t.sums[i]); err != nil {
						t.errs[i] = err
						break
					}
				}
			}
		})
	}
	return t
}

// Add scores one tenant (soon, on a worker).
func (t *Tally) Add(tw facts.TenantWindow) {
	t.batch = append(t.batch, tw)
	if len(t.batch) == tallyBatch {
		t.ch <- t.batch
		t.batch = make([]facts.TenantWindow, 0, tallyBatch)
	}
}

// Close waits for the workers and returns the summed tenants. A Tally that
// is not used must still be closed to stop its workers.
func (t *Tally) Close() (metricSums, error) {
	if !t.done {
		if len(t.batch) > 0 {
			t.ch <- t.batch
		}
		close(t.ch)
		t.wg.Wait()
		t.done = true
	}
	sums := t.b.newSums()
	for i := range t.sums {
		if t.errs[i] != nil {
			return nil, t.errs[i]
		}
		sums.add(t.sums[i])
	}
	return sums, nil
}
