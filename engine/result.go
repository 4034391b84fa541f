package engine

import "evaluate/facts"

// Result is one partner's evaluation: the single model every renderer reads.
// The JSON keys partner, month, qualified, track, score and tracks (with
// their score, qualified and metrics) are stable (SPEC §6).
type Result struct {
	File      string                  `json:"file,omitempty"`
	Partner   facts.Partner           `json:"partner"`
	Month     string                  `json:"month"`
	Baseline  string                  `json:"baseline_month"`
	AsOf      string                  `json:"as_of"`
	Qualified bool                    `json:"qualified"`
	Track     string                  `json:"track"`
	Score     float64                 `json:"score"`
	Tracks    map[string]*TrackResult `json:"tracks"`
	// Warnings are the file's warnings, without their place and sorted, so
	// that the result does not depend on the order of the file's lists.
	Warnings []string `json:"warnings,omitempty"`
	// Problems are the same warnings with file, line and field, for people.
	Problems []facts.Problem `json:"-"`
	Notices  []Notice        `json:"notices,omitempty"`
	Policies Provenance      `json:"policies"`
	// Bar is what a track needs, as the bundle's plan rules state it, for
	// renderers that draw the score against it.
	Bar Bar `json:"bar"`
	// TrackOrder and MetricOrder are the bundle's order, for renderers.
	TrackOrder  []string `json:"-"`
	MetricOrder []string `json:"-"`
}

// TrackResult is one track's total, verdict and metrics.
type TrackResult struct {
	Score     float64                  `json:"score"`
	Qualified bool                     `json:"qualified"`
	Reasons   []string                 `json:"reasons"`
	Metrics   map[string]*MetricResult `json:"metrics"`
	// Gap is the least-effort plan that makes the track qualify.
	Gap *Plan `json:"gap,omitempty"`
}

// MetricResult is one metric on one track. For a metric scored per
// attribution type, Option is the type chosen and Options all of them.
type MetricResult struct {
	Value     int64                   `json:"value"`
	Points    float64                 `json:"points"`
	MaxPoints float64                 `json:"max_points"`
	Option    string                  `json:"option,omitempty"`
	Options   map[string]OptionResult `json:"options,omitempty"`
	Explain   *Explanation            `json:"explain,omitempty"`
}

// OptionResult is one attribution type's value and points for a metric.
type OptionResult struct {
	Value   int64        `json:"value"`
	Points  float64      `json:"points"`
	Explain *Explanation `json:"explain,omitempty"`
}

// Bar is the total and the per-metric minimum a track needs to qualify.
type Bar struct {
	MinTotal  float64 `json:"min_total"`
	MinMetric float64 `json:"min_metric"`
}

// Provenance names the rules that produced a result.
type Provenance struct {
	Source      string `json:"source"`
	Designation string `json:"designation"`
	Hash        string `json:"hash"`
}

// ExitCode is 0 when the partner qualified and 1 when not (SPEC: evaluated,
// not qualified).
func (r *Result) ExitCode() int {
	if r.Qualified {
		return 0
	}
	return 1
}
