package engine

import (
	"context"
	"testing"
)

// TestEveryRecordLeftOutHasAReason explains generated partners with the
// shipped bundle: where an aggregate states left_out rules, every tenant
// or person it does not count must get one. A record no rule explains is
// silently missing from --explain (Security's customers that are not
// deployments were, before the rule for them).
func TestEveryRecordLeftOutHasAReason(t *testing.T) {
	t.Parallel()
	b, err := Default(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	for seed := uint64(11); seed <= 13; seed++ {
		f, w := benchPartnerSeed(t, b, 40, seed)
		rs, err := b.Evaluate(context.Background(), f, w, Options{Explain: true, Workers: 1})
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range rs {
			d := b.Designation(r.Designation)
			for track, tr := range r.Tracks {
				for _, metric := range d.Metrics {
					mr := tr.Metrics[metric.ID]
					if mr == nil {
						continue
					}
					records := len(f.Customers)
					if metric.Over == "people" {
						records = len(f.People)
					}
					check := func(option string, x *Explanation) {
						if x == nil {
							return
						}
						for _, ax := range x.Aggregates {
							a := metric.aggregate(ax.ID)
							if a == nil || a.explain == nil || len(a.explain.leftOut) == 0 {
								continue
							}
							if got := len(ax.Records) + len(ax.LeftOut); got != records {
								t.Errorf("seed %d: %s %s.%s%s aggregate %s: %d counted + %d left out, of %d records",
									seed, r.Designation, track, metric.ID, option, ax.ID, len(ax.Records), len(ax.LeftOut), records)
							}
							// In a count (each record adds 0 or 1), a record
							// adding 0 is one not counted that no rule explains.
							count, zeros := true, 0
							for _, c := range ax.Records {
								switch addsOf(c) {
								case 0:
									zeros++
								case 1:
								default:
									count = false
								}
							}
							if count && zeros > 0 {
								t.Errorf("seed %d: %s %s.%s%s aggregate %s: %d records not counted and not left out by a rule",
									seed, r.Designation, track, metric.ID, option, ax.ID, zeros)
							}
						}
					}
					check("", mr.Explain)
					for o, or := range mr.Options {
						check(" option "+o, or.Explain)
					}
					for o, or := range mr.Sources {
						check(" part "+o, or.Explain)
					}
				}
			}
		}
	}
}

// addsOf is what a record adds, as a number (-1 for a set or other value).
func addsOf(c Contribution) float64 {
	switch v := c.Adds.(type) {
	case int64:
		return float64(v)
	case uint64:
		return float64(v)
	case float64:
		return v
	case bool:
		if v {
			return 1
		}
		return 0
	}
	return -1
}
