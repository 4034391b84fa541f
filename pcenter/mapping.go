// Package pcenter reads Partner Center Insights exports (CSV or TSV) into
// fact files, and writes the exports of a fact file. Which column feeds
// which fact, and how Partner Center's names map to the bundles', is data:
// a mapping file (policies/partner_center.yaml), never Go.
package pcenter

import (
	"errors"
	"fmt"
	"io/fs"
	"reflect"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"

	"evaluate/facts"

	"gopkg.in/yaml.v3"
)

// MappingFile is the mapping's name in a bundle folder.
const MappingFile = "partner_center.yaml"

// Mapping says how exports become facts.
type Mapping struct {
	// Duplicates are the values of a duplicate flag that mark a row not
	// to count.
	Duplicates []string `yaml:"duplicate_values"`
	// Types are Partner Center's attribution types as the bundle's; nil
	// for one that is dropped.
	Types map[string]*TypeMap `yaml:"attribution_types"`
	// Workloads and Services map Partner Center's names to the bundle's.
	Workloads map[string]string   `yaml:"workloads"`
	Services  map[string]string   `yaml:"services"`
	Datasets  map[string]*Dataset `yaml:"datasets"`
	source    string
}

// TypeMap is one attribution type of Partner Center as a bundle type.
type TypeMap struct {
	Type string `yaml:"type"`
	Tier int64  `yaml:"tier"`
}

// Dataset is one kind of export.
type Dataset struct {
	Title string `yaml:"title"`
	// File is the name an export of the dataset is written as.
	File string `yaml:"file"`
	// Columns name the columns of the roles every dataset may have:
	// partner, partner_name, tenant, tenant_name, month, attribution,
	// duplicate, associated (a CPOR claim's date), and for people person,
	// certification, earned, expires, status.
	Columns map[string]Names `yaml:"columns"`
	// Series is the fact series the rows feed, Keys its entry's keys and
	// Measures its row's measures, each by column.
	Series   string           `yaml:"series"`
	Keys     map[string]Names `yaml:"keys"`
	Measures map[string]Names `yaml:"measures"`
	// Combine is how rows of one tenant, entry and month add up: same or
	// sum.
	Combine string `yaml:"combine"`
	// Names is the name map (workloads or services) the entry's first key
	// is translated with; "" for none.
	Names string `yaml:"names"`
	// ActiveStatus are the statuses of a certification that counts
	// (besides an empty one).
	ActiveStatus []string `yaml:"active_status"`
	// ClaimType is the bundle's attribution type a dataset of claims
	// (one with an associated column) reports: gen writes a claim per
	// association of that type.
	ClaimType string `yaml:"claim_type"`
	name      string
}

// Names is a column by one name or the first of several a file has.
type Names []string

// UnmarshalYAML reads a name or a list of names.
func (n *Names) UnmarshalYAML(v *yaml.Node) error {
	if v.Kind == yaml.ScalarNode {
		*n = Names{v.Value}
		return nil
	}
	var list []string
	if err := v.Decode(&list); err != nil {
		return err
	}
	*n = list
	return nil
}

// roles a dataset's columns may have.
var roles = []string{"partner", "partner_name", "tenant", "tenant_name", "month", "attribution", "duplicate", "associated",
	"person", "certification", "earned", "expires", "status"}

// people reports whether the dataset lists certified people.
func (d *Dataset) people() bool { return d.Series == "" }

// required are the roles a file of the dataset must have.
func (d *Dataset) required() []string {
	if d.people() {
		return []string{"person", "certification"}
	}
	return []string{"partner", "tenant", "month", "attribution"}
}

// LoadMapping reads the mapping from a file of fsys.
func LoadMapping(fsys fs.FS, name string) (*Mapping, error) {
	data, err := fs.ReadFile(fsys, name)
	if err != nil {
		return nil, err
	}
	return ParseMapping(name, data)
}

// ParseMapping reads a mapping file.
func ParseMapping(name string, data []byte) (*Mapping, error) {
	var doc struct {
		PC *Mapping `yaml:"partner_center"`
	}
	dec := yaml.NewDecoder(strings.NewReader(string(data)))
	dec.KnownFields(true)
	if err := dec.Decode(&doc); err != nil {
		return nil, decodeError(name, err)
	}
	m := doc.PC
	if m == nil {
		return nil, fmt.Errorf("%s: no partner_center: key", name)
	}
	m.source = name
	if len(m.Datasets) == 0 {
		return nil, fmt.Errorf("%s: partner_center.datasets: none", name)
	}
	for id, d := range m.Datasets {
		d.name = id
		for role := range d.Columns {
			if !slices.Contains(roles, role) {
				return nil, fmt.Errorf("%s: partner_center.datasets.%s.columns.%s: unknown role (want one of %s)", name, id, role, strings.Join(roles, ", "))
			}
		}
		for _, r := range d.required() {
			if len(d.Columns[r]) == 0 {
				return nil, fmt.Errorf("%s: partner_center.datasets.%s.columns.%s: missing (required)", name, id, r)
			}
		}
		if !d.people() && d.Combine != "same" && d.Combine != "sum" {
			return nil, fmt.Errorf("%s: partner_center.datasets.%s.combine: %q, want same or sum", name, id, d.Combine)
		}
		if d.Names != "" && d.Names != "workloads" && d.Names != "services" {
			return nil, fmt.Errorf("%s: partner_center.datasets.%s.names: %q, want workloads or services", name, id, d.Names)
		}
		if !d.people() && (len(d.Keys) == 0 || len(d.Measures) == 0) {
			return nil, fmt.Errorf("%s: partner_center.datasets.%s: a dataset of a series needs keys and measures", name, id)
		}
		if (len(d.Columns["associated"]) > 0) != (d.ClaimType != "") {
			return nil, fmt.Errorf("%s: partner_center.datasets.%s: a dataset of claims has both an associated column and a claim_type, others neither", name, id)
		}
	}
	return m, nil
}

// datasets are the datasets in name order.
func (m *Mapping) datasets() []*Dataset {
	var out []*Dataset
	for _, d := range m.Datasets {
		out = append(out, d)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].name < out[j].name })
	return out
}

// typeOf maps a Partner Center attribution type (matched without regard
// to case or surrounding space); ok is false for one the mapping does not
// list, and t nil for one it drops.
func (m *Mapping) typeOf(pc string) (t *TypeMap, ok bool) {
	pc = strings.TrimSpace(pc)
	for k, v := range m.Types {
		if strings.EqualFold(k, pc) {
			return v, true
		}
	}
	return nil, false
}

// label is the Partner Center name of a bundle type and tier, for exports.
func (m *Mapping) label(typ string, tier int64) string {
	var best string
	for _, k := range slices.Sorted(mapKeys(m.Types)) {
		v := m.Types[k]
		if v != nil && v.Type == typ && v.Tier == tier {
			best = k
			break
		}
	}
	if best == "" {
		return typ
	}
	return best
}

// nameMap is the name map of a dataset's entries (nil for none).
func (m *Mapping) nameMap(d *Dataset) map[string]string {
	switch d.Names {
	case "workloads":
		return m.Workloads
	case "services":
		return m.Services
	}
	return nil
}

// name maps a Partner Center name with one of the name maps; a name it
// does not list is kept.
func mapName(names map[string]string, pc string) string {
	if n, ok := names[pc]; ok {
		return n
	}
	return pc
}

// reverse is the Partner Center name of a bundle name, for exports: the
// first (in order) that maps to it, or the name itself.
func reverse(names map[string]string, name string) string {
	for _, k := range slices.Sorted(mapKeys(names)) {
		if names[k] == name {
			return k
		}
	}
	return name
}

func mapKeys[V any](m map[string]V) func(func(string) bool) {
	return func(yield func(string) bool) {
		for k := range m {
			if !yield(k) {
				return
			}
		}
	}
}

// decodeError is yaml.v3's error of a mapping file as file:line messages,
// an unknown key with the keys its place allows (yaml.v3 names the Go
// type instead).
func decodeError(name string, err error) error {
	var te *yaml.TypeError
	if !errors.As(err, &te) {
		line, msg := facts.YAMLSyntaxLine(err, nil)
		if line > 0 {
			return fmt.Errorf("%s:%d: %s", name, line, msg)
		}
		return fmt.Errorf("%s: %s", name, msg)
	}
	var out []string
	factFile := false
	for _, e := range te.Errors {
		var line int
		var key, typ string
		if m := fieldNotFound.FindStringSubmatch(e); m != nil {
			line, _ = strconv.Atoi(m[1])
			key, typ = m[2], m[3]
			allowed := []string{"partner_center"}
			if t, ok := mappingTypes[typ]; ok {
				allowed = yamlKeys(t)
			}
			out = append(out, fmt.Sprintf("%s:%d: %s: unknown key (allowed: %s)%s", name, line, key, strings.Join(allowed, ", "), facts.Suggest(key, allowed)))
			factFile = factFile || slices.Contains([]string{"partner", "month", "as_of", "customers", "people"}, key)
			continue
		}
		if _, scanErr := fmt.Sscanf(e, "line %d:", &line); scanErr == nil {
			out = append(out, fmt.Sprintf("%s:%d: %s", name, line, strings.TrimSpace(e[strings.Index(e, ":")+1:])))
			continue
		}
		out = append(out, name+": "+e)
	}
	if factFile {
		out = append(out, name+": this looks like a fact file; --mapping takes a mapping of Partner Center exports to facts, such as the bundle's partner_center.yaml")
	}
	return errors.New(strings.Join(out, "\n"))
}

var fieldNotFound = regexp.MustCompile(`^line (\d+): field (\S+) not found in type (.*)$`)

// mappingTypes are the types of a mapping file's objects, by the name
// yaml.v3 gives them.
var mappingTypes = map[string]reflect.Type{
	"pcenter.Mapping": reflect.TypeFor[Mapping](),
	"pcenter.TypeMap": reflect.TypeFor[TypeMap](),
	"pcenter.Dataset": reflect.TypeFor[Dataset](),
}

// yamlKeys are the keys of a struct type's yaml tags.
func yamlKeys(t reflect.Type) []string {
	var keys []string
	for f := range t.Fields() {
		if k, _, _ := strings.Cut(f.Tag.Get("yaml"), ","); k != "" && k != "-" {
			keys = append(keys, k)
		}
	}
	return keys
}
