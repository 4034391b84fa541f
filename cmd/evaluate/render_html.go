package main

import (
	"embed"
	"fmt"
	"html"
	"html/template"
	"io"
	"slices"
	"strings"

	"evaluate/engine"
)

//go:embed templates/report.html
var templates embed.FS

// reportTemplate is one self-contained page: inline CSS and SVG, no scripts
// and nothing fetched, so it opens offline and prints on A4.
var reportTemplate = template.Must(template.New("report.html").Funcs(template.FuncMap{"num": num, "pointsText": pointsText, "pointsWord": pointsWord, "breakable": breakable}).ParseFS(templates, "templates/report.html"))

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
	Partners []htmlView
}

type htmlView struct {
	R             *engine.Result
	Name          string
	Tracks        []trackView
	Chart         template.HTML
	Legend        []legend
	FirstWarnings []string
}

type trackView struct {
	Name, Title string
	T           *engine.TrackResult
	Chosen      bool
	Max         float64
	Gauge       template.HTML
	Metrics     []metricView
}

type metricView struct {
	ID, Track string
	M         *engine.MetricResult
	Options   []optionView
	Bar       template.HTML
	// Why is the --explain text for the metric, when asked for.
	Why string
}

type optionView struct {
	Name, Metric, Track string
	Value               int64
	Points              float64
	Chosen              bool
}

type legend struct{ Name, Color string }

var trackColors = []string{"#0f6cbd", "#b4420d", "#107c10", "#8764b8"}

// renderHTML writes one page with a section per partner, each starting on
// a new sheet when printed.
func renderHTML(w io.Writer, entries []entry, _ renderOptions) error {
	var views []htmlView
	for _, r := range results(entries) {
		views = append(views, partnerView(r, nil))
	}
	return writePage(w, views)
}

// writePage writes one self-contained page of partner sections.
func writePage(w io.Writer, views []htmlView) error {
	p := pageView{Partners: views}
	switch len(views) {
	case 1:
		p.Title = "Partner capability score · " + views[0].Name + " · " + views[0].R.Month
	default:
		p.Title = fmt.Sprintf("Partner capability scores · %d partners", len(views))
	}
	return reportTemplate.Execute(w, p)
}

// partnerView is the section for r, with a score-per-month chart when a
// history is given.
func partnerView(r *engine.Result, h *history) htmlView {
	v := htmlView{R: r, Name: partnerName(r.Partner.ID, r.Partner.Name)}
	for _, t := range r.TrackOrder {
		tr := r.Tracks[t]
		tv := trackView{Name: t, Title: strings.ToUpper(t), T: tr, Chosen: t == r.Track}
		tv.Max = maxScore(tr)
		tv.Gauge = gauge(tr.Score, tv.Max, r.Bar.MinTotal, tr.Qualified)
		for _, id := range r.MetricOrder {
			m := tr.Metrics[id]
			if m == nil {
				continue
			}
			mv := metricView{ID: id, Track: t, M: m, Bar: metricBar(m.Points, m.MaxPoints, r.Bar.MinMetric), Why: explainText(r, t, id)}
			for _, o := range slices.Sorted(mapKeys(m.Options)) {
				mv.Options = append(mv.Options, optionView{Name: o, Metric: id, Track: t, Value: m.Options[o].Value, Points: m.Options[o].Points, Chosen: o == m.Option})
			}
			tv.Metrics = append(tv.Metrics, mv)
		}
		v.Tracks = append(v.Tracks, tv)
	}
	if h != nil && len(h.Months) > 1 {
		v.Chart, v.Legend = chart(h, r)
	}
	v.FirstWarnings = r.Warnings[:min(len(r.Warnings), maxWarnings)]
	return v
}

// maxWarnings is how many warnings a page lists; the JSON result carries
// them all.
const maxWarnings = 20

// gauge draws a track's total against the bar.
func gauge(score, max, bar float64, ok bool) template.HTML {
	const width = 400.0
	color := "#b4420d"
	if ok {
		color = "#107c10"
	}
	x := func(p float64) float64 { return width * min(1, p/max) }
	return template.HTML(fmt.Sprintf(`<svg viewBox="0 0 %.0f 34" role="img" aria-label="%s of %s points, needs %s">`+
		`<rect x="0" y="6" width="%.0f" height="18" rx="4" fill="#e8eaed"/>`+
		`<rect x="0" y="6" width="%.1f" height="18" rx="4" fill="%s"/>`+
		`<line x1="%.1f" y1="1" x2="%.1f" y2="29" stroke="#1b1b1b" stroke-width="2"/>`+
		`<text x="%.1f" y="33" font-size="8" text-anchor="middle" fill="#1b1b1b">%s</text></svg>`,
		width, num(score), num(max), num(bar), width, x(score), color, x(bar), x(bar), x(bar), num(bar)))
}

// metricBar draws a metric's points against its maximum and minimum.
func metricBar(points, max, minimum float64) template.HTML {
	const width = 200.0
	color := "#0f6cbd"
	if points < minimum {
		color = "#b4420d"
	}
	x := func(p float64) float64 {
		if max <= 0 {
			return 0
		}
		return width * min(1, p/max)
	}
	return template.HTML(fmt.Sprintf(`<svg viewBox="0 0 %.0f 14" role="img" aria-label="%s of %s, minimum %s">`+
		`<rect x="0" y="2" width="%.0f" height="10" rx="3" fill="#e8eaed"/><rect x="0" y="2" width="%.1f" height="10" rx="3" fill="%s"/>`+
		`<line x1="%.1f" y1="0" x2="%.1f" y2="14" stroke="#1b1b1b" stroke-width="1.5"/></svg>`,
		width, num(points), num(max), num(minimum), width, x(points), color, x(minimum), x(minimum)))
}

// chart draws the score per month of each track, with the bar.
func chart(h *history, r *engine.Result) (template.HTML, []legend) {
	const w, hgt, left, bottom = 640.0, 220.0, 34.0, 24.0
	top := 100.0
	for _, m := range h.Months {
		for _, t := range m.Tracks {
			top = max(top, t.Score)
		}
	}
	n := len(h.Months)
	x := func(i int) float64 { return left + (w-left-10)*float64(i)/float64(max(1, n-1)) }
	y := func(s float64) float64 { return (hgt - bottom) - (hgt-bottom-8)*s/top }
	var b strings.Builder
	fmt.Fprintf(&b, `<svg viewBox="0 0 %.0f %.0f" role="img" aria-label="score per month">`, w, hgt)
	for _, g := range []float64{0, 25, 50, 75, 100} {
		fmt.Fprintf(&b, `<line x1="%.0f" x2="%.0f" y1="%.1f" y2="%.1f" stroke="#e8eaed"/><text x="%.0f" y="%.1f" font-size="10" text-anchor="end" fill="#5f6368">%.0f</text>`, left, w-10, y(g), y(g), left-4, y(g)+3, g)
	}
	fmt.Fprintf(&b, `<line x1="%.0f" x2="%.0f" y1="%.1f" y2="%.1f" stroke="#1b1b1b" stroke-dasharray="5 4"/>`, left, w-10, y(r.Bar.MinTotal), y(r.Bar.MinTotal))
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
	return template.HTML(b.String()), legends
}
