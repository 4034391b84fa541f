// Package fastcel evaluates type-checked CEL expressions as trees of Go
// closures. cel-go's interpreter resolves every variable through a chain of
// activations and every field through attribute qualifiers; at hundreds of
// thousands of tenants, or thousands of partners, that costs more than
// reading the input. Here variables are slots fixed when the expression is
// compiled, fields of records are read by their place, constants (literals,
// cel.Constant values and calls on them) are folded, and every function and
// operator is cel-go's own implementation, found through the environment's
// overload bindings as cel-go's planner finds it.
//
// A Program is trusted only for values: an expression it cannot compile
// (ErrUnsupported) runs on cel-go alone, and an evaluation that ends in an
// error (a policy bug, or a case not handled here) must be evaluated again
// by cel-go, whose result and message are the ones to report. Errors
// inside && and || are absorbed exactly as cel-go absorbs them, so a value
// from a Program is the value cel-go computes; fastcel_test.go checks that
// on a table of constructs and on generated expressions and data.
package fastcel

import (
	"context"
	"errors"
	"maps"
	"sync"

	"github.com/google/cel-go/cel"
	"github.com/google/cel-go/common/ast"
	"github.com/google/cel-go/common/functions"
	"github.com/google/cel-go/common/operators"
	"github.com/google/cel-go/common/types"
	"github.com/google/cel-go/common/types/ref"
	"github.com/google/cel-go/common/types/traits"
)

// Record is a value whose fields a Program reads by their place: the
// field named f of a value of struct type T is Field(i) for the i that
// Options.Field gives for (T, f). Every field of a record is set.
type Record interface {
	ref.Val
	Field(i int) ref.Val
}

// Options say where a Program finds its variables and fields.
type Options struct {
	// Global gives the place of a variable in the slice given to Eval;
	// a variable without one makes the expression unsupported.
	Global func(name string) (int, bool)
	// Field gives the place of a field of a record type.
	Field func(typeName, field string) (int, bool)
	// CostLimit is the steps one evaluation may take; 0 is CostLimit.
	CostLimit int64
	// Known are globals, by place, whose value is the same at every
	// evaluation of this Program: they fold as constants do. The caller
	// still sets them in the slice given to Eval (a part left unfolded
	// reads them there).
	Known map[int]ref.Val
}

// ErrUnsupported marks an expression that uses something this package
// leaves to cel-go.
var ErrUnsupported = errors.New("not supported by the fast path")

var errUnsupported = ErrUnsupported

// Program is one compiled expression. It is safe for concurrent use.
type Program struct {
	root   evalFn
	slots  int
	limit  int64
	frames sync.Pool
	// constant is the value of an expression folded whole, or nil.
	constant ref.Val
	// unrolled is how many element copies of loop bodies it compiled.
	unrolled int
}

// Constant returns the value of a Program whose expression depends on no
// variable but its Known ones: every evaluation gives it.
func (p *Program) Constant() (ref.Val, bool) { return p.constant, p.constant != nil }

type evalFn func(*frame) ref.Val

// frame holds one evaluation's comprehension variables and what is left of
// its budget. pending holds the unevaluated initial value of a
// comprehension's accumulator: cel.bind is a comprehension, and its value
// is computed only when used, as in cel-go.
type frame struct {
	globals []ref.Val
	slots   []ref.Val
	pending []evalFn
	// bufs are buffers for the lists being built, kept for the frame's
	// next evaluation (buffer, release).
	bufs [][]ref.Val
	budget
}

// buffer returns an empty buffer for a list being built.
func (fr *frame) buffer() []ref.Val {
	if n := len(fr.bufs); n > 0 {
		b := fr.bufs[n-1]
		fr.bufs[n-1] = nil // not held here if it grows and is dropped
		fr.bufs = fr.bufs[:n-1]
		return b
	}
	return nil
}

// release keeps a buffer for later, unless it grew large (a pooled frame
// would hold it for good).
func (fr *frame) release(b []ref.Val) {
	if cap(b) > 0 && cap(b) <= 4096 {
		clear(b)
		fr.bufs = append(fr.bufs, b[:0])
	}
}

// Eval evaluates the expression with the variables at their places in
// globals, within CostLimit. A result that is an error or unknown must be
// evaluated again by cel-go for its message, unless Stopped says it met a
// limit.
func (p *Program) Eval(globals []ref.Val) ref.Val {
	return p.eval(nil, globals)
}

// EvalContext is Eval that also stops, with ctx's error as its value,
// when ctx is done: a loop looks at ctx every few thousand steps, so that
// a deadline holds inside one long evaluation too.
func (p *Program) EvalContext(ctx context.Context, globals []ref.Val) ref.Val {
	return p.eval(ctx, globals)
}

func (p *Program) eval(ctx context.Context, globals []ref.Val) ref.Val {
	fr, _ := p.frames.Get().(*frame)
	if fr == nil {
		fr = &frame{slots: make([]ref.Val, p.slots), pending: make([]evalFn, p.slots)}
	}
	fr.globals = globals
	fr.budget = newBudget(ctx, p.limit)
	out := p.root(fr)
	if fr.stop != nil {
		// A limit is final, even where && or || would absorb an error.
		out = fr.stop
	}
	clear(fr.slots)
	clear(fr.pending)
	fr.globals = nil
	fr.budget = budget{}
	p.frames.Put(fr)
	return out
}

// compiler turns one checked expression into closures.
type compiler struct {
	a       *ast.AST
	disp    map[string]*functions.Overload
	adapter types.Adapter
	opts    Options
	scopes  []loopScope
	slots   int
	consts  map[int64]ref.Val // constant(), by expression id; nil: not constant
	limit   *ConstantError    // the first constant that met a limit
	fold    budget            // what folding constants may spend
	// foldString and foldList are the largest values folded.
	foldString, foldList int64
	// speculative counts the loop bodies being compiled once per element
	// (unroll); unrolled counts the element copies compiled so far.
	speculative, unrolled int
}

// ConstantError is a part of an expression that depends on no variable
// and meets a limit (a string or list too long to build) whenever it is
// evaluated: Compile returns it, so that the policy is refused when it is
// loaded rather than failing on every record.
type ConstantError struct {
	ID  int64 // the part's expression id
	Err error // a LimitError
}

func (e *ConstantError) Error() string { return e.Err.Error() }

func (e *ConstantError) Unwrap() error { return e.Err }

// small reports whether a folded value is small enough to keep.
func (c *compiler) small(v ref.Val) bool {
	switch v.(type) {
	case types.String, types.Bytes:
		return size(v) <= c.foldString
	case traits.Lister:
		return size(v) <= c.foldList
	}
	return true
}

// loopScope is a comprehension's variables: the accumulator is looked up
// before the iteration variable, as cel-go's folder does.
type loopScope struct {
	accu, iter, iter2             string // iter2: "" but in two-variable loops
	accuSlot, iterSlot, iter2Slot int
	hasIter                       bool
	// constant is the accumulator's value when it is a cel.bind of a
	// constant: lookups into it fold then.
	constant ref.Val
	// iterConst is the iteration variable's value in a loop over a
	// constant list compiled once per element (unroll).
	iterConst ref.Val
	// alias reads the variable a cel.bind binds its accumulator to (a
	// function's parameter given a variable): the body reads it there.
	alias evalFn
}

// Dispatcher is an environment's overload bindings by overload id and
// function name, as cel-go builds its own dispatcher. Make it once per
// environment and pass it to every Compile in it.
type Dispatcher map[string]*functions.Overload

// NewDispatcher indexes the overloads of env.
func NewDispatcher(env *cel.Env) (Dispatcher, error) {
	disp := Dispatcher{}
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

// Compile compiles a checked expression of env, or returns ErrUnsupported
// when it uses something left to cel-go.
func Compile(env *cel.Env, checked *cel.Ast, disp Dispatcher, opts Options) (*Program, error) {
	c := &compiler{a: checked.NativeRep(), disp: disp, adapter: env.CELTypeAdapter(), opts: opts,
		fold: newBudget(nil, CostLimit), foldString: foldMaxString, foldList: foldMaxList}
	root, err := c.compile(c.a.Expr())
	if c.limit != nil {
		return nil, c.limit
	}
	if err != nil {
		return nil, err
	}
	limit := opts.CostLimit
	if limit <= 0 {
		limit = CostLimit
	}
	constant, _ := c.constant(c.a.Expr())
	return &Program{root: root, slots: c.slots, limit: limit, constant: constant, unrolled: c.unrolled}, nil
}

// compile folds what is constant (literals included) and compiles the rest.
func (c *compiler) compile(e ast.Expr) (evalFn, error) {
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
	case ast.MapKind:
		return c.mapExpr(e)
	case ast.ComprehensionKind:
		return c.comprehension(e)
	}
	return nil, errUnsupported
}

// constant returns the value of an expression that does not depend on the
// variables, computed once (see constant0).
func (c *compiler) constant(e ast.Expr) (ref.Val, bool) {
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
func (c *compiler) constant0(e ast.Expr) (ref.Val, bool) {
	switch e.Kind() {
	case ast.CallKind:
		call := e.AsCall()
		switch call.FunctionName() {
		case operators.LogicalAnd, operators.LogicalOr:
			return c.constantLogical(call)
		case operators.Conditional:
			// A constant condition picks its branch, constant or not.
			if b, ok := c.constantBool(call.Args()[0]); ok {
				if b {
					return c.constant(call.Args()[1])
				}
				return c.constant(call.Args()[2])
			}
			return nil, false
		case operators.OptIndex, operators.OptSelect:
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
		// One budget for all the folds of the expression: folding ends
		// within the limits of one evaluation. The call may read a loop
		// fused into it (sum of a map): its variables need their slots.
		fr := c.foldFrame(c.fold)
		if c.speculative > 0 {
			// In a copy of a loop's body for one element (unroll), which
			// cel-go may never run: a fold of its own small budget, and a
			// limit met is left to run (and fail) if it is reached.
			fr.budget = newBudget(nil, foldLoopSteps)
		}
		v := f(fr)
		if fr.stop != nil {
			v = fr.stop
		}
		if c.speculative > 0 {
			return shareable(v), fr.stop == nil && !types.IsUnknownOrError(v) && c.small(v)
		}
		c.fold = fr.budget
		if err := Stopped(v); err != nil && c.limit == nil {
			// It fails so whenever it runs: the bundle's author hears now.
			c.limit = &ConstantError{ID: e.ID(), Err: err}
		}
		return shareable(v), !types.IsUnknownOrError(v) && c.small(v)
	case ast.ComprehensionKind:
		// A loop that reads nothing but constants (params.tracks.map(t,
		// ...)) is run once, here, as a call on constants is.
		if !c.closed(e, nil) {
			return nil, false
		}
		f, err := c.comprehension(e)
		if err != nil {
			return nil, false
		}
		// Within a small budget of its own: a longer loop, or one that
		// meets a limit, is left to run (and fail) as it did.
		fr := c.foldFrame(newBudget(nil, foldLoopSteps))
		v := f(fr)
		return shareable(v), fr.stop == nil && !types.IsUnknownOrError(v) && c.small(v)
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
				if e.AsIdent() != s.accu {
					return s.iterConst, s.iterConst != nil
				}
				return s.constant, s.constant != nil
			}
		}
		if r, ok := c.a.ReferenceMap()[e.ID()]; ok && r.Value != nil {
			return r.Value, true
		}
		if v, ok := c.known(e); ok {
			return v, true
		}
		if e.Kind() == ast.SelectKind {
			if m, ok := c.constant(e.AsSelect().Operand()); ok {
				if mp, ok := m.(traits.Mapper); ok {
					v, found := mp.Find(types.String(e.AsSelect().FieldName()))
					if e.AsSelect().IsTestOnly() {
						return types.Bool(found), true // has() on a constant map
					}
					if found && !types.IsUnknownOrError(v) {
						return v, true
					}
				}
			}
		}
	}
	return nil, false
}

// foldFrame is a frame to fold a part of the expression in, with b to
// spend and the slots of the loops compiled so far.
func (c *compiler) foldFrame(b budget) *frame {
	return &frame{budget: b, slots: make([]ref.Val, c.slots), pending: make([]evalFn, c.slots)}
}

// shareable is a folded value made safe to share between evaluations on
// several goroutines: a fastcel list makes its cel-go twin on first use,
// so a folded one is that twin from the start.
func shareable(v ref.Val) ref.Val {
	if l, ok := v.(*valList); ok {
		return l.cel()
	}
	return v
}

// foldLoopSteps is the most steps a loop over constants may take to be
// folded when compiled.
const foldLoopSteps = 10_000

// closed reports whether e reads no variable but constants and those
// bound inside it (the variables of its own loops).
func (c *compiler) closed(e ast.Expr, bound map[string]bool) bool {
	all := func(es ...ast.Expr) bool {
		for _, x := range es {
			if !c.closed(x, bound) {
				return false
			}
		}
		return true
	}
	switch e.Kind() {
	case ast.LiteralKind:
		return true
	case ast.IdentKind:
		if bound[e.AsIdent()] {
			return true
		}
		_, ok := c.constant(e)
		return ok
	case ast.SelectKind:
		if _, qualified := c.a.ReferenceMap()[e.ID()]; qualified {
			_, ok := c.constant(e) // a qualified name: a constant or a variable
			return ok
		}
		return all(e.AsSelect().Operand())
	case ast.CallKind:
		call := e.AsCall()
		if call.IsMemberFunction() && !all(call.Target()) {
			return false
		}
		return all(call.Args()...)
	case ast.ListKind:
		return all(e.AsList().Elements()...)
	case ast.MapKind:
		for _, en := range e.AsMap().Entries() {
			if !all(en.AsMapEntry().Key(), en.AsMapEntry().Value()) {
				return false
			}
		}
		return true
	case ast.ComprehensionKind:
		cp := e.AsComprehension()
		if !all(cp.IterRange(), cp.AccuInit()) {
			return false
		}
		inner := maps.Clone(bound)
		if inner == nil {
			inner = map[string]bool{}
		}
		inner[cp.AccuVar()], inner[cp.IterVar()] = true, true
		if cp.HasIterVar2() {
			inner[cp.IterVar2()] = true
		}
		saved := bound
		bound = inner
		defer func() { bound = saved }()
		return all(cp.LoopCondition(), cp.LoopStep(), cp.Result())
	}
	return false
}

// constantBool returns the value of a constant boolean expression.
func (c *compiler) constantBool(e ast.Expr) (bool, bool) {
	v, ok := c.constant(e)
	if !ok {
		return false, false
	}
	b, ok := v.(types.Bool)
	return bool(b), ok
}

// constantLogical folds && and || whose operands, read left to right as
// cel-go does, are constant up to one that decides (false for &&, true
// for ||), or all constant booleans. (A deciding constant after a
// variable operand is not folded: that operand still runs, and may meet
// a limit, as in cel-go.)
func (c *compiler) constantLogical(call ast.CallExpr) (ref.Val, bool) {
	decides := call.FunctionName() == operators.LogicalOr
	for _, a := range call.Args() {
		b, ok := c.constantBool(a)
		if !ok {
			return nil, false
		}
		if b == decides {
			return types.Bool(decides), true
		}
	}
	return types.Bool(!decides), true
}

// known returns the value of a global identifier that Options.Known holds.
func (c *compiler) known(e ast.Expr) (ref.Val, bool) {
	if e.Kind() != ast.IdentKind || len(c.opts.Known) == 0 {
		return nil, false
	}
	name := e.AsIdent()
	if r, checked := c.a.ReferenceMap()[e.ID()]; !checked || r.Name != name {
		return nil, false
	}
	slot, ok := c.opts.Global(name)
	if !ok {
		return nil, false
	}
	v, ok := c.opts.Known[slot]
	return v, ok && v != nil
}

// scope returns the innermost comprehension that declares name.
func (c *compiler) scope(name string) *loopScope {
	for i := len(c.scopes) - 1; i >= 0; i-- {
		s := &c.scopes[i]
		if name == s.accu || (s.hasIter && (name == s.iter || s.iter2 != "" && name == s.iter2)) {
			return s
		}
	}
	return nil
}

// ident reads a comprehension variable or a global; constants were folded
// by compile.
func (c *compiler) ident(id int64, name string) (evalFn, error) {
	if s := c.scope(name); s != nil {
		if name == s.accu && s.alias != nil {
			return s.alias, nil
		}
		if name == s.accu && s.accuSlot < 0 {
			return nil, errUnsupported // a macro's accumulator, read outside its loop
		}
		if name != s.accu {
			slot := s.iterSlot
			if name != s.iter {
				slot = s.iter2Slot
			}
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
	slot, ok := c.opts.Global(name)
	if !ok {
		return nil, errUnsupported
	}
	return func(fr *frame) ref.Val { return fr.globals[slot] }, nil
}

func (c *compiler) selectExpr(e ast.Expr) (evalFn, error) {
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
	if t := c.a.GetType(sel.Operand().ID()); t != nil && t.Kind() == types.StructKind {
		// A record: its field is read by its place, fixed now.
		idx, ok := c.opts.Field(t.TypeName(), field)
		if !ok {
			return nil, errUnsupported
		}
		if sel.IsTestOnly() {
			return func(fr *frame) ref.Val {
				v := operand(fr)
				if _, ok := v.(Record); ok {
					return types.True // every field of a record is set
				}
				if types.IsUnknownOrError(v) {
					return v
				}
				return types.NewErr("has: unsupported operand")
			}, nil
		}
		return func(fr *frame) ref.Val {
			v := operand(fr)
			if r, ok := v.(Record); ok {
				return r.Field(idx)
			}
			if types.IsUnknownOrError(v) {
				return v
			}
			return types.NewErr("no such field: %s", field)
		}, nil
	}
	if sel.IsTestOnly() {
		return func(fr *frame) ref.Val {
			v := operand(fr)
			if m, ok := v.(traits.Mapper); ok {
				_, found := m.Find(key)
				return types.Bool(found)
			}
			if types.IsUnknownOrError(v) {
				return v
			}
			return types.NewErr("has: unsupported operand")
		}, nil
	}
	return func(fr *frame) ref.Val {
		v := operand(fr)
		if m, ok := v.(traits.Mapper); ok {
			if f, found := m.Find(key); found {
				return f
			}
			return types.NewErr("no such key: %s", field)
		}
		if types.IsUnknownOrError(v) {
			return v
		}
		return types.NewErr("no such key: %s", field)
	}, nil
}

func (c *compiler) list(e ast.Expr) (evalFn, error) {
	l := e.AsList()
	if len(l.OptionalIndices()) > 0 {
		return nil, errUnsupported
	}
	elems, err := c.compileAll(l.Elements())
	if err != nil {
		return nil, err
	}
	adapter := c.adapter
	n := int64(len(elems))
	return func(fr *frame) ref.Val {
		if !fr.spend(n) || !fr.allocate(64+16*n) {
			return fr.stop
		}
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

// mapExpr builds a map literal as cel-go does: keys and values in order,
// the first error wins, a repeated key is an error.
func (c *compiler) mapExpr(e ast.Expr) (evalFn, error) {
	var keys, vals []evalFn
	for _, en := range e.AsMap().Entries() {
		me := en.AsMapEntry()
		if me.IsOptional() {
			return nil, errUnsupported
		}
		k, err := c.compile(me.Key())
		if err != nil {
			return nil, err
		}
		v, err := c.compile(me.Value())
		if err != nil {
			return nil, err
		}
		keys, vals = append(keys, k), append(vals, v)
	}
	adapter := c.adapter
	n := int64(len(keys))
	return func(fr *frame) ref.Val {
		if !fr.spend(n) || !fr.allocate(64+64*n) {
			return fr.stop
		}
		m := make(map[ref.Val]ref.Val, len(keys))
		for i := range keys {
			k := keys[i](fr)
			if types.IsUnknownOrError(k) {
				return k
			}
			v := vals[i](fr)
			if types.IsUnknownOrError(v) {
				return v
			}
			if _, dup := m[k]; dup {
				return types.NewErr("Failed with repeated key")
			}
			m[k] = v
		}
		return types.NewRefValMap(adapter, m)
	}, nil
}

// constants returns the values of expressions that are all constant.
func (c *compiler) constants(es []ast.Expr) ([]ref.Val, bool) {
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

func (c *compiler) compileAll(es []ast.Expr) ([]evalFn, error) {
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

// CheckConstants folds the constant parts of a checked expression of env
// as Compile does, whatever else the expression uses, and returns the
// first that meets a limit (a *ConstantError), or nil. It lets a loader
// refuse such an expression where it is written (a function's body, say)
// even when the fast path would not compile it.
func CheckConstants(env *cel.Env, checked *cel.Ast, disp Dispatcher) error {
	// Folded here up to the size limits (the values are dropped at the
	// end), so that a part is found wherever a chain of them grows past.
	c := &compiler{a: checked.NativeRep(), disp: disp, adapter: env.CELTypeAdapter(),
		opts: Options{Global: func(string) (int, bool) { return 0, false }, Field: func(string, string) (int, bool) { return 0, false }},
		fold: newBudget(nil, CostLimit), foldString: MaxStringSize, foldList: MaxListSize}
	c.probe(c.a.Expr())
	if c.limit != nil {
		return c.limit
	}
	return nil
}

// probe folds every constant part of e, with comprehension variables in
// scope as compile has them.
func (c *compiler) probe(e ast.Expr) {
	if c.limit != nil {
		return
	}
	if _, ok := c.constant(e); ok {
		return
	}
	switch e.Kind() {
	case ast.CallKind:
		call := e.AsCall()
		if call.IsMemberFunction() {
			c.probe(call.Target())
		}
		for _, a := range call.Args() {
			c.probe(a)
		}
	case ast.ListKind:
		for _, x := range e.AsList().Elements() {
			c.probe(x)
		}
	case ast.MapKind:
		for _, en := range e.AsMap().Entries() {
			c.probe(en.AsMapEntry().Key())
			c.probe(en.AsMapEntry().Value())
		}
	case ast.SelectKind:
		c.probe(e.AsSelect().Operand())
	case ast.ComprehensionKind:
		cp := e.AsComprehension()
		c.probe(cp.IterRange())
		c.probe(cp.AccuInit())
		sc := loopScope{accu: cp.AccuVar(), iter: cp.IterVar(), accuSlot: -1, iterSlot: -1, hasIter: true}
		if cp.HasIterVar2() {
			sc.iter2 = cp.IterVar2()
		}
		if r := cp.IterRange(); r.Kind() == ast.ListKind && len(r.AsList().Elements()) == 0 {
			if v, ok := c.constant(cp.AccuInit()); ok {
				sc.constant = v
			}
		}
		c.scopes = append(c.scopes, sc)
		c.probe(cp.LoopCondition())
		c.probe(cp.LoopStep())
		c.scopes[len(c.scopes)-1].hasIter = false
		c.probe(cp.Result())
		c.scopes = c.scopes[:len(c.scopes)-1]
	}
}
