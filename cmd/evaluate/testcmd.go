package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"sort"
	"strings"

	policies "evaluate"
	"evaluate/engine"

	"github.com/open-policy-agent/opa/v1/tester"
)

const testUsage = `evaluate test runs a policy bundle's Rego unit tests (*_test.rego, as opa test
does, but with the built-ins policies may call alone and each test within %s)
and the golden cases under PATH (default testcases/): fact files with an
expected result (<name>.expected.json) or expected refusal (<name>.expected.err).
A PATH may be a folder, or one case's fact file or expected file.

Examples:
  evaluate test                                  the embedded bundle against testcases/
  evaluate test --policies my-policies           an edited copy against testcases/
  evaluate test --policies my-policies cases/    against other golden cases
  evaluate test testcases/security/cert_a.json   one case (and the Rego tests)

Usage:
  evaluate test [--policies DIR] [PATH...]

Flags:
%s
Exit codes: 0 every test passed, 1 a test failed, 2 nothing could be loaded or no test was found.
`

func runTest(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	var bf bundleFlags
	var help bool
	fs := newFlagSet("evaluate test")
	bf.register(fs)
	fs.BoolVarP(&help, "help", "h", false, "show this help")
	if err := parseFlags(fs, args); err != nil {
		return usageError(stderr, "evaluate test", err)
	}
	if help {
		fmt.Fprintf(stdout, testUsage, engine.RegoTestTimeout, fs.FlagUsages())
		return exitQualified
	}
	ctx := context.Background()
	b, err := bf.load(ctx)
	if err != nil {
		return bundleError(stderr, "evaluate test", err)
	}
	paths := fs.Args()
	if len(paths) == 0 {
		paths = []string{"testcases"}
		if _, err := os.Stat("testcases"); err != nil {
			// Outside a checkout: the Rego tests still run, and the
			// default folder is said to be absent rather than an error.
			fmt.Fprintf(stderr, "evaluate test: no testcases/ folder here; only the Rego tests run (give the folder of golden cases: evaluate test DIR)\n")
			paths = nil
		}
	}
	cases, empty, err := findGoldenCases(paths)
	if err != nil {
		fmt.Fprintf(stderr, "evaluate test: %v\n", err)
		return exitBadInput
	}
	for _, p := range empty {
		// Said, so that a mistyped folder does not pass unnoticed (an empty
		// one runs the Rego tests alone).
		fmt.Fprintf(stderr, "evaluate test: %s: no golden cases in it (NAME.yaml or .json beside NAME.expected.json or NAME.expected.err); only the Rego tests run\n", p)
	}
	passed, failed, skipped := 0, 0, 0
	report := func(ok bool, name string, details ...string) {
		if ok {
			passed++
			fmt.Fprintf(stdout, "PASS %s\n", name)
			return
		}
		failed++
		fmt.Fprintf(stdout, "FAIL %s\n", name)
		for _, d := range details {
			fmt.Fprintf(stdout, "     %s\n", strings.ReplaceAll(d, "\n", "\n     "))
		}
	}

	regoResults, err := regoTests(ctx, bf.policies)
	if err != nil {
		fmt.Fprintf(stderr, "evaluate test: rego tests: %v\n", err)
		return exitBadInput
	}
	// OPA runs the tests in parallel; the report is in file order.
	sort.SliceStable(regoResults, func(i, j int) bool {
		a, b := regoResults[i].Location, regoResults[j].Location
		if a.File != b.File {
			return a.File < b.File
		}
		return a.Row < b.Row
	})
	regoLeft := 0
	for _, r := range regoResults {
		if len(bf.designations) > 0 && !slices.Contains(bf.designations, regoDesignation(r.Package)) && slices.Contains(b.All, regoDesignation(r.Package)) {
			regoLeft++ // another designation's test
			continue
		}
		var details []string
		if !r.Pass() {
			details = append(details, fmt.Sprintf("%s:%d", r.Location.File, r.Location.Row))
			if r.Error != nil {
				details = append(details, r.Error.Error())
			}
			if len(r.Output) > 0 {
				details = append(details, strings.TrimSpace(string(r.Output)))
			}
		}
		report(r.Pass(), fmt.Sprintf("rego %s.%s", r.Package, r.Name), details...)
	}

	s := &scorer{bundle: b, timeout: defaultTimeout, stdin: stdin}
	notChosen := 0
	for _, c := range cases {
		diffs, err := c.check(ctx, s)
		var skip errSkipped
		if errors.As(err, &skip) {
			skipped++
			if len(bf.designations) > 0 {
				// The bundle may well have it: --designation left it out.
				// Said once, not for each of dozens of cases.
				notChosen++
				continue
			}
			fmt.Fprintf(stdout, "SKIP case %s (%s)\n", c.Name, skip)
			continue
		}
		if err != nil {
			diffs = append(diffs, err.Error())
		}
		if len(diffs) > 0 {
			diffs = append([]string{"against " + c.Expected + ":"}, diffs...)
		}
		report(len(diffs) == 0, "case "+c.Name, diffs...)
	}
	if notChosen+regoLeft > 0 {
		what := []string{}
		if regoLeft > 0 {
			what = append(what, fmt.Sprintf("%d Rego %s", regoLeft, plural(regoLeft, "test", "tests")))
		}
		if notChosen > 0 {
			what = append(what, fmt.Sprintf("%d %s", notChosen, plural(notChosen, "case", "cases")))
		}
		skipped += regoLeft
		fmt.Fprintf(stdout, "SKIP %s of designations not among --designation %s\n", strings.Join(what, " and "), strings.Join(bf.designations, ","))
	}
	if passed+failed == 0 {
		fmt.Fprintf(stderr, "evaluate test: no Rego test and no golden case found under %s\n", strings.Join(paths, ", "))
		return exitBadInput
	}
	if skipped > 0 {
		fmt.Fprintf(stdout, "%d passed, %d failed, %d skipped\n", passed, failed, skipped)
	} else {
		fmt.Fprintf(stdout, "%d passed, %d failed\n", passed, failed)
	}
	if failed > 0 {
		oneFolderHint(stderr, bf.policies)
		return exitNotQualified
	}
	return exitQualified
}

// regoTests runs the bundle's *_test.rego in the policies' sandbox, over
// the bundle folder (dir, or the embedded bundle when dir is ""), read as
// the bundle is (engine.OpenBundleDir).
// regoDesignation is the designation a Rego test package tests:
// data.security_test tests security.
func regoDesignation(pkg string) string {
	first, _, _ := strings.Cut(strings.TrimPrefix(pkg, "data."), ".")
	return strings.TrimSuffix(first, "_test")
}

func regoTests(ctx context.Context, dir string) ([]*tester.Result, error) {
	if dir == "" {
		return engine.RunRegoTests(ctx, policies.Policies, engine.EmbeddedSource)
	}
	bd, err := engine.OpenBundleDir(dir)
	if err != nil {
		return nil, err
	}
	defer bd.Close()
	return engine.RunRegoTests(ctx, bd, bd.Source())
}
