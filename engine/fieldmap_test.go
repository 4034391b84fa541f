package engine

import (
	"fmt"
	"reflect"
	"testing"

	"github.com/google/cel-go/cel"
	"github.com/google/cel-go/common/types"
	"github.com/google/cel-go/common/types/ref"
	"github.com/google/cel-go/common/types/traits"
	"github.com/google/cel-go/ext"
)

// TestFieldMapIsCELMap: a fieldMap gives what cel-go's own map of the same
// entries gives, through CEL (lookups, errors, has, in, equality both
// ways, macros) and through its methods, and iterates in its keys' order.
func TestFieldMapIsCELMap(t *testing.T) {
	t.Parallel()
	keys := newFieldKeys("value", "points", "value") // a repeated name is one key
	if got := keys.names; !reflect.DeepEqual(got, []string{"value", "points"}) {
		t.Fatalf("keys %v", got)
	}
	fm := newFieldMap(keys, types.Double(2.5), types.Double(10))
	cm := types.NewRefValMap(types.DefaultTypeAdapter, map[ref.Val]ref.Val{
		types.String("value"): types.Double(2.5), types.String("points"): types.Double(10)})
	env, err := cel.NewEnv(ext.Lists(), ext.Bindings(),
		cel.Variable("m", cel.MapType(cel.StringType, cel.DoubleType)),
		cel.Variable("d", cel.DynType))
	if err != nil {
		t.Fatal(err)
	}
	for _, src := range []string{
		`m.points`, `m["value"]`, `m["nope"]`, `m.nope`, `"points" in m`, `"nope" in m`,
		`has(m.value)`, `has(m.nope)`, `m.size()`,
		`m == {"value": 2.5, "points": 10.0}`, `{"points": 10.0, "value": 2.5} == m`,
		`m == {"value": 2.5}`, `m == {"value": 2.5, "points": 11.0}`, `m == {"value": 2.5, "other": 10.0}`,
		`m != {"value": 2.5, "points": 10.0}`, `[m] == [{"value": 2.5, "points": 10.0}]`,
		`m.map(k, k).sort()`, `m.exists(k, m[k] > 5.0)`, `m.all(k, m[k] > 5.0)`, `m.filter(k, m[k] < 5.0)`,
		`d[1]`, `d[1.0]`, `dyn(m) == d`, `type(m) == map`, `size(m)`,
	} {
		ast, iss := env.Compile(src)
		if iss.Err() != nil {
			t.Fatalf("%s: %v", src, iss.Err())
		}
		prg, err := env.Program(ast)
		if err != nil {
			t.Fatalf("%s: %v", src, err)
		}
		eval := func(m ref.Val) string {
			v, _, err := prg.Eval(map[string]any{"m": m, "d": m})
			if err != nil {
				return "error: " + err.Error()
			}
			return fmt.Sprintf("%v %v", v.Type(), v.Value())
		}
		if got, want := eval(fm), eval(cm); got != want {
			t.Errorf("%s: fieldMap %s, cel-go %s", src, got, want)
		}
	}
	var order []string
	for it := fm.Iterator(); it.HasNext() == types.True; {
		order = append(order, string(it.Next().(types.String)))
	}
	if !reflect.DeepEqual(order, keys.names) {
		t.Errorf("order %v, want %v", order, keys.names)
	}
	for _, typ := range []reflect.Type{reflect.TypeFor[map[string]float64](), reflect.TypeFor[map[string]any](), reflect.TypeFor[int]()} {
		got, gerr := fm.ConvertToNative(typ)
		want, werr := cm.ConvertToNative(typ)
		if !reflect.DeepEqual(got, want) || fmt.Sprint(gerr) != fmt.Sprint(werr) {
			t.Errorf("ConvertToNative(%v): %v %v, want %v %v", typ, got, gerr, want, werr)
		}
	}
	for _, typ := range []ref.Type{types.MapType, types.TypeType, types.StringType} {
		got, want := fm.ConvertToType(typ), cm.ConvertToType(typ)
		if typ == types.MapType {
			got, want = got.(traits.Mapper).Size(), want.(traits.Mapper).Size()
		}
		if fmt.Sprint(got) != fmt.Sprint(want) {
			t.Errorf("ConvertToType(%v): %v, want %v", typ, got, want)
		}
	}
	for _, k := range []ref.Val{types.String("value"), types.String("nope"), types.Int(1), types.Double(1), types.NewErr("bad")} {
		gv, gok := fm.Find(k)
		wv, wok := cm.Find(k)
		if fmt.Sprint(gv, gok) != fmt.Sprint(wv, wok) {
			t.Errorf("Find(%v): %v %v, want %v %v", k, gv, gok, wv, wok)
		}
		if got, want := fmt.Sprint(fm.Get(k)), fmt.Sprint(cm.Get(k)); got != want {
			t.Errorf("Get(%v): %s, want %s", k, got, want)
		}
		if got, want := fm.Contains(k), cm.(traits.Container).Contains(k); got != want {
			t.Errorf("Contains(%v): %v, want %v", k, got, want)
		}
	}
	other := func(kv ...any) ref.Val {
		m := map[ref.Val]ref.Val{}
		for i := 0; i < len(kv); i += 2 {
			m[types.String(kv[i].(string))] = types.DefaultTypeAdapter.NativeToValue(kv[i+1])
		}
		return types.NewRefValMap(types.DefaultTypeAdapter, m)
	}
	for _, o := range []ref.Val{cm, other("value", 2.5), other("value", 2.5, "points", 11.0), other("value", 2.5, "other", 10.0),
		other("value", 2.5, "points", int64(10)), other("value", "x", "points", 10.0), types.String("x"), types.NullValue} {
		if got, want := fm.Equal(o), cm.Equal(o); got != want {
			t.Errorf("Equal(%v): %v, want %v", o, got, want)
		}
		if om, ok := o.(traits.Mapper); ok {
			if got, want := om.Equal(fm), om.Equal(cm); got != want {
				t.Errorf("%v.Equal(fieldMap): %v, want %v", o, got, want)
			}
		}
	}
	if fm.IsZeroValue() || !newFieldMap(newFieldKeys()).IsZeroValue() {
		t.Error("IsZeroValue")
	}
	set := newFieldMap(keys)
	set.set("points", types.Double(10))
	set.set("value", types.Double(2.5))
	set.set("nope", types.Double(1))
	if set.Equal(cm) != types.True {
		t.Errorf("set: %v", set)
	}
}
