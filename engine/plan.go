package engine

import (
	"cmp"
	"context"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"

	"github.com/google/cel-go/common/types"
	"github.com/google/cel-go/common/types/ref"
)

// Plan is what it takes for a track to qualify: the least-effort set of
// additions to the aggregates the rules let a plan add to, where a step of
// each costs its plan.effort. It aims at the bar the track's Rego states
// (needs), and when the bundle loads, plans for synthetic partners are
// checked against the Rego verdict itself.
type Plan struct {
	// Possible is false when no additions can make the track qualify; Why
	// says why.
	Possible   bool    `json:"possible"`
	Why        string  `json:"why,omitempty"`
	Steps      []Step  `json:"steps"`
	ScoreAfter float64 `json:"score_after"`
	// Effort is the sum of the steps' plan.effort weights.
	Effort float64 `json:"effort"`
}

// Step adds to one aggregate of one metric (and option).
type Step struct {
	Metric    string  `json:"metric"`
	Option    string  `json:"option,omitempty"`
	Aggregate string  `json:"aggregate"`
	Add       float64 `json:"add"`
	// Unit names what is added, in the form for Add ("1 customer").
	Unit string `json:"unit"`
	// Of names what counts as one (the certifications of a step), when
	// the bundle's plan.of lists them.
	Of          []string `json:"of,omitempty"`
	PointsAfter float64  `json:"points_after"`
}

// maxPlanSteps bounds the steps tried for one aggregate, so that a
// pathological file (a value of minus a million) cannot stall evaluation.
const maxPlanSteps = 200_000

// maxEnumerate is how many step counts of one aggregate are tried one by
// one before the search samples them.
const maxEnumerate = 64

// dim is one aggregate a plan may add to, on one option.
type dim struct {
	metric int
	option string
	agg    *Aggregate
	plan   *aggregatePlan
	effort float64
	cap    int64 // steps after which more add no points
}

// candidate is one way to raise one metric: what it adds to each dim of
// the metric (steps[j] to dim dimsOf[metric][j]), in the aggregate's own
// units (cents, people): a whole number of the dim's plan.step until
// refine takes the last step down to the unit.
type candidate struct {
	metric int
	steps  []int64
	cost   float64
	points float64
}

// planner searches the cheapest plan for one track.
type planner struct {
	ctx     context.Context
	d       *Designation
	track   string
	asOf    string // for plan.of
	tot     totals
	partner ref.Val
	dims    []dim
	dimsOf  [][]int   // each metric's dims
	slot    []int     // each dim's place in its metric's dimsOf
	current []float64 // each metric's points now
	// memo holds points by metric and steps; options caches each
	// option's result by its totals, per metric; base holds the aggregate
	// totals the steps add to, read once.
	memo    map[string]float64
	options []optionMemo
	base    map[baseKey]ref.Val
	key     []byte
	shared  []byte // the key of a metric's planPoints
	pairs   []pair // extend's scratch
}

// pair is a state extended by a candidate, before it is kept or not.
type pair struct {
	cost, points float64
	at           int // state index * len(cands) + candidate index
}

// baseKey names one aggregate total of the track the planner plans for.
type baseKey struct {
	option string
	agg    *Aggregate
}

// plans attaches a Plan to every track of r.
func (d *Designation) plans(ctx context.Context, r *Result, tot totals, partner partnerAggregates) error {
	for _, t := range d.Tracks {
		tr := r.Tracks[t]
		if tr.Qualified {
			tr.Gap = &Plan{Possible: true, Steps: []Step{}, ScoreAfter: tr.Score}
			continue
		}
		p, err := d.planTrack(ctx, t, tr, tot, partner.cel, r.AsOf)
		if err != nil {
			return fmt.Errorf("%s: plan for %s: %w", d.ID, t, err)
		}
		tr.Gap = p
	}
	return nil
}

func (d *Designation) planTrack(ctx context.Context, track string, tr *TrackResult, tot totals, partner ref.Val, asOf string) (*Plan, error) {
	n := tr.Needs
	switch {
	case n == nil:
		return &Plan{Steps: []Step{}, Why: "the policy states no bar for this track (needs), so no plan is searched"}, nil
	case n.Possible != nil && !*n.Possible:
		return &Plan{Steps: []Step{}, Why: n.Why}, nil
	}
	pl := &planner{ctx: ctx, d: d, track: track, asOf: asOf, tot: tot, partner: partner}
	for mi, m := range d.Metrics {
		pl.current = append(pl.current, tr.Metrics[m.ID].Points)
		for _, o := range m.optionsOf(track) {
			for _, a := range m.Aggregates {
				if a.plan == nil || (a.Op != "sum" && a.Op != "count") {
					continue
				}
				ap := a.plan.forOption(o)
				if ap.effort == nil {
					continue
				}
				e, err := ap.efforts.get(track+"\x00"+m.ID+"\x00"+o, func() (float64, error) {
					return evalNumber(ap.effort, map[string]any{varTrack: track, varMetric: m.ID, varOption: o})
				})
				if err != nil {
					return nil, fmt.Errorf("metrics[%s].aggregates[%s].plan.effort: %w", m.ID, a.ID, err)
				}
				if !(e > 0) {
					return nil, fmt.Errorf("metrics[%s].aggregates[%s].plan.effort is %v: it must be more than 0", m.ID, a.ID, e)
				}
				pl.dims = append(pl.dims, dim{metric: mi, option: o, agg: a, plan: ap, effort: e})
			}
		}
	}
	pl.dimsOf = make([][]int, len(d.Metrics))
	pl.slot = make([]int, len(pl.dims))
	for i, dm := range pl.dims {
		pl.slot[i] = len(pl.dimsOf[dm.metric])
		pl.dimsOf[dm.metric] = append(pl.dimsOf[dm.metric], i)
	}
	for i := range pl.dims {
		c, err := pl.capSteps(i)
		if err != nil {
			return nil, err
		}
		pl.dims[i].cap = c
	}
	return pl.search(n)
}

// points is metric mi's points with the given steps (of its dims, as in
// candidate) added.
func (pl *planner) points(mi int, steps []int64) (float64, error) {
	pl.key = strconv.AppendInt(pl.key[:0], int64(mi), 10)
	for j, di := range pl.dimsOf[mi] {
		if k := steps[j]; k > 0 {
			pl.key = strconv.AppendInt(append(pl.key, ' '), int64(di), 10)
			pl.key = strconv.AppendInt(append(pl.key, ':'), k, 10)
		}
	}
	if p, ok := pl.memo[string(pl.key)]; ok {
		return p, nil
	}
	if pl.memo == nil {
		pl.memo = map[string]float64{}
		pl.options = make([]optionMemo, len(pl.d.Metrics))
		pl.base = map[baseKey]ref.Val{}
	}
	key := string(pl.key)
	m := pl.d.Metrics[mi]
	total := func(option string, a *Aggregate) ref.Val {
		v, ok := pl.base[baseKey{option, a}]
		if !ok {
			v = pl.d.aggregateValue(pl.tot, pl.track, option, m, a)
			pl.base[baseKey{option, a}] = v
		}
		for j, di := range pl.dimsOf[mi] {
			dm := &pl.dims[di]
			if k := steps[j]; dm.agg == a && dm.option == option && k > 0 {
				v = types.Int(int64(v.(types.Int)) + k)
			}
		}
		return v
	}
	// The same totals on the same track score the same for any partner.
	shared := m.pointsOfTotals
	if shared {
		pl.shared = append(pl.shared[:0], pl.track...)
		for _, o := range m.optionsOf(pl.track) {
			for _, a := range m.Aggregates {
				n, ok := total(o, a).(types.Int)
				shared = shared && ok
				pl.shared = strconv.AppendInt(append(pl.shared, 0), int64(n), 10)
			}
		}
	}
	if shared {
		if p, ok := m.planPoints.lookup(pl.shared); ok {
			pl.memo[key] = p
			return p, nil
		}
	}
	mr, err := pl.d.scoreMetric(pl.ctx, pl.track, m, total, pl.partner, &pl.options[mi])
	if err != nil {
		return 0, err
	}
	pl.memo[key] = mr.Points
	if shared {
		m.planPoints.keep(pl.shared, mr.Points)
	}
	return mr.Points, nil
}

// capSteps is the fewest steps of a dim after which more add no points (at
// most maxPlanSteps).
func (pl *planner) capSteps(di int) (int64, error) {
	mi := pl.dims[di].metric
	// The other aggregates of the option at their most: a gate (two
	// people with a prerequisite) must not hide what the scoring step adds.
	steps := make([]int64, len(pl.dimsOf[mi]))
	for j, dj := range pl.dimsOf[mi] {
		if dj != di && pl.dims[dj].option == pl.dims[di].option {
			steps[j] = maxPlanSteps * pl.dims[dj].plan.step
		}
	}
	at := func(k int64) (float64, error) {
		steps[pl.slot[di]] = k * pl.dims[di].plan.step
		return pl.points(mi, steps)
	}
	top, err := at(maxPlanSteps)
	if err != nil {
		return 0, err
	}
	hi := int64(1)
	for hi < maxPlanSteps {
		p, err := at(hi)
		if err != nil {
			return 0, err
		}
		if p >= top {
			break
		}
		hi = min(hi*2, maxPlanSteps)
	}
	lo := hi / 2
	for lo < hi {
		mid := (lo + hi) / 2
		p, err := at(mid)
		if err != nil {
			return 0, err
		}
		if p >= top {
			hi = mid
		} else {
			lo = mid + 1
		}
	}
	return lo, nil
}

// stepCounts are the step counts of a dim worth trying: each up to
// maxEnumerate, then a sample that keeps the cap.
func stepCounts(cap int64) []int64 {
	var out []int64
	if cap <= maxEnumerate {
		for k := int64(1); k <= cap; k++ {
			out = append(out, k)
		}
		return out
	}
	for k := int64(1); k <= maxEnumerate/2; k++ {
		out = append(out, k)
	}
	step := max(1, (cap-maxEnumerate/2)/(maxEnumerate/2))
	for k := int64(maxEnumerate/2) + step; k < cap; k += step {
		out = append(out, k)
	}
	return append(out, cap)
}

// metricCandidates lists the ways to raise metric mi that are worth it:
// more points for more cost (a Pareto frontier), at least the metric's
// minimum. Options that are alternatives (the best counts) are raised one
// at a time; parts that add up, and several aggregates of one option, are
// raised together.
func (pl *planner) metricCandidates(mi int, least float64) ([]candidate, error) {
	m := pl.d.Metrics[mi]
	var out []candidate
	if pl.current[mi] >= least {
		out = append(out, candidate{metric: mi, steps: make([]int64, len(pl.dimsOf[mi])), points: pl.current[mi]})
	}
	groups := map[string][]int{}
	var order []string
	for _, di := range pl.dimsOf[mi] {
		o := pl.dims[di].option
		if m.Combine == "sources" {
			o = "" // parts add up: raised together
		}
		if _, ok := groups[o]; !ok {
			order = append(order, o)
		}
		groups[o] = append(groups[o], di)
	}
	for _, o := range order {
		combos := [][]int64{{}}
		for _, di := range groups[o] {
			counts := append([]int64{0}, stepCounts(pl.dims[di].cap)...)
			if len(groups[o]) > 1 {
				counts = thin(counts, 40)
			}
			var next [][]int64
			for _, c := range combos {
				for _, k := range counts {
					next = append(next, append(slices.Clone(c), k))
				}
			}
			combos = next
		}
		for _, c := range combos {
			steps := make([]int64, len(pl.dimsOf[mi]))
			cost, any := 0.0, false
			for i, di := range groups[o] {
				if c[i] > 0 {
					steps[pl.slot[di]] = c[i] * pl.dims[di].plan.step
					cost += float64(c[i]) * pl.dims[di].effort
					any = true
				}
			}
			if !any {
				continue
			}
			p, err := pl.points(mi, steps)
			if err != nil {
				return nil, err
			}
			if p > pl.current[mi] && p >= least {
				out = append(out, candidate{metric: mi, steps: steps, cost: cost, points: p})
			}
		}
		if err := pl.ctx.Err(); err != nil {
			return nil, err
		}
	}
	return pareto(out), nil
}

// thin keeps at most n values of a sorted list, its ends included.
func thin(xs []int64, n int) []int64 {
	if len(xs) <= n {
		return xs
	}
	var out []int64
	for i := 0; i < n; i++ {
		out = append(out, xs[i*(len(xs)-1)/(n-1)])
	}
	return slices.Compact(out)
}

// pareto keeps the candidates no other beats on both cost and points.
func pareto(cs []candidate) []candidate {
	slices.SortStableFunc(cs, func(a, b candidate) int {
		if a.cost != b.cost {
			return cmp.Compare(a.cost, b.cost)
		}
		return cmp.Compare(b.points, a.points)
	})
	var out []candidate
	best := math.Inf(-1)
	for _, c := range cs {
		if c.points > best {
			out = append(out, c)
			best = c.points
		}
	}
	return out
}

// state is a partial plan over the metrics decided so far: its candidate
// of the last metric decided (cand) and the state of the metrics before
// it it extends (back, in the frontier before), so that a frontier of
// thousands of states copies no lists of candidates.
type state struct {
	cost, points float64
	back, cand   int32
}

// picked is a whole plan: a candidate for each metric with a plan.
type picked struct {
	cost   float64
	chosen []candidate
}

// pointsPhrase says a number of points as the text shows them: rounded
// down to 2 decimals, so that a number under a bar never shows as the bar.
func pointsPhrase(x float64) string {
	if t := trim(math.Floor(x*100+1e-6) / 100); t != "1" {
		return t + " points"
	}
	return "1 point"
}

// search finds the cheapest combination of metric candidates that meets
// the bar: every metric at its least, the total at least the bar.
func (pl *planner) search(n *Needs) (*Plan, error) {
	tol := n.Tolerance
	frontier := []state{{back: -1, cand: -1}}
	// Each metric extended: its candidates, and the frontier after it.
	var cands [][]candidate
	var frontiers [][]state
	var impossible []string
	for mi, m := range pl.d.Metrics {
		least := n.Metrics[m.ID] - tol
		cs, err := pl.metricCandidates(mi, least)
		if err != nil {
			return nil, err
		}
		if len(cs) == 0 {
			impossible = append(impossible, fmt.Sprintf("%s cannot reach %s by additions to the reporting month", m.ID, pointsPhrase(n.Metrics[m.ID])))
			continue
		}
		frontier = pl.extend(frontier, cs, n.Total)
		cands, frontiers = append(cands, cs), append(frontiers, frontier)
	}
	if len(impossible) > 0 {
		return &Plan{Steps: []Step{}, Why: strings.Join(impossible, "; ")}, nil
	}
	var best *state
	for i := range frontier {
		s := &frontier[i]
		if s.points >= n.Total-tol && (best == nil || s.cost < best.cost) {
			best = s
		}
	}
	if best == nil {
		return &Plan{Steps: []Step{}, Why: fmt.Sprintf("at most %s with every metric at its most, under %s", pointsPhrase(frontierMax(frontier)), trim(n.Total))}, nil
	}
	p := picked{cost: best.cost, chosen: make([]candidate, len(cands))}
	for l, st := len(cands)-1, *best; l >= 0; l-- {
		p.chosen[l] = cands[l][st.cand]
		if l > 0 {
			st = frontiers[l-1][st.back]
		}
	}
	if err := pl.refine(&p, n); err != nil {
		return nil, err
	}
	return pl.plan(p)
}

// refine takes each step down to the least that still meets the bar with
// the others as they are: sampled step counts become exact, then the last
// step of a dim planned in steps of several units (ACR in $100) is taken
// down to the unit (a cent), so that no step has slack.
func (pl *planner) refine(s *picked, n *Needs) error {
	tol := n.Tolerance
	total := 0.0
	for _, c := range s.chosen {
		total += c.points
	}
	for ci := range s.chosen {
		c := &s.chosen[ci]
		least := n.Metrics[pl.d.Metrics[c.metric].ID] - tol
		for j, di := range pl.dimsOf[c.metric] {
			if c.steps[j] == 0 {
				continue
			}
			steps := slices.Clone(c.steps)
			ok := func(units int64) (float64, bool, error) {
				steps[j] = units
				p, err := pl.points(c.metric, steps)
				return p, err == nil && p >= least && total-c.points+p >= n.Total-tol, err
			}
			// The least of lo..hi that meets the bar, hi meeting it, in
			// multiples of unit.
			fewest := func(lo, hi, unit int64) (int64, error) {
				for lo < hi {
					mid := (lo + hi) / 2
					_, good, err := ok(mid * unit)
					if err != nil {
						return 0, err
					}
					if good {
						hi = mid
					} else {
						lo = mid + 1
					}
				}
				return lo, nil
			}
			step := pl.dims[di].plan.step
			k, err := fewest(0, c.steps[j]/step, step)
			if err != nil {
				return err
			}
			units := k * step
			if step > 1 && k > 0 {
				if units, err = fewest(units-step+1, units, 1); err != nil {
					return err
				}
			}
			p, _, err := ok(units)
			if err != nil {
				return err
			}
			s.cost -= float64(c.steps[j]-units) / float64(step) * pl.dims[di].effort
			total += p - c.points
			c.points = p
			c.steps[j] = units
		}
	}
	return nil
}

func frontierMax(fs []state) float64 {
	best := 0.0
	for _, s := range fs {
		best = math.Max(best, s.points)
	}
	return best
}

func trim(f float64) string {
	return strings.TrimSuffix(strings.TrimRight(fmt.Sprintf("%.4f", f), "0"), ".")
}

// extend adds each candidate to each state and keeps the combinations no
// other beats on both cost and points (points capped at total); of equal
// ones, the first in frontier-then-candidate order.
func (pl *planner) extend(frontier []state, cands []candidate, total float64) []state {
	next := pl.pairs[:0]
	if cap(next) < len(frontier)*len(cands) {
		next = make([]pair, 0, len(frontier)*len(cands))
	}
	defer func() { pl.pairs = next[:0] }()
	for si, s := range frontier {
		for ci, c := range cands {
			next = append(next, pair{s.cost + c.cost, math.Min(total, s.points+c.points), si*len(cands) + ci})
		}
	}
	slices.SortFunc(next, func(a, b pair) int {
		if a.points != b.points {
			return cmp.Compare(b.points, a.points)
		}
		if a.cost != b.cost {
			return cmp.Compare(a.cost, b.cost)
		}
		return cmp.Compare(a.at, b.at)
	})
	var out []state
	cheapest := math.Inf(1)
	for _, p := range next {
		if p.cost < cheapest {
			out = append(out, state{cost: p.cost, points: p.points, back: int32(p.at / len(cands)), cand: int32(p.at % len(cands))})
			cheapest = p.cost
		}
	}
	return out
}

// plan turns the cheapest state into steps, in the designation's metric
// order.
func (pl *planner) plan(s picked) (*Plan, error) {
	// The effort is a sum of float weights, some taken in proportion
	// (refine): rounded to a millionth so that 52.00002 does not print as
	// 52.000020000000006. Plans are compared on the unrounded cost.
	p := &Plan{Possible: true, Steps: []Step{}, Effort: math.Round(s.cost*1e6) / 1e6}
	for _, c := range s.chosen {
		p.ScoreAfter += c.points
		for j, di := range pl.dimsOf[c.metric] {
			k := c.steps[j]
			if k == 0 {
				continue
			}
			dm := &pl.dims[di]
			add := float64(k) / dm.plan.scale
			m := pl.d.Metrics[dm.metric]
			st := Step{Metric: m.ID, Option: dm.option, Aggregate: dm.agg.ID, Add: add, Unit: dm.plan.unit.For(add), PointsAfter: c.points}
			if dm.plan.of != nil {
				of, err := dm.plan.ofs.get(pl.track+"\x00"+m.ID+"\x00"+dm.option+"\x00"+pl.asOf, func() ([]string, error) {
					v, err := dm.plan.of.eval(map[string]any{varTrack: pl.track, varMetric: m.ID, varOption: dm.option, varAsOf: pl.asOf})
					if err != nil {
						return nil, err
					}
					return evalStrings(v)
				})
				if err != nil {
					return nil, fmt.Errorf("metrics[%s].aggregates[%s].plan.of: %w", m.ID, dm.agg.ID, err)
				}
				st.Of = slices.Clone(of)
			}
			p.Steps = append(p.Steps, st)
		}
	}
	return p, nil
}

// checkPlans plans for a few synthetic partners (every aggregate at 0, 1,
// 3, 10) when the bundle loads and checks each plan with the designation's
// own verdict: the plan aims at the bar the Rego states (needs); if the
// two disagree, no plan could be trusted, and the bundle is refused with
// the reason (evaluate check shows it).
func (d *Designation) checkPlans(ctx context.Context) error {
	for _, v := range []int64{0, 1, 3, 10} {
		tot := d.newTotals()
		for i := range tot {
			tot[i].n = v
		}
		partner := d.partnerValues(tot)
		metrics, err := d.scoreAll(ctx, func(t, o string, m *Metric, a *Aggregate) ref.Val { return d.aggregateValue(tot, t, o, m, a) }, partner.cel)
		if err != nil {
			return err
		}
		r, err := d.verdict(ctx, metrics, partner.native)
		if err != nil {
			return err
		}
		if err := d.plans(ctx, r, tot, partner); err != nil {
			return err
		}
		for _, t := range d.Tracks {
			g := r.Tracks[t].Gap
			if !g.Possible || len(g.Steps) == 0 {
				continue
			}
			after := make(totals, len(tot))
			copy(after, tot)
			for _, s := range g.Steps {
				m := d.metricByID(s.Metric)
				a := m.aggregate(s.Aggregate)
				k := d.slotIndex[instance{track: t, option: s.Option, metric: m, agg: a}.slotKey()]
				after[k].n += int64(math.Round(s.Add * a.plan.forOption(s.Option).scale))
			}
			metrics, err := d.scoreAll(ctx, func(tt, o string, m *Metric, a *Aggregate) ref.Val { return d.aggregateValue(after, tt, o, m, a) }, partner.cel)
			if err != nil {
				return err
			}
			v2, err := d.verdict(ctx, metrics, partner.native)
			if err != nil {
				return err
			}
			if !v2.Tracks[t].Qualified {
				var steps []string
				for _, s := range g.Steps {
					steps = append(steps, strings.TrimSpace(s.Metric+" "+s.Option)+fmt.Sprintf(" +%v", s.Add))
				}
				return fmt.Errorf("for a partner with every aggregate at %d, the plan for %s (%s) meets the bar the policy states (needs) but its verdict says the track does not qualify: needs and the verdict disagree", v, t, strings.Join(steps, ", "))
			}
		}
	}
	return nil
}

func (d *Designation) metricByID(id string) *Metric {
	for _, m := range d.Metrics {
		if m.ID == id {
			return m
		}
	}
	return nil
}

func (m *Metric) aggregate(id string) *Aggregate {
	for _, a := range m.Aggregates {
		if a.ID == id {
			return a
		}
	}
	return nil
}
