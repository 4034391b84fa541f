package main

import (
	"fmt"
	"io"
	"strings"
)

// renderMarkdown writes the text table's content as Markdown, for tickets
// and pull requests.
func renderMarkdown(w io.Writer, entries []entry, opts renderOptions) error {
	for i, r := range results(entries) {
		if i > 0 {
			fmt.Fprintln(w)
		}
		name := partnerName(r.Partner.ID, r.Partner.Name)
		fmt.Fprintf(w, "### %s\n\nReporting month %s, baseline %s, certifications as of %s.\n\n", mdEscape(name), r.Month, r.Baseline, r.AsOf)
		head, rule := "| metric |", "|---|"
		for _, t := range r.TrackOrder {
			head += fmt.Sprintf(" %s value | %s points | %s option |", t, t, t)
			rule += "---:|---:|---|"
		}
		fmt.Fprintln(w, head)
		fmt.Fprintln(w, rule)
		for _, m := range r.MetricOrder {
			row := "| " + m + " |"
			for _, t := range r.TrackOrder {
				mr := r.Tracks[t].Metrics[m]
				if mr == nil {
					row += " - | - | |"
					continue
				}
				row += fmt.Sprintf(" %d | %s/%s | %s |", mr.Value, num(mr.Points), num(mr.MaxPoints), mr.Option)
			}
			fmt.Fprintln(w, row)
		}
		total, verdict := "| **total** |", "| **verdict** |"
		for _, t := range r.TrackOrder {
			tr := r.Tracks[t]
			total += fmt.Sprintf(" | **%s/%s** | |", num(tr.Score), num(maxScore(tr)))
			verdict += fmt.Sprintf(" | %s | |", qualifiedWord(tr.Qualified))
		}
		fmt.Fprintln(w, total)
		fmt.Fprintln(w, verdict)
		fmt.Fprintln(w)
		if r.Qualified {
			fmt.Fprintf(w, "**QUALIFIED** on the %s track with %s.\n", r.Track, pointsText(r.Score))
		} else {
			fmt.Fprintf(w, "**NOT QUALIFIED**: no track qualifies; the best is %s with %s.\n", r.Track, pointsText(r.Score))
		}
		for _, t := range r.TrackOrder {
			tr := r.Tracks[t]
			if tr.Qualified {
				continue
			}
			fmt.Fprintf(w, "\n%s does not qualify:\n\n", t)
			for _, why := range tr.Reasons {
				fmt.Fprintf(w, "- %s\n", mdEscape(why))
			}
			if g := tr.Gap; g != nil && g.Possible && len(g.Steps) > 0 {
				fmt.Fprintf(w, "\nWhat it takes (%s after):\n\n", pointsText(g.ScoreAfter))
				for _, s := range g.Steps {
					metric := s.Metric
					if s.Option != "" {
						metric += " (" + s.Option + ")"
					}
					fmt.Fprintf(w, "- %s: +%d %s → %s\n", metric, s.Add, s.Unit, pointsText(s.PointsAfter))
				}
			}
		}
		for _, n := range r.Notices {
			fmt.Fprintf(w, "\n> %s\n", mdEscape(n.Text))
		}
		var why strings.Builder
		if err := writeExplanations(&why, r, opts); err != nil {
			return err
		}
		if why.Len() > 0 {
			fmt.Fprintf(w, "\n<details><summary>Why: the tenants, people and rules behind each number</summary>\n\n```text%s```\n\n</details>\n", strings.ReplaceAll(why.String(), "```", "`\u200b``"))
		}
		fmt.Fprintf(w, "\n<sub>policies: %s (%s) %s</sub>\n", r.Policies.Source, r.Policies.Designation, r.Policies.Hash)
	}
	return nil
}

func mdEscape(s string) string {
	return strings.NewReplacer("|", `\|`, "*", `\*`, "_", `\_`, "<", "&lt;").Replace(s)
}
