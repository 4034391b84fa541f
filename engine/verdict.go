package engine

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strconv"

	"github.com/google/cel-go/common/types/ref"
	"github.com/open-policy-agent/opa/v1/ast"
	"github.com/open-policy-agent/opa/v1/rego"
	"github.com/open-policy-agent/opa/v1/topdown"
	"github.com/open-policy-agent/opa/v1/util"
)

// regoInput is what the designation's Rego sees: each track's metrics as
// the CEL rules scored them, and the partner aggregates. It is made as
// OPA's own values: given Go maps, OPA copies every level
// (util.RoundTripFast) and then converts it (ast.InterfaceToValue), which
// was two fifths of each verdict. Each leaf goes through those same two
// steps (regoTerm), so the Rego sees exactly what it saw before.
func regoInput(metrics map[string]map[string]*MetricResult, partner map[string]any) (ast.Value, error) {
	tracks := make([][2]*ast.Term, 0, len(metrics))
	for t, ms := range metrics {
		mo := make([][2]*ast.Term, 0, len(ms))
		for id, m := range ms {
			in, err := metricInput(m)
			if err != nil {
				return nil, err
			}
			mo = append(mo, ast.Item(ast.StringTerm(id), ast.NewTerm(in)))
		}
		tracks = append(tracks, ast.Item(ast.StringTerm(t), ast.ObjectTerm(ast.Item(ast.StringTerm("metrics"), ast.NewTerm(ast.NewObject(mo...))))))
	}
	p := ast.NewTerm(ast.NewObject())
	if partner != nil {
		var err error
		if p, err = regoTerm(partner); err != nil {
			return nil, err
		}
	}
	return ast.NewObject(ast.Item(ast.StringTerm("tracks"), ast.NewTerm(ast.NewObject(tracks...))), ast.Item(ast.StringTerm("partner"), p)), nil
}

// metricInput is m as the Rego reads it: its free keys, with value,
// points and max_points (and its options or sources) over them.
func metricInput(m *MetricResult) (ast.Value, error) {
	in := regoFields{}
	if err := in.setAll(m.Extra, "value", m.Value, "points", m.Points, "max_points", m.MaxPoints); err != nil {
		return nil, err
	}
	opts := func(os map[string]*OptionResult) (*ast.Term, error) {
		out := make([][2]*ast.Term, 0, len(os))
		for o, r := range os {
			x := regoFields{}
			if err := x.setAll(r.Extra, "value", r.Value, "points", r.Points); err != nil {
				return nil, err
			}
			out = append(out, ast.Item(ast.StringTerm(o), ast.NewTerm(x.object())))
		}
		return ast.NewTerm(ast.NewObject(out...)), nil
	}
	var err error
	if m.Options != nil {
		in["option"] = ast.StringTerm(m.Option)
		if in["options"], err = opts(m.Options); err != nil {
			return nil, err
		}
	}
	if m.Sources != nil {
		if in["sources"], err = opts(m.Sources); err != nil {
			return nil, err
		}
	}
	return in.object(), nil
}

// regoFields are an input object's members by key, set in order (a later
// one replaces an earlier one of its key, as in a Go map).
type regoFields map[string]*ast.Term

// setAll sets free's keys, then the key-value pairs of fixed.
func (f regoFields) setAll(free map[string]any, fixed ...any) error {
	for k, v := range free {
		t, err := regoTerm(v)
		if err != nil {
			return err
		}
		f[k] = t
	}
	for i := 0; i < len(fixed); i += 2 {
		t, err := regoTerm(fixed[i+1])
		if err != nil {
			return err
		}
		f[fixed[i].(string)] = t
	}
	return nil
}

func (f regoFields) object() ast.Object {
	items := make([][2]*ast.Term, 0, len(f))
	for k, t := range f {
		items = append(items, ast.Item(ast.StringTerm(k), t))
	}
	return ast.NewObject(items...)
}

// regoTerm converts one value as OPA converts its input: a float64 to the
// number text util.RoundTripFast gives it, anything else through
// RoundTripFast, then ast.InterfaceToValue.
func regoTerm(v any) (*ast.Term, error) {
	if f, ok := v.(float64); ok {
		v = json.Number(strconv.FormatFloat(f, 'f', -1, 64))
	} else if err := util.RoundTripFast(&v); err != nil {
		return nil, err
	}
	x, err := ast.InterfaceToValue(v)
	if err != nil {
		return nil, err
	}
	return ast.NewTerm(x), nil
}

// verdict runs the designation's Rego on the scored metrics and reads its
// result: the partner's verdict, each track's, and their free keys.
func (d *Designation) verdict(ctx context.Context, metrics map[string]map[string]*MetricResult, partner map[string]any) (*Result, error) {
	// One guard per evaluation unless the caller has one (a load, a file):
	// the Rego runs for the partner as a whole, not per tenant.
	ctx, stop := guarded(ctx)
	defer stop()
	// The query stops when ctx does, through a flag set by a callback
	// rather than the goroutine OPA would start for every evaluation.
	c := topdown.NewCancel()
	defer context.AfterFunc(ctx, c.Cancel)()
	input, err := regoInput(metrics, partner)
	if err != nil {
		return nil, fmt.Errorf("policy %s: input: %w", d.ID, err)
	}
	rs, err := d.rego.Eval(ctx, rego.EvalParsedInput(input), rego.EvalExternalCancel(c))
	if err := stopped(ctx); err != nil {
		// Wrapped, so that errors.Is still finds context.DeadlineExceeded.
		return nil, fmt.Errorf("policy %s: %w", d.ID, err)
	}
	if err != nil {
		return nil, fmt.Errorf("policy %s: %w", d.ID, err)
	}
	if len(rs) == 0 || len(rs[0].Expressions) == 0 {
		return nil, fmt.Errorf("policy %s: data.%s.%s is undefined for this input", d.ID, d.ID, ResultRule)
	}
	r, err := d.readResult(rs[0].Expressions[0].Value)
	if err != nil {
		return nil, fmt.Errorf("policy %s: data.%s.%s: %w", d.ID, d.ID, ResultRule, err)
	}
	for t, tr := range r.Tracks {
		tr.Metrics = metrics[t]
	}
	return r, nil
}

// readResult reads the Rego's result object, checking its shape: every
// track of the rules, each with a score, a verdict and reasons, and one
// of them the partner's.
func (d *Designation) readResult(v any) (*Result, error) {
	m, ok := v.(map[string]any)
	if !ok {
		return nil, fmt.Errorf("want an object, got %s", regoValue(v))
	}
	r := &Result{Tracks: map[string]*TrackResult{}, Extra: map[string]any{}}
	var err error
	if r.Qualified, err = boolOf(m, "qualified"); err != nil {
		return nil, err
	}
	if r.Track, err = stringOf(m, "track"); err != nil {
		return nil, err
	}
	if r.Score, err = numberOf(m, "score"); err != nil {
		return nil, err
	}
	tracks, ok := m["tracks"].(map[string]any)
	if !ok {
		return nil, fmt.Errorf("tracks: want an object of the tracks, got %s", regoValue(m["tracks"]))
	}
	for _, t := range d.Tracks {
		tv, ok := tracks[t].(map[string]any)
		if !ok {
			return nil, fmt.Errorf("tracks has no track %q (the rules have %d tracks)", t, len(d.Tracks))
		}
		tr := &TrackResult{Extra: map[string]any{}}
		if tr.Score, err = numberOf(tv, "score"); err != nil {
			return nil, fmt.Errorf("tracks.%s: %w", t, err)
		}
		if tr.Qualified, err = boolOf(tv, "qualified"); err != nil {
			return nil, fmt.Errorf("tracks.%s: %w", t, err)
		}
		if raw, ok := tv["reasons"]; ok {
			list, ok := raw.([]any)
			if !ok {
				return nil, fmt.Errorf("tracks.%s.reasons: want a list of strings", t)
			}
			for _, x := range list {
				s, ok := x.(string)
				if !ok {
					return nil, fmt.Errorf("tracks.%s.reasons: want a list of strings", t)
				}
				tr.Reasons = append(tr.Reasons, s)
			}
		}
		if raw, ok := tv["needs"]; ok {
			if tr.Needs, err = readNeeds(raw); err != nil {
				return nil, fmt.Errorf("tracks.%s.needs: %w", t, err)
			}
		}
		for k, x := range tv {
			if !slices.Contains([]string{"score", "qualified", "reasons", "needs", "metrics"}, k) {
				tr.Extra[k] = plainJSON(x)
			}
		}
		r.Tracks[t] = tr
	}
	if r.Tracks[r.Track] == nil {
		return nil, fmt.Errorf("track %q is not one of its tracks", r.Track)
	}
	for k, x := range m {
		if !slices.Contains([]string{"qualified", "track", "score", "tracks"}, k) {
			r.Extra[k] = plainJSON(x)
		}
	}
	return r, nil
}

// readNeeds reads a track's needs as encoding/json reads them into Needs.
// The Rego's values as OPA gives them (exact keys, numbers as json.Number)
// are read directly (needsOf); anything else goes through encoding/json,
// whose reading, and messages, say what is accepted.
func readNeeds(v any) (*Needs, error) {
	if n, ok := needsOf(v); ok {
		return n, nil
	}
	b, err := json.Marshal(v)
	if err != nil {
		return nil, err
	}
	var n Needs
	if err := json.Unmarshal(b, &n); err != nil {
		return nil, fmt.Errorf("want {total, metrics: {id: points}, tolerance} or {possible: false, why}: %v", err)
	}
	return &n, nil
}

// needsOf is v read as Needs when every key of v is one of Needs' own and
// every value of its type; ok is false for anything else (a key in other
// case, an unknown key, a null), which encoding/json reads instead.
func needsOf(v any) (*Needs, bool) {
	m, ok := v.(map[string]any)
	if !ok {
		return nil, false
	}
	number := func(x any) (float64, bool) {
		n, ok := x.(json.Number)
		if !ok {
			return 0, false
		}
		f, err := strconv.ParseFloat(string(n), 64)
		return f, err == nil
	}
	n := &Needs{}
	for k, x := range m {
		switch k {
		case "total":
			if n.Total, ok = number(x); !ok {
				return nil, false
			}
		case "tolerance":
			if n.Tolerance, ok = number(x); !ok {
				return nil, false
			}
		case "metrics":
			ms, ok := x.(map[string]any)
			if !ok {
				return nil, false
			}
			n.Metrics = make(map[string]float64, len(ms))
			for id, p := range ms {
				if n.Metrics[id], ok = number(p); !ok {
					return nil, false
				}
			}
		case "possible":
			b, ok := x.(bool)
			if !ok {
				return nil, false
			}
			n.Possible = &b
		case "why":
			if n.Why, ok = x.(string); !ok {
				return nil, false
			}
		default:
			return nil, false
		}
	}
	return n, true
}

// regoValue names a value of the Rego's result for a message: its kind,
// and a string quoted, so that "false" the string does not read as false.
func regoValue(v any) string {
	switch x := v.(type) {
	case nil:
		return "nothing (the key is missing)"
	case string:
		return "the string " + strconv.Quote(x)
	case bool, json.Number, float64, int, int64:
		return fmt.Sprint(x)
	case []any:
		return fmt.Sprintf("an array (a set or a list) of %d", len(x))
	case map[string]any:
		return "an object"
	}
	return fmt.Sprintf("%v", v)
}

func boolOf(m map[string]any, k string) (bool, error) {
	b, ok := m[k].(bool)
	if !ok {
		return false, fmt.Errorf("%s: want true or false, got %s", k, regoValue(m[k]))
	}
	return b, nil
}

func stringOf(m map[string]any, k string) (string, error) {
	s, ok := m[k].(string)
	if !ok {
		return "", fmt.Errorf("%s: want a string, got %s", k, regoValue(m[k]))
	}
	return s, nil
}

func numberOf(m map[string]any, k string) (float64, error) {
	switch x := m[k].(type) {
	case json.Number:
		return x.Float64()
	case float64:
		return x, nil
	case int:
		return float64(x), nil
	case int64:
		return float64(x), nil
	}
	return 0, fmt.Errorf("%s: want a number, got %s", k, regoValue(m[k]))
}

// plainJSON turns OPA's json.Number into float64 inside free keys.
func plainJSON(v any) any {
	switch x := v.(type) {
	case json.Number:
		if i, err := x.Int64(); err == nil {
			return i
		}
		f, _ := x.Float64()
		return f
	case map[string]any:
		out := make(map[string]any, len(x))
		for k, e := range x {
			out[k] = plainJSON(e)
		}
		return out
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = plainJSON(e)
		}
		return out
	}
	return v
}

// scoreAll scores every metric on every track from aggregate values, its
// formulas stopped when ctx is done.
func (d *Designation) scoreAll(ctx context.Context, agg func(track, option string, m *Metric, a *Aggregate) ref.Val, partner ref.Val) (map[string]map[string]*MetricResult, error) {
	metrics := map[string]map[string]*MetricResult{}
	for _, t := range d.Tracks {
		metrics[t] = map[string]*MetricResult{}
		for _, m := range d.Metrics {
			mr, err := d.scoreMetric(ctx, t, m, func(option string, a *Aggregate) ref.Val { return agg(t, option, m, a) }, partner, nil)
			if err != nil {
				return nil, err
			}
			metrics[t][m.ID] = mr
		}
	}
	return metrics, nil
}

// checkShape runs the verdict once, on a partner with nothing, when the
// bundle loads, so that a result the renderers cannot read is the bundle's
// error, found before any partner is scored.
func (d *Designation) checkShape(ctx context.Context) error {
	tot := d.newTotals()
	partner := d.partnerValues(tot)
	metrics, err := d.scoreAll(ctx, func(t, o string, m *Metric, a *Aggregate) ref.Val { return d.aggregateValue(tot, t, o, m, a) }, partner.cel)
	if err != nil {
		return err
	}
	_, err = d.verdict(ctx, metrics, partner.native)
	return err
}
