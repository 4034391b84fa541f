package facts

import (
	"strconv"

	"gopkg.in/yaml.v3"
)

// yamlUnmarshal decodes YAML into plain values, keeping dates as strings,
// for tests that write the same document as JSON.
func yamlUnmarshal(b []byte, v *any) error {
	var n yaml.Node
	if err := yaml.Unmarshal(b, &n); err != nil {
		return err
	}
	*v = plain(n.Content[0])
	return nil
}

func plain(n *yaml.Node) any {
	switch n.Kind {
	case yaml.MappingNode:
		m := map[string]any{}
		for i := 0; i < len(n.Content); i += 2 {
			m[n.Content[i].Value] = plain(n.Content[i+1])
		}
		return m
	case yaml.SequenceNode:
		l := []any{}
		for _, c := range n.Content {
			l = append(l, plain(c))
		}
		return l
	}
	switch n.ShortTag() {
	case "!!int", "!!float":
		return jsonNumber(n.Value)
	case "!!bool":
		return n.Value == "true"
	case "!!null":
		return nil
	}
	return n.Value
}

// jsonNumber keeps a number's text as written.
type jsonNumber string

func (j jsonNumber) MarshalJSON() ([]byte, error) {
	if _, err := strconv.ParseFloat(string(j), 64); err != nil {
		return []byte(strconv.Quote(string(j))), nil
	}
	return []byte(j), nil
}
