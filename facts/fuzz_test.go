package facts_test

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"

	"evaluate/facts"
)

// addSeeds adds every golden and invalid fact file as a seed.
func addSeeds(f *testing.F) {
	for _, pattern := range []string{"../testcases/*.yaml", "../testcases/*.json", "../testcases/invalid/*.yaml", "../testcases/invalid/*.json"} {
		files, _ := filepath.Glob(pattern)
		for _, p := range files {
			if data, err := os.ReadFile(p); err == nil {
				f.Add(data)
			}
		}
	}
}

// FuzzParseYAML: any input either loads or fails with an error, never a
// panic or a hang; a file that loads can be windowed.
func FuzzParseYAML(f *testing.F) {
	addSeeds(f)
	f.Fuzz(func(t *testing.T, data []byte) {
		file, err := facts.Parse("fuzz.yaml", data, vocab)
		if err != nil {
			return
		}
		file.Window(facts.WindowOptions{})
	})
}

// FuzzParseJSON: the JSON reader, whole and streaming, agrees on whether a
// file is valid, and neither panics.
func FuzzParseJSON(f *testing.F) {
	addSeeds(f)
	f.Fuzz(func(t *testing.T, data []byte) {
		whole, errWhole := facts.Parse("fuzz.json", data, vocab)
		_, _, errStream := facts.StreamJSON("fuzz.json", 1, bytes.NewReader(data), vocab, facts.WindowOptions{}, nil)
		if errWhole == nil {
			whole.Window(facts.WindowOptions{})
		}
		// Both read the file or both refuse it (the stream may also refuse
		// a file with no month to window).
		if errWhole != nil && errStream == nil {
			t.Fatalf("whole refused (%v), stream accepted", errWhole)
		}
	})
}
