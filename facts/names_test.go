package facts

import "testing"

func TestSuggestTyped(t *testing.T) {
	t.Parallel()
	metrics := []string{"net_customer_adds", "intermediate_certifications", "advanced_certifications", "usage_growth", "deployments"}
	for _, c := range []struct{ got, want string }{
		{"deploymets", ` (did you mean "deployments"?)`}, // a typo
		{"Usage_Growth", ` (did you mean "usage_growth"?)`},
		{"deploy", ` (did you mean "deployments"?)`}, // cut short: the one name it begins
		{"usage", ` (did you mean "usage_growth"?)`},
		{"de", ""},             // too short to say
		{"certifications", ""}, // begins none
		{"deployments", ""},    // exact
		{"zzz", ""},
	} {
		if got := SuggestTyped(c.got, metrics); got != c.want {
			t.Errorf("SuggestTyped(%q) = %q, want %q", c.got, got, c.want)
		}
	}
	// A prefix of several names suggests none of them.
	if got := SuggestTyped("Viva", []string{"VivaEngage", "VivaInsights"}); got != "" {
		t.Errorf("SuggestTyped(Viva) = %q, want none", got)
	}
	// In data a shorter name is another product: no prefix hint.
	if got := Suggest("Microsoft365", []string{"Microsoft365Apps", "Teams"}); got != "" {
		t.Errorf("Suggest(Microsoft365) = %q, want none", got)
	}
}
