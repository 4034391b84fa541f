# Solutions Partner for Infrastructure (Azure): how the metrics combine into the partner
# capability score and the verdict (SPEC-azure.md §1). One track,
# standard.
#
# Input, computed by the engine from the CEL rules in rules.yaml:
#   input.tracks.standard.metrics[metric] = {"value": v, "points": p, "max_points": m, ...}
# with each metric as the CEL rules scored it.
# Parameters are read from params.yaml as data.infrastructure.
package infrastructure

min_total := data.infrastructure.min_total_points

min_metric := data.infrastructure.min_metric_points

default tolerance := 0

tolerance := data.infrastructure.points_tolerance

# ">= 70 and >= 1 point in every metric of that designation"
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
	sort([concat("", [sprintf("%s has %v %s, under the minimum of %v", [id, shown(m.points), points_word(m.points), min_metric]), because(id, m)]) |
		some id, m in metrics
		m.points < metric_bar
	]),
)

# Why a metric scores 0 when its value alone does not say so, from the free
# keys its CEL extra sets (rules.yaml): text, markdown and HTML show the
# reasons, not those keys.
because(id, m) := sprintf(": ACR over the trailing twelve months is %v USD, under the minimum of %v USD", [m.ttm_usd, data.infrastructure.usage_min_ttm_acr_usd]) if {
	m.reason == "below_minimum"
} else := ": no ACR in the twelve months ending in the baseline month, so growth is undefined" if {
	m.reason == "no_baseline"
	m.baseline_ttm_usd == 0
} else := sprintf(": ACR over the twelve months ending in the baseline month is %v USD, so growth is undefined", [m.baseline_ttm_usd]) if {
	m.reason == "no_baseline"
} else := concat("", [": ", concat("; ", short)]) if {
	m.prerequisites_met == false
	need := data.infrastructure.tracks.standard.metrics[id].min_people
	short := [sprintf("needs %v people with %s, has %v", [need, concat(" or ", [cert_name(c) | some c in step]), n]) |
		some i, step in data.infrastructure.tracks.standard.metrics[id].prerequisites
		n := m.steps[i]
		n < need
	]
} else := ""

# A retired certification is named with its last day: the reasons do not
# know the evaluation date, and must not send anyone to a retired exam.
cert_name(id) := sprintf("%s until %s", [id, c.eligible_until]) if {
	some c in data.infrastructure.certifications
	c.id == id
	c.eligible_until
}

else := id

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
