package engine

import (
	"encoding/json"
	"strconv"
)

// resultFromRego reads the designation's result as OPA returns it (maps,
// slices, json.Number) straight into a Result. Marshalling it to JSON and
// back cost as much as the Rego evaluation itself, twice per partner. Only
// the shape SPEC §6 gives the result is read here; anything else — another
// key, another type — returns ok=false, and the caller decodes the JSON as
// before, so that such a result behaves exactly as it always did.
func resultFromRego(v any) (r *Result, ok bool) {
	top, ok := v.(map[string]any)
	if !ok {
		return nil, false
	}
	r = &Result{}
	for k, x := range top {
		switch k {
		case "qualified":
			r.Qualified, ok = x.(bool)
		case "track":
			r.Track, ok = x.(string)
		case "score":
			r.Score, ok = regoFloat(x)
		case "tracks":
			r.Tracks, ok = regoTracks(x)
		default:
			ok = false
		}
		if !ok {
			return nil, false
		}
	}
	return r, true
}

func regoTracks(v any) (map[string]*TrackResult, bool) {
	m, ok := v.(map[string]any)
	if !ok {
		return nil, false
	}
	out := make(map[string]*TrackResult, len(m))
	for name, x := range m {
		fields, ok := x.(map[string]any)
		if !ok {
			return nil, false
		}
		t := &TrackResult{}
		for k, y := range fields {
			switch k {
			case "score":
				t.Score, ok = regoFloat(y)
			case "qualified":
				t.Qualified, ok = y.(bool)
			case "reasons":
				t.Reasons, ok = regoStrings(y)
			case "metrics":
				t.Metrics, ok = regoMetrics(y)
			default:
				ok = false
			}
			if !ok {
				return nil, false
			}
		}
		out[name] = t
	}
	return out, true
}

func regoMetrics(v any) (map[string]*MetricResult, bool) {
	m, ok := v.(map[string]any)
	if !ok {
		return nil, false
	}
	out := make(map[string]*MetricResult, len(m))
	for id, x := range m {
		fields, ok := x.(map[string]any)
		if !ok {
			return nil, false
		}
		mr := &MetricResult{}
		for k, y := range fields {
			switch k {
			case "value":
				mr.Value, ok = regoInt(y)
			case "points":
				mr.Points, ok = regoFloat(y)
			case "max_points":
				mr.MaxPoints, ok = regoFloat(y)
			case "option":
				mr.Option, ok = y.(string)
			case "options":
				mr.Options, ok = regoOptions(y)
			default:
				ok = false
			}
			if !ok {
				return nil, false
			}
		}
		out[id] = mr
	}
	return out, true
}

func regoOptions(v any) (map[string]OptionResult, bool) {
	m, ok := v.(map[string]any)
	if !ok {
		return nil, false
	}
	out := make(map[string]OptionResult, len(m))
	for name, x := range m {
		fields, ok := x.(map[string]any)
		if !ok {
			return nil, false
		}
		var o OptionResult
		for k, y := range fields {
			switch k {
			case "value":
				o.Value, ok = regoInt(y)
			case "points":
				o.Points, ok = regoFloat(y)
			default:
				ok = false
			}
			if !ok {
				return nil, false
			}
		}
		out[name] = o
	}
	return out, true
}

// regoFloat and regoInt parse numbers as encoding/json does.
func regoFloat(v any) (float64, bool) {
	n, ok := v.(json.Number)
	if !ok {
		return 0, false
	}
	f, err := strconv.ParseFloat(string(n), 64)
	return f, err == nil
}

func regoInt(v any) (int64, bool) {
	n, ok := v.(json.Number)
	if !ok {
		return 0, false
	}
	i, err := strconv.ParseInt(string(n), 10, 64)
	return i, err == nil
}

func regoStrings(v any) ([]string, bool) {
	l, ok := v.([]any)
	if !ok {
		return nil, false
	}
	out := make([]string, len(l))
	for i, x := range l {
		if out[i], ok = x.(string); !ok {
			return nil, false
		}
	}
	return out, true
}
