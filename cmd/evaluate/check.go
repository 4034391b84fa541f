package main

import (
	"context"
	"errors"
	"fmt"
	"io"

	policies "evaluate"
	"evaluate/engine"
)

const checkUsage = `evaluate check loads a policy bundle the way evaluation does and reports every
problem in it: CEL that does not compile or type-check, Rego that does not compile
(strict mode, sandboxed built-ins), a params.yaml that breaks its schema, and
an expression that fails when scoring generated partners (a misspelt key of a
params map type-checks). On success, one line per designation: its name and hash.

Examples:
  evaluate check                          check the embedded bundle
  evaluate check --policies my-policies   check an edited copy before using it

Usage:
  evaluate check [--policies DIR]

Flags:
%s
Exit codes: 0 the bundle is sound, 2 it has problems (each listed as file:line:col).
`

func runCheck(args []string, _ io.Reader, stdout, stderr io.Writer) int {
	var bf bundleFlags
	var help bool
	fs := newFlagSet("evaluate check")
	bf.register(fs)
	fs.BoolVarP(&help, "help", "h", false, "show this help")
	if err := parseFlags(fs, args); err != nil {
		return usageError(stderr, "evaluate check", err)
	}
	if help {
		fmt.Fprintf(stdout, checkUsage, fs.FlagUsages())
		return exitQualified
	}
	if fs.NArg() > 0 {
		return usageError(stderr, "evaluate check", fmt.Errorf("unexpected arguments %v (the bundle is chosen with --policies)", fs.Args()))
	}
	ctx := context.Background()
	var b *engine.Bundle
	var err error
	if bf.policies == "" {
		// Everything checked now, as for a bundle read from a folder
		// (scoring runs check the embedded bundle's explanations only
		// when they explain).
		if err = bf.validate(); err == nil {
			if b, err = loadEmbedded(ctx); err == nil {
				if b, err = b.Select(bf.designations); err != nil {
					err = designationError{err}
				}
			}
		}
	} else {
		b, err = bf.load(ctx)
	}
	if errors.As(err, new(designationError)) {
		return usageError(stderr, "evaluate check", err)
	}
	if err == nil {
		// What type checks cannot see fails on data.
		err = b.Try(ctx, engine.FolderHashes(policies.Policies))
	}
	if err != nil {
		var pe engine.PolicyErrors
		n := 1
		if errors.As(err, &pe) {
			n = len(pe)
		}
		fmt.Fprintln(stderr, err)
		fmt.Fprintf(stderr, "%d %s in %s\n", n, plural(n, "problem", "problems"), bundleName(bf.policies))
		return exitBadInput
	}
	for _, d := range b.Designations {
		for _, w := range d.Warnings {
			fmt.Fprintf(stderr, "warning: %v\n", w)
		}
		warned := ""
		if n := len(d.Warnings); n > 0 {
			warned = fmt.Sprintf(", %d %s", n, plural(n, "warning", "warnings"))
		}
		fmt.Fprintf(stdout, "ok: %s (%s) %s: %s%s\n", bundleName(bf.policies), d.ID, d.Hash, d.Summary(), warned)
	}
	return exitQualified
}

func bundleName(dir string) string {
	if dir == "" {
		return engine.EmbeddedSource + " bundle"
	}
	return dir
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}
