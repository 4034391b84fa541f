package gen

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"

	"gopkg.in/yaml.v3"
)

// Items is a list made as it is written: emit is called with each element
// in order (a large partner's customers, read back from temporary files),
// and an error from emit ends the list.
type Items func(emit func(any) error) error

// Write writes a fact document as YAML, indented JSON or a JSON line, each
// ending in a newline (format "yaml", "json", "jsonl"). The lists directly under doc ([]any or
// Items) are written an element at a time, so a document of millions of
// rows is never one buffer or one tree of nodes; the bytes are those of
// encoding the whole document at once.
func Write(w io.Writer, doc *Object, format string) error {
	bw := bufio.NewWriterSize(w, 1<<16)
	var err error
	switch format {
	case "jsonl":
		err = writeJSON(bw, doc, false)
	case "json":
		err = writeJSON(bw, doc, true)
	case "yaml":
		err = writeYAML(bw, doc)
	default:
		err = fmt.Errorf("unknown format %q", format)
	}
	if err != nil {
		return err
	}
	return bw.Flush()
}

// each calls fn with the elements of a list value; ok is false for a value
// that is no list.
func each(v any, fn func(i int, e any) error) (ok bool, err error) {
	switch x := v.(type) {
	case []any:
		for i, e := range x {
			if err := fn(i, e); err != nil {
				return true, err
			}
		}
		return true, nil
	case Items:
		i := 0
		return true, x(func(e any) error {
			err := fn(i, e)
			i++
			return err
		})
	}
	return false, nil
}

// writeJSON writes doc as compact JSON, or indented by two spaces as
// json.Indent would (a value at depth d is indented with 2d spaces).
func writeJSON(w *bufio.Writer, doc *Object, indent bool) error {
	var b []byte
	var ind bytes.Buffer
	// put writes a value at depth; compact, or indented from depth.
	put := func(v any, prefix string) error {
		var err error
		if b, err = AppendJSON(b[:0], v); err != nil {
			return err
		}
		if !indent {
			_, err = w.Write(b)
			return err
		}
		ind.Reset()
		if err := json.Indent(&ind, b, prefix, "  "); err != nil {
			return err
		}
		_, err = w.Write(ind.Bytes())
		return err
	}
	nl := func(prefix string) {
		if indent {
			w.WriteByte('\n')
			w.WriteString(prefix)
		}
	}
	w.WriteByte('{')
	for i, k := range doc.keys {
		if i > 0 {
			w.WriteByte(',')
		}
		nl("  ")
		var err error
		if b, err = appendQuote(b[:0], k); err != nil {
			return err
		}
		w.Write(b)
		w.WriteByte(':')
		if indent {
			w.WriteByte(' ')
		}
		empty := true
		isList, err := each(doc.vals[i], func(j int, e any) error {
			if j == 0 {
				w.WriteByte('[')
			} else {
				w.WriteByte(',')
			}
			empty = false
			nl("    ")
			return put(e, "    ")
		})
		switch {
		case err != nil:
			return err
		case !isList:
			if err := put(doc.vals[i], "  "); err != nil {
				return err
			}
		case empty:
			w.WriteString("[]")
		default:
			nl("  ")
			w.WriteByte(']')
		}
	}
	if indent && len(doc.keys) > 0 {
		w.WriteByte('\n')
	}
	w.WriteString("}\n")
	return nil
}

// writeYAML writes doc as yaml.v3 does with an indent of two. Each element
// of a list under a key is encoded where it stands, as the only element of
// that key's list, so that yaml.v3 indents it (line breaks in strings
// included); the key's line is written once.
func writeYAML(w *bufio.Writer, doc *Object) error {
	var buf bytes.Buffer
	encode := func(v any) error {
		buf.Reset()
		enc := yaml.NewEncoder(&buf)
		enc.SetIndent(2)
		if err := enc.Encode(v); err != nil {
			return err
		}
		return enc.Close()
	}
	for i, k := range doc.keys {
		first := true
		isList, err := each(doc.vals[i], func(_ int, e any) error {
			if err := encode((&Object{}).Set(k, []any{e})); err != nil {
				return err
			}
			out := buf.Bytes()
			if !first {
				out = out[bytes.IndexByte(out, '\n')+1:]
			}
			first = false
			_, err := w.Write(out)
			return err
		})
		if err != nil {
			return err
		}
		if !isList || first {
			v := doc.vals[i]
			if isList {
				v = []any{}
			}
			if err := encode((&Object{}).Set(k, v)); err != nil {
				return err
			}
			w.Write(buf.Bytes())
		}
	}
	return nil
}
