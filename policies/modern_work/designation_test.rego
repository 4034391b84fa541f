package modern_work_test

import data.modern_work

# Every bar and maximum comes from params.yaml (data.modern_work), so a
# program manager's edit of a number does not break these tests; they pin
# how the policy combines the numbers, not the numbers themselves.
bar := data.modern_work.min_total_points

least := data.modern_work.min_metric_points

tracks := data.modern_work.tracks

# A track-wide metric input.
flat(v, p) := {"value": v, "points": p}

# A track of tracks[t]'s metrics with the given points (in the order of
# metric_ids). Metrics scored per attribution type arrive already combined
# (rules.yaml, combine), so every metric is a value and its points.
metric_ids := ["net_customer_adds", "intermediate_certifications", "advanced_certifications", "usage_growth", "deployments"]

track_with(_, points) := {"metrics": {id: flat(1, points[i]) | some i, id in metric_ids}}

max_points(t) := [tracks[t].metrics[id].max_points | some id in metric_ids]

full(t) := track_with(t, max_points(t))

# Every metric at its minimum but the last, which makes the total exactly the bar.
exact_bar(t) := track_with(t, [least, least, least, least, bar - (4 * least)])

zero(t) := track_with(t, [0, 0, 0, 0, 0])

# "von 100 möglichen Punkten": each track's maxima make the 100 of the page.
test_the_maxima_add_up_to_100 if {
	every tr in tracks {
		sum([m.max_points | some m in tr.metrics]) == 100
	}
}

test_full_marks_qualify if {
	r := modern_work.result with input as {"tracks": {"enterprise": full("enterprise"), "smb": zero("smb")}}
	r.qualified
	r.track == "enterprise"
	r.score == sum(max_points("enterprise"))
	not r.tracks.smb.qualified
}

test_exactly_the_bar_qualifies if {
	r := modern_work.result with input as {"tracks": {"enterprise": exact_bar("enterprise"), "smb": zero("smb")}}
	r.tracks.enterprise.score == bar
	r.tracks.enterprise.qualified
	r.tracks.enterprise.reasons == []
}

test_just_under_the_bar_does_not_qualify if {
	r := modern_work.result with input as {"tracks": {"enterprise": track_with("enterprise", [least, least, least, least, (bar - (4 * least)) - 0.0025]), "smb": zero("smb")}}
	not r.qualified
	r.tracks.enterprise.reasons == [sprintf("total %v is under the minimum of %v points", [modern_work.shown(bar - 0.0025), bar])]
}

test_shown_points_never_reach_a_bar_they_are_under if {
	modern_work.shown(69.9975) == 69.99
	modern_work.shown(0.9975) == 0.99
	modern_work.shown(0.29) == 0.29
	modern_work.shown(70) == 70
}

# A whole number shows as itself, written as the formula writes it.
test_shown_whole_numbers_as_the_formula_shows_them if {
	every x in [0, 1, 70, 100, -3, 1000000000000000, 12.5, 69.9975] {
		sprintf("%v", [modern_work.shown(x)]) == sprintf("%v", [floor((x + 0.000000000001) * 100) / 100])
	}
}

test_float_sum_at_the_bar_qualifies if {
	# 0.1 + 0.2 style rounding must not push a true total under the bar.
	r := modern_work.result with input as {"tracks": {"enterprise": track_with("enterprise", [least, least, least, least + 0.1, (bar - (4 * least)) - 0.1]), "smb": zero("smb")}}
	r.tracks.enterprise.qualified
}

test_metric_under_minimum_blocks if {
	under := least - 0.0025
	t := json.patch(full("enterprise"), [{"op": "replace", "path": "/metrics/intermediate_certifications", "value": flat(0, under)}])
	r := modern_work.result with input as {"tracks": {"enterprise": t, "smb": zero("smb")}}
	not r.tracks.enterprise.qualified
	sprintf("intermediate_certifications has %v %s, under the minimum of %v", [modern_work.shown(under), modern_work.points_word(under), least]) in r.tracks.enterprise.reasons
	not r.qualified
	r.track == "enterprise"
}

test_one_point_is_singular if {
	modern_work.points_word(1) == "point"
	modern_work.points_word(0.99) == "points"
	modern_work.points_word(2) == "points"
}

test_min_metric_points_is_a_parameter if {
	t := json.patch(full("enterprise"), [{"op": "replace", "path": "/metrics/intermediate_certifications", "value": flat(0, 0)}])
	r := modern_work.result with input as {"tracks": {"enterprise": t, "smb": zero("smb")}}
		with data.modern_work.min_metric_points as 0
		with data.modern_work.min_total_points as 0
	r.qualified
}

test_min_total_points_is_a_parameter if {
	r := modern_work.result with input as {"tracks": {"enterprise": exact_bar("enterprise"), "smb": zero("smb")}}
		with data.modern_work.min_total_points as bar + 1
	not r.qualified
}

# Without a minimum per metric (min_metric_points: 0, the README's recipe)
# no track with the higher total can fail: nothing to compare.
test_qualifying_track_beats_higher_total if {
	[least == 0, qualifying_beats_higher][_]
}

default qualifying_beats_higher := false

qualifying_beats_higher if {
	# SMB has every point but one metric's; Enterprise qualifies with fewer.
	smb := json.patch(full("smb"), [{"op": "replace", "path": "/metrics/net_customer_adds", "value": flat(0, 0)}])
	r := modern_work.result with input as {"tracks": {"enterprise": exact_bar("enterprise"), "smb": smb}}
	r.tracks.smb.score > r.tracks.enterprise.score
	not r.tracks.smb.qualified
	r.track == "enterprise"
	r.qualified
}

test_higher_qualifying_total_wins if {
	r := modern_work.result with input as {"tracks": {"enterprise": exact_bar("enterprise"), "smb": full("smb")}}
	r.track == "smb"
	r.score == sum(max_points("smb"))
}

test_tie_goes_to_the_preferred_track if {
	r := modern_work.result with input as {"tracks": {"enterprise": zero("enterprise"), "smb": zero("smb")}}
	r.track == data.modern_work.track_preference[0]
	not r.qualified
	r.score == 0
}

test_tie_between_qualifying_goes_to_the_preferred_track if {
	r := modern_work.result with input as {"tracks": {"enterprise": full("enterprise"), "smb": full("enterprise")}}
	r.track == data.modern_work.track_preference[0]
}

test_no_qualifying_track_reports_higher_total if {
	r := modern_work.result with input as {"tracks": {"enterprise": zero("enterprise"), "smb": json.patch(zero("smb"), [{"op": "replace", "path": "/metrics/net_customer_adds", "value": flat(1, 2)}])}}
	r.track == "smb"
	r.score == 2
	not r.qualified
}
