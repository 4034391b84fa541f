package main

import (
	"encoding/json"
	"io"
	"slices"

	"evaluate/engine"
)

// renderer writes results in one format. list is true when several files
// were given, so that JSON writes an array even if only one file was good.
type renderer func(w io.Writer, results []*engine.Result, list bool) error

var renderers = map[string]renderer{
	"text": renderText,
	"json": renderJSON,
}

func rendererNames() []string {
	return slices.Sorted(func(yield func(string) bool) {
		for k := range renderers {
			if !yield(k) {
				return
			}
		}
	})
}

func renderJSON(w io.Writer, results []*engine.Result, list bool) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	if !list && len(results) == 1 {
		return enc.Encode(results[0])
	}
	if results == nil {
		results = []*engine.Result{}
	}
	return enc.Encode(results)
}
