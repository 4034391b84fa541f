package engine

import (
	"context"
	"fmt"
	"io/fs"
	"path"
	"strings"
	"time"

	"github.com/open-policy-agent/opa/v1/ast"
	"github.com/open-policy-agent/opa/v1/loader"
	"github.com/open-policy-agent/opa/v1/storage/inmem"
	"github.com/open-policy-agent/opa/v1/tester"
)

// RegoTestTimeout bounds each Rego unit test of a bundle: 10 seconds
// (OPA's own default is 5). A shipped test takes milliseconds; one that
// runs away is reported as failed with the reason, and the others still run.
const RegoTestTimeout = 10 * time.Second

// RunRegoTests runs a bundle's Rego unit tests (*_test.rego) as opa test
// does over the bundle folder: every .rego file is a module and every data
// file (.json, .yaml) is data at its folder's path, so params.yaml is
// data.<designation>. Unlike opa test, the tests run in the policies'
// sandbox (SandboxCapabilities: no network, no clock), each within
// RegoTestTimeout and all of them within DefaultMemoryLimit unless ctx
// carries a memory limit (WithMemoryLimit): a test is policy code from the
// same shared folder. fsys is read as a bundle is: a file that is not a
// regular file, or is larger than MaxPolicyFileSize, is refused, as a
// PolicyError with its name relative to source (open a folder with
// OpenBundleDir). Compile errors, a refused built-in among them, are
// PolicyErrors too.
func RunRegoTests(ctx context.Context, fsys fs.FS, source string) ([]*tester.Result, error) {
	display := func(errs PolicyErrors) PolicyErrors {
		for i := range errs {
			errs[i].File = displayPath(source, errs[i].File)
		}
		sortErrors(errs)
		return errs
	}
	if errs := checkFiles(fsys, "."); len(errs) > 0 {
		return nil, display(errs)
	}
	caps := SandboxCapabilities()
	loaded, err := loader.NewFileLoader().
		WithFS(fsys).
		WithRegoVersion(ast.RegoV1).
		WithProcessAnnotation(true).
		WithCapabilities(caps).
		All([]string{"."})
	if err != nil {
		return nil, display(loaderErrors(fsys, err))
	}
	modules := make(map[string]*ast.Module, len(loaded.Modules))
	var misplaced PolicyErrors
	for _, m := range loaded.Modules {
		modules[m.Name] = m.Parsed
		if pe, ok := testsAnother(fsys, m.Name, m.Parsed); ok {
			misplaced = append(misplaced, pe)
		}
	}
	if len(misplaced) > 0 {
		return nil, display(misplaced)
	}
	ctx, stop := guarded(ctx)
	defer stop()
	compiler := ast.NewCompiler().
		WithCapabilities(caps).
		WithEnablePrintStatements(true).
		WithDefaultRegoVersion(ast.RegoV1)
	ch, err := tester.NewRunner().
		SetCompiler(compiler).
		SetStore(inmem.NewFromObject(loaded.Documents)).
		SetModules(modules).
		SetTimeout(RegoTestTimeout).
		RunTests(ctx, nil)
	if err != nil {
		return nil, display(regoErrors(fsys, err))
	}
	var results []*tester.Result
	for r := range ch {
		if r.Location != nil {
			loc := *r.Location
			loc.File = displayPath(source, loc.File)
			r.Location = &loc
		}
		results = append(results, r)
	}
	if err := stopped(ctx); err != nil {
		return results, fmt.Errorf("rego tests stopped: %w", err)
	}
	return results, nil
}

// testsAnother tells a test module in one designation's folder whose
// package tests another designation (package data_ai_test in data_ai_v2/):
// a folder copied to make a new designation would pass by testing the old
// one again.
func testsAnother(fsys fs.FS, name string, m *ast.Module) (PolicyError, bool) {
	folder, _, nested := strings.Cut(strings.TrimPrefix(path.Clean(name), "./"), "/")
	if !nested || !strings.HasSuffix(name, "_test.rego") || len(m.Package.Path) < 2 {
		return PolicyError{}, false
	}
	pkg, ok := m.Package.Path[1].Value.(ast.String)
	other, isTest := strings.CutSuffix(string(pkg), "_test")
	if !ok || !isTest || other == folder {
		return PolicyError{}, false
	}
	if _, err := fs.Stat(fsys, path.Join(other, RulesFile)); err != nil {
		return PolicyError{}, false
	}
	return PolicyError{File: name, Line: m.Package.Location.Row, Column: m.Package.Location.Col, Message: fmt.Sprintf(
		"package %s_test tests designation %s, not this folder's %s: in a copied folder write package %s_test and import data.%s",
		other, other, folder, folder, folder)}, true
}

// loaderErrors are the errors of OPA's loader (a list of parse errors and
// read errors) as PolicyErrors.
func loaderErrors(fsys fs.FS, err error) PolicyErrors {
	list, ok := err.(loader.Errors)
	if !ok {
		return regoErrors(fsys, err)
	}
	var out PolicyErrors
	for _, e := range list {
		out = append(out, regoErrors(fsys, e)...)
	}
	return out
}
