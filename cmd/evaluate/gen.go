package main

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"evaluate/engine"
	"evaluate/facts"
	"evaluate/gen"
	"evaluate/pcenter"
)

const genUsage = `evaluate gen writes a synthetic, realistic fact file: deterministic for a seed,
of any size, using the policy bundle's workloads, attribution types and
certifications. For benchmarks, load tests and examples.

Examples:
  evaluate gen --tenants 20000 > big.json            a large partner
  evaluate gen --tenants 50 --format yaml > p.yaml   a small partner, as YAML
  evaluate gen --tenants 20 --partners 50 --format jsonl > population.jsonl   50 partners, one per line
  evaluate gen --tenants 20 --format partner-center --out exports/   its Partner Center exports

Usage:
  evaluate gen [flags]

Flags:
%s`

func runGen(args []string, _ io.Reader, stdout, stderr io.Writer) int {
	stdout = raw(stdout) // fact files are data: every character as it is
	var (
		bf       bundleFlags
		o        gen.Options
		month    string
		format   string
		partners int
		outDir   string
		imf      importFlags
		help     bool
	)
	fs := newFlagSet("evaluate gen")
	fs.IntVar(&o.Tenants, "tenants", 100, "customer tenants per partner")
	fs.IntVar(&o.People, "people", 0, "people with certifications (default: a few, more for big partners)")
	fs.Uint64Var(&o.Seed, "seed", 1, "random seed; the same seed writes the same file")
	fs.StringVar(&month, "month", "2026-10", "reporting month YYYY-MM")
	fs.IntVar(&o.Months, "months", 26, "months of rows, ending in the reporting month")
	fs.StringVar(&format, "format", "json", "json, yaml, jsonl (one partner per line), or partner-center (exports, with --out)")
	fs.IntVar(&partners, "partners", 1, "with --format jsonl: how many partners (seeds seed, seed+1, ...)")
	fs.StringVar(&outDir, "out", "", "with --format partner-center: the folder to write the exports into")
	imf.register(fs)
	bf.register(fs)
	fs.BoolVarP(&help, "help", "h", false, "show this help")
	if err := parseFlags(fs, args); err != nil {
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
	case (format == "partner-center") != (outDir != ""):
		return usageError(stderr, "evaluate gen", fmt.Errorf("--format partner-center writes several files: it needs --out DIR (and --out only goes with it)"))
	case imf.mapping != "" && format != "partner-center":
		return usageError(stderr, "evaluate gen", fmt.Errorf("--mapping says how exports are written: it needs --format partner-center"))
	}
	m, err := facts.ParseMonth(month)
	if err != nil {
		return usageError(stderr, "evaluate gen", fmt.Errorf("--month: %v", err))
	}
	o.Month = m
	b, err := bf.load(context.Background())
	if err != nil {
		return bundleError(stderr, "evaluate gen", err)
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
	case "partner-center":
		err = genExports(o, b, imf, bf.policies, outDir, stderr)
	default:
		return usageError(stderr, "evaluate gen", fmt.Errorf("unknown format %q (want json, yaml, jsonl or partner-center)", format))
	}
	if err != nil {
		fmt.Fprintf(stderr, "evaluate gen: %v\n", err)
		return exitBadInput
	}
	return exitQualified
}

// genExports writes the Partner Center exports of a synthetic partner into
// dir, and beside them fact.yaml: the fact file the exports hold (what
// import gives back; the exports cannot say everything a fact file can,
// such as an association in a month without rows).
func genExports(o gen.Options, b *engine.Bundle, imf importFlags, policiesDir, dir string, stderr io.Writer) error {
	m, err := imf.load(policiesDir)
	if err != nil {
		return err
	}
	var buf bytes.Buffer
	if err := gen.WriteJSON(&buf, o); err != nil {
		return err
	}
	f, err := facts.Parse("generated.json", 1, buf.Bytes(), &b.Schema)
	if err != nil {
		return err
	}
	exports, err := pcenter.Exports(f, &b.Schema, m)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	im := pcenter.NewImporter(m, &b.Schema, 0, "")
	defer im.Close()
	for _, e := range exports {
		name := filepath.Join(dir, e.File)
		if err := os.WriteFile(name, e.Data, 0o644); err != nil {
			return err
		}
		if err := im.ReadFile(name, bytes.NewReader(e.Data)); err != nil {
			return err
		}
		fmt.Fprintf(stderr, "wrote %s\n", name)
	}
	partners, err := im.Partners()
	if err != nil {
		return err
	}
	if len(partners) != 1 {
		return fmt.Errorf("the exports do not import back: %d partners", len(partners))
	}
	if ps := partners[0].Problems; len(ps) > 0 {
		return fmt.Errorf("the exports do not import back:\n%v", ps)
	}
	var data bytes.Buffer
	if err := im.Facts(partners, func(_ *pcenter.Partner, fact *gen.Object) error { return gen.Write(&data, fact, "yaml") }); err != nil {
		return err
	}
	name := filepath.Join(dir, "fact.yaml")
	fmt.Fprintf(stderr, "wrote %s\n", name)
	return os.WriteFile(name, data.Bytes(), 0o644)
}
