// Command evaluate scores partner fact files against a designation's rules.
package main

import (
	"os"
	"runtime/debug"
)

// gcTarget is the heap the collector lets grow before it collects.
// Scoring allocates a great deal that dies young while the live heap stays
// small (about 10 MB for a population, tens of megabytes for the largest
// partners), so the collector is paced by this soft limit alone rather than
// by the live heap's growth: a population then runs with a handful of
// collections instead of thirty (5-8% less CPU), and peak memory stays
// near the limit, about 210 MB, whatever the input.
const gcTarget = 192 << 20

func main() {
	tuneGC()
	os.Exit(run(os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
}

// tuneGC applies the collector settings above unless GOGC or GOMEMLIMIT
// says otherwise.
func tuneGC() {
	if os.Getenv("GOGC") == "" && os.Getenv("GOMEMLIMIT") == "" {
		debug.SetGCPercent(-1)
		debug.SetMemoryLimit(gcTarget)
	}
}
