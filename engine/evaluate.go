package engine

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"runtime"
	"slices"
	"sync"
	"sync/atomic"

	"evaluate/facts"

	"github.com/google/cel-go/common/types"
	"github.com/google/cel-go/common/types/ref"
	"github.com/google/cel-go/common/types/traits"
	"github.com/open-policy-agent/opa/v1/rego"
)

// Options change what an evaluation reports, never its score.
type Options struct {
	// Explain attaches to every metric and option the records that made it.
	Explain bool
	// Workers score tenants in parallel (0: one per CPU). Explanations are
	// built by one worker, so that they keep the file's order.
	Workers int
	// Tally, when set, holds the tenants already scored while the file was
	// read; the window then has no tenants of its own.
	Tally *Tally
}

// parallelFrom is the number of tenants from which scoring is split
// across workers; below it, starting them costs more than it saves.
const parallelFrom = 1 << 11

// Evaluate scores one partner without explanations.
func (b *Bundle) Evaluate(ctx context.Context, f *facts.File, w *facts.Window) (*Result, error) {
	return b.EvaluateWith(ctx, f, w, Options{})
}

// EvaluateWith scores one partner: the CEL rules per tenant and person,
// summed per metric (and per attribution type), the point formulas, the Rego
// verdict, and for each track the plan of what it takes to qualify. f
// supplies the partner and warnings, w the windowed facts.
func (b *Bundle) EvaluateWith(ctx context.Context, f *facts.File, w *facts.Window, opts Options) (*Result, error) {
	e := &evaluation{b: b, act: map[string]any{}, workers: opts.Workers}
	if opts.Explain {
		e.explain = explanations{}
		e.workers = 1
	}
	sums, err := e.sumMetrics(ctx, w, opts.Tally)
	if err != nil {
		return nil, err
	}
	input, err := b.scoreMetrics(sums)
	if err != nil {
		return nil, err
	}
	r, err := b.verdict(ctx, input)
	if err != nil {
		return nil, err
	}
	if err := b.checkResult(r); err != nil {
		return nil, err
	}
	r.File = f.Name
	r.Partner = f.Partner
	r.Month, r.Baseline, r.AsOf = w.Month.String(), w.Baseline.String(), string(w.AsOf)
	r.Problems = w.Warnings
	for _, p := range w.Warnings {
		r.Warnings = append(r.Warnings, p.Message)
	}
	slices.Sort(r.Warnings)
	r.Warnings = slices.Compact(r.Warnings)
	r.Policies = Provenance{Source: b.Source, Designation: b.Designation, Hash: b.Hash}
	r.Bar = Bar{MinTotal: b.planRules.minTotal, MinMetric: b.planRules.minMetric}
	for _, t := range b.Tracks {
		r.TrackOrder = append(r.TrackOrder, t.Name)
	}
	for _, m := range b.Metrics {
		r.MetricOrder = append(r.MetricOrder, m.ID)
	}
	if r.Notices, err = e.notices(w); err != nil {
		return nil, err
	}
	e.explain.sort()
	e.attach(r)
	// The plans are not checked against the verdict again here: checkPlans
	// did that when the bundle loaded.
	if _, err := b.plans(ctx, r, sums); err != nil {
		return nil, err
	}
	return r, nil
}

// evaluation is one partner's evaluation in progress. Its activation map is
// reused from record to record.
type evaluation struct {
	b       *Bundle
	act     map[string]any
	explain explanations // nil unless explaining
	workers int
}

// metricSums holds each metric's summed value per track, keyed by option
// ("" for a track-wide metric).
type metricSums map[string]map[string]map[string]int64

// ctxCheckEvery is how many tenants are scored between looks at the context.
const ctxCheckEvery = 256

func (b *Bundle) newSums() metricSums {
	sums := metricSums{}
	for _, t := range b.Tracks {
		sums[t.Name] = map[string]map[string]int64{}
		for _, m := range b.Metrics {
			sums[t.Name][m.ID] = map[string]int64{}
		}
	}
	return sums
}

func (s metricSums) add(o metricSums) {
	for t, metrics := range o {
		for m, options := range metrics {
			for opt, v := range options {
				s[t][m][opt] += v
			}
		}
	}
}

func (e *evaluation) sumMetrics(ctx context.Context, w *facts.Window, tally *Tally) (metricSums, error) {
	var tallied metricSums
	if tally != nil {
		var err error
		if tallied, err = tally.Close(); err != nil {
			return nil, err
		}
	}
	sums, err := e.sumTenants(ctx, w.Tenants)
	if err != nil {
		return nil, err
	}
	if tallied != nil {
		sums.add(tallied)
	}
	for i := range w.People {
		if err := e.sumPerson(&w.People[i], w.AsOf, sums); err != nil {
			return nil, fmt.Errorf("person %q: %w", w.People[i].ID, err)
		}
	}
	return sums, nil
}

// sumTenants scores tenants, split across workers for large partners.
// Sums are integers, so the order of adding does not change them.
func (e *evaluation) sumTenants(ctx context.Context, tenants []facts.TenantWindow) (metricSums, error) {
	workers := e.workers
	if workers <= 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	if workers == 1 || len(tenants) < parallelFrom {
		return e.sumRange(ctx, tenants)
	}
	chunk := (len(tenants) + workers - 1) / workers
	results := make([]metricSums, workers)
	errs := make([]error, workers)
	var wg sync.WaitGroup
	for i := range workers {
		lo, hi := min(i*chunk, len(tenants)), min((i+1)*chunk, len(tenants))
		wg.Go(func() {
			worker := &evaluation{b: e.b, act: map[string]any{}}
			results[i], errs[i] = worker.sumRange(ctx, tenants[lo:hi])
		})
	}
	wg.Wait()
	sums := e.b.newSums()
	for i := range workers {
		if errs[i] != nil {
			return nil, errs[i]
		}
		sums.add(results[i])
	}
	return sums, nil
}

func (e *evaluation) sumRange(ctx context.Context, tenants []facts.TenantWindow) (metricSums, error) {
	sums := e.b.newSums()
	for i := range tenants {
		if i%ctxCheckEvery == 0 && ctx.Err() != nil {
			return nil, ctx.Err()
		}
		if err := e.sumTenant(&tenants[i], sums); err != nil {
			return nil, fmt.Errorf("tenant %q: %w", tenants[i].Tenant, err)
		}
	}
	return sums, nil
}

// sumPerson finds the certification levels a person holds on the evaluation
// date and adds the person to every people metric.
func (e *evaluation) sumPerson(p *facts.Person, asOf facts.Date, sums metricSums) error {
	b, act := e.b, e.act
	clear(act)
	act[varPerson], act[varAsOf] = p, string(asOf)
	var levels, counted []string
	var notCounted []CertificationNote
	for i := range p.Certifications {
		c := &p.Certifications[i]
		act[varCert] = c
		name, says, err := failing(b.certCounts, act)
		if err != nil {
			return err
		}
		if name != "" {
			notCounted = append(notCounted, CertificationNote{Person: p.ID, Certification: c.Name, Rule: name, Reason: says})
			continue
		}
		v, _, err := b.certLevel.Eval(act)
		if err != nil {
			return fmt.Errorf("certification %q: certification.level: %w", c.Name, err)
		}
		level := fmt.Sprint(v.Value())
		counted = append(counted, c.Name+" ("+level+")")
		slices.Sort(counted)
		if !slices.Contains(levels, level) {
			levels = append(levels, level)
		}
	}
	delete(act, varCert)
	delete(act, varAsOf)
	act[varLevels] = levels
	for _, t := range b.Tracks {
		act[varTrack] = t.Name
		for _, m := range b.Metrics {
			if m.Over != "people" {
				continue
			}
			v, err := evalInt(m.reporting, act)
			if err != nil {
				return fmt.Errorf("metrics[%s].reporting: %w", m.ID, err)
			}
			// A people metric has a baseline term too, if the bundle gives
			// one: a metric is reporting minus baseline, whatever it sums.
			var bas int64
			if m.baseline != nil {
				if bas, err = evalInt(m.baseline, act); err != nil {
					return fmt.Errorf("metrics[%s].baseline: %w", m.ID, err)
				}
			}
			sums[t.Name][m.ID][""] += v - bas
			if e.explain != nil {
				x := e.explain.get(t.Name, m.ID, "")
				if v != 0 {
					x.Reporting = append(x.Reporting, Contribution{Person: p.ID, Adds: v, Certifications: counted})
				}
				if bas != 0 {
					x.Baseline = append(x.Baseline, Contribution{Person: p.ID, Adds: bas, Certifications: counted})
				}
				x.NotCounted = append(x.NotCounted, notCounted...)
			}
		}
	}
	return nil
}

// scope is one tenant seen by one track and one option ("" for the track's
// attribution types together).
type scope struct {
	tenant    *facts.TenantWindow
	track     Track
	option    string
	types     []string
	now, base Summary
	assoc     Summary
	newly     bool
	// The summaries as CEL sees them.
	nowRec, baseRec, assocRec *record
}

// noSummary is assoc for a tenant that is not newly associated.
var noSummary = summaryRecord(Summary{})

// monthFacts is what the month rules decided about one month of a tenant
// for one track: eligibility for all its types ([0]) and each type alone,
// deployed and active users.
type monthFacts struct {
	eligible []bool
	summary  Summary
	// records are the summary as CEL sees it, not eligible and eligible,
	// made when first asked for and shared by every scope of the tenant;
	// month and users are its values already converted.
	records     [2]*record
	month, user ref.Val
}

// month runs the month rules on one month of a tenant, for every track.
func (e *evaluation) month(st *facts.MonthState) ([]monthFacts, error) {
	e.act[varMonth] = monthRecord(st, e.b.names)
	v, _, err := e.b.monthAll.Eval(e.act)
	if err != nil {
		return nil, fmt.Errorf("%s: month rules: %w", st.Month, err)
	}
	tracks := v.(traits.Lister)
	out := make([]monthFacts, len(e.b.Tracks))
	month := types.String(st.Month)
	for t := range out {
		l := tracks.Get(types.Int(t)).(traits.Lister)
		n := int(l.Size().(types.Int))
		mf := monthFacts{eligible: make([]bool, n-2), summary: Summary{Month: st.Month}}
		for i := range n - 2 {
			mf.eligible[i] = l.Get(types.Int(i)) == types.True
		}
		mf.summary.Deployed = l.Get(types.Int(n-2)) == types.True
		users, ok := l.Get(types.Int(n - 1)).(types.Int)
		if !ok {
			return nil, fmt.Errorf("%s: month.active_users: want an int, got %v", st.Month, l.Get(types.Int(n-1)))
		}
		mf.summary.ActiveUsers = int64(users)
		mf.month, mf.user = month, users
		out[t] = mf
	}
	return out, nil
}

// at returns the summary for eligibility index i (0: all the track's
// types), and its record.
func (mf *monthFacts) at(i int) (Summary, *record) {
	s := mf.summary
	s.Eligible = mf.eligible[i]
	k := 0
	if s.Eligible {
		k = 1
	}
	if mf.records[k] == nil {
		mf.records[k] = newSummaryRecord(mf.month, types.Bool(s.Eligible), types.Bool(s.Deployed), mf.user)
	}
	return s, mf.records[k]
}

func (e *evaluation) sumTenant(t *facts.TenantWindow, sums metricSums) error {
	clear(e.act)
	now, err := e.month(&t.Now)
	if err != nil {
		return err
	}
	base, err := e.month(&t.Base)
	if err != nil {
		return err
	}
	assoc := make([][]monthFacts, len(t.New))
	for k := range t.New {
		if assoc[k], err = e.month(&t.New[k].State); err != nil {
			return err
		}
	}
	for ti, tr := range e.b.Tracks {
		e.act[varTrack] = tr.Name
		s := scope{tenant: t, track: tr, types: tr.Types, assocRec: noSummary}
		s.now, s.nowRec = now[ti].at(0)
		s.base, s.baseRec = base[ti].at(0)
		if err := e.addTenant(&s, sums); err != nil {
			return err
		}
		for i, o := range tr.Types {
			so := scope{tenant: t, track: tr, option: o, types: []string{o}, assocRec: noSummary}
			so.now, so.nowRec = now[ti].at(i + 1)
			so.base, so.baseRec = base[ti].at(i + 1)
			for k := range t.New {
				if t.New[k].Type == o {
					so.newly = true
					so.assoc, so.assocRec = assoc[k][ti].at(i + 1)
				}
			}
			if err := e.addTenant(&so, sums); err != nil {
				return err
			}
		}
	}
	return nil
}

// addTenant adds one tenant's part to every tenant metric of its scope:
// track-wide metrics when the option is "", per-option metrics otherwise.
func (e *evaluation) addTenant(s *scope, sums metricSums) error {
	act := e.act
	act[varOption], act[varNow], act[varBase], act[varAssoc], act[varNewly] = s.option, s.nowRec, s.baseRec, s.assocRec, s.newly
	v, _, err := e.b.scopeAll[s.option != ""].Eval(act)
	if err != nil {
		return fmt.Errorf("metrics: %w", err)
	}
	values := v.(traits.Lister)
	k := 0
	for i := range e.b.Metrics {
		m := &e.b.Metrics[i]
		if m.Over != "tenants" || m.PerOption != (s.option != "") {
			continue
		}
		rep, ok1 := values.Get(types.Int(k)).(types.Int)
		bas, ok2 := values.Get(types.Int(k + 1)).(types.Int)
		k += 2
		if !ok1 || !ok2 {
			return fmt.Errorf("metrics[%s]: reporting and baseline must be ints", m.ID)
		}
		sums[s.track.Name][m.ID][s.option] += int64(rep - bas)
		if e.explain != nil {
			if err := e.explainTenant(s, m, int64(rep), int64(bas)); err != nil {
				return err
			}
		}
	}
	return nil
}

// pointsFor applies the bundle's point formula. The formula is a pure
// function of its variables, and across a population (and in every plan's
// search) the same values come up again and again, so results are kept for
// the bundle's lifetime: small values in a table per track, metric and
// option, read without hashing or locks, others in a map.
func (b *Bundle) pointsFor(act map[string]any, track, metric, option string, value int64) (float64, error) {
	return b.pointsAt(act, b.pointsSlot(track, metric, option), track, metric, option, value)
}

// pointsAt is pointsFor for a slot already looked up (-1: none).
func (b *Bundle) pointsAt(act map[string]any, slot int, track, metric, option string, value int64) (float64, error) {
	cell := b.pointsMemo.cell(slot, value)
	if cell != nil {
		if bits := cell.Load(); bits != 0 {
			return math.Float64frombits(bits ^ pointsMark), nil
		}
	}
	k := pointsKey{track, metric, option, value}
	if cell == nil {
		if p, ok := b.pointsMemo.get(k); ok {
			return p, nil
		}
	}
	act[varTrack], act[varMetric], act[varOption], act[varValue] = track, metric, option, value
	p, err := evalDouble(b.points, act)
	if err != nil {
		return 0, fmt.Errorf("points of %s %s %s: %w", track, metric, option, err)
	}
	switch bits := math.Float64bits(p) ^ pointsMark; {
	case cell != nil && bits != 0: // 0 marks an empty cell: that one value is not kept
		cell.Store(bits)
	case cell == nil:
		b.pointsMemo.put(k, p)
	}
	return p, nil
}

// pointsSlot numbers a track, metric and option for the points table.
func (b *Bundle) pointsSlot(track, metric, option string) int {
	if i, ok := b.pointsMemo.slots[[3]string{track, metric, option}]; ok {
		return i
	}
	return -1
}

type pointsKey struct {
	track, metric, option string
	value                 int64
}

const (
	// pointsTableSize is how many values (0 ..) each slot's table keeps.
	pointsTableSize = 4096
	// pointsCacheSize bounds the map of other values (about 10 MB).
	pointsCacheSize = 1 << 17
	// pointsMark is xored into a cached value's bits, so that a zero cell
	// means "not computed" rather than 0 points.
	pointsMark = 0x7ff4_5a3c_0000_0001
)

// pointsMemo is shared by the copies of a bundle the planner makes, and by
// the workers of a population.
type pointsMemo struct {
	slots map[[3]string]int
	table []atomic.Uint64 // slot*pointsTableSize + value
	other sync.Map        // pointsKey -> float64, values outside the table
	n     atomic.Int64
}

func newPointsMemo(tracks []Track, metrics []Metric) *pointsMemo {
	pm := &pointsMemo{slots: map[[3]string]int{}}
	for _, t := range tracks {
		for _, m := range metrics {
			opts := []string{""}
			if m.PerOption {
				opts = t.Types
			}
			for _, o := range opts {
				pm.slots[[3]string{t.Name, m.ID, o}] = len(pm.slots)
			}
		}
	}
	pm.table = make([]atomic.Uint64, len(pm.slots)*pointsTableSize)
	return pm
}

// cell is the table's cell for a value, or nil outside the table.
func (pm *pointsMemo) cell(slot int, value int64) *atomic.Uint64 {
	if slot < 0 || value < 0 || value >= pointsTableSize {
		return nil
	}
	return &pm.table[slot*pointsTableSize+int(value)]
}

func (pm *pointsMemo) get(k pointsKey) (float64, bool) {
	p, ok := pm.other.Load(k)
	if !ok {
		return 0, false
	}
	return p.(float64), true
}

func (pm *pointsMemo) put(k pointsKey, p float64) {
	if pm.n.Load() < pointsCacheSize {
		if _, loaded := pm.other.LoadOrStore(k, p); !loaded {
			pm.n.Add(1)
		}
	}
}

// scoreMetrics applies the points formula and shapes the Rego input.
func (b *Bundle) scoreMetrics(sums metricSums) (map[string]any, error) {
	act := map[string]any{}
	score := func(track, metric, option string, value int64) (map[string]any, error) {
		p, err := b.pointsFor(act, track, metric, option, value)
		return map[string]any{"value": value, "points": p}, err
	}
	tracks := map[string]any{}
	for _, t := range b.Tracks {
		metrics := map[string]any{}
		for _, m := range b.Metrics {
			if !m.PerOption {
				s, err := score(t.Name, m.ID, "", sums[t.Name][m.ID][""])
				if err != nil {
					return nil, err
				}
				metrics[m.ID] = s
				continue
			}
			options := map[string]any{}
			for _, o := range t.Types {
				s, err := score(t.Name, m.ID, o, sums[t.Name][m.ID][o])
				if err != nil {
					return nil, err
				}
				options[o] = s
			}
			metrics[m.ID] = map[string]any{"options": options}
		}
		tracks[t.Name] = map[string]any{"metrics": metrics}
	}
	return map[string]any{"tracks": tracks}, nil
}

// checkResult checks that the Rego's result has every track and metric of
// the rules, each with a number of points, and names one of its tracks as
// the partner's: renderers read them all.
func (b *Bundle) checkResult(r *Result) error {
	fail := func(format string, args ...any) error {
		return fmt.Errorf("policy %s: data.%s.%s: %s", b.Designation, b.Designation, ResultRule, fmt.Sprintf(format, args...))
	}
	for _, t := range b.Tracks {
		tr := r.Tracks[t.Name]
		if tr == nil {
			return fail("tracks has no track %q (the rules have %d tracks)", t.Name, len(b.Tracks))
		}
		for _, m := range b.Metrics {
			if tr.Metrics[m.ID] == nil {
				return fail("tracks.%s.metrics has no metric %q", t.Name, m.ID)
			}
		}
	}
	if r.Tracks[r.Track] == nil {
		return fail("track %q is not one of its tracks", r.Track)
	}
	return nil
}

// checkShape runs the verdict once, on a partner with nothing, when the
// bundle loads, so that a result the renderers cannot read is the bundle's
// error, found before any partner is scored.
func (b *Bundle) checkShape(ctx context.Context) error {
	input, err := b.scoreMetrics(b.newSums())
	if err != nil {
		return err
	}
	r, err := b.verdict(ctx, input)
	if err != nil {
		return err
	}
	return b.checkResult(r)
}

// verdict runs the designation's Rego on the scored metrics.
func (b *Bundle) verdict(ctx context.Context, input map[string]any) (*Result, error) {
	rs, err := b.rego.Eval(ctx, rego.EvalInput(input))
	if ctx.Err() != nil {
		return nil, ctx.Err()
	}
	if err != nil {
		return nil, fmt.Errorf("policy %s: %w", b.Designation, err)
	}
	if len(rs) == 0 || len(rs[0].Expressions) == 0 {
		return nil, fmt.Errorf("policy %s: data.%s.%s is undefined for this input", b.Designation, b.Designation, ResultRule)
	}
	if r, ok := resultFromRego(rs[0].Expressions[0].Value); ok {
		return r, nil
	}
	raw, err := json.Marshal(rs[0].Expressions[0].Value)
	if err != nil {
		return nil, err
	}
	var r Result
	if err := json.Unmarshal(raw, &r); err != nil {
		return nil, fmt.Errorf("policy %s: result has the wrong shape: %w", b.Designation, err)
	}
	return &r, nil
}
