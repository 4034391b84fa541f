# Solutions Partner for Business Applications: the classified track and
# how the metrics combine into the verdict (SPEC-business.md §1).
#
# Input, computed by the engine from the CEL rules in rules.yaml:
#   input.tracks[track].metrics[metric] = {"value": v, "points": p, "max_points": m, ...}
#   input.partner.classification_count, .classification_baseline_count:
#     K(M) and K(B), the pairs (tenant, performance workload) with revenue
#     above the classification bar.
# Parameters are read from params.yaml as data.business_applications.
package business_applications

min_total := data.business_applications.min_total_points

min_metric := data.business_applications.min_metric_points

default tolerance := 0

tolerance := data.business_applications.points_tolerance

class := data.business_applications.classification

# "Decision (track by classification)": Enterprise when K(M) >= 5 and
# K(B) >= 5, SMB otherwise.
classified := class.enterprise if {
	input.partner.classification_count >= class.min_workloads
	input.partner.classification_baseline_count >= class.min_workloads
} else := class.otherwise

# Under a bar is points + tolerance < bar, written as points < bar -
# tolerance with each bar less the tolerance computed once per query:
# OPA's numbers are big.Float, and the test runs for every metric of every
# track (the two forms agree on every float64 near the shipped bars).
total_bar := min_total - tolerance

metric_bar := min_metric - tolerance

reasons(track, score, metrics) := array.concat(
	array.concat(
		[sprintf("the partner is classified %s: only that track can qualify", [classified]) | track != classified],
		[sprintf("total %v is under the minimum of %v %s", [shown(score), min_total, points_word(min_total)]) |
			score < total_bar
		],
	),
	sort([concat("", [sprintf("%s has %v %s, under the minimum of %v", [id, shown(m.points), points_word(m.points), min_metric]), because(track, m)]) |
		some id, m in metrics
		m.points < metric_bar
	]),
)

# Why a metric scores 0 when its value alone does not say so, from the free
# keys its CEL extra sets (rules.yaml): text, markdown and HTML show the
# reasons, not those keys.
because(track, m) := sprintf(": MCV in the baseline month is %v, under the %s track's minimum of %v", [m.baseline_mcv, track, data.business_applications.tracks[track].usage_min_baseline_mcv]) if {
	m.reason == "below_baseline_minimum"
} else := ""

# Points as the reasons show them: rounded down to 2 decimals.
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

# What a track needs: its bars; the track the partner is not classified
# in cannot qualify whatever its points, which possible and why say
# beside the same bars.
bars(metrics) := {
	"total": min_total,
	"metrics": {id: min_metric | some id, _ in metrics},
	"tolerance": tolerance,
}

needs(track, metrics) := bars(metrics) if track == classified

else := object.union(bars(metrics), {"possible": false, "why": sprintf("the partner is classified %s: only that track can qualify", [classified])})

# "Both tracks are computed and reported; only the classified one can
# qualify".
track_results[track] := {
	"score": score,
	"qualified": count(why) == 0,
	"classified": track == classified,
	"reasons": why,
	"needs": needs(track, t.metrics),
} if {
	some track, t in input.tracks
	score := sum([m.points | some m in t.metrics])
	why := reasons(track, score, t.metrics)
}

# The partner's track, score and verdict are the classified track's.
result := {
	"qualified": track_results[classified].qualified,
	"track": classified,
	"score": track_results[classified].score,
	"tracks": track_results,
	"classification": {
		"track": classified,
		"count": input.partner.classification_count,
		"baseline_count": input.partner.classification_baseline_count,
	},
}
