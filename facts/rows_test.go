package facts

import (
	"fmt"
	"slices"
	"strings"
	"testing"
)

// TestRowMonthsOnce: a month twice in one entry's rows is an error
// wherever the second stands (right after the first, after later months,
// in a list long enough to be looked up in a map), and rows out of order
// are read in month order; in YAML and in JSON alike.
func TestRowMonthsOnce(t *testing.T) {
	t.Parallel()
	from, _ := ParseMonth("2020-01")
	doc := func(offsets ...int) string {
		var rows []string
		for _, o := range offsets {
			rows = append(rows, fmt.Sprintf("{month: %s, acr_usd: %d}", from+Month(o), o))
		}
		return "partner: {id: p}\ncustomers:\n  - tenant: a\n    azure:\n      - {service: S, usage: [" + strings.Join(rows, ", ") + "]}\n"
	}
	upTo := func(n int) []int {
		var out []int
		for i := range n {
			out = append(out, i)
		}
		return out
	}
	reversed := upTo(70)
	slices.Reverse(reversed)
	for _, c := range []struct {
		name    string
		offsets []int
		dup     int // the index of the row found twice; -1 for none
	}{
		{"in order", upTo(30), -1},
		{"out of order", []int{2, 0, 1, 5, 3}, -1},
		{"long, out of order", append(upTo(70), -5, -1), -1},
		{"twice in a row", []int{0, 1, 1, 2}, 2},
		{"again after later months", []int{0, 1, 2, 3, 1}, 4},
		{"again after going back", []int{5, 6, 2, 6}, 3},
		{"long, in order, then again", append(upTo(70), 5), 70},
		{"long, reversed, then again", append(reversed, 69), 70},
	} {
		y := doc(c.offsets...)
		for _, in := range []struct {
			name string
			data []byte
		}{{"x.yaml", []byte(y)}, {"x.json", toJSON(t, y)}} {
			f, err := Parse(in.name, 1, in.data, testSchema)
			if c.dup < 0 {
				if err != nil {
					t.Errorf("%s, %s: %v", c.name, in.name, err)
					continue
				}
				var got []Month
				for _, r := range f.Customers[0].Series[1][0].Rows {
					got = append(got, r.Month)
				}
				want := make([]Month, 0, len(c.offsets))
				for _, o := range c.offsets {
					want = append(want, from+Month(o))
				}
				slices.Sort(want)
				if !slices.Equal(got, want) {
					t.Errorf("%s, %s: months %v, want %v", c.name, in.name, got, want)
				}
				continue
			}
			want := fmt.Sprintf("customers[0].azure[0].usage[%d].month: Azure service \"S\" has two usage rows for %s", c.dup, from+Month(c.offsets[c.dup]))
			if err == nil || !strings.Contains(err.Error(), want) {
				t.Errorf("%s, %s: got %v, want %q", c.name, in.name, err, want)
			}
		}
	}
}
