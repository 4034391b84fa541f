package main

import (
	"bytes"
	"io"
	"math"
	"runtime"
	"runtime/debug"
	"strings"
	"testing"
	"time"

	"evaluate/facts"
)

func TestByteSize(t *testing.T) {
	for _, c := range []struct {
		in   string
		want int64
		ok   bool
	}{
		{"1048576", 1 << 20, true}, {"500MB", 500e6, true}, {"2GiB", 2 << 30, true}, {"1.5KiB", 1536, true},
		{"0", 0, true}, {"10 kB", 10e3, true}, {"-1", 0, false}, {"lots", 0, false}, {"5XB", 0, false},
	} {
		var b byteSize
		err := b.Set(c.in)
		if (err == nil) != c.ok || c.ok && int64(b) != c.want {
			t.Errorf("Set(%q) = %d, %v; want %d, ok %v", c.in, b, err, c.want, c.ok)
		}
	}
	for n, want := range map[int64]string{1 << 30: "1GiB", 500e6: "500MB", 12345: "12345 bytes", 1536: "1536 bytes", 1: "1 byte", 0: "0 bytes"} {
		if got := formatBytes(n); got != want {
			t.Errorf("formatBytes(%d) = %q, want %q", n, got, want)
		}
	}
}

func TestNum(t *testing.T) {
	for in, want := range map[float64]string{
		69.9975: "69.99", 0.9975: "0.99", 70: "70", 0.29: "0.29", 77.5: "77.5",
		69.99999999999999: "70", 13.333333333333334: "13.33", -0.0001: "-0.01", 0: "0",
	} {
		if got := num(in); got != want {
			t.Errorf("num(%v) = %q, want %q", in, got, want)
		}
	}
	if pointsText(1) != "1 point" || pointsText(0.9975) != "0.99 points" || pointsText(2) != "2 points" {
		t.Errorf("pointsText: %q %q %q", pointsText(1), pointsText(0.9975), pointsText(2))
	}
}

func TestProgressLine(t *testing.T) {
	start := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	p := &progress{total: 1000, start: start, bytes: 250, docs: 50}
	got := p.line(start.Add(10 * time.Second))
	if want := "[#######.......................]  25% 50 partners, 5/s, 0:30 left"; got != want {
		t.Errorf("got  %q\nwant %q", got, want)
	}
	p = &progress{start: start, docs: 1}
	if got := p.line(start.Add(2 * time.Second)); got != "1 partner, 0/s" && got != "1 partner, 1/s" {
		t.Errorf("unknown size: %q", got)
	}
	if clock(3725*time.Second) != "1:02:05" {
		t.Errorf("clock: %q", clock(3725*time.Second))
	}
}

// The bar is drawn on a terminal only, and never on a pipe or a file.
func TestProgressOnlyOnATerminal(t *testing.T) {
	if newProgress(&bytes.Buffer{}, 100) != nil {
		t.Error("a bar on a buffer")
	}
	defer func(f func(io.Writer) bool) { isTerminal = f }(isTerminal)
	isTerminal = func(io.Writer) bool { return true }
	var stderr bytes.Buffer
	code := run([]string{"-o", "jsonl", tc("exact_70.yaml"), tc("seat_bounds.yaml")}, nil, io.Discard, &stderr)
	if code != exitNotQualified || !strings.Contains(stderr.String(), "\r\033[K[") || !strings.Contains(stderr.String(), " left") {
		t.Errorf("exit %d, stderr %q", code, stderr.String())
	}
}

func TestVCSRevision(t *testing.T) {
	info := &debug.BuildInfo{Settings: []debug.BuildSetting{
		{Key: "vcs.revision", Value: "0123456789abcdef0123"}, {Key: "vcs.time", Value: "2026-12-01T10:00:00Z"}, {Key: "vcs.modified", Value: "true"},
	}}
	if got := vcsRevision(info); got != "rev 0123456789ab (2026-12-01T10:00:00Z) modified" {
		t.Errorf("got %q", got)
	}
	if got := vcsRevision(&debug.BuildInfo{}); got != "" {
		t.Errorf("no stamp: %q", got)
	}
}

func TestWarningSummary(t *testing.T) {
	w := func(kind, key string) facts.Problem {
		return facts.Problem{File: "p.yaml", Line: 3, Message: strings.TrimSpace(key + " is ignored"), Kind: kind, Key: key}
	}
	r := &report{File: "p.yaml", Problems: []facts.Problem{
		w("workloads ignored", "PowerBI"), w("workloads ignored", "Dynamics365"), w("workloads ignored", "PowerBI"),
		w("rows odd", ""), w("rows odd", ""), w("once", "x"),
	}}
	var out bytes.Buffer
	printWarnings(&out, r, warningsSummary)
	want := "warning: p.yaml: 3 workloads ignored: PowerBI ×2, Dynamics365 ×1 (--warnings all lists each)\n" +
		"warning: p.yaml: 2 rows odd, the first: p.yaml:3: is ignored (--warnings all lists each)\n" +
		"warning: p.yaml:3: x is ignored\n"
	if out.String() != want {
		t.Errorf("got\n%s\nwant\n%s", out.String(), want)
	}
	out.Reset()
	printWarnings(&out, r, warningsAll)
	if strings.Count(out.String(), "\n") != 6 {
		t.Errorf("all: %s", out.String())
	}
	out.Reset()
	printWarnings(&out, r, warningsNone)
	if out.Len() != 0 {
		t.Errorf("none: %s", out.String())
	}
}

func TestPercentFor(t *testing.T) {
	for _, c := range []struct {
		live uint64
		want int
	}{
		{0, 100},
		{1 << 20, gcPercentMax}, // would be 4700: capped
		{heapFloor / 3, 200},    // the next collection at the floor
		{heapFloor / 2, 100},    // as by default, from the formula
		{heapFloor * 3 / 5, 66}, // near the floor: sooner than by default
		{heapFloor * 5 / 8, 60},
		{heapFloor*2/3 - 1, 50},
		{heapFloor * 2 / 3, 100}, // past 2/3 of the floor: the default
		{heapFloor * 10, 100},
		{1 << 40, 100},
	} {
		if got := paceOnePartner.percentFor(c.live); got != c.want {
			t.Errorf("paceOnePartner.percentFor(%d) = %d, want %d", c.live, got, c.want)
		}
	}
	// A population aims higher: a 20 MiB live heap is next collected at
	// its floor, a tiny one at most at 9 times itself.
	for _, c := range []struct {
		live uint64
		want int
	}{
		{20 << 20, (populationFloor - 20<<20) * 100 / (20 << 20)},
		{1 << 20, populationMax},
		{populationFloor * 2 / 3, 100},
	} {
		if got := pacePopulation.percentFor(c.live); got != c.want {
			t.Errorf("pacePopulation.percentFor(%d) = %d, want %d", c.live, got, c.want)
		}
	}
}

// The collector is paced by the live heap, never by a soft limit: with a
// live heap far above the pacer's floor, collections come as with Go's
// default, not back to back (issue #14: a soft limit with the collector
// off did that).
func TestGCPacing(t *testing.T) {
	before := debug.SetGCPercent(37)
	limit := debug.SetMemoryLimit(-1)
	// Registered before t.Setenv's, so run after the environment is back:
	// the pacer as the other tests' runs left it.
	t.Cleanup(func() {
		debug.SetGCPercent(before)
		debug.SetMemoryLimit(limit)
		tuneGC()
	})
	t.Setenv("GOGC", "")
	t.Setenv("GOMEMLIMIT", "")
	debug.SetMemoryLimit(1 << 20)
	tuneGC()
	if got := debug.SetMemoryLimit(-1); got != math.MaxInt64 {
		t.Errorf("memory limit %d: a soft limit can make the collector run back to back", got)
	}
	// 4 times the floor live, then 8 times the floor allocated and dropped:
	// paced as by default, that is about 2 collections; back to back, dozens.
	live := make([][]byte, 0, 4*heapFloor>>20)
	for range cap(live) {
		live = append(live, make([]byte, 1<<20))
	}
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	start := ms.NumGC
	for range 8 * heapFloor >> 16 {
		sink = make([]byte, 1<<16)
	}
	runtime.ReadMemStats(&ms)
	if n := ms.NumGC - start; n > 6 {
		t.Errorf("%d collections while allocating twice the live heap", n)
	}
	runtime.KeepAlive(live)
	// GOGC in the environment wins, and stops the pacer.
	t.Setenv("GOGC", "50")
	tuneGC()
	debug.SetGCPercent(77)
	runtime.GC()
	runtime.GC()
	if got := debug.SetGCPercent(77); got != 77 {
		t.Errorf("with GOGC set, the GC percent became %d", got)
	}
}

var sink []byte
