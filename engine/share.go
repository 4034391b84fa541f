package engine

import (
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"slices"
	"strings"

	celast "github.com/google/cel-go/common/ast"
	"github.com/google/cel-go/common/types/ref"
)

// Designations of one bundle often compute the same thing from a tenant:
// the three Azure designations share their rules and every list their
// tenant values read (a tenant's ACR month by month, its services). A
// value or aggregate computed once per tenant (it depends on neither track
// nor option) gets a key made of everything its result depends on: its
// expression, the functions it may call, the months its variables stand
// for, the params it reads and the keys of the values it uses. Equal keys
// compute equal results, so the scorer computes the first and reuses it
// for the others (memo).

// share gives the shared-level values and aggregates of every tenant flow
// a memo slot where another designation has the same key.
func (b *Bundle) share() {
	type site struct {
		d    *Designation
		slot *int
	}
	sites := map[string][]site{}
	for _, d := range b.Designations {
		f := d.tenantFlow
		if f == nil {
			continue
		}
		env := d.recordKey()
		keys := map[string]string{}
		for _, v := range d.values {
			if !v.deps.track && !v.deps.option {
				k := d.exprKey(env, v.expr, v.deps, keys, "")
				keys[v.name] = k
			}
		}
		for i := range f.shared.values {
			fv := &f.shared.values[i]
			k := keys[f.names[fv.place]]
			sites[k] = append(sites[k], site{d, &fv.memo})
		}
		for i := range f.shared.aggs {
			fa := &f.shared.aggs[i]
			k := d.exprKey(env, fa.expr, fa.deps, keys, fmt.Sprintf("%s\x00%v", fa.op, fa.metric))
			sites[k] = append(sites[k], site{d, &fa.memo})
		}
	}
	b.memoSlots = 0
	for _, k := range slices.Sorted(mapKeys(sites)) {
		ss := sites[k]
		if len(ss) < 2 {
			continue
		}
		for _, s := range ss {
			*s.slot = b.memoSlots
		}
		b.memoSlots++
	}
}

// recordKey is what a tenant's variables stand for in this designation:
// how associations count in a month, the months and ranges named, and the
// rules' functions (which calls expand into).
func (d *Designation) recordKey() string {
	var b strings.Builder
	fmt.Fprintf(&b, "in_effect=%s assoc=%v", d.inEffect, d.assocMonths)
	for _, name := range sortedKeys(d.months) {
		fmt.Fprintf(&b, " %s=%d", name, d.months[name])
	}
	for _, name := range sortedKeys(d.ranges) {
		fmt.Fprintf(&b, " %s=%v", name, d.ranges[name])
	}
	for _, f := range d.functions {
		b.WriteString("\x00" + f)
	}
	return b.String()
}

// exprKey is the key of one expression (see share): "" when it reads the
// params in a way the key cannot state.
func (d *Designation) exprKey(env string, x *compiled, dp deps, values map[string]string, extra string) string {
	h := sha256.New()
	fmt.Fprintf(h, "%s\x00%s\x00%s\x00", env, x.src.Text, extra)
	for _, v := range dp.values {
		fmt.Fprintf(h, "value %s=%s\x00", v, values[v])
	}
	for _, p := range paramsRead(x.ast.NativeRep().Expr()) {
		val, _ := json.Marshal(paramsAt(d.Params, p))
		fmt.Fprintf(h, "params.%s=%s\x00", strings.Join(p, "."), val)
	}
	return fmt.Sprintf("%x", h.Sum(nil))
}

// paramsRead lists the params an expression reads, as the fields of each
// chain rooted at params up to its first computed index (the whole value
// from there is read).
func paramsRead(e celast.Expr) [][]string {
	var out [][]string
	var visit func(e celast.Expr)
	visit = func(e celast.Expr) {
		if steps, ok := paramsPath(e); ok {
			var keys []string
			for _, s := range steps {
				if s.key == "" {
					break
				}
				keys = append(keys, s.key)
			}
			out = append(out, keys)
			return
		}
		for _, c := range children(e) {
			visit(c)
		}
	}
	visit(e)
	return out
}

// paramsAt is the value at a path of params (nil when absent).
func paramsAt(params map[string]any, path []string) any {
	var v any = params
	for _, k := range path {
		m, ok := v.(map[string]any)
		if !ok {
			return nil
		}
		v = m[k]
	}
	return v
}

// memo holds the shared results of one tenant, valid for generation gen.
type memo struct {
	vals []ref.Val
	gens []uint64
	gen  uint64
}

func newMemo(n int) *memo { return &memo{vals: make([]ref.Val, n), gens: make([]uint64, n)} }

// next starts a new record: every slot is stale.
func (m *memo) next() { m.gen++ }

func (m *memo) get(i int) (ref.Val, bool) {
	if i < 0 || m == nil || m.gens[i] != m.gen {
		return nil, false
	}
	return m.vals[i], true
}

func (m *memo) put(i int, v ref.Val) {
	if i >= 0 && m != nil {
		m.vals[i], m.gens[i] = v, m.gen
	}
}
