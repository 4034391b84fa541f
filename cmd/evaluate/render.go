package main

import (
	"encoding/json"
	"io"
	"slices"

	"evaluate/engine"
)

// renderer writes results in one format.
type renderer func(w io.Writer, results []*engine.Result, opts renderOptions) error

// renderOptions tune a renderer.
type renderOptions struct {
	// List is true when several files were given, so that JSON writes an
	// array even if only one file was good.
	List bool
	// Track and Metric limit the text explanation to one track or metric.
	Track, Metric string
}

var renderers = map[string]renderer{
	"text":     renderText,
	"json":     renderJSON,
	"jsonl":    renderJSONLines,
	"html":     renderHTML,
	"markdown": renderMarkdown,
}

// renderJSONLines writes one result per line (batch runs stream them
// instead, as they come).
func renderJSONLines(w io.Writer, results []*engine.Result, _ renderOptions) error {
	for _, r := range results {
		if err := writeJSONLine(w, r); err != nil {
			return err
		}
	}
	return nil
}

func rendererNames() []string { return slices.Sorted(mapKeys(renderers)) }

func renderJSON(w io.Writer, results []*engine.Result, opts renderOptions) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	if !opts.List && len(results) == 1 {
		return enc.Encode(results[0])
	}
	if results == nil {
		results = []*engine.Result{}
	}
	return enc.Encode(results)
}
