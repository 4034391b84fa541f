package fastcel

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/google/cel-go/cel"
	"github.com/google/cel-go/common/functions"
	"github.com/google/cel-go/common/types"
	"github.com/google/cel-go/common/types/ref"
	"github.com/google/cel-go/common/types/traits"
	"github.com/google/cel-go/interpreter"
)

// The limits of one evaluation. Policy bundles come from shared folders,
// so an expression is as untrusted as a fact file: whatever it says, an
// evaluation ends, and within a bounded amount of memory. The limits are
// far above what any shipped rule needs for a tenant of a hundred thousand
// workloads (the tests measure that), so only a runaway expression meets
// them.
const (
	// CostLimit is the number of steps one evaluation may take: one per
	// iteration of a loop, one per element of a list literal, and for a
	// call on strings or lists one per 16 bytes and one per element of
	// its arguments and of its result. A step is a few tens of
	// nanoseconds, so an evaluation ends within a few seconds. The
	// shipped rules take one step per workload of a tenant, and about
	// 36 n² for a tenant of n Azure services (each service's TTM is
	// summed over all of them): 36 million for a thousand services.
	CostLimit = 100_000_000
	// AllocLimit is the memory, in bytes, one evaluation may allocate
	// for the strings, lists and maps it builds, garbage included.
	AllocLimit = 256 << 20
	// MaxStringSize is the largest string, in bytes, an evaluation may
	// build. Calls that could build a larger one (replace, join, format,
	// a concatenation) fail instead, before they allocate where the size
	// can be known in advance.
	MaxStringSize = 16 << 20
	// MaxListSize is the largest list, in elements, an evaluation may
	// build (map, filter, a concatenation, flatten, split).
	MaxListSize = 1 << 21
)

// Constants are folded only while their value stays small: a folded value
// lives as long as the program, and a larger one is cheaper to compute
// again at each evaluation (within the limits above) than to keep.
const (
	foldMaxString = 64 << 10
	foldMaxList   = 4 << 10
)

// ErrCostLimit is what errors.Is finds in the error of an evaluation that
// met one of the limits (CostLimit, AllocLimit, MaxStringSize,
// MaxListSize).
var ErrCostLimit = errors.New("CEL cost limit exceeded")

// LimitError is an evaluation stopped by one of the limits; it says which.
type LimitError struct{ Detail string }

func (e *LimitError) Error() string { return e.Detail }

// Is makes errors.Is(err, ErrCostLimit) hold.
func (e *LimitError) Is(target error) bool { return target == ErrCostLimit }

func limitErr(format string, args ...any) ref.Val {
	return types.WrapErr(&LimitError{Detail: fmt.Sprintf(format, args...)})
}

// Stopped returns the Go error of an evaluation that ended because it met
// a limit or because its context was done, nil for any other value. Such
// an evaluation is not worth running again on cel-go: it would meet the
// same limit, later.
func Stopped(v ref.Val) error {
	e, ok := v.(*types.Err)
	if !ok {
		return nil
	}
	if errors.Is(e, ErrCostLimit) || errors.Is(e, context.Canceled) || errors.Is(e, context.DeadlineExceeded) {
		return e.Unwrap()
	}
	return nil
}

// size is the size that limits and costs count of a value: bytes of a
// string, elements of a list, 0 for anything else.
func size(v ref.Val) int64 {
	switch x := v.(type) {
	case types.String:
		return int64(len(x))
	case types.Bytes:
		return int64(len(x))
	case *valList:
		return int64(len(x.vals))
	case traits.Lister:
		if n, ok := x.Size().(types.Int); ok {
			return int64(n)
		}
	}
	return 0
}

// footprint is about the bytes a string or list allocates: a list holds
// two words per element.
func footprint(v ref.Val) int64 {
	switch v.(type) {
	case types.String, types.Bytes:
		return size(v)
	case traits.Lister:
		return 16 * size(v)
	}
	return 0
}

// cost is the steps reading or making v costs.
func cost(v ref.Val) int64 {
	switch v.(type) {
	case types.String, types.Bytes:
		return size(v) >> 4 // a step per 16 bytes
	}
	return size(v)
}

// tooBig returns the limit error of a value over MaxStringSize or
// MaxListSize, or nil.
func tooBig(v ref.Val) ref.Val {
	switch x := v.(type) {
	case types.String:
		if len(x) > MaxStringSize {
			return limitErr("a string of %d bytes, over the limit of %d", len(x), MaxStringSize)
		}
	case types.Bytes:
		if len(x) > MaxStringSize {
			return limitErr("bytes of %d, over the limit of %d", len(x), MaxStringSize)
		}
	case *valList:
		if len(x.vals) > MaxListSize {
			return limitErr("a list of %d elements, over the limit of %d", len(x.vals), MaxListSize)
		}
	case traits.Lister:
		if n, ok := x.Size().(types.Int); ok && n > MaxListSize {
			return limitErr("a list of %d elements, over the limit of %d", n, MaxListSize)
		}
	}
	return nil
}

// Limits redefines the functions of the standard extensions whose result
// can be far larger than their arguments (replace, join, split, flatten,
// format) so that they fail before they allocate past MaxStringSize or
// MaxListSize, and those that are quadratic in cel-go (distinct, and
// sets.contains, sets.equivalent and sets.intersects) with linear ones.
// Give it after ext.Strings, ext.Lists and ext.Sets; both cel-go and the
// fast path (whose Dispatcher reads the environment's bindings) then
// call the bounded versions, and cel-go's cost limit charges the linear
// ones as linear.
func Limits() cel.EnvOption { return cel.Lib(limitsLib{}) }

type limitsLib struct{}

// CompileOptions implements cel.Library.
func (limitsLib) CompileOptions() []cel.EnvOption { return []cel.EnvOption{bounded} }

// ProgramOptions implements cel.Library: the cost of the linear versions,
// where cel-go's trackers would charge them as quadratic.
func (limitsLib) ProgramOptions() []cel.ProgramOption {
	linear := func(args []ref.Val, _ ref.Val) *uint64 {
		n := uint64(1)
		for _, a := range args {
			n += uint64(max(size(a), 0))
		}
		return &n
	}
	return []cel.ProgramOption{cel.CostTrackerOptions(
		interpreter.OverloadCostTracker("list_distinct", linear),
		interpreter.OverloadCostTracker("list_sets_contains_list", linear),
		interpreter.OverloadCostTracker("list_sets_equivalent_list", linear),
		interpreter.OverloadCostTracker("list_sets_intersects_list", linear),
	)}
}

func bounded(env *cel.Env) (*cel.Env, error) {
	fns := env.Functions()
	orig := map[string]*functions.Overload{}
	for _, name := range []string{"replace", "join", "split", "flatten", "format"} {
		if fn, ok := fns[name]; ok {
			bs, err := fn.Bindings()
			if err != nil {
				return nil, err
			}
			for _, b := range bs {
				orig[b.Operator] = b
			}
		}
	}
	var opts []cel.EnvOption
	// check has the call's arguments, nil past them: a slice of them
	// would be allocated at every call.
	guard := func(fn, id string, member bool, args []*cel.Type, result *cel.Type, check func(a0, a1, a2, a3 ref.Val) ref.Val) {
		o := orig[id]
		if o == nil {
			return
		}
		// The binding of the arity cel-go's planner and the fast path
		// look for first.
		var bound cel.OverloadOpt
		switch {
		case len(args) == 1 && o.Unary != nil:
			impl := o.Unary
			bound = cel.UnaryBinding(func(a ref.Val) ref.Val {
				if err := check(a, nil, nil, nil); err != nil {
					return err
				}
				return impl(a)
			})
		case len(args) == 2 && o.Binary != nil:
			impl := o.Binary
			bound = cel.BinaryBinding(func(a, b ref.Val) ref.Val {
				if err := check(a, b, nil, nil); err != nil {
					return err
				}
				return impl(a, b)
			})
		case len(args) <= 4 && o.Function != nil:
			impl := o.Function
			bound = cel.FunctionBinding(func(a ...ref.Val) ref.Val {
				at := func(i int) ref.Val {
					if i < len(a) {
						return a[i]
					}
					return nil
				}
				if err := check(at(0), at(1), at(2), at(3)); err != nil {
					return err
				}
				return impl(a...)
			})
		default:
			return
		}
		over := cel.Overload
		if member {
			over = cel.MemberOverload
		}
		opts = append(opts, cel.Function(fn, over(id, args, result, bound)))
	}
	str, listStr := cel.StringType, cel.ListType(cel.StringType)
	listT := cel.ListType(cel.TypeParamType("T"))
	listDyn := cel.ListType(cel.DynType)
	guard("replace", "string_replace_string_string", true, []*cel.Type{str, str, str}, str, func(a0, a1, a2, a3 ref.Val) ref.Val {
		return checkReplace(a0, a1, a2, -1)
	})
	guard("replace", "string_replace_string_string_int", true, []*cel.Type{str, str, str, cel.IntType}, str, func(a0, a1, a2, a3 ref.Val) ref.Val {
		n, _ := a3.(types.Int)
		return checkReplace(a0, a1, a2, int64(n))
	})
	guard("join", "list_join", true, []*cel.Type{listStr}, str, func(a0, a1, a2, a3 ref.Val) ref.Val {
		return checkJoin(a0, "")
	})
	guard("join", "list_join_string", true, []*cel.Type{listStr, str}, str, func(a0, a1, a2, a3 ref.Val) ref.Val {
		sep, _ := a1.(types.String)
		return checkJoin(a0, string(sep))
	})
	guard("split", "string_split_string", true, []*cel.Type{str, str}, listStr, func(a0, a1, a2, a3 ref.Val) ref.Val {
		return checkSplit(a0, a1, -1)
	})
	guard("split", "string_split_string_int", true, []*cel.Type{str, str, cel.IntType}, listStr, func(a0, a1, a2, a3 ref.Val) ref.Val {
		n, _ := a2.(types.Int)
		return checkSplit(a0, a1, int64(n))
	})
	guard("flatten", "list_flatten", true, []*cel.Type{cel.ListType(listT)}, listT, func(a0, a1, a2, a3 ref.Val) ref.Val {
		return checkFlatten(a0, 1)
	})
	guard("flatten", "list_flatten_int", true, []*cel.Type{listDyn, cel.IntType}, listDyn, func(a0, a1, a2, a3 ref.Val) ref.Val {
		n, _ := a1.(types.Int)
		return checkFlatten(a0, int64(n))
	})
	guard("format", "string_format", true, []*cel.Type{str, listDyn}, str, func(a0, a1, a2, a3 ref.Val) ref.Val {
		return checkFormat(a0, a1)
	})
	if _, ok := fns["distinct"]; ok {
		opts = append(opts, cel.Function("distinct", cel.MemberOverload("list_distinct", []*cel.Type{listT}, listT,
			cel.UnaryBinding(distinct))))
	}
	if _, ok := fns["slice"]; ok {
		// Not a limit: a slice of a fast-path list is a view of its
		// values, not a copy (sliceList).
		opts = append(opts, cel.Function("slice", cel.MemberOverload("list_slice", []*cel.Type{listT, cel.IntType, cel.IntType}, listT,
			cel.FunctionBinding(sliceList))))
	}
	if _, ok := fns["sets.contains"]; ok {
		opts = append(opts,
			cel.Function("sets.contains", cel.Overload("list_sets_contains_list", []*cel.Type{listT, listT}, cel.BoolType,
				cel.BinaryBinding(setsContains))),
			cel.Function("sets.equivalent", cel.Overload("list_sets_equivalent_list", []*cel.Type{listT, listT}, cel.BoolType,
				cel.BinaryBinding(setsEquivalent))),
			cel.Function("sets.intersects", cel.Overload("list_sets_intersects_list", []*cel.Type{listT, listT}, cel.BoolType,
				cel.BinaryBinding(setsIntersects))),
		)
	}
	return env.Extend(opts...)
}

// checkReplace refuses a replace whose result would be over MaxStringSize,
// before strings.Replace allocates it: "" as old inserts new at every
// rune boundary, so a short string can grow by its length times new's.
func checkReplace(sv, oldv, newv ref.Val, n int64) ref.Val {
	s, ok1 := sv.(types.String)
	old, ok2 := oldv.(types.String)
	repl, ok3 := newv.(types.String)
	if !ok1 || !ok2 || !ok3 {
		return nil
	}
	var count int64
	if old == "" {
		count = int64(utf8.RuneCountInString(string(s))) + 1
	} else {
		count = int64(strings.Count(string(s), string(old)))
	}
	if n >= 0 && n < count {
		count = n
	}
	grow := int64(len(repl)) - int64(len(old))
	if grow <= 0 {
		return nil
	}
	if count > (MaxStringSize-int64(len(s)))/grow {
		return limitErr("replace would build a string of about %d bytes, over the limit of %d", int64(len(s))+count*grow, MaxStringSize)
	}
	return nil
}

// checkJoin refuses a join over MaxStringSize: a list may hold one long
// string many times over, at the cost of one reference each.
func checkJoin(lv ref.Val, sep string) ref.Val {
	l, ok := lv.(traits.Lister)
	if !ok {
		return nil
	}
	n, _ := l.Size().(types.Int)
	total := int64(0)
	for i := types.Int(0); i < n; i++ {
		if s, ok := l.Get(i).(types.String); ok {
			total += int64(len(s))
		}
		if i > 0 {
			total += int64(len(sep))
		}
		if total > MaxStringSize {
			return limitErr("join would build a string of more than %d bytes", MaxStringSize)
		}
	}
	return nil
}

// checkSplit refuses a split into more than MaxListSize parts (each part
// costs a few words of memory however short).
func checkSplit(sv, sepv ref.Val, n int64) ref.Val {
	s, ok1 := sv.(types.String)
	sep, ok2 := sepv.(types.String)
	if !ok1 || !ok2 {
		return nil
	}
	var parts int64
	if sep == "" {
		parts = int64(utf8.RuneCountInString(string(s)))
	} else {
		parts = int64(strings.Count(string(s), string(sep))) + 1
	}
	if n >= 0 && n < parts {
		parts = n
	}
	if parts > MaxListSize {
		return limitErr("split would build a list of %d elements, over the limit of %d", parts, MaxListSize)
	}
	return nil
}

// checkFlatten refuses a flatten over MaxListSize elements: the lists it
// joins may be one list many times over.
func checkFlatten(lv ref.Val, depth int64) ref.Val {
	l, ok := lv.(traits.Lister)
	if !ok || depth < 0 {
		return nil
	}
	budget := int64(MaxListSize)
	if !flatSize(l, depth, &budget) {
		return limitErr("flatten would build a list of more than %d elements", MaxListSize)
	}
	return nil
}

// flatSize takes the elements l flattens to depth from budget, and
// reports whether they fit.
func flatSize(l traits.Lister, depth int64, budget *int64) bool {
	n, _ := l.Size().(types.Int)
	for i := types.Int(0); i < n; i++ {
		if inner, ok := l.Get(i).(traits.Lister); ok && depth > 0 {
			if !flatSize(inner, depth-1, budget) {
				return false
			}
			continue
		}
		if *budget--; *budget < 0 {
			return false
		}
	}
	return true
}

// checkFormat refuses a format whose result could be over MaxStringSize:
// each argument is printed at most about twice its own size (hex), a
// number in at most a few hundred characters.
func checkFormat(fv, argsv ref.Val) ref.Val {
	f, _ := fv.(types.String)
	budget := int64(MaxStringSize) - int64(len(f))
	if l, ok := argsv.(traits.Lister); ok && !reprFits(l, &budget) {
		return limitErr("format would build a string of more than %d bytes", MaxStringSize)
	}
	return nil
}

// reprFits takes from budget an upper bound of the printed size of v.
func reprFits(v ref.Val, budget *int64) bool {
	switch x := v.(type) {
	case types.String:
		*budget -= 2*int64(len(x)) + 2
	case types.Bytes:
		*budget -= 2*int64(len(x)) + 2
	case traits.Lister:
		*budget -= 2
		n, _ := x.Size().(types.Int)
		for i := types.Int(0); i < n && *budget >= 0; i++ {
			*budget -= 2
			if !reprFits(x.Get(i), budget) {
				return false
			}
		}
	case traits.Mapper:
		*budget -= 2
		for it := x.Iterator(); it.HasNext() == types.True && *budget >= 0; {
			k := it.Next()
			*budget -= 4
			if !reprFits(k, budget) || !reprFits(x.Get(k), budget) {
				return false
			}
		}
	default:
		*budget -= 512
	}
	return *budget >= 0
}

// TooBig reports whether v is a string or list over MaxStringSize or
// MaxListSize: cel-go's evaluations check their calls' results with it.
func TooBig(v ref.Val) bool { return tooBig(v) != nil }
