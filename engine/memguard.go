package engine

import (
	"context"
	"errors"
	"fmt"
	"runtime/metrics"
	"sync"
	"time"
)

// DefaultMemoryLimit is the heap a policy's evaluation may grow the process
// to: 2 GiB. It is generous on purpose: the largest fact files the CLI takes
// by default (1 GiB, about 700,000 tenants) stay well under it, while a
// runaway Rego (count(numbers.range(1, 1000000000)) asks for about 100 GB)
// is stopped with an error rather than by the operating system.
const DefaultMemoryLimit = 2 << 30

// memSampleEvery is how often the guard reads the heap: often enough that
// a runaway allocation is caught within some tens of megabytes of the
// limit, rarely enough to cost nothing measurable.
const memSampleEvery = 10 * time.Millisecond

// ErrMemoryLimit is what errors.Is finds in the error of an evaluation a
// memory guard stopped.
var ErrMemoryLimit = errors.New("memory limit")

// MemoryLimitError is the cause of a context a memory guard cancelled.
type MemoryLimitError struct {
	// Limit is the guard's limit, in bytes.
	Limit int64
}

func (e *MemoryLimitError) Error() string {
	return fmt.Sprintf("policy evaluation used more than %d MiB of memory", e.Limit>>20)
}

// Is makes errors.Is(err, ErrMemoryLimit) true.
func (e *MemoryLimitError) Is(target error) bool { return target == ErrMemoryLimit }

// memWatch is one guarded context.
type memWatch struct {
	limit  int64
	cancel context.CancelCauseFunc
}

type memGuardKey struct{}

// memGuards are the contexts being watched. One goroutine samples the heap
// for all of them, and only while there is one: a guard costs a context and
// a map entry, whatever the number of evaluations.
var memGuards struct {
	mu      sync.Mutex
	watches map[*memWatch]struct{}
	running bool
}

// WithMemoryLimit returns a context that is cancelled, with a
// *MemoryLimitError as its cause (context.Cause), once the process's heap
// passes limit bytes; stop releases the guard and cancels the context, as
// a context.CancelFunc does. The heap is process-wide: every guard sees
// the memory of everything the process does, so limits are meant to be
// generous bounds against runaway policies, not budgets.
//
// The heap measured is the live heap as of the last collection, or half of
// the heap in use when the collector has not run since it doubled (the
// collector measures the live heap when the heap doubles, so a runaway is
// caught at most about twice the limit). A limit of 0 or less guards
// nothing. Rego's evaluation and OPA's built-ins (numbers.range, per
// element) check the context, so a cancelled evaluation stops at once.
func WithMemoryLimit(ctx context.Context, limit int64) (context.Context, func()) {
	if limit <= 0 {
		// Marked all the same: a caller's "no limit" is not replaced by
		// the default further down.
		ctx, cancel := context.WithCancel(ctx)
		return context.WithValue(ctx, memGuardKey{}, false), cancel
	}
	ctx, cancel := context.WithCancelCause(ctx)
	w := &memWatch{limit: limit, cancel: cancel}
	ctx = context.WithValue(ctx, memGuardKey{}, w)
	memGuards.mu.Lock()
	if memGuards.watches == nil {
		memGuards.watches = map[*memWatch]struct{}{}
	}
	memGuards.watches[w] = struct{}{}
	if !memGuards.running {
		memGuards.running = true
		go sampleHeap()
	}
	memGuards.mu.Unlock()
	return ctx, func() {
		memGuards.mu.Lock()
		delete(memGuards.watches, w)
		memGuards.mu.Unlock()
		cancel(nil)
	}
}

// guarded is ctx with a memory guard of DefaultMemoryLimit unless it
// already has one (a load, or a caller's own limit).
func guarded(ctx context.Context) (context.Context, func()) {
	if ctx.Value(memGuardKey{}) != nil {
		return ctx, func() {}
	}
	return WithMemoryLimit(ctx, DefaultMemoryLimit)
}

// sampleHeap reads the heap every memSampleEvery and cancels the guards
// whose limit it passes; it ends when no guard is left.
func sampleHeap() {
	t := time.NewTicker(memSampleEvery)
	defer t.Stop()
	samples := []metrics.Sample{{Name: "/gc/heap/live:bytes"}, {Name: "/memory/classes/heap/objects:bytes"}}
	for range t.C {
		memGuards.mu.Lock()
		if len(memGuards.watches) == 0 {
			memGuards.running = false
			memGuards.mu.Unlock()
			return
		}
		metrics.Read(samples)
		heap := max(heapValue(samples[0]), heapValue(samples[1])/2)
		for w := range memGuards.watches {
			if heap > w.limit {
				w.cancel(&MemoryLimitError{Limit: w.limit})
				delete(memGuards.watches, w)
			}
		}
		memGuards.mu.Unlock()
	}
}

func heapValue(s metrics.Sample) int64 {
	if s.Value.Kind() != metrics.KindUint64 {
		return 0
	}
	return int64(min(s.Value.Uint64(), 1<<62))
}

// stopped is the error of an evaluation whose context is done: its cause
// (a memory guard's, a load's time limit) when it has one, matching
// ctx.Err() with errors.Is too, so that callers that test for
// context.DeadlineExceeded still find it.
func stopped(ctx context.Context) error {
	err := ctx.Err()
	if err == nil {
		return nil
	}
	cause := context.Cause(ctx)
	if cause == nil || errors.Is(cause, err) {
		// A load's deadline that its caller's passed first: the same limit.
		limit, ok := ctx.Value(loadLimitKey{}).(time.Duration)
		if !ok || err != context.DeadlineExceeded {
			return err
		}
		cause = &LoadTimeoutError{Limit: limit}
	}
	return &causeError{cause: cause, err: err}
}

type causeError struct{ cause, err error }

func (e *causeError) Error() string   { return e.cause.Error() }
func (e *causeError) Unwrap() []error { return []error{e.cause, e.err} }
