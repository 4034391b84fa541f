package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"

	policies "evaluate"
	"evaluate/engine"
	"evaluate/facts"
	"evaluate/gen"
	"evaluate/pcenter"
)

const importUsage = `evaluate import turns Partner Center Insights exports (CSV or TSV: OfficeUsage,
AzureUsage, the CPOR usage report, the certifications export) into fact files,
one per partner (MPNId). Which column feeds which fact, and how Partner Center's
workload names and attribution types map to the bundle's, is a mapping file
(partner_center.yaml beside the designations of the bundle; --mapping another).

Examples:
  evaluate import exports/                       one partner's exports, as a YAML fact file
  evaluate import --format json OfficeUsage.csv AzureUsage.csv > partner.json
  evaluate import --out partners/ exports/       several partners: a fact file each
  cat OfficeUsage.csv | evaluate import -        an export on stdin
  evaluate --from partner-center exports/        score the exports directly

Usage:
  evaluate import [flags] EXPORT|FOLDER...

Flags:
%s
Exit codes: 0 every partner imported, 2 an export (or a partner's rows) had problems.
`

// importFlags choose the mapping.
type importFlags struct {
	mapping string
}

func (f *importFlags) register(fs interface {
	StringVar(*string, string, string, string)
}) {
	fs.StringVar(&f.mapping, "mapping", "", "the mapping of Partner Center exports to facts (default: "+pcenter.MappingFile+" of the bundle)")
}

// load reads the mapping: --mapping, else the bundle folder's, else the
// embedded one.
func (f *importFlags) load(policiesDir string) (*pcenter.Mapping, error) {
	if f.mapping != "" {
		data, err := os.ReadFile(f.mapping)
		if err != nil {
			return nil, fmt.Errorf("--mapping %s: %v", f.mapping, unwrapPath(err))
		}
		return pcenter.ParseMapping(f.mapping, data)
	}
	if policiesDir != "" {
		p := filepath.Join(policiesDir, pcenter.MappingFile)
		if _, err := os.Stat(p); err != nil {
			p = filepath.Join(filepath.Dir(filepath.Clean(policiesDir)), pcenter.MappingFile) // a designation's folder
		}
		if data, err := os.ReadFile(p); err == nil {
			return pcenter.ParseMapping(p, data)
		}
	}
	return pcenter.LoadMapping(policies.Policies, pcenter.MappingFile)
}

// exportFiles expands folders into the export files in them, in name order.
func exportFiles(paths []string) ([]string, error) {
	var out []string
	for _, p := range paths {
		if p == "-" {
			out = append(out, p) // stdin: one export
			continue
		}
		st, err := os.Stat(p)
		if err != nil {
			return nil, fmt.Errorf("%s: %v", p, unwrapPath(err))
		}
		if !st.IsDir() {
			out = append(out, p)
			continue
		}
		entries, err := os.ReadDir(p)
		if err != nil {
			return nil, fmt.Errorf("%s: %v", p, unwrapPath(err))
		}
		n := len(out)
		for _, e := range entries {
			switch strings.ToLower(filepath.Ext(e.Name())) {
			case ".csv", ".tsv", ".txt":
				if e.Type().IsRegular() {
					out = append(out, filepath.Join(p, e.Name()))
				}
			}
		}
		if len(out) == n {
			return nil, fmt.Errorf("%s: no exports in this folder (looked for .csv, .tsv and .txt files)", p)
		}
	}
	return out, nil
}

// importExports reads exports into an import, its partners in id order;
// an error is a problem with an export as a whole (nothing is imported
// then). The caller makes the fact files (Facts) or closes the import.
func importExports(paths []string, stdin io.Reader, m *pcenter.Mapping, schema *facts.Schema) (*pcenter.Importer, []*pcenter.Partner, error) {
	files, err := exportFiles(paths)
	if err != nil {
		return nil, nil, err
	}
	im := pcenter.NewImporter(m, schema, 0, "")
	for _, name := range files {
		if name == "-" {
			if err := im.ReadFile("<stdin>", stdin); err != nil {
				im.Close()
				return nil, nil, err
			}
			continue
		}
		f, err := os.Open(name)
		if err != nil {
			im.Close()
			return nil, nil, fmt.Errorf("%s: %v", name, unwrapPath(err))
		}
		err = im.ReadFile(name, f)
		f.Close()
		if err != nil {
			im.Close()
			return nil, nil, err
		}
	}
	ps, err := im.Partners()
	if err != nil {
		im.Close()
		return nil, nil, err
	}
	return im, ps, nil
}

func runImport(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	stdout = raw(stdout) // fact files are data: every character as it is
	var (
		bf     bundleFlags
		imf    importFlags
		wf     warningFlags
		format string
		outDir string
		help   bool
	)
	fs := newFlagSet("evaluate import")
	// The bundle gives the facts the import writes and its mapping; import
	// scores nothing, so it has no --designation.
	fs.StringVar(&bf.policies, "policies", "", "policy bundle folder whose facts and "+pcenter.MappingFile+" the import uses (default: the bundle embedded in the binary)")
	imf.register(fs)
	wf.register(fs)
	fs.StringVar(&format, "format", "yaml", "the fact files' format: yaml, json, or jsonl (one partner per line)")
	fs.StringVar(&outDir, "out", "", "write a fact file per partner into this folder (<partner id>.yaml or .json) rather than to stdout")
	fs.BoolVarP(&help, "help", "h", false, "show this help")
	if err := parseFlags(fs, args); err != nil {
		return usageError(stderr, "evaluate import", err)
	}
	if help {
		fmt.Fprintf(stdout, importUsage, fs.FlagUsages())
		return exitQualified
	}
	warn, err := wf.mode(fs)
	if err != nil {
		return usageError(stderr, "evaluate import", err)
	}
	switch {
	case format != "yaml" && format != "json" && format != "jsonl":
		return usageError(stderr, "evaluate import", fmt.Errorf("--format %q: want yaml, json or jsonl", format))
	case outDir != "" && format == "jsonl":
		return usageError(stderr, "evaluate import", fmt.Errorf("--out writes a file per partner; --format jsonl writes one stream: give one"))
	case fs.NArg() == 0:
		return usageError(stderr, "evaluate import", fmt.Errorf("no export given"))
	}
	m, err := imf.load(bf.policies)
	if err != nil {
		fmt.Fprintf(stderr, "evaluate import: %v\n", err)
		return exitBadInput
	}
	bundle, err := bf.load(context.Background())
	if err != nil {
		return bundleError(stderr, "evaluate import", err)
	}
	im, partners, err := importExports(fs.Args(), stdin, m, &bundle.Schema)
	if err != nil {
		fmt.Fprintln(stderr, err)
		return exitBadInput
	}
	defer im.Close()
	for _, n := range im.Notices() {
		fmt.Fprintf(stderr, "notice: %s\n", n)
	}
	if len(partners) == 0 {
		fmt.Fprintln(stderr, "evaluate import: the exports hold no partner's rows (only their header)")
		return exitBadInput
	}
	code := exitQualified
	var good []string
	for _, p := range partners {
		if len(p.Problems) > 0 {
			fmt.Fprintf(stderr, "partner %s is not imported:\n%v\n", p.ID, p.Problems)
			code = exitBadInput
			continue
		}
		good = append(good, p.ID)
	}
	if len(good) > 1 && outDir == "" && format != "jsonl" {
		fmt.Fprintf(stderr, "evaluate import: the exports hold %d partners (%s): write them into a folder with --out DIR, or as --format jsonl\n", len(good), strings.Join(good, ", "))
		return exitBadInput
	}
	if outDir != "" {
		if err := os.MkdirAll(outDir, 0o755); err != nil {
			fmt.Fprintf(stderr, "evaluate import: %v\n", err)
			return exitBadInput
		}
	}
	names := map[string]bool{} // the files written, so that two ids never share one
	err = im.Facts(partners, func(p *pcenter.Partner, fact *gen.Object) error {
		defer printImportWarnings(stderr, p, warn)
		if outDir == "" {
			if err := gen.Write(stdout, fact, format); err != nil {
				return fmt.Errorf("write output: %v", err)
			}
			return nil
		}
		// Written beside and renamed into place, so that an import cut
		// short never leaves a partial fact file that would score.
		name := filepath.Join(outDir, safeFileName(p.ID)+"."+format)
		for n := 2; names[name]; n++ {
			name = filepath.Join(outDir, fmt.Sprintf("%s-%d.%s", safeFileName(p.ID), n, format))
		}
		names[name] = true
		f, err := os.CreateTemp(outDir, "."+safeFileName(p.ID)+"-*.partial")
		if err != nil {
			return err
		}
		err = gen.Write(f, fact, format)
		if err == nil {
			err = f.Chmod(0o644)
		}
		if cerr := f.Close(); err == nil {
			err = cerr
		}
		if err == nil {
			err = os.Rename(f.Name(), name)
		}
		if err != nil {
			os.Remove(f.Name())
			return err
		}
		fmt.Fprintf(stderr, "wrote %s\n", name)
		return nil
	})
	if err != nil {
		fmt.Fprintf(stderr, "evaluate import: %v\n", err)
		return exitBadInput
	}
	printUnimportedWarnings(stderr, partners, warn)
	return code
}

// printImportWarnings prints a partner's import warnings as the run's
// --warnings says, under the partner's name.
func printImportWarnings(stderr io.Writer, p *pcenter.Partner, warn warningMode) {
	printWarnings(stderr, &report{File: "partner-center:" + p.ID, Problems: p.Warnings()}, warn)
}

// printUnimportedWarnings prints the warnings of the partners not imported
// (Facts gathers them too).
func printUnimportedWarnings(stderr io.Writer, partners []*pcenter.Partner, warn warningMode) {
	for _, p := range partners {
		if len(p.Problems) > 0 {
			printImportWarnings(stderr, p, warn)
		}
	}
}

// safeFileName keeps letters, digits, '-', '_' and '.' of a partner id.
func safeFileName(id string) string {
	out := []rune{}
	for _, r := range id {
		if r == '-' || r == '_' || r == '.' || r >= '0' && r <= '9' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' {
			out = append(out, r)
		} else {
			out = append(out, '_')
		}
	}
	if len(out) == 0 || out[0] == '.' {
		out = append([]rune{'p'}, out...)
	}
	return string(out)
}

// fromPartnerCenter makes the sources of --from partner-center: one JSON
// fact file per partner of the exports, written to a temporary file (done
// removes them) and read as any fact file is, or the partner's problems in
// its place. An error is a problem with an export as a whole.
func fromPartnerCenter(paths []string, stdin io.Reader, imf importFlags, policiesDir string, bundle *engine.Bundle, warn warningMode, stderr io.Writer) (srcs []source, done func(), err error) {
	m, err := imf.load(policiesDir)
	if err != nil {
		return nil, nil, err
	}
	im, partners, err := importExports(paths, stdin, m, &bundle.Schema)
	if err != nil {
		return nil, nil, err
	}
	for _, n := range im.Notices() {
		fmt.Fprintf(stderr, "notice: %s\n", n)
	}
	dir, err := os.MkdirTemp("", "evaluate-partner-center-")
	if err != nil {
		im.Close()
		return nil, nil, err
	}
	done = func() { os.RemoveAll(dir) }
	for _, p := range partners {
		if len(p.Problems) > 0 {
			fmt.Fprintf(stderr, "partner %s is not scored: its export rows have %d %s (below)\n", p.ID, len(p.Problems), plural(len(p.Problems), "problem", "problems"))
			srcs = append(srcs, source{name: "partner-center:" + p.ID, err: p.Problems})
		}
	}
	n := 0 // the files are numbered: two ids may make one safe file name
	err = im.Facts(partners, func(p *pcenter.Partner, fact *gen.Object) error {
		n++
		path := filepath.Join(dir, fmt.Sprintf("%06d.json", n))
		f, err := os.Create(path)
		if err != nil {
			return err
		}
		err = gen.Write(f, fact, "jsonl")
		var size int64
		if st, serr := f.Stat(); serr == nil {
			size = st.Size()
		}
		if cerr := f.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			return err
		}
		// Its warnings are the result's (JSON included), printed with the
		// fact file's as --warnings says.
		srcs = append(srcs, source{name: "partner-center:" + p.ID, path: path, size: size, imported: &imported{warnings: p.Warnings()}})
		return nil
	})
	printUnimportedWarnings(stderr, partners, warn)
	if err != nil {
		done()
		return nil, nil, err
	}
	if len(srcs) == 0 {
		done()
		return nil, nil, errors.New("the exports hold no partner's rows")
	}
	slices.SortStableFunc(srcs, func(a, b source) int { return strings.Compare(a.name, b.name) })
	return srcs, done, nil
}
