package fastcel

import (
	"context"

	"github.com/google/cel-go/common/types"
	"github.com/google/cel-go/common/types/ref"
)

// checkEvery is how many steps pass between looks at the budget and the
// context: the hot path is one decrement and one comparison.
const checkEvery = 4096

// budget is what is left of one evaluation's CostLimit. credit is spent
// step by step; when it runs out, refill moves more from left, after a
// look at the context.
type budget struct {
	credit int64
	left   int64
	// alloc is what is left of AllocLimit.
	alloc int64
	ctx   context.Context
	limit int64
	// stop is the error that ended the evaluation: once set, every loop
	// ends at its next step.
	stop ref.Val
}

func newBudget(ctx context.Context, limit int64) budget {
	c := min(limit, checkEvery)
	return budget{credit: c, left: limit - c, alloc: AllocLimit, ctx: ctx, limit: limit}
}

// fail ends the evaluation with err, a limit's error: like the step
// limit, a size limit is final, even where && or || would absorb an
// error (cel-go's evaluations stop on them too).
func (b *budget) fail(err ref.Val) ref.Val {
	if b.stop == nil {
		b.stop = err
	}
	return err
}

// allocate spends n bytes of AllocLimit.
func (b *budget) allocate(n int64) bool {
	b.alloc -= n
	if b.alloc >= 0 {
		return true
	}
	if b.stop == nil {
		b.stop = limitErr("more than %d bytes allocated", AllocLimit)
	}
	return false
}

// step spends one step; false means the evaluation must stop (fr.stop).
func (b *budget) step() bool {
	b.credit--
	return b.credit > 0 || b.refill()
}

// spend spends n steps.
func (b *budget) spend(n int64) bool {
	b.credit -= n
	return b.credit > 0 || b.refill()
}

func (b *budget) refill() bool {
	if b.stop != nil {
		return false
	}
	if b.ctx != nil {
		if err := b.ctx.Err(); err != nil {
			b.stop = types.WrapErr(err)
			return false
		}
	}
	total := b.left + b.credit
	if total <= 0 {
		b.stop = limitErr("more than %d steps", b.limit)
		return false
	}
	c := min(total, checkEvery)
	b.credit, b.left = c, total-c
	return true
}
