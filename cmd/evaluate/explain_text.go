package main

import (
	"fmt"
	"io"
	"slices"
	"strings"

	"evaluate/engine"
)

// writeExplanations prints, for every track and metric (or the one chosen
// with --track/--metric), the records that made its value.
func writeExplanations(w io.Writer, r *engine.Result, opts renderOptions) error {
	for _, t := range r.TrackOrder {
		if opts.Track != "" && opts.Track != t {
			continue
		}
		for _, m := range r.MetricOrder {
			if opts.Metric != "" && opts.Metric != m {
				continue
			}
			mr := r.Tracks[t].Metrics[m]
			if mr == nil {
				continue
			}
			if mr.Explain != nil {
				fmt.Fprintf(w, "\n%s · %s: value %d → %s/%s points\n", t, m, mr.Value, num(mr.Points), num(mr.MaxPoints))
				writeExplanation(w, mr.Explain)
			}
			for _, o := range slices.Sorted(mapKeys(mr.Options)) {
				opt := mr.Options[o]
				if opt.Explain == nil {
					continue
				}
				chosen := ""
				if o == mr.Option {
					chosen = " (chosen)"
				}
				fmt.Fprintf(w, "\n%s · %s · %s%s: value %d → %s/%s points\n", t, m, o, chosen, opt.Value, num(opt.Points), num(mr.MaxPoints))
				writeExplanation(w, opt.Explain)
			}
		}
	}
	return nil
}

// explainText is the explanation of one metric on one track, as text
// (empty unless the result was explained).
func explainText(r *engine.Result, track, metric string) string {
	var b strings.Builder
	writeExplanations(&b, r, renderOptions{Track: track, Metric: metric})
	return strings.TrimPrefix(b.String(), "\n")
}

func writeExplanation(w io.Writer, x *engine.Explanation) {
	fmt.Fprintf(w, "  rule %s\n", x.Rule)
	section := func(title string, cs []engine.Contribution) {
		if len(cs) == 0 {
			return
		}
		fmt.Fprintf(w, "  %s:\n", title)
		for _, c := range cs {
			fmt.Fprintf(w, "    %+6d  %s%s\n", c.Adds, c.Tenant+c.Person, describeContribution(c))
		}
	}
	counted := "counted in the reporting month"
	if len(x.Reporting) > 0 && x.Reporting[0].Person != "" || len(x.NotCounted) > 0 {
		counted = "counted on the evaluation date"
	}
	if len(x.Reporting) == 0 {
		fmt.Fprintf(w, "  %s: none\n", counted)
	}
	section(counted, x.Reporting)
	section("counted in the baseline month (subtracted)", x.Baseline)
	if len(x.Notes) > 0 {
		fmt.Fprintln(w, "  notes:")
		for _, n := range x.Notes {
			fmt.Fprintf(w, "    %s: %s [%s]\n", n.Tenant, n.Text, n.Rule)
		}
	}
	if len(x.LeftOut) > 0 {
		fmt.Fprintln(w, "  left out:")
		for _, l := range x.LeftOut {
			fmt.Fprintf(w, "    %s: %s [%s]\n", l.Tenant, l.Reason, l.Rule)
		}
	}
	if len(x.NotCounted) > 0 {
		fmt.Fprintln(w, "  certifications that do not count:")
		for _, c := range x.NotCounted {
			fmt.Fprintf(w, "    %s: %s: %s [%s]\n", c.Person, c.Certification, c.Reason, c.Rule)
		}
	}
}

func describeContribution(c engine.Contribution) string {
	var parts []string
	if c.Month != "" {
		parts = append(parts, c.Month)
	}
	if len(c.Associations) > 0 {
		parts = append(parts, strings.Join(c.Associations, "+"))
	}
	var wl []string
	for _, x := range c.Workloads {
		if x.PaidSeats > 0 || x.ActiveUsers > 0 {
			wl = append(wl, fmt.Sprintf("%s %d seats/%d active", x.Workload, x.PaidSeats, x.ActiveUsers))
		}
	}
	if len(wl) > 0 {
		parts = append(parts, strings.Join(wl, ", "))
	}
	if c.ActiveUsers != nil {
		parts = append(parts, fmt.Sprintf("%d active users", *c.ActiveUsers))
	}
	if c.Deployed != nil && *c.Deployed {
		parts = append(parts, "deployed")
	}
	if len(c.Certifications) > 0 {
		parts = append(parts, strings.Join(c.Certifications, ", "))
	}
	if len(parts) == 0 {
		return ""
	}
	return "  (" + strings.Join(parts, "; ") + ")"
}

func mapKeys[V any](m map[string]V) func(func(string) bool) {
	return func(yield func(string) bool) {
		for k := range m {
			if !yield(k) {
				return
			}
		}
	}
}
