package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

// chromium returns the path of a headless-capable Chromium, or "".
func chromium() string {
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome", "google-chrome-stable"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	return ""
}

func headless(t *testing.T, browser string, args ...string) []byte {
	t.Helper()
	base := []string{"--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
		"--disable-background-networking", "--disable-component-update", "--disable-sync",
		"--user-data-dir=" + t.TempDir()}
	cmd := exec.Command(browser, append(base, args...)...)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	done := make(chan error, 1)
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("%s: %v\n%s", browser, err, errb.String())
		}
	case <-time.After(90 * time.Second):
		cmd.Process.Kill()
		t.Fatal("chromium did not finish in 90s")
	}
	return out.Bytes()
}

var dataKey = regexp.MustCompile(`data-key="([^"]+)"[^>]*>([^<]*)<`)

// TestHTMLReportInBrowser loads the report of a qualifying and a
// non-qualifying partner in headless Chromium, checks that every number the
// page shows equals the JSON result's, and saves a screenshot.
func TestHTMLReportInBrowser(t *testing.T) {
	browser := chromium()
	if browser == "" {
		t.Skip("no Chromium installed (apt-get install chromium; .ci/run installs it): the report was not checked in a browser")
	}
	t.Parallel()
	for i, name := range []string{"qualified_enterprise.yaml", "metric_under_one.yaml"} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			_, page, _ := runCLI(t, "", "-o", "html", "--designation", "modern_work", tc(name))
			for _, bad := range []string{"http://", "https://", "<script", "@import"} {
				if strings.Contains(page, bad) {
					t.Errorf("the page is not self-contained: it has %q", bad)
				}
			}
			htmlPath := filepath.Join(t.TempDir(), "report.html")
			os.WriteFile(htmlPath, []byte(page), 0o644)
			// One screenshot is enough to see the page renders; the browser
			// takes it while it dumps the page.
			shot := filepath.Join(os.TempDir(), "evaluate-report-"+strings.TrimSuffix(name, ".yaml")+".png")
			args := []string{"--dump-dom", "file://" + htmlPath}
			if i == 0 {
				args = append([]string{"--window-size=1200,1600", "--screenshot=" + shot}, args...)
			}
			dom := string(headless(t, browser, args...))
			_, out, _ := runCLI(t, "", "-o", "json", "--designation", "modern_work", tc(name))
			var result map[string]any
			json.Unmarshal([]byte(out), &result)
			shown := dataKey.FindAllStringSubmatch(dom, -1)
			if len(shown) < 20 {
				t.Fatalf("the browser shows only %d numbers", len(shown))
			}
			for _, m := range shown {
				want := lookup(result, m[1])
				if want == nil {
					t.Errorf("%s: not in the JSON result", m[1])
					continue
				}
				if got := strings.TrimSpace(m[2]); got != formatLike(want) {
					t.Errorf("%s: page shows %q, JSON has %v", m[1], got, want)
				}
			}
			if i > 0 {
				return
			}
			if st, err := os.Stat(shot); err != nil || st.Size() < 10_000 {
				t.Errorf("no screenshot at %s", shot)
			}
			t.Logf("screenshot: %s", shot)
		})
	}
}

func lookup(v any, path string) any {
	for _, k := range strings.Split(path, ".") {
		m, ok := v.(map[string]any)
		if !ok {
			return nil
		}
		v = m[k]
	}
	return v
}

func formatLike(v any) string {
	if f, ok := v.(float64); ok {
		return num(f)
	}
	return fmt.Sprint(v)
}
