package facts

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"regexp"
	"strconv"

	"gopkg.in/yaml.v3"
)

// parseTree reads YAML or JSON into a yaml.Node tree that keeps the line of
// every key and value, so that validation can point at the spot. JSON is read
// by our own scanner rather than as YAML because YAML rejects some valid JSON
// (tabs in indentation) and reports JSON syntax errors less clearly.
func parseTree(name string, firstLine int, data []byte, isJSON bool) (*yaml.Node, error) {
	if isJSON {
		return parseJSONTree(data, firstLine)
	}
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		return nil, yamlError(err)
	}
	if doc.Kind == 0 || len(doc.Content) == 0 {
		return nil, &lineError{line: 1, msg: "the file is empty"}
	}
	if err := checkShape(doc.Content[0]); err != nil {
		return nil, err
	}
	return doc.Content[0], nil
}

// checkShape refuses YAML that nests deeper than MaxDepth or whose aliases
// expand to far more values than the file holds (an "alias bomb"), before
// anything walks it.
func checkShape(root *yaml.Node) error {
	raw := 0
	sizes := map[*yaml.Node]int{}
	var measure func(n *yaml.Node, depth int) (int, error)
	measure = func(n *yaml.Node, depth int) (int, error) {
		if depth > MaxDepth {
			return 0, &lineError{line: n.Line, msg: fmt.Sprintf("nested more than %d levels deep", MaxDepth)}
		}
		if n.Kind == yaml.AliasNode {
			if n.Alias == nil {
				return 0, &lineError{line: n.Line, msg: "an alias to nothing"}
			}
			if size, ok := sizes[n.Alias]; ok {
				return size, nil
			}
			return measure(n.Alias, depth)
		}
		if size, ok := sizes[n]; ok && size < 0 {
			return 0, &lineError{line: n.Line, msg: "an alias refers to a value that contains it"}
		}
		raw++
		sizes[n] = -1
		size := 1
		for _, c := range n.Content {
			s, err := measure(c, depth+1)
			if err != nil {
				return 0, err
			}
			size = min(size+s, maxExpanded)
		}
		sizes[n] = size
		return size, nil
	}
	size, err := measure(root, 0)
	if err != nil {
		return err
	}
	if size > 4*raw+10_000 {
		return &lineError{line: root.Line, msg: fmt.Sprintf("aliases expand %d values into more than %d: refused as an alias bomb", raw, min(size, maxExpanded-1))}
	}
	return nil
}

// maxExpanded caps the count of expanded values, so that counting an alias
// bomb does not overflow.
const maxExpanded = 1 << 40

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

func parseJSONTree(data []byte, firstLine int) (*yaml.Node, error) {
	s := newJSONScanner(bytes.NewReader(data), firstLine)
	defer s.release()
	c, err := s.next()
	if err == io.EOF {
		return nil, &lineError{line: firstLine, msg: "the file is empty"}
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
