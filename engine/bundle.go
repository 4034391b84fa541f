package engine

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"reflect"
	"slices"
	"sort"
	"strings"
	"sync"

	policies "evaluate"
	"evaluate/facts"

	"github.com/google/cel-go/cel"
	"github.com/google/cel-go/common/types/ref"
	"github.com/open-policy-agent/opa/v1/rego"
	"gopkg.in/yaml.v3"
)

// ParamsFile is the name of a designation's parameters inside its folder.
const ParamsFile = "params.yaml"

// EmbeddedSource names the default bundle compiled into the binary.
const EmbeddedSource = "embedded"

// Bundle is a compiled policy bundle for one designation: parameters, CEL
// programs and the prepared Rego query. It is built once and used for any
// number of evaluations, from several goroutines.
type Bundle struct {
	// Source is the folder the bundle was read from, or EmbeddedSource.
	Source string
	// Hash is a content hash of every file of the designation folder, so a
	// score can be traced to the exact rules.
	Hash string
	// Designation is the designation folder's name and the Rego package.
	Designation string
	// Params is params.yaml as decoded.
	Params map[string]any
	// Warnings are what params.schema.yaml's warning rules found: sound
	// rules that may not do what was meant (a bar no partner can reach).
	Warnings PolicyErrors
	// Vocabulary is what fact files may name under this bundle.
	Vocabulary facts.Vocabulary
	// Tracks are scored in this order.
	Tracks []Track
	// Metrics are reported in this order.
	Metrics []Metric

	// eligibleIf are the eligibility conditions one by one, to explain a
	// failure; monthAll evaluates them for scoring.
	eligibleIf []condition
	// monthAll computes everything the month rules decide about one month
	// of a tenant in one evaluation: per track, eligibility for its types
	// together and for each type alone, deployed, active users.
	monthAll *program
	// scopeAll computes every tenant metric's reporting and baseline values
	// of a scope (track-wide: false, per option: true) in one evaluation.
	scopeAll   map[bool]*program
	certCounts []condition
	certLevel  *program
	points     *program
	pointsMemo *pointsMemo
	// names are the vocabulary's strings converted for CEL once, for the
	// month records of every tenant.
	names                map[string]ref.Val
	planRules            planRules
	certNotices          []condition
	evalNotices          []condition
	retention            int
	rego                 *rego.PreparedEvalQuery
	expressions, modules int
}

// RetentionMonths is how many full months before a month still keep a
// designation earned in them (rules.yaml retention_months).
func (b *Bundle) RetentionMonths() int { return b.retention }

// Summary says what the bundle holds, for `evaluate check`.
func (b *Bundle) Summary() string {
	return fmt.Sprintf("%s, %s, %s, %s, params valid", count(len(b.Tracks), "track"), count(len(b.Metrics), "metric"),
		count(b.expressions, "CEL expression"), count(b.modules, "Rego module"))
}

func count(n int, thing string) string {
	if n == 1 {
		return "1 " + thing
	}
	return fmt.Sprintf("%d %ss", n, thing)
}

// Track is one way of earning the designation and the attribution types it accepts.
type Track struct {
	Name  string
	Types []string
}

// Metric is one declared metric and the programs that compute it.
type Metric struct {
	ID        string
	Over      string // "tenants" or "people"
	PerOption bool
	// Unit is what one more of the metric's value is (customers, ...).
	Unit Unit
	// reporting and baseline score people metrics; tenant metrics run
	// them joined in scopeAll.
	reporting *program
	baseline  *program // nil: the metric has no baseline term
	notes     []note
}

// condition is one named part of a rule; says explains its failure.
type condition struct {
	id         string
	name       string // as in rules.yaml, e.g. month.eligible[association_in_effect]
	rule, says *program
}

// note explains a record's part in a metric.
type note struct {
	id, name   string
	leftOut    bool
	when, says *program
}

// planRules are the numbers the plan of what it takes needs.
type planRules struct {
	minTotal, minMetric, tolerance float64
	effort                         *program
}

// defaultBundle is the embedded bundle, compiled once per process: it never
// changes while the binary runs, and a compiled Bundle is safe for
// concurrent use.
var defaultBundle struct {
	once sync.Once
	b    *Bundle
	err  error
}

// Default returns the bundle embedded in the binary, compiled on first use.
func Default(ctx context.Context) (*Bundle, error) {
	defaultBundle.once.Do(func() {
		defaultBundle.b, defaultBundle.err = Load(context.WithoutCancel(ctx), policies.Policies, EmbeddedSource, "")
	})
	return defaultBundle.b, defaultBundle.err
}

// LoadDir loads the bundle in folder dir: a bundle folder whose
// sub-folders are designations, or one designation's folder itself.
func LoadDir(ctx context.Context, dir, designation string) (*Bundle, error) {
	if st, err := os.Stat(dir); err != nil || !st.IsDir() {
		return nil, fmt.Errorf("load policies %s: not a folder", dir)
	}
	if _, err := os.Stat(filepath.Join(dir, RulesFile)); err == nil {
		// A designation folder: its parent is the bundle, and only this
		// designation is read from it.
		name := filepath.Base(filepath.Clean(dir))
		if designation != "" && designation != name {
			return nil, fmt.Errorf("load policies %s: it is the designation folder %q, not %q", dir, name, designation)
		}
		return Load(ctx, os.DirFS(filepath.Dir(filepath.Clean(dir))), filepath.Dir(filepath.Clean(dir)), name)
	}
	return Load(ctx, os.DirFS(dir), dir, designation)
}

// Designations lists the designation folders of a bundle: those holding a
// rules file.
func Designations(fsys fs.FS) ([]string, error) {
	entries, err := fs.ReadDir(fsys, ".")
	if err != nil {
		return nil, err
	}
	var names []string
	for _, e := range entries {
		if _, err := fs.Stat(fsys, path.Join(e.Name(), RulesFile)); e.IsDir() && err == nil {
			names = append(names, e.Name())
		}
	}
	return names, nil
}

// Load compiles the designation folder of fsys; with designation "" the
// bundle must hold exactly one. Every problem in the bundle is reported, as
// PolicyErrors with file names relative to source.
func Load(ctx context.Context, fsys fs.FS, source, designation string) (*Bundle, error) {
	b, errs := load(ctx, fsys, source, designation)
	if len(errs) > 0 {
		for i := range errs {
			errs[i].File = displayPath(source, errs[i].File)
		}
		sortErrors(errs)
		return nil, errs
	}
	return b, nil
}

func displayPath(source, file string) string {
	switch {
	case file == "":
		return source
	case source == EmbeddedSource:
		return "embedded:" + file
	default:
		return path.Join(source, file)
	}
}

func load(ctx context.Context, fsys fs.FS, source, designation string) (*Bundle, PolicyErrors) {
	names, err := Designations(fsys)
	if err != nil {
		return nil, PolicyErrors{{Message: fmt.Sprintf("read bundle: %v", err)}}
	}
	switch {
	case designation != "" && !slices.Contains(names, designation):
		return nil, PolicyErrors{{Message: fmt.Sprintf("no designation %q in the bundle (it has: %s)", designation, strings.Join(names, ", "))}}
	case designation == "" && len(names) == 1:
		designation = names[0]
	case designation == "" && len(names) == 0:
		return nil, PolicyErrors{{Message: "no designation folder (a folder with " + RulesFile + ") in the bundle"}}
	case designation == "":
		return nil, PolicyErrors{{Message: fmt.Sprintf("the bundle has several designations (%s): choose one with --designation NAME", strings.Join(names, ", "))}}
	}
	b := &Bundle{Source: source, Designation: designation}
	var errs PolicyErrors
	if b.Hash, err = hashDir(fsys, designation); err != nil {
		return nil, PolicyErrors{{File: designation, Message: err.Error()}}
	}
	b.Params, b.Warnings, errs = readParams(fsys, designation)
	for i := range b.Warnings {
		b.Warnings[i].File = displayPath(source, b.Warnings[i].File)
	}
	rulesPath := path.Join(designation, RulesFile)
	src, err := fs.ReadFile(fsys, rulesPath)
	if err != nil {
		return nil, append(errs, PolicyError{File: rulesPath, Message: err.Error()})
	}
	rs, rerrs := parseRules(rulesPath, src)
	errs = append(errs, rerrs...)
	if rs != nil {
		errs = append(errs, b.compileRules(rulesPath, src, rs)...)
	}
	pq, modules, regoErrs := prepareRego(ctx, fsys, designation, designation, b.Params)
	b.modules = modules
	errs = append(errs, regoErrs...)
	b.rego = pq
	if len(errs) > 0 {
		return nil, errs
	}
	if err := b.checkShape(ctx); err != nil {
		return nil, PolicyErrors{{File: designation, Message: err.Error()}}
	}
	if err := b.checkPlans(ctx); err != nil {
		return nil, PolicyErrors{{File: rulesPath, Message: "plan: " + err.Error()}}
	}
	return b, nil
}

// readParams reads params.yaml and checks it against params.schema.yaml
// when the designation has one.
func readParams(fsys fs.FS, dir string) (map[string]any, PolicyErrors, PolicyErrors) {
	p := path.Join(dir, ParamsFile)
	src, err := fs.ReadFile(fsys, p)
	if err != nil {
		return nil, nil, PolicyErrors{{File: p, Message: err.Error()}}
	}
	var doc yaml.Node
	if err := yaml.Unmarshal(src, &doc); err != nil {
		return nil, nil, PolicyErrors{yamlPolicyError(p, err)}
	}
	if len(doc.Content) == 0 {
		return nil, nil, PolicyErrors{{File: p, Line: 1, Message: "the parameters file is empty"}}
	}
	var params map[string]any
	if err := doc.Decode(&params); err != nil {
		return nil, nil, PolicyErrors{yamlPolicyError(p, err)}
	}
	sp := path.Join(dir, SchemaFile)
	ssrc, err := fs.ReadFile(fsys, sp)
	if err != nil {
		return params, nil, nil // no schema: nothing to check against
	}
	s, errs := readSchema(sp, ssrc)
	if len(errs) > 0 {
		return params, nil, errs
	}
	v := &validator{file: p, root: params}
	v.validate(s, doc.Content[0], "", nil)
	return params, v.warns, v.errs
}

// compileRules compiles every expression, then evaluates the ones that
// depend on params alone (tracks, vocabulary, plan numbers).
func (b *Bundle) compileRules(file string, src []byte, rs *rulesSource) PolicyErrors {
	base, err := baseEnv(b.Params)
	if err != nil {
		return PolicyErrors{{File: file, Message: fmt.Sprintf("CEL environment: %v", err)}}
	}
	c := &compiler{base: base, file: file, src: src, envs: map[*exprKind]*cel.Env{}}
	if b.Params != nil {
		c.params = b.Params
	}
	conditions := func(cs []conditionSource, rule, says *exprKind) []condition {
		var out []condition
		for i := range cs {
			out = append(out, condition{id: cs[i].ID, name: strings.TrimSuffix(cs[i].Rule.Name, ".rule"),
				rule: c.compile(&cs[i].Rule, rule), says: c.compile(&cs[i].Says, says)})
		}
		return out
	}
	tracks := c.compile(&rs.Tracks, &kindParamsList)
	types := c.compile(&rs.AttributionTypes, &kindParamsList)
	workloads := c.compile(&rs.EligibleWorkloads, &kindParamsList)
	certNames := c.compile(&rs.CertNames, &kindParamsList)
	tiers := c.compile(&rs.AssociationTiers, &kindParamsTiers)
	trackTypes := c.compile(&rs.TrackTypes, &kindTrackTypes)
	b.eligibleIf = conditions(rs.Month.Eligible, &kindEligible, &kindEligibleMsg)
	// Deployed and active users are checked here, one by one, and then
	// evaluated within monthAll.
	c.compile(&rs.Month.Deployed, &kindDeployed)
	c.compile(&rs.Month.ActiveUsers, &kindActive)
	b.certCounts = conditions(rs.Certification.Counts, &kindCertCond, &kindCertMsg)
	b.certLevel = c.compile(&rs.Certification.Level, &exprKind{vars: certVars, want: wantString})
	b.points = c.compile(&rs.Points, &kindPoints)
	b.certNotices = conditions(rs.Notices.Certification, &kindCertCond, &kindCertMsg)
	b.evalNotices = conditions(rs.Notices.Evaluation, &kindEvalNotice, &kindEvalMsg)
	for _, m := range rs.Metrics {
		kind := &kindTenantSum
		if m.Over == "people" {
			kind = &kindPersonSum
		}
		metric := Metric{ID: m.ID, Over: m.Over, PerOption: m.PerOption, Unit: m.Unit,
			reporting: c.compile(&m.Reporting, kind), baseline: c.compile(&m.Baseline, kind)}
		for i := range m.Notes {
			n := &m.Notes[i]
			metric.notes = append(metric.notes, note{id: n.ID, name: strings.TrimSuffix(n.When.Name, ".when"), leftOut: n.LeftOut,
				when: c.compile(&n.When, &kindTenantWhen), says: c.compile(&n.Says, &kindTenantMsg)})
		}
		b.Metrics = append(b.Metrics, metric)
	}
	minTotal := c.compile(&rs.Plan.MinTotal, &kindParamsValue)
	minMetric := c.compile(&rs.Plan.MinMetric, &kindParamsValue)
	tolerance := c.compile(&rs.Plan.Tolerance, &kindParamsValue)
	b.planRules.effort = c.compile(&rs.Plan.Effort, &kindEffort)
	retention := c.compile(&rs.RetentionMonths, &kindParamsValue)
	b.expressions = c.compiled
	if len(c.errs) > 0 {
		return c.errs
	}
	// Expressions over params alone are evaluated now, once.
	fail := func(name string, err error) {
		c.errs = append(c.errs, PolicyError{File: file, Message: fmt.Sprintf("%s: %v", name, err)})
	}
	evalList := func(name string, prg *program, act map[string]any) []string {
		act[varParams] = b.Params
		v, err := evalStrings(prg, act)
		if err != nil {
			fail(name, err)
		}
		return v
	}
	evalNumber := func(name string, prg *program) float64 {
		if prg == nil {
			return 0
		}
		v, err := evalDouble(prg, map[string]any{varParams: b.Params})
		if err != nil {
			fail(name, err)
		}
		return v
	}
	names := evalList("tracks", tracks, map[string]any{})
	sort.Strings(names)
	for _, t := range names {
		b.Tracks = append(b.Tracks, Track{Name: t, Types: evalList("track_types", trackTypes, map[string]any{varTrack: t})})
	}
	b.Vocabulary.AttributionTypes = slices.Compact(slices.Sorted(slices.Values(evalList("attribution_types", types, map[string]any{}))))
	b.Vocabulary.EligibleWorkloads = evalList("eligible_workloads", workloads, map[string]any{})
	if certNames != nil {
		b.Vocabulary.Certifications = evalList("certification_names", certNames, map[string]any{})
	}
	if tiers != nil {
		v, _, err := tiers.Eval(map[string]any{varParams: b.Params})
		if err == nil {
			var native any
			if native, err = v.ConvertToNative(reflect.TypeFor[map[string][]int64]()); err == nil {
				b.Vocabulary.Tiers = native.(map[string][]int64)
			}
		}
		if err != nil {
			fail("association_tiers", err)
		}
	}
	b.names = celNames(b.Vocabulary.AttributionTypes, b.Vocabulary.EligibleWorkloads)
	b.pointsMemo = newPointsMemo(b.Tracks, b.Metrics)
	b.planRules.minTotal = evalNumber("plan.min_total", minTotal)
	b.planRules.minMetric = evalNumber("plan.min_metric", minMetric)
	b.planRules.tolerance = evalNumber("plan.tolerance", tolerance)
	b.retention = int(evalNumber("retention_months", retention))
	if len(c.errs) == 0 {
		b.compileCombined(c, rs)
	}
	return c.errs
}

// hashDir hashes every file under dir, in path order.
func hashDir(fsys fs.FS, dir string) (string, error) {
	h := sha256.New()
	err := fs.WalkDir(fsys, dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		src, err := fs.ReadFile(fsys, p)
		if err != nil {
			return err
		}
		// Line endings are normalised so a checkout on Windows hashes the same.
		src = bytes.ReplaceAll(src, []byte("\r\n"), []byte("\n"))
		fmt.Fprintf(h, "%s\x00%d\x00", p, len(src))
		h.Write(src)
		return nil
	})
	return "sha256:" + hex.EncodeToString(h.Sum(nil)), err
}
