package facts

import (
	"cmp"
	"fmt"
	"hash/maphash"
	"slices"
	"strconv"
	"strings"

	"golang.org/x/text/unicode/norm"
)

// idSet holds the ids met in a file, to find duplicates: by a 128-bit hash
// of each, not the id, so that a file of a million tenants does not keep a
// million strings (two ids share a hash with a chance of about n²/2¹²⁹).
type idSet struct {
	seeds [2]maphash.Seed
	lines map[[2]uint64]int
}

func newIDSet() *idSet {
	return &idSet{seeds: [2]maphash.Seed{maphash.MakeSeed(), maphash.MakeSeed()}, lines: map[[2]uint64]int{}}
}

// add records id at line; dup is true, with the first line, when it was
// met before.
func (s *idSet) add(id string, line int) (first int, dup bool) {
	k := [2]uint64{maphash.String(s.seeds[0], id), maphash.String(s.seeds[1], id)}
	if first, dup = s.lines[k]; !dup {
		s.lines[k] = line
	}
	return first, dup
}

// canonicalID is how ids are compared for duplicates: trimmed, a GUID in
// lower case without braces, any other name in Unicode NFC, so that one
// tenant written twice in different ways is found.
func canonicalID(s string) string {
	s = strings.TrimSpace(s)
	if g := strings.TrimSuffix(strings.TrimPrefix(s, "{"), "}"); isGUID(g) {
		return strings.ToLower(g)
	}
	return norm.NFC.String(s)
}

func isGUID(s string) bool {
	if len(s) != 36 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case i == 8 || i == 13 || i == 18 || i == 23:
			if c != '-' {
				return false
			}
		case c >= '0' && c <= '9', c >= 'a' && c <= 'f', c >= 'A' && c <= 'F':
		default:
			return false
		}
	}
	return true
}

func (v *validator) customerKeys() []string {
	keys := []string{"tenant", "name", "associations"}
	for _, s := range v.schema.Series {
		keys = append(keys, s.Name)
	}
	return keys
}

// customer reads customers[i]; ok is false when it has a problem.
func (v *validator) customer(c cursor, path *fieldPath) (Customer, bool, error) {
	before := len(v.problems)
	cust := Customer{Series: make([][]Entry, len(v.schema.Series))}
	defer func() { v.within = "" }()
	isObj, err := v.object(c, path, v.customerKeys(), []string{"tenant"}, func(key string, _, line int) error {
		switch key {
		case "tenant":
			var err error
			cust.Tenant, cust.Line, _, err = v.name(c, path.Key("tenant"))
			if cust.Tenant != "" {
				v.within = fmt.Sprintf("tenant %q", cust.Tenant)
			}
			return err
		case "name":
			var err error
			cust.Name, _, _, err = v.text(c, path.Key("name"))
			return err
		case "associations":
			return v.associations(c, path.Key("associations"), &cust)
		}
		si := v.schema.series(key)
		return v.series(c, path.Key(key), si, &cust)
	})
	if cust.Line == 0 && isObj {
		cust.Line = v.lineOfFirstProblem(before)
	}
	cust.canonical()
	return cust, err == nil && isObj && len(v.problems) == before && cust.Tenant != "", err
}

// canonical puts a customer's lists in one order, whatever the file's:
// associations by type, attributes and start; entries by their keys; rows
// by month. Nothing a rule computes or an explanation lists then depends on
// the order a file was written in.
func (c *Customer) canonical() {
	sortStable(c.Associations, func(a, b Association) int {
		return cmp.Or(strings.Compare(a.Type, b.Type), slices.Compare(a.Attrs, b.Attrs), strings.Compare(string(a.From), string(b.From)))
	})
	for _, entries := range c.Series {
		sortStable(entries, func(a, b Entry) int { return slices.Compare(a.Keys, b.Keys) })
		for i := range entries {
			sortStable(entries[i].Rows, func(a, b Row) int { return cmp.Compare(a.Month, b.Month) })
		}
	}
}

// sortStable sorts s stably, looking first whether it is sorted already:
// most files list rows by month, and a stable sort of millions of short
// sorted lists still costs a pass of moves each.
func sortStable[E any](s []E, cmp func(a, b E) int) {
	if !slices.IsSortedFunc(s, cmp) {
		slices.SortStableFunc(s, cmp)
	}
}

func (v *validator) lineOfFirstProblem(from int) int {
	if from < len(v.problems) {
		return v.problems[from].Line
	}
	return 0
}

func (v *validator) associationKeys() []string {
	keys := []string{"type", "from", "to"}
	for _, a := range v.schema.Attrs {
		keys = append(keys, a.Name)
	}
	return keys
}

func (v *validator) associations(c cursor, path *fieldPath, cust *Customer) error {
	i := 0
	return v.list(c, path, func() error {
		p := path.At(i)
		i++
		a, ok, err := v.association(c, p)
		if err != nil || !ok {
			return err
		}
		for _, b := range cust.Associations {
			if v.sameKind(&a, &b) && overlap(a, b) {
				v.errorf(a.Line, p, "tenant %q has two %s associations whose dates overlap (the other on line %d)", cust.Tenant, v.kindName(&a), b.Line)
			}
		}
		cust.Associations = append(cust.Associations, a)
		return nil
	})
}

// sameKind tells two associations that may not overlap: the same type, and
// for each distinguishing attribute the same value or one absent (an
// association without it stands for every value).
func (v *validator) sameKind(a, b *Association) bool {
	if a.Type != b.Type {
		return false
	}
	for i, at := range v.schema.Attrs {
		if at.Distinguishes && a.Attrs[i] != "" && b.Attrs[i] != "" && a.Attrs[i] != b.Attrs[i] {
			return false
		}
	}
	return true
}

func (v *validator) kindName(a *Association) string {
	name := a.Type
	for i, at := range v.schema.Attrs {
		if at.Distinguishes && a.Attrs[i] != "" {
			name += " " + a.Attrs[i]
		}
	}
	return name
}

// overlap tells whether two associations share a day; an open end ("") is
// later than any day.
func overlap(a, b Association) bool {
	before := func(x, y Date) bool { return y == "" || (x != "" && x <= y) }
	return before(a.From, b.To) && before(b.From, a.To)
}

func (v *validator) association(c cursor, path *fieldPath) (Association, bool, error) {
	before := len(v.problems)
	a := Association{Attrs: make([]string, len(v.schema.Attrs))}
	attrLines := make([]int, len(v.schema.Attrs))
	_, err := v.object(c, path, v.associationKeys(), []string{"type", "from"}, func(key string, _, line int) error {
		switch key {
		case "type":
			t, tl, ok, err := v.name(c, path.Key("type"))
			if ok && !slices.Contains(v.schema.Types, t) {
				v.errorf(tl, path.Key("type"), "unknown attribution type %q%s (want one of %s)", t, Suggest(t, v.schema.Types), strings.Join(v.schema.Types, ", "))
			}
			a.Type, a.Line = t, tl
			return err
		case "from":
			d, _, err := v.date(c, path.Key("from"))
			a.From = d
			return err
		case "to":
			d, _, err := v.date(c, path.Key("to"))
			a.To = d
			return err
		}
		ai := slices.IndexFunc(v.schema.Attrs, func(x Attr) bool { return x.Name == key })
		at := &v.schema.Attrs[ai]
		attrLines[ai] = line
		if at.Kind == Text {
			s, _, ok, err := v.name(c, path.Key(key))
			if ok {
				a.Attrs[ai] = s
			}
			return err
		}
		x, ok, err := v.number(c, path.Key(key), Integer)
		if ok {
			a.Attrs[ai] = strconv.FormatInt(x, 10)
		}
		return err
	})
	if err != nil {
		return a, false, err
	}
	if a.From != "" && a.To != "" && a.To < a.From {
		v.errorf(a.Line, path.Key("to"), "ends (%s) before it starts (%s)", a.To, a.From)
	}
	if a.Type != "" && slices.Contains(v.schema.Types, a.Type) {
		for i := range v.schema.Attrs {
			if a.Attrs[i] != "" {
				if msg := v.schema.Attrs[i].problem(a.Type, a.Attrs[i]); msg != "" {
					v.errorf(attrLines[i], path.Key(v.schema.Attrs[i].Name), "%s", msg)
				}
			}
		}
	}
	return a, len(v.problems) == before, nil
}

func (v *validator) series(c cursor, path *fieldPath, si int, cust *Customer) error {
	s := &v.schema.Series[si]
	keys := append(slices.Clone(s.Keys), s.Rows)
	seen := map[string]int{}
	i := 0
	return v.list(c, path, func() error {
		p := path.At(i)
		i++
		e := Entry{Keys: make([]string, len(s.Keys))}
		before := len(v.problems)
		keysOK := true
		_, err := v.object(c, p, keys, s.Keys[:1], func(key string, _, line int) error {
			if key == s.Rows {
				return v.rows(c, p.Key(key), s, &e, cust)
			}
			k := slices.Index(s.Keys, key)
			name, _, ok, err := v.name(c, p.Key(key))
			e.Keys[k] = name
			keysOK = keysOK && ok
			if k == 0 {
				e.Line = line
			}
			return err
		})
		if err != nil || !keysOK || e.Keys[0] == "" {
			return err
		}
		// An entry listed twice is said even when its rows have problems
		// of their own: every problem of the file is listed.
		id := strings.Join(e.Keys, "\x00")
		if first, dup := seen[id]; dup {
			v.errorf(e.Line, p.Key(s.Keys[0]), "tenant %q lists %s %s twice (first on line %d)", cust.Tenant, s.Noun, describeKeys(s, e.Keys), first)
			return nil
		}
		seen[id] = e.Line
		if len(v.problems) > before {
			return nil
		}
		// Checks run once the entry is read whole: its keys may follow
		// its rows.
		for ri, r := range e.Rows {
			for _, ck := range s.Checks {
				if ck.holds(s, r.Values) {
					v.warnf(ck.Kind, "", r.Line, p.Key(s.Rows).At(ri), "%s", ck.say(s, e.Keys, r.Values, cust.Tenant, r.Month))
					v.warnings[len(v.warnings)-1].Series = s.Name
				}
			}
		}
		if s.Used != nil && !slices.Contains(s.Used, e.Keys[0]) {
			k := [2]string{s.Name, e.Keys[0]}
			hint, ok := v.ignored[k]
			if !ok {
				hint = [2]string{Suggest(e.Keys[0], s.Used), SameNameOrSuggest(e.Keys[0], s.Used)}
				if v.ignored == nil {
					v.ignored = map[[2]string][2]string{}
				}
				v.ignored[k] = hint
			}
			v.warnf(s.Noun+"s ignored", e.Keys[0], e.Line, p.Key(s.Keys[0]), "%s %q of tenant %q is not an eligible %s and is ignored%s",
				s.Noun, e.Keys[0], cust.Tenant, s.Noun, hint[0])
			v.warnings[len(v.warnings)-1].Hint = hint[1]
			v.warnings[len(v.warnings)-1].Series = s.Name
		}
		cust.Series[si] = append(cust.Series[si], e)
		return nil
	})
}

// describeKeys names an entry by its keys: "Teams", or "Azure Firewall
// (offer_type Trial)".
func describeKeys(s *Series, keys []string) string {
	out := strconv.Quote(keys[0])
	var more []string
	for i := 1; i < len(keys); i++ {
		if keys[i] != "" {
			more = append(more, s.Keys[i]+" "+keys[i])
		}
	}
	if len(more) > 0 {
		out += " (" + strings.Join(more, ", ") + ")"
	}
	return out
}

func (v *validator) rows(c cursor, path *fieldPath, s *Series, e *Entry, cust *Customer) error {
	kr, ok := v.rowKeys[s]
	if !ok {
		kr = [2][]string{{"month"}, {"month"}}
		for _, m := range s.Measures {
			kr[0] = append(kr[0], m.Name)
			if m.Required {
				kr[1] = append(kr[1], m.Name)
			}
		}
		if v.rowKeys == nil {
			v.rowKeys = map[*Series][2][]string{}
		}
		v.rowKeys[s] = kr
	}
	keys, required := kr[0], kr[1]
	// Rows and their values are gathered in the validator's scratch and
	// copied out once, at their exact size: an entry's rows cost two
	// allocations, not a slice each and a series of growths. The scratch
	// is kept for the next entry unless an entry of very many rows grew it.
	n := len(s.Measures)
	rows, vals := v.rowBuf[:0], v.valBuf[:0]
	if cap(v.cur) < n {
		v.cur = make([]int64, n)
	}
	cur := v.cur[:n]
	defer func() {
		if cap(rows) <= maxScratchRows {
			v.rowBuf, v.valBuf = rows[:0], vals[:0]
		}
	}()
	// Months seen, in a map once an entry has many rows (a scan of a few
	// dozen is cheaper; of thousands it is not).
	var seen map[Month]int
	ascending := true
	i := 0
	err := v.list(c, path, func() error {
		p := path.At(i)
		i++
		clear(cur)
		r := Row{}
		before := len(v.problems)
		hasMonth := false
		// One path node for every key of the row: a path is made into
		// text as soon as a problem names it, so the node can be reused.
		kp := p.Key("")
		_, err := v.object(c, p, keys, required, func(key string, at, line int) error {
			kp.key = key
			if at == 0 { // month
				var err error
				r.Month, hasMonth, err = v.month(c, kp)
				r.Line = line
				return err
			}
			mi := at - 1 // keys are month, then the measures in order
			x, _, err := v.number(c, kp, s.Measures[mi].Kind)
			cur[mi] = x
			return err
		})
		if err != nil || len(v.problems) > before || !hasMonth {
			return err
		}
		// Rows in month order so far (as exports write them) cannot
		// repeat a month: it is looked for once the order breaks.
		ascending = ascending && (len(rows) == 0 || r.Month > rows[len(rows)-1].Month)
		if !ascending {
			if seen == nil && len(rows) >= 64 {
				seen = make(map[Month]int, 2*len(rows))
				for _, x := range rows {
					seen[x.Month] = x.Line
				}
			}
			first, dup := seen[r.Month]
			if seen == nil {
				first, dup = rowLine(rows, r.Month)
			}
			if dup {
				v.errorf(r.Line, p.Key("month"), "%s %s has two %s rows for %s (first on line %d)", s.Noun, describeKeys(s, e.Keys), s.Rows, r.Month, first)
				return nil
			}
			if seen != nil {
				seen[r.Month] = r.Line
			}
		}
		rows = append(rows, r)
		vals = append(vals, cur...)
		return nil
	})
	if len(rows) > 0 {
		e.Rows = slices.Clone(rows)
		if n > 0 {
			slab := slices.Clone(vals)
			for i := range e.Rows {
				e.Rows[i].Values = slab[i*n : (i+1)*n : (i+1)*n]
			}
		}
	}
	return err
}

// maxScratchRows bounds the rows scratch a validator keeps between
// entries (an entry of a million rows would pin 40 MB for the whole file).
const maxScratchRows = 1 << 12

// rowLine is the line of the row of month m among rows, if there is one.
func rowLine(rows []Row, m Month) (int, bool) {
	for i := range rows {
		if rows[i].Month == m {
			return rows[i].Line, true
		}
	}
	return 0, false
}

// holds evaluates the check's comparison on a row.
func (ck *Check) holds(s *Series, values []int64) bool {
	l, r := ck.operand(s, values, ck.Left), ck.operand(s, values, ck.Right)
	switch ck.Op {
	case ">":
		return l > r
	case ">=":
		return l >= r
	case "<":
		return l < r
	case "<=":
		return l <= r
	case "==":
		return l == r
	case "!=":
		return l != r
	}
	return false
}

func (ck *Check) operand(s *Series, values []int64, name string) int64 {
	if i := slices.IndexFunc(s.Measures, func(m Measure) bool { return m.Name == name }); i >= 0 {
		return values[i]
	}
	x, _ := strconv.ParseInt(name, 10, 64)
	return x
}

// say fills the check's message: {measure}, {key}, {tenant}, {month}.
func (ck *Check) say(s *Series, keys []string, values []int64, tenant string, m Month) string {
	args := []string{"{tenant}", strconv.Quote(tenant), "{month}", m.String()}
	for i, k := range s.Keys {
		args = append(args, "{"+k+"}", strconv.Quote(keys[i]))
	}
	for i, ms := range s.Measures {
		text := strconv.FormatInt(values[i], 10)
		if ms.Kind == Cents {
			text = FormatCents(values[i])
		}
		args = append(args, "{"+ms.Name+"}", text)
	}
	return strings.NewReplacer(args...).Replace(ck.Says)
}

// FormatCents writes an amount of cents as dollars: 1250.40, -0.05.
func FormatCents(c int64) string { return string(AppendCents(nil, c)) }

// AppendCents appends an amount of cents as dollars with two decimals.
func AppendCents(b []byte, c int64) []byte {
	if c < 0 {
		b, c = append(b, '-'), -c
	}
	b = strconv.AppendInt(b, c/100, 10)
	return append(b, '.', byte('0'+c%100/10), byte('0'+c%10))
}

var personKeys = []string{"id", "name", "certifications"}

func (v *validator) people(c cursor, f *File) error {
	ids := newIDSet()
	i := 0
	return v.list(c, root.Key("people"), func() error {
		path := root.Key("people").At(i)
		i++
		p, ok, err := v.person(c, path)
		if err != nil || p.ID == "" {
			return err
		}
		// A duplicate is said even of a person with other problems.
		if first, dup := ids.add(canonicalID(p.ID), p.Line); dup {
			v.errorf(p.Line, path.Key("id"), "duplicate person %q (first on line %d)", p.ID, first)
			return nil
		}
		if ok {
			f.People = append(f.People, p)
		}
		return nil
	})
}

func (v *validator) person(c cursor, path *fieldPath) (Person, bool, error) {
	before := len(v.problems)
	var p Person
	defer func() { v.within = "" }()
	_, err := v.object(c, path, personKeys, []string{"id"}, func(key string, _, line int) error {
		var err error
		switch key {
		case "id":
			p.ID, p.Line, _, err = v.name(c, path.Key("id"))
			if p.ID != "" {
				v.within = fmt.Sprintf("person %q", p.ID)
			}
		case "name":
			p.Name, _, _, err = v.text(c, path.Key("name"))
		default:
			i := 0
			err = v.list(c, path.Key("certifications"), func() error {
				cp := path.Key("certifications").At(i)
				i++
				cert, ok, err := v.certification(c, cp, p.ID)
				if ok {
					p.Certifications = append(p.Certifications, cert)
				}
				return err
			})
		}
		return err
	})
	return p, err == nil && len(v.problems) == before && p.ID != "", err
}

func (v *validator) certification(c cursor, path *fieldPath, person string) (Certification, bool, error) {
	before := len(v.problems)
	var cert Certification
	_, err := v.object(c, path, []string{"name", "earned", "expires"}, []string{"name"}, func(key string, _, line int) error {
		var err error
		switch key {
		case "name":
			cert.Name, cert.Line, _, err = v.name(c, path.Key("name"))
		case "earned":
			cert.Earned, _, err = v.date(c, path.Key("earned"))
		default:
			cert.Expires, _, err = v.date(c, path.Key("expires"))
		}
		return err
	})
	if err != nil || len(v.problems) > before {
		return cert, false, err
	}
	if cert.Earned != "" && cert.Expires != "" && cert.Expires < cert.Earned {
		v.warnf("certifications that expire before they were earned", "", cert.Line, path.Key("expires"), "%s of person %q expires (%s) before it was earned (%s), so it never counts", cert.Name, person, cert.Expires, cert.Earned)
	}
	if like := SameName(cert.Name, v.schema.Certifications); like != "" {
		v.warnf("certifications that do not count as written", cert.Name, cert.Line, path.Key("name"), "certification %q of person %q is not an eligible name and does not count (did you mean %q?)", cert.Name, person, like)
		v.warnings[len(v.warnings)-1].Hint = like
	}
	return cert, true, nil
}
