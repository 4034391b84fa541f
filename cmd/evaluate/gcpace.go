package main

import (
	"math"
	"os"
	"runtime"
	"runtime/debug"
	"runtime/metrics"
	"sync"
)

// The collector's pace. Go's default (GOGC=100) collects when the heap has
// doubled since the last collection. A streamed partner's live heap is
// small (the bundle and the tenants in flight, 15-30 MB), so that is a
// collection for every 15-30 MB allocated, and a peak that grows with the
// live heap. After each collection the pacer sets GOGC so that the next
// one comes when the heap reaches a floor (at most a maximum GOGC), so a
// small heap is collected less often, one near the floor a little more
// often (GOGC 50 at 2/3 of it), and a live heap past 2/3 of the floor (a
// YAML file, a file with many errors) is paced exactly as by default. No
// memory limit is set, so nothing can make the collector run back to back
// (issue #14: a soft limit with the collector off turned such runs 4-6
// times slower); at worst it runs twice as often as by default.
//
// One partner, however large, is paced at heapFloor, so that its peak
// stays about 100 MB (300,000 tenants). A population (several documents)
// is paced at populationFloor: each partner's garbage is short-lived and
// its live heap stays about 20 MB, so a collection every 20-25 MB cost a
// tenth of a population's CPU (60 collections per 400 partners). At 96 MiB
// the peak is about 140 MB (90 MB at 48 MiB); 128 MiB was no faster on
// 400 partners and peaked at 170 MB.
const (
	heapFloor    = 48 << 20
	gcPercentMax = 250

	populationFloor = 96 << 20
	populationMax   = 800
)

// pace is a floor and the largest GOGC that aims at it.
type pace struct {
	floor uint64
	max   int
}

var (
	paceOnePartner = pace{heapFloor, gcPercentMax}
	pacePopulation = pace{populationFloor, populationMax}
)

// percentFor is the GOGC for a live heap of live bytes.
func (p pace) percentFor(live uint64) int {
	if live == 0 || live >= p.floor*2/3 {
		return 100
	}
	return min(p.max, int((p.floor-live)*100/live))
}

// pacer is whether the pacer sets GOGC; mu makes its check and its setting
// one step, so that once stop returns nothing changes GOGC any more.
var pacer struct {
	mu   sync.Mutex
	on   bool
	pace pace
	once sync.Once
}

// tuneGC starts the pacer above, for one partner, unless GOGC or
// GOMEMLIMIT says otherwise.
func tuneGC() {
	if os.Getenv("GOGC") != "" || os.Getenv("GOMEMLIMIT") != "" {
		stopPacer()
		return
	}
	pacer.mu.Lock()
	pacer.on, pacer.pace = true, paceOnePartner
	pacer.mu.Unlock()
	debug.SetMemoryLimit(math.MaxInt64)
	repace()
	pacer.once.Do(armPacer)
}

// paceFor sets the pace the running pacer aims at (none when it is off).
func paceFor(p pace) {
	pacer.mu.Lock()
	pacer.pace = p
	pacer.mu.Unlock()
	repace()
}

// stopPacer leaves GOGC as it is from now on.
func stopPacer() {
	pacer.mu.Lock()
	pacer.on = false
	pacer.mu.Unlock()
}

// armPacer runs pace after the next collection, and again after each one:
// a cleanup runs once the collector has found its object unreachable.
func armPacer() {
	// A pointer, so that the object is never one of the tiny allocator's,
	// whose cleanups may not run.
	runtime.AddCleanup(new(*int), func(struct{}) {
		repace()
		armPacer()
	}, struct{}{})
}

func repace() {
	pacer.mu.Lock()
	defer pacer.mu.Unlock()
	if !pacer.on {
		return
	}
	s := []metrics.Sample{{Name: "/gc/heap/live:bytes"}}
	metrics.Read(s)
	if s[0].Value.Kind() == metrics.KindUint64 {
		debug.SetGCPercent(pacer.pace.percentFor(s[0].Value.Uint64()))
	}
}
