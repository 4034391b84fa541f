package engine

import (
	"evaluate/internal/fastcel"
	"fmt"
	"reflect"
	"slices"
	"strconv"

	"evaluate/facts"
	"evaluate/internal/slab"

	"github.com/google/cel-go/cel"
	"github.com/google/cel-go/common/types"
	"github.com/google/cel-go/common/types/ref"
	"github.com/google/cel-go/common/types/traits"
)

// The record types CEL rules see. Their fields come from the fact file's
// frame and the schema the designations declare; a designation sees only
// the series, measures and attributes it declares, so a rule that reads
// another's is a type error when the bundle loads.
const (
	typeTenant        = "fact.Tenant"
	typeAssociation   = "fact.Association"
	typeMonth         = "fact.Month"
	typePerson        = "fact.Person"
	typeCertification = "fact.Certification"
)

// seriesType is the record type of one row of a series, e.g. fact.workloads.
func seriesType(name string) string { return "fact." + name }

// layout is where each field of each record type sits in the records that
// are built for a run: one layout for the union schema, shared by every
// designation, whose types each declare a subset of the fields.
type layout struct {
	schema *facts.Schema
	fields map[string][]string // type name -> field names in order
	// seriesTypes are the record types of the series' rows, by series.
	seriesTypes []*types.Type
}

func newLayout(s *facts.Schema) *layout {
	l := &layout{schema: s, fields: map[string][]string{}}
	l.fields[typeTenant] = []string{"tenant", "name", "associations"}
	assoc := []string{"type", "from", "to", "from_month"}
	for _, a := range s.Attrs {
		assoc = append(assoc, a.Name)
	}
	l.fields[typeAssociation] = assoc
	month := []string{"month", "last_day", "associations", "types", "rows"}
	for _, se := range s.Series {
		month = append(month, se.Name)
		row := slices.Clone(se.Keys)
		for _, m := range se.Measures {
			row = append(row, m.Name)
		}
		l.fields[seriesType(se.Name)] = row
		l.seriesTypes = append(l.seriesTypes, types.NewObjectType(seriesType(se.Name)))
	}
	l.fields[typeMonth] = month
	l.fields[typePerson] = []string{"id", "name", "certifications"}
	l.fields[typeCertification] = []string{"name", "earned", "expires"}
	return l
}

// fieldDecl is one field of a declared record type.
type fieldDecl struct {
	name string
	typ  *types.Type
}

// typeSet is the record types one designation declares, with each field's
// CEL type and its place in the layout.
type typeSet struct {
	layout  *layout
	structs map[string]*structDecl
}

type structDecl struct {
	typ    *types.Type
	names  []string
	fields map[string]*types.FieldType
}

// newTypeSet declares the types for a designation that reads the series
// (with the measures) and the association attributes named.
func newTypeSet(l *layout, series map[string][]string, attrs []string) *typeSet {
	ts := &typeSet{layout: l, structs: map[string]*structDecl{}}
	str, num := cel.StringType, cel.IntType
	listOf := func(t string) *types.Type { return cel.ListType(cel.ObjectType(t)) }
	ts.declare(typeTenant, []fieldDecl{{"tenant", str}, {"name", str}, {"associations", listOf(typeAssociation)}})
	assoc := []fieldDecl{{"type", str}, {"from", str}, {"to", str}, {"from_month", str}}
	for _, a := range l.schema.Attrs {
		if !slices.Contains(attrs, a.Name) {
			continue
		}
		t := num
		if a.Kind == facts.Text {
			t = str
		}
		assoc = append(assoc, fieldDecl{a.Name, t})
	}
	ts.declare(typeAssociation, assoc)
	month := []fieldDecl{{"month", str}, {"last_day", str}, {"associations", listOf(typeAssociation)},
		{"types", cel.ListType(str)}, {"rows", cel.MapType(str, num)}}
	for _, se := range l.schema.Series {
		measures, ok := series[se.Name]
		if !ok {
			continue
		}
		month = append(month, fieldDecl{se.Name, listOf(seriesType(se.Name))})
		var row []fieldDecl
		for _, k := range se.Keys {
			row = append(row, fieldDecl{k, str})
		}
		for _, m := range se.Measures {
			if slices.Contains(measures, m.Name) {
				row = append(row, fieldDecl{m.Name, num})
			}
		}
		ts.declare(seriesType(se.Name), row)
	}
	ts.declare(typeMonth, month)
	ts.declare(typePerson, []fieldDecl{{"id", str}, {"name", str}, {"certifications", listOf(typeCertification)}})
	ts.declare(typeCertification, []fieldDecl{{"name", str}, {"earned", str}, {"expires", str}})
	return ts
}

func (ts *typeSet) declare(name string, fields []fieldDecl) {
	d := &structDecl{typ: types.NewObjectType(name), fields: map[string]*types.FieldType{}}
	all := ts.layout.fields[name]
	for _, f := range fields {
		i := slices.Index(all, f.name)
		d.names = append(d.names, f.name)
		d.fields[f.name] = &types.FieldType{
			Type:  f.typ,
			IsSet: func(any) bool { return true },
			GetFrom: func(obj any) (any, error) {
				if r, ok := obj.(fielder); ok {
					return r.Field(i), nil
				}
				return nil, fmt.Errorf("no field %s on %T", f.name, obj)
			},
		}
	}
	ts.structs[name] = d
}

// fieldNames are every field of every declared type, for did-you-mean.
func (ts *typeSet) fieldNames() []string {
	var out []string
	for _, d := range ts.structs {
		out = append(out, d.names...)
	}
	slices.Sort(out)
	return slices.Compact(out)
}

// provider declares the record types to CEL and reads their fields.
type provider struct {
	types.Provider
	ts *typeSet
}

// FindStructType implements types.Provider.
func (p provider) FindStructType(name string) (*types.Type, bool) {
	if d, ok := p.ts.structs[name]; ok {
		return types.NewTypeTypeWithParam(d.typ), true
	}
	return p.Provider.FindStructType(name)
}

// FindStructFieldNames implements types.Provider.
func (p provider) FindStructFieldNames(name string) ([]string, bool) {
	if d, ok := p.ts.structs[name]; ok {
		return d.names, true
	}
	return p.Provider.FindStructFieldNames(name)
}

// FindStructFieldType implements types.Provider.
func (p provider) FindStructFieldType(name, field string) (*types.FieldType, bool) {
	if d, ok := p.ts.structs[name]; ok {
		f, ok := d.fields[field]
		return f, ok
	}
	return p.Provider.FindStructFieldType(name, field)
}

// NewValue implements types.Provider: fact records are read, never made.
func (p provider) NewValue(name string, fields map[string]ref.Val) ref.Val {
	if _, ok := p.ts.structs[name]; ok {
		return types.NewErr("%s values cannot be created in a rule", name)
	}
	return p.Provider.NewValue(name, fields)
}

// fielder is a record of any kind: its fields by their place in the
// layout (fastcel.Record).
type fielder interface {
	ref.Val
	Field(i int) ref.Val
}

// fieldIndex is the place of a field of a record type in the layout.
func (l *layout) fieldIndex(typeName, field string) (int, bool) {
	i := slices.Index(l.fields[typeName], field)
	return i, i >= 0
}

// record is a fact value already converted to CEL values, in the layout's
// field order.
type record struct {
	typ    *types.Type
	values []ref.Val
}

// Field implements fastcel.Record.
func (r *record) Field(i int) ref.Val { return r.values[i] }

// ConvertToNative implements ref.Val; records never leave CEL.
func (r *record) ConvertToNative(t reflect.Type) (any, error) {
	return nil, fmt.Errorf("%s cannot be converted to %v", r.typ.TypeName(), t)
}

// ConvertToType implements ref.Val.
func (r *record) ConvertToType(t ref.Type) ref.Val {
	if t == types.TypeType {
		return r.typ
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
	tenantObj, assocObj, monthObj = types.NewObjectType(typeTenant), types.NewObjectType(typeAssociation), types.NewObjectType(typeMonth)
	personObj, certObj            = types.NewObjectType(typePerson), types.NewObjectType(typeCertification)
)

func list(vals []ref.Val) ref.Val { return fastcel.NewList(types.DefaultTypeAdapter, vals) }

func stringList(ss []string) ref.Val {
	vals := make([]ref.Val, len(ss))
	for i, s := range ss {
		vals[i] = types.String(s)
	}
	return list(vals)
}

// views builds the CEL records of one windowed tenant: the tenant itself
// and, on request, the view of any month, each built once. The records
// come from slabs that the next tenant reuses (reset): a tenant's dozens
// of month views, row views and lists cost no allocation of their own.
type views struct {
	l           *layout
	inEffect    func(a *facts.Association, m facts.Month) bool
	c           *facts.Customer
	assocs      []ref.Val // every association's record
	tenant      *record
	months      map[facts.Month]*monthView
	keys        [][][]ref.Val // entry keys by series and entry, when made
	seriesTypes []*types.Type
	// assocSets are the lists of associations in effect and their types,
	// by the set of associations (bit k: association k).
	assocSets map[uint64][2]ref.Val
	// spans are the lists of month views of ranges of months, by first
	// and last month: designations that share this view share them.
	spans map[[2]facts.Month]ref.Val
	// at is the `at` map of the tenant's months, the same for every
	// designation that reads these views (nil until one does); atMap is
	// where it is kept, its keys reused from tenant to tenant.
	at    *monthMap
	atMap monthMap
	// The slabs the records are cut from.
	monthViews slab.Slab[monthView]
	rowViews   slab.Slab[rowView]
	records    slab.Slab[record]
	vals       slab.Slab[ref.Val]
	lists      fastcel.Lists
}

// newViews makes the views of one tenant at a time (reset).
func newViews(l *layout, inEffect func(*facts.Association, facts.Month) bool) *views {
	return &views{l: l, inEffect: inEffect, months: map[facts.Month]*monthView{}, seriesTypes: l.seriesTypes}
}

// reset makes v the views of tenant c, taking back every record made for
// the tenant before: none of them may be used after (a tenant's values
// end in its designations' totals as numbers and strings, never records).
func (v *views) reset(c *facts.Customer) {
	v.c, v.at, v.keys = c, nil, nil
	clear(v.months)
	clear(v.assocSets)
	clear(v.spans)
	v.monthViews.Reset()
	v.rowViews.Reset()
	v.records.Reset()
	v.vals.Reset()
	v.lists.Reset()
	v.assocs = v.vals.Take(len(c.Associations))
	for i := range c.Associations {
		v.assocs[i] = v.association(&c.Associations[i])
	}
	v.tenant = v.record(tenantObj, types.String(c.Tenant), types.String(c.Name), v.list(v.assocs))
}

// record is a record of v's slabs with the values given.
func (v *views) record(typ *types.Type, vals ...ref.Val) *record {
	r := v.records.One()
	r.typ, r.values = typ, append(v.vals.Take(len(vals))[:0], vals...)
	return r
}

// list is a list of v's slabs over vals (not copied).
func (v *views) list(vals []ref.Val) ref.Val { return v.lists.New(types.DefaultTypeAdapter, vals) }

func (v *views) association(a *facts.Association) *record {
	vals := v.vals.Take(4 + len(v.l.schema.Attrs))
	vals[0], vals[1], vals[2], vals[3] = types.String(a.Type), types.String(string(a.From)), types.String(string(a.To)), types.String(a.From.Month().String())
	for i, at := range v.l.schema.Attrs {
		s := a.Attrs[i]
		if at.Kind == facts.Text {
			vals[4+i] = types.String(s)
			continue
		}
		x, _ := strconv.ParseInt(s, 10, 64) // validated when read
		vals[4+i] = types.Int(x)
	}
	r := v.records.One()
	r.typ, r.values = assocObj, vals
	return r
}

// month is the tenant's view of month m, built when a rule reads it.
func (v *views) month(m facts.Month) *monthView {
	if r, ok := v.months[m]; ok {
		return r
	}
	r := v.monthViews.One()
	*r = monthView{v: v, m: m, fields: v.vals.Take(len(v.l.fields[typeMonth]))}
	v.months[m] = r
	return r
}

// span is the list of month views from first to last.
func (v *views) span(first, last facts.Month) ref.Val {
	k := [2]facts.Month{first, last}
	if l, ok := v.spans[k]; ok {
		return l
	}
	vals := v.vals.Take(max(0, int(last-first+1)))
	for m := first; m <= last; m++ {
		vals[m-first] = v.month(m)
	}
	if v.spans == nil {
		v.spans = map[[2]facts.Month]ref.Val{}
	}
	v.spans[k] = v.list(vals)
	return v.spans[k]
}

// monthView is one month of a tenant: the associations in effect and their
// types, how many rows each series has in the month, and every entry of
// every series with its measures in the month (0 without a row). Each field
// is computed when a rule first reads it: a designation reads a few of them.
type monthView struct {
	v      *views
	m      facts.Month
	fields []ref.Val
}

// The fixed fields of a month view, before the series (layout order).
const (
	monthName = iota
	monthLastDay
	monthAssociations
	monthTypes
	monthRows
	monthSeries
)

// Field implements fastcel.Record.
func (r *monthView) Field(i int) ref.Val {
	if f := r.fields[i]; f != nil {
		return f
	}
	v := r.v
	var f ref.Val
	switch i {
	case monthName:
		f = types.String(r.m.String())
	case monthLastDay:
		f = types.String(string(r.m.LastDay()))
	case monthAssociations, monthTypes:
		r.fields[monthAssociations], r.fields[monthTypes] = v.inEffectIn(r.m)
		return r.fields[i]
	case monthRows:
		rows := make(map[ref.Val]ref.Val, len(v.l.schema.Series))
		for si, se := range v.l.schema.Series {
			n := int64(0)
			for ei := range v.c.Series[si] {
				if rowOf(&v.c.Series[si][ei], r.m) != nil {
					n++
				}
			}
			rows[types.String(se.Name)] = types.Int(n)
		}
		f = types.NewRefValMap(types.DefaultTypeAdapter, rows)
	default:
		si := i - monthSeries
		entries := v.c.Series[si]
		recs, rows := v.vals.Take(len(entries)), v.rowViews.Take(len(entries))
		for ei := range entries {
			rows[ei] = rowView{typ: v.seriesTypes[si], keys: v.entryKeys(si, ei), row: rowOf(&entries[ei], r.m)}
			recs[ei] = &rows[ei]
		}
		f = v.lists.New(types.DefaultTypeAdapter, recs)
	}
	r.fields[i] = f
	return f
}

// inEffectIn are the associations in effect in month m and their types:
// most tenants have the same ones month after month, so the lists are
// made once per set of associations.
func (v *views) inEffectIn(m facts.Month) (assocs, typeList ref.Val) {
	var set uint64
	var inEffect []int
	for k := range v.c.Associations {
		if v.inEffect(&v.c.Associations[k], m) {
			inEffect = append(inEffect, k)
			if k < 64 {
				set |= 1 << k
			}
		}
	}
	cacheable := len(v.c.Associations) <= 64
	if cacheable {
		if l, ok := v.assocSets[set]; ok {
			return l[0], l[1]
		}
	}
	vals := v.vals.Take(len(inEffect))
	var typeNames []string
	for i, k := range inEffect {
		vals[i] = v.assocs[k]
		if t := v.c.Associations[k].Type; !slices.Contains(typeNames, t) {
			typeNames = append(typeNames, t)
		}
	}
	slices.Sort(typeNames)
	typeVals := v.vals.Take(len(typeNames))
	for i, t := range typeNames {
		typeVals[i] = types.String(t)
	}
	assocs, typeList = v.list(vals), v.list(typeVals)
	if cacheable {
		if v.assocSets == nil {
			v.assocSets = map[uint64][2]ref.Val{}
		}
		v.assocSets[set] = [2]ref.Val{assocs, typeList}
	}
	return assocs, typeList
}

// rowOf is an entry's row of month m, or nil. Rows are read in month
// order, mostly one a month: where m would be then is looked at first
// (every month view of every entry asks).
func rowOf(e *facts.Entry, m facts.Month) *facts.Row {
	if len(e.Rows) > 0 {
		if k := int(m - e.Rows[0].Month); k >= 0 && k < len(e.Rows) && e.Rows[k].Month == m {
			return &e.Rows[k]
		}
	}
	for ri := range e.Rows {
		if e.Rows[ri].Month == m {
			return &e.Rows[ri]
		}
	}
	return nil
}

// entryKeys are an entry's keys as CEL strings, made once per tenant.
func (v *views) entryKeys(si, ei int) []ref.Val {
	if v.keys == nil {
		v.keys = make([][][]ref.Val, len(v.c.Series))
	}
	if v.keys[si] == nil {
		v.keys[si] = make([][]ref.Val, len(v.c.Series[si]))
	}
	if v.keys[si][ei] == nil {
		e := &v.c.Series[si][ei]
		ks := v.vals.Take(len(e.Keys))
		for k, key := range e.Keys {
			ks[k] = types.String(key)
		}
		v.keys[si][ei] = ks
	}
	return v.keys[si][ei]
}

// rowView is one entry of a series in one month: its keys, then its
// measures (0 without a row).
type rowView struct {
	typ  *types.Type
	keys []ref.Val
	row  *facts.Row
}

// Field implements fastcel.Record.
func (r *rowView) Field(i int) ref.Val {
	if i < len(r.keys) {
		return r.keys[i]
	}
	if r.row == nil {
		return types.IntZero
	}
	return types.Int(r.row.Values[i-len(r.keys)])
}

// monthMap is the `at` map: a tenant's month views by "YYYY-MM", built
// when a rule reads one.
type monthMap struct {
	v    *views
	keys []facts.Month
}

var monthMapType = cel.MapType(cel.StringType, cel.ObjectType(typeMonth))

func (m *monthMap) key(k ref.Val) (facts.Month, bool) {
	s, ok := k.(types.String)
	if !ok {
		return 0, false
	}
	month, err := facts.ParseMonth(string(s))
	if err != nil || !slices.Contains(m.keys, month) {
		return 0, false
	}
	return month, true
}

// Contains implements traits.Container.
func (m *monthMap) Contains(k ref.Val) ref.Val {
	_, ok := m.key(k)
	return types.Bool(ok)
}

// Get implements traits.Indexer.
func (m *monthMap) Get(k ref.Val) ref.Val {
	if v, ok := m.Find(k); ok {
		return v
	}
	return types.NewErr("no month view %v (only the months the rules declare are kept)", k)
}

// Find implements traits.Mapper.
func (m *monthMap) Find(k ref.Val) (ref.Val, bool) {
	month, ok := m.key(k)
	if !ok {
		return nil, false
	}
	return m.v.month(month), true
}

// Size implements traits.Sizer.
func (m *monthMap) Size() ref.Val { return types.Int(len(m.keys)) }

// Iterator implements traits.Iterable.
func (m *monthMap) Iterator() traits.Iterator {
	keys := make([]ref.Val, len(m.keys))
	for i, k := range m.keys {
		keys[i] = types.String(k.String())
	}
	return list(keys).(traits.Lister).Iterator()
}

// ConvertToNative implements ref.Val.
func (m *monthMap) ConvertToNative(t reflect.Type) (any, error) {
	return nil, fmt.Errorf("month views cannot be converted to %v", t)
}

// ConvertToType implements ref.Val.
func (m *monthMap) ConvertToType(t ref.Type) ref.Val {
	if t == types.TypeType {
		return types.MapType
	}
	return types.NewErr("type conversion error from map to %s", t.TypeName())
}

// Equal implements ref.Val.
func (m *monthMap) Equal(o ref.Val) ref.Val { return types.Bool(o == ref.Val(m)) }

// Type implements ref.Val.
func (m *monthMap) Type() ref.Type { return types.MapType }

// Value implements ref.Val.
func (m *monthMap) Value() any { return m }

// person converts a person for CEL.
func personRecord(p *facts.Person) *record {
	certs := make([]ref.Val, len(p.Certifications))
	for i, c := range p.Certifications {
		certs[i] = &record{typ: certObj, values: []ref.Val{types.String(c.Name), types.String(string(c.Earned)), types.String(string(c.Expires))}}
	}
	return &record{typ: personObj, values: []ref.Val{types.String(p.ID), types.String(p.Name), list(certs)}}
}

// ConvertToNative implements ref.Val; month views never leave CEL.
func (r *monthView) ConvertToNative(t reflect.Type) (any, error) {
	return nil, fmt.Errorf("%s cannot be converted to %v", typeMonth, t)
}

// ConvertToType implements ref.Val.
func (r *monthView) ConvertToType(t ref.Type) ref.Val {
	if t == types.TypeType {
		return monthObj
	}
	return types.NewErr("type conversion error from %s to %s", typeMonth, t.TypeName())
}

// Equal implements ref.Val: the same tenant's same month.
func (r *monthView) Equal(o ref.Val) ref.Val {
	other, ok := o.(*monthView)
	return types.Bool(ok && other.v.c == r.v.c && other.m == r.m)
}

// Type implements ref.Val.
func (r *monthView) Type() ref.Type { return monthObj }

// Value implements ref.Val; field getters receive the view itself.
func (r *monthView) Value() any { return r }

// ConvertToNative implements ref.Val; rows never leave CEL.
func (r *rowView) ConvertToNative(t reflect.Type) (any, error) {
	return nil, fmt.Errorf("%s cannot be converted to %v", r.typ.TypeName(), t)
}

// ConvertToType implements ref.Val.
func (r *rowView) ConvertToType(t ref.Type) ref.Val {
	if t == types.TypeType {
		return r.typ
	}
	return types.NewErr("type conversion error from %s to %s", r.typ.TypeName(), t.TypeName())
}

// Equal implements ref.Val: rows are equal when every field is.
func (r *rowView) Equal(o ref.Val) ref.Val {
	other, ok := o.(*rowView)
	if !ok || other.typ.TypeName() != r.typ.TypeName() {
		return types.False
	}
	n := len(r.keys)
	if r.row != nil {
		n += len(r.row.Values)
	} else if other.row != nil {
		n += len(other.row.Values)
	}
	for i := range n {
		if r.Field(i).Equal(other.Field(i)) != types.True {
			return types.False
		}
	}
	return types.True
}

// Type implements ref.Val.
func (r *rowView) Type() ref.Type { return r.typ }

// Value implements ref.Val; field getters receive the row itself.
func (r *rowView) Value() any { return r }
