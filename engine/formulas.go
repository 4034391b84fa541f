package engine

import (
	"context"

	"evaluate/internal/fastcel"

	"github.com/google/cel-go/common/types"
	"github.com/google/cel-go/common/types/ref"
)

// trackFormulas are a metric's formulas compiled again for one track, with
// the track and the metric as constants: params.tracks[track].metrics[metric]
// and what follows from it fold when compiled, as the flows' expressions
// do (specialize). The planner evaluates these formulas hundreds of times
// per partner, for the same track and metric each time.
type trackFormulas struct {
	maxPoints, chosen, combPoints, combValue *fastcel.Program
	options                                  map[string]*optionFormulas
}

// optionFormulas are the per-option formulas on one track and option.
type optionFormulas struct {
	value, points, extra *fastcel.Program
}

// specializeFormulas compiles m's formulas for each track and option of
// des. A formula the fast path cannot compile so keeps its generic program.
// Each specialized program gives what the generic one gives with the same
// variables, which scoreMetric still sets.
func (c *compiler) specializeFormulas(des *Designation, m *Metric) {
	ix := m.places.index
	compile := func(x *compiled, known map[int]ref.Val) *fastcel.Program {
		return c.specialized(x, &m.places, des.layout, known)
	}
	m.formulas = map[string]*trackFormulas{}
	for _, t := range des.Tracks {
		known := map[int]ref.Val{ix[varTrack]: types.String(t), ix[varMetric]: types.String(m.ID), ix[varOption]: types.String("")}
		tf := &trackFormulas{options: map[string]*optionFormulas{}}
		tf.maxPoints = compile(m.maxPoints, known)
		// The combination reads the options, not one of them (option is
		// unset there).
		delete(known, ix[varOption])
		tf.chosen, tf.combPoints, tf.combValue = compile(m.chosen, known), compile(m.combPoints, known), compile(m.combValue, known)
		for _, o := range m.optionsOf(t) {
			known[ix[varOption]] = types.String(o)
			tf.options[o] = &optionFormulas{value: compile(m.value, known), points: compile(m.points, known), extra: compile(m.extra, known)}
		}
		m.formulas[t] = tf
	}
}

// formulasOf are m's formulas for track and option, the generic ones where
// none were specialized (a track the designation does not have).
func (m *Metric) formulasOf(track string) *trackFormulas {
	if tf, ok := m.formulas[track]; ok {
		return tf
	}
	return &trackFormulas{maxPoints: m.maxPoints.fastOrNil(), chosen: m.chosen.fastOrNil(), combPoints: m.combPoints.fastOrNil(), combValue: m.combValue.fastOrNil()}
}

// option is the option's formulas, the generic ones where none were
// specialized.
func (tf *trackFormulas) option(m *Metric, o string) *optionFormulas {
	if of, ok := tf.options[o]; ok {
		return of
	}
	return &optionFormulas{value: m.value.fastOrNil(), points: m.points.fastOrNil(), extra: m.extra.fastOrNil()}
}

// numberWith is numberAt with fast, a program of p for where it runs.
func numberWith(ctx context.Context, p *compiled, fast *fastcel.Program, g []ref.Val) (float64, error) {
	v, err := p.evalWith(ctx, fast, g)
	if err != nil {
		return 0, err
	}
	return asNumber(v)
}
