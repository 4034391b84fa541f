package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

func TestEscapeTerminal(t *testing.T) {
	t.Parallel()
	for _, c := range []struct{ in, want string }{
		{"plain text\n\tindented", "plain text\n\tindented"},
		{"Con\x1b[31mtoso", `Con\x1b[31mtoso`},
		{"bell\a cr\r del\x7f", `bell\x07 cr\x0d del\x7f`},
		{"abc\u202edcba", `abc\u202edcba`},
		{"isolate\u2066x\u2069 mark\u200f", `isolate\u2066x\u2069 mark\u200f`},
		{"c1 \u009b31m", `c1 \u009b31m`},
		{"bad \xff utf-8", `bad \xff utf-8`},
		{"café ×2 → ok", "café ×2 → ok"},
	} {
		if got := string(escapeTerminal([]byte(c.in))); got != c.want {
			t.Errorf("%q: got %q, want %q", c.in, got, c.want)
		}
	}
}

// A character cut between two writes (a buffer's flush) is escaped or
// kept as a whole.
func TestOutputJoinsCutRunes(t *testing.T) {
	t.Parallel()
	var b bytes.Buffer
	o := newOutput(&b)
	s := []byte("é\u202e→")
	for i := range s {
		o.Write(s[i : i+1])
	}
	o.Write([]byte{0xe2}) // a cut sequence at the very end
	o.flush()
	if got, want := b.String(), `é\u202e→\xe2`; got != want {
		t.Errorf("got %q, want %q", got, want)
	}
}

// Names from a fact file reach a terminal as visible characters in text,
// markdown, --explain and on stderr; JSON keeps them as they are.
func TestControlCharactersEscaped(t *testing.T) {
	t.Parallel()
	src, err := os.ReadFile(tc("qualified_enterprise.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	evil := "Evil\x1b]0;owned\x07\r\u202eCorp"
	doc := strings.Replace(string(src), "name: Contoso Modern Work", `name: "Evil\e]0;owned\a\r\u202eCorp"`, 1)
	// An ignored workload with the name is warned about on stderr.
	doc = strings.Replace(doc, "{workload: Exchange,", `{workload: "Evil\e]0;owned\a\r\u202eCorp", usage: []}, {workload: Exchange,`, 1)
	f := filepath.Join(t.TempDir(), "evil.yaml")
	if err := os.WriteFile(f, []byte(doc), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, args := range [][]string{{f}, {"-o", "markdown", f}, {"-o", "html", f}, {"-o", "html", "--explain", f}, {"--explain", f}, {"--months", "2026-09..2026-10", f}, {"-o", "html", "--months", "2026-09..2026-10", f}, {"--warnings", "all", f}} {
		_, out, stderr := runCLI(t, "", args...)
		if !strings.Contains(stderr, `Evil\x1b`) {
			t.Errorf("%v: no warning names the workload: %q", args, stderr)
		}
		for _, s := range []string{out, stderr} {
			if strings.ContainsAny(s, "\x1b\x07\r\u202e") {
				t.Errorf("%v: a control character reached the terminal: %q", args, s)
			}
		}
	}
	_, out, _ := runCLI(t, "", "-o", "text", f)
	if !strings.Contains(out, `Evil\x1b]0;owned\x07\x0d\u202eCorp`) {
		t.Errorf("text does not show the name escaped:\n%s", out)
	}
	_, out, _ = runCLI(t, "", "-o", "json", f)
	if !strings.Contains(out, `"Evil\u001b]0;owned\u0007\r`+"\u202e"+`Corp"`) {
		t.Errorf("JSON changed the name %q:\n%.400s", evil, out)
	}
}

type fullDisk struct{}

func (fullDisk) Write([]byte) (int, error) { return 0, errors.New("no space left on device") }

// Every command whose output is lost exits 2 and says so.
func TestLostOutputExits2(t *testing.T) {
	t.Parallel()
	f := tc("qualified_enterprise.yaml")
	for _, args := range [][]string{
		{f}, {"-o", "markdown", f}, {"-o", "json", f}, {"-o", "html", f}, {"-o", "jsonl", f},
		{"--months", "2026-09..2026-10", f}, {"--help"}, {"check"},
		{"diff", "--base-policies", "../../policies", f}, {"gen", "--tenants", "2"}, {"version"},
	} {
		var stderr bytes.Buffer
		code := run(args, strings.NewReader(""), fullDisk{}, &stderr)
		if code != exitBadInput || !strings.Contains(stderr.String(), "no space left on device") {
			t.Errorf("%v: exit %d, stderr %q", args, code, stderr.String())
		}
	}
}

// cancelAfter is stdout that interrupts the run once it has seen a line.
type cancelAfter struct {
	bytes.Buffer
	cancel func()
}

func (c *cancelAfter) Write(p []byte) (int, error) {
	n, err := c.Buffer.Write(p)
	if bytes.Contains(p, []byte("\n")) {
		c.cancel()
	}
	return n, err
}

// An interrupt ends a batch between records: what is written is whole
// lines, and the exit code says the run was cut short. (Not parallel: it
// replaces the interrupt hook.)
func TestInterruptWritesWholeRecords(t *testing.T) {
	var pop strings.Builder
	for i := range 40 {
		fmt.Fprintf(&pop, `{"partner": {"id": "p%d"}, "month": "2026-10", "customers": [{"tenant": "t"}]}`+"\n", i)
	}
	f := filepath.Join(t.TempDir(), "pop.jsonl")
	if err := os.WriteFile(f, []byte(pop.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	out := &cancelAfter{}
	defer func(f func(context.Context) (context.Context, context.CancelFunc)) { interrupts = f }(interrupts)
	interrupts = func(ctx context.Context) (context.Context, context.CancelFunc) {
		ctx, cancel := context.WithCancel(ctx)
		out.cancel = cancel
		return ctx, cancel
	}
	var stderr bytes.Buffer
	// The first flush of the output interrupts; the other partners are
	// still to come then.
	code := run([]string{"-o", "jsonl", "--jobs", "1", "--explain", f}, nil, out, &stderr)
	lines := strings.Split(out.String(), "\n")
	if code != exitInterrupted || lines[len(lines)-1] != "" || len(lines) < 2 || len(lines) > 40 {
		t.Fatalf("exit %d, %d lines, last %q, stderr %s", code, len(lines), lines[len(lines)-1], stderr.String())
	}
	for _, l := range lines[:len(lines)-1] {
		if !json.Valid([]byte(l)) {
			t.Errorf("a cut record: %.100s", l)
		}
	}
	if !strings.Contains(stderr.String(), "evaluate: interrupted after ") {
		t.Errorf("stderr %s", stderr.String())
	}
}

// TestChartLabelsInView: every month label of the --months chart, centred
// on its month, fits in the chart's view (the last one was cut to
// "2026-1").
func TestChartLabelsInView(t *testing.T) {
	t.Parallel()
	_, out, _ := runCLI(t, "", "-q", "-o", "html", "--designation", "modern_work", "--months", "2025-11..2026-10", tc("qualified_enterprise.yaml"))
	view := regexp.MustCompile(`<svg viewBox="0 0 (\d+) \d+" role="img" aria-label="score per month">`).FindStringSubmatch(out)
	if view == nil {
		t.Fatalf("no chart:\n%.400s", out)
	}
	width, _ := strconv.ParseFloat(view[1], 64)
	labels := regexp.MustCompile(`<text x="([\d.]+)" y="\d+" font-size="10" text-anchor="middle" fill="#5f6368">(\d{4}-\d{2})</text>`).FindAllStringSubmatch(out, -1)
	if len(labels) != 12 {
		t.Fatalf("%d month labels, want 12", len(labels))
	}
	const half = 20 // half of "2026-10" at font-size 10, rounded up
	for _, l := range labels {
		x, _ := strconv.ParseFloat(l[1], 64)
		if x-half < 0 || x+half > width {
			t.Errorf("label %s at x=%v leaves the view 0..%v", l[2], x, width)
		}
	}
}

// TestMarkdownEscapesLinks: a partner's name cannot become a link or an
// image in markdown.
func TestMarkdownEscapesLinks(t *testing.T) {
	t.Parallel()
	got := mdEscape("![x](https://t.example/p.png) [click](javascript:alert(1)) a_b")
	if want := `\!\[x\](https://t.example/p.png) \[click\](javascript:alert(1)) a\_b`; got != want {
		t.Errorf("mdEscape = %s, want %s", got, want)
	}
}

// TestHTMLAnchorsUniquePerPartner: with several partners on one page each
// designation's id is unique, and each summary links to its own partner's.
func TestHTMLAnchorsUniquePerPartner(t *testing.T) {
	t.Parallel()
	_, out, _ := runCLI(t, "", "-q", "-o", "html", "--designation", "modern_work,security", tc("qualified_enterprise.yaml"), tc("exact_70.yaml"))
	ids := regexp.MustCompile(`id="([^"]+)"`).FindAllStringSubmatch(out, -1)
	seen := map[string]bool{}
	for _, id := range ids {
		if seen[id[1]] {
			t.Errorf("id %q twice", id[1])
		}
		seen[id[1]] = true
	}
	for _, h := range regexp.MustCompile(`href="#([^"]+)"`).FindAllStringSubmatch(out, -1) {
		if !seen[h[1]] {
			t.Errorf("link to #%s, which no element has", h[1])
		}
	}
	if !seen["p2-d-security"] {
		t.Errorf("no p2-d-security among %v", seen)
	}
}
