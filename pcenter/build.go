package pcenter

import (
	"fmt"
	"math/big"
	"slices"
	"strconv"
	"strings"

	"evaluate/facts"
	"evaluate/gen"

	"gopkg.in/yaml.v3"
)

// Partner is one partner of the exports (MPNId).
type Partner struct {
	ID string
	// Problems are the errors of the partner's rows: a partner with any
	// is not imported.
	Problems facts.Problems
	p        *partner
}

// Warnings are those of the partner's rows; they are complete once its
// fact file has been written.
func (p *Partner) Warnings() facts.Problems { return p.p.warnings }

// Partners are the partners of the exports, in id order. A problem with a
// file as a whole is returned as an error: nothing can be trusted.
func (im *Importer) Partners() ([]*Partner, error) {
	if len(im.fileErrs) > 0 {
		return nil, im.fileErrs
	}
	ids := slices.Sorted(mapKeys(im.partners))
	if len(im.people) > 0 && len(ids) == 0 {
		return nil, fmt.Errorf("%s: the certifications export names no partner: import it with the partner's other exports (OfficeUsage, AzureUsage or the CPOR usage report), which name it", strings.Join(im.peopleFiles, ", "))
	}
	if len(im.people) > 0 && len(ids) != 1 {
		return nil, fmt.Errorf("%s: the certifications export names no partner, and the other exports hold %d partners (%s): import one partner's exports at a time",
			strings.Join(im.peopleFiles, ", "), len(ids), strings.Join(ids, ", "))
	}
	out := make([]*Partner, len(ids))
	for i, id := range ids {
		p := im.partners[id]
		out[i] = &Partner{ID: id, Problems: p.problems, p: p}
	}
	return out, nil
}

// Facts calls fn with the fact file of each partner of ps (Partners) that
// has no problems, in id order (the others' warnings are gathered too).
// The fact's customers are made from the rows read back in order, a tenant
// at a time, as fn writes the fact (gen.Write): each fact can be written
// once, during its call. Facts can be called once; it ends the import
// (Close).
func (im *Importer) Facts(ps []*Partner, fn func(p *Partner, fact *gen.Object) error) error {
	defer im.Close()
	m, err := im.rows.merge()
	if err != nil {
		return err
	}
	for _, p := range ps {
		if err := m.skip(p.ID); err != nil {
			return err
		}
		if len(p.Problems) > 0 {
			// Not imported, but its tenants' warnings are said (two
			// tiers of a type in a month) as they were read.
			if err := m.tenants(p.ID, func(rows []row) error { im.gather(p.p, rows); return nil }); err != nil {
				return err
			}
			continue
		}
		customers := gen.Items(func(emit func(any) error) error {
			return m.tenants(p.ID, func(rows []row) error { return emit(im.customer(p.p, rows)) })
		})
		err := fn(p, im.fact(p.p, customers))
		if m.err != nil {
			return m.err // what failed, rather than the write it cut short
		}
		if err != nil {
			return err
		}
	}
	return nil
}

// Notices say what the import left out.
func (im *Importer) Notices() []string {
	var out []string
	for _, t := range slices.Sorted(mapKeys(im.dropped)) {
		out = append(out, fmt.Sprintf("%d %s of attribution type %q left out: no designation uses it (partner_center.attribution_types)", im.dropped[t], plural(im.dropped[t], "row", "rows"), t))
	}
	if im.dups > 0 {
		out = append(out, fmt.Sprintf("%d %s marked as a duplicate of a partner global account row left out", im.dups, plural(im.dups, "row", "rows")))
	}
	if im.inactive > 0 {
		out = append(out, fmt.Sprintf("%d %s of certifications whose status is not active left out", im.inactive, plural(im.inactive, "row", "rows")))
	}
	return out
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}

// fact is one partner's fact file: tenants, entries, rows and people in
// name order, so that the same exports always give the same file.
func (im *Importer) fact(p *partner, customers gen.Items) *gen.Object {
	partnerObj := (&gen.Object{}).Set("id", p.id)
	if p.name != "" {
		partnerObj.Set("name", p.name)
	}
	doc := (&gen.Object{}).Set("partner", partnerObj)
	if im.latest != 0 {
		doc.Set("month", im.latest.String())
	}
	doc.Set("customers", customers)
	people := []any{}
	for _, id := range slices.Sorted(mapKeys(im.people)) {
		pp := im.people[id]
		certs := []any{}
		slices.SortStableFunc(pp.certs, func(a, b cert) int { return strings.Compare(a.name+"\x00"+a.earned, b.name+"\x00"+b.earned) })
		for _, c := range pp.certs {
			o := (&gen.Object{}).Set("name", c.name)
			if c.earned != "" {
				o.Set("earned", c.earned)
			}
			if c.expires != "" {
				o.Set("expires", c.expires)
			}
			certs = append(certs, o)
		}
		people = append(people, (&gen.Object{}).Set("id", id).Set("certifications", certs))
	}
	doc.Set("people", people)
	return doc
}

// tenant is what a tenant's rows say, gathered in the order they were
// read: its name (the first given) and its types month by month.
type tenant struct {
	id, name string
	types    map[string]map[facts.Month]int64 // type -> month -> tier (0: none)
	claims   []claim
	// first is where each type's month was first read, for warnings.
	first map[string]map[facts.Month]*row
}

// claim is a claim's association date (a CPOR claim's DateAssociated): it
// is the from of the association of its type that starts in its month.
type claim struct {
	typ  string
	date facts.Date
}

// gather reads a tenant's rows in the order they were read. Two tiers of
// one type in a month are one association, of the higher tier (a warning
// says so).
func (im *Importer) gather(p *partner, rows []row) *tenant {
	t := &tenant{id: rows[0].tenant, types: map[string]map[facts.Month]int64{}, first: map[string]map[facts.Month]*row{}}
	read := make([]*row, len(rows))
	for i := range rows {
		read[i] = &rows[i]
	}
	slices.SortFunc(read, func(a, b *row) int {
		if a.file != b.file {
			return int(a.file - b.file)
		}
		return int(a.line - b.line)
	})
	for _, r := range read {
		if t.name == "" {
			t.name = r.name
		}
		byMonth := t.types[r.atype]
		if byMonth == nil {
			byMonth = map[facts.Month]int64{}
			t.types[r.atype] = byMonth
			t.first[r.atype] = map[facts.Month]*row{}
		}
		if _, ok := t.first[r.atype][r.month]; !ok {
			t.first[r.atype][r.month] = r
		}
		if prev, ok := byMonth[r.month]; !ok || prev != r.tier {
			if ok {
				p.warnings = append(p.warnings, facts.Problem{File: im.files[r.file], Line: int(r.line), Kind: "tenants with two tiers of one type in a month",
					Message: fmt.Sprintf("tenant %q is %s with tiers %d and %d in %s; tier %d is used", t.id, r.atype, prev, r.tier, r.month, max(prev, r.tier))})
			}
			byMonth[r.month] = max(byMonth[r.month], r.tier)
		}
		if r.claim != "" {
			t.claims = append(t.claims, claim{r.atype, r.claim})
		}
	}
	return t
}

// customer is a tenant's entry in the fact file, from its rows in merge
// order (by series, entry, month, type).
func (im *Importer) customer(p *partner, rows []row) *gen.Object {
	t := im.gather(p, rows)
	c := (&gen.Object{}).Set("tenant", t.id)
	if t.name != "" {
		c.Set("name", t.name)
	}
	c.Set("associations", im.associations(p, t))
	var recs []rec
	for lo := 0; lo < len(rows); {
		if rows[lo].series < 0 {
			lo++
			continue
		}
		se := &im.schema.Series[rows[lo].series]
		var list []any
		hi := lo
		for hi < len(rows) && rows[hi].series == rows[lo].series {
			// One entry's rows.
			e := hi
			recs = recs[:0]
			for e < len(rows) && rows[e].series == rows[hi].series && rows[e].key == rows[hi].key {
				recs = append(recs, rows[e].rec)
				e++
			}
			keys := strings.Split(rows[hi].key, "\x00")
			o := &gen.Object{}
			for i, k := range se.Keys {
				if i < len(keys) && keys[i] != "" {
					o.Set(k, keys[i])
				}
			}
			o.Set(se.Rows, rowList{recs: im.combine(p, t, keys[0], recs, se), se: se})
			list = append(list, o)
			hi = e
		}
		c.Set(se.Name, list)
		lo = hi
	}
	return c
}

// combine makes an entry's rows into one row a month. Rows of one
// attribution type add up (sum: Azure rows per subscription and meter) or
// repeat one value (same); a tenant's usage is listed once per type it is
// attributed with, so rows of different types must agree: when they do
// not, a warning names both rows and the larger value is used.
func (im *Importer) combine(p *partner, t *tenant, entry string, recs []rec, se *facts.Series) []rec {
	var out []rec
	disagree := func(i int, a, b *rec) {
		p.warnings = append(p.warnings, facts.Problem{File: im.files[b.file], Line: int(b.line), Kind: "export rows that disagree",
			Message: fmt.Sprintf("%s %s of tenant %q in %s: %s on %s, %s here; the larger is used",
				se.Measures[i].Name, entry, t.id, b.month, showValue(a.vals[i], se.Measures[i].Kind), im.where(a), showValue(b.vals[i], se.Measures[i].Kind))})
	}
	for lo := 0; lo < len(recs); {
		hi := lo
		for hi < len(recs) && recs[hi].month == recs[lo].month {
			hi++
		}
		var month rec
		for k := lo; k < hi; {
			// One type's rows.
			j := k
			one := recs[k]
			for j+1 < hi && recs[j+1].typ == one.typ {
				j++
				r := &recs[j]
				for i := range se.Measures {
					switch {
					case r.has&(1<<i) == 0:
					case one.has&(1<<i) == 0:
						one.vals[i] = r.vals[i]
					case r.sum:
						one.vals[i] += r.vals[i]
					case one.vals[i] != r.vals[i]:
						disagree(i, &one, r)
						one.vals[i] = max(one.vals[i], r.vals[i])
					}
				}
				one.has |= r.has
			}
			if k == lo {
				month = one
			} else {
				for i := range se.Measures {
					switch {
					case one.has&(1<<i) == 0:
					case month.has&(1<<i) == 0:
						month.vals[i] = one.vals[i]
					case month.vals[i] != one.vals[i]:
						disagree(i, &month, &one)
						month.vals[i] = max(month.vals[i], one.vals[i])
					}
				}
				month.has |= one.has
			}
			k = j + 1
		}
		out = append(out, month)
		lo = hi
	}
	return out
}

// rowList is an entry's rows in a fact file, written as JSON or YAML
// without an object per row.
type rowList struct {
	recs []rec
	se   *facts.Series
}

// AppendJSON implements gen.JSONAppender.
func (l rowList) AppendJSON(b []byte) ([]byte, error) {
	b = append(b, '[')
	for k := range l.recs {
		r := &l.recs[k]
		if k > 0 {
			b = append(b, ',')
		}
		b = append(b, `{"month":"`...)
		b = r.month.Append(b)
		b = append(b, '"')
		for i, ms := range l.se.Measures {
			if r.has&(1<<i) == 0 {
				continue
			}
			b = append(b, ',', '"')
			b = append(b, ms.Name...)
			b = append(b, '"', ':')
			if ms.Kind == facts.Cents {
				b = facts.AppendCents(b, microToCents(r.vals[i]))
			} else {
				b = strconv.AppendInt(b, r.vals[i], 10)
			}
		}
		b = append(b, '}')
	}
	return append(b, ']'), nil
}

// MarshalYAML writes the rows as a list of mappings.
func (l rowList) MarshalYAML() (any, error) {
	list := &yaml.Node{Kind: yaml.SequenceNode}
	for k := range l.recs {
		r := &l.recs[k]
		row := &yaml.Node{Kind: yaml.MappingNode}
		row.Content = append(row.Content, &yaml.Node{Kind: yaml.ScalarNode, Value: "month"}, &yaml.Node{Kind: yaml.ScalarNode, Value: r.month.String()})
		for i, ms := range l.se.Measures {
			if r.has&(1<<i) == 0 {
				continue
			}
			tag := "!!int"
			if ms.Kind == facts.Cents {
				tag = "!!float"
			}
			row.Content = append(row.Content, &yaml.Node{Kind: yaml.ScalarNode, Value: ms.Name},
				&yaml.Node{Kind: yaml.ScalarNode, Tag: tag, Value: l.value(r, i)})
		}
		list.Content = append(list.Content, row)
	}
	return list, nil
}

// value is measure i of a row as the fact file writes it.
func (l rowList) value(r *rec, i int) string {
	if l.se.Measures[i].Kind == facts.Cents {
		return facts.FormatCents(microToCents(r.vals[i]))
	}
	return strconv.FormatInt(r.vals[i], 10)
}

// showValue writes a combined value as the export did (an amount in
// dollars).
func showValue(v int64, kind facts.ValueKind) string {
	if kind != facts.Cents {
		return strconv.FormatInt(v, 10)
	}
	return new(big.Rat).SetFrac64(v, 1_000_000).FloatString(6)
}

// microToCents rounds millionths of a dollar to the cent, half away from
// zero.
func microToCents(v int64) int64 {
	if v < 0 {
		return -((-v + 5000) / 10000)
	}
	return (v + 5000) / 10000
}

func monthKeys[V any](m map[facts.Month]V) func(func(facts.Month) bool) {
	return func(yield func(facts.Month) bool) {
		for k := range m {
			if !yield(k) {
				return
			}
		}
	}
}

// associations are the tenant's types by month as associations: a run of
// consecutive months is one association from the first day of its first
// month to the last day of its last, open when it reaches the latest month
// of the exports; a claim's date (a CPOR claim's DateAssociated) in the
// run's first month is its from.
//
// A month without rows between two runs splits them into two
// associations, the second new in its first month (it may then count as a
// customer added): a warning says so, as an export of some months only
// would split every tenant's.
func (im *Importer) associations(p *partner, t *tenant) []any {
	out := []any{}
	for _, typ := range slices.Sorted(mapKeys(t.types)) {
		byMonth := t.types[typ]
		months := slices.Sorted(monthKeys(byMonth))
		for i := 0; i < len(months); {
			if i > 0 && months[i] > months[i-1]+1 {
				r := t.first[typ][months[i]]
				p.warnings = append(p.warnings, facts.Problem{File: im.files[r.file], Line: int(r.line), Kind: "associations split by months without rows", Key: typ,
					Message: fmt.Sprintf("tenant %q is %s until %s and again from %s, with no rows in between: two associations, the second new in %s", t.id, typ, months[i-1], months[i], months[i])})
			}
			// A run: consecutive months of the same tier.
			j := i
			for j+1 < len(months) && months[j+1] == months[j]+1 && byMonth[months[j+1]] == byMonth[months[i]] {
				j++
			}
			from := months[i].FirstDay()
			var first facts.Date
			for _, c := range t.claims {
				if c.typ == typ && c.date.Month() == months[i] && (first == "" || c.date < first) {
					first = c.date
				}
			}
			if first != "" {
				from = first
			}
			a := (&gen.Object{}).Set("type", typ)
			if tier := byMonth[months[i]]; tier != 0 {
				a.Set("tier", tier)
			}
			a.Set("from", string(from))
			if months[j] != im.latest {
				a.Set("to", string(months[j].LastDay()))
			}
			out = append(out, a)
			i = j + 1
		}
	}
	return out
}
