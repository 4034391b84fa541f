package main

import (
	"fmt"
	"io"
	"strings"

	"evaluate/engine"
)

// renderMarkdown writes the text table's content as Markdown, for tickets
// and pull requests.
func renderMarkdown(w io.Writer, entries []entry, opts renderOptions) error {
	for i, e := range entries {
		if i > 0 {
			fmt.Fprintln(w)
		}
		if e.Error != nil {
			fmt.Fprintf(w, "### %s could not be scored\n\n", mdEscape(e.Error.where()))
			for _, p := range e.Error.Errors {
				fmt.Fprintf(w, "- %s\n", mdEscape(p.String()))
			}
			continue
		}
		rep := e.Result
		fmt.Fprintf(w, "### %s\n", mdEscape(partnerName(rep.Partner.ID, rep.Partner.Name)))
		if len(rep.Results) > 1 {
			fmt.Fprintln(w, "\n| designation | track | score | verdict |\n|---|---|---:|---|")
			for _, r := range rep.Results {
				fmt.Fprintf(w, "| %s | %s | %s/%s | %s |\n", mdEscape(r.Designation), mdEscape(r.Track), num(r.Score), num(maxScore(r.Tracks[r.Track])), qualifiedWord(r.Qualified))
			}
		}
		for _, r := range rep.Results {
			if len(rep.Results) > 1 {
				fmt.Fprintf(w, "\n#### %s\n", mdEscape(r.Designation))
			}
			if err := markdownResult(w, r, opts); err != nil {
				return err
			}
		}
	}
	return nil
}

func markdownResult(w io.Writer, r *engine.Result, opts renderOptions) error {
	fmt.Fprintf(w, "\n%s.\n\n", mdEscape(r.Header))
	options := hasOptions(r)
	head, rule := "| metric |", "|---|"
	for _, t := range r.TrackOrder {
		head += fmt.Sprintf(" %s value | %s points |", mdEscape(t), mdEscape(t))
		rule += "---:|---:|"
		if options {
			head += fmt.Sprintf(" %s %s |", mdEscape(t), optionColumn(r))
			rule += "---|"
		}
	}
	fmt.Fprintln(w, head)
	fmt.Fprintln(w, rule)
	for _, m := range r.MetricOrder {
		row := "| " + mdEscape(m) + " |"
		for _, t := range r.TrackOrder {
			mr := r.Tracks[t].Metrics[m]
			if mr == nil {
				row += " - | - |"
				if options {
					row += " |"
				}
				continue
			}
			row += fmt.Sprintf(" %s%s | %s/%s |", num(mr.Value), mdEscape(r.ValueUnits[m]), num(mr.Points), num(mr.MaxPoints))
			if options {
				row += " " + mdEscape(optionLabel(mr)) + " |"
			}
		}
		fmt.Fprintln(w, row)
	}
	total, verdict := "| **total** |", "| **verdict** |"
	for _, t := range r.TrackOrder {
		tr := r.Tracks[t]
		total += fmt.Sprintf(" | **%s/%s** |", num(tr.Score), num(maxScore(tr)))
		verdict += fmt.Sprintf(" | %s |", qualifiedWord(tr.Qualified))
		if options {
			total, verdict = total+" |", verdict+" |"
		}
	}
	fmt.Fprintln(w, total)
	fmt.Fprintln(w, verdict)
	if note := roundingNote(r); note != "" {
		fmt.Fprintf(w, "\n%s\n", mdEscape(note))
	}
	fmt.Fprintln(w)
	switch {
	case r.Qualified:
		fmt.Fprintf(w, "**QUALIFIED** on the %s track with %s.\n", mdEscape(r.Track), pointsText(r.Score))
	case len(r.TrackOrder) == 1:
		fmt.Fprintf(w, "**NOT QUALIFIED**: %s.\n", pointsText(r.Score))
	default:
		fmt.Fprintf(w, "**NOT QUALIFIED**: no track qualifies; the %s track counts, with %s.\n", mdEscape(r.Track), pointsText(r.Score))
	}
	for _, t := range r.TrackOrder {
		tr := r.Tracks[t]
		if tr.Qualified {
			continue
		}
		fmt.Fprintf(w, "\n%s does not qualify:\n\n", mdEscape(t))
		for _, why := range tr.Reasons {
			fmt.Fprintf(w, "- %s\n", mdEscape(why))
		}
		switch g := tr.Gap; {
		case g == nil:
		case g.Possible && len(g.Steps) > 0:
			fmt.Fprintf(w, "\nWhat it takes (%s after; %s):\n\n", pointsText(g.ScoreAfter), gapNote)
			for i, s := range g.Steps {
				fmt.Fprintf(w, "- %s%s\n", mdEscape(stepText(s)), stepPoints(g.Steps, i))
			}
		case !g.Possible:
			fmt.Fprintf(w, "\nNo additions can make it qualify%s.\n", mdEscape(whyText(g)))
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
	fmt.Fprintf(w, "\n<sub>policies: %s (%s) %s</sub>\n", mdEscape(r.Policies.Source), r.Policies.Designation, r.Policies.Hash)
	return nil
}

func mdEscape(s string) string {
	// [ ] and ! too: a partner's name must not become a link or an image.
	return strings.NewReplacer("|", `\|`, "*", `\*`, "_", `\_`, "<", "&lt;", "`", "\\`", "[", `\[`, "]", `\]`, "!", `\!`).Replace(s)
}
