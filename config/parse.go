package config

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"math"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/otelcounters/otelcounters/counters"
)

const (
	// maxErrors bounds the problems reported for one file: past a few, the
	// rest are usually consequences of the first.
	maxErrors = 20
	// nodeBudget bounds the nodes visited, aliases expanded, so that a
	// small file of nested aliases cannot make parsing explode.
	nodeBudget = 1 << 20
)

// The keys of each mapping, in the order error messages list them.
var (
	topKeys      = []string{"tick", "report_interval", "series_limit", "counters", "reporters", "default_counters"}
	counterKeys  = []string{"name", "kind", "events", "window", "window_size", "of", "quantiles", "by", "without"}
	reporterKeys = []string{"type", "name", "path", "level", "address"}
	defaultKeys  = []string{"enabled", "include", "exclude"}
	logLevels    = []string{"debug", "info", "warn", "error"}
)

type decoder struct {
	source string
	errs   []error
	budget int
	tick   time.Duration // the file's tick, read before its counters; 0: the reader's default
}

// defaultTick is the reader's default tick (reader.DefaultTick, which a test
// checks), against which the windows of a file without a tick are checked.
const defaultTick = 5 * time.Second

func parse(data []byte, source string) (cfg *Config, err error) {
	defer func() {
		// The YAML parser is third-party code reading untrusted input: a
		// bug in it must not take a program down at start-up.
		if p := recover(); p != nil {
			cfg, err = nil, &Error{Source: source, Err: fmt.Errorf("cannot parse: %v", p)}
		}
	}()
	dec := yaml.NewDecoder(bytes.NewReader(data))
	var doc yaml.Node
	if err := dec.Decode(&doc); err != nil {
		if errors.Is(err, io.EOF) {
			return &Config{}, nil
		}
		return nil, syntaxError(source, data, err)
	}
	var extra yaml.Node
	switch err := dec.Decode(&extra); {
	case err == nil:
		return nil, &Error{Source: source, Line: extra.Line, Err: errors.New("more than one YAML document")}
	case !errors.Is(err, io.EOF):
		return nil, syntaxError(source, data, err)
	}
	d := &decoder{source: source, budget: nodeBudget}
	cfg = d.config(&doc)
	switch len(d.errs) {
	case 0:
		return cfg, nil
	case 1:
		return nil, d.errs[0]
	}
	return nil, errors.Join(d.errs...)
}

var yamlLine = regexp.MustCompile(`^yaml: line (\d+): (.*)$`)

// parserProblems are the problems of the YAML parser (as opposed to its
// scanner), whose line numbers it gives from 0.
var parserProblems = []string{
	"did not find expected ',' or ']'",
	"did not find expected ',' or '}'",
	"did not find expected '-' indicator",
	"did not find expected <document start>",
	"did not find expected key",
	"did not find expected node content",
	"found undefined tag handle",
}

// syntaxError turns the YAML parser's message into an [*Error] with its
// line. The parser leaves out "line 1" (it leaves out line numbers that are
// 0 inside it) and counts its own problems' lines from 0.
// A problem at the end of the input is put on its last line.
func syntaxError(source string, data []byte, err error) error {
	msg := strings.TrimPrefix(err.Error(), "yaml: ")
	line := 1
	if m := yamlLine.FindStringSubmatch(err.Error()); m != nil {
		line, _ = strconv.Atoi(m[1])
		msg = m[2]
		if slices.Contains(parserProblems, msg) {
			line++
		}
	}
	last := bytes.Count(data, []byte("\n"))
	if len(data) > 0 && data[len(data)-1] != '\n' {
		last++
	}
	line = max(1, min(line, last))
	return &Error{Source: source, Line: line, Err: fmt.Errorf("syntax error: %s", msg)}
}

func (d *decoder) full() bool { return len(d.errs) >= maxErrors || d.budget < 0 }

func (d *decoder) fail(n *yaml.Node, path string, format string, args ...any) {
	d.failErr(n, path, fmt.Errorf(format, args...))
}

func (d *decoder) failErr(n *yaml.Node, path string, err error) {
	if len(d.errs) >= maxErrors {
		return
	}
	line := 0
	if n != nil {
		line = n.Line
	}
	d.errs = append(d.errs, &Error{Source: d.source, Line: line, Field: path, Err: err})
	if len(d.errs) == maxErrors {
		d.errs = append(d.errs, &Error{Source: d.source, Err: errors.New("too many errors")})
	}
}

// deref follows aliases and charges the node to the budget.
func (d *decoder) deref(n *yaml.Node) *yaml.Node {
	for i := 0; n.Kind == yaml.AliasNode && n.Alias != nil && i < 64; i++ {
		n = n.Alias
	}
	d.budget--
	if d.budget == -1 {
		d.errs = append(d.errs, &Error{Source: d.source, Line: n.Line, Err: errors.New("document too large (aliases expand too far)")})
	}
	return n
}

func isNull(n *yaml.Node) bool { return n.Kind == yaml.ScalarNode && n.ShortTag() == "!!null" }

func join(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}

func index(path string, i int) string { return path + "[" + strconv.Itoa(i) + "]" }

// entry is one key and its value in a mapping.
type entry struct{ key, val *yaml.Node }

// mapping returns the entries of mapping n by key, leaving out null values
// (a key with no value is as if absent). Unknown and duplicate keys are
// errors. It returns nil if n is not a mapping.
func (d *decoder) mapping(n *yaml.Node, path, what string, known []string) map[string]entry {
	if n.Kind != yaml.MappingNode {
		d.fail(n, path, "want %s, got %s", what, describe(n))
		return nil
	}
	m := map[string]entry{}
	seen := map[string]int{}
	for i := 0; i+1 < len(n.Content) && !d.full(); i += 2 {
		k, v := d.deref(n.Content[i]), d.deref(n.Content[i+1])
		if k.Kind != yaml.ScalarNode {
			d.fail(k, path, "want a key name, got %s", describe(k))
			continue
		}
		name := k.Value
		if first, dup := seen[name]; dup {
			d.fail(k, join(path, name), "duplicate key (first at line %d)", first)
			continue
		}
		seen[name] = k.Line
		if !slices.Contains(known, name) {
			d.fail(k, join(path, name), "unknown key (want one of %s)", strings.Join(known, ", "))
			continue
		}
		if isNull(v) {
			continue
		}
		m[name] = entry{k, v}
	}
	return m
}

// describe names the kind of a node for "want X, got Y" messages.
func describe(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "a mapping"
	case yaml.SequenceNode:
		return "a list"
	case yaml.ScalarNode:
		switch n.ShortTag() {
		case "!!null":
			return "null"
		case "!!bool":
			return "boolean " + n.Value
		case "!!int", "!!float":
			return "number " + n.Value
		}
		return strconv.Quote(n.Value)
	}
	return "something else"
}

// str reads a scalar as text: names and paths written as numbers are
// taken as written.
func (d *decoder) str(n *yaml.Node, path string) (string, bool) {
	if n.Kind != yaml.ScalarNode {
		d.fail(n, path, "want a string, got %s", describe(n))
		return "", false
	}
	return n.Value, true
}

// name reads a string that must not be empty or blank.
func (d *decoder) name(n *yaml.Node, path string) (string, bool) {
	s, ok := d.str(n, path)
	if ok && strings.TrimSpace(s) == "" {
		d.fail(n, path, "empty")
		return "", false
	}
	return s, ok
}

func (d *decoder) boolean(n *yaml.Node, path string) (bool, bool) {
	var b bool
	if n.Kind != yaml.ScalarNode || n.ShortTag() != "!!bool" || n.Decode(&b) != nil {
		d.fail(n, path, "want true or false, got %s", describe(n))
		return false, false
	}
	return b, true
}

// number reads a finite number.
func (d *decoder) number(n *yaml.Node, path string) (float64, bool) {
	var f float64
	if n.Kind != yaml.ScalarNode || (n.ShortTag() != "!!int" && n.ShortTag() != "!!float") || n.Decode(&f) != nil {
		d.fail(n, path, "want a number, got %s", describe(n))
		return 0, false
	}
	if math.IsNaN(f) || math.IsInf(f, 0) {
		d.fail(n, path, "want a finite number, got %s", n.Value)
		return 0, false
	}
	return f, true
}

// names reads a non-empty list of distinct, non-empty names.
func (d *decoder) names(n *yaml.Node, path, what string) ([]string, bool) {
	if n.Kind != yaml.SequenceNode {
		d.fail(n, path, "want a list of %s, got %s", what, describe(n))
		return nil, false
	}
	if len(n.Content) == 0 {
		d.fail(n, path, "empty list of %s", what)
		return nil, false
	}
	out := make([]string, 0, len(n.Content))
	lines := map[string]int{}
	ok := true
	for i, e := range n.Content {
		if d.full() {
			return nil, false
		}
		e = d.deref(e)
		p := index(path, i)
		s, good := d.name(e, p)
		if !good {
			ok = false
			continue
		}
		if first, dup := lines[s]; dup {
			d.fail(e, p, "%q listed twice (first at line %d)", s, first)
			ok = false
			continue
		}
		lines[s] = e.Line
		out = append(out, s)
	}
	return out, ok
}

// maxSeconds keeps durations given in seconds far from overflowing.
const maxSeconds = float64(math.MaxInt64/int64(time.Second)) / 2

// seconds converts a number of seconds to a positive duration.
func (d *decoder) seconds(n *yaml.Node, path string, f float64) (time.Duration, bool) {
	if f > maxSeconds {
		d.fail(n, path, "%s seconds is too long", n.Value)
		return 0, false
	}
	t := time.Duration(math.Round(f * float64(time.Second)))
	if t <= 0 {
		d.fail(n, path, "want a positive duration, got %s", n.Value)
		return 0, false
	}
	return t, true
}

// duration reads a positive duration: a Go duration string such as "300s"
// or "5m", or, when numbers is true, a bare number of seconds.
func (d *decoder) duration(n *yaml.Node, path string, numbers bool) (time.Duration, bool) {
	if n.Kind == yaml.ScalarNode && (n.ShortTag() == "!!int" || n.ShortTag() == "!!float") {
		if !numbers {
			d.fail(n, path, "want a duration with a unit, such as %ss", n.Value)
			return 0, false
		}
		f, ok := d.number(n, path)
		if !ok {
			return 0, false
		}
		return d.seconds(n, path, f)
	}
	if n.Kind != yaml.ScalarNode || n.ShortTag() != "!!str" {
		d.fail(n, path, "want a duration such as 300s, got %s", describe(n))
		return 0, false
	}
	t, err := time.ParseDuration(strings.TrimSpace(n.Value))
	if err != nil {
		hint := ""
		if numbers {
			hint = " or a number of seconds"
		}
		d.fail(n, path, "bad duration %q: want a Go duration such as 300s or 5m%s", n.Value, hint)
		return 0, false
	}
	if t <= 0 {
		d.fail(n, path, "want a positive duration, got %s", n.Value)
		return 0, false
	}
	return t, true
}

func (d *decoder) config(doc *yaml.Node) *Config {
	cfg := &Config{}
	root := doc
	if doc.Kind == yaml.DocumentNode {
		if len(doc.Content) == 0 {
			return cfg
		}
		root = doc.Content[0]
	}
	root = d.deref(root)
	if isNull(root) {
		return cfg
	}
	m := d.mapping(root, "", "a mapping of settings ("+strings.Join(topKeys, ", ")+")", topKeys)
	if e, ok := m["tick"]; ok {
		cfg.Tick, _ = d.duration(e.val, "tick", true)
		if cfg.Tick > counters.MaxWindow {
			d.fail(e.val, "tick", "tick %v is longer than %v", cfg.Tick, counters.MaxWindow)
			cfg.Tick = 0
		}
		d.tick = cfg.Tick
	}
	if e, ok := m["report_interval"]; ok {
		cfg.ReportInterval = d.reportInterval(e.val)
	}
	if e, ok := m["series_limit"]; ok {
		cfg.SeriesLimit = d.seriesLimit(e.val)
	}
	if e, ok := m["counters"]; ok {
		cfg.Counters = d.counterList(e.val)
	}
	if e, ok := m["reporters"]; ok {
		cfg.Reporters = d.reporterList(e.val)
	}
	if e, ok := m["default_counters"]; ok {
		cfg.Defaults = d.defaults(e.val)
	}
	return cfg
}

func (d *decoder) reportInterval(n *yaml.Node) time.Duration {
	const path = "report_interval"
	if n.Kind == yaml.ScalarNode && n.ShortTag() == "!!str" && strings.EqualFold(strings.TrimSpace(n.Value), "off") {
		return -1
	}
	if n.Kind == yaml.ScalarNode && (n.ShortTag() == "!!int" || n.ShortTag() == "!!float") {
		if f, ok := d.number(n, path); ok && f == 0 {
			// The reader reads 0 as "off", the Config as "default": make
			// the file say which.
			d.fail(n, path, "0 is ambiguous: write off to turn automatic reports off, or leave the key out for the default")
			return 0
		}
	}
	t, _ := d.duration(n, path, true)
	return t
}

func (d *decoder) seriesLimit(n *yaml.Node) int {
	const path = "series_limit"
	if n.Kind == yaml.ScalarNode && n.ShortTag() == "!!str" {
		switch strings.ToLower(strings.TrimSpace(n.Value)) {
		case "none", "off":
			return -1
		}
	}
	var i int
	if n.Kind != yaml.ScalarNode || n.ShortTag() != "!!int" || n.Decode(&i) != nil {
		d.fail(n, path, "want a positive whole number or none, got %s", describe(n))
		return 0
	}
	if i <= 0 {
		d.fail(n, path, "want a positive whole number or none, got %d", i)
		return 0
	}
	return i
}

func (d *decoder) counterList(n *yaml.Node) []counters.Definition {
	return namedList(d, n, "counters", d.counter,
		func(def counters.Definition) string { return def.Name },
		func(name string, line int) string {
			return fmt.Sprintf("duplicate counter name %q (first defined at line %d)", name, line)
		})
}

// namedList reads a list of entries with unique names (counters,
// reporters): each entry read by entry, which returns the name's node
// whenever the name could be read, so that duplicates are found even in a
// bad entry; a duplicate is reported with dup's message.
func namedList[T any](d *decoder, n *yaml.Node, path string,
	entry func(*yaml.Node, string) (T, *yaml.Node, bool),
	name func(T) string, dup func(name string, firstLine int) string) []T {
	if n.Kind != yaml.SequenceNode {
		d.fail(n, path, "want a list of %s, got %s", path, describe(n))
		return nil
	}
	var out []T
	first := map[string]int{} // name → line of its first entry
	for i, e := range n.Content {
		if d.full() {
			break
		}
		e = d.deref(e)
		p := index(path, i)
		v, nameNode, ok := entry(e, p)
		if nameNode != nil {
			if line, seen := first[name(v)]; seen {
				d.fail(nameNode, join(p, "name"), "%s", dup(name(v), line))
				ok = false
			} else {
				first[name(v)] = nameNode.Line
			}
		}
		if ok {
			out = append(out, v)
		}
	}
	return out
}

// counter reads one counter entry. It returns the name's node whenever the
// name could be read, so that duplicates are found even in a bad entry.
func (d *decoder) counter(n *yaml.Node, path string) (def counters.Definition, nameNode *yaml.Node, ok bool) {
	m := d.mapping(n, path, "a counter (a mapping with name and kind)", counterKeys)
	if m == nil {
		return def, nil, false
	}
	ok = true
	bad := func(good bool) {
		if !good {
			ok = false
		}
	}
	var good bool
	if e, has := m["name"]; has {
		def.Name, good = d.name(e.val, join(path, "name"))
		bad(good)
		if good {
			nameNode = e.val
		}
	} else {
		d.fail(n, path, "missing required key name")
		ok = false
	}
	kindGiven := false
	if e, has := m["kind"]; has {
		k, err := counters.ParseKind(e.val.Value)
		if e.val.Kind != yaml.ScalarNode {
			err = fmt.Errorf("want a counter kind, got %s", describe(e.val))
		}
		if err != nil {
			d.failErr(e.val, join(path, "kind"), err)
			ok = false
		} else {
			def.Kind, kindGiven = k, true
		}
	} else {
		d.fail(n, path, "missing required key kind")
		ok = false
	}
	if e, has := m["events"]; has {
		def.Events, good = d.names(e.val, join(path, "events"), "event names")
		bad(good)
	}
	w, hasWindow := m["window"]
	ws, hasSize := m["window_size"]
	switch {
	case hasWindow && hasSize:
		d.fail(ws.key, join(path, "window_size"), "window (line %d) and window_size both given: use one", w.key.Line)
		ok = false
	case hasWindow:
		def.Window, good = d.duration(w.val, join(path, "window"), false)
		bad(good)
	case hasSize:
		var f float64
		if f, good = d.number(ws.val, join(path, "window_size")); good {
			def.Window, good = d.seconds(ws.val, join(path, "window_size"), f)
		}
		bad(good)
	}
	if kindGiven && !def.Kind.Windowed() && (hasWindow || hasSize) {
		k := w.key
		if !hasWindow {
			k = ws.key
		}
		d.fail(k, join(path, k.Value), "%s counters have no window", def.Kind)
		ok = false
	}
	if e, has := m["of"]; has {
		o, err := counters.ParseOf(e.val.Value)
		if e.val.Kind != yaml.ScalarNode {
			err = fmt.Errorf("want auto, count or sum, got %s", describe(e.val))
		}
		if err != nil {
			d.failErr(e.val, join(path, "of"), err)
			ok = false
		} else {
			def.Of = o
		}
	}
	if e, has := m["quantiles"]; has {
		def.Quantiles, good = d.quantiles(e.val, join(path, "quantiles"))
		bad(good)
		if good && kindGiven && def.Kind != counters.Percentiles {
			d.fail(e.key, join(path, "quantiles"), "only percentiles counters have quantiles, not %s", def.Kind)
			ok = false
		}
	}
	by, hasBy := m["by"]
	without, hasWithout := m["without"]
	switch {
	case hasBy && hasWithout:
		d.fail(without.key, join(path, "without"), "by (line %d) and without both given: use one", by.key.Line)
		ok = false
	case hasBy:
		def.By, good = d.attributeSelection(by.val, join(path, "by"))
		bad(good)
	case hasWithout:
		def.Without, good = d.names(without.val, join(path, "without"), "attribute names")
		if good && slices.Contains(def.Without, counters.AllAttributes) {
			d.fail(without.val, join(path, "without"), "%q would drop every attribute: leave by and without out for one series", counters.AllAttributes)
			good = false
		}
		bad(good)
	}
	if !ok {
		return def, nameNode, false
	}
	norm, err := def.Normalized()
	if err != nil {
		d.failErr(n, path, err)
		return def, nameNode, false
	}
	if norm.Kind.Windowed() {
		// The reader would refuse the counter: say so here, at the window.
		tick, where := d.tick, "the file's tick"
		if tick == 0 {
			tick, where = defaultTick, "the default tick"
		}
		if err := counters.CheckWindow(norm.Window, tick); err != nil {
			at, p := n, path
			switch {
			case hasWindow:
				at, p = w.val, join(path, "window")
			case hasSize:
				at, p = ws.val, join(path, "window_size")
			default:
				err = fmt.Errorf("the default %w", err)
			}
			d.fail(at, p, "%v (checked against %s)", err, where)
			return def, nameNode, false
		}
	}
	return norm, nameNode, true
}

// attributeSelection reads the value of by: all (or "*") for every
// attribute, or a list of attribute names.
func (d *decoder) attributeSelection(n *yaml.Node, path string) ([]string, bool) {
	if n.Kind == yaml.ScalarNode {
		switch strings.ToLower(strings.TrimSpace(n.Value)) {
		case "all", counters.AllAttributes:
			return []string{counters.AllAttributes}, true
		}
		d.fail(n, path, "want all or a list of attribute names such as [http.route], got %s", describe(n))
		return nil, false
	}
	names, ok := d.names(n, path, "attribute names")
	if !ok {
		return nil, false
	}
	all := func(s string) bool { return s == counters.AllAttributes || strings.EqualFold(s, "all") }
	if slices.ContainsFunc(names, all) {
		if len(names) > 1 {
			d.fail(n, path, "all (every attribute) with other names: write by: all alone, or list the names")
			return nil, false
		}
		return []string{counters.AllAttributes}, true
	}
	return names, true
}

// quantiles reads a list of quantiles, each a number in (0, 1).
func (d *decoder) quantiles(n *yaml.Node, path string) ([]float64, bool) {
	if n.Kind != yaml.SequenceNode || len(n.Content) == 0 {
		d.fail(n, path, "want a list of quantiles such as [0.5, 0.9, 0.99], got %s", describe(n))
		return nil, false
	}
	qs := make([]float64, 0, len(n.Content))
	ok := true
	for i, e := range n.Content {
		q, good := d.number(d.deref(e), index(path, i))
		if good && !(q > 0 && q < 1) {
			d.fail(e, index(path, i), "quantile %v is not between 0 and 1 (exclusive)", q)
			good = false
		}
		ok = ok && good
		qs = append(qs, q)
	}
	return qs, ok
}

func (d *decoder) reporterList(n *yaml.Node) []Reporter {
	return namedList(d, n, "reporters", d.reporter,
		func(r Reporter) string { return r.Name },
		func(name string, line int) string {
			return fmt.Sprintf("duplicate reporter name %q (first at line %d); give each reporter of one type its own name", name, line)
		})
}

// reporter reads one reporter entry. The returned node carries the line
// that names the reporter (its name, or its type when it has no name).
func (d *decoder) reporter(n *yaml.Node, path string) (r Reporter, nameNode *yaml.Node, ok bool) {
	m := d.mapping(n, path, "a reporter (a mapping with a type)", reporterKeys)
	if m == nil {
		return r, nil, false
	}
	r.Line = n.Line
	ok = true
	var typ reporterType
	if e, has := m["type"]; has {
		if s, good := d.name(e.val, join(path, "type")); good {
			i := slices.IndexFunc(reporterTypes(), func(t reporterType) bool { return t.name == s })
			if i < 0 {
				d.fail(e.val, join(path, "type"), "unknown reporter type %q (want one of %s)", s, strings.Join(KnownReporterTypes(), ", "))
				ok = false
			} else {
				typ = reporterTypes()[i]
				r.Type = s
			}
		} else {
			ok = false
		}
	} else {
		d.fail(n, path, "missing required key type (one of %s)", strings.Join(KnownReporterTypes(), ", "))
		ok = false
	}
	if e, has := m["name"]; has {
		var good bool
		if r.Name, good = d.name(e.val, join(path, "name")); good {
			nameNode = e.val
		} else {
			ok = false
		}
	} else if r.Type != "" {
		r.Name, nameNode = r.Type, m["type"].val
	}
	for _, f := range []struct {
		key string
		dst *string
	}{{"path", &r.Path}, {"level", &r.Level}, {"address", &r.Address}} {
		e, has := m[f.key]
		if !has {
			if r.Type != "" && slices.Contains(typ.needs, f.key) {
				d.fail(n, path, "missing required key %s for a %s reporter", f.key, r.Type)
				ok = false
			}
			continue
		}
		p := join(path, f.key)
		if r.Type != "" && !slices.Contains(typ.takes, f.key) {
			d.fail(e.key, p, "does not apply to a %s reporter", r.Type)
			ok = false
			continue
		}
		s, good := d.name(e.val, p)
		if !good {
			ok = false
			continue
		}
		*f.dst = s
	}
	if r.Type == "log" {
		if r.Level == "" {
			r.Level = "info"
		}
		r.Level = strings.ToLower(r.Level)
		if !slices.Contains(logLevels, r.Level) {
			d.fail(m["level"].val, join(path, "level"), "unknown level %q (want one of %s)", r.Level, strings.Join(logLevels, ", "))
			ok = false
		}
	}
	return r, nameNode, ok
}

func (d *decoder) defaults(n *yaml.Node) Defaults {
	const path = "default_counters"
	m := d.mapping(n, path, "a mapping with enabled, include and exclude", defaultKeys)
	if m == nil {
		return Defaults{}
	}
	// A section that is present means default counters are wanted unless
	// it says otherwise.
	def := Defaults{Enabled: true}
	if e, has := m["enabled"]; has {
		def.Enabled, _ = d.boolean(e.val, join(path, "enabled"))
	}
	if e, has := m["include"]; has {
		def.Include, _ = d.names(e.val, join(path, "include"), "name patterns")
	}
	if e, has := m["exclude"]; has {
		def.Exclude, _ = d.names(e.val, join(path, "exclude"), "name patterns")
	}
	return def
}
