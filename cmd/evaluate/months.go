package main

import (
	"context"
	"fmt"
	"io"
	"maps"
	"slices"
	"strings"

	"evaluate/engine"
	"evaluate/facts"
)

// monthRow is one reporting month of a partner's history for one
// designation.
type monthRow struct {
	Partner     facts.Partner         `json:"partner"`
	File        string                `json:"file"`
	Line        int                   `json:"line,omitempty"`
	Designation string                `json:"designation"`
	Month       string                `json:"month"`
	AsOf        string                `json:"as_of"`
	Qualified   bool                  `json:"qualified"`
	Track       string                `json:"track"`
	Score       float64               `json:"score"`
	Tracks      map[string]trackScore `json:"tracks"`
	// Status says whether the partner holds the designation in this
	// month: it qualified in it or in one of the retention months before.
	Status designationStatus `json:"status"`
	// Warnings are the month's, as a result of that month has them.
	Warnings []string `json:"warnings,omitempty"`
}

type trackScore struct {
	Score     float64 `json:"score"`
	Qualified bool    `json:"qualified"`
}

type designationStatus struct {
	Held bool `json:"held"`
	// LastQualified is the latest month up to this one in which the
	// partner qualified, if any was evaluated.
	LastQualified string `json:"last_qualified,omitempty"`
}

// history is one partner's months for one designation.
type history struct {
	Months []monthRow
	keep   int
}

// parseMonths reads FROM..TO.
func parseMonths(s string) (from, to facts.Month, err error) {
	a, b, ok := strings.Cut(s, "..")
	if !ok {
		return 0, 0, fmt.Errorf("--months %q: want FROM..TO, e.g. 2025-11..2026-10", s)
	}
	if from, err = facts.ParseMonth(a); err == nil {
		to, err = facts.ParseMonth(b)
	}
	if err != nil {
		return 0, 0, fmt.Errorf("--months: %v", err)
	}
	if to < from {
		return 0, 0, fmt.Errorf("--months %q: %s is before %s", s, b, a)
	}
	if n := int(to-from) + 1; n > maxMonths {
		return 0, 0, fmt.Errorf("--months %q: %d months, more than the %d (%d years) a history shows; Partner Center keeps about two years", s, n, maxMonths, maxMonths/12)
	}
	return from, to, nil
}

// maxMonths bounds a --months range: each month is a whole evaluation,
// and 1900-01..2199-12 ran for a minute to print 21,000 lines.
const maxMonths = 240

// runMonths scores every month of the range for each partner, exactly as
// --month would one at a time, and says whether each designation is held.
// The months before FROM that the retention rule looks back on are scored
// too, but not shown. The exit code follows the last month: 0 when the
// partner qualified in it for every designation.
func runMonths(ctx context.Context, sc *scorer, months string, srcs []source, output string, warn warningMode, stdout, stderr io.Writer) int {
	from, to, err := parseMonths(months)
	if err != nil {
		return usageError(stderr, "evaluate", err)
	}
	if output != "text" && output != "json" && output != "html" {
		return usageError(stderr, "evaluate", fmt.Errorf("--months writes text, json or html, not %s", output))
	}
	keep := 0
	for _, d := range sc.bundle.Designations {
		keep = max(keep, d.RetentionMonths())
	}
	code := exitQualified
	type partnerHistory struct {
		last *report
		hs   []*history
	}
	var all []partnerHistory
	sc.documents(ctx, srcs, func(it item) {
		f, err := sc.readItem(it)
		if err != nil {
			fmt.Fprintln(stderr, err)
			code = exitBadInput
			return
		}
		// The file's warnings and each month's (a tenant newly associated
		// in that month without usage), each once, after the months.
		var warnings []facts.Problem
		seen := map[string]bool{}
		addWarnings := func(ps []facts.Problem) {
			for _, p := range ps {
				if k := p.String(); !seen[k] {
					seen[k] = true
					warnings = append(warnings, p)
				}
			}
		}
		addWarnings(f.Warnings)
		defer func() { printWarnings(stderr, &report{File: f.Name, Problems: warnings}, warn) }()
		ph := partnerHistory{hs: make([]*history, len(sc.bundle.Designations))}
		lastQualified := make([]facts.Month, len(sc.bundle.Designations))
		for i, d := range sc.bundle.Designations {
			ph.hs[i] = &history{keep: d.RetentionMonths()}
			lastQualified[i] = -1
		}
		for m := from - facts.Month(keep); m <= to; m++ {
			wopts := sc.window
			wopts.Month, wopts.HasMonth = m, true
			rep, err := sc.evaluate(ctx, f, wopts)
			it.imported.unline(f.Name, rep)
			if err != nil {
				fmt.Fprintln(stderr, err)
				code = exitBadInput
				return
			}
			for i, r := range rep.Results {
				h := ph.hs[i]
				if r.Qualified {
					lastQualified[i] = m
				}
				if m < from {
					continue
				}
				addWarnings(r.Problems)
				row := monthRow{Partner: r.Partner, File: f.Name, Line: it.line, Designation: r.Designation, Month: r.Month, AsOf: r.AsOf,
					Qualified: r.Qualified, Track: r.Track, Score: r.Score, Tracks: map[string]trackScore{}, Warnings: r.Warnings}
				for t, tr := range r.Tracks {
					row.Tracks[t] = trackScore{tr.Score, tr.Qualified}
				}
				if lastQualified[i] >= 0 {
					row.Status.LastQualified = lastQualified[i].String()
					row.Status.Held = int(m-lastQualified[i]) <= h.keep
				}
				h.Months = append(h.Months, row)
			}
			ph.last = rep
		}
		if !ph.last.qualified() && code == exitQualified {
			code = exitNotQualified
		}
		all = append(all, ph)
	})
	switch output {
	case "html":
		var parts []partnerHTML
		for _, ph := range all {
			parts = append(parts, partnerSection(ph.last, ph.hs, renderOptions{}))
		}
		if len(parts) > 0 {
			if err := writePage(stdout, parts); err != nil {
				fmt.Fprintf(stderr, "evaluate: write output: %v\n", err)
				return exitBadInput
			}
		}
	case "json":
		// One array of months, each naming its partner and designation.
		rows := []monthRow{}
		for _, ph := range all {
			for _, h := range ph.hs {
				rows = append(rows, h.Months...)
			}
		}
		if err := encodeJSON(stdout, rows); err != nil {
			fmt.Fprintf(stderr, "evaluate: write output: %v\n", err)
			return exitBadInput
		}
	default:
		keeps := map[string]int{}
		for i, ph := range all {
			for k, r := range ph.last.Results {
				if i > 0 || k > 0 {
					fmt.Fprintln(stdout)
				}
				keeps[r.Designation] = ph.hs[k].keep
				if err := writeHistory(stdout, ph.hs[k], r, len(ph.last.Results) > 1); err != nil {
					fmt.Fprintf(stderr, "evaluate: write output: %v\n", err)
					return exitBadInput
				}
			}
		}
		if len(all) > 0 {
			writeHeldNote(stdout, keeps)
		}
	}
	return code
}

// writeHeldNote says once, under every table, what "held" and "as of" mean.
func writeHeldNote(w io.Writer, keeps map[string]int) {
	ids := slices.Sorted(maps.Keys(keeps))
	same := true
	for _, id := range ids {
		same = same && keeps[id] == keeps[ids[0]]
	}
	if same {
		fmt.Fprintf(w, "\nThe designation is held in a month when the partner qualified in it or in one of the %d months before.\n", keeps[ids[0]])
	} else {
		var parts []string
		for _, id := range ids {
			parts = append(parts, fmt.Sprintf("%s %d", id, keeps[id]))
		}
		fmt.Fprintf(w, "\nA designation is held in a month when the partner qualified in it or in one of the months before it keeps (%s).\n", strings.Join(parts, ", "))
	}
	fmt.Fprintln(w, "Certifications count on each month's evaluation date: its last day, the file's as_of in the file's own month, or --as-of.")
}

func writeHistory(w io.Writer, h *history, r *engine.Result, titled bool) error {
	name := partnerName(r.Partner.ID, r.Partner.Name)
	if titled {
		name += ", " + r.Designation
	}
	fmt.Fprintf(w, "%s, %s..%s\n\n", name, h.Months[0].Month, h.Months[len(h.Months)-1].Month)
	var t table
	head := []string{"month", "as of"}
	right := []bool{false, false}
	for _, tr := range r.TrackOrder {
		head = append(head, tr, "")
		right = append(right, true, false)
	}
	t.add(append(head, "designation")...)
	for _, m := range h.Months {
		cells := []string{m.Month, m.AsOf}
		for _, tr := range r.TrackOrder {
			ts := m.Tracks[tr]
			cells = append(cells, num(ts.Score), qualifiedMark(ts.Qualified))
		}
		t.add(append(cells, heldText(m))...)
	}
	return t.write(w, right)
}

func heldText(m monthRow) string {
	if m.Status.Held {
		return "held (qualified " + m.Status.LastQualified + ")"
	}
	return "not held"
}

func qualifiedMark(q bool) string {
	if q {
		return "qualified"
	}
	return "not qualified"
}
