package business_applications_test

import data.business_applications

# Bars, maxima and the classification bar come from params.yaml
# (data.business_applications): these tests pin how the policy classifies and
# combines, not the shipped numbers.
bar := data.business_applications.min_total_points

least := data.business_applications.min_metric_points

class := data.business_applications.classification

tracks := data.business_applications.tracks

flat(v, p) := {"value": v, "points": p}

track_points(t, scale) := {"metrics": {id: flat(1, m.max_points * scale) | some id, m in tracks[t].metrics}}

# Both tracks computed, with K(M) and K(B) as given.
input_with(k, kb, e, s) := {
	"tracks": {"enterprise": track_points("enterprise", e), "smb": track_points("smb", s)},
	"partner": {"classification_count": k, "classification_baseline_count": kb},
}

test_enterprise_needs_both_months_at_the_bar if {
	r := business_applications.result with input as input_with(class.min_workloads, class.min_workloads, 1, 1)
	r.track == class.enterprise
	r.classification == {"track": class.enterprise, "count": class.min_workloads, "baseline_count": class.min_workloads}
}

test_one_month_under_the_bar_is_smb if {
	r1 := business_applications.result with input as input_with(class.min_workloads, class.min_workloads - 1, 1, 1)
	r1.track == class.otherwise
	r2 := business_applications.result with input as input_with(class.min_workloads - 1, class.min_workloads, 1, 1)
	r2.track == class.otherwise
}

test_only_the_classified_track_can_qualify if {
	# SMB has every point, but the partner is Enterprise and Enterprise has none.
	r := business_applications.result with input as input_with(class.min_workloads, class.min_workloads, 0, 1)
	not r.qualified
	r.track == class.enterprise
	r.score == 0
	not r.tracks.smb.qualified
	r.tracks.smb.score == sum([m.max_points | some m in tracks.smb.metrics])
	sprintf("the partner is classified %s: only that track can qualify", [class.enterprise]) in r.tracks.smb.reasons
	r.tracks.smb.needs.possible == false

	# The bars still say what the track would need, not a total of 0.
	r.tracks.smb.needs.total == data.business_applications.min_total_points
	r.tracks.enterprise.classified
	not r.tracks.smb.classified
}

test_full_marks_on_the_classified_track_qualify if {
	r := business_applications.result with input as input_with(0, 0, 0, 1)
	r.qualified
	r.track == class.otherwise
	r.tracks[class.otherwise].reasons == []
	r.tracks[class.otherwise].needs.total == bar
}

test_a_metric_under_its_minimum_blocks if {
	t := json.patch(input_with(0, 0, 0, 1), [{"op": "replace", "path": "/tracks/smb/metrics/deployments/points", "value": least - 0.0025}])
	r := business_applications.result with input as t
	not r.qualified
	sprintf("deployments has %v %s, under the minimum of %v", [business_applications.shown(least - 0.0025), business_applications.points_word(least - 0.0025), least]) in r.tracks.smb.reasons
}

test_the_total_bar_is_a_parameter if {
	r := business_applications.result with input as input_with(0, 0, 0, 1)
		with data.business_applications.min_total_points as 101
	not r.qualified
}

test_the_classification_bar_is_a_parameter if {
	r := business_applications.result with input as input_with(1, 1, 1, 1)
		with data.business_applications.classification.min_workloads as 1
	r.track == class.enterprise
}

test_the_maxima_add_up_to_100 if {
	every tr in tracks {
		sum([m.max_points | some m in tr.metrics]) == 100
	}
}

# A zero is explained by the baseline under the track's minimum, read from
# the parameters.
test_baseline_under_the_minimum_says_why if {
	every t, _ in tracks {
		least_mcv := tracks[t].usage_min_baseline_mcv
		base := input_with(class.min_workloads, class.min_workloads, 1, 1)
		patched := json.patch(base, [{"op": "replace", "path": sprintf("/tracks/%s/metrics/usage_growth", [t]), "value": {"value": 10, "points": 0, "reason": "below_baseline_minimum", "baseline_mcv": least_mcv - 1}}])
		r := business_applications.result with input as patched
		want := sprintf("usage_growth has 0 points, under the minimum of %v: MCV in the baseline month is %v, under the %s track's minimum of %v", [least, least_mcv - 1, t, least_mcv])
		want in r.tracks[t].reasons
	}
}
