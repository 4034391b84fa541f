package engine

import (
	"context"
	"fmt"
	"maps"
	"math"
	"slices"
	"sort"
	"strings"
)

// Plan is what it takes for a track to qualify: the least-effort set of
// additions to its metric values, where one unit of each metric costs the
// bundle's plan.effort. Removing one unit from any step leaves the track
// short; checkPlans checks plans against the Rego verdict when the bundle
// loads.
type Plan struct {
	// Possible is false when no additions can make the track qualify.
	Possible   bool    `json:"possible"`
	Steps      []Step  `json:"steps"`
	ScoreAfter float64 `json:"score_after"`
	Effort     float64 `json:"effort"`
}

// Step adds Add units to one metric (and attribution option).
type Step struct {
	Metric string `json:"metric"`
	Option string `json:"option,omitempty"`
	Add    int64  `json:"add"`
	// Unit names what is added, in the form for Add ("1 customer").
	Unit        string  `json:"unit"`
	PointsAfter float64 `json:"points_after"`
}

// maxPlanUnits bounds the units tried for one metric option, so that a
// pathological file (a value of minus a million) cannot stall evaluation.
const maxPlanUnits = 200_000

// plans attaches a Plan to every track of r, and returns the tracks
// planned.
func (b *Bundle) plans(ctx context.Context, r *Result, sums metricSums) ([]Track, error) {
	var planned []Track
	for _, t := range b.Tracks {
		tr := r.Tracks[t.Name]
		if tr == nil {
			continue
		}
		if tr.Qualified {
			tr.Gap = &Plan{Possible: true, Steps: []Step{}, ScoreAfter: tr.Score}
			continue
		}
		p, err := b.planTrack(ctx, t, sums)
		if err != nil {
			return nil, fmt.Errorf("plan for %s: %w", t.Name, err)
		}
		tr.Gap = p
		if p.Possible {
			planned = append(planned, t)
		}
	}
	return planned, nil
}

// checkPlans runs the plan search and the designation's verdict on a few
// synthetic partners (every metric at 0, 1, 3, 10, 30) when the bundle
// loads: each plan must make its track qualify under the verdict. The
// search aims at plan.min_total and plan.min_metric, the verdict applies
// the Rego's own bars; if the two disagree, no plan could be trusted, and
// the bundle is refused with the reason (evaluate check shows it). A
// disagreement lies in the rules, not in a partner's data, so it is found
// here once rather than with a second verdict, about 1 ms, per partner.
func (b *Bundle) checkPlans(ctx context.Context) error {
	for _, v := range []int64{0, 1, 3, 10, 30} {
		sums := b.newSums()
		for _, t := range b.Tracks {
			for _, m := range b.Metrics {
				if !m.PerOption {
					sums[t.Name][m.ID][""] = v
					continue
				}
				for _, o := range t.Types {
					sums[t.Name][m.ID][o] = v
				}
			}
		}
		input, err := b.scoreMetrics(sums)
		if err != nil {
			return err
		}
		r, err := b.verdict(ctx, input)
		if err != nil {
			return err
		}
		planned, err := b.plans(ctx, r, sums)
		if err == nil {
			err = b.verifyPlans(ctx, r, sums, planned)
		}
		if err != nil {
			return fmt.Errorf("a partner with every metric at %d: %w", v, err)
		}
	}
	return nil
}

// verifyPlans checks plans with the designation's own verdict: each
// planned track qualifies with its steps. (That one unit less of any step
// falls short follows from the plan being the cheapest, as every unit has
// a cost; the tests check it against SPEC's formulas.) The planned tracks
// are judged in one evaluation, each on its own metrics plus its steps.
func (b *Bundle) verifyPlans(ctx context.Context, r *Result, sums metricSums, planned []Track) error {
	if len(planned) == 0 {
		return nil
	}
	after := metricSums{}
	for _, t := range planned {
		after[t.Name] = map[string]map[string]int64{}
		for m, opts := range sums[t.Name] {
			after[t.Name][m] = maps.Clone(opts)
		}
		for _, s := range r.Tracks[t.Name].Gap.Steps {
			after[t.Name][s.Metric][s.Option] += s.Add
		}
	}
	only := *b
	only.Tracks = planned
	input, err := only.scoreMetrics(after)
	if err != nil {
		return err
	}
	v, err := b.verdict(ctx, input)
	if err != nil {
		return err
	}
	for _, t := range planned {
		if tr := v.Tracks[t.Name]; tr == nil || !tr.Qualified {
			var steps []string
			for _, s := range r.Tracks[t.Name].Gap.Steps {
				steps = append(steps, strings.TrimSpace(s.Metric+" "+s.Option)+fmt.Sprintf(" +%d", s.Add))
			}
			return fmt.Errorf("plan for %s: the plan (%s) does not qualify under the policy's verdict; plan.min_total, plan.min_metric and the Rego disagree", t.Name, strings.Join(steps, ", "))
		}
	}
	return nil
}

// choice is one metric's part in a plan: add units to option.
type choice struct {
	metric int
	option string
	add    int64
	points float64 // the metric's points after
}

// candidate is one way to raise one metric.
type candidate struct {
	choice
	cost float64
}

// state is a partial plan over the metrics decided so far. Its choices are
// a chain back to the first metric's, shared with the states it grew from:
// the search makes many states and keeps few.
type state struct {
	cost, points float64
	last         *chosen
}

type chosen struct {
	choice
	prev *chosen
}

// choices lists the state's choices in the order they were made.
func (s state) choices() []choice {
	var out []choice
	for c := s.last; c != nil; c = c.prev {
		out = append(out, c.choice)
	}
	slices.Reverse(out)
	return out
}

// planner searches the cheapest plan for one track.
type planner struct {
	b      *Bundle
	track  Track
	sums   metricSums
	act    map[string]any
	effort []float64
	// current holds each metric's points per option as they are now.
	current []map[string]float64
	// slots are the points table's slots (see pointsFor), and caps the unit
	// caps already computed: the search asks for the same ones many times.
	slots map[unitsKey]int
	caps  map[unitsKey]int64
}

type unitsKey struct {
	metric int
	option string
	add    int64
}

func (b *Bundle) planTrack(ctx context.Context, t Track, sums metricSums) (*Plan, error) {
	pl := &planner{b: b, track: t, sums: sums, act: map[string]any{}, slots: map[unitsKey]int{}, caps: map[unitsKey]int64{}}
	for _, m := range b.Metrics {
		pl.act[varParams], pl.act[varTrack], pl.act[varMetric] = b.Params, t.Name, m.ID
		e, err := evalDouble(b.planRules.effort, pl.act)
		if err != nil {
			return nil, fmt.Errorf("plan.effort of %s: %w", m.ID, err)
		}
		if !(e > 0) {
			return nil, fmt.Errorf("plan.effort of %s is %v: it must be more than 0", m.ID, e)
		}
		pl.effort = append(pl.effort, e)
	}
	// The metric with the most units to try is decided last, by search
	// rather than enumeration.
	last, lastUnits := 0, int64(-1)
	for i := range b.Metrics {
		cur := map[string]float64{}
		var units int64
		for _, o := range pl.options(i) {
			p, err := pl.pointsAt(i, o, 0)
			if err != nil {
				return nil, err
			}
			cur[o] = p
			top, err := pl.capUnits(i, o)
			if err != nil {
				return nil, err
			}
			units += top
		}
		pl.current = append(pl.current, cur)
		if units > lastUnits {
			last, lastUnits = i, units
		}
	}
	frontier := []state{{}}
	for i := range b.Metrics {
		if i == last {
			continue
		}
		cands, err := pl.candidates(i)
		if err != nil {
			return nil, err
		}
		frontier = pl.merge(frontier, cands)
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
	}
	best, ok, err := pl.finish(frontier, last)
	if err != nil || !ok {
		return &Plan{Steps: []Step{}}, err
	}
	return pl.plan(best), nil
}

// value and points of one metric option now, with add more units.
func (pl *planner) pointsAt(metric int, option string, add int64) (float64, error) {
	m := &pl.b.Metrics[metric]
	k := unitsKey{metric: metric, option: option}
	slot, ok := pl.slots[k]
	if !ok {
		slot = pl.b.pointsSlot(pl.track.Name, m.ID, option)
		pl.slots[k] = slot
	}
	return pl.b.pointsAt(pl.act, slot, pl.track.Name, m.ID, option, pl.sums[pl.track.Name][m.ID][option]+add)
}

// options of a metric: its attribution types, or "" for a track-wide one.
func (pl *planner) options(metric int) []string {
	if pl.b.Metrics[metric].PerOption {
		return pl.track.Types
	}
	return []string{""}
}

// metricPoints is the metric's points when option gets add more units: the
// best option wins, as in the Rego.
func (pl *planner) metricPoints(metric int, option string, add int64) (float64, error) {
	best := math.Inf(-1)
	for o, p := range pl.current[metric] {
		if o != option {
			best = math.Max(best, p)
		}
	}
	p, err := pl.pointsAt(metric, option, add)
	return math.Max(best, p), err
}

// candidates lists every useful way to raise a metric: each number of units
// that raises its points, up to its maximum, and not below the minimum per
// metric.
func (pl *planner) candidates(metric int) ([]candidate, error) {
	var out []candidate
	minMetric := pl.b.planRules.minMetric - pl.b.planRules.tolerance
	now := math.Inf(-1)
	for _, p := range pl.current[metric] {
		now = math.Max(now, p)
	}
	if now >= minMetric {
		out = append(out, candidate{choice: choice{metric: metric, points: now}})
	}
	for _, o := range pl.options(metric) {
		top, err := pl.capUnits(metric, o)
		if err != nil {
			return nil, err
		}
		last := now
		for add := int64(1); add <= top; add++ {
			p, err := pl.metricPoints(metric, o, add)
			if err != nil {
				return nil, err
			}
			if p > last && p >= minMetric {
				out = append(out, candidate{choice: choice{metric, o, add, p}, cost: float64(add) * pl.effort[metric]})
			}
			last = math.Max(last, p)
		}
	}
	return out, nil
}

// capUnits is the fewest units after which more units add no points to the
// option (at most maxPlanUnits).
func (pl *planner) capUnits(metric int, option string) (int64, error) {
	if c, ok := pl.caps[unitsKey{metric: metric, option: option}]; ok {
		return c, nil
	}
	top, err := pl.pointsAt(metric, option, maxPlanUnits)
	if err != nil {
		return 0, err
	}
	// Most caps are a handful of units: double up to the cap, then bisect.
	hi := int64(1)
	for hi < maxPlanUnits {
		p, err := pl.pointsAt(metric, option, hi)
		if err != nil {
			return 0, err
		}
		if p >= top {
			break
		}
		hi = min(hi*2, maxPlanUnits)
	}
	lo := hi / 2
	for lo < hi {
		mid := (lo + hi) / 2
		p, err := pl.pointsAt(metric, option, mid)
		if err != nil {
			return 0, err
		}
		if p >= top {
			hi = mid
		} else {
			lo = mid + 1
		}
	}
	pl.caps[unitsKey{metric: metric, option: option}] = lo
	return lo, nil
}

// merge combines every state with every candidate and keeps the Pareto
// frontier: no state costs more for fewer points. Points beyond the total
// bar are worth nothing more, so they are capped there.
func (pl *planner) merge(frontier []state, cands []candidate) []state {
	bar := pl.b.planRules.minTotal
	// Every combination is ranked, few are kept: a combination is a pair of
	// indexes until it is.
	type combo struct {
		cost, points float64
		s, c         int
	}
	next := make([]combo, 0, len(frontier)*len(cands))
	for i, s := range frontier {
		for j, c := range cands {
			next = append(next, combo{s.cost + c.cost, math.Min(bar, s.points+c.points), i, j})
		}
	}
	less := func(a, b combo) bool {
		if a.points != b.points {
			return a.points > b.points
		}
		return a.cost < b.cost
	}
	slices.SortStableFunc(next, func(a, b combo) int {
		switch {
		case less(a, b):
			return -1
		case less(b, a):
			return 1
		}
		return 0
	})
	var kept []state
	cheapest := math.Inf(1)
	for _, x := range next {
		if x.cost < cheapest {
			kept = append(kept, state{cost: x.cost, points: x.points, last: &chosen{cands[x.c].choice, frontier[x.s].last}})
			cheapest = x.cost
		}
	}
	return kept
}

// finish decides the last metric for every state: the fewest units that
// reach both its minimum and the rest of the total, and returns the
// cheapest complete plan.
func (pl *planner) finish(frontier []state, metric int) (state, bool, error) {
	tol := pl.b.planRules.tolerance
	var best state
	found := false
	// Cheapest partial plans first: once one costs as much as the best
	// complete plan, no later one can beat it.
	sort.SliceStable(frontier, func(i, j int) bool { return frontier[i].cost < frontier[j].cost })
	for _, s := range frontier {
		if found && s.cost >= best.cost {
			break
		}
		need := math.Max(pl.b.planRules.minMetric, pl.b.planRules.minTotal-s.points) - tol
		c, ok, err := pl.reach(metric, need)
		if err != nil {
			return state{}, false, err
		}
		if !ok {
			continue
		}
		total := s.cost + c.cost
		if !found || total < best.cost {
			best = state{cost: total, points: s.points + c.points, last: &chosen{c.choice, s.last}}
			found = true
		}
	}
	return best, found, nil
}

// reach finds the cheapest way for a metric to reach need points.
func (pl *planner) reach(metric int, need float64) (candidate, bool, error) {
	var best candidate
	found := false
	for _, o := range pl.options(metric) {
		top, err := pl.capUnits(metric, o)
		if err != nil {
			return candidate{}, false, err
		}
		p, err := pl.metricPoints(metric, o, top)
		if err != nil {
			return candidate{}, false, err
		}
		if p < need {
			continue
		}
		lo, hi := int64(0), top
		for lo < hi {
			mid := (lo + hi) / 2
			if p, err = pl.metricPoints(metric, o, mid); err != nil {
				return candidate{}, false, err
			}
			if p >= need {
				hi = mid
			} else {
				lo = mid + 1
			}
		}
		if p, err = pl.metricPoints(metric, o, lo); err != nil {
			return candidate{}, false, err
		}
		c := candidate{choice: choice{metric, o, lo, p}, cost: float64(lo) * pl.effort[metric]}
		if !found || c.cost < best.cost {
			best, found = c, true
		}
	}
	return best, found, nil
}

// plan turns the cheapest complete state into the steps to take, in the
// bundle's metric order.
func (pl *planner) plan(s state) *Plan {
	p := &Plan{Possible: true, Steps: []Step{}, Effort: s.cost}
	for _, c := range s.choices() {
		p.ScoreAfter += c.points
		if c.add == 0 {
			continue
		}
		m := pl.b.Metrics[c.metric]
		p.Steps = append(p.Steps, Step{Metric: m.ID, Option: c.option, Add: c.add, Unit: m.Unit.For(c.add), PointsAfter: c.points})
	}
	sort.SliceStable(p.Steps, func(i, j int) bool {
		return pl.metricIndex(p.Steps[i].Metric) < pl.metricIndex(p.Steps[j].Metric)
	})
	return p
}

func (pl *planner) metricIndex(id string) int {
	for i, m := range pl.b.Metrics {
		if m.ID == id {
			return i
		}
	}
	return -1
}
