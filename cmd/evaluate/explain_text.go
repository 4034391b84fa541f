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
				fmt.Fprintf(w, "\n%s · %s: value %s → %s/%s points\n", t, m, num(mr.Value), num(mr.Points), num(mr.MaxPoints))
				writeExplanation(w, mr.Explain)
			}
			parts := mr.Options
			if parts == nil {
				parts = mr.Sources
			}
			for _, o := range slices.Sorted(mapKeys(parts)) {
				opt := parts[o]
				if opt.Explain == nil {
					continue
				}
				chosen := ""
				if mr.Options != nil && o == mr.Option {
					chosen = " (chosen)"
				}
				fmt.Fprintf(w, "\n%s · %s · %s%s: value %s → %s/%s points\n", t, m, o, chosen, num(opt.Value), num(opt.Points), num(mr.MaxPoints))
				writeExplanation(w, opt.Explain)
			}
		}
	}
	return nil
}

func writeExplanation(w io.Writer, x *engine.Explanation) {
	fmt.Fprintf(w, "  rule %s\n", x.Rule)
	for _, a := range x.Aggregates {
		says := a.Says
		if says == "" {
			says = a.ID
		}
		fmt.Fprintf(w, "  %s (%s): %s\n", says, a.ID, describeAdds(a.Total))
		for _, c := range a.Records {
			detail := ""
			if c.Detail != "" {
				detail = "  (" + c.Detail + ")"
			}
			fmt.Fprintf(w, "    %6s  %s%s\n", describeAdds(c.Adds), c.Tenant+c.Person, detail)
		}
		if len(a.Notes) > 0 {
			fmt.Fprintln(w, "    notes:")
			for _, n := range a.Notes {
				fmt.Fprintf(w, "      %s: %s [%s]\n", n.Tenant+n.Person, n.Text, n.Rule)
			}
		}
		if len(a.LeftOut) > 0 {
			fmt.Fprintln(w, "    left out:")
			for _, l := range a.LeftOut {
				fmt.Fprintf(w, "      %s: %s [%s]\n", l.Tenant+l.Person, l.Reason, l.Rule)
			}
		}
		if len(a.NotCounted) > 0 {
			fmt.Fprintln(w, "    that do not count:")
			for _, c := range a.NotCounted {
				fmt.Fprintf(w, "      %s: %s: %s [%s]\n", c.Person, c.Item, c.Reason, c.Rule)
			}
		}
	}
}

// describeAdds writes a record's part or a total: a number, a count of a
// set, or sums per key.
func describeAdds(v any) string {
	switch x := v.(type) {
	case bool:
		if x {
			return "1"
		}
		return "0"
	case int64:
		return fmt.Sprint(x)
	case float64:
		return num(x)
	case []any:
		var parts []string
		for _, e := range x {
			parts = append(parts, fmt.Sprint(e))
		}
		return strings.Join(parts, ", ")
	case map[string]any:
		var parts []string
		for _, k := range slices.Sorted(mapKeys(x)) {
			parts = append(parts, fmt.Sprintf("%s %v", k, x[k]))
		}
		return strings.Join(parts, ", ")
	}
	return fmt.Sprint(v)
}

// explainText is the explanation of one metric on one track, as text
// (empty unless the result was explained).
func explainText(r *engine.Result, track, metric string) string {
	var b strings.Builder
	writeExplanations(&b, r, renderOptions{Track: track, Metric: metric})
	return strings.TrimPrefix(b.String(), "\n")
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

func sortedKeys[V any](m map[string]V) []string { return slices.Sorted(mapKeys(m)) }
