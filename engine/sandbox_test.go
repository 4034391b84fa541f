package engine

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"testing/fstest"
	"time"

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

// TestRunRegoTestsSandboxed: a bundle's Rego tests are compiled with the
// sandbox's built-ins: a test calling the network or the clock is refused,
// by file and line, before any test runs.
func TestRunRegoTestsSandboxed(t *testing.T) {
	t.Parallel()
	for _, call := range []string{`time.now_ns() > 0`, `http.send({"method": "GET", "url": "http://127.0.0.1:1"}).status_code == 0`} {
		name, _, _ := strings.Cut(call, "(")
		fsys := fstest.MapFS{
			"d/params.yaml": {Data: []byte("bar: 1\n")},
			"d/p_test.rego": {Data: []byte("package d_test\n\ntest_bar if data.d.bar == 1\n\ntest_call if " + call + "\n")},
		}
		_, err := RunRegoTests(context.Background(), fsys, "bundle")
		if err == nil || !strings.Contains(err.Error(), "bundle/d/p_test.rego:5") || !strings.Contains(err.Error(), "built-in "+name+" is not allowed") {
			t.Errorf("%s: %v", name, err)
		}
	}
	// Without them, the tests run and see params.yaml as data.d.
	fsys := fstest.MapFS{
		"d/params.yaml": {Data: []byte("bar: 1\n")},
		"d/p_test.rego": {Data: []byte("package d_test\n\ntest_bar if data.d.bar == 1\n")},
	}
	rs, err := RunRegoTests(context.Background(), fsys, "bundle")
	if err != nil || len(rs) != 1 || !rs[0].Pass() || rs[0].Location.File != "bundle/d/p_test.rego" {
		t.Errorf("%v %v", rs, err)
	}
}

// TestRunRegoTestsBounded: a test that runs away is stopped by the
// context, and the others still report.
func TestRunRegoTestsBounded(t *testing.T) {
	t.Parallel()
	fsys := fstest.MapFS{
		"d/p_test.rego": {Data: []byte("package d_test\n\ntest_ok if true\n\ntest_spin if " + spin + "\n")},
	}
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	start := time.Now()
	rs, err := RunRegoTests(ctx, fsys, "bundle")
	if time.Since(start) > runawayBound {
		t.Errorf("took %s", time.Since(start))
	}
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("error %v", err)
	}
	for _, r := range rs {
		if strings.HasSuffix(r.Name, "test_spin") && r.Pass() {
			t.Error("the runaway test passed")
		}
	}
}

// TestRunRegoTestsReadsAsABundle: the Rego tests read the bundle folder
// as loading does: a FIFO or a link leaving the folder is refused by
// name, and nothing blocks (OPA's loader would open the FIFO and wait).
func TestRunRegoTestsReadsAsABundle(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	if err := os.Mkdir(filepath.Join(dir, "d"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "d/p_test.rego"), []byte("package d_test\n\ntest_ok if true\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	mkfifo(t, filepath.Join(dir, "d/data.json"))
	symlink(t, "/etc/passwd", filepath.Join(dir, "d/users.yaml"))
	bd, err := OpenBundleDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer bd.Close()
	done := make(chan error, 1)
	go func() {
		_, err := RunRegoTests(context.Background(), bd, bd.Source())
		done <- err
	}()
	select {
	case err = <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("RunRegoTests did not return")
	}
	for _, want := range []string{filepath.Join(dir, "d/data.json") + ": not a regular file (a named pipe)", filepath.Join(dir, "d/users.yaml") + ": is a link leaving the bundle folder"} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("error lacks %q: %v", want, err)
		}
	}
	if err != nil && strings.Contains(err.Error(), "root:") {
		t.Errorf("echoes /etc/passwd: %v", err)
	}
}

// TestForbiddenBuiltinRefusedAtLoad: the x509 built-in that read the clock
// (a certificate expiring turned a partner from qualified to not) is
// refused when a bundle loads.
func TestForbiddenBuiltinRefusedAtLoad(t *testing.T) {
	t.Parallel()
	dir := hostileBundle(t, "x509")
	_, err := loadWithin(t, context.Background(), dir, 10*time.Second)
	if err == nil || !strings.Contains(err.Error(), "built-in crypto.x509.parse_and_verify_certificates is not allowed in policies") ||
		!strings.Contains(err.Error(), filepath.Join(dir, "modern_work/certs.rego")+":") {
		t.Errorf("got %v", err)
	}
}
