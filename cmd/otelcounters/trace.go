package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"

	"go.opentelemetry.io/otel/attribute"
)

// measureKind is what an event is measured with.
type measureKind uint8

const (
	timed    measureKind = iota + 1 // start/end pairs: a duration histogram
	valued                          // value events: a histogram
	occurred                        // occurrences: a counter
)

func (k measureKind) String() string {
	switch k {
	case timed:
		return "timed (start/end)"
	case valued:
		return "value"
	case occurred:
		return "occurrence"
	}
	return "unknown"
}

// measurement is one call to an OTel instrument: at is the simulated time
// of the call (the end of a timed block).
type measurement struct {
	at    time.Duration
	event string
	kind  measureKind
	value float64 // seconds for timed events; unused for occurrences
	attrs attribute.Set
	line  int
}

// trace is a parsed event trace: its measurements in time order.
type trace struct {
	source   string
	ms       []measurement
	last     time.Duration // time of the last line
	warnings []string
}

const (
	// maxLine bounds one line of a trace.
	maxLine = 1 << 20
	// maxTraceSeconds keeps simulated times far from overflowing a Duration.
	maxTraceSeconds = 1e9
)

var traceFields = []string{"t", "event", "type", "value", "id", "attrs"}

// open is a start waiting for its end.
type open struct {
	event string
	attrs attribute.Set
	at    time.Duration
	line  int
	id    string
}

// stackKey is what an end without id pairs by.
type stackKey struct {
	event string
	attrs attribute.Distinct
}

type traceParser struct {
	source string
	line   int
	t      float64 // time of the previous line
	tr     trace
	kinds  map[string]struct {
		kind measureKind
		line int
	}
	byID   map[string]*open
	stacks map[stackKey][]*open
}

// parseTrace reads an event trace in JSON lines. Errors name the source,
// the line and the field.
func parseTrace(r io.Reader, source string) (*trace, error) {
	p := &traceParser{
		source: source,
		tr:     trace{source: source},
		kinds: map[string]struct {
			kind measureKind
			line int
		}{},
		byID:   map[string]*open{},
		stacks: map[stackKey][]*open{},
	}
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 64<<10), maxLine)
	for sc.Scan() {
		p.line++
		if err := p.parseLine(sc.Bytes()); err != nil {
			return nil, err
		}
	}
	if err := sc.Err(); err != nil {
		if errors.Is(err, bufio.ErrTooLong) {
			return nil, fmt.Errorf("%s:%d: line longer than %d bytes", source, p.line+1, maxLine)
		}
		return nil, fmt.Errorf("%s: %w", source, err)
	}
	var unended []*open
	for _, o := range p.byID {
		unended = append(unended, o)
	}
	for _, s := range p.stacks {
		unended = append(unended, s...)
	}
	slices.SortFunc(unended, func(a, b *open) int { return a.line - b.line })
	for _, o := range unended {
		id := ""
		if o.id != "" {
			id = fmt.Sprintf(" (id %q)", o.id)
		}
		p.tr.warnings = append(p.tr.warnings, fmt.Sprintf("%s:%d: warning: start of %q%s never ended", source, o.line, o.event, id))
	}
	return &p.tr, nil
}

func (p *traceParser) errorf(field, format string, args ...any) error {
	msg := fmt.Sprintf(format, args...)
	if field == "" {
		return fmt.Errorf("%s:%d: %s", p.source, p.line, msg)
	}
	return fmt.Errorf("%s:%d: %s: %s", p.source, p.line, field, msg)
}

func (p *traceParser) parseLine(b []byte) error {
	b = bytes.TrimSpace(b)
	if len(b) == 0 {
		return nil
	}
	if b[0] != '{' {
		return p.errorf("", "want a JSON object, one per line")
	}
	var fields map[string]json.RawMessage
	if err := json.Unmarshal(b, &fields); err != nil {
		return p.errorf("", "invalid JSON: %v", err)
	}
	keys := make([]string, 0, len(fields))
	for k := range fields {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		if !slices.Contains(traceFields, k) {
			return p.errorf(k, "unknown field (want %s)", strings.Join(traceFields, ", "))
		}
	}

	typ, err := p.stringField(fields, "type", true)
	if err != nil {
		return err
	}
	var kind measureKind
	switch typ {
	case "start", "end":
		kind = timed
	case "value":
		kind = valued
	case "occurrence":
		kind = occurred
	default:
		return p.errorf("type", "unknown type %q (want start, end, value or occurrence)", typ)
	}

	raw, ok := fields["t"]
	if !ok {
		return p.errorf("t", "missing (seconds since the start of the trace)")
	}
	t, err := p.number("t", raw)
	if err != nil {
		return err
	}
	switch {
	case t < 0:
		return p.errorf("t", "negative time %v", t)
	case t > maxTraceSeconds:
		return p.errorf("t", "%v is too late (at most %g seconds)", t, float64(maxTraceSeconds))
	case t < p.t:
		return p.errorf("t", "time goes backwards: %v after %v", t, p.t)
	}
	p.t = t
	at := time.Duration(math.Round(t * float64(time.Second)))
	p.tr.last = at

	event, err := p.stringField(fields, "event", true)
	if err != nil {
		return err
	}
	if k, ok := p.kinds[event]; ok && k.kind != kind {
		return p.errorf("type", "event %q is %s here but %s at line %d; an event is measured one way", event, kind, k.kind, k.line)
	} else if !ok {
		p.kinds[event] = struct {
			kind measureKind
			line int
		}{kind, p.line}
	}

	var value float64
	raw, hasValue := fields["value"]
	switch {
	case kind == valued && !hasValue:
		return p.errorf("value", "missing: a value event needs a value")
	case kind == valued:
		if value, err = p.number("value", raw); err != nil {
			return err
		}
	case hasValue:
		return p.errorf("value", "only value events take a value, not %s events", typ)
	}

	id, err := p.stringField(fields, "id", false)
	if err != nil {
		return err
	}
	if _, hasID := fields["id"]; hasID && kind != timed {
		return p.errorf("id", "only start and end events take an id, not %s events", typ)
	}

	attrs, err := p.attrs(fields["attrs"])
	if err != nil {
		return err
	}
	hasAttrs := fields["attrs"] != nil && string(fields["attrs"]) != "null"

	m := measurement{at: at, event: event, kind: kind, value: value, attrs: attrs, line: p.line}
	switch typ {
	case "start":
		o := &open{event: event, attrs: attrs, at: at, line: p.line, id: id}
		if id != "" {
			if prev, busy := p.byID[id]; busy {
				return p.errorf("id", "id %q is already open (started at line %d)", id, prev.line)
			}
			p.byID[id] = o
			return nil
		}
		k := stackKey{event, attrs.Equivalent()}
		p.stacks[k] = append(p.stacks[k], o)
		return nil
	case "end":
		var o *open
		if id != "" {
			o = p.byID[id]
			if o == nil {
				return p.errorf("id", "end of %q with no start: no open start has id %q", event, id)
			}
			if o.event != event {
				return p.errorf("event", "end of %q, but id %q started %q at line %d", event, id, o.event, o.line)
			}
			if hasAttrs && !attrs.Equals(&o.attrs) {
				return p.errorf("attrs", "differ from those of the start at line %d (an end may repeat them or leave them out)", o.line)
			}
			delete(p.byID, id)
		} else {
			k := stackKey{event, attrs.Equivalent()}
			s := p.stacks[k]
			if len(s) == 0 {
				if hasAttrs {
					return p.errorf("event", "end of %q with no start: no open start without id has these attrs", event)
				}
				return p.errorf("event", "end of %q with no start: no open start without id or attrs", event)
			}
			o = s[len(s)-1]
			if len(s) == 1 {
				delete(p.stacks, k)
			} else {
				p.stacks[k] = s[:len(s)-1]
			}
		}
		m.attrs = o.attrs
		m.value = (at - o.at).Seconds()
	}
	p.tr.ms = append(p.tr.ms, m)
	return nil
}

// stringField reads a string field; a required one must be present and not
// empty.
func (p *traceParser) stringField(fields map[string]json.RawMessage, name string, required bool) (string, error) {
	raw, ok := fields[name]
	if !ok {
		if required {
			return "", p.errorf(name, "missing")
		}
		return "", nil
	}
	var s string
	if err := json.Unmarshal(raw, &s); err != nil {
		return "", p.errorf(name, "want a string, got %s", raw)
	}
	if s == "" {
		return "", p.errorf(name, "empty")
	}
	return s, nil
}

// number reads a finite JSON number.
func (p *traceParser) number(field string, raw json.RawMessage) (float64, error) {
	if len(raw) == 0 || (raw[0] != '-' && (raw[0] < '0' || raw[0] > '9')) {
		return 0, p.errorf(field, "want a number, got %s", raw)
	}
	f, err := strconv.ParseFloat(string(raw), 64)
	if err != nil || math.IsInf(f, 0) {
		return 0, p.errorf(field, "%s is not a finite number", raw)
	}
	return f, nil
}

// attrs reads the attrs object: string, number and boolean values.
func (p *traceParser) attrs(raw json.RawMessage) (attribute.Set, error) {
	if raw == nil || string(raw) == "null" {
		return *attribute.EmptySet(), nil
	}
	var m map[string]json.RawMessage
	if raw[0] != '{' || json.Unmarshal(raw, &m) != nil {
		return attribute.Set{}, p.errorf("attrs", "want an object of attributes, got %s", raw)
	}
	kvs := make([]attribute.KeyValue, 0, len(m))
	// In name order, so that the first bad attribute reported is always
	// the same one.
	for _, k := range slices.Sorted(maps.Keys(m)) {
		v := m[k]
		field := "attrs." + k
		if k == "" {
			return attribute.Set{}, p.errorf("attrs", "empty attribute name")
		}
		switch {
		case v[0] == '"':
			var s string
			if err := json.Unmarshal(v, &s); err != nil {
				return attribute.Set{}, p.errorf(field, "%v", err)
			}
			kvs = append(kvs, attribute.String(k, s))
		case string(v) == "true" || string(v) == "false":
			kvs = append(kvs, attribute.Bool(k, string(v) == "true"))
		case v[0] == '-' || (v[0] >= '0' && v[0] <= '9'):
			if i, err := strconv.ParseInt(string(v), 10, 64); err == nil {
				kvs = append(kvs, attribute.Int64(k, i))
				break
			}
			f, err := p.number(field, v)
			if err != nil {
				return attribute.Set{}, err
			}
			kvs = append(kvs, attribute.Float64(k, f))
		default:
			return attribute.Set{}, p.errorf(field, "want a string, number or boolean, got %s", v)
		}
	}
	return attribute.NewSet(kvs...), nil
}
