package main

import (
	"embed"
	"fmt"
	"html"
	"html/template"
	"io"
	"math"
	"slices"
	"strings"

	"evaluate/engine"
)

//go:embed templates/report.html
var templates embed.FS

// reportTemplate is one self-contained page: inline CSS and SVG, no scripts
// and nothing fetched, so it opens offline and prints on A4.
var reportTemplate = template.Must(template.New("report.html").Funcs(template.FuncMap{"num": num, "exact": exact, "pointsText": pointsText, "stepPoints": stepPoints, "stepOf": stepOf, "pointsWord": pointsWord, "breakable": breakable, "gapNote": func() string { return strings.ToUpper(gapNote[:1]) + gapNote[1:] }}).ParseFS(templates, "templates/report.html"))

// breakable lets a long metric id wrap after its underscores on a phone.
func breakable(id string) template.HTML {
	parts := strings.Split(id, "_")
	for i := range parts {
		parts[i] = html.EscapeString(parts[i])
	}
	return template.HTML(strings.Join(parts, "_<wbr>"))
}

// pageView is one page: a section per partner.
type pageView struct {
	Title    string
	Partners []partnerHTML
}

// partnerHTML is one partner's section: a summary of its designations
// when there are several, then each designation; or the errors that kept
// it from being scored.
type partnerHTML struct {
	Name          string
	File          string
	Errors        []string
	Summary       []summaryRow
	Designations  []htmlView
	Warnings      []string
	FirstWarnings []string
}

type summaryRow struct {
	Designation, Track, Anchor string
	Score, Max                 float64
	Qualified                  bool
}

type htmlView struct {
	R          *engine.Result
	Anchor     string
	Titled     bool
	Bar        string
	Tracks     []trackView
	Chart      template.HTML
	ChartBar   float64
	Legend     []legend
	MonthTable template.HTML
	// Rounding says when the points shown do not add up to the total
	// shown (see roundingNote).
	Rounding string
}

type trackView struct {
	Name, Title string
	T           *engine.TrackResult
	Needs       *engine.Needs
	Chosen      bool
	Max         float64
	Gauge       template.HTML
	Metrics     []metricView
}

type metricView struct {
	ID, Track string
	M         *engine.MetricResult
	Unit      string // after the value ("%")
	Options   []optionView
	Bar       template.HTML
	// Why is the --explain text for the metric, when asked for.
	Why string
}

type optionView struct {
	Name, Metric, Track, Key string
	Value, Points            float64
	Unit                     string // after the value (" USD")
	Chosen                   bool
}

type legend struct{ Name, Color string }

var trackColors = []string{"#0f6cbd", "#b4420d", "#107c10", "#8764b8"}

// renderHTML writes one page with a section per partner, each starting on
// a new sheet when printed. A single file that could not be scored writes
// nothing (its errors are on stderr).
func renderHTML(w io.Writer, entries []entry, opts renderOptions) error {
	var parts []partnerHTML
	for _, e := range entries {
		if e.Error != nil {
			if len(entries) == 1 {
				return nil
			}
			p := partnerHTML{Name: e.Error.where(), File: e.Error.where()}
			for _, x := range e.Error.Errors {
				p.Errors = append(p.Errors, x.String())
			}
			parts = append(parts, p)
			continue
		}
		parts = append(parts, partnerSection(e.Result, nil, opts))
	}
	if len(parts) == 0 {
		return nil
	}
	return writePage(w, parts)
}

// writePage writes one self-contained page of partner sections.
func writePage(w io.Writer, parts []partnerHTML) error {
	if len(parts) > 1 {
		// Each partner's links go to its own sections: ids are unique
		// on the page.
		for i := range parts {
			for j := range parts[i].Designations {
				parts[i].Designations[j].Anchor = fmt.Sprintf("p%d-%s", i+1, parts[i].Designations[j].Anchor)
			}
			for j := range parts[i].Summary {
				parts[i].Summary[j].Anchor = fmt.Sprintf("p%d-%s", i+1, parts[i].Summary[j].Anchor)
			}
		}
	}
	p := pageView{Partners: parts}
	switch {
	case len(parts) == 1 && len(parts[0].Designations) > 0:
		p.Title = "Partner capability score · " + parts[0].Name + " · " + parts[0].Designations[0].R.Month
	default:
		p.Title = fmt.Sprintf("Partner capability scores · %d partners", len(parts))
	}
	return reportTemplate.Execute(w, p)
}

// partnerSection is the section of one partner, with score-per-month
// charts when histories (one per designation) are given.
func partnerSection(rep *report, hs []*history, opts renderOptions) partnerHTML {
	p := partnerHTML{Name: partnerName(rep.Partner.ID, rep.Partner.Name), File: rep.File}
	for i, r := range rep.Results {
		v := designationView(r, opts)
		v.Titled = len(rep.Results) > 1
		if hs != nil && hs[i] != nil && len(hs[i].Months) > 1 {
			v.Chart, v.Legend, v.ChartBar = chart(hs[i], r)
			v.MonthTable = monthTable(hs[i], r)
		}
		p.Designations = append(p.Designations, v)
		if len(rep.Results) > 1 {
			p.Summary = append(p.Summary, summaryRow{Designation: r.Designation, Track: r.Track, Anchor: v.Anchor,
				Score: r.Score, Max: maxScore(r.Tracks[r.Track]), Qualified: r.Qualified})
		}
	}
	// The page's warnings are every designation's.
	for _, r := range rep.Results {
		p.Warnings = append(p.Warnings, r.Warnings...)
	}
	slices.Sort(p.Warnings)
	p.Warnings = slices.Compact(p.Warnings)
	p.FirstWarnings = p.Warnings[:min(len(p.Warnings), maxWarnings)]
	return p
}

// designationView is one designation of a partner.
func designationView(r *engine.Result, opts renderOptions) htmlView {
	v := htmlView{R: r, Anchor: "d-" + r.Designation, Rounding: roundingNote(r)}
	if n := r.Tracks[r.Track].Needs; n != nil && n.Possible == nil {
		v.Bar = fmt.Sprintf(" (a track needs %s in total", exact(n.Total))
		if least, same := sameLeast(n); same {
			v.Bar += fmt.Sprintf(" and %s in every metric", exact(least))
		}
		v.Bar += ")"
	}
	for _, t := range r.TrackOrder {
		tr := r.Tracks[t]
		tv := trackView{Name: t, Title: strings.ToUpper(t), T: tr, Needs: tr.Needs, Chosen: t == r.Track}
		if tr.Needs != nil && tr.Needs.Possible != nil {
			tv.Needs = nil
		}
		tv.Max = maxScore(tr)
		bar := math.NaN()
		if tv.Needs != nil {
			bar = tv.Needs.Total
		}
		tv.Gauge = gauge(tr.Score, tv.Max, bar, tr.Qualified)
		for _, id := range r.MetricOrder {
			m := tr.Metrics[id]
			if m == nil {
				continue
			}
			least := math.NaN()
			if tv.Needs != nil {
				if x, ok := tv.Needs.Metrics[id]; ok {
					least = x
				}
			}
			why := ""
			if (opts.Track == "" || opts.Track == t) && (opts.Metric == "" || opts.Metric == id) {
				why = explainText(r, t, id)
			}
			mv := metricView{ID: id, Track: t, M: m, Unit: r.ValueUnits[id], Bar: metricBar(m.Points, m.MaxPoints, least), Why: why}
			parts, key := m.Options, "options"
			if parts == nil {
				parts, key = m.Sources, "sources"
			}
			for _, o := range sortedKeys(parts) {
				mv.Options = append(mv.Options, optionView{Name: o, Metric: id, Track: t, Key: key, Value: parts[o].Value, Unit: r.OptionUnits[id][o], Points: parts[o].Points, Chosen: m.Options != nil && o == m.Option})
			}
			tv.Metrics = append(tv.Metrics, mv)
		}
		v.Tracks = append(v.Tracks, tv)
	}
	return v
}

// sameLeast tells whether every metric needs the same least points.
func sameLeast(n *engine.Needs) (float64, bool) {
	first, ok := math.NaN(), true
	for _, x := range n.Metrics {
		if math.IsNaN(first) {
			first = x
		} else if x != first {
			ok = false
		}
	}
	return first, ok && !math.IsNaN(first)
}

// maxWarnings is how many warnings a page lists; the JSON result carries
// them all.
const maxWarnings = 20

// gauge draws a track's total against the bar (NaN: none).
func gauge(score, top, bar float64, ok bool) template.HTML {
	const width = 400.0
	color := "#b4420d"
	if ok {
		color = "#107c10"
	}
	x := func(p float64) float64 {
		if top <= 0 {
			return 0
		}
		return width * math.Max(0, math.Min(1, p/top))
	}
	label := num(score) + " of " + num(top) + " points"
	line := ""
	if !math.IsNaN(bar) {
		label += ", needs " + exact(bar)
		line = fmt.Sprintf(`<line x1="%.1f" y1="1" x2="%.1f" y2="29" stroke="#1b1b1b" stroke-width="2"/>`+
			`<text x="%.1f" y="33" font-size="8" text-anchor="middle" fill="#1b1b1b">%s</text>`, x(bar), x(bar), x(bar), html.EscapeString(exact(bar)))
	}
	return template.HTML(fmt.Sprintf(`<svg viewBox="0 0 %.0f 34" role="img" aria-label="%s">`+
		`<rect x="0" y="6" width="%.0f" height="18" rx="4" fill="#e8eaed"/>`+
		`<rect x="0" y="6" width="%.1f" height="18" rx="4" fill="%s"/>%s</svg>`,
		width, html.EscapeString(label), width, down1(x(score)), color, line))
}

// down1 rounds a bar's length down to the tenth it is written with, so that
// a bar short of its marker never reaches it (69.9975 of 70 points).
func down1(v float64) float64 { return math.Floor(v*10+1e-9) / 10 }

// metricBar draws a metric's points against its maximum and minimum (NaN:
// none).
func metricBar(points, top, minimum float64) template.HTML {
	const width = 200.0
	color := "#0f6cbd"
	if !math.IsNaN(minimum) && points < minimum {
		color = "#b4420d"
	}
	x := func(p float64) float64 {
		if top <= 0 {
			return 0
		}
		return width * math.Max(0, math.Min(1, p/top))
	}
	label := num(points) + " of " + num(top)
	line := ""
	if !math.IsNaN(minimum) {
		label += ", minimum " + exact(minimum)
		line = fmt.Sprintf(`<line x1="%.1f" y1="0" x2="%.1f" y2="14" stroke="#1b1b1b" stroke-width="1.5"/>`, x(minimum), x(minimum))
	}
	return template.HTML(fmt.Sprintf(`<svg viewBox="0 0 %.0f 14" role="img" aria-label="%s">`+
		`<rect x="0" y="2" width="%.0f" height="10" rx="3" fill="#e8eaed"/><rect x="0" y="2" width="%.1f" height="10" rx="3" fill="%s"/>%s</svg>`,
		width, html.EscapeString(label), width, down1(x(points)), color, line))
}

// chart draws the score per month of each track, with the bar of the
// partner's track.
func chart(h *history, r *engine.Result) (template.HTML, []legend, float64) {
	// right leaves half a month label ("2026-10", about 38 units at
	// font-size 10) inside the view at the last month.
	const w, hgt, left, right, bottom = 640.0, 220.0, 34.0, 24.0, 24.0
	top := 100.0
	for _, m := range h.Months {
		for _, t := range m.Tracks {
			top = max(top, t.Score)
		}
	}
	n := len(h.Months)
	x := func(i int) float64 { return left + (w-left-right)*float64(i)/float64(max(1, n-1)) }
	y := func(s float64) float64 { return (hgt - bottom) - (hgt-bottom-8)*s/top }
	var b strings.Builder
	fmt.Fprintf(&b, `<svg viewBox="0 0 %.0f %.0f" role="img" aria-label="score per month">`, w, hgt)
	for _, g := range []float64{0, 25, 50, 75, 100} {
		fmt.Fprintf(&b, `<line x1="%.0f" x2="%.0f" y1="%.1f" y2="%.1f" stroke="#e8eaed"/><text x="%.0f" y="%.1f" font-size="10" text-anchor="end" fill="#5f6368">%.0f</text>`, left, w-right, y(g), y(g), left-4, y(g)+3, g)
	}
	bar := 0.0
	if n := r.Tracks[r.Track].Needs; n != nil && n.Possible == nil {
		bar = n.Total
		fmt.Fprintf(&b, `<line x1="%.0f" x2="%.0f" y1="%.1f" y2="%.1f" stroke="#1b1b1b" stroke-dasharray="5 4"/>`, left, w-right, y(bar), y(bar))
	}
	var legends []legend
	for k, t := range r.TrackOrder {
		color := trackColors[k%len(trackColors)]
		legends = append(legends, legend{t, color})
		var pts []string
		for i, m := range h.Months {
			pts = append(pts, fmt.Sprintf("%.1f,%.1f", x(i), y(m.Tracks[t].Score)))
		}
		fmt.Fprintf(&b, `<polyline fill="none" stroke="%s" stroke-width="2.5" points="%s"/>`, color, strings.Join(pts, " "))
		for i, m := range h.Months {
			fmt.Fprintf(&b, `<circle cx="%.1f" cy="%.1f" r="3" fill="%s"><title>%s %s: %s</title></circle>`, x(i), y(m.Tracks[t].Score), color, html.EscapeString(t), m.Month, num(m.Tracks[t].Score))
		}
	}
	for i, m := range h.Months {
		if n <= 12 || i%2 == 0 {
			fmt.Fprintf(&b, `<text x="%.1f" y="%.0f" font-size="10" text-anchor="middle" fill="#5f6368">%s</text>`, x(i), hgt-6, m.Month)
		}
	}
	b.WriteString(`</svg>`)
	return template.HTML(b.String()), legends, bar
}

// monthTable lists the months of a history: each month's evaluation date,
// score per track and whether the designation is held.
func monthTable(h *history, r *engine.Result) template.HTML {
	var b strings.Builder
	b.WriteString(`<table class="months"><thead><tr><th>month</th><th>as of</th>`)
	for _, t := range r.TrackOrder {
		fmt.Fprintf(&b, "<th>%s</th>", html.EscapeString(t))
	}
	b.WriteString(`<th>designation</th></tr></thead><tbody>`)
	for _, m := range h.Months {
		fmt.Fprintf(&b, "<tr><td>%s</td><td>%s</td>", m.Month, m.AsOf)
		for _, t := range r.TrackOrder {
			ts := m.Tracks[t]
			fmt.Fprintf(&b, `<td class="n">%s %s</td>`, num(ts.Score), qualifiedMark(ts.Qualified))
		}
		fmt.Fprintf(&b, "<td>%s</td></tr>", html.EscapeString(heldText(m)))
	}
	b.WriteString(`</tbody></table>`)
	return template.HTML(b.String())
}
