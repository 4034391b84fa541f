package fastcel

import (
	"math"

	"github.com/google/cel-go/common/types"
	"github.com/google/cel-go/common/types/ref"
	"github.com/google/cel-go/common/types/traits"
)

// cel-go's distinct and sets functions compare every element with every
// other: a list of a hundred thousand elements (the services of a large
// tenant, a long list of params) takes minutes. These look values up by a
// key with CEL's equality instead, and compare by Equal only what has no
// key (lists, maps, records, timestamps), which no keyed value equals.

// quadLimit bounds the Equal comparisons of the values without a key.
const quadLimit = 1 << 24

// exact is 2^53: integers up to it are doubles exactly.
const exact = 1 << 53

// valueSet is a set of values under CEL's equality: a map per kind of
// key, so that keys are not boxed.
type valueSet struct {
	strs   map[types.String]struct{}
	ints   map[int64]struct{}
	uints  map[uint64]struct{}
	floats map[float64]struct{}
	bytes  map[string]struct{}
	bools  [2]bool
	null   bool
	// asFloat keys numbers by their value as a double: with doubles
	// among the values, 1 == 1.0 == 1u.
	asFloat bool
	other   []ref.Val
	tests   int
}

// newValueSet returns a set for the values of lists, or false when they
// mix doubles with integers beyond 2^53, which cel-go compares as doubles
// (rounded): its equality is not transitive there, and no key gives it.
func newValueSet(lists ...traits.Lister) (*valueSet, bool) {
	doubles, big := false, false
	for _, l := range lists {
		n, _ := l.Size().(types.Int)
		for i := types.Int(0); i < n; i++ {
			switch x := l.Get(i).(type) {
			case types.Double:
				doubles = true
			case types.Int:
				big = big || x > exact || x < -exact
			case types.Uint:
				big = big || x > exact
			}
		}
	}
	if doubles && big {
		return nil, false
	}
	return &valueSet{asFloat: doubles}, true
}

// put adds k to *m, made on first use: most lists hold one kind.
func put[K comparable](m *map[K]struct{}, k K) {
	if *m == nil {
		*m = map[K]struct{}{}
	}
	(*m)[k] = struct{}{}
}

// lookup reports whether v has a key, and whether it is in the set;
// with add, it adds it.
func (s *valueSet) lookup(v ref.Val, add bool) (keyed, in bool) {
	switch x := v.(type) {
	case types.String:
		_, in = s.strs[x]
		if add {
			put(&s.strs, x)
		}
	case types.Bool:
		i := 0
		if x {
			i = 1
		}
		in = s.bools[i]
		s.bools[i] = s.bools[i] || add
	case types.Null:
		in = s.null
		s.null = s.null || add
	case types.Bytes:
		_, in = s.bytes[string(x)]
		if add {
			put(&s.bytes, string(x))
		}
	case types.Int:
		if s.asFloat {
			return s.lookupFloat(float64(x), add)
		}
		_, in = s.ints[int64(x)]
		if add {
			put(&s.ints, int64(x))
		}
	case types.Uint:
		if s.asFloat {
			return s.lookupFloat(float64(x), add)
		}
		if x <= math.MaxInt64 {
			_, in = s.ints[int64(x)]
			if add {
				put(&s.ints, int64(x))
			}
		} else {
			_, in = s.uints[uint64(x)]
			if add {
				put(&s.uints, uint64(x))
			}
		}
	case types.Double:
		return s.lookupFloat(float64(x), add) // NaN is never found, as it equals nothing
	default:
		return false, false
	}
	return true, in
}

func (s *valueSet) lookupFloat(f float64, add bool) (bool, bool) {
	_, in := s.floats[f]
	if add {
		put(&s.floats, f)
	}
	return true, in
}

// has reports whether v is in the set; an error when the comparisons of
// values without a key pass quadLimit.
func (s *valueSet) has(v ref.Val) (bool, ref.Val) {
	if keyed, in := s.lookup(v, false); keyed {
		return in, nil
	}
	for _, o := range s.other {
		if s.tests++; s.tests > quadLimit {
			return false, limitErr("comparing lists of lists or maps: more than %d comparisons", quadLimit)
		}
		if v.Equal(o) == types.True {
			return true, nil
		}
	}
	return false, nil
}

// add adds v and reports whether it was new.
func (s *valueSet) add(v ref.Val) (bool, ref.Val) {
	if keyed, in := s.lookup(v, true); keyed {
		return !in, nil
	}
	in, err := s.has(v)
	if in || err != nil {
		return false, err
	}
	s.other = append(s.other, v)
	return true, nil
}

// distinct is list.distinct(): the first of each group of equal elements,
// in order.
func distinct(v ref.Val) ref.Val {
	l, ok := v.(traits.Lister)
	if !ok {
		return types.MaybeNoSuchOverloadErr(v)
	}
	n, _ := l.Size().(types.Int)
	if n == 0 {
		return l
	}
	out := make([]ref.Val, 0, n)
	s, ok := newValueSet(l)
	for i := types.Int(0); i < n; i++ {
		x := l.Get(i)
		if !ok {
			// Compared as cel-go compares, within the limit.
			if int64(i)*int64(len(out)) > quadLimit {
				return limitErr("distinct over %d numbers: more than %d comparisons", n, quadLimit)
			}
			seen := false
			for _, y := range out {
				if x.Equal(y) == types.True {
					seen = true
					break
				}
			}
			if !seen {
				out = append(out, x)
			}
			continue
		}
		isNew, err := s.add(x)
		if err != nil {
			return err
		}
		if isNew {
			out = append(out, x)
		}
	}
	return types.NewRefValList(types.DefaultTypeAdapter, out)
}

// containsAll reports whether every element of sub is in l.
func containsAll(l, sub traits.Lister) ref.Val {
	s, ok := newValueSet(l, sub)
	n, _ := l.Size().(types.Int)
	m, _ := sub.Size().(types.Int)
	if !ok {
		if int64(n)*int64(m) > quadLimit {
			return limitErr("sets over %d and %d numbers: more than %d comparisons", n, m, quadLimit)
		}
		for i := types.Int(0); i < m; i++ {
			if in := l.Contains(sub.Get(i)); in != types.True {
				return in
			}
		}
		return types.True
	}
	for i := types.Int(0); i < n; i++ {
		if _, err := s.add(l.Get(i)); err != nil {
			return err
		}
	}
	for i := types.Int(0); i < m; i++ {
		in, err := s.has(sub.Get(i))
		if err != nil {
			return err
		}
		if !in {
			return types.False
		}
	}
	return types.True
}

func setsContains(list, sublist ref.Val) ref.Val {
	l, ok1 := list.(traits.Lister)
	sub, ok2 := sublist.(traits.Lister)
	if !ok1 || !ok2 {
		return types.NoSuchOverloadErr()
	}
	return containsAll(l, sub)
}

func setsEquivalent(a, b ref.Val) ref.Val {
	if v := setsContains(a, b); v != types.True {
		return v
	}
	return setsContains(b, a)
}

func setsIntersects(a, b ref.Val) ref.Val {
	la, ok1 := a.(traits.Lister)
	lb, ok2 := b.(traits.Lister)
	if !ok1 || !ok2 {
		return types.NoSuchOverloadErr()
	}
	s, ok := newValueSet(la, lb)
	n, _ := la.Size().(types.Int)
	m, _ := lb.Size().(types.Int)
	if !ok {
		if int64(n)*int64(m) > quadLimit {
			return limitErr("sets over %d and %d numbers: more than %d comparisons", n, m, quadLimit)
		}
		for i := types.Int(0); i < n; i++ {
			if lb.Contains(la.Get(i)) == types.True {
				return types.True
			}
		}
		return types.False
	}
	for i := types.Int(0); i < m; i++ {
		if _, err := s.add(lb.Get(i)); err != nil {
			return err
		}
	}
	for i := types.Int(0); i < n; i++ {
		in, err := s.has(la.Get(i))
		if err != nil {
			return err
		}
		if in {
			return types.True
		}
	}
	return types.False
}
