package facts

import (
	"bytes"
	"errors"
	"io"
	"regexp"
	"strconv"

	"gopkg.in/yaml.v3"
)

// parseTree reads YAML or JSON into a yaml.Node tree that keeps the line of
// every key and value, so that validation can point at the spot. JSON is read
// by our own scanner rather than as YAML because YAML rejects some valid JSON
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

func parseJSONTree(data []byte) (*yaml.Node, error) {
	s := newJSONScanner(bytes.NewReader(data), 1)
	c, err := s.next()
	if err == io.EOF {
		return nil, &lineError{line: 1, msg: "the file is empty"}
	}
	if err != nil {
		return nil, err
	}
	n, err := s.value(c, 0)
	if err != nil {
		return nil, err
	}
	return n, s.end()
}
