package main

import (
	"context"
	"fmt"
	"io"
	"strings"

	"evaluate/engine"
	"evaluate/facts"
)

// monthRow is one reporting month of a partner's history.
type monthRow struct {
	Partner   facts.Partner         `json:"partner"`
	File      string                `json:"file"`
	Month     string                `json:"month"`
	AsOf      string                `json:"as_of"`
	Qualified bool                  `json:"qualified"`
	Track     string                `json:"track"`
	Score     float64               `json:"score"`
	Tracks    map[string]trackScore `json:"tracks"`
	// Designation says whether the partner holds the designation in this
	// month: it qualified in it or in one of the retention months before.
	Designation designationStatus `json:"designation"`
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

// history is one partner's months.
type history struct {
	Partner facts.Partner `json:"partner"`
	File    string        `json:"file"`
	Months  []monthRow    `json:"months"`
	last    *engine.Result
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
	return from, to, nil
}

// runMonths scores every month of the range for each file, exactly as
// --month would one at a time, and says whether the designation is held.
// The months before FROM that the retention rule looks back on are scored
// too, but not shown.
func runMonths(ctx context.Context, sc *scorer, months string, srcs []source, output string, warn warningMode, stdout, stderr io.Writer) int {
	from, to, err := parseMonths(months)
	if err != nil {
		return usageError(stderr, "evaluate", err)
	}
	if output != "text" && output != "json" && output != "html" {
		return usageError(stderr, "evaluate", fmt.Errorf("--months writes text, json or html, not %s", output))
	}
	keep := facts.Month(sc.bundle.RetentionMonths())
	code := exitQualified
	var histories []history
	sc.documents(ctx, srcs, func(it item) {
		f, err := sc.readItem(it)
		if err != nil {
			fmt.Fprintln(stderr, err)
			code = exitBadInput
			return
		}
		printWarnings(stderr, &engine.Result{File: f.Name, Problems: f.Warnings}, warn)
		h := history{Partner: f.Partner, File: f.Name, Months: []monthRow{}}
		lastQualified := facts.Month(-1)
		failed := false
		for m := from - keep; m <= to; m++ {
			wopts := sc.window
			wopts.Month, wopts.HasMonth = m, true
			r, err := sc.evaluate(ctx, f, wopts)
			if err != nil {
				fmt.Fprintln(stderr, err)
				failed = true
				break
			}
			if r.Qualified {
				lastQualified = m
			}
			if m < from {
				continue
			}
			row := monthRow{Partner: r.Partner, File: r.File, Month: r.Month, AsOf: r.AsOf, Qualified: r.Qualified, Track: r.Track, Score: r.Score, Tracks: map[string]trackScore{}}
			for t, tr := range r.Tracks {
				row.Tracks[t] = trackScore{tr.Score, tr.Qualified}
			}
			if lastQualified >= 0 {
				row.Designation.LastQualified = lastQualified.String()
				row.Designation.Held = m-lastQualified <= keep
			}
			h.Months = append(h.Months, row)
			h.last = r
		}
		if failed {
			code = exitBadInput
			return
		}
		if last := h.Months[len(h.Months)-1]; !last.Qualified && code == exitQualified {
			code = exitNotQualified
		}
		histories = append(histories, h)
	})
	if output == "html" {
		var views []htmlView
		for i := range histories {
			views = append(views, partnerView(histories[i].last, &histories[i]))
		}
		if err := writePage(stdout, views); err != nil {
			fmt.Fprintf(stderr, "evaluate: write output: %v\n", err)
			return exitBadInput
		}
		return code
	}
	if output == "json" {
		// One array of months, each naming its partner, for all files.
		rows := []monthRow{}
		for _, h := range histories {
			rows = append(rows, h.Months...)
		}
		if err := encodeJSON(stdout, rows); err != nil {
			fmt.Fprintf(stderr, "evaluate: write output: %v\n", err)
			return exitBadInput
		}
		return code
	}
	for i, h := range histories {
		if i > 0 {
			fmt.Fprintln(stdout)
		}
		writeHistory(stdout, h, sc.bundle, int(keep))
	}
	return code
}

func writeHistory(w io.Writer, h history, b *engine.Bundle, keep int) {
	name := partnerName(h.Partner.ID, h.Partner.Name)
	fmt.Fprintf(w, "%s, %s..%s\n\n", name, h.Months[0].Month, h.Months[len(h.Months)-1].Month)
	var t table
	head := []string{"month", "as of"}
	for _, tr := range b.Tracks {
		head = append(head, tr.Name, "", "")
	}
	t.add(append(head, "designation")...)
	for _, m := range h.Months {
		cells := []string{m.Month, m.AsOf}
		for _, tr := range b.Tracks {
			ts := m.Tracks[tr.Name]
			cells = append(cells, num(ts.Score), qualifiedMark(ts.Qualified), "")
		}
		status := "not held"
		if m.Designation.Held {
			status = "held (qualified " + m.Designation.LastQualified + ")"
		}
		t.add(append(cells, status)...)
	}
	t.write(w)
	fmt.Fprintf(w, "\nThe designation is held in a month when the partner qualified in it or in one of the %d months before.\n", keep)
	fmt.Fprintln(w, "Certifications count on each month's evaluation date: its last day, the file's as_of in the file's own month, or --as-of.")
}

func qualifiedMark(q bool) string {
	if q {
		return "qualified"
	}
	return "-"
}
