// Command evaluate scores partner fact files against a designation's rules.
package main

import (
	"os"
	"runtime/debug"
)

// gcTarget is the heap the collector may grow to before it works harder.
// Scoring allocates a great deal that dies young while the live heap stays
// small (tens of megabytes even for the largest partners), so collecting
// less often is faster; the soft limit keeps peak memory bounded.
const gcTarget = 192 << 20

func main() {
	tuneGC()
	os.Exit(run(os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
}

// tuneGC applies the collector settings above unless GOGC or GOMEMLIMIT
// says otherwise.
func tuneGC() {
	if os.Getenv("GOGC") == "" && os.Getenv("GOMEMLIMIT") == "" {
		debug.SetGCPercent(400)
		debug.SetMemoryLimit(gcTarget)
	}
}
