package munin

import (
	"bytes"
	"encoding/json"
	"strings"

	"github.com/otelcounters/otelcounters/counters"
	"github.com/otelcounters/otelcounters/report"
)

// Generate returns a starting graph configuration for the values of r: one
// graph per counter, in name order, plotting each of its series (and, for
// a percentiles counter, each quantile and the mean) as a LINE2 field
// labelled by what tells it apart. Graphs go in the given munin category
// ("otelcounters" when empty); rates and durations get a vertical label
// where r says their kind. Edit the result to group counters as the
// graphs should show them.
func Generate(r report.Report, category string) []Graph {
	if category == "" {
		category = "otelcounters"
	}
	var graphs []Graph
	index := map[string]int{}
	ids := map[string]bool{}
	for _, v := range r.Values {
		if report.IsMetadata(v.Key) {
			continue
		}
		name, pairs, ok := splitKey(v.Key)
		if !ok {
			name = v.Key
		}
		counter, part := name, ""
		if v.Kind == counters.Percentiles {
			// name.p50 and name.mean are parts of counter name.
			if dot := strings.LastIndexByte(name, '.'); dot > 0 {
				counter, part = name[:dot], name[dot+1:]
			}
		}
		i, seen := index[counter]
		if !seen {
			i = len(graphs)
			index[counter] = i
			id := graphID(counter)
			if ids[id] { // a.b and a_b
				id += suffix(counter)
			}
			ids[id] = true
			g := Graph{ID: id, Global: []Attr{{"title", counter}, {"category", category}}}
			switch v.Kind {
			case counters.Frequency:
				g.Global = append(g.Global, Attr{"vlabel", "per second"})
			case counters.AverageTime:
				g.Global = append(g.Global, Attr{"vlabel", "seconds"})
			}
			graphs = append(graphs, g)
		}
		graphs[i].Data = append(graphs[i].Data, Data{Counter: v.Key, Attrs: []Attr{{"label", label(counter, part, pairs)}, {"draw", "LINE2"}}})
	}
	return graphs
}

// label is what tells a field apart within its counter's graph.
func label(counter, part string, pairs [][2]string) string {
	words := make([]string, 0, len(pairs)+1)
	if part != "" {
		words = append(words, part)
	}
	for _, p := range pairs {
		words = append(words, p[0]+"="+p[1])
	}
	if len(words) == 0 {
		return counter
	}
	return strings.Join(words, " ")
}

// AppendConfig appends graphs as a JSON graph configuration, one key per
// line, in the order given, ready for [ParseConfig].
func AppendConfig(dst []byte, graphs []Graph) []byte {
	dst = append(dst, "[\n"...)
	for i, g := range graphs {
		dst = append(dst, "  {\n    \"id\": "...)
		dst = appendString(dst, g.ID)
		dst = append(dst, ",\n    \"global\": {"...)
		for j, a := range g.Global {
			if j > 0 {
				dst = append(dst, ',')
			}
			dst = append(dst, "\n      "...)
			dst = appendString(dst, a.Key)
			dst = append(dst, ": "...)
			dst = appendString(dst, a.Value)
		}
		if len(g.Global) > 0 {
			dst = append(dst, "\n    "...)
		}
		dst = append(dst, "},\n    \"data\": ["...)
		for j, d := range g.Data {
			if j > 0 {
				dst = append(dst, ',')
			}
			dst = append(dst, "\n      {\"counter\": "...)
			dst = appendString(dst, d.Counter)
			for _, a := range d.Attrs {
				dst = append(dst, ", "...)
				dst = appendString(dst, a.Key)
				dst = append(dst, ": "...)
				dst = appendString(dst, a.Value)
			}
			dst = append(dst, '}')
		}
		if len(g.Data) > 0 {
			dst = append(dst, "\n    "...)
		}
		dst = append(dst, "]\n  }"...)
		if i < len(graphs)-1 {
			dst = append(dst, ',')
		}
		dst = append(dst, '\n')
	}
	return append(dst, "]\n"...)
}

func appendString(dst []byte, s string) []byte {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(s) // a string always encodes
	return append(dst, bytes.TrimSuffix(buf.Bytes(), []byte("\n"))...)
}
