package digital_app_innovation_test

import data.digital_app_innovation

# Every bar and maximum comes from params.yaml (data.digital_app_innovation), so a program
# manager's edit of a number does not break these tests; they pin how the
# policy combines the numbers, not the numbers themselves.
bar := data.digital_app_innovation.min_total_points

least := data.digital_app_innovation.min_metric_points

metrics := data.digital_app_innovation.tracks.standard.metrics

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
	r := digital_app_innovation.result with input as full
	r.qualified
	r.track == "standard"
	r.score == sum([metrics[id].max_points | some id in metric_ids])
	r.tracks.standard.reasons == []
}

test_the_maxima_add_up_to_100 if {
	sum([metrics[id].max_points | some id in metric_ids]) == 100
}

test_exactly_the_bar_qualifies if {
	r := digital_app_innovation.result with input as exact_bar
	r.score == bar
	r.qualified
}

test_just_under_the_bar_does_not_qualify if {
	last := metric_ids[count(metric_ids) - 1]
	under := json.patch(exact_bar, [{"op": "replace", "path": sprintf("/tracks/standard/metrics/%s/points", [last]), "value": last_or_least(count(metric_ids) - 1) - 0.0025}])
	r := digital_app_innovation.result with input as under
	not r.qualified
	r.tracks.standard.reasons == [sprintf("total %v is under the minimum of %v points", [digital_app_innovation.shown(bar - 0.0025), bar])]
}

test_float_sum_at_the_bar_qualifies if {
	first := metric_ids[0]
	last := metric_ids[count(metric_ids) - 1]
	nudged := json.patch(exact_bar, [
		{"op": "replace", "path": sprintf("/tracks/standard/metrics/%s/points", [first]), "value": least + 0.1},
		{"op": "replace", "path": sprintf("/tracks/standard/metrics/%s/points", [last]), "value": last_or_least(count(metric_ids) - 1) - 0.1},
	])
	r := digital_app_innovation.result with input as nudged
	r.qualified
}

test_every_metric_under_its_minimum_blocks if {
	every id in metric_ids {
		t := json.patch(full, [{"op": "replace", "path": sprintf("/tracks/standard/metrics/%s/points", [id]), "value": least - 0.0025}])
		r := digital_app_innovation.result with input as t
		not r.qualified
		sprintf("%s has %v %s, under the minimum of %v", [id, digital_app_innovation.shown(least - 0.0025), digital_app_innovation.points_word(least - 0.0025), least]) in r.tracks.standard.reasons
	}
}

test_min_metric_points_is_a_parameter if {
	t := json.patch(full, [{"op": "replace", "path": sprintf("/tracks/standard/metrics/%s/points", [metric_ids[0]]), "value": 0}])
	r := digital_app_innovation.result with input as t
		with data.digital_app_innovation.min_metric_points as 0
	r.qualified
}

test_min_total_points_is_a_parameter if {
	r := digital_app_innovation.result with input as exact_bar
		with data.digital_app_innovation.min_total_points as bar + 1
	not r.qualified
}

test_the_plan_needs_the_same_bars if {
	r := digital_app_innovation.result with input as zero
	r.tracks.standard.needs.total == bar
	r.tracks.standard.needs.metrics == {id: least | some id in metric_ids}
}

test_shown_points_never_reach_a_bar_they_are_under if {
	digital_app_innovation.shown(69.9975) == 69.99
	digital_app_innovation.shown(0.29) == 0.29
	digital_app_innovation.points_word(1) == "point"
	digital_app_innovation.points_word(0.99) == "points"
}

# A zero is explained by the free keys the CEL extra sets, with the
# minimum read from the parameters.
test_below_minimum_acr_says_why if {
	t := json.patch(full, [{"op": "replace", "path": "/tracks/standard/metrics/usage_growth", "value": {"value": 50, "points": 0, "reason": "below_minimum", "ttm_usd": 999.99}}])
	r := digital_app_innovation.result with input as t
	want := sprintf("usage_growth has 0 points, under the minimum of %v: ACR over the trailing twelve months is 999.99 USD, under the minimum of %v USD", [least, data.digital_app_innovation.usage_min_ttm_acr_usd])
	want in r.tracks.standard.reasons
}

test_no_baseline_says_why if {
	t := json.patch(full, [{"op": "replace", "path": "/tracks/standard/metrics/usage_growth", "value": {"value": 0, "points": 0, "reason": "no_baseline", "baseline_ttm_usd": -100}}])
	r := digital_app_innovation.result with input as t
	some line in r.tracks.standard.reasons
	endswith(line, ": ACR over the twelve months ending in the baseline month is -100 USD, so growth is undefined")
}

test_missing_prerequisite_people_say_who_is_needed if {
	need := metrics.intermediate_certifications.min_people
	first := metrics.intermediate_certifications.prerequisites[0]
	steps := array.concat([need - 1], [need | some _ in array.slice(metrics.intermediate_certifications.prerequisites, 1, 9)])
	t := json.patch(full, [{"op": "replace", "path": "/tracks/standard/metrics/intermediate_certifications", "value": {"value": 3, "points": 0, "prerequisites_met": false, "steps": array.concat(steps, [3])}}])
	r := digital_app_innovation.result with input as t
	want := sprintf("intermediate_certifications has 0 points, under the minimum of %v: needs %v people with %s, has %v", [least, need, concat(" or ", first), need - 1])
	want in r.tracks.standard.reasons
}

test_a_retired_prerequisite_is_named_with_its_last_day if {
	need := metrics.intermediate_certifications.min_people
	first := metrics.intermediate_certifications.prerequisites[0]
	steps := array.concat([0], [need | some _ in array.slice(metrics.intermediate_certifications.prerequisites, 1, 9)])
	t := json.patch(full, [{"op": "replace", "path": "/tracks/standard/metrics/intermediate_certifications", "value": {"value": 3, "points": 0, "prerequisites_met": false, "steps": array.concat(steps, [3])}}])
	retired := [{"id": id, "eligible_until": "2024-07-31"} | some id in first]
	r := digital_app_innovation.result with input as t
		with data.digital_app_innovation.certifications as retired
	want := concat(" or ", [sprintf("%s until 2024-07-31", [id]) | some id in first])
	some line in r.tracks.standard.reasons
	contains(line, sprintf("needs %v people with %s, has 0", [need, want]))
}
