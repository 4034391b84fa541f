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
func resultFromRego(v any) (*Result, bool) {
	r := &Result{}
	ok := regoObject(v, func(k string, x any) (ok bool) {
		switch k {
		case "qualified":
			r.Qualified, ok = x.(bool)
		case "track":
			r.Track, ok = x.(string)
		case "score":
			r.Score, ok = regoFloat(x)
		case "tracks":
			r.Tracks, ok = regoTracks(x)
		}
		return ok
	})
	return r, ok
}

// regoObject calls field with each key and value of an object, and reports
// whether v is an object whose every field was accepted.
func regoObject(v any, field func(k string, x any) bool) bool {
	m, ok := v.(map[string]any)
	if !ok {
		return false
	}
	for k, x := range m {
		if !field(k, x) {
			return false
		}
	}
	return true
}

func regoTracks(v any) (map[string]*TrackResult, bool) {
	out := map[string]*TrackResult{}
	ok := regoObject(v, func(name string, x any) bool {
		t := &TrackResult{}
		out[name] = t
		return regoObject(x, func(k string, y any) (ok bool) {
			switch k {
			case "score":
				t.Score, ok = regoFloat(y)
			case "qualified":
				t.Qualified, ok = y.(bool)
			case "reasons":
				t.Reasons, ok = regoStrings(y)
			case "metrics":
				t.Metrics, ok = regoMetrics(y)
			}
			return ok
		})
	})
	return out, ok
}

func regoMetrics(v any) (map[string]*MetricResult, bool) {
	out := map[string]*MetricResult{}
	ok := regoObject(v, func(id string, x any) bool {
		mr := &MetricResult{}
		out[id] = mr
		return regoObject(x, func(k string, y any) (ok bool) {
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
			}
			return ok
		})
	})
	return out, ok
}

func regoOptions(v any) (map[string]OptionResult, bool) {
	out := map[string]OptionResult{}
	ok := regoObject(v, func(name string, x any) bool {
		var o OptionResult
		ok := regoObject(x, func(k string, y any) (ok bool) {
			switch k {
			case "value":
				o.Value, ok = regoInt(y)
			case "points":
				o.Points, ok = regoFloat(y)
			}
			return ok
		})
		out[name] = o
		return ok
	})
	return out, ok
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
