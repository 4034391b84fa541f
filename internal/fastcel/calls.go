package fastcel

import (
	"slices"

	"github.com/google/cel-go/common/ast"
	"github.com/google/cel-go/common/functions"
	"github.com/google/cel-go/common/operators"
	"github.com/google/cel-go/common/overloads"
	"github.com/google/cel-go/common/types"
	"github.com/google/cel-go/common/types/ref"
	"github.com/google/cel-go/common/types/traits"
)

func (c *compiler) call(e ast.Expr) (evalFn, error) {
	call := e.AsCall()
	fn := call.FunctionName()
	var argExprs []ast.Expr
	if call.IsMemberFunction() {
		argExprs = append(argExprs, call.Target())
	}
	argExprs = append(argExprs, call.Args()...)
	if len(argExprs) == 1 && isCollect(argExprs[0]) {
		// A consumer of every element of a map or filter reads it as it
		// is made (seq).
		switch ids := c.a.GetOverloadIDs(e.ID()); {
		case fn == "sum" && slices.Equal(ids, []string{"list_int_sum"}):
			return c.fusedSum(argExprs[0], types.IntZero)
		case fn == "sum" && slices.Equal(ids, []string{"list_double_sum"}):
			return c.fusedSum(argExprs[0], types.Double(0))
		case fn == overloads.Size && len(ids) == 1 && (ids[0] == overloads.SizeList || ids[0] == "list_size"):
			return c.fusedSize(argExprs[0])
		}
	}
	if fn == operators.In && len(argExprs) == 2 {
		if set, ok := c.stringSet(argExprs[1]); ok {
			return c.inSet(argExprs[0], set)
		}
	}
	switch fn {
	case operators.Conditional:
		if b, ok := c.constantBool(argExprs[0]); ok {
			if b {
				return c.compile(argExprs[1])
			}
			return c.compile(argExprs[2])
		}
	case operators.LogicalAnd, operators.LogicalOr:
		return c.logical(argExprs, types.Bool(fn == operators.LogicalOr))
	}
	args, err := c.compileAll(argExprs)
	if err != nil {
		return nil, err
	}
	ids := c.a.GetOverloadIDs(e.ID())
	m := c.meters(e, argExprs, ids)
	switch fn {
	case operators.Conditional:
		cond, yes, no := args[0], args[1], args[2]
		return func(fr *frame) ref.Val {
			switch v := cond(fr); v {
			case types.True:
				return yes(fr)
			case types.False:
				return no(fr)
			default:
				if types.IsUnknownOrError(v) {
					return v
				}
				return types.MaybeNoSuchOverloadErr(v)
			}
		}, nil
	case operators.Equals:
		return both(args[0], args[1], m.args, types.Equal), nil
	case operators.NotEquals:
		return both(args[0], args[1], m.args, func(l, r ref.Val) ref.Val { return types.Bool(types.Equal(l, r) != types.True) }), nil
	case operators.Index:
		return both(args[0], args[1], false, func(o, i ref.Val) ref.Val {
			if x, ok := o.(traits.Indexer); ok {
				return x.Get(i)
			}
			return types.NewErr("index: unsupported operand")
		}), nil
	case operators.OptIndex, operators.OptSelect:
		return nil, errUnsupported
	}
	var def *functions.Overload
	id := ""
	if len(ids) == 1 {
		id, def = ids[0], c.disp[ids[0]]
	}
	if def == nil {
		def = c.disp[fn]
	}
	if def == nil || def.Async != nil {
		return nil, errUnsupported
	}
	if id == "" {
		return strictCall(def, args, m, anyUnary(ids), anyBinary(ids))
	}
	return strictCall(def, args, m, unaryShortcuts[id], binaryShortcuts[id])
}

// meters say what a call spends of the budget: the cost of its arguments
// (the work of a call on strings or lists grows with them) and of its
// result (what it allocates), and whether its result is checked against
// the size limits. Calls on numbers, whose work does not grow, spend
// nothing, and keep the fast path as fast as before.
type meters struct {
	args, out, check bool
	// grow is a concatenation of lists, which allocates for its right
	// operand's elements; mapOut a call that makes a map (an insert).
	grow, mapOut bool
}

// constantTime are the overloads whose work does not grow with the size
// of their arguments: a list's size, an index, a lookup in a map, and a
// concatenation of lists (cel-go's is lazy, the fast path's grows its
// accumulator in place).
var constantTime = map[string]bool{
	overloads.SizeList: true, overloads.SizeListInst: true, overloads.SizeMap: true, overloads.SizeMapInst: true,
	overloads.SizeBytes: true, overloads.SizeBytesInst: true,
	overloads.IndexList: true, overloads.IndexMap: true, overloads.InMap: true, overloads.AddList: true,
}

func (c *compiler) meters(e ast.Expr, args []ast.Expr, ids []string) meters {
	sized := func(x ast.Expr) bool {
		t := c.a.GetType(x.ID())
		if t == nil {
			return true
		}
		switch t.Kind() {
		case types.StringKind, types.BytesKind, types.ListKind, types.DynKind, types.AnyKind, types.TypeParamKind:
			return true
		}
		return false
	}
	var m meters
	steady := len(ids) > 0
	for _, id := range ids {
		steady = steady && constantTime[id]
	}
	if !steady {
		for _, a := range args {
			m.args = m.args || sized(a)
		}
	}
	m.check = sized(e)
	m.out = m.check && !steady
	m.grow = slices.Contains(ids, overloads.AddList)
	if t := c.a.GetType(e.ID()); t != nil && t.Kind() == types.MapKind {
		m.mapOut = true
	}
	return m
}

// in spends the cost of a call's arguments; it returns the error that
// stops the evaluation, or nil.
func (m meters) in(fr *frame, vals ...ref.Val) ref.Val {
	for _, v := range vals {
		// Strings first, and short ones cost nothing: they are most
		// arguments in the rules' loops.
		if s, ok := v.(types.String); ok && len(s) < 16 {
			continue
		}
		if n := cost(v); n > 0 && !fr.spend(n) {
			return fr.stop
		}
	}
	return nil
}

// done checks and spends a call's result.
func (m meters) done(fr *frame, out ref.Val) ref.Val {
	if m.check {
		if err := tooBig(out); err != nil {
			return fr.fail(err)
		}
	}
	if types.IsError(out) && Stopped(out) != nil {
		return fr.fail(out) // a bounded function refused to build its result
	}
	if m.out {
		if n := cost(out); n > 0 && !fr.spend(n) {
			return fr.stop
		}
		if n := footprint(out); n > 0 && !fr.allocate(n) {
			return fr.stop
		}
	}
	if m.mapOut && !fr.allocate(64) {
		return fr.stop
	}
	return out
}

// isCollect reports whether e is a map or filter.
func isCollect(e ast.Expr) bool {
	if e.Kind() != ast.ComprehensionKind || e.AsComprehension().HasIterVar2() {
		return false
	}
	_, _, ok := collectParts(e.AsComprehension())
	return ok
}

// both evaluates two arguments and applies f, unless one is an error (or
// unknown), which is returned as cel-go's strict operators return it;
// metered, it spends the cost of the arguments first.
func both(lhs, rhs evalFn, metered bool, f func(l, r ref.Val) ref.Val) evalFn {
	return func(fr *frame) ref.Val {
		l := lhs(fr)
		if types.IsUnknownOrError(l) {
			return l
		}
		r := rhs(fr)
		if types.IsUnknownOrError(r) {
			return r
		}
		if metered {
			if err := (meters{}).in(fr, l, r); err != nil {
				return err
			}
		}
		return f(l, r)
	}
}

// logical compiles && (decides false) or || (decides true) without its
// constant operands that do not decide (true in &&, false in ||): they
// change neither the deciding value, nor the first failure, nor the
// result when nothing decides. A constant that decides ends the operands:
// those before it still run (cel-go runs them, and they may meet a
// limit), then it is the result.
func (c *compiler) logical(argExprs []ast.Expr, decides types.Bool) (evalFn, error) {
	var terms []evalFn
	for _, a := range argExprs {
		if b, ok := c.constantBool(a); ok {
			if types.Bool(b) != decides {
				continue
			}
			before := terms
			return func(fr *frame) ref.Val {
				for _, t := range before {
					if t(fr) == decides {
						break
					}
				}
				return decides
			}, nil
		}
		t, err := c.compile(a)
		if err != nil {
			return nil, err
		}
		terms = append(terms, t)
	}
	if len(terms) == 1 {
		t := terms[0]
		return func(fr *frame) ref.Val {
			v := t(fr)
			if _, ok := v.(types.Bool); ok || types.IsUnknownOrError(v) {
				return v
			}
			return types.MaybeNoSuchOverloadErr(v)
		}, nil
	}
	return logical(terms, decides), nil
}

// logical is && (stop on false) or || (stop on true): the first deciding
// value wins even after an error, as cel-go's evalAnd and evalOr decide.
func logical(terms []evalFn, decides types.Bool) evalFn {
	return func(fr *frame) ref.Val {
		var failed ref.Val
		for _, t := range terms {
			v := t(fr)
			b, ok := v.(types.Bool)
			if ok && b == decides {
				return decides
			}
			if !ok && failed == nil {
				failed = v
			}
		}
		if failed != nil {
			if types.IsUnknownOrError(failed) {
				return failed
			}
			return types.MaybeNoSuchOverloadErr(failed)
		}
		return !decides
	}
}

// strictCall calls an overload's implementation as cel-go's evalUnary,
// evalBinary and evalVarArgs do: errors in the arguments are returned
// unless the overload is non-strict, and the operand must have the
// overload's trait.
// A shortcut, when given, is tried first (fastops.go).
func strictCall(def *functions.Overload, args []evalFn, m meters, unary func(ref.Val) (ref.Val, bool), binary func(l, r ref.Val) (ref.Val, bool)) (evalFn, error) {
	strict := !def.NonStrict
	trait := def.OperandTrait
	usable := func(v ref.Val) bool {
		return trait == 0 || (!strict && types.IsUnknownOrError(v)) || v.Type().HasTrait(trait)
	}
	switch {
	case len(args) == 1 && (def.Unary != nil || def.Function == nil):
		if def.Unary == nil {
			return nil, errUnsupported
		}
		impl, arg := def.Unary, args[0]
		return func(fr *frame) ref.Val {
			v := arg(fr)
			if strict && types.IsUnknownOrError(v) {
				return v
			}
			if m.args {
				if err := m.in(fr, v); err != nil {
					return err
				}
			}
			if unary != nil {
				if out, ok := unary(v); ok {
					return m.done(fr, out)
				}
			}
			if !usable(v) {
				return types.NewErr("no such overload")
			}
			return m.done(fr, impl(v))
		}, nil
	case len(args) == 2 && (def.Binary != nil || def.Function == nil):
		if def.Binary == nil {
			return nil, errUnsupported
		}
		impl := def.Binary
		apply := func(l, r ref.Val) ref.Val {
			if binary != nil {
				if out, ok := binary(l, r); ok {
					return out
				}
			}
			if !usable(l) {
				return types.NewErr("no such overload")
			}
			return impl(l, r)
		}
		lhs, rhs := args[0], args[1]
		if m.args || m.check || m.out || m.grow || m.mapOut {
			return func(fr *frame) ref.Val {
				l := lhs(fr)
				if strict && types.IsUnknownOrError(l) {
					return l
				}
				r := rhs(fr)
				if strict && types.IsUnknownOrError(r) {
					return r
				}
				if m.args {
					if err := m.in(fr, l, r); err != nil {
						return err
					}
				}
				if m.grow && !fr.allocate(footprint(r)) {
					return fr.stop
				}
				return m.done(fr, apply(l, r))
			}, nil
		}
		if strict {
			return both(lhs, rhs, false, apply), nil
		}
		return func(fr *frame) ref.Val { return apply(lhs(fr), rhs(fr)) }, nil
	case len(args) > 0 && def.Function != nil:
		impl := def.Function
		return func(fr *frame) ref.Val {
			vals := make([]ref.Val, len(args))
			for i, a := range args {
				vals[i] = a(fr)
				if strict && types.IsUnknownOrError(vals[i]) {
					return vals[i]
				}
			}
			if m.args {
				if err := m.in(fr, vals...); err != nil {
					return err
				}
			}
			if unary != nil && len(vals) == 1 {
				if out, ok := unary(vals[0]); ok {
					return m.done(fr, out)
				}
			}
			if binary != nil && len(vals) == 2 {
				if out, ok := binary(vals[0], vals[1]); ok {
					return m.done(fr, out)
				}
			}
			if !usable(vals[0]) {
				return types.NewErr("no such overload")
			}
			return m.done(fr, impl(vals...))
		}, nil
	}
	return nil, errUnsupported
}

// stringSet returns a constant list of strings as a set, so that `x in
// params.list` is a map lookup (cel-go's OptOptimize does the same).
func (c *compiler) stringSet(e ast.Expr) (map[types.String]struct{}, bool) {
	v, ok := c.constant(e)
	if !ok {
		return nil, false
	}
	l, ok := v.(traits.Lister)
	if !ok {
		return nil, false
	}
	set := map[types.String]struct{}{}
	for it := l.Iterator(); it.HasNext() == types.True; {
		s, ok := it.Next().(types.String)
		if !ok {
			return nil, false
		}
		set[s] = struct{}{}
	}
	return set, true
}

// inSet is `x in list` for a constant list of strings. Only a string can
// equal a string under CEL's equality, so anything else is not in it.
func (c *compiler) inSet(x ast.Expr, set map[types.String]struct{}) (evalFn, error) {
	arg, err := c.compile(x)
	if err != nil {
		return nil, err
	}
	has := func(s types.String) bool { _, in := set[s]; return in }
	if len(set) <= smallSet {
		// A few strings: compared (lengths first), not hashed.
		var list []types.String
		for k := range set {
			list = append(list, k)
		}
		has = func(s types.String) bool { return slices.Contains(list, s) }
	}
	return func(fr *frame) ref.Val {
		v := arg(fr)
		if types.IsUnknownOrError(v) {
			return v
		}
		s, ok := v.(types.String)
		if !ok {
			return types.False
		}
		if len(s) >= 16 && !fr.spend(int64(len(s))>>4) {
			return fr.stop
		}
		return types.Bool(has(s))
	}, nil
}

// smallSet is the largest constant set `in` compares element by element.
const smallSet = 8
