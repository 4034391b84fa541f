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

// Document is one partner's fact file made from the exports, or the
// problems that keep it from being one.
type Document struct {
	Partner string
	// Fact is the fact file, ready to encode as JSON or YAML; nil when
	// the partner's rows had problems.
	Fact     *gen.Object
	Problems facts.Problems
	Warnings facts.Problems
}

// Documents makes one fact file per partner, in id order, with the notices
// of the import as a whole (rows dropped, people not counted). A problem
// with a file as a whole is returned as an error: nothing can be trusted.
func (im *Importer) Documents() ([]Document, []string, error) {
	if len(im.fileErrs) > 0 {
		return nil, nil, im.fileErrs
	}
	ids := slices.Sorted(mapKeys(im.partners))
	if len(im.people) > 0 && len(ids) != 1 {
		return nil, nil, fmt.Errorf("%s: the certifications export names no partner, and the other exports hold %d partners (%s): import one partner's exports at a time",
			strings.Join(im.peopleFiles, ", "), len(ids), strings.Join(ids, ", "))
	}
	var docs []Document
	for _, id := range ids {
		p := im.partners[id]
		d := Document{Partner: id}
		if len(p.problems) > 0 {
			d.Problems = p.problems
		} else {
			f, err := im.fact(p)
			if err != nil {
				d.Problems = facts.Problems{{Message: fmt.Sprintf("partner %s: %v", id, err)}}
			} else {
				d.Fact = f
			}
		}
		d.Warnings = p.warnings
		docs = append(docs, d)
	}
	return docs, im.notices(), nil
}

// notices say what the import left out.
func (im *Importer) notices() []string {
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
func (im *Importer) fact(p *partner) (*gen.Object, error) {
	partnerObj := (&gen.Object{}).Set("id", p.id)
	if p.name != "" {
		partnerObj.Set("name", p.name)
	}
	doc := (&gen.Object{}).Set("partner", partnerObj)
	if im.latest != 0 {
		doc.Set("month", im.latest.String())
	}
	customers := []any{}
	for _, tid := range slices.Sorted(mapKeys(p.tenants)) {
		c, err := im.customer(p, p.tenants[tid])
		if err != nil {
			return nil, fmt.Errorf("tenant %s: %v", tid, err)
		}
		customers = append(customers, c)
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
	return doc, nil
}

func (im *Importer) customer(p *partner, t *tenant) (*gen.Object, error) {
	c := (&gen.Object{}).Set("tenant", t.id)
	if t.name != "" {
		c.Set("name", t.name)
	}
	c.Set("associations", im.associations(t))
	for si := range im.schema.Series {
		se := &im.schema.Series[si]
		es := t.series[se.Name]
		if len(es) == 0 {
			continue
		}
		var list []any
		for _, ek := range slices.Sorted(mapKeys(es)) {
			e := es[ek]
			o := &gen.Object{}
			for i, k := range se.Keys {
				if e.keys[i] != "" {
					o.Set(k, e.keys[i])
				}
			}
			rows := rowList{recs: im.combine(p, t, e, se), se: se}
			o.Set(se.Rows, rows)
			list = append(list, o)
		}
		c.Set(se.Name, list)
	}
	return c, nil
}

// combine makes an entry's rows into one row a month. Rows of one
// attribution type add up (sum: Azure rows per subscription and meter) or
// repeat one value (same); a tenant's usage is listed once per type it is
// attributed with, so rows of different types must agree: when they do
// not, a warning names both rows and the larger value is used.
func (im *Importer) combine(p *partner, t *tenant, e *entry, se *facts.Series) []rec {
	slices.SortStableFunc(e.recs, func(a, b rec) int {
		if a.month != b.month {
			return int(a.month - b.month)
		}
		return int(a.typ) - int(b.typ)
	})
	var out []rec
	disagree := func(i int, a, b *rec) {
		p.warnings = append(p.warnings, facts.Problem{File: im.files[b.file], Line: int(b.line), Kind: "export rows that disagree",
			Message: fmt.Sprintf("%s %s of tenant %q in %s: %s on %s, %s here; the larger is used",
				se.Measures[i].Name, e.keys[0], t.id, b.month, showValue(a.vals[i], se.Measures[i].Kind), im.where(a), showValue(b.vals[i], se.Measures[i].Kind))})
	}
	for lo := 0; lo < len(e.recs); {
		hi := lo
		for hi < len(e.recs) && e.recs[hi].month == e.recs[lo].month {
			hi++
		}
		var month rec
		for k := lo; k < hi; {
			// One type's rows.
			j := k
			one := e.recs[k]
			for j+1 < hi && e.recs[j+1].typ == one.typ {
				j++
				r := &e.recs[j]
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
func (im *Importer) associations(t *tenant) []any {
	out := []any{}
	for _, typ := range slices.Sorted(mapKeys(t.types)) {
		byMonth := t.types[typ]
		months := slices.Sorted(monthKeys(byMonth))
		for i := 0; i < len(months); {
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
