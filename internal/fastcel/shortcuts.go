package fastcel

import (
	"math"

	"github.com/google/cel-go/common/overloads"
	"github.com/google/cel-go/common/types"
	"github.com/google/cel-go/common/types/ref"
	"github.com/google/cel-go/common/types/traits"
)

// Shortcuts for the standard overloads the rules use in every loop. cel-go
// guards each overload with a check of the arguments' runtime types against
// its signature, which costs more than the operation; a shortcut handles
// the exact argument types of the overload and returns ok=false for
// anything else, which then goes through cel-go's guarded implementation.
// Each does what the standard implementation does after its guard.

var unaryShortcuts = map[string]func(ref.Val) (ref.Val, bool){
	// The loop condition of exists and all; cel-go's implementation
	// (non-strict) turns anything else into true.
	overloads.NotStrictlyFalse: func(v ref.Val) (ref.Val, bool) {
		b, ok := v.(types.Bool)
		return b, ok
	},
	overloads.LogicalNot: func(v ref.Val) (ref.Val, bool) {
		b, ok := v.(types.Bool)
		return !b, ok
	},
	overloads.IntToDouble: func(v ref.Val) (ref.Val, bool) {
		i, ok := v.(types.Int)
		return types.Double(i), ok
	},
	overloads.IntToInt: func(v ref.Val) (ref.Val, bool) {
		i, ok := v.(types.Int)
		return i, ok
	},
	overloads.DoubleToDouble: func(v ref.Val) (ref.Val, bool) {
		d, ok := v.(types.Double)
		return d, ok
	},
	overloads.SizeList: listSize,
	"list_size":        listSize,
}

func listSize(v ref.Val) (ref.Val, bool) {
	l, ok := v.(traits.Lister)
	if !ok {
		return nil, false
	}
	return l.Size(), true
}

var binaryShortcuts = map[string]func(l, r ref.Val) (ref.Val, bool){
	overloads.LessInt64:           intCompare(func(a, b types.Int) bool { return a < b }),
	overloads.LessEqualsInt64:     intCompare(func(a, b types.Int) bool { return a <= b }),
	overloads.GreaterInt64:        intCompare(func(a, b types.Int) bool { return a > b }),
	overloads.GreaterEqualsInt64:  intCompare(func(a, b types.Int) bool { return a >= b }),
	overloads.LessDouble:          doubleCompare(func(a, b types.Double) bool { return a < b }),
	overloads.LessEqualsDouble:    doubleCompare(func(a, b types.Double) bool { return a <= b }),
	overloads.GreaterDouble:       doubleCompare(func(a, b types.Double) bool { return a > b }),
	overloads.GreaterEqualsDouble: doubleCompare(func(a, b types.Double) bool { return a >= b }),
	overloads.LessString:          stringCompare(func(a, b types.String) bool { return a < b }),
	overloads.LessEqualsString:    stringCompare(func(a, b types.String) bool { return a <= b }),
	overloads.GreaterString:       stringCompare(func(a, b types.String) bool { return a > b }),
	overloads.GreaterEqualsString: stringCompare(func(a, b types.String) bool { return a >= b }),
	overloads.AddInt64: func(l, r ref.Val) (ref.Val, bool) {
		a, ok1 := l.(types.Int)
		b, ok2 := r.(types.Int)
		if !ok1 || !ok2 {
			return nil, false
		}
		return a.Add(b), true // checks overflow
	},
	overloads.SubtractInt64: func(l, r ref.Val) (ref.Val, bool) {
		a, ok1 := l.(types.Int)
		b, ok2 := r.(types.Int)
		if !ok1 || !ok2 {
			return nil, false
		}
		return a.Subtract(b), true
	},
	overloads.MultiplyDouble: func(l, r ref.Val) (ref.Val, bool) {
		a, ok1 := l.(types.Double)
		b, ok2 := r.(types.Double)
		return a * b, ok1 && ok2
	},
	overloads.DivideDouble: func(l, r ref.Val) (ref.Val, bool) {
		a, ok1 := l.(types.Double)
		b, ok2 := r.(types.Double)
		return a / b, ok1 && ok2
	},
	overloads.AddList: func(l, r ref.Val) (ref.Val, bool) {
		_, ok1 := l.(traits.Lister)
		_, ok2 := r.(traits.Lister)
		if !ok1 || !ok2 {
			return nil, false
		}
		return l.(traits.Adder).Add(r), true
	},
	overloads.InList: func(l, r ref.Val) (ref.Val, bool) {
		c, ok := r.(traits.Lister)
		if !ok {
			return nil, false
		}
		return c.Contains(l), true
	},
}

func intCompare(f func(a, b types.Int) bool) func(l, r ref.Val) (ref.Val, bool) {
	return func(l, r ref.Val) (ref.Val, bool) {
		a, ok1 := l.(types.Int)
		b, ok2 := r.(types.Int)
		return types.Bool(ok1 && ok2 && f(a, b)), ok1 && ok2
	}
}

// doubleCompare leaves NaN to cel-go, whose comparison is an error.
func doubleCompare(f func(a, b types.Double) bool) func(l, r ref.Val) (ref.Val, bool) {
	return func(l, r ref.Val) (ref.Val, bool) {
		a, ok1 := l.(types.Double)
		b, ok2 := r.(types.Double)
		ok := ok1 && ok2 && !math.IsNaN(float64(a)) && !math.IsNaN(float64(b))
		return types.Bool(ok && f(a, b)), ok
	}
}

func stringCompare(f func(a, b types.String) bool) func(l, r ref.Val) (ref.Val, bool) {
	return func(l, r ref.Val) (ref.Val, bool) {
		a, ok1 := l.(types.String)
		b, ok2 := r.(types.String)
		return types.Bool(ok1 && ok2 && f(a, b)), ok1 && ok2
	}
}

// anyUnary and anyBinary try the shortcuts of every candidate overload of
// a call that the checker left to run time (a dyn argument): each shortcut
// accepts only its own argument types, so at most one applies, the one
// cel-go's dynamic dispatch would choose.
func anyUnary(ids []string) func(ref.Val) (ref.Val, bool) {
	var fs []func(ref.Val) (ref.Val, bool)
	for _, id := range ids {
		if f, ok := unaryShortcuts[id]; ok {
			fs = append(fs, f)
		}
	}
	if len(fs) == 0 {
		return nil
	}
	return func(v ref.Val) (ref.Val, bool) {
		for _, f := range fs {
			if out, ok := f(v); ok {
				return out, true
			}
		}
		return nil, false
	}
}

func anyBinary(ids []string) func(l, r ref.Val) (ref.Val, bool) {
	var fs []func(l, r ref.Val) (ref.Val, bool)
	for _, id := range ids {
		if f, ok := binaryShortcuts[id]; ok {
			fs = append(fs, f)
		}
	}
	if len(fs) == 0 {
		return nil
	}
	return func(l, r ref.Val) (ref.Val, bool) {
		for _, f := range fs {
			if out, ok := f(l, r); ok {
				return out, true
			}
		}
		return nil, false
	}
}
