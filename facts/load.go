package facts

import (
	"errors"
	"fmt"
	"path/filepath"
	"slices"
	"sort"
	"strings"

	"gopkg.in/yaml.v3"
)

// Vocabulary is what a policy bundle lets a fact file name. The facts package
// knows the shape of a fact file; the bundle knows which words are valid in it.
type Vocabulary struct {
	// AttributionTypes are the association types a file may use; any other is an error.
	AttributionTypes []string
	// EligibleWorkloads are the workloads that count; others are kept but
	// reported as ignored.
	EligibleWorkloads []string
	// Certifications are the names and codes of eligible certifications
	// (for generating fact files, and to point out a name written
	// carelessly; any name is valid in a fact file).
	Certifications []string
	// Tiers are the tiers an association of a type may carry; a type not
	// listed carries none.
	Tiers map[string][]int64
}

// tierProblem says what is wrong with an association's tier ("" if
// nothing): a tier on a type that has none, or one not allowed.
func (v *Vocabulary) tierProblem(typ string, tier int) string {
	if tier == 0 {
		return ""
	}
	allowed := v.Tiers[typ]
	if slices.Contains(allowed, int64(tier)) {
		return ""
	}
	if len(allowed) == 0 {
		var with []string
		for t := range v.Tiers {
			with = append(with, t)
		}
		slices.Sort(with)
		if len(with) == 0 {
			return fmt.Sprintf("a %s association has no tier", typ)
		}
		return fmt.Sprintf("a %s association has no tier (only %s associations do)", typ, strings.Join(with, ", "))
	}
	var want []string
	for _, t := range allowed {
		want = append(want, fmt.Sprint(t))
	}
	return fmt.Sprintf("%s has no tier %d (want %s)", typ, tier, strings.Join(want, " or "))
}

// IsJSON tells a JSON fact file from YAML: by the name (".json"), or else by
// a '{' first in head, the file's first bytes.
func IsJSON(name string, head []byte) bool {
	trimmed := strings.TrimLeft(string(head[:min(len(head), 64)]), " \t\r\n\ufeff")
	return strings.EqualFold(filepath.Ext(name), ".json") || strings.HasPrefix(trimmed, "{")
}

// Parse validates one fact file's content. name is used in messages and to
// tell JSON (".json") from YAML; content starting with '{' is read as JSON
// too. On any problem it returns Problems listing all of them, and no File.
func Parse(name string, data []byte, vocab Vocabulary) (*File, error) {
	return ParseAt(name, 1, data, vocab)
}

// ParseAt is Parse for a document that starts on line firstLine of its
// input (a line of JSON Lines).
func ParseAt(name string, firstLine int, data []byte, vocab Vocabulary) (*File, error) {
	root, err := parseTree(name, firstLine, data, IsJSON(name, data))
	if err != nil {
		var le *lineError
		if errors.As(err, &le) {
			return nil, Problems{{File: name, Line: le.line, Message: le.msg}}
		}
		return nil, Problems{{File: name, Message: err.Error()}}
	}
	w := &walker{file: name, vocab: &vocab}
	f := w.file_(root, vocab)
	if len(w.problems) > 0 {
		sort.SliceStable(w.problems, func(i, j int) bool { return w.problems[i].Line < w.problems[j].Line })
		return nil, w.problems
	}
	f.Name = name
	f.Warnings = w.warnings
	return f, nil
}

// topKeys are the keys of a fact file; partner is required.
var topKeys = []string{"partner", "month", "as_of", "customers", "people"}

func (w *walker) file_(root *yaml.Node, vocab Vocabulary) *File {
	f := &File{}
	top := w.fields(root, "", topKeys, []string{"partner"})
	if top == nil {
		return f
	}
	for _, k := range []string{"partner", "month", "as_of"} {
		if top[k] != nil {
			w.header(f, k, top[k])
		}
	}
	tenants := map[string]int{}
	for i, n := range w.sequence(top["customers"], "customers") {
		if c, ok := w.addCustomer(n, i, vocab, tenants); ok {
			f.Customers = append(f.Customers, c)
		}
	}
	w.people(f, top["people"])
	return f
}

// header reads one of the file's partner, month and as_of keys.
func (w *walker) header(f *File, key string, n *yaml.Node) {
	switch key {
	case "partner":
		if p := w.fields(n, "partner", []string{"id", "name"}, []string{"id"}); p != nil {
			f.Partner.ID, _ = w.str(p["id"], "partner.id")
			if p["name"] != nil {
				f.Partner.Name = w.label(p["name"], "partner.name")
			}
		}
	case "month":
		f.Month, f.HasMonth = w.month(n, "month")
	case "as_of":
		f.AsOf, _ = w.date(n, "as_of")
	}
}

// addCustomer reads customers[i] and checks its tenant id is new.
func (w *walker) addCustomer(n *yaml.Node, i int, vocab Vocabulary, seen map[string]int) (Customer, bool) {
	c := w.customer(n, index("customers", i), vocab)
	if c.Tenant == "" {
		return c, false
	}
	if first, dup := seen[c.Tenant]; dup {
		w.errorf(n, index("customers", i)+".tenant", "duplicate tenant %q (first on line %d)", c.Tenant, first)
		return c, false
	}
	seen[c.Tenant] = c.Line
	return c, true
}

// people reads the people list.
func (w *walker) people(f *File, n *yaml.Node) {
	ids := map[string]int{}
	for i, pn := range w.sequence(n, "people") {
		p := w.person(pn, index("people", i))
		if p.ID == "" {
			continue
		}
		if first, dup := ids[p.ID]; dup {
			w.errorf(pn, index("people", i)+".id", "duplicate person %q (first on line %d)", p.ID, first)
			continue
		}
		ids[p.ID] = p.Line
		f.People = append(f.People, p)
	}
}

func (w *walker) customer(n *yaml.Node, path string, vocab Vocabulary) Customer {
	c := Customer{Line: line(n)}
	fs := w.fields(n, path, []string{"tenant", "name", "associations", "workloads"}, []string{"tenant"})
	if fs == nil {
		return c
	}
	c.Tenant, _ = w.str(fs["tenant"], path+".tenant")
	if c.Tenant != "" {
		w.within = fmt.Sprintf("tenant %q", c.Tenant)
		defer func() { w.within = "" }()
	}
	if fs["name"] != nil {
		c.Name = w.label(fs["name"], path+".name")
	}
	for i, an := range w.sequence(fs["associations"], path+".associations") {
		if a, ok := w.association(an, index(path+".associations", i), vocab); ok {
			for _, b := range c.Associations {
				if b.Type == a.Type && overlap(a, b) {
					w.errorf(an, index(path+".associations", i), "tenant %q has two %s associations whose dates overlap (the other on line %d)", c.Tenant, a.Type, b.Line)
				}
			}
			c.Associations = append(c.Associations, a)
		}
	}
	seen := map[string]int{}
	for i, wn := range w.sequence(fs["workloads"], path+".workloads") {
		wl := w.workload(wn, index(path+".workloads", i), c.Tenant)
		if wl.Name == "" {
			continue
		}
		if first, dup := seen[wl.Name]; dup {
			w.errorf(wn, index(path+".workloads", i)+".workload", "tenant %q lists workload %q twice (first on line %d)", c.Tenant, wl.Name, first)
			continue
		}
		seen[wl.Name] = wl.Line
		if !slices.Contains(vocab.EligibleWorkloads, wl.Name) {
			w.warnf("workloads ignored", wl.Name, wl.Line, index(path+".workloads", i)+".workload", "workload %q of tenant %q is not an eligible workload and is ignored%s", wl.Name, c.Tenant, Suggest(wl.Name, vocab.EligibleWorkloads))
		}
		c.Workloads = append(c.Workloads, wl)
	}
	return c
}

// overlap tells whether two associations share a day; an open end ("") is
// later than any day.
func overlap(a, b Association) bool {
	before := func(x, y Date) bool { return y == "" || (x != "" && x <= y) }
	return before(a.From, b.To) && before(b.From, a.To)
}

func (w *walker) association(n *yaml.Node, path string, vocab Vocabulary) (Association, bool) {
	a := Association{Line: line(n)}
	fs := w.fields(n, path, []string{"type", "tier", "from", "to"}, []string{"type", "from"})
	if fs == nil {
		return a, false
	}
	before := len(w.problems)
	if t, ok := w.str(fs["type"], path+".type"); ok {
		if !slices.Contains(vocab.AttributionTypes, t) {
			w.errorf(fs["type"], path+".type", "unknown attribution type %q%s (want one of %s)", t, Suggest(t, vocab.AttributionTypes), strings.Join(vocab.AttributionTypes, ", "))
		}
		a.Type = t
	}
	if fs["tier"] != nil {
		if t, ok := w.count(fs["tier"], path+".tier"); ok {
			a.Tier = int(t)
			if t < 1 {
				w.errorf(fs["tier"], path+".tier", "want a tier of 1 or more, got %d", t)
			} else if msg := vocab.tierProblem(a.Type, a.Tier); msg != "" && a.Type != "" {
				w.errorf(fs["tier"], path+".tier", "%s", msg)
			}
		}
	}
	a.From, _ = w.date(fs["from"], path+".from")
	if fs["to"] != nil && !isNull(fs["to"]) {
		a.To, _ = w.date(fs["to"], path+".to")
		if a.From != "" && a.To != "" && a.To < a.From {
			w.errorf(fs["to"], path+".to", "ends (%s) before it starts (%s)", a.To, a.From)
		}
	}
	return a, len(w.problems) == before
}

func (w *walker) workload(n *yaml.Node, path, tenant string) Workload {
	wl := Workload{Line: line(n)}
	fs := w.fields(n, path, []string{"workload", "usage"}, []string{"workload"})
	if fs == nil {
		return wl
	}
	wl.Name, _ = w.str(fs["workload"], path+".workload")
	rows := w.sequence(fs["usage"], path+".usage")
	months := make(map[Month]int, len(rows))
	wl.Usage = make([]Usage, 0, len(rows))
	for i, un := range rows {
		u, ok := quickUsage(un)
		if !ok {
			// The slow path names the field of every problem.
			upath := index(path+".usage", i)
			uf := w.fields(un, upath, usageKeys, usageKeys)
			if uf == nil {
				continue
			}
			m, mok := w.month(uf["month"], upath+".month")
			seats, sok := w.count(uf["paid_seats"], upath+".paid_seats")
			users, aok := w.count(uf["active_users"], upath+".active_users")
			if !mok || !sok || !aok {
				continue
			}
			u = Usage{Month: m, PaidSeats: seats, ActiveUsers: users, Line: line(un)}
		}
		m, seats, users := u.Month, u.PaidSeats, u.ActiveUsers
		upath := func() string { return index(path+".usage", i) }
		if first, dup := months[m]; dup {
			w.errorf(un, upath()+".month", "workload %q has two usage rows for %s (first on line %d)", wl.Name, m, first)
			continue
		}
		months[m] = u.Line
		if users > seats {
			w.warnf("usage rows with more active users than paid seats", "", u.Line, upath()+".active_users", "%d active users is more than the %d paid seats of workload %q of tenant %q in %s", users, seats, wl.Name, tenant, m)
		}
		wl.Usage = append(wl.Usage, u)
	}
	return wl
}

var usageKeys = []string{"month", "paid_seats", "active_users"}

// quickUsage reads a usage row that is plainly valid (the three keys once
// each, a month, two small whole numbers) without building messages; any
// other row takes the slow path that explains what is wrong. Fact files
// hold millions of rows.
func quickUsage(n *yaml.Node) (Usage, bool) {
	n = resolve(n)
	if n == nil || n.Kind != yaml.MappingNode || len(n.Content) != 6 {
		return Usage{}, false
	}
	u := Usage{Line: n.Line}
	seen := 0
	for i := 0; i < 6; i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		if v.Kind != yaml.ScalarNode {
			return Usage{}, false
		}
		switch k.Value {
		case "month":
			m, err := ParseMonth(v.Value)
			if err != nil || v.Tag != "!!str" {
				return Usage{}, false
			}
			u.Month, seen = m, seen|1
		case "paid_seats", "active_users":
			x, ok := smallCount(v)
			if !ok {
				return Usage{}, false
			}
			if k.Value == "paid_seats" {
				u.PaidSeats, seen = x, seen|2
			} else {
				u.ActiveUsers, seen = x, seen|4
			}
		default:
			return Usage{}, false
		}
	}
	return u, seen == 7
}

// smallCount reads a plain decimal whole number of at most 15 digits.
func smallCount(v *yaml.Node) (int64, bool) {
	s := v.Value
	if v.Tag != "!!int" || len(s) == 0 || len(s) > 15 {
		return 0, false
	}
	var x int64
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < '0' || c > '9' {
			return 0, false
		}
		x = x*10 + int64(c-'0')
	}
	return x, true
}

func (w *walker) person(n *yaml.Node, path string) Person {
	p := Person{Line: line(n)}
	fs := w.fields(n, path, []string{"id", "name", "certifications"}, []string{"id"})
	if fs == nil {
		return p
	}
	p.ID, _ = w.str(fs["id"], path+".id")
	if p.ID != "" {
		w.within = fmt.Sprintf("person %q", p.ID)
		defer func() { w.within = "" }()
	}
	if fs["name"] != nil {
		p.Name = w.label(fs["name"], path+".name")
	}
	for i, cn := range w.sequence(fs["certifications"], path+".certifications") {
		cpath := index(path+".certifications", i)
		cf := w.fields(cn, cpath, []string{"name", "earned", "expires"}, []string{"name"})
		if cf == nil {
			continue
		}
		c := Certification{Line: line(cn)}
		c.Name, _ = w.str(cf["name"], cpath+".name")
		if cf["earned"] != nil && !isNull(cf["earned"]) {
			d, _ := w.date(cf["earned"], cpath+".earned")
			c.Earned = string(d)
		}
		if cf["expires"] != nil && !isNull(cf["expires"]) {
			d, _ := w.date(cf["expires"], cpath+".expires")
			c.Expires = string(d)
		}
		if c.Earned != "" && c.Expires != "" && c.Expires < c.Earned {
			w.warnf("certifications that expire before they were earned", "", c.Line, cpath+".expires", "%s of person %q expires (%s) before it was earned (%s), so it never counts", c.Name, p.ID, c.Expires, c.Earned)
		}
		if like := SameName(c.Name, w.vocab.Certifications); like != "" {
			w.warnf("certification names written differently", c.Name, c.Line, cpath+".name", "certification %q of person %q is not an eligible name and does not count (did you mean %q?)", c.Name, p.ID, like)
		}
		p.Certifications = append(p.Certifications, c)
	}
	return p
}
