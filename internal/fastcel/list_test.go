package fastcel

import (
	"testing"

	"github.com/google/cel-go/cel"
	"github.com/google/cel-go/common/types"
	"github.com/google/cel-go/common/types/ref"
	"github.com/google/cel-go/common/types/traits"
	"github.com/google/cel-go/ext"
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

// TestSliceAsExtLists: list.slice gives what ext.Lists' gives, values and
// errors, of a fast-path list (a view of it) and of any other, on cel-go
// and on the fast path.
func TestSliceAsExtLists(t *testing.T) {
	t.Parallel()
	plain, err := cel.NewEnv(ext.Lists(), cel.Variable("l", cel.DynType), cel.Variable("a", cel.IntType), cel.Variable("b", cel.IntType))
	if err != nil {
		t.Fatal(err)
	}
	bounded, err := plain.Extend(Limits())
	if err != nil {
		t.Fatal(err)
	}
	disp, err := NewDispatcher(bounded)
	if err != nil {
		t.Fatal(err)
	}
	wp, gp, got := plainAndBounded(t, plain, bounded, `l.slice(a, b)`)
	names := map[string]int{"l": 0, "a": 1, "b": 2}
	fp, err := Compile(bounded, got, disp, Options{Global: func(n string) (int, bool) { i, ok := names[n]; return i, ok }})
	if err != nil {
		t.Fatal(err)
	}
	a := types.DefaultTypeAdapter
	vals := []ref.Val{types.Int(1), types.String("x"), types.Double(2), types.True, types.Int(5)}
	for _, l := range []ref.Val{NewList(a, vals), types.NewRefValList(a, vals), NewList(a, nil)} {
		for lo := -1; lo <= 6; lo++ {
			for hi := -1; hi <= 6; hi++ {
				act := map[string]any{"l": l, "a": lo, "b": hi}
				w, _, werr := wp.Eval(act)
				g, _, gerr := gp.Eval(act)
				f := fp.Eval([]ref.Val{l, types.Int(lo), types.Int(hi)})
				if (werr != nil) != (gerr != nil) || werr != nil && werr.Error() != gerr.Error() || werr == nil && w.Equal(g) != types.True {
					t.Errorf("%v.slice(%d, %d): got %v %v, ext.Lists %v %v", l, lo, hi, g, gerr, w, werr)
				}
				if werr != nil {
					if !types.IsError(f) || f.(*types.Err).Error() != werr.Error() {
						t.Errorf("%v.slice(%d, %d) on the fast path: %v, ext.Lists %v", l, lo, hi, f, werr)
					}
				} else if f.Equal(w) != types.True {
					t.Errorf("%v.slice(%d, %d) on the fast path: %v, ext.Lists %v", l, lo, hi, f, w)
				}
			}
		}
	}
}
