package engine

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/open-policy-agent/opa/v1/ast"
)

// TestSandboxIsAnAllowList: every built-in on the list exists in this OPA
// (a typo would silently refuse one), the sandbox holds exactly those, and
// built-ins that read the clock, the network, the runtime or randomness
// are refused with the message that names them.
func TestSandboxIsAnAllowList(t *testing.T) {
	t.Parallel()
	all := map[string]bool{}
	for _, b := range ast.CapabilitiesForThisVersion().Builtins {
		all[b.Name] = true
	}
	for _, name := range allowedBuiltins {
		if !all[name] {
			t.Errorf("allowed built-in %s is not one of this OPA's", name)
		}
	}
	var got []string
	for _, b := range SandboxCapabilities().Builtins {
		got = append(got, b.Name)
	}
	slices.Sort(got)
	if !slices.Equal(slices.Compact(got), AllowedBuiltins()) {
		t.Errorf("sandbox built-ins %v\nwant %v", got, AllowedBuiltins())
	}
	if len(SandboxCapabilities().AllowNet) != 0 {
		t.Error("the sandbox allows the network")
	}
	for _, call := range []string{
		`crypto.x509.parse_and_verify_certificates("x")`,
		`time.now_ns()`,
		`http.send({"method": "GET", "url": "http://127.0.0.1:1"})`,
		`net.lookup_ip_addr("example.com")`,
		`opa.runtime()`,
		`rand.intn("x", 10)`,
		`uuid.rfc4122("x")`,
		`io.jwt.decode_verify("x", {})`,
	} {
		name, _, _ := strings.Cut(call, "(")
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			src := fmt.Sprintf("package d\n\nresult := x if {\n\tx := %s\n}\n", call)
			_, _, errs := prepareRego(context.Background(), fstest.MapFS{"d/p.rego": {Data: []byte(src)}}, "d", "d", map[string]any{})
			want := "built-in " + name + " is not allowed in policies"
			if len(errs) == 0 || !strings.Contains(errs.Error(), want) || errs[0].File != "d/p.rego" || errs[0].Line != 4 {
				t.Errorf("got %v, want %q at d/p.rego:4", errs, want)
			}
			if !slices.Contains(ForbiddenBuiltins(), name) {
				t.Errorf("ForbiddenBuiltins lacks %s", name)
			}
		})
	}
}

// TestShippedPoliciesCompileInTheSandbox: every shipped Rego file, tests
// included, compiles with the sandbox's built-ins alone.
func TestShippedPoliciesCompileInTheSandbox(t *testing.T) {
	t.Parallel()
	files, err := filepath.Glob("../policies/*/*.rego")
	if err != nil || len(files) == 0 {
		t.Fatal("no policies", err)
	}
	mods := map[string]*ast.Module{}
	for _, f := range files {
		src, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		m, err := ast.ParseModuleWithOpts(f, string(src), ast.ParserOptions{RegoVersion: ast.RegoV1, ProcessAnnotation: true})
		if err != nil {
			t.Fatal(err)
		}
		mods[f] = m
	}
	c := ast.NewCompiler().WithCapabilities(SandboxCapabilities()).WithEnablePrintStatements(true)
	if c.Compile(mods); c.Failed() {
		t.Fatal(c.Errors)
	}
}
