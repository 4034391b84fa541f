package fastcel

import (
	"github.com/google/cel-go/common/types"
	"github.com/google/cel-go/common/types/ref"
	"github.com/google/cel-go/common/types/traits"
)

// Total is a running sum of CEL values that gives what repeated
// traits.Adder calls from its zero give (int overflow and a wrong element
// are the same errors), without making a value of each partial sum: sums
// over a tenant's rows were a good part of what the rules allocated.
type Total struct {
	kind byte // 'i': ints so far, in i; 'd': doubles, in d; 0: in v
	i    int64
	d    float64
	v    ref.Val
}

// NewTotal starts a sum at zero (types.Int or types.Double, or any value
// to be added to generically).
func NewTotal(zero ref.Val) Total {
	switch z := zero.(type) {
	case types.Int:
		return Total{kind: 'i', i: int64(z)}
	case types.Double:
		return Total{kind: 'd', d: float64(z)}
	}
	return Total{v: zero}
}

// Add adds x; it returns the error (or unknown) that ends the sum, or nil.
func (t *Total) Add(x ref.Val) ref.Val {
	switch t.kind {
	case 'i':
		if n, ok := x.(types.Int); ok {
			s := t.i + int64(n)
			// Overflow when both operands' signs differ from the sum's.
			if (t.i^s)&(int64(n)^s) >= 0 {
				t.i = s
				return nil
			}
		}
	case 'd':
		if f, ok := x.(types.Double); ok {
			t.d += float64(f)
			return nil
		}
	}
	v := t.Value()
	t.kind = 0
	adder, ok := v.(traits.Adder)
	if !ok {
		t.v = types.NewErr("sum: not a number")
		return t.v
	}
	t.v = adder.Add(x)
	if types.IsUnknownOrError(t.v) {
		return t.v
	}
	return nil
}

// Value is the sum so far.
func (t *Total) Value() ref.Val {
	switch t.kind {
	case 'i':
		return types.Int(t.i)
	case 'd':
		return types.Double(t.d)
	}
	return t.v
}
