package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"runtime/debug"
	"strings"

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

// options are the parsed command-line flags.
type options struct {
	output      string
	policies    string
	designation string
	month       string
	asOf        string
	version     bool
	help        bool
}

func (o *options) register(fs *pflag.FlagSet) {
	fs.StringVarP(&o.output, "output", "o", "text", "output format: "+strings.Join(rendererNames(), ", "))
	fs.StringVar(&o.policies, "policies", "", "policy bundle folder (default: the bundle embedded in the binary)")
	fs.StringVar(&o.designation, "designation", "", "designation folder in the bundle, when it holds several")
	fs.StringVar(&o.month, "month", "", "reporting month YYYY-MM (overrides the file's month)")
	fs.StringVar(&o.asOf, "as-of", "", "evaluation date YYYY-MM-DD for certifications (overrides the file's as_of)")
	fs.BoolVar(&o.version, "version", false, "print the versions of evaluate, OPA and cel-go")
	fs.BoolVarP(&o.help, "help", "h", false, "show this help")
}

// run is the whole CLI; main only exits with its code.
func run(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	var o options
	fs := pflag.NewFlagSet("evaluate", pflag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.SortFlags = false
	o.register(fs)
	if err := fs.Parse(args); err != nil {
		fmt.Fprintf(stderr, "evaluate: %v\nRun 'evaluate --help' for usage.\n", err)
		return exitBadInput
	}
	switch {
	case o.help:
		fmt.Fprintf(stdout, usage, fs.FlagUsages())
		return exitQualified
	case o.version:
		printVersion(stdout)
		return exitQualified
	}
	render, ok := renderers[o.output]
	if !ok {
		fmt.Fprintf(stderr, "evaluate: unknown output format %q (want %s)\n", o.output, strings.Join(rendererNames(), ", "))
		return exitBadInput
	}
	if fs.NArg() == 0 {
		fmt.Fprintf(stderr, "evaluate: no fact file given\nRun 'evaluate --help' for usage.\n")
		return exitBadInput
	}
	wopts, err := o.windowOptions()
	if err != nil {
		fmt.Fprintf(stderr, "evaluate: %v\n", err)
		return exitBadInput
	}
	ctx := context.Background()
	bundle, err := loadBundle(ctx, o.policies, o.designation)
	if err != nil {
		fmt.Fprintf(stderr, "evaluate: bad policy bundle:\n%v\n", err)
		return exitBadInput
	}
	code := exitQualified
	var results []*engine.Result
	for _, name := range fs.Args() {
		r, err := evaluateFile(ctx, bundle, name, stdin, wopts)
		if err != nil {
			fmt.Fprintln(stderr, err)
			code = exitBadInput
			continue
		}
		for _, w := range r.Warnings {
			fmt.Fprintf(stderr, "warning: %s\n", w)
		}
		if !r.Qualified && code == exitQualified {
			code = exitNotQualified
		}
		results = append(results, r)
	}
	if len(results) > 0 || fs.NArg() > 1 {
		if err := render(stdout, results, fs.NArg() > 1); err != nil {
			fmt.Fprintf(stderr, "evaluate: write output: %v\n", err)
			return exitBadInput
		}
	}
	return code
}

func (o *options) windowOptions() (facts.WindowOptions, error) {
	var w facts.WindowOptions
	if o.month != "" {
		m, err := facts.ParseMonth(o.month)
		if err != nil {
			return w, fmt.Errorf("--month: %v", err)
		}
		w.Month, w.HasMonth = m, true
	}
	if o.asOf != "" {
		d, err := facts.ParseDate(o.asOf)
		if err != nil {
			return w, fmt.Errorf("--as-of: %v", err)
		}
		w.AsOf = d
	}
	return w, nil
}

func loadBundle(ctx context.Context, dir, designation string) (*engine.Bundle, error) {
	if dir == "" {
		return engine.Default(ctx)
	}
	return engine.LoadDir(ctx, dir, designation)
}

// evaluateFile reads, validates and scores one fact file ("-" is stdin).
func evaluateFile(ctx context.Context, b *engine.Bundle, name string, stdin io.Reader, wopts facts.WindowOptions) (*engine.Result, error) {
	var data []byte
	var err error
	if name == "-" {
		data, err = io.ReadAll(stdin)
		name = "<stdin>"
	} else {
		data, err = os.ReadFile(name)
	}
	if err != nil {
		var pe *os.PathError
		if errors.As(err, &pe) {
			err = pe.Err
		}
		return nil, fmt.Errorf("%s: %v", name, err)
	}
	f, err := facts.Parse(name, data, b.Vocabulary)
	if err != nil {
		return nil, err
	}
	w, err := f.Window(wopts)
	if err != nil {
		return nil, err
	}
	r, err := b.Evaluate(ctx, f, w)
	if err != nil {
		return nil, fmt.Errorf("%s: evaluate: %v", name, err)
	}
	return r, nil
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
