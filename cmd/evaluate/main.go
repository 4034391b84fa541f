// Command evaluate scores partner fact files against the Solutions Partner
// designations' rules in a policy bundle.
package main

import (
	"os"
	"runtime/debug"
)

// gcPercent paces the collector by the live heap alone: it collects when
// the heap has grown to three times what survived the last collection.
// Scoring allocates a great deal that dies young while the live heap stays
// small, so 200 rather than Go's 100 halves the collections for the same
// peak a small live heap allows; and with no memory limit, an input whose
// live heap is large (a YAML file, a file with many errors) cannot push
// the collector into running back to back (issue #14: a soft limit with
// the collector off turned such runs 4-6 times slower).
const gcPercent = 200

func main() {
	tuneGC()
	os.Exit(run(os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
}

// tuneGC applies the collector setting above unless GOGC or GOMEMLIMIT
// says otherwise.
func tuneGC() {
	if os.Getenv("GOGC") == "" && os.Getenv("GOMEMLIMIT") == "" {
		debug.SetGCPercent(gcPercent)
	}
}
