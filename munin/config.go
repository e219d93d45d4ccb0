package munin

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"

	"go.yaml.in/yaml/v3"
)

// Graph is one munin graph: PyCounters' {"id", "global", "data"}.
type Graph struct {
	// ID names the graph (multigraph <id>).
	ID string
	// Global holds the graph's attributes, keys without the graph_ prefix.
	Global []Attr
	// Data lists the graph's fields.
	Data []Data
}

// Data is one field of a graph: the report key it plots and its munin
// attributes.
type Data struct {
	// Counter is the report key whose value the field shows.
	Counter string
	// Attrs are the field's attributes (label, draw, ...), in order.
	Attrs []Attr
}

// Attr is one munin attribute.
type Attr struct{ Key, Value string }

// limits of what ParseConfig reads: far beyond any real configuration,
// small enough that hostile input cannot make it work for long.
const (
	maxDepth = 32      // nesting of lists and objects
	maxNodes = 1 << 20 // values, aliases expanded
)

// ParseConfig parses a graph configuration in PyCounters' format, JSON or
// YAML (see the package doc), and checks it as [New] does. Errors name the
// graph, entry and key at fault.
func ParseConfig(data []byte) ([]Graph, error) {
	root, err := parseTree(data)
	if err != nil {
		return nil, err
	}
	if root.kind != seqNode {
		return nil, fmt.Errorf("munin: graph configuration: %s, want a list of graphs", root.what())
	}
	graphs := make([]Graph, 0, len(root.items))
	for i, n := range root.items {
		g, err := graphOf(n)
		if err != nil {
			return nil, fmt.Errorf("munin: graph configuration: graph %d%s: %w", i+1, idHint(n), err)
		}
		graphs = append(graphs, g)
	}
	if _, err := New(graphs); err != nil {
		return nil, err
	}
	return graphs, nil
}

// idHint returns ` ("id")` for a graph node with a textual id, to name the
// graph in errors.
func idHint(n *node) string {
	if id := n.get("id"); id != nil && id.kind == scalarNode {
		return fmt.Sprintf(" (%q)", id.value)
	}
	return ""
}

func graphOf(n *node) (Graph, error) {
	var g Graph
	if n.kind != mapNode {
		return g, fmt.Errorf("%s, want an object with id, global and data", n.what())
	}
	for _, p := range n.pairs {
		var err error
		switch p.key {
		case "id":
			g.ID, err = text(p.val)
		case "global":
			g.Global, err = attrs(p.val)
		case "data":
			g.Data, err = dataOf(p.val)
		default:
			err = errors.New("unknown key (want id, global and data)")
		}
		if err != nil {
			return g, fmt.Errorf("%q: %w", p.key, err)
		}
	}
	if n.get("id") == nil {
		return g, errors.New(`no "id"`)
	}
	return g, nil
}

func dataOf(n *node) ([]Data, error) {
	if n.kind != seqNode {
		return nil, fmt.Errorf("%s, want a list of fields", n.what())
	}
	out := make([]Data, 0, len(n.items))
	for i, item := range n.items {
		if item.kind != mapNode {
			return nil, fmt.Errorf("entry %d: %s, want an object with counter, label, ...", i+1, item.what())
		}
		var d Data
		var err error
		for _, p := range item.pairs {
			if p.key == "counter" {
				d.Counter, err = text(p.val)
				if err != nil {
					return nil, fmt.Errorf("entry %d: %q: %w", i+1, p.key, err)
				}
				continue
			}
			v, err := text(p.val)
			if err != nil {
				return nil, fmt.Errorf("entry %d: %q: %w", i+1, p.key, err)
			}
			d.Attrs = append(d.Attrs, Attr{p.key, v})
		}
		if item.get("counter") == nil {
			return nil, fmt.Errorf(`entry %d: no "counter"`, i+1)
		}
		out = append(out, d)
	}
	return out, nil
}

func attrs(n *node) ([]Attr, error) {
	if n.kind != mapNode {
		return nil, fmt.Errorf("%s, want an object of graph attributes", n.what())
	}
	out := make([]Attr, 0, len(n.pairs))
	for _, p := range n.pairs {
		v, err := text(p.val)
		if err != nil {
			return nil, fmt.Errorf("%q: %w", p.key, err)
		}
		out = append(out, Attr{p.key, v})
	}
	return out, nil
}

// text returns a scalar's text: as written for numbers, yes or no for
// booleans.
func text(n *node) (string, error) {
	if n.kind != scalarNode {
		return "", fmt.Errorf("%s, want text or a number", n.what())
	}
	switch n.tag {
	case nullTag:
		return "", errors.New("null, want text or a number")
	case boolTag:
		if n.value == "true" {
			return "yes", nil
		}
		return "no", nil
	}
	return n.value, nil
}

// The configuration is read into a tree of nodes, from JSON or YAML, and
// then checked against the format in one place.

type nodeKind uint8

const (
	scalarNode nodeKind = iota + 1
	mapNode
	seqNode
)

type scalarTag uint8

const (
	strTag scalarTag = iota
	numberTag
	boolTag // value "true" or "false"
	nullTag
)

type node struct {
	kind  nodeKind
	tag   scalarTag
	value string
	pairs []pair // mapNode, keys unique, in order
	items []*node
}

type pair struct {
	key string
	val *node
}

func (n *node) get(key string) *node {
	for _, p := range n.pairs {
		if p.key == key {
			return p.val
		}
	}
	return nil
}

func (n *node) what() string {
	switch n.kind {
	case mapNode:
		return "an object"
	case seqNode:
		return "a list"
	}
	switch n.tag {
	case nullTag:
		return "null"
	case boolTag:
		return "a boolean"
	case numberTag:
		return "a number"
	}
	return fmt.Sprintf("the text %q", abbrev(n.value))
}

func abbrev(s string) string {
	if len(s) > 40 {
		return s[:37] + "..."
	}
	return s
}

// parseTree reads JSON when the input looks like it, falling back to YAML
// (which also reads JSON with comments and trailing commas), and YAML
// otherwise.
func parseTree(data []byte) (*node, error) {
	trimmed := bytes.TrimSpace(data)
	if len(trimmed) == 0 {
		return nil, errors.New("munin: graph configuration is empty")
	}
	if trimmed[0] == '[' || trimmed[0] == '{' {
		n, jerr := parseJSON(trimmed)
		if jerr == nil {
			return n, nil
		}
		n, yerr := parseYAML(trimmed)
		if yerr == nil {
			return n, nil
		}
		return nil, fmt.Errorf("munin: graph configuration is neither JSON (%v) nor YAML (%v)", jerr, yerr)
	}
	n, err := parseYAML(trimmed)
	if err != nil {
		return nil, fmt.Errorf("munin: graph configuration: %w", err)
	}
	return n, nil
}

func parseJSON(data []byte) (*node, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	budget := maxNodes
	n, err := jsonValue(dec, 0, &budget)
	if err != nil {
		return nil, err
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return nil, fmt.Errorf("data after the top-level value at offset %d", dec.InputOffset())
	}
	return n, nil
}

func jsonValue(dec *json.Decoder, depth int, budget *int) (*node, error) {
	if *budget--; *budget < 0 {
		return nil, errors.New("too many values")
	}
	tok, err := dec.Token()
	if err != nil {
		return nil, err
	}
	switch v := tok.(type) {
	case json.Delim:
		if depth >= maxDepth {
			return nil, errors.New("nested too deeply")
		}
		if v == '[' {
			n := &node{kind: seqNode}
			for dec.More() {
				item, err := jsonValue(dec, depth+1, budget)
				if err != nil {
					return nil, err
				}
				n.items = append(n.items, item)
			}
			_, err := dec.Token() // ]
			return n, err
		}
		n := &node{kind: mapNode}
		for dec.More() {
			tok, err := dec.Token()
			if err != nil {
				return nil, err
			}
			key, _ := tok.(string) // object keys are strings
			if n.get(key) != nil {
				return nil, fmt.Errorf("key %q given twice", key)
			}
			val, err := jsonValue(dec, depth+1, budget)
			if err != nil {
				return nil, err
			}
			n.pairs = append(n.pairs, pair{key, val})
		}
		_, err := dec.Token() // }
		return n, err
	case string:
		return &node{kind: scalarNode, value: v}, nil
	case json.Number:
		return &node{kind: scalarNode, tag: numberTag, value: v.String()}, nil
	case bool:
		return &node{kind: scalarNode, tag: boolTag, value: fmt.Sprint(v)}, nil
	}
	return &node{kind: scalarNode, tag: nullTag}, nil
}

func parseYAML(data []byte) (n *node, err error) {
	defer func() {
		// The YAML parser is third-party code reading untrusted input: a
		// bug in it must not take the plugin down.
		if p := recover(); p != nil {
			n, err = nil, fmt.Errorf("cannot parse: %v", p)
		}
	}()
	dec := yaml.NewDecoder(bytes.NewReader(data))
	var doc yaml.Node
	if err := dec.Decode(&doc); err != nil {
		if errors.Is(err, io.EOF) {
			return nil, errors.New("empty")
		}
		return nil, err
	}
	var extra yaml.Node
	if err := dec.Decode(&extra); !errors.Is(err, io.EOF) {
		return nil, errors.New("more than one YAML document")
	}
	budget := maxNodes
	return yamlValue(&doc, 0, &budget)
}

func yamlValue(y *yaml.Node, depth int, budget *int) (*node, error) {
	if *budget--; *budget < 0 {
		return nil, errors.New("too many values (aliases included)")
	}
	if depth >= maxDepth {
		return nil, errors.New("nested too deeply (aliases included)")
	}
	switch y.Kind {
	case yaml.DocumentNode:
		if len(y.Content) != 1 {
			return nil, errors.New("empty")
		}
		return yamlValue(y.Content[0], depth, budget)
	case yaml.AliasNode:
		if y.Alias == nil {
			return nil, fmt.Errorf("line %d: unknown alias", y.Line)
		}
		return yamlValue(y.Alias, depth+1, budget)
	case yaml.SequenceNode:
		n := &node{kind: seqNode}
		for _, c := range y.Content {
			item, err := yamlValue(c, depth+1, budget)
			if err != nil {
				return nil, err
			}
			n.items = append(n.items, item)
		}
		return n, nil
	case yaml.MappingNode:
		return yamlMapping(y, depth, budget)
	case yaml.ScalarNode:
		n := &node{kind: scalarNode, value: y.Value}
		switch y.ShortTag() {
		case "!!null":
			n.tag = nullTag
		case "!!bool":
			n.tag = boolTag
			n.value = "false"
			if strings.EqualFold(y.Value, "true") {
				n.value = "true"
			}
		case "!!int", "!!float":
			n.tag = numberTag
		}
		return n, nil
	}
	return nil, fmt.Errorf("line %d: unsupported YAML node", y.Line)
}

// yamlMapping reads a mapping, with YAML merge keys (<<: *defaults): the
// merged keys take the place of the <<, and keys given in the mapping
// itself win over them wherever they stand.
func yamlMapping(y *yaml.Node, depth int, budget *int) (*node, error) {
	n := &node{kind: mapNode}
	explicit := map[string]bool{}
	for i := 0; i+1 < len(y.Content); i += 2 {
		k, v := y.Content[i], y.Content[i+1]
		if k.Kind != yaml.ScalarNode {
			return nil, fmt.Errorf("line %d: a key must be text", k.Line)
		}
		val, err := yamlValue(v, depth+1, budget)
		if err != nil {
			return nil, err
		}
		if k.ShortTag() == "!!merge" {
			srcs := []*node{val}
			if val.kind == seqNode {
				srcs = val.items
			}
			for _, s := range srcs {
				if s.kind != mapNode {
					return nil, fmt.Errorf("line %d: << merges %s, want an object", k.Line, s.what())
				}
				for _, p := range s.pairs {
					if n.get(p.key) == nil {
						n.pairs = append(n.pairs, p)
					}
				}
			}
			continue
		}
		if explicit[k.Value] {
			return nil, fmt.Errorf("line %d: key %q given twice", k.Line, k.Value)
		}
		explicit[k.Value] = true
		if j := slices.IndexFunc(n.pairs, func(p pair) bool { return p.key == k.Value }); j >= 0 {
			n.pairs[j].val = val // overrides a merged key
			continue
		}
		n.pairs = append(n.pairs, pair{k.Value, val})
	}
	return n, nil
}
