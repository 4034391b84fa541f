package facts

// testSchema is the union of what the shipped designations declare, as a
// fixed value for the reader's tests.
var testSchema = &Schema{
	Series: []Series{
		{Name: "workloads", Keys: []string{"workload"}, Rows: "usage", Noun: "workload",
			Measures: []Measure{{Name: "paid_seats", Kind: Count, Required: true}, {Name: "active_users", Kind: Count, Required: true}},
			Checks: []Check{{Left: "active_users", Op: ">", Right: "paid_seats", Kind: "usage rows with more active users than paid seats",
				Says: "{active_users} active users is more than the {paid_seats} paid seats of workload {workload} of tenant {tenant} in {month}"}},
			Used: []string{"Exchange", "Intune", "SharePoint", "Teams"}},
		{Name: "azure", Keys: []string{"service", "offer_type"}, Rows: "usage", Noun: "Azure service",
			Measures: []Measure{{Name: "acr_usd", Kind: Cents, Required: true}}},
		{Name: "business_apps", Keys: []string{"workload"}, Rows: "usage", Noun: "Business Applications workload",
			Measures: []Measure{{Name: "revenue_usd", Kind: Cents}, {Name: "active_users", Kind: Count}, {Name: "capacity", Kind: Count}},
			Used:     []string{"Sales", "Power BI"}},
	},
	Attrs: []Attr{
		{Name: "tier", Kind: Integer, Values: map[string][]string{"CSP": {"1", "2"}}},
		{Name: "role", Kind: Text, Values: map[string][]string{"CPOR": {"OSA", "OSU", "RevRec", "RevRecPerformance"}}, Distinguishes: true},
	},
	Types:          []string{"CPOR", "CSP", "DPOR", "PAL"},
	Certifications: []string{"MS-102", "MS-700", "AZ-104"},
}
