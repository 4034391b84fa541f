package fastcel

import (
	"maps"
	"reflect"
	"strings"

	"github.com/google/cel-go/common/ast"
	"github.com/google/cel-go/common/operators"
	"github.com/google/cel-go/common/types"
	"github.com/google/cel-go/common/types/ref"
	"github.com/google/cel-go/common/types/traits"
)

// comprehension folds as cel-go's folder does: the range first, the
// accumulator's initial value when first used, the loop while its
// condition is not false, then the result without the iteration variable.
func (c *compiler) comprehension(e ast.Expr) (evalFn, error) {
	cp := e.AsComprehension()
	two := cp.HasIterVar2()
	if !two {
		if f, err := c.collect(cp); f != nil || err != nil {
			return f, err
		}
		if f, err := c.quantifier(cp); f != nil || err != nil {
			return f, err
		}
	}
	if f, ok, err := c.aliasBind(cp); ok || err != nil {
		return f, err
	}
	iterRange, err := c.compile(cp.IterRange())
	if err != nil {
		return nil, err
	}
	init, err := c.compile(cp.AccuInit())
	if err != nil {
		return nil, err
	}
	sc := loopScope{accu: cp.AccuVar(), iter: cp.IterVar(), accuSlot: c.slots, iterSlot: c.slots + 1, hasIter: true}
	c.slots += 2
	if two {
		sc.iter2, sc.iter2Slot = cp.IterVar2(), c.slots
		c.slots++
	}
	if r := cp.IterRange(); r.Kind() == ast.ListKind && len(r.AsList().Elements()) == 0 {
		if v, ok := c.constant(cp.AccuInit()); ok && !types.IsUnknownOrError(v) {
			sc.constant = v // a cel.bind of a constant: never iterates
		}
	}
	c.scopes = append(c.scopes, sc)
	cond, err := c.compile(cp.LoopCondition())
	if err != nil {
		return nil, err
	}
	step, err := c.compile(cp.LoopStep())
	if err != nil {
		return nil, err
	}
	c.scopes[len(c.scopes)-1].hasIter = false
	result, err := c.compile(cp.Result())
	c.scopes = c.scopes[:len(c.scopes)-1]
	if err != nil {
		return nil, err
	}
	accu, iter, iter2 := sc.accuSlot, sc.iterSlot, sc.iter2Slot
	adapter := c.adapter
	return func(fr *frame) ref.Val {
		r := iterRange(fr)
		if types.IsUnknownOrError(r) {
			return r
		}
		fr.slots[accu], fr.pending[accu] = nil, init
		if l, ok := r.(traits.Lister); ok && l.Size() == types.IntZero {
			return result(fr) // cel.bind: nothing to iterate
		}
		// The loop's first condition reads the accumulator anyway. An empty
		// list or map grows in place, as in cel-go's folder, instead of
		// being copied at every step.
		v, mutable := init(fr), false
		if l, ok := v.(traits.Lister); ok && l.Size() == types.IntZero {
			v, mutable = types.NewMutableList(adapter), true
		} else if m, ok := v.(traits.Mapper); ok && m.Size() == types.IntZero {
			v, mutable = types.NewMutableMap(adapter, map[ref.Val]ref.Val{}), true
		}
		fr.slots[accu], fr.pending[accu] = v, nil
		body := func() bool {
			if b, ok := cond(fr).(types.Bool); ok && b != types.True {
				return false
			}
			v := step(fr)
			fr.pending[accu], fr.slots[accu] = nil, v
			return true
		}
		var err ref.Val
		if two {
			err = each2(fr, r, adapter, func(k, v ref.Val) bool {
				fr.slots[iter], fr.slots[iter2] = k, v
				return body()
			})
		} else {
			err = each(fr, r, func(v ref.Val) bool {
				fr.slots[iter] = v
				return body()
			})
		}
		if err != nil {
			return err
		}
		out := result(fr)
		if mutable && !types.IsUnknownOrError(out) {
			if ml, ok := out.(traits.MutableLister); ok {
				out = ml.ToImmutableList()
			} else if mm, ok := out.(traits.MutableMapper); ok {
				out = mm.ToImmutableMap()
			}
		}
		return out
	}, nil
}

// aliasBind compiles a cel.bind (a comprehension over no elements) of a
// variable, as a function's parameter given a variable is (eligible(r),
// acr(m)): the body reads that variable where it is, with no loop and no
// accumulator. Reading a variable does nothing else, so this is the value
// the lazy accumulator would give.
func (c *compiler) aliasBind(cp ast.ComprehensionExpr) (evalFn, bool, error) {
	r := cp.IterRange()
	if cp.HasIterVar2() || r.Kind() != ast.ListKind || len(r.AsList().Elements()) != 0 || cp.AccuInit().Kind() != ast.IdentKind {
		return nil, false, nil
	}
	init, err := c.compile(cp.AccuInit())
	if err != nil {
		return nil, false, nil // left to the general loop, which says why
	}
	sc := loopScope{accu: cp.AccuVar(), iter: cp.IterVar(), accuSlot: -1, iterSlot: -1, alias: init}
	if v, ok := c.constant(cp.AccuInit()); ok {
		sc.constant = v
	}
	c.scopes = append(c.scopes, sc)
	result, err := c.compile(cp.Result())
	c.scopes = c.scopes[:len(c.scopes)-1]
	return result, true, err
}

// each2 calls f on the index and element of each element of a list, or
// the key and value of each entry of a map, until f returns false: the
// pairs cel-go's two-variable comprehensions see.
func each2(fr *frame, r ref.Val, adapter types.Adapter, f func(k, v ref.Val) bool) ref.Val {
	if l, ok := r.(traits.Lister); ok {
		n, _ := l.Size().(types.Int)
		for i := types.Int(0); i < n; i++ {
			if !fr.step() {
				return fr.stop
			}
			if !f(i, l.Get(i)) {
				break
			}
		}
		return nil
	}
	if mv, ok := CELMap(r); ok {
		for k, v := range mv {
			if !fr.step() {
				return fr.stop
			}
			if !f(k, v) {
				break
			}
		}
		return nil
	}
	m, ok := r.(traits.Mapper)
	if !ok {
		return types.NewErr("got '%T', expected iterable type", r)
	}
	for it := m.Iterator(); it.HasNext() == types.True; {
		if !fr.step() {
			return fr.stop
		}
		k := it.Next()
		if !f(k, m.Get(k)) {
			break
		}
	}
	return nil
}

// celMapType is the type of cel-go's maps of CEL values (NewRefValMap,
// and what comprehensions build).
var celMapType = reflect.TypeOf(types.NewRefValMap(types.DefaultTypeAdapter, map[ref.Val]ref.Val{}))

// CELMap returns the Go map behind one of cel-go's maps of CEL values, to
// range over without the reflection its iterator uses (in Go's order, as
// that iterator's is). Only that exact type: a map with an order of its
// own (the engine's params maps, sorted) keeps its iterator.
func CELMap(r ref.Val) (map[ref.Val]ref.Val, bool) {
	if reflect.TypeOf(r) != celMapType {
		return nil, false
	}
	mv, ok := r.Value().(map[ref.Val]ref.Val)
	return mv, ok
}

// each calls f on the elements of a list (by index, which allocates
// nothing) or the keys of a map, until f returns false, a step of the
// budget each; it returns the error that ends the loop, or nil.
func each(fr *frame, r ref.Val, f func(ref.Val) bool) ref.Val {
	if l, ok := r.(traits.Lister); ok {
		n, _ := l.Size().(types.Int)
		for i := types.Int(0); i < n; i++ {
			if !fr.step() {
				return fr.stop
			}
			if !f(l.Get(i)) {
				break
			}
		}
		return nil
	}
	if mv, ok := CELMap(r); ok {
		for k := range mv {
			if !fr.step() {
				return fr.stop
			}
			if !f(k) {
				break
			}
		}
		return nil
	}
	it, ok := r.(traits.Iterable)
	if !ok {
		return types.NewErr("got '%T', expected iterable type", r)
	}
	for i := it.Iterator(); i.HasNext() == types.True; {
		if !fr.step() {
			return fr.stop
		}
		if !f(i.Next()) {
			break
		}
	}
	return nil
}

// call returns the arguments of e when it calls fn with n arguments.
func callOf(e ast.Expr, fn string, n int) []ast.Expr {
	if e.Kind() != ast.CallKind || e.AsCall().FunctionName() != fn || e.AsCall().IsMemberFunction() || len(e.AsCall().Args()) != n {
		return nil
	}
	return e.AsCall().Args()
}

func isIdent(e ast.Expr, name string) bool {
	return e.Kind() == ast.IdentKind && e.AsIdent() == name
}

// quantifier compiles the comprehensions that exists and all expand to
// into a loop that stops at the first deciding predicate. exists is
// @result = false, while not_strictly_false(!@result): @result || pred;
// all is @result = true, while not_strictly_false(@result): @result &&
// pred. Folded step by step, the result is the deciding value if a
// predicate gives it, else the first predicate that was not a bool (as an
// error), else the other bool: the loop below gives the same.
func (c *compiler) quantifier(cp ast.ComprehensionExpr) (evalFn, error) {
	accu := cp.AccuVar()
	if !strings.HasPrefix(accu, "@") || cp.AccuInit().Kind() != ast.LiteralKind || !isIdent(cp.Result(), accu) {
		return nil, nil
	}
	init, ok := cp.AccuInit().AsLiteral().(types.Bool)
	if !ok {
		return nil, nil
	}
	// exists decides on true and starts false; all the other way round.
	decides, op, cond := !init, operators.LogicalOr, callOf(cp.LoopCondition(), operators.NotStrictlyFalse, 1)
	if init == types.True {
		op = operators.LogicalAnd
		if cond == nil || !isIdent(cond[0], accu) {
			return nil, nil
		}
	} else if cond == nil || callOf(cond[0], operators.LogicalNot, 1) == nil || !isIdent(callOf(cond[0], operators.LogicalNot, 1)[0], accu) {
		return nil, nil
	}
	step := callOf(cp.LoopStep(), op, 2)
	if step == nil || !isIdent(step[0], accu) {
		return nil, nil
	}
	if elems, ok := c.unrollable(cp.IterRange()); ok {
		preds, err := c.unroll(cp, elems, step[1])
		if err != nil {
			return nil, err
		}
		return func(fr *frame) ref.Val {
			var failed ref.Val
			for _, p := range preds {
				if !fr.step() {
					return fr.stop
				}
				v := p[0](fr)
				if v == decides {
					return decides
				}
				if _, ok := v.(types.Bool); !ok && failed == nil {
					failed = v
				}
			}
			return undecided(init, failed)
		}, nil
	}
	iterRange, slot, fns, err := c.macroLoop(cp, step[1])
	if err != nil {
		return nil, err
	}
	pred := fns[0]
	return func(fr *frame) ref.Val {
		r := iterRange(fr)
		if types.IsUnknownOrError(r) {
			return r
		}
		var failed ref.Val
		decided := false
		if err := each(fr, r, func(v ref.Val) bool {
			fr.slots[slot] = v
			p := pred(fr)
			if p == decides {
				decided = true
				return false
			}
			if _, ok := p.(types.Bool); !ok && failed == nil {
				failed = p
			}
			return true
		}); err != nil {
			return err
		}
		if decided {
			return decides
		}
		return undecided(init, failed)
	}, nil
}

// undecided is a quantifier's result when no predicate decided: its
// initial value, or the first predicate that was not a bool, as an error.
func undecided(init types.Bool, failed ref.Val) ref.Val {
	switch {
	case failed == nil:
		return init
	case types.IsUnknownOrError(failed):
		return failed
	}
	return types.MaybeNoSuchOverloadErr(failed)
}

// macroLoop compiles a macro's range and the given parts of its body (nil
// ones are skipped) with the iteration variable in a slot of its own; the
// macro's accumulator is not readable there. (The loops themselves stay in
// their callers: a loop passed around as a func value would move every
// closure it calls to the heap.)
func (c *compiler) macroLoop(cp ast.ComprehensionExpr, parts ...ast.Expr) (iterRange evalFn, slot int, fns []evalFn, err error) {
	if iterRange, err = c.compile(cp.IterRange()); err != nil {
		return nil, 0, nil, err
	}
	slot = c.slots
	c.slots++
	c.scopes = append(c.scopes, loopScope{accu: cp.AccuVar(), iter: cp.IterVar(), accuSlot: -1, iterSlot: slot, hasIter: true})
	defer func() { c.scopes = c.scopes[:len(c.scopes)-1] }()
	fns = make([]evalFn, len(parts))
	for i, p := range parts {
		if p != nil {
			if fns[i], err = c.compile(p); err != nil {
				return nil, 0, nil, err
			}
		}
	}
	return iterRange, slot, fns, nil
}

// maxUnroll is the longest constant list a macro is compiled over once per
// element, and maxUnrolled the most element copies one expression
// compiles: nested loops over constants would otherwise multiply them.
const (
	maxUnroll   = 32
	maxUnrolled = 256
)

// unrollable returns the elements of a macro's range when it is a
// constant list of at most maxUnroll elements (a rate card, the entries
// of an attribution, a few certifications).
func (c *compiler) unrollable(r ast.Expr) ([]ref.Val, bool) {
	v, ok := c.constant(r)
	if !ok {
		return nil, false
	}
	l, ok := v.(traits.Lister)
	if !ok {
		return nil, false
	}
	n, ok := l.Size().(types.Int)
	if !ok || n == 0 || n > maxUnroll || c.unrolled+int(n) > maxUnrolled {
		return nil, false
	}
	c.unrolled += int(n)
	out := make([]ref.Val, n)
	for i := range out {
		if out[i] = l.Get(types.Int(i)); types.IsUnknownOrError(out[i]) {
			return nil, false
		}
	}
	return out, true
}

// unroll compiles the given parts of a macro's body (nil ones are skipped)
// once per element of its constant range, with the iteration variable that
// element: what depends on it folds (c.workload, params.units[c.unit],
// has(c.parts)), as if the rule were written out for each element.
func (c *compiler) unroll(cp ast.ComprehensionExpr, elems []ref.Val, parts ...ast.Expr) ([][]evalFn, error) {
	// The parts' folds depend on the element: each element starts without
	// them.
	inBody := map[int64]bool{}
	for _, p := range parts {
		if p != nil {
			exprIDs(p, inBody)
		}
	}
	saved := c.consts
	c.speculative++
	defer func() { c.consts = saved; c.speculative-- }()
	out := make([][]evalFn, len(elems))
	for i, v := range elems {
		c.consts = maps.Clone(saved)
		maps.DeleteFunc(c.consts, func(id int64, _ ref.Val) bool { return inBody[id] })
		c.scopes = append(c.scopes, loopScope{accu: cp.AccuVar(), iter: cp.IterVar(), accuSlot: -1, iterSlot: -1, hasIter: true, iterConst: v})
		out[i] = make([]evalFn, len(parts))
		for k, p := range parts {
			if p == nil {
				continue
			}
			f, err := c.compile(p)
			if err != nil {
				c.scopes = c.scopes[:len(c.scopes)-1]
				return nil, err
			}
			out[i][k] = f
		}
		c.scopes = c.scopes[:len(c.scopes)-1]
	}
	return out, nil
}

// exprIDs adds the ids of e and every expression inside it to ids.
func exprIDs(e ast.Expr, ids map[int64]bool) {
	ids[e.ID()] = true
	switch e.Kind() {
	case ast.CallKind:
		if e.AsCall().IsMemberFunction() {
			exprIDs(e.AsCall().Target(), ids)
		}
		for _, a := range e.AsCall().Args() {
			exprIDs(a, ids)
		}
	case ast.ListKind:
		for _, x := range e.AsList().Elements() {
			exprIDs(x, ids)
		}
	case ast.MapKind:
		for _, en := range e.AsMap().Entries() {
			exprIDs(en.AsMapEntry().Key(), ids)
			exprIDs(en.AsMapEntry().Value(), ids)
		}
	case ast.StructKind:
		for _, f := range e.AsStruct().Fields() {
			exprIDs(f.AsStructField().Value(), ids)
		}
	case ast.SelectKind:
		exprIDs(e.AsSelect().Operand(), ids)
	case ast.ComprehensionKind:
		cp := e.AsComprehension()
		for _, x := range []ast.Expr{cp.IterRange(), cp.AccuInit(), cp.LoopCondition(), cp.LoopStep(), cp.Result()} {
			exprIDs(x, ids)
		}
	}
}

// macroBody compiles the given parts of a macro's body (nil ones are
// skipped) with the iteration variable in a slot of its own; the macro's
// accumulator is not readable there.
func (c *compiler) macroBody(cp ast.ComprehensionExpr, parts ...ast.Expr) (slot int, fns []evalFn, err error) {
	slot = c.slots
	c.slots++
	c.scopes = append(c.scopes, loopScope{accu: cp.AccuVar(), iter: cp.IterVar(), accuSlot: -1, iterSlot: slot, hasIter: true})
	defer func() { c.scopes = c.scopes[:len(c.scopes)-1] }()
	fns = make([]evalFn, len(parts))
	for i, p := range parts {
		if p != nil {
			if fns[i], err = c.compile(p); err != nil {
				return 0, nil, err
			}
		}
	}
	return slot, fns, nil
}

// collectParts recognises the comprehensions that map and filter expand to
// (accumulate [] + [elem], optionally when pred holds): their element and
// predicate (nil for map). The accumulator is the macros' own @result,
// which the predicate and element cannot name.
func collectParts(cp ast.ComprehensionExpr) (elemExpr, predExpr ast.Expr, ok bool) {
	accu := cp.AccuVar()
	if !strings.HasPrefix(accu, "@") || cp.AccuInit().Kind() != ast.ListKind || len(cp.AccuInit().AsList().Elements()) != 0 ||
		cp.LoopCondition().Kind() != ast.LiteralKind || cp.LoopCondition().AsLiteral() != types.True ||
		cp.Result().Kind() != ast.IdentKind || cp.Result().AsIdent() != accu {
		return nil, nil, false
	}
	appended := func(e ast.Expr) ast.Expr { // accu + [elem]
		if e.Kind() != ast.CallKind || e.AsCall().FunctionName() != operators.Add || len(e.AsCall().Args()) != 2 {
			return nil
		}
		a := e.AsCall().Args()
		if a[0].Kind() != ast.IdentKind || a[0].AsIdent() != accu || a[1].Kind() != ast.ListKind ||
			len(a[1].AsList().Elements()) != 1 || len(a[1].AsList().OptionalIndices()) != 0 {
			return nil
		}
		return a[1].AsList().Elements()[0]
	}
	step := cp.LoopStep()
	if elemExpr = appended(step); elemExpr != nil {
		return elemExpr, nil, true
	}
	if step.Kind() != ast.CallKind || step.AsCall().FunctionName() != operators.Conditional {
		return nil, nil, false
	}
	a := step.AsCall().Args()
	if a[2].Kind() != ast.IdentKind || a[2].AsIdent() != accu {
		return nil, nil, false
	}
	if elemExpr = appended(a[1]); elemExpr == nil {
		return nil, nil, false
	}
	return elemExpr, a[0], true
}

// seq is the elements a list expression holds, produced one at a time: a
// list value (src), or a map or filter over another seq, so that a chain
// of them (rows.filter(...).map(...)) and a consumer that reads every
// element (a list, sum, size) make no list in between. A consumer that
// may stop early (exists, all) never reads a fused seq: cel-go builds the
// whole list first, and an error in a later element is its result.
type seq struct {
	src   evalFn
	inner *seq
	slot  int
	pred  evalFn // nil: every element
	elem  evalFn
	// unrolled is a stage over a constant list compiled per element
	// (unroll): each element's elem and pred, and no inner.
	unrolled [][]evalFn
}

// stage compiles a map or filter (its element and predicate) over its
// range as a seq.
func (c *compiler) stage(cp ast.ComprehensionExpr, elemExpr, predExpr ast.Expr) (*seq, error) {
	if elems, ok := c.unrollable(cp.IterRange()); ok {
		fns, err := c.unroll(cp, elems, elemExpr, predExpr)
		if err != nil {
			return nil, err
		}
		return &seq{unrolled: fns}, nil
	}
	inner, err := c.seqOf(cp.IterRange())
	if err != nil {
		return nil, err
	}
	slot, fns, err := c.macroBody(cp, elemExpr, predExpr)
	if err != nil {
		return nil, err
	}
	return &seq{inner: inner, slot: slot, elem: fns[0], pred: fns[1]}, nil
}

// seqOf compiles e as a seq, fused with the map or filter it is.
func (c *compiler) seqOf(e ast.Expr) (*seq, error) {
	if e.Kind() == ast.ComprehensionKind && !e.AsComprehension().HasIterVar2() {
		cp := e.AsComprehension()
		if elemExpr, predExpr, ok := collectParts(cp); ok {
			return c.stage(cp, elemExpr, predExpr)
		}
	}
	src, err := c.compile(e)
	if err != nil {
		return nil, err
	}
	return &seq{src: src}, nil
}

// run calls f on each element until f returns false; it returns the
// error (or unknown) that ends the sequence, or nil.
func (s *seq) run(fr *frame, f func(ref.Val) bool) ref.Val {
	if s.src != nil {
		r := s.src(fr)
		if types.IsUnknownOrError(r) {
			return r
		}
		return each(fr, r, f)
	}
	if s.unrolled != nil {
		for _, u := range s.unrolled {
			if !fr.step() {
				return fr.stop
			}
			x, skip, failed := element(fr, u[1], u[0])
			if failed != nil {
				return failed
			}
			if !skip && !f(x) {
				break
			}
		}
		return nil
	}
	var failed ref.Val
	if err := s.inner.run(fr, func(v ref.Val) bool {
		fr.slots[s.slot] = v
		var x ref.Val
		var skip bool
		if x, skip, failed = element(fr, s.pred, s.elem); failed != nil {
			return false
		}
		return skip || f(x)
	}); err != nil {
		return err
	}
	return failed
}

// element is one element through a map or filter stage: its value, or
// skip when the predicate says no, or the error that ends the sequence (a
// predicate that is not a bool, an element that fails).
func element(fr *frame, pred, elem evalFn) (x ref.Val, skip bool, failed ref.Val) {
	if pred != nil {
		switch p := pred(fr); p {
		case types.True:
		case types.False:
			return nil, true, nil
		default:
			return nil, false, types.MaybeNoSuchOverloadErr(p)
		}
	}
	if x = elem(fr); types.IsUnknownOrError(x) {
		return nil, false, x
	}
	return x, false, nil
}

// collect compiles a map or filter into a loop that appends to a Go slice
// and makes one list at the end; for any other comprehension it returns
// nil.
func (c *compiler) collect(cp ast.ComprehensionExpr) (evalFn, error) {
	elemExpr, predExpr, ok := collectParts(cp)
	if !ok {
		return nil, nil
	}
	s, err := c.stage(cp, elemExpr, predExpr)
	if err != nil {
		return nil, err
	}
	adapter := c.adapter
	return func(fr *frame) ref.Val {
		// Gathered in a buffer of the frame's, then copied at its size: a
		// list of 24 would grow six times.
		buf := fr.buffer()
		full := false
		err := s.run(fr, func(x ref.Val) bool {
			if full = len(buf) == MaxListSize; full {
				return false
			}
			if !fr.allocate(16) {
				return false
			}
			buf = append(buf, x)
			return true
		})
		var out *valList
		if err == nil && fr.stop == nil && !full {
			out = newValList(adapter, len(buf))
			out.vals = append(out.vals, buf...)
		}
		fr.release(buf)
		switch {
		case err != nil:
			return err // cel-go's result is an error then too
		case fr.stop != nil:
			return fr.stop
		case full:
			return fr.fail(limitErr("map or filter would build a list of more than %d elements", MaxListSize))
		}
		return out
	}, nil
}

// fusedSum is list.sum() over a map or filter: the total without the list.
func (c *compiler) fusedSum(target ast.Expr, zero ref.Val) (evalFn, error) {
	s, err := c.seqOf(target)
	if err != nil {
		return nil, err
	}
	return func(fr *frame) ref.Val {
		total := NewTotal(zero)
		var failed ref.Val
		if err := s.run(fr, func(x ref.Val) bool {
			failed = total.Add(x)
			return failed == nil
		}); err != nil {
			return err
		}
		if failed != nil {
			return failed
		}
		return total.Value()
	}, nil
}

// fusedSize is list.size() over a map or filter: the count without the
// list.
func (c *compiler) fusedSize(target ast.Expr) (evalFn, error) {
	s, err := c.seqOf(target)
	if err != nil {
		return nil, err
	}
	return func(fr *frame) ref.Val {
		n := types.Int(0)
		if err := s.run(fr, func(ref.Val) bool { n++; return true }); err != nil {
			return err
		}
		return n
	}, nil
}
