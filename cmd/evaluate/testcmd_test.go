package main

import (
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
)

// TestTestCommandRunsRegoTestsInTheSandbox: evaluate test compiles a
// bundle's *_test.rego with the policies' built-ins alone. A test calling
// http.send or time.now_ns is refused by file and line, and the server it
// aimed at is never reached (it was, when the tests ran outside the
// sandbox).
func TestTestCommandRunsRegoTestsInTheSandbox(t *testing.T) {
	t.Parallel()
	var hits atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { hits.Add(1) }))
	defer srv.Close()
	dir := filepath.Join(t.TempDir(), "modern_work")
	if err := os.CopyFS(dir, os.DirFS(filepath.Join("..", "..", "policies", "modern_work"))); err != nil {
		t.Fatal(err)
	}
	tests := filepath.Join(dir, "designation_test.rego")
	src, err := os.ReadFile(tests)
	if err != nil {
		t.Fatal(err)
	}
	src = append(src, []byte("\ntest_reaches_the_network if http.send({\"method\": \"GET\", \"url\": \""+srv.URL+"\"}).status_code == 200\n"+
		"\ntest_reads_the_clock if time.now_ns() > 0\n")...)
	if err := os.WriteFile(tests, src, 0o644); err != nil {
		t.Fatal(err)
	}
	code, out, errOut := runCLI(t, "", "test", "--policies", dir, t.TempDir())
	if code != exitBadInput {
		t.Errorf("exit %d, want %d\n%s", code, exitBadInput, out)
	}
	for _, want := range []string{"built-in http.send is not allowed", "built-in time.now_ns is not allowed", tests + ":"} {
		if !strings.Contains(errOut, want) {
			t.Errorf("stderr lacks %q:\n%s", want, errOut)
		}
	}
	if n := hits.Load(); n != 0 {
		t.Errorf("a Rego test reached the server %d times", n)
	}
}
