package engine

import (
	"context"
	"encoding/json"
	"fmt"
	"io/fs"
	"path"
	"slices"
	"strings"

	"github.com/open-policy-agent/opa/v1/ast"
	"github.com/open-policy-agent/opa/v1/rego"
	"github.com/open-policy-agent/opa/v1/storage/inmem"
)

// ResultRule is the rule every designation's Rego package defines; the
// engine evaluates data.<designation>.result.
const ResultRule = "result"

// sandboxCapabilities are OPA's built-ins without those that reach the
// network, the runtime or the clock: a result must depend only on the facts
// and the parameters.
func sandboxCapabilities() *ast.Capabilities {
	caps := ast.CapabilitiesForThisVersion()
	keep := caps.Builtins[:0:0]
	for _, b := range caps.Builtins {
		if !forbiddenBuiltin(b) {
			keep = append(keep, b)
		}
	}
	caps.Builtins = keep
	caps.AllowNet = []string{}
	return caps
}

func forbiddenBuiltin(b *ast.Builtin) bool {
	return b.Nondeterministic || b.Name == "opa.runtime" ||
		strings.HasPrefix(b.Name, "net.") || strings.HasPrefix(b.Name, "time.now") || b.Name == "http.send"
}

// ForbiddenBuiltins lists the built-ins the sandbox refuses, by name.
func ForbiddenBuiltins() []string {
	var names []string
	for _, b := range ast.CapabilitiesForThisVersion().Builtins {
		if forbiddenBuiltin(b) {
			names = append(names, b.Name)
		}
	}
	slices.Sort(names)
	return slices.Compact(names)
}

// regoModules parses every non-test .rego file of the designation folder.
func regoModules(fsys fs.FS, dir string) (map[string]*ast.Module, PolicyErrors) {
	mods := map[string]*ast.Module{}
	var errs PolicyErrors
	_ = fs.WalkDir(fsys, dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(p, ".rego") || strings.HasSuffix(p, "_test.rego") {
			return err
		}
		src, err := fs.ReadFile(fsys, p)
		if err != nil {
			errs = append(errs, PolicyError{File: p, Message: err.Error()})
			return nil
		}
		m, err := ast.ParseModuleWithOpts(p, string(src), ast.ParserOptions{RegoVersion: ast.RegoV1, ProcessAnnotation: true})
		if err != nil {
			errs = append(errs, regoErrors(fsys, err)...)
			return nil
		}
		mods[p] = m
		return nil
	})
	return mods, errs
}

// regoErrors turns OPA errors into PolicyErrors with file and line, and says
// which built-in the sandbox refused.
func regoErrors(fsys fs.FS, err error) PolicyErrors {
	var astErrs ast.Errors
	switch e := err.(type) {
	case ast.Errors:
		astErrs = e
	case *ast.Error:
		astErrs = ast.Errors{e}
	default:
		if re, ok := err.(interface{ Unwrap() []error }); ok {
			var out PolicyErrors
			for _, x := range re.Unwrap() {
				out = append(out, regoErrors(fsys, x)...)
			}
			return out
		}
		return PolicyErrors{{Message: err.Error()}}
	}
	var out PolicyErrors
	for _, e := range astErrs {
		pe := PolicyError{Message: e.Message}
		if e.Location != nil {
			pe.File, pe.Line, pe.Column = e.Location.File, e.Location.Row, e.Location.Col
			if src, rerr := fs.ReadFile(fsys, e.Location.File); rerr == nil {
				pe.Snippet = snippet(src, pe.Line, pe.Column)
			}
		}
		for _, name := range ForbiddenBuiltins() {
			if strings.Contains(e.Message, "undefined function "+name) {
				pe.Message = fmt.Sprintf("built-in %s is not allowed in policies (no network, runtime or clock access): %s", name, e.Message)
			}
		}
		out = append(out, pe)
	}
	return out
}

// prepareRego compiles the designation's Rego once, in strict mode and in the
// sandbox, with params as data.<designation>.
func prepareRego(ctx context.Context, fsys fs.FS, dir, designation string, params any) (*rego.PreparedEvalQuery, int, PolicyErrors) {
	mods, errs := regoModules(fsys, dir)
	if len(errs) > 0 {
		return nil, len(mods), errs
	}
	if len(mods) == 0 {
		return nil, 0, PolicyErrors{{File: dir, Message: "no .rego policy in the designation folder"}}
	}
	data, err := jsonData(map[string]any{designation: params})
	if err != nil {
		return nil, len(mods), PolicyErrors{{File: path.Join(dir, ParamsFile), Message: err.Error()}}
	}
	// Compiling here rather than in rego.New keeps OPA's errors as ast.Errors
	// with their locations.
	compiler := ast.NewCompiler().WithCapabilities(sandboxCapabilities()).WithStrict(true)
	if compiler.Compile(mods); compiler.Failed() {
		return nil, len(mods), regoErrors(fsys, compiler.Errors)
	}
	ref := ast.Ref{ast.DefaultRootDocument, ast.StringTerm(designation), ast.StringTerm(ResultRule)}
	if len(compiler.GetRulesExact(ref)) == 0 {
		return nil, len(mods), PolicyErrors{{File: dir, Message: fmt.Sprintf("no Rego rule %s: the designation's policy must define it (package %s, rule %s)", ref, designation, ResultRule)}}
	}
	query := ast.NewTerm(ref).String()
	pq, err := rego.New(
		rego.Query(query),
		rego.Compiler(compiler),
		rego.Store(inmem.NewFromObject(data)),
		rego.StrictBuiltinErrors(true),
	).PrepareForEval(ctx)
	if err != nil {
		return nil, len(mods), regoErrors(fsys, err)
	}
	return &pq, len(mods), nil
}

// jsonData converts YAML-decoded values to the JSON types OPA's store takes.
func jsonData(v map[string]any) (map[string]any, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return nil, err
	}
	var out map[string]any
	dec := json.NewDecoder(strings.NewReader(string(b)))
	dec.UseNumber()
	return out, dec.Decode(&out)
}
