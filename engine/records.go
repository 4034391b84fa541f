package engine

import (
	"fmt"
	"reflect"

	"evaluate/facts"

	"github.com/google/cel-go/cel"
	"github.com/google/cel-go/common/types"
	"github.com/google/cel-go/common/types/ref"
)

// record is a fact value already converted to CEL values, field by field.
// ext.NativeTypes reads Go structs by reflection on every field access and
// list element; converting a month once and reading fields from a record is
// several times faster, which matters at hundreds of thousands of tenants.
// The struct types stay declared through NativeTypes, so expressions are
// type-checked against them as before.
type record struct {
	typ    ref.Type
	names  []string
	values []ref.Val
}

func (r *record) field(name string) (ref.Val, bool) {
	for i, n := range r.names {
		if n == name {
			return r.values[i], true
		}
	}
	return nil, false
}

// ConvertToNative implements ref.Val; records never leave CEL.
func (r *record) ConvertToNative(t reflect.Type) (any, error) {
	return nil, fmt.Errorf("%s cannot be converted to %v", r.typ.TypeName(), t)
}

// ConvertToType implements ref.Val.
func (r *record) ConvertToType(t ref.Type) ref.Val {
	if t == types.TypeType {
		return r.typ.(ref.Val)
	}
	return types.NewErr("type conversion error from %s to %s", r.typ.TypeName(), t.TypeName())
}

// Equal implements ref.Val: records are equal when every field is.
func (r *record) Equal(o ref.Val) ref.Val {
	other, ok := o.(*record)
	if !ok || other.typ.TypeName() != r.typ.TypeName() || len(other.values) != len(r.values) {
		return types.False
	}
	for i := range r.values {
		if r.values[i].Equal(other.values[i]) != types.True {
			return types.False
		}
	}
	return types.True
}

// Type implements ref.Val.
func (r *record) Type() ref.Type { return r.typ }

// Value implements ref.Val; field getters receive the record itself.
func (r *record) Value() any { return r }

var (
	monthRecordType    = types.NewObjectType("facts.MonthState")
	workloadRecordType = types.NewObjectType("facts.WorkloadMonth")
	summaryRecordType  = types.NewObjectType("engine.Summary")
)

// celNames converts strings for CEL, for monthRecord.
func celNames(lists ...[]string) map[string]ref.Val {
	out := map[string]ref.Val{}
	for _, l := range lists {
		for _, s := range l {
			out[s] = types.String(s)
		}
	}
	return out
}

// Field names of the records, shared by every record of a type.
var (
	workloadFields = []string{"workload", "paid_seats", "active_users"}
	monthFields    = []string{"month", "associations", "workloads"}
	summaryFields  = []string{"month", "eligible", "deployed", "active_users"}
)

// monthRecord converts a tenant's month for CEL in three allocations: the
// record with its two lists, the workloads' records, and all values.
// names holds strings already converted (the vocabulary's), which workload
// names and types almost always are.
func monthRecord(st *facts.MonthState, names map[string]ref.Val) *record {
	n, a := len(st.Workloads), len(st.Associations)
	box := &struct {
		rec       record
		fields    [3]ref.Val
		wl, assoc valList
	}{}
	recs := make([]record, n)
	vals := make([]ref.Val, 4*n+a)
	fields, wl, assoc := vals[:3*n:3*n], vals[3*n:4*n:4*n], vals[4*n:]
	name := func(s string) ref.Val {
		if v, ok := names[s]; ok {
			return v
		}
		return types.String(s)
	}
	for i, w := range st.Workloads {
		v := fields[3*i : 3*i+3 : 3*i+3]
		v[0], v[1], v[2] = name(w.Workload), types.Int(w.PaidSeats), types.Int(w.ActiveUsers)
		recs[i] = record{typ: workloadRecordType, names: workloadFields, values: v}
		wl[i] = &recs[i]
	}
	for i, s := range st.Associations {
		assoc[i] = name(s)
	}
	box.wl = valList{vals: wl, adapter: types.DefaultTypeAdapter}
	box.assoc = valList{vals: assoc, adapter: types.DefaultTypeAdapter}
	box.fields = [3]ref.Val{types.String(st.Month), &box.assoc, &box.wl}
	box.rec = record{typ: monthRecordType, names: monthFields, values: box.fields[:]}
	return &box.rec
}

// summaryRecord converts a month summary for CEL.
func summaryRecord(s Summary) *record {
	return newSummaryRecord(types.String(s.Month), types.Bool(s.Eligible), types.Bool(s.Deployed), types.Int(s.ActiveUsers))
}

// newSummaryRecord makes a summary's record from values already converted,
// the record and its values in one allocation.
func newSummaryRecord(month ref.Val, eligible, deployed types.Bool, users ref.Val) *record {
	b := &struct {
		r record
		v [4]ref.Val
	}{v: [4]ref.Val{month, eligible, deployed, users}}
	b.r = record{typ: summaryRecordType, names: summaryFields, values: b.v[:]}
	return &b.r
}

// recordProvider reads record fields directly and leaves everything else
// (type declarations, Go structs such as people) to the provider it wraps.
type recordProvider struct {
	types.Provider
}

// FindStructFieldType implements types.Provider.
func (p recordProvider) FindStructFieldType(structType, fieldName string) (*types.FieldType, bool) {
	ft, ok := p.Provider.FindStructFieldType(structType, fieldName)
	if !ok {
		return ft, ok
	}
	fast := *ft
	getFrom, isSet := ft.GetFrom, ft.IsSet
	fast.GetFrom = func(obj any) (any, error) {
		if r, ok := obj.(*record); ok {
			if v, ok := r.field(fieldName); ok {
				return v, nil
			}
			return nil, fmt.Errorf("no such field %q", fieldName)
		}
		return getFrom(obj)
	}
	fast.IsSet = func(obj any) bool {
		if r, ok := obj.(*record); ok {
			_, found := r.field(fieldName)
			return found
		}
		return isSet(obj)
	}
	return &fast, true
}

// withRecords installs recordProvider over the environment's provider.
func withRecords() cel.EnvOption {
	return func(env *cel.Env) (*cel.Env, error) {
		return cel.CustomTypeProvider(recordProvider{env.CELTypeProvider()})(env)
	}
}
