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

// renderText writes, per partner, a table of every metric on every track
// (value and points/max), the totals and a verdict that says why.
func renderText(w io.Writer, entries []entry, opts renderOptions) error {
	for i, r := range results(entries) {
		if i > 0 {
			fmt.Fprintln(w)
		}
		if err := textResult(w, r, opts); err != nil {
			return err
		}
	}
	return nil
}

func textResult(w io.Writer, r *engine.Result, opts renderOptions) error {
	name := partnerName(r.Partner.ID, r.Partner.Name)
	fmt.Fprintf(w, "%s\n", name)
	fmt.Fprintf(w, "reporting month %s, baseline %s, certifications as of %s\n\n", r.Month, r.Baseline, r.AsOf)

	var t table
	head := []string{"metric"}
	sub := []string{""}
	for _, tr := range r.TrackOrder {
		head = append(head, strings.ToUpper(tr), "", "")
		sub = append(sub, "value", "points", "option")
	}
	t.add(head...)
	t.add(sub...)
	for _, m := range r.MetricOrder {
		cells := []string{m}
		for _, tr := range r.TrackOrder {
			mr := r.Tracks[tr].Metrics[m]
			if mr == nil {
				cells = append(cells, "-", "-", "")
				continue
			}
			cells = append(cells, strconv.FormatInt(mr.Value, 10), num(mr.Points)+"/"+num(mr.MaxPoints), mr.Option)
		}
		t.add(cells...)
	}
	total := []string{"total"}
	verdict := []string{"verdict"}
	for _, tr := range r.TrackOrder {
		res := r.Tracks[tr]
		total = append(total, "", num(res.Score)+"/"+num(maxScore(res)), "")
		verdict = append(verdict, "", qualifiedWord(res.Qualified), "")
	}
	t.add(total...)
	t.add(verdict...)
	if err := t.write(w); err != nil {
		return err
	}
	fmt.Fprintln(w)
	if r.Qualified {
		fmt.Fprintf(w, "QUALIFIED on the %s track with %s.\n", r.Track, pointsText(r.Score))
	} else {
		fmt.Fprintf(w, "NOT QUALIFIED: no track qualifies; the best is %s with %s.\n", r.Track, pointsText(r.Score))
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

// table lays out cells in columns: the first and every third column after
// the first two (the option) left-aligned, the numbers right-aligned.
type table struct{ rows [][]string }

func (t *table) add(cells ...string) { t.rows = append(t.rows, cells) }

func (t *table) write(w io.Writer) error {
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
			switch {
			case i == 0 || i%3 == 0:
				b.WriteString(c + pad)
			default:
				b.WriteString(pad + c)
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
// 0.28999…) shows as that hundredth. JSON carries the unrounded value.
func num(f float64) string {
	x := math.Floor(f*100+1e-6) / 100
	if x == 0 {
		x = 0 // no "-0"
	}
	s := strconv.FormatFloat(x, 'f', 2, 64)
	return strings.TrimSuffix(strings.TrimRight(s, "0"), ".")
}

// pointsText is num with its unit: "1 point", "0.99 points".
func pointsText(f float64) string { return num(f) + " " + pointsWord(f) }

// pointsWord is "point" for what shows as 1, else "points".
func pointsWord(f float64) string {
	if num(f) == "1" {
		return "point"
	}
	return "points"
}

// writeGap prints the plan of what it takes for a track to qualify.
func writeGap(w io.Writer, track string, p *engine.Plan) {
	switch {
	case p == nil:
		return
	case !p.Possible:
		fmt.Fprintf(w, "  what it takes: no additions can make %s qualify\n", track)
		return
	}
	fmt.Fprintf(w, "  what it takes (%s after):\n", pointsText(p.ScoreAfter))
	for _, s := range p.Steps {
		metric := s.Metric
		if s.Option != "" {
			metric += " (" + s.Option + ")"
		}
		fmt.Fprintf(w, "    %s: +%d %s → %s\n", metric, s.Add, s.Unit, pointsText(s.PointsAfter))
	}
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
	for _, m := range tr.Metrics {
		total += m.MaxPoints
	}
	return total
}
