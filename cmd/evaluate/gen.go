package main

import (
	"bufio"
	"context"
	"fmt"
	"io"

	"evaluate/facts"
	"evaluate/gen"
)

const genUsage = `evaluate gen writes a synthetic, realistic fact file: deterministic for a seed,
of any size, using the policy bundle's workloads, attribution types and
certifications. For benchmarks, load tests and examples.

Examples:
  evaluate gen --tenants 100000 > big.json           a distributor-sized partner
  evaluate gen --tenants 50 --format yaml > p.yaml   a small partner, as YAML
  evaluate gen --tenants 50 --partners 500 --format jsonl > population.jsonl

Usage:
  evaluate gen [flags]

Flags:
%s`

func runGen(args []string, _ io.Reader, stdout, stderr io.Writer) int {
	var (
		bf       bundleFlags
		o        gen.Options
		month    string
		format   string
		partners int
		help     bool
	)
	fs := newFlagSet("evaluate gen")
	fs.IntVar(&o.Tenants, "tenants", 100, "customer tenants per partner")
	fs.IntVar(&o.People, "people", 0, "people with certifications (default: a few, more for big partners)")
	fs.Uint64Var(&o.Seed, "seed", 1, "random seed; the same seed writes the same file")
	fs.StringVar(&month, "month", "2026-10", "reporting month YYYY-MM")
	fs.IntVar(&o.Months, "months", 26, "months of rows, ending in the reporting month")
	fs.StringVar(&format, "format", "json", "json, yaml, or jsonl (one partner per line)")
	fs.IntVar(&partners, "partners", 1, "with --format jsonl: how many partners (seeds seed, seed+1, ...)")
	bf.register(fs)
	fs.BoolVarP(&help, "help", "h", false, "show this help")
	if err := fs.Parse(args); err != nil {
		return usageError(stderr, "evaluate gen", err)
	}
	if help {
		fmt.Fprintf(stdout, genUsage, fs.FlagUsages())
		return exitQualified
	}
	switch {
	case fs.NArg() > 0:
		return usageError(stderr, "evaluate gen", fmt.Errorf("unexpected arguments %v (gen writes to stdout)", fs.Args()))
	case o.Tenants < 0:
		return usageError(stderr, "evaluate gen", fmt.Errorf("--tenants %d: want 0 or more", o.Tenants))
	case o.People < 0:
		return usageError(stderr, "evaluate gen", fmt.Errorf("--people %d: want 0 or more", o.People))
	case o.Months < 1:
		return usageError(stderr, "evaluate gen", fmt.Errorf("--months %d: want 1 or more", o.Months))
	case partners < 1:
		return usageError(stderr, "evaluate gen", fmt.Errorf("--partners %d: want 1 or more", partners))
	case fs.Changed("partners") && format != "jsonl":
		return usageError(stderr, "evaluate gen", fmt.Errorf("--partners writes several partners, one per line: it needs --format jsonl"))
	}
	m, err := facts.ParseMonth(month)
	if err != nil {
		return usageError(stderr, "evaluate gen", fmt.Errorf("--month: %v", err))
	}
	o.Month = m
	b, err := bf.load(context.Background())
	if err != nil {
		fmt.Fprintf(stderr, "evaluate gen: bad policy bundle:\n%v\n", err)
		return exitBadInput
	}
	o.Schema = &b.Schema
	w := bufio.NewWriterSize(stdout, 1<<16)
	defer w.Flush()
	switch format {
	case "json":
		err = gen.WriteJSON(w, o)
	case "yaml":
		err = gen.WriteYAML(w, o)
	case "jsonl":
		err = gen.WriteJSONLines(w, o, partners)
	default:
		return usageError(stderr, "evaluate gen", fmt.Errorf("unknown format %q (want json, yaml or jsonl)", format))
	}
	if err != nil {
		fmt.Fprintf(stderr, "evaluate gen: %v\n", err)
		return exitBadInput
	}
	return exitQualified
}
