package facts

// File is one partner's fact file after validation (SPEC §5, FACTS.md).
type File struct {
	Name      string
	Partner   Partner
	Month     Month // reporting month; valid only when HasMonth
	HasMonth  bool
	AsOf      Date // evaluation date; "" when the file gives none
	AsOfLine  int
	Customers []Customer
	People    []Person
	// Latest is the latest month of any row of any series, when HasRows;
	// LatestOf the latest of each series that has rows, by name.
	Latest   Month
	HasRows  bool
	LatestOf map[string]Month
	// Warnings are things worth telling the user that do not stop scoring,
	// such as ignored workloads.
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
	// Series holds the tenant's entries of each series of the schema, in
	// the schema's order.
	Series [][]Entry
}

// Association links the partner to a tenant with an attribution type for a
// span of days. To is "" while the association is open.
type Association struct {
	Type string
	// Attrs are the association's attributes in the schema's order, as
	// written ("" when absent).
	Attrs []string
	From  Date
	To    Date
	Line  int
}

// InEffect tells whether the association covers day d.
func (a *Association) InEffect(d Date) bool {
	return a.From <= d && (a.To == "" || a.To >= d)
}

// Entry is one entry of a series (a workload, a service) with its rows.
type Entry struct {
	// Keys are the entry's key fields in the series' order ("" absent).
	Keys []string
	Line int
	Rows []Row
}

// Row is an entry's measures in one month, in the series' order (cents for
// money).
type Row struct {
	Month  Month
	Values []int64
	Line   int
}

// Person is someone at the partner who may hold certifications.
type Person struct {
	ID             string
	Name           string
	Certifications []Certification
	Line           int
}

// Certification is one certification or exam a person holds. Earned and
// Expires are "YYYY-MM-DD", or "" when the file gives none.
type Certification struct {
	Name    string
	Earned  Date
	Expires Date
	Line    int
}
