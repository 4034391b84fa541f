package fastcel

import (
	"errors"
	"fmt"
	"reflect"

	"evaluate/internal/slab"

	"github.com/google/cel-go/common/types"
	"github.com/google/cel-go/common/types/ref"
	"github.com/google/cel-go/common/types/traits"
)

// valList is a list the fast path builds (a list literal, the result of map
// or filter), made in one allocation when short. cel-go's NewRefValList
// takes three; the month rules build several lists per tenant and month.
// Reading an element by an int index and the size are answered here; every
// other operation is cel-go's own list over the same values, so lists
// behave exactly as cel-go's do.
type valList struct {
	vals    []ref.Val
	adapter types.Adapter
	full    traits.Lister
}

// smallList is a valList with room for a few values in the same
// allocation.
type smallList struct {
	valList
	small [6]ref.Val
}

func newValList(adapter types.Adapter, n int) *valList {
	if n <= len(smallList{}.small) {
		l := &smallList{valList: valList{adapter: adapter}}
		l.vals = l.small[:0]
		return &l.valList
	}
	return &valList{adapter: adapter, vals: make([]ref.Val, 0, n)}
}

// NewList is a CEL list of vals (not copied) in one allocation, whose
// index and size the fast path reads directly; anything else is cel-go's
// own list over vals.
func NewList(adapter types.Adapter, vals []ref.Val) traits.Lister {
	return &valList{vals: vals, adapter: adapter}
}

// Lists makes lists as NewList does, cut from chunks: a caller that makes
// many short-lived lists together (a tenant's month views) makes a few
// allocations instead of one each, and none once Reset gives the chunks
// back for the next tenant. The zero value is ready to use; not safe for
// concurrent use.
type Lists struct{ slab slab.Slab[valList] }

// New is a CEL list of vals (not copied), as NewList's.
func (ls *Lists) New(adapter types.Adapter, vals []ref.Val) traits.Lister {
	l := ls.slab.One()
	*l = valList{vals: vals, adapter: adapter}
	return l
}

// Reset takes back every list New made: none of them may be used after.
func (ls *Lists) Reset() { ls.slab.Reset() }

// sliceList is ext.Lists' list.slice(start, end), with its checks and
// messages. Of a fast-path list it is a view of the values (a list is
// never changed once made); of any other, a copy, as ext.Lists makes.
func sliceList(args ...ref.Val) ref.Val {
	if len(args) != 3 {
		return types.NoSuchOverloadErr()
	}
	list, ok := args[0].(traits.Lister)
	start, ok1 := args[1].(types.Int)
	end, ok2 := args[2].(types.Int)
	if !ok || !ok1 || !ok2 {
		return types.NoSuchOverloadErr()
	}
	n, _ := list.Size().(types.Int)
	switch {
	case start < 0 || end < 0:
		return types.WrapErr(fmt.Errorf("cannot slice(%d, %d), negative indexes not supported", start, end))
	case start > end:
		return types.WrapErr(fmt.Errorf("cannot slice(%d, %d), start index must be less than or equal to end index", start, end))
	case n < end:
		return types.WrapErr(fmt.Errorf("cannot slice(%d, %d), list is length %d", start, end, n))
	}
	if l, ok := list.(*valList); ok {
		return &valList{vals: l.vals[start:end:end], adapter: l.adapter}
	}
	var vals []ref.Val
	for i := start; i < end; i++ {
		vals = append(vals, list.Get(i))
	}
	return types.DefaultTypeAdapter.NativeToValue(vals)
}

func (l *valList) cel() traits.Lister {
	if l.full == nil {
		l.full = types.NewRefValList(l.adapter, l.vals)
	}
	return l.full
}

// Get implements traits.Indexer.
func (l *valList) Get(index ref.Val) ref.Val {
	if i, ok := index.(types.Int); ok && i >= 0 && int(i) < len(l.vals) {
		return l.vals[i]
	}
	return l.cel().Get(index)
}

// Size implements traits.Sizer.
func (l *valList) Size() ref.Val { return types.Int(len(l.vals)) }

// Type implements ref.Val.
func (l *valList) Type() ref.Type { return types.ListType }

// Value implements ref.Val.
func (l *valList) Value() any { return l.vals }

// Add implements traits.Adder.
func (l *valList) Add(other ref.Val) ref.Val { return l.cel().Add(other) }

// Contains implements traits.Container, as cel-go's lists do: true when
// an element equals v, else false (errors of Equal are not true).
func (l *valList) Contains(v ref.Val) ref.Val {
	for _, x := range l.vals {
		if v.Equal(x) == types.True {
			return types.True
		}
	}
	return types.False
}

// ConvertToNative implements ref.Val.
func (l *valList) ConvertToNative(t reflect.Type) (any, error) { return l.cel().ConvertToNative(t) }

// ConvertToType implements ref.Val.
func (l *valList) ConvertToType(t ref.Type) ref.Val { return l.cel().ConvertToType(t) }

// Equal implements ref.Val.
func (l *valList) Equal(other ref.Val) ref.Val { return l.cel().Equal(other) }

// Iterator implements traits.Iterable.
func (l *valList) Iterator() traits.Iterator { return &valIterator{vals: l.vals} }

// valIterator is an iterator over a valList's values, as cel-go's list
// iterator is over its list.
type valIterator struct {
	vals []ref.Val
	next int
}

// HasNext implements traits.Iterator.
func (it *valIterator) HasNext() ref.Val { return types.Bool(it.next < len(it.vals)) }

// Next implements traits.Iterator: nil after the last value, as cel-go's.
func (it *valIterator) Next() ref.Val {
	if it.next >= len(it.vals) {
		return nil
	}
	it.next++
	return it.vals[it.next-1]
}

// ConvertToNative implements ref.Val: an iterator converts to nothing.
func (it *valIterator) ConvertToNative(reflect.Type) (any, error) {
	return nil, errors.New("type conversion on iterators not supported")
}

// ConvertToType implements ref.Val.
func (it *valIterator) ConvertToType(ref.Type) ref.Val {
	return types.NewErr("no such overload")
}

// Equal implements ref.Val.
func (it *valIterator) Equal(ref.Val) ref.Val { return types.NewErr("no such overload") }

// Type implements ref.Val.
func (it *valIterator) Type() ref.Type { return types.IteratorType }

// Value implements ref.Val.
func (it *valIterator) Value() any { return nil }

// IsZeroValue implements traits.Zeroer.
func (l *valList) IsZeroValue() bool { return len(l.vals) == 0 }

// Fold implements traits.Foldable.
func (l *valList) Fold(f traits.Folder) { l.cel().(traits.Foldable).Fold(f) }

// String formats the list as cel-go does.
func (l *valList) String() string { return l.cel().(interface{ String() string }).String() }
