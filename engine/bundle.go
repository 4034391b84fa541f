package engine

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"path"
	"runtime"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"

	policies "evaluate"
	"evaluate/facts"

	"gopkg.in/yaml.v3"
)

// ParamsFile is the name of a designation's parameters inside its folder.
const ParamsFile = "params.yaml"

// EmbeddedSource names the default bundle compiled into the binary.
const EmbeddedSource = "embedded"

// Bundle is a compiled policy bundle: every designation of a bundle folder,
// with the fact schema and the months they read together, so that one
// fact file is read once and scored for each. It is built once and used for
// any number of evaluations, from several goroutines.
type Bundle struct {
	// Source is the folder the bundle was read from, or EmbeddedSource.
	Source string
	// Designations are the designations scored, in name order.
	Designations []*Designation
	// All are every designation of the bundle folder: the fact schema is
	// theirs together, so a file written for one designation is valid
	// when another is scored.
	All []string
	// Schema is what fact files may hold, the union of the designations'.
	Schema facts.Schema
	// Needs are the months the designations scored look at.
	Needs  facts.Needs
	layout *layout
	// memoSlots are the results of a tenant that designations share.
	memoSlots int
}

// Designation returns the designation with the given id, or nil.
func (b *Bundle) Designation(id string) *Designation {
	for _, d := range b.Designations {
		if d.ID == id {
			return d
		}
	}
	return nil
}

// IDs lists the designations scored.
func (b *Bundle) IDs() []string {
	var out []string
	for _, d := range b.Designations {
		out = append(out, d.ID)
	}
	return out
}

// Select returns the bundle narrowed to the given designations (nil or
// empty: all of them); an unknown id is an error naming the known ones.
func (b *Bundle) Select(ids []string) (*Bundle, error) {
	if len(ids) == 0 {
		return b, nil
	}
	out := *b
	out.Designations = nil
	out.Needs = facts.Needs{}
	for _, id := range ids {
		d := b.Designation(id)
		if d == nil {
			return nil, fmt.Errorf("no designation %q%s (the bundle has: %s)", id, facts.SuggestTyped(id, b.IDs()), strings.Join(b.IDs(), ", "))
		}
		if slices.Contains(out.Designations, d) {
			continue
		}
		out.Designations = append(out.Designations, d)
		out.Needs.Add(d.needs)
	}
	sort.Slice(out.Designations, func(i, j int) bool { return out.Designations[i].ID < out.Designations[j].ID })
	out.Schema = b.Schema.Clone()
	for i := range out.Schema.Series {
		out.Schema.Series[i].Used = usedBy(out.Designations, out.Schema.Series[i].Name)
	}
	return &out, nil
}

// usedBy are the names of a series' entries that the designations read:
// an entry named otherwise is reported as ignored. A series none of them
// declares is not theirs to report (nil: no warning).
func usedBy(ds []*Designation, series string) []string {
	var used []string
	declared := false
	for _, d := range ds {
		for _, s := range d.schema.Series {
			if s.Name != series {
				continue
			}
			declared = true
			if s.Used == nil {
				return nil
			}
			used = append(used, s.Used...)
		}
	}
	if !declared {
		return nil
	}
	slices.Sort(used)
	return slices.Compact(used)
}

// Warnings are every designation's warnings.
func (b *Bundle) Warnings() PolicyErrors {
	var out PolicyErrors
	for _, d := range b.Designations {
		out = append(out, d.Warnings...)
	}
	return out
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
// Its plans are not checked against its verdicts (CheckPlans) when it
// loads: the embedded bundle is checked by the tests that ship it.
func Default(ctx context.Context) (*Bundle, error) {
	defaultBundle.once.Do(func() {
		ctx := context.WithoutCancel(ctx)
		names, err := DesignationFolders(policies.Policies)
		if err != nil {
			defaultBundle.err = err
			return
		}
		defaultBundle.b, defaultBundle.err = load(ctx, policies.Policies, EmbeddedSource, names, true)
	})
	return defaultBundle.b, defaultBundle.err
}

// LoadEmbedded compiles the embedded bundle as Load does a folder: every
// expression checked now and the plans checked (evaluate check).
func LoadEmbedded(ctx context.Context) (*Bundle, error) {
	return Load(ctx, policies.Policies, EmbeddedSource)
}

// CheckPlans plans for a few synthetic partners with each designation and
// checks every plan with the designation's own verdict (see checkPlans):
// a bundle whose plans and bars disagree is refused. Load and LoadDir do
// this for every bundle they read.
func (b *Bundle) CheckPlans(ctx context.Context) error {
	errs := make([]error, len(b.Designations))
	var wg sync.WaitGroup
	for i, d := range b.Designations {
		wg.Go(func() { errs[i] = d.checkPlans(ctx) })
	}
	wg.Wait()
	var pe PolicyErrors
	for i, err := range errs {
		if err != nil {
			d := b.Designations[i]
			pe = append(pe, d.locate(path.Join(d.ID, "designation.rego"), "what it takes: "+err.Error(), err))
		}
	}
	if len(pe) > 0 {
		return pe
	}
	return nil
}

// LoadDir loads the bundle in folder dir: a bundle folder whose
// sub-folders are designations, or one designation's folder itself (which
// is then the bundle's only designation). Every file is read through a
// BundleDir: only regular files inside the folder, of at most
// MaxPolicyFileSize bytes. Loading ends by ctx's deadline, or after
// DefaultLoadTimeout when ctx has none, and within DefaultMemoryLimit (see
// Load).
func LoadDir(ctx context.Context, dir string) (*Bundle, error) {
	bd, err := OpenBundleDir(dir)
	if err != nil {
		return nil, err
	}
	return bounded(ctx, bd.Source(), func(ctx context.Context) (*Bundle, error) {
		// Closed by the load itself: a load given up on still runs until
		// it notices, and may read until then.
		defer bd.Close()
		return loadAll(ctx, bd, bd.Source())
	})
}

// DefaultLoadTimeout bounds the loading of a bundle whose context has no
// deadline: 30 seconds. The shipped bundle loads in well under a second, its
// plans checked; a bundle that takes longer runs away (a Rego that never
// ends), and an error says so rather than a hang.
const DefaultLoadTimeout = 30 * time.Second

// loadGrace is how long a load given up on (its deadline passed, its memory
// guard tripped) may take to return errors of its own, which name the
// designation that ran away, before a general error is returned instead.
const loadGrace = time.Second

// loadLimitKey marks a load's context with its time limit, so that the
// error of anything stopped by it says so.
type loadLimitKey struct{}

// LoadTimeoutError is the cause of a load stopped by its time limit.
type LoadTimeoutError struct {
	// Limit is the time the load had.
	Limit time.Duration
}

func (e *LoadTimeoutError) Error() string {
	// Rounded: a caller's deadline is a moment, the limit is measured from
	// when loading began (499.98ms is the 500ms the caller gave).
	return fmt.Sprintf("loading the bundle took longer than %s", e.Limit.Round(10*time.Millisecond))
}

// bounded runs load within ctx's deadline (DefaultLoadTimeout when it has
// none) and a memory guard of DefaultMemoryLimit, unless ctx has one. The
// load runs in its own goroutine, so that even a part of it that does not
// watch the context (a constant folded, a file hashed) cannot hang the
// caller past the deadline.
func bounded(ctx context.Context, source string, load func(context.Context) (*Bundle, error)) (*Bundle, error) {
	limit := DefaultLoadTimeout
	if dl, ok := ctx.Deadline(); ok {
		limit = time.Until(dl)
	}
	ctx, cancel := context.WithTimeoutCause(ctx, limit, &LoadTimeoutError{Limit: limit})
	defer cancel()
	ctx = context.WithValue(ctx, loadLimitKey{}, limit)
	ctx, stop := guarded(ctx)
	defer stop()
	type loaded struct {
		b   *Bundle
		err error
	}
	done := make(chan loaded, 1)
	go func() {
		b, err := load(ctx)
		done <- loaded{b, err}
	}()
	var out loaded
	select {
	case out = <-done:
		if out.err == nil || ctx.Err() == nil {
			return out.b, out.err
		}
	case <-ctx.Done():
		select {
		case out = <-done:
			if out.err == nil {
				return out.b, nil
			}
		case <-time.After(loadGrace):
			out.err = nil
		}
	}
	why := stopped(ctx).Error()
	var pe PolicyErrors
	if !errors.As(out.err, &pe) || len(pe) == 0 {
		return nil, PolicyErrors{{File: source, Message: why}}
	}
	// The load's own errors name the designations; those that only say
	// the context ended say why it did.
	for i := range pe {
		for _, bare := range []error{context.DeadlineExceeded, context.Canceled} {
			if bare.Error() != why {
				pe[i].Message = strings.ReplaceAll(pe[i].Message, bare.Error(), why)
			}
		}
	}
	return nil, pe
}

// checked is a loaded bundle whose plans have been checked.
func checked(ctx context.Context, b *Bundle, err error) (*Bundle, error) {
	if err != nil {
		return nil, err
	}
	if err := b.CheckPlans(ctx); err != nil {
		return nil, err
	}
	return b, nil
}

// DesignationFolders lists the designation folders of a bundle: those
// holding a rules file.
func DesignationFolders(fsys fs.FS) ([]string, error) {
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

// Load compiles every designation folder of fsys. Every problem in the
// bundle is reported, as PolicyErrors with file names relative to source.
// A file that is not a regular file, or is larger than MaxPolicyFileSize,
// is refused before anything is read. Loading ends by ctx's deadline, or
// after DefaultLoadTimeout when ctx has none, and is stopped when the heap
// passes DefaultMemoryLimit (unless ctx carries a limit of its own, see
// WithMemoryLimit), with an error saying so.
func Load(ctx context.Context, fsys fs.FS, source string) (*Bundle, error) {
	return bounded(ctx, source, func(ctx context.Context) (*Bundle, error) { return loadAll(ctx, fsys, source) })
}

// loadAll compiles every designation folder of fsys and checks the plans.
func loadAll(ctx context.Context, fsys fs.FS, source string) (*Bundle, error) {
	names, err := DesignationFolders(fsys)
	if err != nil {
		return nil, PolicyErrors{{File: source, Message: fmt.Sprintf("read bundle: %v", err)}}
	}
	if len(names) == 0 {
		return nil, PolicyErrors{{File: source, Message: "no designation folder (a folder with " + RulesFile + ") in the bundle"}}
	}
	b, err := load(ctx, fsys, source, names, false)
	return checked(ctx, b, err)
}

// load compiles the designations names of fsys. deferExplain defers the
// checking of the expressions only explanations run until they run: for
// the embedded bundle, whose tests check every expression (Load and
// LoadDir check all of a bundle read from a folder).
func load(ctx context.Context, fsys fs.FS, source string, names []string, deferExplain bool) (*Bundle, error) {
	b := &Bundle{Source: source, All: names}
	var errs PolicyErrors
	var decls []*declared
	merged := true
	for _, name := range names {
		// Every file is checked before any is read, so that one run reports
		// each refused file by name.
		if ferrs := checkFiles(fsys, name); len(ferrs) > 0 {
			errs = append(errs, ferrs...)
			continue
		}
		d, derrs := declare(fsys, source, name)
		errs = append(errs, derrs...)
		if d != nil {
			decls = append(decls, d)
			if err := b.Schema.Merge(d.schema); err != nil {
				merged = false
				errs = append(errs, PolicyError{File: path.Join(name, RulesFile), Message: "facts: " + err.Error()})
			}
		}
	}
	if merged {
		// Designations compile independently: in parallel.
		b.layout = newLayout(&b.Schema)
		compiled := make([]*Designation, len(decls))
		derrs := make([]PolicyErrors, len(decls))
		sem := make(chan struct{}, runtime.GOMAXPROCS(0))
		var wg sync.WaitGroup
		for i, d := range decls {
			wg.Go(func() {
				sem <- struct{}{}
				defer func() { <-sem }()
				compiled[i], derrs[i] = d.compile(ctx, b.layout, deferExplain)
			})
		}
		wg.Wait()
		for i, des := range compiled {
			errs = append(errs, derrs[i]...)
			if des != nil {
				b.Designations = append(b.Designations, des)
				b.Needs.Add(des.needs)
			}
		}
		if len(errs) == 0 {
			b.share()
		}
	}
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
	case strings.HasPrefix(file, source+"/"):
		return file
	default:
		return path.Join(source, file)
	}
}

// readParams reads params.yaml and checks it against params.schema.yaml
// when the designation has one (checked); warnings are breaches of the
// schema's warning rules, and missing the required top-level keys it lacks.
func readParams(fsys fs.FS, dir string) (params map[string]any, warnings, errs PolicyErrors, missing []string, checked bool) {
	p := path.Join(dir, ParamsFile)
	src, err := fs.ReadFile(fsys, p)
	if err != nil {
		return nil, nil, PolicyErrors{{File: p, Message: err.Error()}}, nil, false
	}
	var doc yaml.Node
	if err := yaml.Unmarshal(src, &doc); err != nil {
		return nil, nil, PolicyErrors{yamlPolicyError(p, src, err)}, nil, false
	}
	if len(doc.Content) == 0 {
		return nil, nil, PolicyErrors{{File: p, Line: 1, Message: "the parameters file is empty"}}, nil, false
	}
	if err := doc.Decode(&params); err != nil {
		return nil, nil, PolicyErrors{yamlPolicyError(p, src, err)}, nil, false
	}
	warns := runTogether(p, doc.Content[0])
	sp := path.Join(dir, SchemaFile)
	ssrc, err := fs.ReadFile(fsys, sp)
	if errors.Is(err, fs.ErrNotExist) {
		// Sound, but a misspelt key or a ratio of 40 would pass unseen.
		return params, append(warns, PolicyError{File: p, Message: "not checked: the designation has no " + SchemaFile + " (keys, types and bounds)"}), nil, nil, false
	}
	if err != nil {
		return params, warns, PolicyErrors{{File: sp, Message: err.Error()}}, nil, false
	}
	s, serrs := readSchema(sp, ssrc)
	if len(serrs) > 0 {
		return params, warns, serrs, nil, true
	}
	v := &validator{file: p, root: params}
	v.validate(s, doc.Content[0], "", nil)
	return params, append(warns, v.warns...), v.errs, v.missing, true
}

// runTogether warns of list items that YAML read as one: a "- TeamsPhone"
// indented one space deeper than its list continues the item before it,
// which becomes "TeamsMeetings - TeamsPhone" and is then silently no name
// at all.
func runTogether(file string, n *yaml.Node) PolicyErrors {
	var out PolicyErrors
	var walk func(n *yaml.Node)
	walk = func(n *yaml.Node) {
		for _, c := range n.Content {
			if n.Kind == yaml.SequenceNode && c.Kind == yaml.ScalarNode && c.Style == 0 && strings.Contains(c.Value, " - ") {
				out = append(out, PolicyError{File: file, Line: c.Line, Column: c.Column,
					Message: fmt.Sprintf("%q is one list item: a \"- \" indented deeper than its list continues the item before it (was a new item meant? if it is one name, write it in quotes)", c.Value)})
			}
			walk(c)
		}
	}
	walk(n)
	return out
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
