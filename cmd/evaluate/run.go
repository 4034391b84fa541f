package main

import (
	"context"
	"fmt"
	"io"
	"runtime"
	"runtime/debug"
	"strings"
	"time"

	"evaluate/engine"
	"evaluate/facts"

	"github.com/open-policy-agent/opa/v1/version"
	"github.com/spf13/pflag"
)

// Exit codes of the CLI.
const (
	exitQualified    = 0
	exitNotQualified = 1
	exitBadInput     = 2
)

// defaultTimeout bounds one file's evaluation unless --timeout says otherwise.
const defaultTimeout = time.Minute

// run is the whole CLI; main only exits with its code. The first argument
// may name a command; anything else is the scoring command's.
func run(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	if len(args) > 0 {
		if cmd, ok := commands[args[0]]; ok {
			return cmd(args[1:], stdin, stdout, stderr)
		}
	}
	return runScore(args, stdin, stdout, stderr)
}

type command func(args []string, stdin io.Reader, stdout, stderr io.Writer) int

var commands map[string]command

func init() {
	commands = map[string]command{"check": runCheck, "test": runTest, "diff": runDiff, "gen": runGen}
}

// bundleFlags are the flags every command has for choosing the policies.
type bundleFlags struct {
	policies    string
	designation string
}

func (b *bundleFlags) register(fs *pflag.FlagSet) {
	fs.StringVar(&b.policies, "policies", "", "policy bundle folder (default: the bundle embedded in the binary)")
	fs.StringVar(&b.designation, "designation", "", "designation folder in the bundle, when it holds several")
}

func (b *bundleFlags) load(ctx context.Context) (*engine.Bundle, error) {
	return loadBundle(ctx, b.policies, b.designation)
}

func loadBundle(ctx context.Context, dir, designation string) (*engine.Bundle, error) {
	if dir == "" {
		return engine.Default(ctx)
	}
	return engine.LoadDir(ctx, dir, designation)
}

// scoreFlags are the flags of every command that scores fact files.
type scoreFlags struct {
	month    string
	asOf     string
	timeout  time.Duration
	maxBytes int64
}

// defaultMaxBytes refuses fact files over 1 GiB unless --max-bytes says
// otherwise: a JSON file of a million tenants is about 1.5 GiB, so larger
// partners need the flag, and a runaway export is stopped early.
const defaultMaxBytes = 1 << 30

func (s *scoreFlags) register(fs *pflag.FlagSet) {
	fs.StringVar(&s.month, "month", "", "reporting month YYYY-MM (overrides the file's month)")
	fs.StringVar(&s.asOf, "as-of", "", "evaluation date YYYY-MM-DD for certifications (overrides the file's as_of)")
	fs.DurationVar(&s.timeout, "timeout", defaultTimeout, "give up on a file whose evaluation takes longer (0: no limit)")
	fs.Int64Var(&s.maxBytes, "max-bytes", defaultMaxBytes, "refuse a fact file (or JSON Lines document) larger than this (0: no limit)")
}

func (s *scoreFlags) scorer(b *engine.Bundle, stdin io.Reader) (*scorer, error) {
	sc := &scorer{bundle: b, timeout: s.timeout, stdin: stdin, maxBytes: s.maxBytes}
	if s.month != "" {
		m, err := facts.ParseMonth(s.month)
		if err != nil {
			return nil, fmt.Errorf("--month: %v", err)
		}
		sc.window.Month, sc.window.HasMonth = m, true
	}
	if s.asOf != "" {
		d, err := facts.ParseDate(s.asOf)
		if err != nil {
			return nil, fmt.Errorf("--as-of: %v", err)
		}
		sc.window.AsOf = d
	}
	return sc, nil
}

// newFlagSet returns a flag set that reports errors instead of exiting.
func newFlagSet(name string) *pflag.FlagSet {
	fs := pflag.NewFlagSet(name, pflag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.SortFlags = false
	return fs
}

func usageError(stderr io.Writer, cmd string, err error) int {
	fmt.Fprintf(stderr, "%s: %v\nRun '%s --help' for usage.\n", cmd, err, cmd)
	return exitBadInput
}

// runScore is the default command: score fact files and print the results.
func runScore(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	var (
		bf          bundleFlags
		sf          scoreFlags
		output      string
		explain     bool
		ropts       renderOptions
		months      string
		jobs        int
		jsonlIn     bool
		shardSpec   string
		showVersion bool
		help        bool
	)
	fs := newFlagSet("evaluate")
	fs.StringVarP(&output, "output", "o", "text", "output format: "+strings.Join(rendererNames(), ", "))
	bf.register(fs)
	sf.register(fs)
	fs.BoolVar(&explain, "explain", false, "show the tenants, people and rules behind every metric")
	fs.StringVar(&ropts.Track, "track", "", "with --explain in text: only this track")
	fs.StringVar(&ropts.Metric, "metric", "", "with --explain in text: only this metric")
	fs.StringVar(&months, "months", "", "score every reporting month FROM..TO (YYYY-MM..YYYY-MM) and the designation status")
	fs.IntVar(&jobs, "jobs", runtime.NumCPU(), "partners scored in parallel")
	fs.BoolVar(&jsonlIn, "jsonl", false, "the inputs (or stdin, -) are JSON Lines: one fact document per line")
	fs.StringVar(&shardSpec, "shard", "", "score only shard i of n (i/n): the partners at positions i, i+n, i+2n, ...")
	fs.BoolVar(&showVersion, "version", false, "print the versions of evaluate, OPA and cel-go")
	fs.BoolVarP(&help, "help", "h", false, "show this help")
	if err := fs.Parse(args); err != nil {
		return usageError(stderr, "evaluate", err)
	}
	switch {
	case help:
		fmt.Fprintf(stdout, usage, fs.FlagUsages())
		return exitQualified
	case showVersion:
		printVersion(stdout)
		return exitQualified
	}
	render, ok := renderers[output]
	if !ok {
		return usageError(stderr, "evaluate", fmt.Errorf("unknown output format %q (want %s)", output, strings.Join(rendererNames(), ", ")))
	}
	if fs.NArg() == 0 {
		return usageError(stderr, "evaluate", fmt.Errorf("no fact file given"))
	}
	ctx := context.Background()
	bundle, err := bf.load(ctx)
	if err != nil {
		fmt.Fprintf(stderr, "evaluate: bad policy bundle:\n%v\n", err)
		return exitBadInput
	}
	sc, err := sf.scorer(bundle, stdin)
	if err != nil {
		return usageError(stderr, "evaluate", err)
	}
	sc.explain = explain
	files, folder, err := expandPaths(fs.Args())
	if err != nil {
		fmt.Fprintf(stderr, "evaluate: %v\n", err)
		return exitBadInput
	}
	ropts.List = len(files) > 1 || folder || jsonlIn
	if months != "" {
		return runMonths(ctx, sc, months, files, output, stdout, stderr)
	}
	sh, err := parseShard(shardSpec)
	if err != nil {
		return usageError(stderr, "evaluate", err)
	}
	if ropts.List || output == "jsonl" || sh.Count > 1 {
		b := &batch{sc: sc, jobs: jobs, jsonl: jsonlIn, shard: sh}
		return runBatch(ctx, b, files, output, render, ropts, stdout, stderr)
	}
	results, code := sc.score(ctx, files, stderr)
	if len(results) > 0 {
		if err := render(stdout, results, ropts); err != nil {
			fmt.Fprintf(stderr, "evaluate: write output: %v\n", err)
			return exitBadInput
		}
	}
	return code
}

func printVersion(w io.Writer) {
	evaluate, cel := "(devel)", "unknown"
	if info, ok := debug.ReadBuildInfo(); ok {
		if info.Main.Version != "" {
			evaluate = info.Main.Version
		}
		for _, d := range info.Deps {
			if d.Path == "github.com/google/cel-go" {
				cel = d.Version
			}
		}
	}
	fmt.Fprintf(w, "evaluate %s\nOPA      %s\ncel-go   %s\n", evaluate, version.Version, cel)
}
