package engine

import (
	"evaluate/internal/fastcel"

	"errors"
	"fmt"
	"math"
	"slices"
	"sort"

	"github.com/google/cel-go/common/types"
	"github.com/google/cel-go/common/types/ref"
	"github.com/google/cel-go/common/types/traits"
)

// acc is one aggregate's running total: a sum or count, sums per key, or
// a set of names. Sums are exact integers; one that would overflow is an
// error, never a wrapped number.
type acc struct {
	n   int64
	by  map[string]int64
	set map[string]bool
}

var errOverflow = errors.New("a total is larger than 64-bit integers hold")

func add64(a, b int64) (int64, error) {
	if (b > 0 && a > math.MaxInt64-b) || (b < 0 && a < math.MinInt64-b) {
		return 0, errOverflow
	}
	return a + b, nil
}

// addTo adds x to the sum_by total of key k (v is the map, for a message).
func (a *acc) addTo(k, x, v ref.Val) error {
	ks, ok1 := k.(types.String)
	n, ok2 := x.(types.Int)
	if !ok1 || !ok2 {
		return fmt.Errorf("want a map of string to int, got %v", v)
	}
	sum, err := add64(a.by[string(ks)], int64(n))
	if err != nil {
		return err
	}
	a.by[string(ks)] = sum
	return nil
}

// add adds one record's part, as CEL computed it.
func (a *acc) add(op string, v ref.Val) error {
	switch op {
	case "sum":
		x, ok := v.(types.Int)
		if !ok {
			return fmt.Errorf("want an int, got %v", v)
		}
		var err error
		a.n, err = add64(a.n, int64(x))
		return err
	case "count":
		b, ok := v.(types.Bool)
		if !ok {
			return fmt.Errorf("want a bool, got %v", v)
		}
		if b {
			a.n++
		}
		return nil
	case "sum_by":
		m, ok := v.(traits.Mapper)
		if !ok {
			return fmt.Errorf("want a map, got %v", v)
		}
		if a.by == nil {
			a.by = map[string]int64{}
		}
		if mv, ok := fastcel.CELMap(m); ok {
			// CEL's own maps: read directly (their iterator reflects).
			for k, x := range mv {
				if err := a.addTo(k, x, v); err != nil {
					return err
				}
			}
			return nil
		}
		for it := m.Iterator(); it.HasNext() == types.True; {
			k := it.Next()
			if err := a.addTo(k, m.Get(k), v); err != nil {
				return err
			}
		}
		return nil
	}
	l, ok := v.(traits.Lister)
	if !ok {
		return fmt.Errorf("want a list, got %v", v)
	}
	if a.set == nil {
		a.set = map[string]bool{}
	}
	for it := l.Iterator(); it.HasNext() == types.True; {
		s, ok := it.Next().(types.String)
		if !ok {
			return fmt.Errorf("want a list of strings, got %v", v)
		}
		a.set[string(s)] = true
	}
	return nil
}

// merge adds another total of the same aggregate.
func (a *acc) merge(o *acc) error {
	var err error
	if a.n, err = add64(a.n, o.n); err != nil {
		return err
	}
	for k, x := range o.by {
		if a.by == nil {
			a.by = map[string]int64{}
		}
		if a.by[k], err = add64(a.by[k], x); err != nil {
			return err
		}
	}
	for k := range o.set {
		if a.set == nil {
			a.set = map[string]bool{}
		}
		a.set[k] = true
	}
	return nil
}

// value is the total as CEL sees it in metric expressions.
func (a *acc) value(op string) ref.Val {
	switch op {
	case "sum_by":
		m := make(map[ref.Val]ref.Val, len(a.by))
		for k, x := range a.by {
			m[types.String(k)] = types.Int(x)
		}
		return types.NewRefValMap(types.DefaultTypeAdapter, m)
	case "union":
		names := make([]string, 0, len(a.set))
		for k := range a.set {
			names = append(names, k)
		}
		sort.Strings(names)
		return stringList(names)
	}
	return types.Int(a.n)
}

// native is the total as Go values, for the Rego input.
func (a *acc) native(op string) any {
	switch op {
	case "sum_by":
		m := make(map[string]any, len(a.by))
		for k, x := range a.by {
			m[k] = x
		}
		return m
	case "union":
		names := make([]any, 0, len(a.set))
		for k := range a.set {
			names = append(names, k)
		}
		slices.SortFunc(names, func(x, y any) int {
			if x.(string) < y.(string) {
				return -1
			}
			return 1
		})
		return names
	}
	return a.n
}

// totals are a designation's aggregate totals, by slot.
type totals []acc

func (d *Designation) newTotals() totals { return make(totals, len(d.slots)) }

func (t totals) merge(d *Designation, o totals) error {
	for i := range t {
		if err := t[i].merge(&o[i]); err != nil {
			return fmt.Errorf("%s: %w", d.slotName(i), err)
		}
	}
	return nil
}

// slotName names a slot in messages.
func (d *Designation) slotName(i int) string {
	return d.slots[i].key
}
