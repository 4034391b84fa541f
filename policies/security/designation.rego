# Solutions Partner for Security: how the metrics combine into the partner
# capability score and the verdict (SPEC-security.md §1). One track,
# standard.
#
# Input, computed by the engine from the CEL rules in rules.yaml:
#   input.tracks.standard.metrics[metric] = {"value": v, "points": p, "max_points": m, ...}
# with two-part metrics already summed and capped ("sources").
# Parameters are read from params.yaml as data.security.
package security

min_total := data.security.min_total_points

min_metric := data.security.min_metric_points

default tolerance := 0

tolerance := data.security.points_tolerance

# ">= 70 of 100 points and >= 1 point in each of the four metrics"
# (Decision: >= both), compared unrounded with a tolerance for float sums.
# Under a bar is points + tolerance < bar, written as points < bar -
# tolerance with each bar less the tolerance computed once per query:
# OPA's numbers are big.Float, and the test runs for every metric of every
# track (the two forms agree on every float64 near the shipped bars).
total_bar := min_total - tolerance

metric_bar := min_metric - tolerance

reasons(score, metrics) := array.concat(
	[sprintf("total %v is under the minimum of %v %s", [shown(score), min_total, points_word(min_total)]) |
		score < total_bar
	],
	sort([concat("", [sprintf("%s has %v %s, under the minimum of %v", [id, shown(m.points), points_word(m.points), min_metric]), because(m)]) |
		some id, m in metrics
		m.points < metric_bar
	]),
)

# Why a metric scores 0 when its value alone does not say so, from the free
# keys its CEL extra sets (rules.yaml): text, markdown and HTML show the
# reasons, not those keys.
because(m) := concat("", [": ", concat("; ", short)]) if {
	m.prerequisites_met == false
	short := [sprintf("needs %v people with a step %v certification (%s), has %v", [p.min_people, p.step, concat(" or ", codes), n]) |
		some p in data.security.certification_steps.prerequisites
		n := m.steps[p.step - 1] # steps lists the people of steps 1, 2, 3
		n < p.min_people
		codes := sort([cert_code(c, code) | some c in data.security.certifications; c.step == p.step; some code in c.codes])
	]
} else := ""

# A retired certification is named with its last day: the reasons do not
# know the evaluation date, and must not send anyone to a retired exam.
cert_code(c, code) := sprintf("%s until %s", [code, c.eligible_until]) if c.eligible_until

else := code

# Points as the reasons show them: rounded down to 2 decimals, so that a
# shown number never sits on the bar the true one is under.
# The slack is the text output's (cmd/evaluate displaySlack: the largest
# points_tolerance a schema allows), so that a reason and the table show
# one number: 69.9999999995 is 69.99 in both.
# A whole number shows as itself, as the formula gives it back (floor's
# number, so -0 shows as 0 either way), read without the arithmetic:
# OPA's is big.Float, and most points in the reasons are whole (the two
# agree on 40,000 numbers, checked in OPA).
shown(x) := y if {
	y := floor(x)
	y == x
} else := floor((x + 0.000000000001) * 100) / 100

points_word(x) := "point" if shown(x) == 1

else := "points"

needs(metrics) := {
	"total": min_total,
	"metrics": {id: min_metric | some id, _ in metrics},
	"tolerance": tolerance,
}

track_results[track] := {
	"score": score,
	"qualified": count(why) == 0,
	"reasons": why,
	"needs": needs(t.metrics),
} if {
	some track, t in input.tracks
	score := sum([m.points | some m in t.metrics])
	why := reasons(score, t.metrics)
}

# One track: the partner's track, score and verdict are its.
result := {
	"qualified": track_results.standard.qualified,
	"track": "standard",
	"score": track_results.standard.score,
	"tracks": track_results,
}
