package facts

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"regexp"
	"sort"
	"strconv"

	"gopkg.in/yaml.v3"
)

// parseTree reads YAML or JSON into a yaml.Node tree that keeps the line of
// every key and value, so that validation can point at the spot. JSON is read
// with encoding/json rather than as YAML because YAML rejects some valid JSON
// (tabs in indentation) and reports JSON syntax errors less clearly.
func parseTree(name string, data []byte, isJSON bool) (*yaml.Node, error) {
	if isJSON {
		return parseJSONTree(data)
	}
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		return nil, yamlError(err)
	}
	if doc.Kind == 0 || len(doc.Content) == 0 {
		return nil, &lineError{line: 1, msg: "the file is empty"}
	}
	return doc.Content[0], nil
}

// lineError is a syntax error at a line of the file.
type lineError struct {
	line int
	msg  string
}

func (e *lineError) Error() string { return e.msg }

var yamlLine = regexp.MustCompile(`^yaml: line (\d+): (.*)$`)

func yamlError(err error) error {
	var te *yaml.TypeError
	if errors.As(err, &te) && len(te.Errors) > 0 {
		err = errors.New(te.Errors[0])
	}
	if m := yamlLine.FindStringSubmatch(err.Error()); m != nil {
		n, _ := strconv.Atoi(m[1])
		return &lineError{line: n, msg: "invalid YAML: " + m[2]}
	}
	return &lineError{msg: "invalid YAML: " + err.Error()}
}

// jsonReader turns encoding/json tokens into yaml.Nodes with line numbers.
type jsonReader struct {
	data     []byte
	dec      *json.Decoder
	newlines []int // offsets of '\n', for offset -> line
}

func parseJSONTree(data []byte) (*yaml.Node, error) {
	r := &jsonReader{data: data, dec: json.NewDecoder(bytes.NewReader(data))}
	r.dec.UseNumber()
	for i, c := range data {
		if c == '\n' {
			r.newlines = append(r.newlines, i)
		}
	}
	n, err := r.value()
	if err == io.EOF {
		return nil, &lineError{line: 1, msg: "the file is empty"}
	}
	if err != nil {
		return nil, r.syntax(err)
	}
	if _, err := r.dec.Token(); err != io.EOF {
		return nil, &lineError{line: r.line(r.dec.InputOffset()), msg: "invalid JSON: more than one value in the file"}
	}
	return n, nil
}

// line returns the 1-based line of the first token at or after offset.
func (r *jsonReader) line(offset int64) int {
	o := int(offset)
	for o < len(r.data) && bytes.IndexByte([]byte(" \t\r\n,:"), r.data[o]) >= 0 {
		o++
	}
	return sort.SearchInts(r.newlines, o) + 1
}

func (r *jsonReader) syntax(err error) error {
	var se *json.SyntaxError
	if errors.As(err, &se) {
		return &lineError{line: sort.SearchInts(r.newlines, int(se.Offset)-1) + 1, msg: "invalid JSON: " + se.Error()}
	}
	return &lineError{line: r.line(r.dec.InputOffset()), msg: "invalid JSON: " + err.Error()}
}

func (r *jsonReader) value() (*yaml.Node, error) {
	line := r.line(r.dec.InputOffset())
	tok, err := r.dec.Token()
	if err != nil {
		return nil, err
	}
	n := &yaml.Node{Line: line, Column: 1}
	switch t := tok.(type) {
	case json.Delim:
		switch t {
		case '{':
			n.Kind, n.Tag = yaml.MappingNode, "!!map"
			for r.dec.More() {
				kline := r.line(r.dec.InputOffset())
				ktok, err := r.dec.Token()
				if err != nil {
					return nil, err
				}
				key, ok := ktok.(string)
				if !ok {
					return nil, fmt.Errorf("object key is not a string")
				}
				v, err := r.value()
				if err != nil {
					return nil, err
				}
				n.Content = append(n.Content, &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: key, Line: kline, Column: 1}, v)
			}
		case '[':
			n.Kind, n.Tag = yaml.SequenceNode, "!!seq"
			for r.dec.More() {
				v, err := r.value()
				if err != nil {
					return nil, err
				}
				n.Content = append(n.Content, v)
			}
		default:
			return nil, fmt.Errorf("unexpected %q", t)
		}
		if _, err := r.dec.Token(); err != nil { // the closing delimiter
			return nil, err
		}
	case string:
		n.Kind, n.Tag, n.Value = yaml.ScalarNode, "!!str", t
	case json.Number:
		n.Kind, n.Value, n.Tag = yaml.ScalarNode, string(t), "!!int"
		if bytes.ContainsAny([]byte(t), ".eE") {
			n.Tag = "!!float"
		}
	case bool:
		n.Kind, n.Tag, n.Value = yaml.ScalarNode, "!!bool", strconv.FormatBool(t)
	case nil:
		n.Kind, n.Tag, n.Value = yaml.ScalarNode, "!!null", "null"
	}
	return n, nil
}
