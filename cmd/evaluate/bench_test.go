package main

import (
	"bufio"
	"bytes"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"slices"
	"strconv"
	"sync"
	"testing"
	"time"

	"evaluate/engine"
	"evaluate/facts"
	"evaluate/gen"

	jsonv2 "github.com/go-json-experiment/json"
	"github.com/go-json-experiment/json/jsontext"
	"gopkg.in/yaml.v3"
)

// Benchmarks of the whole CLI path beside plain decodes of the same input:
// the targets of the README are ratios to them. Run with
//
//	go test ./cmd/evaluate -run '^$' -bench . -benchtime 1x
//
// (the large inputs take a while to generate, once per run).

var (
	benchDir  string
	benchOnce sync.Once
	benchMu   sync.Mutex
	benchMade = map[string]bool{}
)

// benchInput writes (once) a synthetic partner of n tenants in format
// (json or yaml), or with partners > 1 a JSON Lines population, and
// returns its path.
func benchInput(b *testing.B, tenants, partners int, format string) string {
	benchOnce.Do(func() {
		benchDir, _ = os.MkdirTemp("", "evaluate-bench-")
	})
	benchMu.Lock()
	defer benchMu.Unlock()
	name := "p-" + strconv.Itoa(tenants) + "." + format
	if partners > 1 {
		name = "pop-" + strconv.Itoa(partners) + "x" + strconv.Itoa(tenants) + ".jsonl"
	}
	path := filepath.Join(benchDir, name)
	if benchMade[path] {
		return path
	}
	bundle, err := engine.Default(b.Context())
	if err != nil {
		b.Fatal(err)
	}
	m, _ := facts.ParseMonth("2026-10")
	f, err := os.Create(path)
	if err != nil {
		b.Fatal(err)
	}
	w := bufio.NewWriter(f)
	o := gen.Options{Seed: 1, Tenants: tenants, Month: m, Schema: &bundle.Schema}
	switch {
	case partners > 1:
		err = gen.WriteJSONLines(w, o, partners)
	case format == "yaml":
		err = gen.WriteYAML(w, o)
	default:
		err = gen.WriteJSON(w, o)
	}
	if err == nil {
		err = w.Flush()
	}
	f.Close()
	if err != nil {
		b.Fatal(err)
	}
	benchMade[path] = true
	return path
}

// removeBenchInputs removes the generated benchmark inputs (hundreds of
// megabytes) when the package's tests and benchmarks are done.
func removeBenchInputs() {
	if benchDir != "" {
		os.RemoveAll(benchDir)
	}
}

func benchRun(b *testing.B, args ...string) {
	tuneGC() // as main does
	var stderr bytes.Buffer
	if code := run(args, nil, io.Discard, &stderr); code == exitBadInput {
		b.Fatalf("exit %d: %s", code, stderr.Bytes()[:min(stderr.Len(), 2000)])
	}
}

// The fact file as plain Go structs, for the decodes.
type (
	plainDoc struct {
		Partner   plainPartner    `json:"partner" yaml:"partner"`
		Month     string          `json:"month" yaml:"month"`
		AsOf      string          `json:"as_of" yaml:"as_of"`
		Customers []plainCustomer `json:"customers" yaml:"customers"`
		People    []plainPerson   `json:"people" yaml:"people"`
	}
	plainPartner struct {
		ID   string `json:"id" yaml:"id"`
		Name string `json:"name" yaml:"name"`
	}
	plainCustomer struct {
		Tenant       string `json:"tenant" yaml:"tenant"`
		Name         string `json:"name" yaml:"name"`
		Associations []struct {
			Type string `json:"type" yaml:"type"`
			From string `json:"from" yaml:"from"`
			To   string `json:"to" yaml:"to"`
			Tier int    `json:"tier" yaml:"tier"`
			Role string `json:"role" yaml:"role"`
		} `json:"associations" yaml:"associations"`
		Workloads []struct {
			Workload string `json:"workload" yaml:"workload"`
			Usage    []struct {
				Month       string `json:"month" yaml:"month"`
				PaidSeats   int64  `json:"paid_seats" yaml:"paid_seats"`
				ActiveUsers int64  `json:"active_users" yaml:"active_users"`
			} `json:"usage" yaml:"usage"`
		} `json:"workloads" yaml:"workloads"`
		Azure []struct {
			Service   string `json:"service" yaml:"service"`
			OfferType string `json:"offer_type" yaml:"offer_type"`
			Usage     []struct {
				Month  string  `json:"month" yaml:"month"`
				ACRUSD float64 `json:"acr_usd" yaml:"acr_usd"`
			} `json:"usage" yaml:"usage"`
		} `json:"azure" yaml:"azure"`
		BusinessApps []struct {
			Workload string `json:"workload" yaml:"workload"`
			Usage    []struct {
				Month       string  `json:"month" yaml:"month"`
				RevenueUSD  float64 `json:"revenue_usd" yaml:"revenue_usd"`
				ActiveUsers int64   `json:"active_users" yaml:"active_users"`
				Capacity    int64   `json:"capacity" yaml:"capacity"`
			} `json:"usage" yaml:"usage"`
		} `json:"business_apps" yaml:"business_apps"`
	}
	plainPerson struct {
		ID             string `json:"id" yaml:"id"`
		Name           string `json:"name" yaml:"name"`
		Certifications []struct {
			Name    string `json:"name" yaml:"name"`
			Earned  string `json:"earned" yaml:"earned"`
			Expires string `json:"expires" yaml:"expires"`
		} `json:"certifications" yaml:"certifications"`
	}
)

// decoder is one plain decode of an input file.
type decoder func(b *testing.B, path string)

// plainDefaults runs a decode with Go's collector defaults (the pacer,
// started by an evaluate run before, stopped).
func plainDefaults() {
	stopPacer()
	debug.SetGCPercent(100)
	debug.SetMemoryLimit(math.MaxInt64)
}

// decodeStd decodes with encoding/json into the plain structs: the whole
// document (JSON Lines: one document at a time).
func decodeStd(b *testing.B, path string) {
	plainDefaults()
	f, err := os.Open(path)
	if err != nil {
		b.Fatal(err)
	}
	defer f.Close()
	dec := json.NewDecoder(bufio.NewReaderSize(f, 1<<16))
	for {
		var d plainDoc
		if err := dec.Decode(&d); err == io.EOF {
			return
		} else if err != nil {
			b.Fatal(err)
		}
	}
}

// decodeStream decodes with go-json-experiment/json, one thread, a
// streaming jsontext.Decoder, one customer at a time into a struct (the
// reference of the README's targets for JSON).
func decodeStream(b *testing.B, path string) {
	plainDefaults()
	f, err := os.Open(path)
	if err != nil {
		b.Fatal(err)
	}
	defer f.Close()
	dec := jsontext.NewDecoder(bufio.NewReaderSize(f, 1<<16))
	for {
		if _, err := dec.ReadToken(); errors.Is(err, io.EOF) { // {
			return
		} else if err != nil {
			b.Fatal(err)
		}
		for dec.PeekKind() != '}' {
			tok, err := dec.ReadToken()
			if err != nil {
				b.Fatal(err)
			}
			key := tok.String() // the token is voided by the next read
			switch key {
			case "customers", "people":
				if _, err := dec.ReadToken(); err != nil { // [
					b.Fatal(err)
				}
				for dec.PeekKind() != ']' {
					var err error
					if key == "customers" {
						var c plainCustomer
						err = jsonv2.UnmarshalDecode(dec, &c)
					} else {
						var p plainPerson
						err = jsonv2.UnmarshalDecode(dec, &p)
					}
					if err != nil {
						b.Fatal(err)
					}
				}
				if _, err := dec.ReadToken(); err != nil { // ]
					b.Fatal(err)
				}
			default:
				if _, err := dec.ReadValue(); err != nil {
					b.Fatal(err)
				}
			}
		}
		if _, err := dec.ReadToken(); err != nil { // }
			b.Fatal(err)
		}
	}
}

// decodeYAML decodes the whole file with yaml.v3 into the plain structs.
func decodeYAML(b *testing.B, path string) {
	plainDefaults()
	data, err := os.ReadFile(path)
	if err != nil {
		b.Fatal(err)
	}
	var d plainDoc
	if err := yaml.Unmarshal(data, &d); err != nil {
		b.Fatal(err)
	}
}

// benchRatio runs a plain decode and evaluate alternately, three times
// each, and reports the median of evaluate's time over the decode's
// ("x-decode"). On a machine whose speed drifts (this one's does, by a
// third), runs taken in pairs compare better than two benchmarks apart.
func benchRatio(b *testing.B, dec decoder, path string, args ...string) {
	for b.Loop() {
		var ratios []float64
		for range 3 {
			clean()
			start := time.Now()
			dec(b, path)
			d := time.Since(start)
			clean()
			start = time.Now()
			benchRun(b, append(args, path)...)
			ratios = append(ratios, float64(time.Since(start))/float64(d))
		}
		slices.Sort(ratios)
		b.ReportMetric(ratios[1], "x-decode")
	}
}

// clean collects what the run before left and returns it to the system,
// untimed: each run starts from an empty heap instead of sweeping the last
// one's garbage (an encoding/json decode of a 631 MB file leaves gigabytes).
func clean() {
	runtime.GC()
	debug.FreeOSMemory()
}

func benchCLI(b *testing.B, args ...string) {
	b.ReportAllocs()
	for b.Loop() {
		benchRun(b, args...)
	}
}

func benchDecode(b *testing.B, dec decoder, path string) {
	for b.Loop() {
		dec(b, path)
	}
}

// The inputs: one partner of 1k, 10k or 100k tenants; 10k tenants as YAML;
// 2,000 partners of 50 tenants as JSON Lines.
func BenchmarkCLI1k(b *testing.B)   { benchCLI(b, "-o", "json", benchInput(b, 1000, 1, "json")) }
func BenchmarkCLI10k(b *testing.B)  { benchCLI(b, "-o", "json", benchInput(b, 10000, 1, "json")) }
func BenchmarkCLI100k(b *testing.B) { benchCLI(b, "-o", "json", benchInput(b, 100000, 1, "json")) }
func BenchmarkCLIYAML10k(b *testing.B) {
	benchCLI(b, "-o", "json", benchInput(b, 10000, 1, "yaml"))
}
func BenchmarkBatch2000x50(b *testing.B) {
	benchCLI(b, "-o", "jsonl", "--jsonl", benchInput(b, 50, 2000, "json"))
}

func BenchmarkDecodeStream100k(b *testing.B) {
	benchDecode(b, decodeStream, benchInput(b, 100000, 1, "json"))
}
func BenchmarkDecodeStd100k(b *testing.B) {
	benchDecode(b, decodeStd, benchInput(b, 100000, 1, "json"))
}
func BenchmarkDecodeYAML10k(b *testing.B) {
	benchDecode(b, decodeYAML, benchInput(b, 10000, 1, "yaml"))
}
func BenchmarkDecodeStreamBatch2000x50(b *testing.B) {
	benchDecode(b, decodeStream, benchInput(b, 50, 2000, "json"))
}

// The targets as ratios, each from alternating runs (README, Benchmarks).
func BenchmarkRatio100kStream(b *testing.B) {
	benchRatio(b, decodeStream, benchInput(b, 100000, 1, "json"), "-o", "json")
}
func BenchmarkRatio100kStd(b *testing.B) {
	benchRatio(b, decodeStd, benchInput(b, 100000, 1, "json"), "-o", "json")
}
func BenchmarkRatioYAML10k(b *testing.B) {
	benchRatio(b, decodeYAML, benchInput(b, 10000, 1, "yaml"), "-o", "json")
}
func BenchmarkRatioBatch2000x50(b *testing.B) {
	benchRatio(b, decodeStream, benchInput(b, 50, 2000, "json"), "-o", "jsonl", "--jsonl")
}

// BenchmarkRatioBatch2000x50Std is the population beside encoding/json,
// issue #12's reference.
func BenchmarkRatioBatch2000x50Std(b *testing.B) {
	benchRatio(b, decodeStd, benchInput(b, 50, 2000, "json"), "-o", "jsonl", "--jsonl")
}

// officeUsageInput writes (once) an OfficeUsage export of rows rows: 25
// months of one workload for rows/25 tenants.
func officeUsageInput(b *testing.B, rows int) string {
	benchOnce.Do(func() { benchDir, _ = os.MkdirTemp("", "evaluate-bench-") })
	benchMu.Lock()
	defer benchMu.Unlock()
	path := filepath.Join(benchDir, "OfficeUsage-"+strconv.Itoa(rows)+".csv")
	if benchMade[path] {
		return path
	}
	f, err := os.Create(path)
	if err != nil {
		b.Fatal(err)
	}
	w := bufio.NewWriterSize(f, 1<<16)
	w.WriteString("MPNId,PartnerName,CustomerTenantId,CustomerName,WorkloadName,Month,PaidAvailableUnits,MonthlyActiveUsers,PartnerAttributionType,IsDuplicateRowForPGA\n")
	workloads := []string{"EXO", "Teams", "SPO", "Intune"}
	kinds := []string{"CPOR", "DPOR", "CSP Tier 1", "CSP Tier 2"}
	start, _ := facts.ParseMonth("2024-10")
	for t := 0; t < rows/25; t++ {
		seats := 5 + t*7919%5000
		for m := range 25 {
			fmt.Fprintf(w, "4711001,Contoso,%08x-0000-4000-8000-%012x,Tenant %d,%s,%s,%d,%d,%s,0\n",
				t, t, t, workloads[t%4], start+facts.Month(m), seats, (seats*(m+3))/30, kinds[t/4%4])
		}
	}
	if err := w.Flush(); err != nil {
		b.Fatal(err)
	}
	f.Close()
	benchMade[path] = true
	return path
}

// BenchmarkImport1M imports a 1-million-row OfficeUsage export (one
// partner) to a JSON Lines fact file; BenchmarkCSVRead1M reads the same
// file with encoding/csv and nothing else, the floor.
func BenchmarkImport1M(b *testing.B) {
	benchCLI(b, "import", "--format", "jsonl", officeUsageInput(b, 1_000_000))
}

// BenchmarkImport3M imports three times as many rows: with the rows
// spilled to sorted runs, peak memory is that of the 1-million-row import.
func BenchmarkImport3M(b *testing.B) {
	benchCLI(b, "import", "--format", "jsonl", officeUsageInput(b, 3_000_000))
}

func BenchmarkCSVRead1M(b *testing.B) {
	path := officeUsageInput(b, 1_000_000)
	for b.Loop() {
		plainDefaults()
		f, err := os.Open(path)
		if err != nil {
			b.Fatal(err)
		}
		r := csv.NewReader(bufio.NewReaderSize(f, 1<<16))
		r.ReuseRecord = true
		for {
			if _, err := r.Read(); err == io.EOF {
				break
			} else if err != nil {
				b.Fatal(err)
			}
		}
		f.Close()
	}
}
