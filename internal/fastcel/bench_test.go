package fastcel

import (
	"fmt"
	"testing"

	"github.com/google/cel-go/common/types"
	"github.com/google/cel-go/common/types/ref"
)

// BenchmarkLoops measures the fast path's loops, where the budget is
// spent: one step per iteration, and the cost of the strings compared.
func BenchmarkLoops(b *testing.B) {
	env, disp := testEnv(b)
	l := make([]int64, 1000)
	ls := make([]string, 1000)
	for i := range l {
		l[i] = int64(i)
		ls[i] = fmt.Sprintf("workload %d", i)
	}
	a := types.DefaultTypeAdapter
	data := []ref.Val{types.Int(1), types.Int(2), types.Double(1), types.String("x"), types.True,
		a.NativeToValue(l), a.NativeToValue(ls), a.NativeToValue(map[string]int64{"a": 1}), types.Int(1)}
	for _, expr := range []string{
		`l.exists(e, e == -1)`,
		`l.filter(e, e % 2 == 0).map(e, e * 2).sum()`,
		`ls.exists(w, w == "none")`,
		`ls.filter(w, w.startsWith("workload 1")).size()`,
		`l.exists(e, e < 30 && l.exists(f, e + f == -1))`,
	} {
		ast, iss := env.Compile(expr)
		if iss.Err() != nil {
			b.Fatal(iss.Err())
		}
		p, err := Compile(env, ast, disp, testOptions)
		if err != nil {
			b.Fatal(err)
		}
		b.Run(expr, func(b *testing.B) {
			for b.Loop() {
				if v := p.Eval(data); types.IsError(v) {
					b.Fatal(v)
				}
			}
		})
	}
}
