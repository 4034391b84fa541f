package main

import (
	"bufio"
	"encoding/json"
	"io"
	"math"
	"os"
	"path/filepath"
	"runtime/debug"
	"slices"
	"strconv"
	"sync"
	"testing"
	"time"

	"evaluate/engine"
	"evaluate/facts"
	"evaluate/gen"
)

// Benchmarks of the whole CLI path beside a plain encoding/json decode of
// the same input, the floor for a reader that does not stream. Run with
//
//	go test ./cmd/evaluate -run '^$' -bench . -benchtime 1x
//
// (the 100k files take a while to generate, once per run).

var (
	benchDir  string
	benchOnce sync.Once
	benchMu   sync.Mutex
	benchMade = map[string]string{}
)

// benchInput writes (once) a synthetic partner of n tenants, or with
// partners > 1 a JSON Lines population, and returns its path.
func benchInput(b *testing.B, tenants, partners int) string {
	benchOnce.Do(func() {
		benchDir, _ = os.MkdirTemp("", "evaluate-bench-")
	})
	benchMu.Lock()
	defer benchMu.Unlock()
	key := filepath.Join(benchDir, func() string {
		if partners > 1 {
			return "pop-" + itoa(partners) + "x" + itoa(tenants) + ".jsonl"
		}
		return "p-" + itoa(tenants) + ".json"
	}())
	if _, ok := benchMade[key]; ok {
		return key
	}
	bundle, err := engine.Default(b.Context())
	if err != nil {
		b.Fatal(err)
	}
	m, _ := facts.ParseMonth("2026-10")
	f, err := os.Create(key)
	if err != nil {
		b.Fatal(err)
	}
	w := bufio.NewWriter(f)
	o := gen.Options{Seed: 1, Tenants: tenants, Month: m, Vocabulary: bundle.Vocabulary}
	if partners > 1 {
		err = gen.WriteJSONLines(w, o, partners)
	} else {
		err = gen.WriteJSON(w, o)
	}
	if err == nil {
		err = w.Flush()
	}
	f.Close()
	if err != nil {
		b.Fatal(err)
	}
	benchMade[key] = key
	return key
}

func itoa(n int) string { return strconv.Itoa(n) }

// removeBenchInputs removes the generated benchmark inputs (hundreds of
// megabytes) when the package's tests and benchmarks are done.
func removeBenchInputs() {
	if benchDir != "" {
		os.RemoveAll(benchDir)
	}
}

func benchCLI(b *testing.B, args ...string) {
	b.ReportAllocs()
	for b.Loop() {
		benchRun(b, args...)
	}
}

func benchRun(b *testing.B, args ...string) {
	tuneGC() // as main does
	if code := run(args, nil, io.Discard, io.Discard); code == exitBadInput {
		b.Fatalf("exit %d", code)
	}
}

// plainDoc is the fact file as plain Go structs, for the decode floor.
type plainDoc struct {
	Partner   struct{ ID, Name string } `json:"partner"`
	Month     string                    `json:"month"`
	Customers []struct {
		Tenant       string `json:"tenant"`
		Associations []struct {
			Type, From, To string
			Tier           int
		} `json:"associations"`
		Workloads []struct {
			Workload string `json:"workload"`
			Usage    []struct {
				Month       string `json:"month"`
				PaidSeats   int64  `json:"paid_seats"`
				ActiveUsers int64  `json:"active_users"`
			} `json:"usage"`
		} `json:"workloads"`
	} `json:"customers"`
	People []struct {
		ID             string `json:"id"`
		Certifications []struct{ Name, Earned, Expires string }
	} `json:"people"`
}

func benchDecode(b *testing.B, path string, lines bool) {
	for b.Loop() {
		decode(b, path, lines)
	}
}

func decode(b *testing.B, path string, lines bool) {
	debug.SetGCPercent(100) // the plain decode runs with Go's defaults
	debug.SetMemoryLimit(math.MaxInt64)
	f, err := os.Open(path)
	if err != nil {
		b.Fatal(err)
	}
	defer f.Close()
	dec := json.NewDecoder(bufio.NewReaderSize(f, 1<<16))
	for {
		var d plainDoc
		if err := dec.Decode(&d); err == io.EOF {
			break
		} else if err != nil {
			b.Fatal(err)
		}
		if !lines {
			break
		}
	}
}

// benchRatio runs the plain decode and evaluate alternately, three times
// each, and reports the median of evaluate's time over the decode's
// ("x-decode"). On a machine whose speed drifts (this one's does, by a
// third), runs taken in pairs compare better than two benchmarks apart.
func benchRatio(b *testing.B, path string, lines bool, args ...string) {
	for b.Loop() {
		var ratios []float64
		for range 3 {
			start := time.Now()
			decode(b, path, lines)
			d := time.Since(start)
			start = time.Now()
			benchRun(b, append(args, path)...)
			ratios = append(ratios, float64(time.Since(start))/float64(d))
		}
		slices.Sort(ratios)
		b.ReportMetric(ratios[1], "x-decode")
	}
}

func BenchmarkCLI1k(b *testing.B)    { benchCLI(b, "-o", "json", benchInput(b, 1000, 1)) }
func BenchmarkDecode1k(b *testing.B) { benchDecode(b, benchInput(b, 1000, 1), false) }
func BenchmarkCLI10k(b *testing.B)   { benchCLI(b, "-o", "json", benchInput(b, 10000, 1)) }
func BenchmarkDecode10k(b *testing.B) {
	benchDecode(b, benchInput(b, 10000, 1), false)
}
func BenchmarkCLI100k(b *testing.B) { benchCLI(b, "-o", "json", benchInput(b, 100000, 1)) }
func BenchmarkDecode100k(b *testing.B) {
	benchDecode(b, benchInput(b, 100000, 1), false)
}

// The population: 2,000 partners of 50 tenants as JSON Lines.
func BenchmarkBatch2000x50(b *testing.B) {
	benchCLI(b, "-o", "jsonl", "--jsonl", benchInput(b, 50, 2000))
}
func BenchmarkDecodeBatch2000x50(b *testing.B) { benchDecode(b, benchInput(b, 50, 2000), true) }

// The targets as ratios, each from alternating runs: a 100k-tenant file
// within 1.5x of its plain decode, the population within 1x.
func BenchmarkRatio100k(b *testing.B) {
	benchRatio(b, benchInput(b, 100000, 1), false, "-o", "json")
}
func BenchmarkRatioBatch2000x50(b *testing.B) {
	benchRatio(b, benchInput(b, 50, 2000), true, "-o", "jsonl", "--jsonl")
}
