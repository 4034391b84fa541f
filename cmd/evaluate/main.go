// Command evaluate scores partner fact files against the Solutions Partner
// designations' rules in a policy bundle.
package main

import (
	"os"
	"runtime/debug"
)

// gcPercent paces the collector by the live heap alone: it collects when
// the heap has doubled since the last collection (Go's default, set here
// so that nothing else can change it). With no memory limit, an input whose
// live heap is large (a YAML file, a file with many errors) cannot push the
// collector into running back to back (issue #14: a soft limit with the
// collector off turned such runs 4-6 times slower). 200 would save a tenth
// of the time of a large partner for half again the peak memory (146 MB
// rather than 107 MB at 100,000 tenants).
const gcPercent = 100

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
