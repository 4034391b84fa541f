package engine

import (
	"reflect"

	"github.com/google/cel-go/common/types"
	"github.com/google/cel-go/common/types/ref"
	"github.com/google/cel-go/common/types/traits"
)

// fieldMap is a CEL map of a few string keys fixed in advance: an
// option's {"value", "points"}, and a metric's options by name, which the
// planner makes thousands of times per partner. It reads as cel-go's own
// maps (types.NewRefValMap) do: the same lookups, errors, equality and
// conversions. A key is found by comparing a handful of strings instead of
// hashing, it costs one allocation instead of four, and its keys come in
// the order given where a Go map's order changes from run to run.
type fieldMap struct {
	keys   *fieldKeys
	vals   []ref.Val
	inline [2]ref.Val
}

// valuePoints are the keys of an option's result.
var valuePoints = newFieldKeys("value", "points")

// fieldKeys are the keys of fieldMaps, made once and shared.
type fieldKeys struct {
	names []string
	list  traits.Lister
}

// newFieldKeys are the distinct names, in their first order.
func newFieldKeys(names ...string) *fieldKeys {
	k := &fieldKeys{}
	for _, n := range names {
		if k.index(n) < 0 {
			k.names = append(k.names, n)
		}
	}
	// cel-go's own list: shared by every worker, never written. Of CEL
	// values made once: a string list makes its element anew on every
	// read (an allocation each, thousands per partner in the plans).
	vals := make([]ref.Val, len(k.names))
	for i, n := range k.names {
		vals[i] = types.String(n)
	}
	k.list = types.NewRefValList(types.DefaultTypeAdapter, vals).(traits.Lister)
	return k
}

func (k *fieldKeys) index(name string) int {
	for i, n := range k.names {
		if n == name {
			return i
		}
	}
	return -1
}

// newFieldMap is a map of keys k, each set to vals in order, or none
// (set them with set).
func newFieldMap(k *fieldKeys, vals ...ref.Val) *fieldMap {
	m := &fieldMap{keys: k}
	if len(k.names) <= len(m.inline) {
		m.vals = m.inline[:len(k.names)]
	} else {
		m.vals = make([]ref.Val, len(k.names))
	}
	copy(m.vals, vals)
	return m
}

// set sets key name, one of the map's keys.
func (m *fieldMap) set(name string, v ref.Val) {
	if i := m.keys.index(name); i >= 0 {
		m.vals[i] = v
	}
}

// celMap is the same map as one of cel-go's, for what only it does
// (conversions to Go and JSON types, its text).
func (m *fieldMap) celMap() traits.Mapper {
	vals := make(map[ref.Val]ref.Val, len(m.vals))
	for i, n := range m.keys.names {
		vals[types.String(n)] = m.vals[i]
	}
	return types.NewRefValMap(types.DefaultTypeAdapter, vals).(traits.Mapper)
}

// Find implements traits.Mapper: a key of another type than string is not
// in a map of strings, as in cel-go's maps.
func (m *fieldMap) Find(key ref.Val) (ref.Val, bool) {
	s, ok := key.(types.String)
	if !ok {
		return nil, false
	}
	if i := m.keys.index(string(s)); i >= 0 {
		return m.vals[i], true
	}
	return nil, false
}

// Get implements traits.Indexer, with cel-go's error for a missing key.
func (m *fieldMap) Get(key ref.Val) ref.Val {
	v, found := m.Find(key)
	if !found {
		return types.ValOrErr(v, "no such key: %v", key)
	}
	return v
}

// Contains implements traits.Container.
func (m *fieldMap) Contains(key ref.Val) ref.Val {
	_, found := m.Find(key)
	return types.Bool(found)
}

// Size implements traits.Sizer.
func (m *fieldMap) Size() ref.Val { return types.Int(len(m.vals)) }

// IsZeroValue implements traits.Zeroer.
func (m *fieldMap) IsZeroValue() bool { return len(m.vals) == 0 }

// Iterator implements traits.Iterable: the keys in their order.
func (m *fieldMap) Iterator() traits.Iterator { return m.keys.list.Iterator() }

// Equal implements ref.Val as cel-go's maps do.
func (m *fieldMap) Equal(other ref.Val) ref.Val {
	o, ok := other.(traits.Mapper)
	if !ok || o.Size() != m.Size() {
		return types.False
	}
	for i, n := range m.keys.names {
		ov, found := o.Find(types.String(n))
		if !found || types.Equal(m.vals[i], ov) == types.False {
			return types.False
		}
	}
	return types.True
}

// ConvertToNative implements ref.Val.
func (m *fieldMap) ConvertToNative(t reflect.Type) (any, error) { return m.celMap().ConvertToNative(t) }

// ConvertToType implements ref.Val.
func (m *fieldMap) ConvertToType(t ref.Type) ref.Val {
	switch t {
	case types.MapType:
		return m
	case types.TypeType:
		return types.MapType
	}
	return types.NewErr("type conversion error from '%s' to '%s'", types.MapType, t)
}

// Type implements ref.Val.
func (m *fieldMap) Type() ref.Type { return types.MapType }

// Value implements ref.Val.
func (m *fieldMap) Value() any { return m.celMap().Value() }

// String is the map as cel-go writes its maps.
func (m *fieldMap) String() string {
	if s, ok := m.celMap().(interface{ String() string }); ok {
		return s.String()
	}
	return ""
}
