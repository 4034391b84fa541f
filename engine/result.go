package engine

import (
	"bytes"
	"encoding/json"
	"slices"

	"evaluate/facts"

	"github.com/google/cel-go/common/types/ref"
)

// Result is one partner's evaluation for one designation: the single model
// every renderer reads. The JSON keys partner, month, qualified, track,
// score and tracks (with their score, qualified and metrics, and each
// metric's value, points and max_points) are stable (SPEC.md §6).
type Result struct {
	File        string
	Line        int
	Partner     facts.Partner
	Designation string
	Month       string
	AsOf        string
	Qualified   bool
	Track       string
	Score       float64
	Tracks      map[string]*TrackResult
	// Extra are free keys: those the designation's rules add about the
	// window (baseline_month) and those its Rego result adds
	// (classification).
	Extra map[string]any
	// Warnings are the file's warnings that concern this designation,
	// without their place and sorted, so that the result does not depend
	// on the order of the file's lists or on the other designations scored.
	Warnings []string
	// Problems are every warning of the file, with file, line and field,
	// for people: the same for each designation of a file.
	Problems []facts.Problem
	Notices  []Notice
	Policies Provenance
	// Header says in words which months and date the result is for.
	Header string
	// TrackOrder and MetricOrder are the designation's order, for renderers.
	TrackOrder  []string
	MetricOrder []string
	// ValueUnits are the metrics' value_unit ("%"), and OptionUnits their
	// option_units by metric, for renderers: written after a value shown
	// to people, never in JSON.
	ValueUnits  map[string]string
	OptionUnits map[string]map[string]string
}

// TrackResult is one track's total, verdict and metrics.
type TrackResult struct {
	Score     float64
	Qualified bool
	Reasons   []string
	Metrics   map[string]*MetricResult
	// Needs is what the track needs to qualify, as the Rego states it (nil
	// when it does not).
	Needs *Needs
	// Gap is the least-effort plan that makes the track qualify.
	Gap *Plan
	// Extra are free keys of the Rego's track result.
	Extra map[string]any
}

// Needs is a track's bar as its policy states it: the total, and the
// least points of each metric; Possible false (with Why) for a track that
// cannot qualify whatever its metrics.
type Needs struct {
	Total     float64            `json:"total"`
	Metrics   map[string]float64 `json:"metrics"`
	Tolerance float64            `json:"tolerance,omitempty"`
	Possible  *bool              `json:"possible,omitempty"`
	Why       string             `json:"why,omitempty"`
}

// MetricResult is one metric on one track. A metric scored per option
// (attribution type) has Option, the one chosen, and Options; one summed
// from parts has Sources.
type MetricResult struct {
	Value     float64
	Points    float64
	MaxPoints float64
	Option    string
	Options   map[string]*OptionResult
	Sources   map[string]*OptionResult
	// Extra are the metric's free keys (prerequisites_met, reason, ...).
	Extra   map[string]any
	Explain *Explanation
}

// OptionResult is one option's (or part's) value and points.
type OptionResult struct {
	Value   float64        `json:"value"`
	Points  float64        `json:"points"`
	Extra   map[string]any `json:"-"`
	Explain *Explanation   `json:"explain,omitempty"`
	// cel is {"value", "points"} as the combine formulas read it.
	cel ref.Val
}

// Provenance names the rules that produced a result.
type Provenance struct {
	Source      string `json:"source"`
	Designation string `json:"designation"`
	Hash        string `json:"hash"`
}

// ExitCode is 0 when the partner qualified and 1 when not.
func (r *Result) ExitCode() int {
	if r.Qualified {
		return 0
	}
	return 1
}

// object writes an ordered JSON object: the stable keys in their order,
// then the free keys in name order.
type object struct {
	keys []string
	vals []any
}

func (o *object) add(k string, v any) {
	o.keys = append(o.keys, k)
	o.vals = append(o.vals, v)
}

func (o *object) extra(m map[string]any) {
	for _, k := range slices.Sorted(mapKeys(m)) {
		if !slices.Contains(o.keys, k) {
			o.add(k, m[k])
		}
	}
}

func (o *object) MarshalJSON() ([]byte, error) {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := o.encode(&b, enc); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}

// encode writes the object into b, its nested objects in place: through
// encoding/json each level's MarshalJSON output was checked and compacted
// again by the level above, a fifth of a population's output time.
func (o *object) encode(b *bytes.Buffer, enc *json.Encoder) error {
	b.WriteByte('{')
	for i, k := range o.keys {
		if i > 0 {
			b.WriteByte(',')
		}
		if err := encodeValue(b, enc, k); err != nil {
			return err
		}
		b.WriteByte(':')
		if err := encodeValue(b, enc, o.vals[i]); err != nil {
			return err
		}
	}
	b.WriteByte('}')
	return nil
}

// encodeValue writes v into b as JSON: a nested object in place, anything
// else by enc (which writes into b), without the newline it ends with.
func encodeValue(b *bytes.Buffer, enc *json.Encoder, v any) error {
	if x, ok := v.(*object); ok {
		return x.encode(b, enc)
	}
	if err := enc.Encode(v); err != nil {
		return err
	}
	b.Truncate(b.Len() - 1)
	return nil
}

// MarshalJSON writes the stable keys first, in SPEC order.
func (r *Result) MarshalJSON() ([]byte, error) {
	var o object
	if r.File != "" {
		o.add("file", r.File)
	}
	if r.Line > 0 {
		o.add("line", r.Line)
	}
	o.add("partner", r.Partner)
	o.add("designation", r.Designation)
	o.add("month", r.Month)
	o.add("as_of", r.AsOf)
	o.add("qualified", r.Qualified)
	o.add("track", r.Track)
	o.add("score", r.Score)
	tracks := &object{}
	for _, t := range r.TrackOrder {
		if tr := r.Tracks[t]; tr != nil {
			tracks.add(t, tr.object(r.MetricOrder))
		}
	}
	o.add("tracks", tracks)
	o.extra(r.Extra)
	if len(r.Warnings) > 0 {
		o.add("warnings", r.Warnings)
	}
	if len(r.Notices) > 0 {
		o.add("notices", r.Notices)
	}
	o.add("policies", r.Policies)
	return o.MarshalJSON()
}

func (t *TrackResult) object(order []string) *object {
	var o object
	o.add("score", t.Score)
	o.add("qualified", t.Qualified)
	reasons := t.Reasons
	if reasons == nil {
		reasons = []string{}
	}
	o.add("reasons", reasons)
	metrics := &object{}
	for _, id := range order {
		if m := t.Metrics[id]; m != nil {
			metrics.add(id, m.object())
		}
	}
	o.add("metrics", metrics)
	o.extra(t.Extra)
	if t.Needs != nil {
		o.add("needs", t.Needs)
	}
	if t.Gap != nil {
		o.add("gap", t.Gap)
	}
	return &o
}

func (m *MetricResult) object() *object {
	var o object
	o.add("value", m.Value)
	o.add("points", m.Points)
	o.add("max_points", m.MaxPoints)
	if m.Options != nil {
		o.add("option", m.Option)
		o.add("options", sortedOptions(m.Options))
	}
	if m.Sources != nil {
		o.add("sources", sortedOptions(m.Sources))
	}
	o.extra(m.Extra)
	if m.Explain != nil {
		o.add("explain", m.Explain)
	}
	return &o
}

func sortedOptions(opts map[string]*OptionResult) *object {
	var o object
	for _, k := range slices.Sorted(mapKeys(opts)) {
		op := opts[k]
		var x object
		x.add("value", op.Value)
		x.add("points", op.Points)
		x.extra(op.Extra)
		if op.Explain != nil {
			x.add("explain", op.Explain)
		}
		o.add(k, &x)
	}
	return &o
}
