package engine

import (
	"errors"
	"strings"
	"sync"

	"github.com/google/cel-go/cel"
	"github.com/google/cel-go/common/ast"
	"github.com/google/cel-go/common/functions"
	"github.com/google/cel-go/common/operators"
	"github.com/google/cel-go/common/types"
	"github.com/google/cel-go/common/types/ref"
	"github.com/google/cel-go/common/types/traits"
)

// fastProgram evaluates a type-checked CEL expression as a tree of Go
// closures. cel-go's interpreter resolves every variable through a chain of
// activations and every field through attribute qualifiers; at hundreds of
// thousands of tenants, or thousands of partners, that costs more than
// reading the input. Here variables are slots fixed when the expression is
// compiled, fields of the engine's records are read directly, and every
// function and operator is cel-go's own implementation, found through the
// environment's overload bindings as cel-go's planner finds it.
//
// The fast path is trusted only for values: an expression it cannot compile
// runs on cel-go alone, and an evaluation that ends in an error (a policy
// bug, or a case the fast path does not handle) is evaluated again by
// cel-go, whose result and message are the ones reported. Errors inside
// && and || are absorbed exactly as cel-go absorbs them, so a value from the
// fast path is the value cel-go computes; fastcel_test.go checks that on
// every rule of the bundle and on a table of CEL constructs.
type fastProgram struct {
	root    evalFn
	globals []string // variable names
	gslots  []int    // their slots
	slots   int
	adapter types.Adapter
	frames  sync.Pool
}

type evalFn func(*frame) ref.Val

// frame holds one evaluation's variables. pending holds the unevaluated
// initial value of a comprehension's accumulator: cel.bind is a
// comprehension, and its value is computed only when used, as in cel-go.
type frame struct {
	slots   []ref.Val
	pending []evalFn
}

// errUnsupported marks a construct the fast path leaves to cel-go.
var errUnsupported = errors.New("not supported by the fast path")

// eval runs the expression on act (the same variables cel-go's Eval gets).
func (p *fastProgram) eval(act map[string]any) ref.Val {
	fr, _ := p.frames.Get().(*frame)
	if fr == nil {
		fr = &frame{slots: make([]ref.Val, p.slots), pending: make([]evalFn, p.slots)}
	}
	for i, name := range p.globals {
		v, ok := act[name]
		if !ok {
			p.release(fr)
			return types.NewErr("no such attribute: %s", name)
		}
		fr.slots[p.gslots[i]] = p.value(v)
	}
	out := p.root(fr)
	p.release(fr)
	return out
}

func (p *fastProgram) release(fr *frame) {
	clear(fr.slots)
	clear(fr.pending)
	p.frames.Put(fr)
}

func (p *fastProgram) value(v any) ref.Val {
	switch x := v.(type) {
	case ref.Val:
		return x
	case string:
		return types.String(x)
	case bool:
		return types.Bool(x)
	case int64:
		return types.Int(x)
	}
	return p.adapter.NativeToValue(v)
}

// fastCompiler turns one checked expression into closures.
type fastCompiler struct {
	a        *ast.AST
	disp     map[string]*functions.Overload
	provider types.Provider
	adapter  types.Adapter
	globals  map[string]int
	names    []string
	gslots   []int
	scopes   []fastScope
	slots    int
	consts   map[int64]ref.Val // constant(), by expression id; nil: not constant
}

// fastScope is a comprehension's variables: the accumulator is looked up
// before the iteration variable, as cel-go's folder does.
type fastScope struct {
	accu, iter         string
	accuSlot, iterSlot int
	hasIter            bool
	// constant is the accumulator's value when it is a cel.bind of a
	// constant (types in the month rules): lookups into it fold then.
	constant ref.Val
}

// dispatcher indexes an environment's overload bindings by overload id and
// function name, as cel-go builds its own dispatcher.
func dispatcher(env *cel.Env) (map[string]*functions.Overload, error) {
	disp := map[string]*functions.Overload{}
	for _, fn := range env.Functions() {
		bs, err := fn.Bindings()
		if err != nil {
			return nil, err
		}
		for _, b := range bs {
			if _, dup := disp[b.Operator]; !dup {
				disp[b.Operator] = b
			}
		}
	}
	return disp, nil
}

// newFastProgram compiles a checked AST, or returns nil when it uses
// something the fast path leaves to cel-go.
func newFastProgram(env *cel.Env, checked *cel.Ast, disp map[string]*functions.Overload) *fastProgram {
	c := &fastCompiler{a: checked.NativeRep(), disp: disp, provider: env.CELTypeProvider(),
		adapter: env.CELTypeAdapter(), globals: map[string]int{}}
	root, err := c.compile(c.a.Expr())
	if err != nil {
		return nil
	}
	return &fastProgram{root: root, globals: c.names, gslots: c.gslots, slots: c.slots, adapter: c.adapter}
}

// compile folds what is constant (literals included) and compiles the rest.
func (c *fastCompiler) compile(e ast.Expr) (evalFn, error) {
	if v, ok := c.constant(e); ok {
		return func(*frame) ref.Val { return v }, nil
	}
	switch e.Kind() {
	case ast.IdentKind:
		return c.ident(e.ID(), e.AsIdent())
	case ast.SelectKind:
		return c.selectExpr(e)
	case ast.CallKind:
		return c.call(e)
	case ast.ListKind:
		return c.list(e)
	case ast.ComprehensionKind:
		return c.comprehension(e)
	}
	return nil, errUnsupported
}

// constant returns the value of an expression that does not depend on the
// variables, computed once (see constant0).
func (c *fastCompiler) constant(e ast.Expr) (ref.Val, bool) {
	if v, done := c.consts[e.ID()]; done {
		return v, v != nil
	}
	v, ok := c.constant0(e)
	if !ok {
		v = nil
	}
	if c.consts == nil {
		c.consts = map[int64]ref.Val{}
	}
	c.consts[e.ID()] = v
	return v, ok
}

// constant0 folds literals, constant identifiers, lists of constants,
// fields of constants and calls on constants. CEL functions are pure, so a
// call whose arguments are all constant is evaluated once, here; one that
// fails is left to fail at run time.
func (c *fastCompiler) constant0(e ast.Expr) (ref.Val, bool) {
	switch e.Kind() {
	case ast.CallKind:
		call := e.AsCall()
		switch call.FunctionName() {
		case operators.LogicalAnd, operators.LogicalOr, operators.Conditional, operators.OptIndex, operators.OptSelect:
			return nil, false
		}
		if call.IsMemberFunction() {
			if _, ok := c.constant(call.Target()); !ok {
				return nil, false
			}
		}
		if _, ok := c.constants(call.Args()); !ok {
			return nil, false
		}
		f, err := c.call(e)
		if err != nil {
			return nil, false
		}
		v := f(&frame{})
		return v, !types.IsUnknownOrError(v)
	case ast.LiteralKind:
		return e.AsLiteral(), true
	case ast.ListKind:
		if len(e.AsList().OptionalIndices()) == 0 {
			if vals, ok := c.constants(e.AsList().Elements()); ok {
				return types.NewRefValList(c.adapter, vals), true
			}
		}
	case ast.IdentKind, ast.SelectKind:
		if e.Kind() == ast.IdentKind {
			if s := c.scope(e.AsIdent()); s != nil {
				return s.constant, s.constant != nil && e.AsIdent() == s.accu
			}
		}
		if r, ok := c.a.ReferenceMap()[e.ID()]; ok && r.Value != nil {
			return r.Value, true
		}
		if e.Kind() == ast.SelectKind && !e.AsSelect().IsTestOnly() {
			if m, ok := c.constant(e.AsSelect().Operand()); ok {
				if mp, ok := m.(traits.Mapper); ok {
					if v, found := mp.Find(types.String(e.AsSelect().FieldName())); found && !types.IsUnknownOrError(v) {
						return v, true
					}
				}
			}
		}
	}
	return nil, false
}

// scope returns the innermost comprehension that declares name.
func (c *fastCompiler) scope(name string) *fastScope {
	for i := len(c.scopes) - 1; i >= 0; i-- {
		s := &c.scopes[i]
		if name == s.accu || (s.hasIter && name == s.iter) {
			return s
		}
	}
	return nil
}

// ident reads a comprehension variable or a global; constants were folded
// by compile.
func (c *fastCompiler) ident(id int64, name string) (evalFn, error) {
	if s := c.scope(name); s != nil {
		if name == s.accu && s.accuSlot < 0 {
			return nil, errUnsupported // a macro's accumulator, read outside its loop
		}
		if name != s.accu {
			slot := s.iterSlot
			return func(fr *frame) ref.Val { return fr.slots[slot] }, nil
		}
		slot := s.accuSlot
		return func(fr *frame) ref.Val {
			if p := fr.pending[slot]; p != nil {
				fr.pending[slot] = nil
				fr.slots[slot] = p(fr)
			}
			return fr.slots[slot]
		}, nil
	}
	if r, checked := c.a.ReferenceMap()[id]; !checked || r.Name != name {
		return nil, errUnsupported // namespaced names are left to cel-go
	}
	slot, ok := c.globals[name]
	if !ok {
		slot = c.slots
		c.slots++
		c.globals[name] = slot
		c.names = append(c.names, name)
		c.gslots = append(c.gslots, slot)
	}
	return func(fr *frame) ref.Val { return fr.slots[slot] }, nil
}

func (c *fastCompiler) selectExpr(e ast.Expr) (evalFn, error) {
	if _, ok := c.a.ReferenceMap()[e.ID()]; ok {
		return nil, errUnsupported // a qualified variable name (constants were folded)
	}
	sel := e.AsSelect()
	operand, err := c.compile(sel.Operand())
	if err != nil {
		return nil, err
	}
	field := sel.FieldName()
	var key ref.Val = types.String(field) // boxed once, not per lookup
	var ft *types.FieldType
	if t := c.a.GetType(sel.Operand().ID()); t != nil && t.Kind() == types.StructKind {
		var ok bool
		if ft, ok = c.provider.FindStructFieldType(t.TypeName(), field); !ok {
			return nil, errUnsupported
		}
	}
	if sel.IsTestOnly() {
		return func(fr *frame) ref.Val {
			v := operand(fr)
			switch x := v.(type) {
			case *record:
				_, found := x.field(field)
				return types.Bool(found)
			case traits.Mapper:
				if ft == nil {
					_, found := x.Find(key)
					return types.Bool(found)
				}
			}
			if types.IsUnknownOrError(v) {
				return v
			}
			if ft != nil {
				return types.Bool(ft.IsSet(v.Value()))
			}
			return types.NewErr("has: unsupported operand")
		}, nil
	}
	return func(fr *frame) ref.Val {
		v := operand(fr)
		switch x := v.(type) {
		case *record:
			if f, found := x.field(field); found {
				return f
			}
			return types.NewErr("no such field: %s", field)
		case traits.Mapper:
			if ft == nil {
				if f, found := x.Find(key); found {
					return f
				}
				return types.NewErr("no such key: %s", field)
			}
		}
		if types.IsUnknownOrError(v) {
			return v
		}
		if ft != nil {
			f, err := ft.GetFrom(v.Value())
			if err != nil {
				return types.WrapErr(err)
			}
			return c.adapter.NativeToValue(f)
		}
		return types.NewErr("select: unsupported operand")
	}, nil
}

func (c *fastCompiler) list(e ast.Expr) (evalFn, error) {
	l := e.AsList()
	if len(l.OptionalIndices()) > 0 {
		return nil, errUnsupported
	}
	elems, err := c.compileAll(l.Elements())
	if err != nil {
		return nil, err
	}
	adapter := c.adapter
	return func(fr *frame) ref.Val {
		l := newValList(adapter, len(elems))
		for _, el := range elems {
			v := el(fr)
			if types.IsUnknownOrError(v) {
				return v
			}
			l.vals = append(l.vals, v)
		}
		return l
	}, nil
}

// constants returns the values of expressions that are all constant.
func (c *fastCompiler) constants(es []ast.Expr) ([]ref.Val, bool) {
	vals := make([]ref.Val, len(es))
	for i, x := range es {
		v, ok := c.constant(x)
		if !ok {
			return nil, false
		}
		vals[i] = v
	}
	return vals, true
}

func (c *fastCompiler) compileAll(es []ast.Expr) ([]evalFn, error) {
	out := make([]evalFn, len(es))
	for i, x := range es {
		f, err := c.compile(x)
		if err != nil {
			return nil, err
		}
		out[i] = f
	}
	return out, nil
}

// comprehension folds as cel-go's folder does: the range first, the
// accumulator's initial value when first used, the loop while its
// condition is not false, then the result without the iteration variable.
func (c *fastCompiler) comprehension(e ast.Expr) (evalFn, error) {
	cp := e.AsComprehension()
	if cp.HasIterVar2() {
		return nil, errUnsupported
	}
	if f, err := c.collect(cp); f != nil || err != nil {
		return f, err
	}
	if f, err := c.quantifier(cp); f != nil || err != nil {
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
	sc := fastScope{accu: cp.AccuVar(), iter: cp.IterVar(), accuSlot: c.slots, iterSlot: c.slots + 1, hasIter: true}
	c.slots += 2
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
	accu, iter := sc.accuSlot, sc.iterSlot
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
		// list grows in place, as in cel-go's folder, instead of being
		// copied at every step.
		v, mutable := init(fr), false
		if l, ok := v.(traits.Lister); ok && l.Size() == types.IntZero {
			v, mutable = types.NewMutableList(adapter), true
		}
		fr.slots[accu], fr.pending[accu] = v, nil
		if err := each(r, func(v ref.Val) bool {
			fr.slots[iter] = v
			if b, ok := cond(fr).(types.Bool); ok && b != types.True {
				return false
			}
			v = step(fr)
			fr.pending[accu], fr.slots[accu] = nil, v
			return true
		}); err != nil {
			return err
		}
		out := result(fr)
		if ml, ok := out.(traits.MutableLister); ok && mutable {
			out = ml.ToImmutableList()
		}
		return out
	}, nil
}

// each calls f on the elements of a list (by index, which allocates
// nothing) or the keys of a map, until f returns false.
func each(r ref.Val, f func(ref.Val) bool) ref.Val {
	if l, ok := r.(traits.Lister); ok {
		n, _ := l.Size().(types.Int)
		for i := types.Int(0); i < n; i++ {
			if !f(l.Get(i)) {
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
func (c *fastCompiler) quantifier(cp ast.ComprehensionExpr) (evalFn, error) {
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
		if err := each(r, func(v ref.Val) bool {
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
		switch {
		case decided:
			return decides
		case failed == nil:
			return init
		case types.IsUnknownOrError(failed):
			return failed
		}
		return types.MaybeNoSuchOverloadErr(failed)
	}, nil
}

// macroLoop compiles a macro's range and the given parts of its body (nil
// ones are skipped) with the iteration variable in a slot of its own; the
// macro's accumulator is not readable there. (The loops themselves stay in
// their callers: a loop passed around as a func value would move every
// closure it calls to the heap.)
func (c *fastCompiler) macroLoop(cp ast.ComprehensionExpr, parts ...ast.Expr) (iterRange evalFn, slot int, fns []evalFn, err error) {
	if iterRange, err = c.compile(cp.IterRange()); err != nil {
		return nil, 0, nil, err
	}
	slot = c.slots
	c.slots++
	c.scopes = append(c.scopes, fastScope{accu: cp.AccuVar(), iter: cp.IterVar(), accuSlot: -1, iterSlot: slot, hasIter: true})
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

// collect compiles the comprehensions that map and filter expand to
// (accumulate [] + [elem], optionally when pred holds) into a loop that
// appends to a Go slice and makes one list at the end. For any other
// comprehension it returns nil. The accumulator is the macros' own
// @result, which the predicate and element cannot name.
func (c *fastCompiler) collect(cp ast.ComprehensionExpr) (evalFn, error) {
	accu := cp.AccuVar()
	if !strings.HasPrefix(accu, "@") || cp.AccuInit().Kind() != ast.ListKind || len(cp.AccuInit().AsList().Elements()) != 0 ||
		cp.LoopCondition().Kind() != ast.LiteralKind || cp.LoopCondition().AsLiteral() != types.True ||
		cp.Result().Kind() != ast.IdentKind || cp.Result().AsIdent() != accu {
		return nil, nil
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
	var predExpr, elemExpr ast.Expr
	step := cp.LoopStep()
	if elemExpr = appended(step); elemExpr == nil {
		if step.Kind() != ast.CallKind || step.AsCall().FunctionName() != operators.Conditional {
			return nil, nil
		}
		a := step.AsCall().Args()
		if a[2].Kind() != ast.IdentKind || a[2].AsIdent() != accu {
			return nil, nil
		}
		if predExpr, elemExpr = a[0], appended(a[1]); elemExpr == nil {
			return nil, nil
		}
	}
	iterRange, slot, fns, err := c.macroLoop(cp, elemExpr, predExpr)
	if err != nil {
		return nil, err
	}
	elem, pred := fns[0], fns[1]
	adapter := c.adapter
	return func(fr *frame) ref.Val {
		r := iterRange(fr)
		if types.IsUnknownOrError(r) {
			return r
		}
		out := newValList(adapter, 0)
		var failed ref.Val
		if err := each(r, func(v ref.Val) bool {
			fr.slots[slot] = v
			if pred != nil {
				switch p := pred(fr); p {
				case types.True:
				case types.False:
					return true
				default:
					failed = types.MaybeNoSuchOverloadErr(p)
					return false
				}
			}
			x := elem(fr)
			if types.IsUnknownOrError(x) {
				failed = x
				return false
			}
			out.vals = append(out.vals, x)
			return true
		}); err != nil {
			return err
		}
		if failed != nil {
			return failed // cel-go's result is an error then too
		}
		return out
	}, nil
}

func (c *fastCompiler) call(e ast.Expr) (evalFn, error) {
	call := e.AsCall()
	fn := call.FunctionName()
	var argExprs []ast.Expr
	if call.IsMemberFunction() {
		argExprs = append(argExprs, call.Target())
	}
	argExprs = append(argExprs, call.Args()...)
	if fn == operators.In && len(argExprs) == 2 {
		if set, ok := c.stringSet(argExprs[1]); ok {
			return c.inSet(argExprs[0], set)
		}
	}
	args, err := c.compileAll(argExprs)
	if err != nil {
		return nil, err
	}
	switch fn {
	case operators.LogicalAnd:
		return logical(args, types.False), nil
	case operators.LogicalOr:
		return logical(args, types.True), nil
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
		return both(args[0], args[1], types.Equal), nil
	case operators.NotEquals:
		return both(args[0], args[1], func(l, r ref.Val) ref.Val { return types.Bool(types.Equal(l, r) != types.True) }), nil
	case operators.Index:
		return both(args[0], args[1], func(o, i ref.Val) ref.Val {
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
	ids := c.a.GetOverloadIDs(e.ID())
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
		return strictCall(def, args, anyUnary(ids), anyBinary(ids))
	}
	return strictCall(def, args, unaryShortcuts[id], binaryShortcuts[id])
}

// both evaluates two arguments and applies f, unless one is an error (or
// unknown), which is returned as cel-go's strict operators return it.
func both(lhs, rhs evalFn, f func(l, r ref.Val) ref.Val) evalFn {
	return func(fr *frame) ref.Val {
		l := lhs(fr)
		if types.IsUnknownOrError(l) {
			return l
		}
		r := rhs(fr)
		if types.IsUnknownOrError(r) {
			return r
		}
		return f(l, r)
	}
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
func strictCall(def *functions.Overload, args []evalFn, unary func(ref.Val) (ref.Val, bool), binary func(l, r ref.Val) (ref.Val, bool)) (evalFn, error) {
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
			if unary != nil {
				if out, ok := unary(v); ok {
					return out
				}
			}
			if !usable(v) {
				return types.NewErr("no such overload")
			}
			return impl(v)
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
		if strict {
			return both(args[0], args[1], apply), nil
		}
		lhs, rhs := args[0], args[1]
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
			if unary != nil && len(vals) == 1 {
				if out, ok := unary(vals[0]); ok {
					return out
				}
			}
			if binary != nil && len(vals) == 2 {
				if out, ok := binary(vals[0], vals[1]); ok {
					return out
				}
			}
			if !usable(vals[0]) {
				return types.NewErr("no such overload")
			}
			return impl(vals...)
		}, nil
	}
	return nil, errUnsupported
}

// stringSet returns a constant list of strings as a set, so that `x in
// params.list` is a map lookup (cel-go's OptOptimize does the same).
func (c *fastCompiler) stringSet(e ast.Expr) (map[types.String]struct{}, bool) {
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
func (c *fastCompiler) inSet(x ast.Expr, set map[types.String]struct{}) (evalFn, error) {
	arg, err := c.compile(x)
	if err != nil {
		return nil, err
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
		_, in := set[s]
		return types.Bool(in)
	}, nil
}
