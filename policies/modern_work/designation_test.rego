package modern_work_test

import data.modern_work

# A track-wide metric input.
flat(v, p) := {"value": v, "points": p}

# A full-marks enterprise track: 20 + 10 + 15 + 30 + 25 = 100.
full_enterprise := {"metrics": {
	"net_customer_adds": flat(5, 20),
	"intermediate_certifications": flat(4, 10),
	"advanced_certifications": flat(2, 15),
	"usage_growth": {"options": {"CPOR": flat(1000, 30), "DPOR": flat(0, 0)}},
	"deployments": {"options": {"CPOR": flat(5, 25), "DPOR": flat(0, 0)}},
}}

# Exactly 70 with every metric >= 1: 20 + 10 + 15 + 1 + 24.
exact_70 := {"metrics": {
	"net_customer_adds": flat(5, 20),
	"intermediate_certifications": flat(4, 10),
	"advanced_certifications": flat(2, 15),
	"usage_growth": {"options": {"CPOR": flat(34, 1), "DPOR": flat(0, 0)}},
	"deployments": {"options": {"CPOR": flat(5, 24), "DPOR": flat(0, 0)}},
}}

zero_smb := {"metrics": {
	"net_customer_adds": flat(0, 0),
	"intermediate_certifications": flat(0, 0),
	"advanced_certifications": flat(0, 0),
	"usage_growth": {"options": {"CPOR": flat(0, 0), "CSP": flat(0, 0)}},
	"deployments": {"options": {"CPOR": flat(0, 0), "CSP": flat(0, 0)}},
}}

test_full_marks_qualify if {
	r := modern_work.result with input as {"tracks": {"enterprise": full_enterprise, "smb": zero_smb}}
	r.qualified
	r.track == "enterprise"
	r.score == 100
	not r.tracks.smb.qualified
}

test_exactly_70_qualifies if {
	r := modern_work.result with input as {"tracks": {"enterprise": exact_70, "smb": zero_smb}}
	r.tracks.enterprise.score == 70
	r.tracks.enterprise.qualified
	r.tracks.enterprise.reasons == []
}

test_just_under_70_does_not_qualify if {
	under := json.patch(exact_70, [{"op": "replace", "path": "/metrics/deployments/options/CPOR/points", "value": 23.99}])
	r := modern_work.result with input as {"tracks": {"enterprise": under, "smb": zero_smb}}
	not r.qualified
	r.tracks.enterprise.reasons == ["total 69.99 is under the minimum of 70 points"]
}

test_float_sum_at_70_qualifies if {
	# 0.1 + 0.2 style rounding must not push a true 70 under the bar.
	t := json.patch(exact_70, [
		{"op": "replace", "path": "/metrics/usage_growth/options/CPOR/points", "value": 1.1},
		{"op": "replace", "path": "/metrics/deployments/options/CPOR/points", "value": 23.9},
	])
	r := modern_work.result with input as {"tracks": {"enterprise": t, "smb": zero_smb}}
	r.tracks.enterprise.qualified
}

test_metric_under_minimum_blocks if {
	t := json.patch(full_enterprise, [{"op": "replace", "path": "/metrics/intermediate_certifications", "value": {"value": 0, "points": 0}}])
	r := modern_work.result with input as {"tracks": {"enterprise": t, "smb": zero_smb}}
	r.tracks.enterprise.score == 90
	not r.tracks.enterprise.qualified
	r.tracks.enterprise.reasons == ["intermediate_certifications has 0 points, under the minimum of 1"]
	not r.qualified
	r.track == "enterprise"
}

test_min_metric_points_is_a_parameter if {
	t := json.patch(full_enterprise, [{"op": "replace", "path": "/metrics/intermediate_certifications", "value": {"value": 0, "points": 0}}])
	r := modern_work.result with input as {"tracks": {"enterprise": t, "smb": zero_smb}}
		with data.modern_work.min_metric_points as 0
	r.qualified
}

test_min_total_points_is_a_parameter if {
	r := modern_work.result with input as {"tracks": {"enterprise": exact_70, "smb": zero_smb}}
		with data.modern_work.min_total_points as 71
	not r.qualified
}

# SPEC §4: Enterprise usage, DPOR 2,000 -> 15 and CPOR 1,500 -> 45 capped at 30.
test_best_option_takes_most_points if {
	m := modern_work.metric_result("enterprise", "usage_growth", {"options": {"CPOR": flat(1500, 30), "DPOR": flat(2000, 15)}})
	m.option == "CPOR"
	m.points == 30
	m.value == 1500
	m.max_points == 30
}

test_option_tie_goes_to_higher_value if {
	modern_work.best_option({"CPOR": flat(1000, 30), "DPOR": flat(5000, 30)}) == "DPOR"
}

test_option_full_tie_goes_to_first_name if {
	modern_work.best_option({"CSP": flat(0, 0), "CPOR": flat(0, 0)}) == "CPOR"
}

test_qualifying_track_beats_higher_total if {
	# SMB has more points but a metric at 0; Enterprise qualifies with fewer.
	smb := json.patch(full_enterprise, [
		{"op": "replace", "path": "/metrics/usage_growth", "value": {"options": {"CPOR": flat(0, 0), "CSP": flat(0, 0)}}},
		{"op": "replace", "path": "/metrics/deployments", "value": {"options": {"CPOR": flat(0, 0), "CSP": flat(0, 0)}}},
		{"op": "replace", "path": "/metrics/net_customer_adds", "value": flat(50, 20)},
	])
	r := modern_work.result with input as {"tracks": {"enterprise": exact_70, "smb": json.patch(smb, [{"op": "replace", "path": "/metrics/deployments/options/CPOR", "value": flat(100, 25)}])}}
	r.tracks.smb.score == 70
	not r.tracks.smb.qualified
	r.track == "enterprise"
	r.qualified
}

test_higher_qualifying_total_wins if {
	r := modern_work.result with input as {"tracks": {"enterprise": exact_70, "smb": full_enterprise}}
	r.track == "smb"
	r.score == 100
}

test_tie_goes_to_enterprise if {
	r := modern_work.result with input as {"tracks": {"enterprise": zero_smb, "smb": zero_smb}}
	r.track == "enterprise"
	not r.qualified
	r.score == 0
	count(r.tracks.smb.reasons) == 6
}

test_tie_between_qualifying_goes_to_enterprise if {
	r := modern_work.result with input as {"tracks": {"enterprise": full_enterprise, "smb": full_enterprise}}
	r.track == "enterprise"
}

test_no_qualifying_track_reports_higher_total if {
	r := modern_work.result with input as {"tracks": {"enterprise": zero_smb, "smb": json.patch(zero_smb, [{"op": "replace", "path": "/metrics/net_customer_adds", "value": flat(1, 2)}])}}
	r.track == "smb"
	r.score == 2
	not r.qualified
}
