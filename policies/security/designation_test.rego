package security_test

import data.security

# Every bar and maximum comes from params.yaml (data.security), so a program
# manager's edit of a number does not break these tests; they pin how the
# policy combines the numbers, not the numbers themselves.
bar := data.security.min_total_points

least := data.security.min_metric_points

metrics := data.security.tracks.standard.metrics

metric_ids := sort(object.keys(metrics))

flat(v, p) := {"value": v, "points": p}

# The standard track with the given points, in the order of metric_ids.
with_points(points) := {"tracks": {"standard": {"metrics": {id: flat(1, points[i]) | some i, id in metric_ids}}}}

full := with_points([metrics[id].max_points | some id in metric_ids])

zero := with_points([0 | some _ in metric_ids])

# Every metric at its minimum but the last, which makes the total exactly the bar.
exact_bar := with_points([p |
	some i, _ in metric_ids
	p := last_or_least(i)
])

last_or_least(i) := bar - ((count(metric_ids) - 1) * least) if i == count(metric_ids) - 1

else := least

test_full_marks_qualify if {
	r := security.result with input as full
	r.qualified
	r.track == "standard"
	r.score == sum([metrics[id].max_points | some id in metric_ids])
	r.tracks.standard.reasons == []
}

test_the_maxima_add_up_to_100 if {
	sum([metrics[id].max_points | some id in metric_ids]) == 100
}

test_exactly_the_bar_qualifies if {
	r := security.result with input as exact_bar
	r.score == bar
	r.qualified
}

test_just_under_the_bar_does_not_qualify if {
	last := metric_ids[count(metric_ids) - 1]
	under := json.patch(exact_bar, [{"op": "replace", "path": sprintf("/tracks/standard/metrics/%s/points", [last]), "value": last_or_least(count(metric_ids) - 1) - 0.0025}])
	r := security.result with input as under
	not r.qualified
	r.tracks.standard.reasons == [sprintf("total %v is under the minimum of %v points", [security.shown(bar - 0.0025), bar])]
}

test_float_sum_at_the_bar_qualifies if {
	first := metric_ids[0]
	last := metric_ids[count(metric_ids) - 1]
	nudged := json.patch(exact_bar, [
		{"op": "replace", "path": sprintf("/tracks/standard/metrics/%s/points", [first]), "value": least + 0.1},
		{"op": "replace", "path": sprintf("/tracks/standard/metrics/%s/points", [last]), "value": last_or_least(count(metric_ids) - 1) - 0.1},
	])
	r := security.result with input as nudged
	r.qualified
}

test_every_metric_under_its_minimum_blocks if {
	every id in metric_ids {
		t := json.patch(full, [{"op": "replace", "path": sprintf("/tracks/standard/metrics/%s/points", [id]), "value": least - 0.0025}])
		r := security.result with input as t
		not r.qualified
		sprintf("%s has %v %s, under the minimum of %v", [id, security.shown(least - 0.0025), security.points_word(least - 0.0025), least]) in r.tracks.standard.reasons
	}
}

test_min_metric_points_is_a_parameter if {
	t := json.patch(full, [{"op": "replace", "path": sprintf("/tracks/standard/metrics/%s/points", [metric_ids[0]]), "value": 0}])
	r := security.result with input as t
		with data.security.min_metric_points as 0
	r.qualified
}

test_min_total_points_is_a_parameter if {
	r := security.result with input as exact_bar
		with data.security.min_total_points as bar + 1
	not r.qualified
}

test_the_plan_needs_the_same_bars if {
	r := security.result with input as zero
	r.tracks.standard.needs.total == bar
	r.tracks.standard.needs.metrics == {id: least | some id in metric_ids}
}

test_shown_points_never_reach_a_bar_they_are_under if {
	security.shown(69.9975) == 69.99
	security.shown(0.29) == 0.29
	security.points_word(1) == "point"
	security.points_word(0.99) == "points"
}

# A zero is explained by the prerequisite steps that lack people, with the
# step's size and certifications read from the parameters.
test_missing_prerequisite_people_say_who_is_needed if {
	p := data.security.certification_steps.prerequisites[0]
	codes := sort([code | some c in data.security.certifications; c.step == p.step; some code in c.codes])

	# The people of steps 1, 2, ... in order, then the scoring step's.
	steps := array.concat(
		[n |
			some q in data.security.certification_steps.prerequisites
			n := q.min_people - to_number(q.step == p.step)
		],
		[3],
	)
	t := json.patch(full, [{"op": "replace", "path": "/tracks/standard/metrics/intermediate_certifications", "value": {"value": 3, "points": 0, "prerequisites_met": false, "steps": steps}}])
	r := security.result with input as t
	want := sprintf("intermediate_certifications has 0 points, under the minimum of %v: needs %v people with a step %v certification (%s), has %v", [least, p.min_people, p.step, concat(" or ", codes), p.min_people - 1])
	want in r.tracks.standard.reasons
}

test_a_retired_certification_is_named_with_its_last_day if {
	p := data.security.certification_steps.prerequisites[0]
	steps := array.concat([0 | some _ in data.security.certification_steps.prerequisites], [3])
	t := json.patch(full, [{"op": "replace", "path": "/tracks/standard/metrics/intermediate_certifications", "value": {"value": 3, "points": 0, "prerequisites_met": false, "steps": steps}}])
	r := security.result with input as t
		with data.security.certifications as [{"name": "Old", "codes": ["OLD-1"], "step": p.step, "eligible_until": "2024-06-30"}]
	some line in r.tracks.standard.reasons
	contains(line, sprintf("needs %v people with a step %v certification (OLD-1 until 2024-06-30), has 0", [p.min_people, p.step]))
}
