// Package gen writes synthetic, realistic partner fact files: deterministic
// for a seed, of any size, for benchmarks, property tests and load tests.
// The words it uses (attribution types, workloads, certifications) come from
// the policy bundle's vocabulary, so it holds no rule of its own.
package gen

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"math/rand/v2"

	"evaluate/facts"
)

// Options describe the partner to generate.
type Options struct {
	Seed    uint64
	Tenants int
	// People is the number of people with certifications; 0 means a few.
	People int
	// Month is the reporting month; Months how many months of usage end in
	// it (13 covers the baseline month).
	Month  facts.Month
	Months int
	// Vocabulary supplies the attribution types, workloads and
	// certifications to use.
	Vocabulary facts.Vocabulary
	// PartnerID names the partner; "" makes one from the seed.
	PartnerID string
}

// Customer, Association, Workload, Usage, Person and Certification mirror
// the fact file's keys for encoding.
type (
	document struct {
		Partner   partner    `json:"partner" yaml:"partner"`
		Month     string     `json:"month" yaml:"month"`
		Customers []customer `json:"customers" yaml:"customers"`
		People    []person   `json:"people" yaml:"people"`
	}
	partner struct {
		ID   string `json:"id" yaml:"id"`
		Name string `json:"name" yaml:"name"`
	}
	customer struct {
		Tenant       string        `json:"tenant" yaml:"tenant"`
		Associations []association `json:"associations" yaml:"associations"`
		Workloads    []workload    `json:"workloads" yaml:"workloads"`
	}
	association struct {
		Type string `json:"type" yaml:"type"`
		Tier int    `json:"tier,omitempty" yaml:"tier,omitempty"`
		From string `json:"from" yaml:"from"`
		To   string `json:"to,omitempty" yaml:"to,omitempty"`
	}
	workload struct {
		Workload string  `json:"workload" yaml:"workload"`
		Usage    []usage `json:"usage" yaml:"usage"`
	}
	usage struct {
		Month       string `json:"month" yaml:"month"`
		PaidSeats   int64  `json:"paid_seats" yaml:"paid_seats"`
		ActiveUsers int64  `json:"active_users" yaml:"active_users"`
	}
	person struct {
		ID             string          `json:"id" yaml:"id"`
		Certifications []certification `json:"certifications" yaml:"certifications"`
	}
	certification struct {
		Name    string `json:"name" yaml:"name"`
		Earned  string `json:"earned,omitempty" yaml:"earned,omitempty"`
		Expires string `json:"expires,omitempty" yaml:"expires,omitempty"`
	}
)

func (o *Options) defaults() {
	if o.Months <= 0 {
		o.Months = 13
	}
	if o.People <= 0 {
		o.People = 3 + o.Tenants>>11 // one more person per 2,048 tenants
	}
	if o.PartnerID == "" {
		o.PartnerID = fmt.Sprintf("synthetic-%d", o.Seed)
	}
}

// WriteJSON writes one partner as a JSON fact file, a customer at a time so
// that memory stays flat however many tenants there are.
func WriteJSON(w io.Writer, o Options) error {
	o.defaults()
	r := rand.New(rand.NewPCG(o.Seed, o.Seed^0x9e3779b97f4a7c15))
	bw := bufio.NewWriterSize(w, 1<<16)
	head, _ := json.Marshal(partner{ID: o.PartnerID, Name: "Synthetic partner " + o.PartnerID})
	fmt.Fprintf(bw, "{\"partner\": %s, \"month\": %q, \"customers\": [\n", head, o.Month.String())
	for i := 0; i < o.Tenants; i++ {
		c := o.customer(r, i)
		b, err := json.Marshal(c)
		if err != nil {
			return err
		}
		if i > 0 {
			bw.WriteString(",\n")
		}
		bw.Write(b)
	}
	bw.WriteString("\n], \"people\": ")
	b, err := json.Marshal(o.people(r))
	if err != nil {
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
	r := rand.New(rand.NewPCG(o.Seed, o.Seed^0x9e3779b97f4a7c15))
	d := document{Partner: partner{ID: o.PartnerID, Name: "Synthetic partner " + o.PartnerID}, Month: o.Month.String()}
	for i := 0; i < o.Tenants; i++ {
		d.Customers = append(d.Customers, o.customer(r, i))
	}
	d.People = o.people(r)
	return d
}

func (o *Options) customer(r *rand.Rand, i int) customer {
	c := customer{Tenant: fmt.Sprintf("tenant-%06d", i)}
	types := o.Vocabulary.AttributionTypes
	for _, k := range r.Perm(len(types))[:1+r.IntN(min(2, len(types)))] {
		start := o.Month - facts.Month(r.IntN(36))
		a := association{Type: types[k], From: fmt.Sprintf("%s-%02d", start, 1+r.IntN(28))}
		if tiers := o.Vocabulary.Tiers[a.Type]; len(tiers) > 0 && r.IntN(3) > 0 {
			a.Tier = int(tiers[r.IntN(len(tiers))])
		}
		if r.IntN(5) == 0 {
			end := start + facts.Month(r.IntN(30))
			a.To = string(end.LastDay())
		}
		c.Associations = append(c.Associations, a)
	}
	loads := o.Vocabulary.EligibleWorkloads
	// Seats are log-uniform from a handful to a few thousand, so both
	// small and large customers are common.
	base := int64(math.Exp(math.Log(5) + r.Float64()*(math.Log(5000)-math.Log(5))))
	for _, k := range r.Perm(len(loads))[:1+r.IntN(min(3, len(loads)))] {
		wl := workload{Workload: loads[k]}
		seats := base
		share := 0.05 + 0.9*r.Float64()
		for m := o.Month - facts.Month(o.Months) + 1; m <= o.Month; m++ {
			if r.IntN(12) == 0 {
				continue // a month without a row
			}
			seats = max(0, seats+int64(r.NormFloat64()*float64(seats)*0.05))
			share = math.Min(1, math.Max(0, share+r.NormFloat64()*0.05))
			wl.Usage = append(wl.Usage, usage{Month: m.String(), PaidSeats: seats, ActiveUsers: int64(float64(seats) * share)})
		}
		c.Workloads = append(c.Workloads, wl)
	}
	return c
}

func (o *Options) people(r *rand.Rand) []person {
	out := []person{}
	for i := 0; i < o.People; i++ {
		p := person{ID: fmt.Sprintf("person-%04d", i), Certifications: []certification{}}
		for range r.IntN(3) {
			if len(o.Vocabulary.Certifications) == 0 {
				break
			}
			c := certification{Name: o.Vocabulary.Certifications[r.IntN(len(o.Vocabulary.Certifications))]}
			earned := o.Month - facts.Month(r.IntN(30))
			if r.IntN(4) > 0 {
				c.Earned = fmt.Sprintf("%s-%02d", earned, 1+r.IntN(28))
			}
			if r.IntN(3) == 0 {
				c.Expires = fmt.Sprintf("%s-%02d", earned+facts.Month(12+r.IntN(12)), 1+r.IntN(28))
			}
			p.Certifications = append(p.Certifications, c)
		}
		out = append(out, p)
	}
	return out
}

// WriteJSONLines writes n partners, one JSON document per line, with seeds
// o.Seed, o.Seed+1, ...
func WriteJSONLines(w io.Writer, o Options, n int) error {
	bw := bufio.NewWriterSize(w, 1<<16)
	for i := 0; i < n; i++ {
		p := o
		p.Seed = o.Seed + uint64(i)
		p.PartnerID = ""
		b, err := json.Marshal(Document(p))
		if err != nil {
			return err
		}
		bw.Write(b)
		bw.WriteByte('\n')
	}
	return bw.Flush()
}
