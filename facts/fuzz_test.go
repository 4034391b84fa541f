package facts

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"
)

// addSeeds adds every golden and invalid fact file as a seed.
func addSeeds(f *testing.F) {
	for _, pattern := range []string{"../testcases/*.yaml", "../testcases/*/*.yaml", "../testcases/*/*.json", "../testcases/*/*/fact.yaml"} {
		files, _ := filepath.Glob(pattern)
		for _, p := range files {
			if data, err := os.ReadFile(p); err == nil {
				f.Add(data)
			}
		}
	}
}

// FuzzParseYAML: any input either loads or fails with an error, never a
// panic or a hang; a file that loads can be windowed; the split parse
// (customers item by item) and the whole parse agree.
func FuzzParseYAML(f *testing.F) {
	addSeeds(f)
	schema := testSchema
	f.Fuzz(func(t *testing.T, data []byte) {
		file, err := Parse("fuzz.yaml", 1, data, schema)
		if err == nil {
			file.Window(WindowOptions{})
		}
		whole, errWhole := parseYAML(data)
		split, errSplit := splitTree(data)
		if (errWhole == nil) != (errSplit == nil) {
			t.Fatalf("whole %v, split %v", errWhole, errSplit)
		}
		if errWhole == nil && tree(whole) != tree(split) {
			t.Fatalf("the split parse differs from the whole one")
		}
	})
}

// FuzzParseJSON: the JSON reader, whole and streaming, agrees on whether a
// file is valid, and neither panics.
func FuzzParseJSON(f *testing.F) {
	addSeeds(f)
	schema := testSchema
	f.Fuzz(func(t *testing.T, data []byte) {
		whole, errWhole := Parse("fuzz.json", 1, data, schema)
		_, _, errStream := Stream("fuzz.json", 1, bytes.NewReader(data), schema, WindowOptions{}, nil)
		if errWhole == nil {
			whole.Window(WindowOptions{})
		}
		// Both read the file or both refuse it (the stream may also refuse
		// a file with no month to window).
		if errWhole != nil && errStream == nil {
			t.Fatalf("whole refused (%v), stream accepted", errWhole)
		}
	})
}
