package main

import (
	"context"
	"fmt"
	"io"
	"math"
	"slices"

	"evaluate/engine"
	"evaluate/facts"
)

// copyItem gives a JSON Lines document its own buffer, so that it can be
// read twice; stdin is read into one.
func (s *scorer) copyItem(it item) (item, error) {
	if it.err == nil && it.path == "-" {
		data, err := io.ReadAll(s.limit(s.stdin))
		if err != nil {
			return it, fmt.Errorf("<stdin>: %v", err)
		}
		buf := lineBuffers.Get().(*[]byte)
		*buf = append((*buf)[:0], data...)
		it.path, it.data, it.buf, it.line = "", *buf, buf, 1
	}
	if it.buf != nil {
		buf := lineBuffers.Get().(*[]byte)
		*buf = append((*buf)[:0], it.data...)
		return item{name: it.name, line: it.line, data: *buf, buf: buf}, nil
	}
	return it, nil
}

const diffUsage = `evaluate diff scores every fact file under two policy bundles and lists the
partners whose verdict, track or score changes in a designation: the impact of
a rule change, before it is published. The summary counts partners, and results
(one designation of one partner).

Examples:
  evaluate diff --base-policies policies --policies my-policies partners/
  evaluate diff --base-policies old/ a.yaml b.yaml        (after: the embedded bundle)
  evaluate diff -o json --base-policies policies --policies my-policies partners/

Usage:
  evaluate diff --base-policies DIR [--policies DIR] FILE|FOLDER...

Flags:
%s
Exit codes: 0 no partner changed, 1 some changed, 2 bad input, bad policy or usage error.
`

// verdict is the part of a result whose change makes a partner "changed".
type verdict struct {
	Qualified bool    `json:"qualified"`
	Track     string  `json:"track"`
	Score     float64 `json:"score"`
}

// metricChange is one metric on one track whose value or points changed.
type metricChange struct {
	Track  string  `json:"track"`
	Metric string  `json:"metric"`
	Before numbers `json:"before"`
	After  numbers `json:"after"`
	// units of the value before and after, for text ("%"): a bundle may
	// change a metric's value_unit.
	unitBefore, unitAfter string
}

type numbers struct {
	Value  float64 `json:"value"`
	Points float64 `json:"points"`
}

// partnerChange is one changed partner and designation, as -o json prints
// it.
type partnerChange struct {
	Partner     facts.Partner  `json:"partner"`
	File        string         `json:"file"`
	Line        int            `json:"line,omitempty"`
	Designation string         `json:"designation"`
	Before      verdict        `json:"before"`
	After       verdict        `json:"after"`
	Metrics     []metricChange `json:"metrics"`
	// TracksAdded and TracksRemoved are tracks only the new or only the
	// base policies have (a track renamed is one of each): their metrics
	// are not compared with zeros.
	TracksAdded   []string `json:"tracks_added,omitempty"`
	TracksRemoved []string `json:"tracks_removed,omitempty"`
	// Only is "base" or "new" for a designation only one bundle has (a
	// folder added or deleted): its verdict is that bundle's, not a
	// change from or to nothing.
	Only string `json:"only,omitempty"`
	// Reasons are the reasons a track does not qualify that one bundle
	// gives and the other does not: a bar moved with no metric moving
	// (min_total_points 75) is said, not only seen in the verdict.
	Reasons []reasonChange `json:"reasons,omitempty"`
}

// reasonChange is a reason of a track's that only the base (Before) or
// only the new policies (After) give.
type reasonChange struct {
	Track  string   `json:"track"`
	Before []string `json:"before,omitempty"`
	After  []string `json:"after,omitempty"`
}

func runDiff(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	var (
		bf     bundleFlags
		sf     scoreFlags
		base   string
		output string
		jsonl  bool
		help   bool
	)
	fs := newFlagSet("evaluate diff")
	fs.StringVar(&base, "base-policies", "", "the bundle before the change (required)")
	bf.register(fs)
	fs.StringVarP(&output, "output", "o", "text", "output format: text, json")
	sf.register(fs)
	fs.BoolVar(&jsonl, "jsonl", false, "the inputs (or stdin, -) are JSON Lines: one fact document per line (.jsonl and .ndjson files always are)")
	fs.BoolVarP(&help, "help", "h", false, "show this help")
	if err := parseFlags(fs, args); err != nil {
		return usageError(stderr, "evaluate diff", err)
	}
	if help {
		fmt.Fprintf(stdout, diffUsage, fs.FlagUsages())
		return exitQualified
	}
	switch {
	case base == "":
		return usageError(stderr, "evaluate diff", fmt.Errorf("--base-policies is required"))
	case output != "text" && output != "json":
		return usageError(stderr, "evaluate diff", fmt.Errorf("unknown output format %q (want text or json)", output))
	case fs.NArg() == 0:
		return usageError(stderr, "evaluate diff", fmt.Errorf("no fact file given"))
	}
	ctx := context.Background()
	before, err := loadBundle(ctx, base, bf.designations)
	if err != nil {
		fmt.Fprintf(stderr, "evaluate diff: bad base policy bundle:\n%v\n", err)
		return exitBadInput
	}
	after, err := bf.load(ctx)
	if err != nil {
		return bundleError(stderr, "evaluate diff", err)
	}
	// Each bundle reads the facts the other knows too (FACTS.md: the
	// vocabulary of a run is the union of its bundles'), so that a
	// designation added or deleted leaves the files of its facts readable;
	// what a bundle's own rules do not read, they ignore.
	before, after = readingBoth(before, after), readingBoth(after, before)
	sb, err := sf.scorer(before, stdin)
	if err != nil {
		return usageError(stderr, "evaluate diff", err)
	}
	sa, _ := sf.scorer(after, stdin)
	srcs := expandSources(fs.Args(), jsonl)

	code := exitQualified
	changes := []partnerChange{}
	evaluated, failed, partners, gained, lost := 0, 0, 0, 0, 0
	sb.documents(ctx, srcs, func(it item) {
		// Each bundle reads the document itself: they may accept
		// different vocabularies.
		var fb, fa *facts.File
		first, err := sb.copyItem(it)
		if err == nil {
			it, err = sb.copyItem(first)
		}
		if err == nil {
			fb, err = sb.readItem(first)
		}
		if err == nil {
			if fa, err = sa.readItem(it); err != nil {
				err = fmt.Errorf("%v\n(the base policies read this file; the new ones refuse it)", err)
			}
		}
		var rb, ra *report
		if err == nil {
			rb, err = sb.evaluate(ctx, fb, sb.window)
		}
		if err == nil {
			ra, err = sa.evaluate(ctx, fa, sa.window)
		}
		if err != nil {
			fmt.Fprintln(stderr, err)
			code = exitBadInput
			failed++
			return
		}
		if it.line > 0 {
			ra.setLine(it.name, it.line)
		}
		evaluated++
		before := len(changes)
		defer func() {
			if len(changes) > before {
				partners++
			}
		}()
		for _, x := range rb.Results {
			if resultOf(ra, x.Designation) == nil {
				changes = append(changes, onlyIn("base", x))
			}
		}
		for _, a := range ra.Results {
			b := resultOf(rb, a.Designation)
			if b == nil {
				c := onlyIn("new", a)
				if a.Qualified {
					gained++
				}
				changes = append(changes, c)
				continue
			}
			c, changed := compare(b, a)
			if !changed {
				continue
			}
			switch {
			case !c.Before.Qualified && c.After.Qualified:
				gained++
			case c.Before.Qualified && !c.After.Qualified:
				lost++
			}
			changes = append(changes, c)
		}
	})
	// Partners and their results (one per designation) are counted apart:
	// one partner may change in several designations.
	summary := fmt.Sprintf("evaluated %d, errors %d; changed %d %s of %d %s; newly qualified %d, newly not qualified %d",
		evaluated, failed, len(changes), plural(len(changes), "result", "results"), partners, plural(partners, "partner", "partners"), gained, lost)
	if output == "json" {
		if err := encodeJSON(stdout, changes); err != nil {
			fmt.Fprintf(stderr, "evaluate diff: %v\n", err)
			return exitBadInput
		}
		fmt.Fprintln(stderr, summary)
	} else {
		for _, c := range changes {
			writeChange(stdout, c)
		}
		fmt.Fprintln(stdout, summary)
	}
	if code == exitQualified && len(changes) > 0 {
		code = exitNotQualified
	}
	return code
}

// readingBoth is b reading fact files with the vocabulary of other too.
// Merge appends what b lacks, so the places b's rules read stay theirs.
func readingBoth(b, other *engine.Bundle) *engine.Bundle {
	both := *b
	both.Schema = b.Schema.Clone()
	if err := both.Schema.Merge(other.Schema); err != nil {
		return b // declared differently: each reads with its own
	}
	return &both
}

// resultOf is r's result for a designation, or nil.
func resultOf(r *report, designation string) *engine.Result {
	for _, x := range r.Results {
		if x.Designation == designation {
			return x
		}
	}
	return nil
}

// onlyIn is the change of a designation only the base or only the new
// policies have: its verdict there, on the side it is on.
func onlyIn(side string, r *engine.Result) partnerChange {
	c := partnerChange{Metrics: []metricChange{}, Partner: r.Partner, File: r.File, Line: r.Line, Designation: r.Designation, Only: side}
	v := verdict{r.Qualified, r.Track, r.Score}
	if side == "base" {
		c.Before = v
	} else {
		c.After = v
	}
	return c
}

// compare tells whether a partner's verdict, track or score changed, and
// lists every metric whose value or points moved.
func compare(before, after *engine.Result) (partnerChange, bool) {
	c := partnerChange{Metrics: []metricChange{}, Partner: after.Partner, File: after.File, Line: after.Line, Designation: after.Designation}
	c.Before = verdict{before.Qualified, before.Track, before.Score}
	c.After = verdict{after.Qualified, after.Track, after.Score}
	changed := c.Before.Qualified != c.After.Qualified || c.Before.Track != c.After.Track || !same(c.Before.Score, c.After.Score)
	for _, t := range before.TrackOrder {
		if after.Tracks[t] == nil {
			c.TracksRemoved = append(c.TracksRemoved, t)
		}
	}
	for _, t := range after.TrackOrder {
		if before.Tracks[t] == nil && len(before.Tracks) > 0 {
			c.TracksAdded = append(c.TracksAdded, t)
			continue
		}
		for _, m := range after.MetricOrder {
			var b, a numbers
			if tr := before.Tracks[t]; tr != nil && tr.Metrics[m] != nil {
				b = numbers{tr.Metrics[m].Value, tr.Metrics[m].Points}
			}
			if tr := after.Tracks[t]; tr != nil && tr.Metrics[m] != nil {
				a = numbers{tr.Metrics[m].Value, tr.Metrics[m].Points}
			}
			if !same(b.Value, a.Value) || !same(b.Points, a.Points) {
				c.Metrics = append(c.Metrics, metricChange{Track: t, Metric: m, Before: b, After: a, unitBefore: before.ValueUnits[m], unitAfter: after.ValueUnits[m]})
			}
		}
		if tb := before.Tracks[t]; tb != nil && tb.Qualified != after.Tracks[t].Qualified {
			gone, added := without(tb.Reasons, after.Tracks[t].Reasons), without(after.Tracks[t].Reasons, tb.Reasons)
			if len(gone)+len(added) > 0 {
				c.Reasons = append(c.Reasons, reasonChange{Track: t, Before: gone, After: added})
			}
		}
	}
	return c, changed || len(c.TracksAdded)+len(c.TracksRemoved) > 0
}

// without is the strings of xs that ys lacks.
func without(xs, ys []string) []string {
	var out []string
	for _, x := range xs {
		if !slices.Contains(ys, x) {
			out = append(out, x)
		}
	}
	return out
}

// same tells numbers apart by less than float sums' noise (about 1e-14
// on points; the verdict's slack is 1e-12).
func same(a, b float64) bool { return math.Abs(a-b) < 1e-13 }

func writeChange(w io.Writer, c partnerChange) {
	name := partnerName(c.Partner.ID, c.Partner.Name)
	where := c.File
	if c.Line > 0 {
		where = fmt.Sprintf("%s:%d", c.File, c.Line)
	}
	fmt.Fprintf(w, "%s, %s, %s\n", name, where, c.Designation)
	switch c.Only {
	case "base":
		fmt.Fprintf(w, "  only in the base policies: %s\n", describeVerdict(c.Before, num(c.Before.Score)))
		return
	case "new":
		fmt.Fprintf(w, "  only in the new policies: %s\n", describeVerdict(c.After, num(c.After.Score)))
		return
	}
	before, after := changeText(c.Before.Score, c.After.Score)
	fmt.Fprintf(w, "  %s → %s\n", describeVerdict(c.Before, before), describeVerdict(c.After, after))
	for _, t := range c.TracksRemoved {
		fmt.Fprintf(w, "  track %s: only in the base policies\n", t)
	}
	for _, t := range c.TracksAdded {
		fmt.Fprintf(w, "  track %s: only in the new policies\n", t)
	}
	for _, m := range c.Metrics {
		detail := ""
		if !same(m.Before.Value, m.After.Value) {
			b, a := changeText(m.Before.Value, m.After.Value)
			detail = fmt.Sprintf(" (value %s%s → %s%s)", b, m.unitBefore, a, m.unitAfter)
		}
		b, a := changeText(m.Before.Points, m.After.Points)
		fmt.Fprintf(w, "  %s.%s: %s → %s points%s\n", m.Track, m.Metric, b, a, detail)
	}
	for _, r := range c.Reasons {
		for _, x := range r.Before {
			fmt.Fprintf(w, "  %s: no longer: %s\n", r.Track, x)
		}
		for _, x := range r.After {
			fmt.Fprintf(w, "  %s: now: %s\n", r.Track, x)
		}
	}
}

// changeText shows a change as people read numbers, unless rounding hides
// it (19.9999999995 → 19.9998999995 both show as 19.99): then exactly.
func changeText(before, after float64) (string, string) {
	if num(before) == num(after) && !same(before, after) {
		return exact(before), exact(after)
	}
	return num(before), num(after)
}

// describeVerdict is a verdict with its score as shown (see changeText).
func describeVerdict(v verdict, score string) string {
	q := "not qualified"
	if v.Qualified {
		q = "qualified"
	}
	return fmt.Sprintf("%s, %s, %s points", q, v.Track, score)
}
