package facts

// File is one partner's fact file after validation (SPEC §5).
type File struct {
	Name      string
	Partner   Partner
	Month     Month // reporting month; valid only when HasMonth
	HasMonth  bool
	AsOf      Date // evaluation date; "" when the file gives none
	Customers []Customer
	People    []Person
	// Warnings are things worth telling the user that do not stop scoring,
	// such as active users above paid seats or ignored workloads.
	Warnings []Problem
}

// Partner names whose facts these are.
type Partner struct {
	ID   string `json:"id"`
	Name string `json:"name,omitempty"`
}

// Customer is one customer tenant of the partner.
type Customer struct {
	Tenant       string
	Name         string
	Line         int
	Associations []Association
	Workloads    []Workload
}

// Association links the partner to a tenant with an attribution type for a
// span of days. To is "" while the association is open.
type Association struct {
	Type string
	Tier int
	From Date
	To   Date
	Line int
}

// Workload is one product workload of a tenant with its monthly usage.
type Workload struct {
	Name  string
	Line  int
	Usage []Usage
}

// Usage is a workload's paid seats and active users in one month.
type Usage struct {
	Month       Month
	PaidSeats   int64
	ActiveUsers int64
	Line        int
}

// Person is someone at the partner who may hold certifications. It is visible
// to the CEL person rules as `person`.
type Person struct {
	ID             string          `cel:"id"`
	Name           string          `cel:"name"`
	Certifications []Certification `cel:"certifications"`
	Line           int             `cel:"-"`
}

// Certification is one certification or exam a person holds. Earned and
// Expires are "YYYY-MM-DD" or "" when the file gives none.
type Certification struct {
	Name    string `cel:"name"`
	Earned  string `cel:"earned"`
	Expires string `cel:"expires"`
	Line    int    `cel:"-"`
}
