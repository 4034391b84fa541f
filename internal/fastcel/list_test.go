package fastcel

import (
	"testing"

	"github.com/google/cel-go/common/types"
	"github.com/google/cel-go/common/types/ref"
	"github.com/google/cel-go/common/types/traits"
)

// TestListIsCELList: what a fastcel list (NewList's, Lists.New's) answers itself (size, index,
// contains, iteration) is what cel-go's list of the same values answers.
func TestListIsCELList(t *testing.T) {
	a := types.DefaultTypeAdapter
	vals := []ref.Val{types.Int(1), types.String("a"), types.Double(1), types.True, a.NativeToValue([]int64{2}), types.NullValue}
	probes := append([]ref.Val{types.Int(2), types.String("b"), types.Uint(1), types.False, a.NativeToValue([]int64{3})}, vals...)
	var chunked Lists
	var made []traits.Lister // from one chunk: each must keep its own values
	for k := 0; k <= 2*len(vals)+1; k++ {
		n := k % (len(vals) + 1)
		ours, theirs := NewList(a, vals[:n]), types.NewRefValList(a, vals[:n])
		if k > len(vals) {
			ours = chunked.New(a, vals[:n])
			made = append(made, ours)
		}
		if ours.Size() != theirs.Size() {
			t.Fatalf("size %v, cel-go %v", ours.Size(), theirs.Size())
		}
		for _, p := range probes {
			if got, want := ours.Contains(p), theirs.Contains(p); got != want {
				t.Errorf("%v in %v: %v, cel-go %v", p, vals[:n], got, want)
			}
		}
		it, want := ours.Iterator(), theirs.Iterator()
		for want.HasNext() == types.True {
			if it.HasNext() != types.True {
				t.Fatalf("iterator of %v ends early", vals[:n])
			}
			if got, w := it.Next(), want.Next(); got.Equal(w) != types.True {
				t.Errorf("iterator gives %v, cel-go %v", got, w)
			}
		}
		if it.HasNext() != types.False || it.Next() != nil || it.Type() != want.Type() {
			t.Errorf("iterator of %v: does not end as cel-go's", vals[:n])
		}
		if ours.Equal(theirs) != types.True || theirs.Equal(ours) != types.True {
			t.Errorf("%v: not equal to cel-go's list", vals[:n])
		}
		var _ traits.Lister = ours
	}
	for n, l := range made {
		if l.Size() != types.Int(n) {
			t.Errorf("list %d of a chunk has size %v", n, l.Size())
		}
	}
}

// orderedMap is a map that iterates in an order of its own, as the
// engine's params maps do (sorted).
type orderedMap struct {
	traits.Mapper
	keys traits.Lister
}

func (m orderedMap) Iterator() traits.Iterator { return m.keys.Iterator() }

// TestMapOrderKept: cel-go's own maps are ranged over directly, but a map
// with an iterator of its own is iterated by it.
func TestMapOrderKept(t *testing.T) {
	env, disp := testEnv(t)
	a := types.DefaultTypeAdapter
	// Its value is a map of CEL values, as cel-go's own maps' are.
	m := orderedMap{Mapper: types.NewRefValMap(a, map[ref.Val]ref.Val{types.String("a"): types.Int(1), types.String("b"): types.Int(2), types.String("c"): types.Int(3)}),
		keys: a.NativeToValue([]string{"c", "a", "b"}).(traits.Lister)}
	ast, iss := env.Compile(`dy.map(k, k).join("") + "/" + dy.transformList(k, v, k + string(v)).join("")`)
	if iss.Err() != nil {
		t.Fatal(iss.Err())
	}
	p, err := Compile(env, ast, disp, testOptions)
	if err != nil {
		t.Fatal(err)
	}
	data := limitData(2)
	data[len(data)-1] = m // dy
	for range 20 {
		if v := p.Eval(data); v != types.String("cab/c3a1b2") {
			t.Fatalf("got %v, want the map's own order", v)
		}
	}
}
