package fastcel

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/google/cel-go/common/types"
	"github.com/google/cel-go/common/types/ref"
	"github.com/google/cel-go/common/types/traits"
)

// TestTotalIsRepeatedAdd: a Total gives what adding one element at a time
// with cel-go's Add gives, errors (overflow, a wrong type) included.
func TestTotalIsRepeatedAdd(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	elems := []func() ref.Val{
		func() ref.Val { return types.Int(r.Int64N(2000) - 1000) },
		func() ref.Val { return types.Int(math.MaxInt64 - r.Int64N(3)) },
		func() ref.Val { return types.Int(math.MinInt64 + r.Int64N(3)) },
		func() ref.Val { return types.Double(r.Float64()*10 - 5) },
		func() ref.Val { return types.String("x") },
	}
	errs := 0
	for range 20000 {
		zero := []ref.Val{types.IntZero, types.Double(0)}[r.IntN(2)]
		want, tot := zero, NewTotal(zero)
		var got ref.Val
		for range r.IntN(6) {
			x := elems[r.IntN(len(elems))]()
			if r.IntN(3) > 0 { // mostly of the zero's type
				if _, ok := zero.(types.Int); ok {
					x = elems[r.IntN(3)]()
				} else {
					x = types.Double(r.Float64()*10 - 5)
				}
			}
			if types.IsError(want) {
				break
			}
			if a, ok := want.(traits.Adder); ok {
				want = a.Add(x)
			} else {
				want = types.NewErr("sum: not a number")
			}
			got = tot.Add(x)
		}
		if got == nil {
			got = tot.Value()
		}
		if types.IsError(want) != types.IsError(got) || (types.IsError(want) && want.(*types.Err).String() != got.(*types.Err).String()) ||
			(!types.IsError(want) && (want.Type() != got.Type() || want.Equal(got) != types.True)) {
			t.Fatalf("Total %v, repeated Add %v", got, want)
		}
		if types.IsError(want) {
			errs++
		}
	}
	if errs < 1000 {
		t.Errorf("only %d sums ended in an error: the cases should make more", errs)
	}
}
