// Command evaluate scores partner fact files against the Solutions Partner
// designations' rules in a policy bundle.
package main

import "os"

func main() {
	tuneGC()
	os.Exit(run(os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
}
