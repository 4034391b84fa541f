package main

import (
	"context"
	"crypto/sha256"
	"fmt"
	"io/fs"
	"slices"
	"sync"

	"errors"
	"evaluate/engine"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/rogpeppe/go-internal/testscript"
)

// TestMain lets the test binary stand in for the evaluate command in CLI
// scripts: "exec evaluate" and a command reading stdin run it as a separate
// process, as a user would; "exits N evaluate" runs it in this process
// (runInProcess), so that the bundles are compiled once per test binary.
func TestMain(m *testing.M) {
	loadDir, loadEmbedded = cachedLoadDir, cachedLoadEmbedded
	code := testscript.RunMain(m, map[string]func() int{
		"evaluate": func() int {
			tuneGC()
			return run(os.Args[1:], os.Stdin, os.Stdout, os.Stderr)
		},
	})
	removeBenchInputs()
	os.Exit(code)
}

// TestScripts runs testdata/script/*.txtar: every command the README and
// --help show, with its exit code and the output that matters. Scripts see
// $REPO, the repository's root, so README commands run as written there.
func TestScripts(t *testing.T) {
	repo, err := filepath.Abs(filepath.Join("..", ".."))
	if err != nil {
		t.Fatal(err)
	}
	dir, err := filepath.Abs(filepath.Join("testdata", "script"))
	if err != nil {
		t.Fatal(err)
	}
	testscript.Run(t, testscript.Params{
		Dir:                 dir, // absolute: scripts change the working folder (runInProcess)
		RequireExplicitExec: true,
		Setup: func(env *testscript.Env) error {
			env.Setenv("REPO", repo)
			return nil
		},
		Cmds: map[string]func(ts *testscript.TestScript, neg bool, args []string){
			"exits": cmdExits,
		},
	})
}

// cmdExits runs a command and checks its exit code:
// exits N evaluate args...
// evaluate runs in this process (runInProcess) unless it reads stdin ("-"),
// which only a separate process is given by the script's stdin command;
// any other command runs as a separate process.
func cmdExits(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) < 2 {
		ts.Fatalf("usage: exits CODE COMMAND [ARGS...]")
	}
	want, err := strconv.Atoi(args[0])
	if err != nil {
		ts.Fatalf("exits: bad code %q", args[0])
	}
	got := 0
	if args[1] == "evaluate" && !slices.Contains(args[2:], "-") {
		got = runInProcess(ts, args[2:])
	} else {
		err = ts.Exec(args[1], args[2:]...)
		var ee *exec.ExitError
		switch {
		case errors.As(err, &ee):
			got = ee.ExitCode()
		case err != nil:
			ts.Fatalf("exits: %v", err)
		}
	}
	if got != want {
		ts.Fatalf("exit code %d, want %d", got, want)
	}
}

// inProcess serializes the commands run in this process: each runs in its
// script's folder, and the working folder is the process's. Scripts run
// in parallel with one another only (TestScripts is not parallel, so no
// other test runs meanwhile); each command's own work is parallel.
var inProcess sync.Mutex

// runInProcess runs evaluate as main does, in the script's current folder,
// with the script's stdout and stderr: the bundles it loads are compiled
// once per test binary (cachedLoadDir), where a separate process would
// compile them on every command.
func runInProcess(ts *testscript.TestScript, args []string) int {
	inProcess.Lock()
	defer inProcess.Unlock()
	back, err := os.Getwd()
	ts.Check(err)
	ts.Check(os.Chdir(ts.MkAbs(".")))
	defer func() { ts.Check(os.Chdir(back)) }()
	return run(args, strings.NewReader(""), ts.Stdout(), ts.Stderr())
}

// bundles are the bundles compiled by this test binary, by folder (as
// given) and content.
var bundles sync.Map

// cachedLoadDir is engine.LoadDir, once per folder name and content: a
// folder edited by a script is compiled again.
func cachedLoadDir(ctx context.Context, dir string) (*engine.Bundle, error) {
	h := sha256.New()
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || !d.Type().IsRegular() {
			return err
		}
		data, err := os.ReadFile(p)
		fmt.Fprintf(h, "%s\x00%d\x00", p, len(data))
		h.Write(data)
		return err
	})
	if err != nil {
		return engine.LoadDir(ctx, dir) // its own message
	}
	key := dir + "\x00" + string(h.Sum(nil))
	if b, ok := bundles.Load(key); ok {
		return b.(*engine.Bundle), nil
	}
	b, err := engine.LoadDir(ctx, dir)
	if err == nil {
		bundles.Store(key, b)
	}
	return b, err
}

var embedded struct {
	once sync.Once
	b    *engine.Bundle
	err  error
}

// cachedLoadEmbedded is engine.LoadEmbedded (every check), once.
func cachedLoadEmbedded(ctx context.Context) (*engine.Bundle, error) {
	embedded.once.Do(func() { embedded.b, embedded.err = engine.LoadEmbedded(context.WithoutCancel(ctx)) })
	return embedded.b, embedded.err
}

// TestEveryExampleHasAScript makes sure no example can rot: every command
// of the Examples sections of --help and of the README's sh blocks that
// runs evaluate stands in some script as "# example: COMMAND", followed by
// the lines that run it.
func TestEveryExampleHasAScript(t *testing.T) {
	scripts, err := filepath.Glob(filepath.Join("testdata", "script", "*.txtar"))
	if err != nil || len(scripts) == 0 {
		t.Fatalf("no scripts: %v", err)
	}
	covered := map[string]bool{}
	for _, s := range scripts {
		src, err := os.ReadFile(s)
		if err != nil {
			t.Fatal(err)
		}
		for _, line := range strings.Split(string(src), "\n") {
			if cmd, ok := strings.CutPrefix(line, "# example: "); ok {
				covered[strings.Join(strings.Fields(cmd), " ")] = true
			}
		}
	}
	var examples []string
	for _, text := range []string{usage, checkUsage, testUsage, diffUsage, genUsage, importUsage} {
		examples = append(examples, helpExamples(text)...)
	}
	readme, err := os.ReadFile(filepath.Join("..", "..", "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	examples = append(examples, readmeExamples(string(readme))...)
	if len(examples) < 20 {
		t.Fatalf("found only %d examples", len(examples))
	}
	for _, ex := range examples {
		if !covered[ex] {
			t.Errorf("no script runs the example %q (add it, after a line \"# example: %s\")", ex, ex)
		}
	}
}

// helpExamples are the commands of a usage text's Examples section, each
// without the words that explain it (after two spaces or more).
func helpExamples(text string) []string {
	_, rest, ok := strings.Cut(text, "Examples:\n")
	if !ok {
		return nil
	}
	var out []string
	for _, line := range strings.Split(rest, "\n") {
		if strings.TrimSpace(line) == "" {
			break
		}
		out = append(out, commandOf(line))
	}
	return out
}

// readmeExamples are the lines of the README's sh blocks that run evaluate.
func readmeExamples(text string) []string {
	var out []string
	in := false
	for _, line := range strings.Split(text, "\n") {
		switch {
		case strings.HasPrefix(line, "```sh"):
			in = true
		case strings.HasPrefix(line, "```"):
			in = false
		case in && (strings.Contains(line, "evaluate ") || strings.HasPrefix(line, "go run ./cmd/evaluate")) && !strings.HasPrefix(line, "go test"):
			out = append(out, strings.Join(strings.Fields(comment.ReplaceAllString(line, "")), " "))
		}
	}
	return out
}

var comment = regexp.MustCompile(`\s+#.*$`)

var explanation = regexp.MustCompile(`\s{2,}.*$`)

func commandOf(line string) string {
	return strings.Join(strings.Fields(explanation.ReplaceAllString(strings.TrimSpace(line), "")), " ")
}
