package main

import (
	"encoding/json"
	"io"
	"slices"
)

// entry is one document's outcome as renderers see it: a result, or the
// errors that kept it from being scored (JSON shows these in its place;
// the other formats leave them to stderr).
type entry struct {
	Result *report
	Error  *errorRecord
}

// renderer writes the outcomes in one format.
type renderer func(w io.Writer, entries []entry, opts renderOptions) error

// renderOptions tune a renderer.
type renderOptions struct {
	// List is true when several documents were given (files, a folder,
	// JSON Lines), so that JSON writes an array even if only one was good.
	List bool
	// Track and Metric limit the explanation to one track or metric.
	Track, Metric string
}

var renderers = map[string]renderer{
	"text":     renderText,
	"json":     renderJSON,
	"jsonl":    renderJSONLines,
	"html":     renderHTML,
	"markdown": renderMarkdown,
}

func rendererNames() []string { return slices.Sorted(mapKeys(renderers)) }

// reports are the entries that were scored.
func reports(entries []entry) []*report {
	var out []*report
	for _, e := range entries {
		if e.Result != nil {
			out = append(out, e.Result)
		}
	}
	return out
}

// value is what JSON shows for an entry.
func (e entry) value() any {
	if e.Result != nil {
		return e.Result
	}
	return e.Error
}

// renderJSONLines writes one record per line (the batch writes them as
// they come; this is for callers that have them all).
func renderJSONLines(w io.Writer, entries []entry, _ renderOptions) error {
	for _, e := range entries {
		b, err := marshalLine(e.value())
		if err != nil {
			return err
		}
		if _, err := w.Write(b); err != nil {
			return err
		}
	}
	return nil
}

// renderJSON writes one object for one document, else an array with an
// object per document in input order: a result, or an error record.
func renderJSON(w io.Writer, entries []entry, opts renderOptions) error {
	if !opts.List && len(entries) == 1 {
		if entries[0].Result == nil {
			return nil // a single bad file: its errors are on stderr, stdout stays empty
		}
		return encodeJSON(w, entries[0].Result)
	}
	values := make([]any, 0, len(entries))
	for _, e := range entries {
		values = append(values, e.value())
	}
	return encodeJSON(w, values)
}

// encodeJSON writes v as indented JSON, with <, > and & as they are.
func encodeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	return enc.Encode(v)
}
