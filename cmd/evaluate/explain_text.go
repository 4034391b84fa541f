package main

import (
	"fmt"
	"io"
	"math"
	"slices"
	"strconv"
	"strings"

	"evaluate/engine"
)

// writeExplanations prints, for every track and metric (or the one chosen
// with --track/--metric), the records that made its value.
func writeExplanations(w io.Writer, r *engine.Result, opts renderOptions) error {
	// Said, so that the designations --track leaves out are not read as
	// having nothing to explain.
	if opts.Track != "" && !slices.Contains(r.TrackOrder, opts.Track) {
		fmt.Fprintf(w, "\n(no %s track here: --track %s explains nothing of %s)\n", opts.Track, opts.Track, r.Designation)
	}
	if opts.Metric != "" && !slices.Contains(r.MetricOrder, opts.Metric) {
		fmt.Fprintf(w, "\n(no %s metric here: --metric %s explains nothing of %s)\n", opts.Metric, opts.Metric, r.Designation)
	}
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
				fmt.Fprintf(w, "\n%s · %s: value %s%s → %s/%s points\n", t, m, num(mr.Value), r.ValueUnits[m], num(mr.Points), num(mr.MaxPoints))
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
				fmt.Fprintf(w, "\n%s · %s · %s%s: value %s%s → %s/%s points\n", t, m, o, chosen, num(opt.Value), r.OptionUnits[m][o], num(opt.Points), num(mr.MaxPoints))
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
		fmt.Fprintf(w, "  %s (%s): %s\n", says, a.ID, scaled(a, a.Total))
		// Parts right-aligned in a column as wide as the widest short one:
		// a long part (sums per key) overflows rather than pushing every
		// name across the page.
		parts := make([]string, len(a.Records))
		width := 6
		for i, c := range a.Records {
			parts[i] = scaled(a, c.Adds)
			if len(parts[i]) <= 16 {
				width = max(width, len(parts[i]))
			}
		}
		for i, c := range a.Records {
			detail := ""
			if c.Detail != "" {
				detail = "  (" + c.Detail + ")"
			}
			fmt.Fprintf(w, "    %*s  %s%s\n", width, parts[i], c.Tenant+c.Person, detail)
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

// scaled is a part or a total as the aggregate's explain config shows it
// to people: a number divided by its scale, with its unit; sums per key
// each so. Anything else is as describeAdds writes it.
func scaled(a engine.AggregateExplanation, v any) string {
	if a.Scale == 0 && a.Unit == "" {
		return describeAdds(v)
	}
	scale := a.Scale
	if scale == 0 {
		scale = 1
	}
	one := func(x any) (string, bool) {
		var f float64
		switch n := x.(type) {
		case int64:
			f = float64(n)
		case float64:
			f = n
		default:
			return "", false
		}
		s := exact(f / scale)
		// A fraction of a whole unit shows every place the scale has:
		// 9199.50 USD, not 9199.5 (cents are exact, so nothing rounds).
		if places := int(math.Round(math.Log10(scale))); places > 0 && math.Pow(10, float64(places)) == scale && math.Mod(f, scale) != 0 {
			s = strconv.FormatFloat(f/scale, 'f', places, 64)
		}
		if a.Unit != "" {
			s += " " + a.Unit
		}
		return s, true
	}
	if s, ok := one(v); ok {
		return s
	}
	if m, ok := v.(map[string]any); ok {
		var parts []string
		for _, k := range slices.Sorted(mapKeys(m)) {
			s, ok := one(m[k])
			if !ok {
				return describeAdds(v)
			}
			parts = append(parts, k+" "+s)
		}
		return strings.Join(parts, ", ")
	}
	return describeAdds(v)
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
