package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	iofs "io/fs"
	"maps"
	"os"
	"os/signal"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"slices"
	"strings"
	"sync"
	"syscall"
	"time"

	policies "evaluate"
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
	// exitInterrupted is the shell's code for a run ended by SIGINT.
	exitInterrupted = 130
)

// defaultTimeout bounds one file's evaluation unless --timeout says otherwise.
const defaultTimeout = time.Minute

// run is the whole CLI; main only exits with its code. The first argument
// may name a command; anything else is the scoring command's.
func run(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	out, errOut := newOutput(stdout), newOutput(stderr)
	code := dispatch(args, stdin, out, errOut)
	// A command that lost its output has not done its work, whatever it
	// found; most say so themselves, the others are caught here.
	if err := writeFailed(out); err != nil && code != exitBadInput {
		fmt.Fprintf(errOut, "evaluate: write output: %v\n", err)
		code = exitBadInput
	}
	errOut.flush()
	return code
}

func dispatch(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	if len(args) > 0 {
		if cmd, ok := commands[args[0]]; ok {
			return cmd(args[1:], stdin, stdout, stderr)
		}
		if like := mistypedCommand(args[0]); like != "" {
			return usageError(stderr, "evaluate", fmt.Errorf("unknown command %q (did you mean %s?)", args[0], like))
		}
	}
	return runScore(args, stdin, stdout, stderr)
}

// mistypedCommand returns the command that arg is a misspelling of, when
// arg is no file: one word close to a command's name.
func mistypedCommand(arg string) string {
	if strings.ContainsAny(arg, "./\\-") {
		return ""
	}
	if _, err := os.Stat(arg); err == nil {
		return ""
	}
	names := slices.Sorted(maps.Keys(commands))
	if s := facts.Suggest(arg, names); s != "" {
		return strings.Trim(strings.TrimSuffix(strings.TrimPrefix(s, " (did you mean "), "?)"), `"`)
	}
	return ""
}

type command func(args []string, stdin io.Reader, stdout, stderr io.Writer) int

var commands map[string]command

func init() {
	commands = map[string]command{"check": runCheck, "test": runTest, "diff": runDiff, "gen": runGen, "import": runImport, "help": runHelp, "version": runVersion}
}

// bundleFlags are the flags every command has for choosing the policies.
type bundleFlags struct {
	policies     string
	designations []string
	fs           *pflag.FlagSet
}

func (b *bundleFlags) register(fs *pflag.FlagSet) {
	b.fs = fs
	fs.StringVar(&b.policies, "policies", "", "policy bundle folder, or one designation's folder (default: the bundle embedded in the binary)")
	fs.StringSliceVar(&b.designations, "designation", nil, "only these designations of the bundle, e.g. "+designationExample()+" (default: every one)")
}

// designationExample names two designations of the embedded bundle, as a
// flag's example: the names are the bundle's, not the engine's. Read once
// per process, as every command registers the flag.
var designationExample = sync.OnceValue(func() string {
	names, err := engine.DesignationFolders(policies.Policies)
	if err != nil || len(names) == 0 {
		return "a,b"
	}
	return strings.Join(names[:min(2, len(names))], ",")
})

func (b *bundleFlags) load(ctx context.Context) (*engine.Bundle, error) {
	if err := b.validate(); err != nil {
		return nil, err
	}
	return loadBundle(ctx, b.policies, b.designations)
}

// validate refuses --designation ” (an unset variable in a script): a
// mistake, not "every designation".
func (b *bundleFlags) validate() error {
	if b.fs != nil && b.fs.Changed("designation") && (len(b.designations) == 0 || slices.Contains(b.designations, "")) {
		return designationError{errors.New("an empty name: give designations, e.g. " + designationExample() + ", or leave the flag out for every one")}
	}
	return nil
}

// Bundle loaders: variables so that the tests, which run the command many
// times in one process, compile each bundle once.
var (
	loadDir      = engine.LoadDir
	loadEmbedded = engine.LoadEmbedded
)

// loadBundle loads the bundle of dir ("" for the embedded one), narrowed
// to the designations named.
func loadBundle(ctx context.Context, dir string, designations []string) (*engine.Bundle, error) {
	var b *engine.Bundle
	var err error
	if dir == "" {
		b, err = engine.Default(ctx)
	} else {
		b, err = loadDir(ctx, dir)
	}
	if err != nil {
		return nil, err
	}
	sel, err := b.Select(designations)
	if err != nil {
		return nil, designationError{err}
	}
	return sel, nil
}

// designationError is a --designation the bundle does not have: a usage
// error, not a bad bundle.
type designationError struct{ err error }

func (e designationError) Error() string { return "--designation: " + e.err.Error() }

// bundleError reports why the bundle could not be loaded (exit 2).
func bundleError(stderr io.Writer, cmd string, err error) int {
	if errors.As(err, new(designationError)) {
		return usageError(stderr, cmd, err)
	}
	fmt.Fprintf(stderr, "%s: bad policy bundle:\n%v\n", cmd, err)
	return exitBadInput
}

// scoreFlags are the flags of every command that scores fact files.
type scoreFlags struct {
	month     string
	asOf      string
	timeout   time.Duration
	maxBytes  byteSize
	maxErrors int
}

// defaultMaxBytes refuses fact files over 1 GiB unless --max-bytes says
// otherwise: a JSON file of a million tenants is about 1.5 GiB, so larger
// partners need the flag, and a runaway export is stopped early.
const defaultMaxBytes = 1 << 30

func (s *scoreFlags) register(fs *pflag.FlagSet) {
	fs.StringVar(&s.month, "month", "", "reporting month YYYY-MM (overrides the file's month)")
	fs.StringVar(&s.asOf, "as-of", "", "evaluation date YYYY-MM-DD for certifications (overrides the file's as_of)")
	fs.DurationVar(&s.timeout, "timeout", defaultTimeout, "give up on a file whose evaluation takes longer (0: no limit)")
	s.maxBytes = defaultMaxBytes
	fs.Var(&s.maxBytes, "max-bytes", "refuse a fact file (or JSON Lines document) larger than this, e.g. 500MB, 2GiB (0: no limit)")
	fs.IntVar(&s.maxErrors, "max-errors", defaultMaxErrors, "report at most this many problems of one file, then how many more (0: all)")
}

func (s *scoreFlags) scorer(b *engine.Bundle, stdin io.Reader) (*scorer, error) {
	if s.timeout < 0 {
		return nil, fmt.Errorf("--timeout %s: want 0 (no limit) or more", s.timeout)
	}
	if s.maxErrors < 0 {
		return nil, fmt.Errorf("--max-errors %d: want 0 (all) or more", s.maxErrors)
	}
	sc := &scorer{bundle: b, timeout: s.timeout, stdin: stdin, maxBytes: int64(s.maxBytes), maxErrors: s.maxErrors}
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

// parseFlags parses args, refusing a flag that takes one value given
// twice with two values (-o json -o text): which one was meant cannot be
// known, and the last would win in silence. Lists (--designation a
// --designation b) add up.
func parseFlags(fs *pflag.FlagSet, args []string) error {
	fs.VisitAll(func(f *pflag.Flag) {
		if t := f.Value.Type(); !strings.Contains(t, "Slice") && !strings.Contains(t, "Array") {
			f.Value = &onceValue{Value: f.Value}
		}
	})
	return fs.Parse(args)
}

// onceValue is a flag's value that may be set once (or again to an
// equal value).
type onceValue struct {
	pflag.Value
	set   bool
	first string
}

func (v *onceValue) Set(s string) error {
	if !v.set {
		v.set, v.first = true, s
		return v.Value.Set(s)
	}
	// The same value written otherwise (--timeout 1m, then 60s) is the
	// same value.
	was := v.Value.String()
	if err := v.Value.Set(s); err != nil {
		return err
	}
	if v.Value.String() != was {
		return fmt.Errorf("already given as %q: give it once", v.first)
	}
	return nil
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
		gap         bool
		ropts       renderOptions
		months      string
		jobs        int
		jsonlIn     bool
		shardSpec   string
		wf          warningFlags
		from        string
		imf         importFlags
		showVersion bool
		help        bool
	)
	fs := newFlagSet("evaluate")
	fs.StringVarP(&output, "output", "o", "text", "output format: "+strings.Join(rendererNames(), ", "))
	bf.register(fs)
	sf.register(fs)
	fs.BoolVar(&explain, "explain", false, "show the tenants, people and rules behind every metric")
	fs.StringVar(&ropts.Track, "track", "", "with --explain: only this track")
	fs.StringVar(&ropts.Metric, "metric", "", "with --explain: only this metric")
	fs.BoolVar(&gap, "gap", false, "with -o jsonl: plan what it takes for each track that does not qualify, as other formats do (--gap=false: in no format)")
	fs.StringVar(&months, "months", "", "score every reporting month FROM..TO (YYYY-MM..YYYY-MM) and the designation status")
	fs.IntVar(&jobs, "jobs", runtime.NumCPU(), "partners scored in parallel")
	fs.BoolVar(&jsonlIn, "jsonl", false, "the inputs (or stdin, -) are JSON Lines: one fact document per line (.jsonl and .ndjson files always are)")
	fs.StringVar(&shardSpec, "shard", "", "score only shard i of n (i/n): the partners at positions i, i+n, i+2n, ...")
	wf.register(fs)
	fs.StringVar(&from, "from", "", "the inputs are exports to import first: partner-center (CSV or TSV Insights downloads; see evaluate import)")
	imf.register(fs)
	fs.BoolVar(&showVersion, "version", false, "print the versions of evaluate, OPA and cel-go")
	fs.BoolVarP(&help, "help", "h", false, "show this help")
	if err := parseFlags(fs, args); err != nil {
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
	if output == "json" || output == "jsonl" {
		// JSON escapes by itself. A page is escaped like text: it is
		// shared, and a name's bidirectional override would reverse what
		// its readers see (browsers act on it as terminals do).
		stdout = raw(stdout)
	}
	warn, err := wf.mode(fs)
	if err != nil {
		return usageError(stderr, "evaluate", err)
	}
	sh, err := parseShard(shardSpec)
	if err != nil {
		return usageError(stderr, "evaluate", err)
	}
	switch {
	case jobs < 1:
		return usageError(stderr, "evaluate", fmt.Errorf("--jobs %d: want 1 or more", jobs))
	case (ropts.Track != "" || ropts.Metric != "") && !explain:
		return usageError(stderr, "evaluate", fmt.Errorf("--track and --metric choose what --explain shows: add --explain"))
	case months != "" && sf.month != "":
		return usageError(stderr, "evaluate", fmt.Errorf("--months and --month both choose the reporting month: give one"))
	case months != "" && explain:
		return usageError(stderr, "evaluate", fmt.Errorf("--months shows the score of each month; --explain explains one: use --month M --explain"))
	case months != "" && (sh.Count > 1 || output == "jsonl"):
		return usageError(stderr, "evaluate", fmt.Errorf("--months writes text, json or html, one history per partner; it has no --shard or -o jsonl"))
	case months != "" && (fs.Changed("jobs") || fs.Changed("gap")):
		return usageError(stderr, "evaluate", fmt.Errorf("--months scores its partners one after another and shows no plans: it takes no --jobs or --gap"))
	case stdinTwice(fs.Args()):
		return usageError(stderr, "evaluate", fmt.Errorf("- (stdin) is given more than once: it can be read only once"))
	case from != "" && from != "partner-center":
		return usageError(stderr, "evaluate", fmt.Errorf("--from %q: want partner-center", from))
	case imf.mapping != "" && from == "":
		return usageError(stderr, "evaluate", fmt.Errorf("--mapping says how exports are read: add --from partner-center"))
	case from != "" && jsonlIn:
		return usageError(stderr, "evaluate", fmt.Errorf("--from partner-center reads CSV or TSV exports, not JSON Lines"))
	case fs.NArg() == 0:
		return usageError(stderr, "evaluate", fmt.Errorf("no fact file given"))
	}
	ctx, stop := interrupts(context.Background())
	defer stop()
	bundle, err := bf.load(ctx)
	if err != nil {
		return bundleError(stderr, "evaluate", err)
	}
	if warn != warningsNone {
		for _, w := range bundle.Warnings() {
			fmt.Fprintf(stderr, "warning: %v\n", w)
		}
	}
	if err := wordAsFile(fs, bundle); err != nil {
		return usageError(stderr, "evaluate", err)
	}
	if err := checkChoice("--track", ropts.Track, trackNames(bundle)); err != nil {
		return usageError(stderr, "evaluate", err)
	}
	if err := checkChoice("--metric", ropts.Metric, metricNames(bundle)); err != nil {
		return usageError(stderr, "evaluate", err)
	}
	sc, err := sf.scorer(bundle, stdin)
	if err != nil {
		return usageError(stderr, "evaluate", err)
	}
	sc.explain = explain
	sc.explainTrack, sc.explainMetric = ropts.Track, ropts.Metric
	// JSON Lines is for populations: their verdicts, without the plan
	// search that costs a fifth of their scoring, unless asked for.
	sc.noPlans = output == "jsonl"
	if fs.Changed("gap") {
		sc.noPlans = !gap
	}
	var srcs []source
	if from != "" {
		var done func()
		if srcs, done, err = fromPartnerCenter(fs.Args(), stdin, imf, bf.policies, bundle, warn, stderr); err != nil {
			fmt.Fprintln(stderr, err)
			return exitBadInput
		}
		defer done()
	} else {
		srcs = expandSources(fs.Args(), jsonlIn)
	}
	if months != "" {
		return runMonths(ctx, sc, months, srcs, output, warn, stdout, stderr)
	}
	ropts.List = len(srcs) > 1 || len(fs.Args()) > 1 || slices.ContainsFunc(srcs, func(s source) bool { return s.jsonl })
	for _, a := range fs.Args() {
		if st, err := os.Stat(a); err == nil && st.IsDir() {
			ropts.List = true
		}
	}
	if from != "" {
		ropts.List = len(srcs) > 1 // the exports of one partner are one result
	}
	if ropts.List {
		sc.workers = 1 // partners run in parallel; each on one worker
		paceFor(pacePopulation)
	}
	b := &batch{sc: sc, jobs: jobs, shard: sh}
	code := scoreInputs(ctx, b, srcs, output, render, ropts, warn, stdout, stderr)
	if code == exitBadInput {
		oneFolderHint(stderr, bf.policies)
	}
	return code
}

// stdinTwice is whether "-" is among args more than once.
func stdinTwice(args []string) bool {
	n := 0
	for _, a := range args {
		if a == "-" {
			n++
		}
	}
	return n > 1
}

// oneFolderHint follows bad input scored with one designation's folder of
// a larger bundle: the fact file's vocabulary was then judged against that
// designation alone (FACTS.md), which refuses the shared fact file's
// types and keys of the others.
func oneFolderHint(stderr io.Writer, policies string) {
	if policies == "" {
		return
	}
	parent, ok := engine.InBundleOfSeveral(policies)
	if !ok {
		return
	}
	name := filepath.Base(filepath.Clean(policies))
	if abs, err := filepath.Abs(policies); err == nil {
		name = filepath.Base(abs) // the folder's own name for "."
	}
	fmt.Fprintf(stderr, "hint: --policies %s is one designation's folder: facts are checked against what %s alone accepts.\n"+
		"      To check it against the whole bundle and score only %s, use --policies %s --designation %s\n", policies, name, name, parent, name)
}

// interrupts is a context that ends on SIGINT or SIGTERM, so that a batch
// stops between records rather than in the middle of one. Its stop
// function restores the default, so a second interrupt kills at once.
// Tests replace it.
var interrupts = func(ctx context.Context) (context.Context, context.CancelFunc) {
	ctx, stop := signal.NotifyContext(ctx, os.Interrupt, syscall.SIGTERM)
	context.AfterFunc(ctx, stop)
	return ctx, stop
}

// wordAsFile refuses a missing fact file named as a flag ("evaluate
// explain FILE") or as a designation ("--designation a b FILE"): a word
// meant for a flag, not a file to report missing after the others were
// scored.
func wordAsFile(fs *pflag.FlagSet, b *engine.Bundle) error {
	for _, a := range fs.Args() {
		if _, err := os.Stat(a); !errors.Is(err, iofs.ErrNotExist) {
			continue
		}
		if fs.Lookup(a) != nil {
			return fmt.Errorf("%s: no such file; did you mean --%s?", a, a)
		}
		if slices.Contains(b.All, a) {
			return fmt.Errorf("%s: no such file; several designations are one comma-separated list: --designation a,b", a)
		}
	}
	return nil
}

// checkChoice refuses a flag value that is not one of valid ("" is no choice).
func checkChoice(flag, got string, valid []string) error {
	if got == "" || slices.Contains(valid, got) {
		return nil
	}
	return fmt.Errorf("%s %q: no such name%s (want one of %s)", flag, got, facts.SuggestTyped(got, valid), strings.Join(valid, ", "))
}

// trackNames are the tracks of every designation scored.
func trackNames(b *engine.Bundle) []string {
	var out []string
	for _, d := range b.Designations {
		for _, t := range d.Tracks {
			if !slices.Contains(out, t) {
				out = append(out, t)
			}
		}
	}
	return out
}

// metricNames are the metrics of every designation scored.
func metricNames(b *engine.Bundle) []string {
	var out []string
	for _, d := range b.Designations {
		for _, m := range d.Metrics {
			if !slices.Contains(out, m.ID) {
				out = append(out, m.ID)
			}
		}
	}
	return out
}

// runHelp prints the help of evaluate or of one of its commands.
func runHelp(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	switch {
	case len(args) == 0:
		return runScore([]string{"--help"}, stdin, stdout, stderr)
	case len(args) == 1 && commands[args[0]] != nil && args[0] != "help":
		return commands[args[0]]([]string{"--help"}, stdin, stdout, stderr)
	}
	fmt.Fprintf(stderr, "evaluate help: no command %q (commands: %s)\nRun 'evaluate --help' for usage.\n", strings.Join(args, " "), strings.Join(slices.Sorted(maps.Keys(commands)), ", "))
	return exitBadInput
}

// runVersion prints the versions, as --version does.
func runVersion(args []string, _ io.Reader, stdout, stderr io.Writer) int {
	if len(args) > 0 {
		return usageError(stderr, "evaluate version", fmt.Errorf("takes no arguments"))
	}
	printVersion(stdout)
	return exitQualified
}

// printVersion prints the module version of evaluate (or, for a build from
// a checkout, its revision and date) and those of OPA and cel-go.
func printVersion(w io.Writer) {
	evaluate, cel := "(devel)", "unknown"
	if info, ok := debug.ReadBuildInfo(); ok {
		if info.Main.Version != "" {
			evaluate = info.Main.Version
		}
		if rev := vcsRevision(info); rev != "" && (evaluate == "(devel)" || strings.Contains(evaluate, "-0.")) {
			evaluate += " " + rev
		}
		for _, d := range info.Deps {
			if d.Path == "github.com/google/cel-go" {
				cel = d.Version
			}
		}
	}
	fmt.Fprintf(w, "evaluate %s\nOPA      %s\ncel-go   %s\n", evaluate, version.Version, cel)
}

// vcsRevision is "rev <hash> (<date>)" from the build's version control
// stamp, with "modified" when the checkout had changes; "" when the build
// has none (go test, or a build outside a checkout).
func vcsRevision(info *debug.BuildInfo) string {
	var rev, at string
	modified := false
	for _, s := range info.Settings {
		switch s.Key {
		case "vcs.revision":
			rev = s.Value
		case "vcs.time":
			at = s.Value
		case "vcs.modified":
			modified = s.Value == "true"
		}
	}
	if rev == "" {
		return ""
	}
	out := "rev " + rev[:min(12, len(rev))]
	if at != "" {
		out += " (" + at + ")"
	}
	if modified {
		out += " modified"
	}
	return out
}
