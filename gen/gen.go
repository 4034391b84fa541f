// Package gen writes synthetic, realistic partner fact files: deterministic
// for a seed, of any size, for benchmarks, property tests and load tests.
// What it writes (series, measures, attribution types and their
// attributes, entry and certification names) comes from the fact schema of
// the policy bundle, so it holds no rule of its own.
package gen

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"

	"evaluate/facts"

	"github.com/go-json-experiment/json/jsontext"
	"gopkg.in/yaml.v3"
)

// Options describe the partner to generate.
type Options struct {
	Seed    uint64
	Tenants int
	// People is the number of people with certifications; 0 means a few.
	People int
	// Month is the reporting month; Months how many months of rows end in
	// it (the default, 26, covers two trailing years and a month).
	Month  facts.Month
	Months int
	// Schema supplies the series, measures, attribution types, attributes
	// and names to use.
	Schema *facts.Schema
	// PartnerID names the partner; "" makes one from the seed.
	PartnerID string
}

func (o *Options) defaults() {
	if o.Months <= 0 {
		o.Months = 26
	}
	if o.People <= 0 {
		o.People = 3 + o.Tenants>>11 // one more person per 2,048 tenants
	}
	if o.PartnerID == "" {
		o.PartnerID = fmt.Sprintf("synthetic-%d", o.Seed)
	}
}

// Object is an ordered object, so that a document's keys come out in the
// order of a fact file (month before customers, for streaming readers).
type Object struct {
	keys []string
	vals []any
}

// Set adds a key (values: strings, int64, Cents, *Object and []any).
func (o *Object) Set(k string, v any) *Object {
	o.keys = append(o.keys, k)
	o.vals = append(o.vals, v)
	return o
}

// MarshalJSON writes the keys in order.
func (o *Object) MarshalJSON() ([]byte, error) { return AppendJSON(nil, o) }

// AppendJSON appends a generated value as compact JSON: the few kinds of
// values gen makes, written directly (a population is millions of rows;
// encoding/json would check again what it is given).
func AppendJSON(b []byte, v any) ([]byte, error) {
	var err error
	switch x := v.(type) {
	case *Object:
		b = append(b, '{')
		for i, k := range x.keys {
			if i > 0 {
				b = append(b, ',')
			}
			if b, err = appendQuote(b, k); err != nil {
				return nil, err
			}
			b = append(b, ':')
			if b, err = AppendJSON(b, x.vals[i]); err != nil {
				return nil, err
			}
		}
		return append(b, '}'), nil
	case []any:
		b = append(b, '[')
		for i, e := range x {
			if i > 0 {
				b = append(b, ',')
			}
			if b, err = AppendJSON(b, e); err != nil {
				return nil, err
			}
		}
		return append(b, ']'), nil
	case string:
		return appendQuote(b, x)
	case int64:
		return strconv.AppendInt(b, x, 10), nil
	case Cents:
		return append(b, facts.FormatCents(int64(x))...), nil
	case JSONAppender:
		return x.AppendJSON(b)
	}
	out, err := json.Marshal(v)
	return append(b, out...), err
}

// MarshalYAML writes the keys in order.
func (o *Object) MarshalYAML() (any, error) { return yamlNode(o) }

// yamlNode builds the node of a generated value directly: encoding each
// value through yaml.Node.Encode made a 50-tenant file take a second.
func yamlNode(v any) (*yaml.Node, error) {
	switch x := v.(type) {
	case *Object:
		n := &yaml.Node{Kind: yaml.MappingNode, Content: make([]*yaml.Node, 0, 2*len(x.keys))}
		for i, k := range x.keys {
			c, err := yamlNode(x.vals[i])
			if err != nil {
				return nil, err
			}
			n.Content = append(n.Content, &yaml.Node{Kind: yaml.ScalarNode, Value: k}, c)
		}
		return n, nil
	case []any:
		n := &yaml.Node{Kind: yaml.SequenceNode, Content: make([]*yaml.Node, 0, len(x))}
		for _, e := range x {
			c, err := yamlNode(e)
			if err != nil {
				return nil, err
			}
			n.Content = append(n.Content, c)
		}
		return n, nil
	case int64:
		return &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!int", Value: strconv.FormatInt(x, 10)}, nil
	case Cents:
		return &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!float", Value: facts.FormatCents(int64(x))}, nil
	case yaml.Marshaler:
		// A long list that builds its own nodes (an entry's rows): taken
		// as they are rather than encoded once more.
		v, err := x.MarshalYAML()
		if n, ok := v.(*yaml.Node); ok || err != nil {
			return n, err
		}
	}
	n := &yaml.Node{}
	return n, n.Encode(v)
}

// JSONAppender is a value that writes itself as JSON (a long list, without
// an Object per element).
type JSONAppender interface {
	AppendJSON(b []byte) ([]byte, error)
}

// appendQuote writes a JSON string: plain ASCII as it is, anything else
// through jsontext (escapes, UTF-8 checks).
func appendQuote(b []byte, s string) ([]byte, error) {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c >= 0x80 || c == '"' || c == '\\' {
			return jsontext.AppendQuote(b, s)
		}
	}
	b = append(b, '"')
	b = append(b, s...)
	return append(b, '"'), nil
}

// Cents is an amount written with two decimals.
type Cents int64

// MarshalJSON writes 1250.40.
func (c Cents) MarshalJSON() ([]byte, error) { return []byte(facts.FormatCents(int64(c))), nil }

// MarshalYAML writes 1250.40 as a number.
func (c Cents) MarshalYAML() (any, error) {
	return &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!float", Value: facts.FormatCents(int64(c))}, nil
}

func (o *Options) rand() *rand.Rand {
	return rand.New(rand.NewPCG(o.Seed, o.Seed^0x9e3779b97f4a7c15))
}

func (o *Options) head() *Object {
	return (&Object{}).Set("partner", (&Object{}).Set("id", o.PartnerID).Set("name", "Synthetic partner "+o.PartnerID)).Set("month", o.Month.String())
}

// WriteJSON writes one partner as a JSON fact file, a customer at a time so
// that memory stays flat however many tenants there are.
func WriteJSON(w io.Writer, o Options) error {
	o.defaults()
	r := o.rand()
	bw := bufio.NewWriterSize(w, 1<<16)
	head, err := AppendJSON(nil, o.head())
	if err != nil {
		return err
	}
	bw.Write(head[:len(head)-1])
	bw.WriteString(", \"customers\": [\n")
	var b []byte
	for i := 0; i < o.Tenants; i++ {
		if b, err = AppendJSON(b[:0], o.customer(r, i)); err != nil {
			return err
		}
		if i > 0 {
			bw.WriteString(",\n")
		}
		bw.Write(b)
	}
	bw.WriteString("\n], \"people\": ")
	if b, err = AppendJSON(b[:0], o.people(r)); err != nil {
		return err
	}
	bw.Write(b)
	bw.WriteString("}\n")
	return bw.Flush()
}

// Document returns one partner as a value that encodes to a fact file
// (JSON or YAML), for small files.
func Document(o Options) any {
	o.defaults()
	r := o.rand()
	d := o.head()
	var customers []any
	for i := 0; i < o.Tenants; i++ {
		customers = append(customers, o.customer(r, i))
	}
	if customers == nil {
		customers = []any{}
	}
	d.Set("customers", customers)
	d.Set("people", o.people(r))
	return d
}

// WriteJSONLines writes n partners, one JSON document per line, with seeds
// o.Seed, o.Seed+1, ...
func WriteJSONLines(w io.Writer, o Options, n int) error {
	bw := bufio.NewWriterSize(w, 1<<16)
	for i := 0; i < n; i++ {
		p := o
		p.Seed = o.Seed + uint64(i)
		p.PartnerID = ""
		b, err := AppendJSON(nil, Document(p))
		if err != nil {
			return err
		}
		bw.Write(b)
		bw.WriteByte('\n')
	}
	return bw.Flush()
}

// WriteYAML writes one partner as a YAML fact file.
func WriteYAML(w io.Writer, o Options) error {
	enc := yaml.NewEncoder(w)
	enc.SetIndent(2)
	if err := enc.Encode(Document(o)); err != nil {
		return err
	}
	return enc.Close()
}

func (o *Options) customer(r *rand.Rand, i int) *Object {
	c := (&Object{}).Set("tenant", fmt.Sprintf("tenant-%06d", i))
	var assocs []any
	types := o.Schema.Types
	used := map[string]bool{}
	for _, k := range r.Perm(len(types))[:min(len(types), 1+r.IntN(3))] {
		typ := types[k]
		start := o.Month - facts.Month(r.IntN(36))
		a := (&Object{}).Set("type", typ)
		for _, at := range o.Schema.Attrs {
			vals := at.Values[typ]
			if len(vals) == 0 || r.IntN(3) == 0 {
				continue
			}
			v := vals[r.IntN(len(vals))]
			if at.Kind == facts.Integer {
				x, _ := strconv.ParseInt(v, 10, 64)
				a.Set(at.Name, x)
			} else {
				a.Set(at.Name, v)
			}
		}
		// One association of each type: never two that overlap.
		if used[typ] {
			continue
		}
		used[typ] = true
		a.Set("from", fmt.Sprintf("%s-%02d", start, 1+r.IntN(28)))
		if r.IntN(5) == 0 {
			end := start + facts.Month(r.IntN(30))
			a.Set("to", string(end.LastDay()))
		}
		assocs = append(assocs, a)
	}
	if assocs == nil {
		assocs = []any{}
	}
	c.Set("associations", assocs)
	for _, s := range o.Schema.Series {
		names := append(slices.Clone(s.Names), s.Used...)
		slices.Sort(names)
		names = slices.Compact(names)
		if len(names) == 0 {
			names = []string{"Other " + s.Noun}
		}
		if r.IntN(4) == 0 {
			continue // a tenant without this series
		}
		var entries []any
		for _, k := range r.Perm(len(names))[:min(len(names), 1+r.IntN(3))] {
			e := (&Object{}).Set(s.Keys[0], names[k])
			e.Set(s.Rows, o.rows(r, &s))
			entries = append(entries, e)
		}
		c.Set(s.Name, entries)
	}
	return c
}

// rows are an entry's monthly rows: each measure drifts from a size drawn
// log-uniform from a handful to a few thousand, and a measure that a check
// warns about when above another stays under it.
func (o *Options) rows(r *rand.Rand, s *facts.Series) []any {
	base := math.Exp(math.Log(5) + r.Float64()*(math.Log(5000)-math.Log(5)))
	shares := make([]float64, len(s.Measures))
	for i := range shares {
		shares[i] = 0.05 + 0.9*r.Float64()
	}
	var rows []any
	for m := o.Month - facts.Month(o.Months) + 1; m <= o.Month; m++ {
		if r.IntN(12) == 0 {
			continue // a month without a row
		}
		base = math.Max(0, base+r.NormFloat64()*base*0.05)
		row := (&Object{}).Set("month", m.String())
		values := make([]int64, len(s.Measures))
		for i, ms := range s.Measures {
			shares[i] = math.Min(1, math.Max(0, shares[i]+r.NormFloat64()*0.05))
			x := base
			if i > 0 {
				x = base * shares[i]
			}
			switch ms.Kind {
			case facts.Cents:
				amount := int64(x * 100 * (1 + 10*r.Float64()))
				if r.IntN(30) == 0 {
					amount = -amount / 10 // a credit
				}
				values[i] = amount
			default:
				values[i] = int64(x)
			}
		}
		for _, ck := range s.Checks {
			l, rr := slices.IndexFunc(s.Measures, func(m facts.Measure) bool { return m.Name == ck.Left }), slices.IndexFunc(s.Measures, func(m facts.Measure) bool { return m.Name == ck.Right })
			if l >= 0 && rr >= 0 && strings.HasPrefix(ck.Op, ">") && values[l] > values[rr] {
				values[l] = values[rr]
			}
		}
		for i, ms := range s.Measures {
			if ms.Kind == facts.Cents {
				row.Set(ms.Name, Cents(values[i]))
			} else {
				row.Set(ms.Name, values[i])
			}
		}
		rows = append(rows, row)
	}
	if rows == nil {
		rows = []any{}
	}
	return rows
}

func (o *Options) people(r *rand.Rand) []any {
	out := []any{}
	names := o.Schema.Certifications
	for i := 0; i < o.People; i++ {
		p := (&Object{}).Set("id", fmt.Sprintf("person-%04d", i))
		certs := []any{}
		for range r.IntN(4) {
			if len(names) == 0 {
				break
			}
			c := (&Object{}).Set("name", names[r.IntN(len(names))])
			earned := o.Month - facts.Month(r.IntN(30))
			if r.IntN(4) > 0 {
				c.Set("earned", fmt.Sprintf("%s-%02d", earned, 1+r.IntN(28)))
			}
			if r.IntN(3) == 0 {
				c.Set("expires", fmt.Sprintf("%s-%02d", earned+facts.Month(12+r.IntN(12)), 1+r.IntN(28)))
			}
			certs = append(certs, c)
		}
		p.Set("certifications", certs)
		out = append(out, p)
	}
	return out
}
