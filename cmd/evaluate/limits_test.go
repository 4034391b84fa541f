package main

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestHostileInputsAreRefused feeds inputs meant to exhaust memory or
// time; each must be refused with exit 2, a message naming the file and
// line, nothing on stdout. (An input that expanded would not finish: the
// alias count is memoized, so the refusal comes before any expansion.)
func TestHostileInputsAreRefused(t *testing.T) {
	bomb := "partner: {id: p}\na: &a [x, x, x, x, x, x, x, x, x, x]\n"
	for i := 'b'; i <= 'k'; i++ {
		prev := string(i - 1)
		bomb += fmt.Sprintf("%c: &%c [*%s, *%s, *%s, *%s, *%s, *%s, *%s, *%s, *%s, *%s]\n", i, i, prev, prev, prev, prev, prev, prev, prev, prev, prev, prev)
	}
	nestJSON := `{"partner": {"id": "p"}, "x": ` + strings.Repeat("[", 50) + strings.Repeat("]", 50) + `}`
	nestYAML := "partner: {id: p}\nx: " + strings.Repeat("[", 50) + strings.Repeat("]", 50) + "\n"
	cases := []struct{ name, file, src, want string }{
		{"alias bomb", "bomb.yaml", bomb, "alias bomb"},
		{"50-level JSON", "deep.json", nestJSON, "nested more than 32 levels deep"},
		{"50-level YAML", "deep.yaml", nestYAML, "nested more than 32 levels deep"},
		{"1e30 seats", "big.json", `{"partner": {"id": "p"}, "customers": [{"tenant": "t", "workloads": [{"workload": "Teams", "usage": [{"month": "2026-10", "paid_seats": 1e30, "active_users": 1}]}]}]}`,
			"big.json:1: customers[0].workloads[0].usage[0].paid_seats: want a whole number >= 0, got 1e30"},
		{"NaN seats", "nan.yaml", "partner: {id: p}\ncustomers: [{tenant: t, workloads: [{workload: Teams, usage: [{month: 2026-10, paid_seats: .NaN, active_users: 1}]}]}]\n", "paid_seats: want a whole number >= 0, got .NaN"},
		{"long string", "long.json", `{"partner": {"id": "` + strings.Repeat("x", 70000) + `"}}`, "a string of 70000 bytes, longer than the 65536 allowed"},
		{"long string in a customer", "longt.json", `{"partner": {"id": "p"}, "month": "2026-10", "customers": [{"tenant": "` + strings.Repeat("x", 70000) + `"}]}`, "customers[0].tenant: a string of 70000 bytes, longer than the 65536 allowed"},
		{"long YAML string", "long.yaml", "partner: {id: " + strings.Repeat("x", 70000) + "}\n", "longer than the 65536 allowed"},
		{"not UTF-8", "bad.json", "{\"partner\": {\"id\": \"\xff\"}}", "invalid UTF-8"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			p := filepath.Join(t.TempDir(), c.file)
			os.WriteFile(p, []byte(c.src), 0o644)
			code, out, errOut := runCLI(t, "", "-o", "json", p)
			if code != exitBadInput || out != "" || !strings.Contains(errOut, c.want) || !strings.Contains(errOut, c.file+":") {
				t.Errorf("exit %d, stdout %q, stderr %.300s", code, out, errOut)
			}
		})
	}
}

func TestMaxBytes(t *testing.T) {
	code, out, errOut := runCLI(t, "", "--max-bytes", "100", tc("qualified_enterprise.yaml"))
	if code != exitBadInput || out != "" || !strings.Contains(errOut, "larger than --max-bytes") {
		t.Errorf("exit %d, %q, %q", code, out, errOut)
	}
	code, _, errOut = runCLI(t, "", "--max-bytes", "300", tc("track_choice.json"))
	if code != exitBadInput || !strings.Contains(errOut, "larger than --max-bytes") {
		t.Errorf("JSON stream: exit %d, %q", code, errOut)
	}
}

// slowReader hands out its text a byte at a time, pausing before each.
type slowReader struct {
	s     string
	pause time.Duration
}

func (r *slowReader) Read(p []byte) (int, error) {
	if r.s == "" {
		return 0, io.EOF
	}
	time.Sleep(r.pause)
	p[0], r.s = r.s[0], r.s[1:]
	return 1, nil
}

// --timeout covers reading and parsing, not only the evaluation: a file
// that trickles in is given up on.
func TestTimeoutCoversReading(t *testing.T) {
	t.Parallel()
	src, err := os.ReadFile(tc("qualified_enterprise.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"yaml", "json"} {
		doc := string(src)
		if name == "json" {
			doc = `{"partner": {"id": "p"}, "month": "2026-10", "customers": [` + strings.Repeat(`{"tenant": "x"},`, 100)
		}
		var out, stderr bytes.Buffer
		code := run([]string{"--timeout", "100ms", "-"}, &slowReader{s: doc, pause: time.Millisecond}, &out, &stderr)
		if code != exitBadInput || !strings.Contains(stderr.String(), "<stdin>: reading and evaluating took longer than --timeout 100ms") {
			t.Errorf("%s: exit %d, stderr %q", name, code, stderr.String())
		}
	}
}
