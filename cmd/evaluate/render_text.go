package main

import (
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"
	"unicode/utf8"

	"evaluate/engine"
)

// renderText writes, per partner, a summary of its designations (when
// there are several), then per designation a table of every metric on
// every track (value and points/max), the totals and a verdict that says
// why.
func renderText(w io.Writer, entries []entry, opts renderOptions) error {
	for i, rep := range reports(entries) {
		if i > 0 {
			fmt.Fprintln(w)
		}
		fmt.Fprintf(w, "%s\n", partnerName(rep.Partner.ID, rep.Partner.Name))
		if len(rep.Results) > 1 {
			writeSummary(w, rep)
		}
		for _, r := range rep.Results {
			if len(rep.Results) > 1 {
				fmt.Fprintf(w, "\n== %s ==\n", r.Designation)
			}
			if err := textResult(w, r, opts); err != nil {
				return err
			}
		}
	}
	return nil
}

// writeSummary is the short summary per designation, as Partner Center's
// Solutions Partner page shows it.
func writeSummary(w io.Writer, rep *report) {
	var t table
	t.add("designation", "track", "score", "verdict")
	for _, r := range rep.Results {
		t.add(r.Designation, r.Track, num(r.Score)+"/"+num(maxScore(r.Tracks[r.Track])), qualifiedWord(r.Qualified))
	}
	fmt.Fprintln(w)
	t.write(w, []bool{false, false, true, false})
}

// hasOptions tells whether any metric of r is scored per option or part.
func hasOptions(r *engine.Result) bool {
	for _, tr := range r.Tracks {
		for _, m := range tr.Metrics {
			if m.Options != nil || m.Sources != nil {
				return true
			}
		}
	}
	return false
}

// hasChosenOption reports whether a metric of r chooses one of its options
// (rather than adding its parts).
func hasChosenOption(r *engine.Result) bool {
	for _, tr := range r.Tracks {
		for _, m := range tr.Metrics {
			if m.Options != nil {
				return true
			}
		}
	}
	return false
}

// optionColumn names the column of the options a metric took: options
// compete (the best one counts), parts add up.
func optionColumn(r *engine.Result) string {
	if hasChosenOption(r) {
		return "option"
	}
	return "parts"
}

func textResult(w io.Writer, r *engine.Result, opts renderOptions) error {
	fmt.Fprintf(w, "%s\n\n", r.Header)
	options := hasOptions(r)
	optionHead := optionColumn(r)
	var t table
	head := []string{"metric"}
	sub := []string{""}
	right := []bool{false}
	for _, tr := range r.TrackOrder {
		head = append(head, strings.ToUpper(tr), "")
		sub = append(sub, "value", "points")
		right = append(right, true, true)
		if options {
			head, sub, right = append(head, ""), append(sub, optionHead), append(right, false)
		}
	}
	t.add(head...)
	t.add(sub...)
	for _, m := range r.MetricOrder {
		cells := []string{m}
		for _, tr := range r.TrackOrder {
			mr := r.Tracks[tr].Metrics[m]
			if mr == nil {
				cells = append(cells, "-", "-")
				if options {
					cells = append(cells, "")
				}
				continue
			}
			cells = append(cells, num(mr.Value)+r.ValueUnits[m], num(mr.Points)+"/"+num(mr.MaxPoints))
			if options {
				cells = append(cells, optionLabel(mr))
			}
		}
		t.add(cells...)
	}
	total := []string{"total"}
	verdict := []string{"verdict"}
	for _, tr := range r.TrackOrder {
		res := r.Tracks[tr]
		total = append(total, "", num(res.Score)+"/"+num(maxScore(res)))
		verdict = append(verdict, "", qualifiedWord(res.Qualified))
		if options {
			total, verdict = append(total, ""), append(verdict, "")
		}
	}
	t.add(total...)
	t.add(verdict...)
	if err := t.write(w, right); err != nil {
		return err
	}
	if note := roundingNote(r); note != "" {
		fmt.Fprintln(w, note)
	}
	fmt.Fprintln(w)
	if r.Qualified {
		fmt.Fprintf(w, "QUALIFIED on the %s track with %s.\n", r.Track, pointsText(r.Score))
	} else if len(r.TrackOrder) == 1 {
		fmt.Fprintf(w, "NOT QUALIFIED: %s.\n", pointsText(r.Score))
	} else {
		fmt.Fprintf(w, "NOT QUALIFIED: no track qualifies; the %s track counts, with %s.\n", r.Track, pointsText(r.Score))
	}
	for _, t := range r.TrackOrder {
		if tr := r.Tracks[t]; !tr.Qualified {
			fmt.Fprintf(w, "%s does not qualify:\n", t)
			for _, why := range tr.Reasons {
				fmt.Fprintf(w, "  - %s\n", why)
			}
			writeGap(w, t, tr.Gap)
		}
	}
	if len(r.Notices) > 0 {
		fmt.Fprintln(w, "notes:")
		for _, n := range r.Notices {
			fmt.Fprintf(w, "  - %s\n", n.Text)
		}
	}
	fmt.Fprintf(w, "policies: %s (%s) %s\n", r.Policies.Source, r.Policies.Designation, r.Policies.Hash)
	return writeExplanations(w, r, opts)
}

// optionLabel is the option a metric took, or its parts.
func optionLabel(m *engine.MetricResult) string {
	if m.Options != nil {
		return m.Option
	}
	if m.Sources != nil {
		var parts []string
		for _, k := range sortedKeys(m.Sources) {
			parts = append(parts, k)
		}
		return strings.Join(parts, "+")
	}
	return ""
}

// table lays out cells in columns, right-aligned where right says.
type table struct{ rows [][]string }

func (t *table) add(cells ...string) { t.rows = append(t.rows, cells) }

func (t *table) write(w io.Writer, right []bool) error {
	widths := map[int]int{}
	for _, r := range t.rows {
		for i, c := range r {
			widths[i] = max(widths[i], utf8.RuneCountInString(c))
		}
	}
	for _, r := range t.rows {
		var b strings.Builder
		for i, c := range r {
			pad := strings.Repeat(" ", widths[i]-utf8.RuneCountInString(c))
			if i < len(right) && right[i] {
				b.WriteString(pad + c)
			} else {
				b.WriteString(c + pad)
			}
			b.WriteString("  ")
		}
		if _, err := fmt.Fprintln(w, strings.TrimRight(b.String(), " ")); err != nil {
			return err
		}
	}
	return nil
}

func qualifiedWord(q bool) string {
	if q {
		return "qualified"
	}
	return "not qualified"
}

// num prints a number for people: rounded down to 2 decimals, without
// trailing zeros, so that a shown number never sits on the other side of a
// bar from the true one (69.9975 points shows as 69.99, not 70). A value
// that float arithmetic leaves a hair under a hundredth (0.29 computed as
// 0.28999…) shows as that hundredth: within displaySlack, the largest
// points_tolerance the bundles' schemas allow, so that what the verdict
// counts as 70 shows as 70 and nothing it counts as short does. JSON
// carries the unrounded value.
func num(f float64) string {
	x := shownHundredths(f) / 100
	if x == 0 {
		x = 0 // no "-0"
	}
	s := strconv.FormatFloat(x, 'f', 2, 64)
	return strings.TrimSuffix(strings.TrimRight(s, "0"), ".")
}

// roundingNote says, when a track's points as shown do not add up to its
// total as shown (13.33 + 16.66 + 20 + 20 beside a total of 70), that
// each is rounded down on its own; "" when they add up.
func roundingNote(r *engine.Result) string {
	var notes []string
	for _, t := range r.TrackOrder {
		tr := r.Tracks[t]
		var sum float64
		for _, m := range r.MetricOrder {
			if mr := tr.Metrics[m]; mr != nil {
				sum += shownHundredths(mr.Points)
			}
		}
		if sum != shownHundredths(tr.Score) {
			notes = append(notes, fmt.Sprintf("note: %s's points as shown add up to %s; its total, %s, adds them unrounded (each is shown rounded down to hundredths)", t, num(sum/100), num(tr.Score)))
		}
	}
	return strings.Join(notes, "\n")
}

// displaySlack is how far under a hundredth a number may be and still show
// as it (see num). The bundles' Rego rounds the numbers in its reasons
// with the same slack (shown(x) in each designation.rego).
const displaySlack = 1e-12

// shownHundredths is f in hundredths as people are shown it: rounded down,
// within displaySlack.
func shownHundredths(f float64) float64 { return math.Floor((f + displaySlack) * 100) }

// exact prints a number as it is (a bar, an amount a plan adds).
func exact(f float64) string { return strconv.FormatFloat(f, 'f', -1, 64) }

// pointsText is num with its unit: "1 point", "0.99 points".
func pointsText(f float64) string { return num(f) + " " + pointsWord(f) }

// pointsWord is "point" for what shows as 1, else "points".
func pointsWord(f float64) string {
	if num(f) == "1" {
		return "point"
	}
	return "points"
}

// stepText is one step of a plan: "usage_growth (CPOR): +467 active users".
func stepText(s engine.Step) string {
	metric := s.Metric
	if s.Option != "" {
		metric += " (" + s.Option + ")"
	}
	return fmt.Sprintf("%s: +%s %s%s", metric, exact(s.Add), s.Unit, stepOf(s))
}

// stepOf names what counts for a step, when the bundle lists it:
// " (AZ-104)", " (one of DP-300, AI-102)".
func stepOf(s engine.Step) string {
	switch len(s.Of) {
	case 0:
		return ""
	case 1:
		return " (" + s.Of[0] + ")"
	}
	return " (one of " + strings.Join(s.Of, ", ") + ")"
}

// writeGap prints the plan of what it takes for a track to qualify.
func writeGap(w io.Writer, track string, p *engine.Plan) {
	switch {
	case p == nil:
		return
	case !p.Possible:
		fmt.Fprintf(w, "  what it takes: no additions can make %s qualify%s\n", track, whyText(p))
		return
	}
	fmt.Fprintf(w, "  what it takes (%s after; %s):\n", pointsText(p.ScoreAfter), gapNote)
	for i, s := range p.Steps {
		fmt.Fprintf(w, "    %s%s\n", stepText(s), stepPoints(p.Steps, i))
	}
}

// gapNote says how a plan's steps add up: the planner adds each to its
// own metric's aggregate, so a new customer that would also be a new
// deployment is counted in one of them only, and a plan may over-ask.
const gapNote = "each addition counts for its own metric only"

// stepPoints is " → N points" after the last of a metric's steps in a plan,
// and "" after the others: a step's points_after are its metric's once all
// of the metric's steps are taken (a prerequisite adds none alone), so they
// are said once.
func stepPoints(steps []engine.Step, i int) string {
	if i+1 < len(steps) && steps[i+1].Metric == steps[i].Metric {
		return ""
	}
	return " → " + pointsText(steps[i].PointsAfter)
}

// whyText is ": why" for a plan that is not possible, or "".
func whyText(p *engine.Plan) string {
	if p.Why == "" {
		return ""
	}
	return ": " + p.Why
}

// partnerName is how a partner is shown to people: "Name (id)", or the id.
func partnerName(id, name string) string {
	if name == "" {
		return id
	}
	return fmt.Sprintf("%s (%s)", name, id)
}

// maxScore is the most points a track can have: the sum of its metrics'
// maximums.
func maxScore(tr *engine.TrackResult) float64 {
	total := 0.0
	if tr == nil {
		return 0
	}
	for _, m := range tr.Metrics {
		total += m.MaxPoints
	}
	return total
}
