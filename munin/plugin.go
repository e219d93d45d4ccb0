package munin

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"math"
	"strings"

	"github.com/otelcounters/otelcounters/exporters/slogreport"
	"github.com/otelcounters/otelcounters/report"
)

// Plugin prints a graph configuration's munin output. Make one with [New];
// it is immutable and safe for concurrent use.
type Plugin struct {
	graphs []graph
}

type graph struct {
	id     string
	global []Attr
	fields []field
}

type field struct {
	name    string
	counter string
	attrs   []Attr
	label   bool // attrs hold a label
}

// New checks graphs and gives every graph and field its munin name (see the
// package doc). It returns an error naming the first graph, field or
// attribute that munin could not take.
func New(graphs []Graph) (*Plugin, error) {
	if len(graphs) == 0 {
		return nil, errors.New("munin: graph configuration has no graph")
	}
	p := &Plugin{graphs: make([]graph, 0, len(graphs))}
	ids := map[string]string{}
	for i, g := range graphs {
		gr, err := newGraph(g)
		if err != nil {
			return nil, fmt.Errorf("munin: graph configuration: graph %d (%q): %w", i+1, g.ID, err)
		}
		if other, dup := ids[gr.id]; dup {
			return nil, fmt.Errorf("munin: graph configuration: graphs %q and %q both have the munin id %s", other, g.ID, gr.id)
		}
		ids[gr.id] = g.ID
		p.graphs = append(p.graphs, gr)
	}
	return p, nil
}

func newGraph(g Graph) (graph, error) {
	if g.ID == "" {
		return graph{}, errors.New("empty id")
	}
	if err := checkText(g.ID); err != nil {
		return graph{}, fmt.Errorf("id: %w", err)
	}
	gr := graph{id: graphID(g.ID), global: make([]Attr, 0, len(g.Global))}
	seen := map[string]bool{}
	for _, a := range g.Global {
		key := strings.TrimPrefix(a.Key, "graph_")
		if !isAttrKey(key) {
			return graph{}, fmt.Errorf("global: key %q: want letters, digits and underscores", a.Key)
		}
		if seen[key] {
			return graph{}, fmt.Errorf("global: graph_%s given twice", key)
		}
		seen[key] = true
		if err := checkText(a.Value); err != nil {
			return graph{}, fmt.Errorf("global: %q: %w", a.Key, err)
		}
		gr.global = append(gr.global, Attr{key, a.Value})
	}
	counters := map[string]int{}
	for i, d := range g.Data {
		if d.Counter == "" {
			return graph{}, fmt.Errorf("data entry %d: empty counter", i+1)
		}
		if err := checkText(d.Counter); err != nil {
			return graph{}, fmt.Errorf("data entry %d: counter: %w", i+1, err)
		}
		if j, dup := counters[d.Counter]; dup {
			return graph{}, fmt.Errorf("data entries %d and %d both plot %q", j, i+1, d.Counter)
		}
		counters[d.Counter] = i + 1
		f := field{name: FieldName(d.Counter), counter: d.Counter, attrs: make([]Attr, 0, len(d.Attrs))}
		keys := map[string]bool{}
		for _, a := range d.Attrs {
			switch {
			case a.Key == "value":
				return graph{}, fmt.Errorf("data entry %d (%q): value is not an attribute: it comes from the report", i+1, d.Counter)
			case !isAttrKey(a.Key):
				return graph{}, fmt.Errorf("data entry %d (%q): key %q: want letters, digits and underscores", i+1, d.Counter, a.Key)
			case keys[a.Key]:
				return graph{}, fmt.Errorf("data entry %d (%q): %s given twice", i+1, d.Counter, a.Key)
			}
			keys[a.Key] = true
			if err := checkText(a.Value); err != nil {
				return graph{}, fmt.Errorf("data entry %d (%q): %s: %w", i+1, d.Counter, a.Key, err)
			}
			f.label = f.label || a.Key == "label"
			f.attrs = append(f.attrs, a)
		}
		gr.fields = append(gr.fields, f)
	}
	return gr, disambiguate(gr.fields)
}

// checkText rejects text that would break munin's line protocol.
func checkText(s string) error {
	if strings.ContainsAny(s, "\n\r\x00") {
		return fmt.Errorf("%q spans lines", abbrev(s))
	}
	return nil
}

// disambiguate gives the fields of one graph distinct names: of the keys
// sharing a name, the one already valid as a name keeps it and the others
// get a suffix derived from their key.
func disambiguate(fields []field) error {
	byName := map[string][]int{}
	for i, f := range fields {
		byName[f.name] = append(byName[f.name], i)
	}
	for name, idx := range byName {
		if len(idx) < 2 {
			continue
		}
		for _, i := range idx {
			if fields[i].counter != name {
				fields[i].name = fields[i].name + suffix(fields[i].counter)
			}
		}
	}
	seen := make(map[string]string, len(fields))
	for _, f := range fields {
		if other, dup := seen[f.name]; dup {
			return fmt.Errorf("counters %q and %q get the same field name %s: rename one", other, f.counter, f.name)
		}
		seen[f.name] = f.counter
	}
	return nil
}

// WriteConfig writes the answer to munin's config command.
func (p *Plugin) WriteConfig(w io.Writer) error {
	bw := bufio.NewWriter(w)
	for _, g := range p.graphs {
		bw.WriteString("multigraph " + g.id + "\n")
		for _, a := range g.global {
			bw.WriteString("graph_" + a.Key + " " + a.Value + "\n")
		}
		for _, f := range g.fields {
			if !f.label {
				bw.WriteString(f.name + ".label " + f.counter + "\n")
			}
			for _, a := range f.attrs {
				bw.WriteString(f.name + "." + a.Key + " " + a.Value + "\n")
			}
		}
		bw.WriteString("\n")
	}
	return bw.Flush()
}

// WriteValues writes the answer to munin's fetch command with the values
// of r, whose Values must be sorted by key (as reports are): U for a
// counter that r lacks, that is empty or that is not finite. It returns the
// counters that r lacks, in configuration order. A report with no values
// gives U for every field.
func (p *Plugin) WriteValues(w io.Writer, r report.Report) (missing []string, err error) {
	bw := bufio.NewWriter(w)
	var num []byte
	for _, g := range p.graphs {
		bw.WriteString("multigraph " + g.id + "\n")
		for _, f := range g.fields {
			bw.WriteString(f.name + ".value ")
			v, ok := r.Lookup(f.counter)
			switch {
			case !ok:
				missing = append(missing, f.counter)
				bw.WriteString("U")
			case !v.OK || math.IsNaN(v.V) || math.IsInf(v.V, 0):
				bw.WriteString("U")
			default:
				num = slogreport.AppendValue(num[:0], v.Value)
				bw.Write(num)
			}
			bw.WriteString("\n")
		}
	}
	return missing, bw.Flush()
}
