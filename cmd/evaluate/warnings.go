package main

import (
	"fmt"
	"io"
	"slices"
	"strings"

	"evaluate/facts"

	"github.com/spf13/pflag"
)

// warningMode says how a partner's warnings are printed on stderr; the
// JSON result lists them all whatever the mode.
type warningMode int

const (
	// warningsSummary prints a warning of a kind that occurs once, and a
	// count per kind otherwise ("27 workloads ignored: PowerBI ×20, ...").
	warningsSummary warningMode = iota
	warningsAll
	warningsNone
)

// warningFlags are --warnings and --quiet, of every command that warns.
type warningFlags struct {
	warnings string
	quiet    bool
}

func (f *warningFlags) register(fs *pflag.FlagSet) {
	fs.StringVar(&f.warnings, "warnings", "summary", "warnings on stderr: summary (one line per kind), all, or none")
	fs.BoolVarP(&f.quiet, "quiet", "q", false, "no warnings on stderr (as --warnings none)")
}

// mode is the mode the flags choose; they must not contradict each other.
func (f *warningFlags) mode(fs *pflag.FlagSet) (warningMode, error) {
	warn, err := parseWarningMode(f.warnings)
	if err != nil {
		return 0, err
	}
	if f.quiet {
		if fs.Changed("warnings") && warn != warningsNone {
			return 0, fmt.Errorf("--quiet and --warnings %s contradict each other", f.warnings)
		}
		warn = warningsNone
	}
	return warn, nil
}

func parseWarningMode(s string) (warningMode, error) {
	switch s {
	case "summary":
		return warningsSummary, nil
	case "all":
		return warningsAll, nil
	case "none":
		return warningsNone, nil
	}
	return 0, fmt.Errorf("--warnings %q: want summary, all or none", s)
}

// maxKeys is how many names a summary line lists before "and N more".
const maxKeys = 5

func printWarnings(w io.Writer, r *report, mode warningMode) {
	switch mode {
	case warningsNone:
		return
	case warningsAll:
		for _, p := range r.Problems {
			fmt.Fprintf(w, "warning: %s\n", p)
		}
		return
	}
	for _, g := range groupWarnings(r.Problems) {
		if len(g) == 1 || g[0].Kind == "" {
			for _, p := range g {
				fmt.Fprintf(w, "warning: %s\n", p)
			}
			continue
		}
		where := r.File
		if r.Line > 0 {
			// One document of JSON Lines: its line and partner.
			where = fmt.Sprintf("%s:%d (partner %q)", r.File, r.Line, r.Partner.ID)
		}
		fmt.Fprintf(w, "warning: %s: %s (--warnings all lists each)\n", where, summarise(g))
	}
}

// groupWarnings groups warnings by kind, in the order kinds first appear.
func groupWarnings(ps []facts.Problem) [][]facts.Problem {
	var groups [][]facts.Problem
	at := map[string]int{}
	for _, p := range ps {
		i, ok := at[p.Kind]
		if !ok || p.Kind == "" {
			at[p.Kind] = len(groups)
			groups = append(groups, []facts.Problem{p})
			continue
		}
		groups[i] = append(groups[i], p)
	}
	return groups
}

// summarise is one line for warnings of one kind: how many, and how many
// of each key, most first ("27 workloads ignored: PowerBI ×20,
// Dynamics365 ×7"), or the first of them when they have no keys.
func summarise(g []facts.Problem) string {
	head := fmt.Sprintf("%d %s", len(g), g[0].Kind)
	counts := map[string]int{}
	var keys []string
	for _, p := range g {
		if p.Key == "" {
			continue
		}
		if counts[p.Key] == 0 {
			keys = append(keys, p.Key)
		}
		counts[p.Key]++
	}
	if len(keys) == 0 {
		return head + ", the first: " + g[0].String()
	}
	slices.SortStableFunc(keys, func(a, b string) int { return counts[b] - counts[a] })
	var parts []string
	for i, k := range keys {
		if i == maxKeys {
			parts = append(parts, fmt.Sprintf("and %d more", len(keys)-maxKeys))
			break
		}
		parts = append(parts, fmt.Sprintf("%s ×%d", k, counts[k]))
	}
	return head + ": " + strings.Join(parts, ", ")
}
