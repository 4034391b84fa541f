# Solutions Partner for Modern Work: how metric scores combine into the
# partner capability score and the designation verdict (SPEC §1).
#
# Input, computed by the engine from the CEL rules in rules.yaml:
#   input.tracks[track].metrics[metric] = {"value": v, "points": p, "max_points": m, ...}
# where a metric scored per attribution type has already taken its best
# option ("option", "options"). Parameters are read from params.yaml as
# data.modern_work. The engine reads `result`.
package modern_work

# The parameters this policy reads. (Whole-package refs such as
# data.modern_work would include these rules themselves, so each key is read
# on its own.)
min_total := data.modern_work.min_total_points

min_metric := data.modern_work.min_metric_points

default tolerance := 0

tolerance := data.modern_work.points_tolerance

default preference := []

preference := data.modern_work.track_preference

# "Sie müssen mindestens 70 von 100 möglichen Punkten erreichen" (Decision: >=)
# and "mindestens einen Punkt in jeder der folgenden einzelnen Metriken"
# (Decision: min_metric_points, default 1). Points are compared unrounded,
# with tolerance of slack for floating-point sums.
# Under a bar is points + tolerance < bar, written as points < bar -
# tolerance with each bar less the tolerance computed once per query:
# OPA's numbers are big.Float, and the test runs for every metric of every
# track (the two forms agree on every float64 near the shipped bars).
total_bar := min_total - tolerance

metric_bar := min_metric - tolerance

# Why a track does not qualify, most important first: the total, then each
# metric under its minimum (sorted by metric id so the output is stable).
reasons(score, metrics) := array.concat(
	[sprintf("total %v is under the minimum of %v %s", [shown(score), min_total, points_word(min_total)]) |
		score < total_bar
	],
	sort([sprintf("%s has %v %s, under the minimum of %v", [id, shown(m.points), points_word(m.points), min_metric]) |
		some id, m in metrics
		m.points < metric_bar
	]),
)

# Points as the reasons show them: rounded down to 2 decimals, so that a
# shown number never sits on the bar the true one is under (69.9975 points
# show as 69.99, not 70), and float noise (0.29 computed as 0.28999...) is
# absorbed.
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

# What a track needs, for the plan of what it takes: the same bars as
# above, stated once here.
needs(metrics) := {
	"total": min_total,
	"metrics": {id: min_metric | some id, _ in metrics},
	"tolerance": tolerance,
}

# Each track on its own; "Metrics are never mixed across tracks."
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

preference_rank(track) := i if {
	some i, t in preference
	t == track
} else := count(preference)

# "Wir bewerten Sie auf beiden Pfaden und wählen die höchsten Punkte für die
# Qualifizierung aus." Decision (SPEC §1): the qualifying track with the
# higher total; if none qualifies, the track with the higher total; on a tie,
# the first in track_preference (Enterprise).
chosen_track := sort([[qualified_rank(r), 0 - r.score, preference_rank(track), track] |
	some track, r in track_results
])[0][3]

qualified_rank(r) := 0 if r.qualified

else := 1

# "Um diese Auszeichnung zu erhalten, muss Ihre Partnerkompetenzbewertung die
# Qualifikationsanforderungen erfüllen": the partner qualifies when at least
# one track does; the partner's score is the chosen track's total.
result := {
	"qualified": track_results[chosen_track].qualified,
	"track": chosen_track,
	"score": track_results[chosen_track].score,
	"tracks": track_results,
}
