package httpjson

import (
	"cmp"
	"encoding/json"
	"maps"
	"math"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/otelcounters/otelcounters/counters"
	"github.com/otelcounters/otelcounters/report"
)

// historyVersion is the version of the page's JSON (format=history). The
// page is served with it, so the two always agree; other clients should
// check it.
const historyVersion = 1

// historyJSON is the page's JSON: reports grouped the way the page shows
// them, by counter, then by series (attribute set), then by line (the
// value, or a percentiles counter's quantiles and mean).
type historyJSON struct {
	Version  int           `json:"version"`
	Refresh  float64       `json:"refresh"` // seconds between requests
	Keep     int           `json:"keep"`    // reports the page keeps
	Times    []float64     `json:"times"`   // Unix seconds, oldest first
	Counters []counterJSON `json:"counters"`
}

type counterJSON struct {
	Name   string       `json:"name"`
	Kind   string       `json:"kind"`
	Window float64      `json:"window"` // seconds; 0 for running totals and last values
	Unit   string       `json:"unit"`
	Series []seriesJSON `json:"series"`
}

type seriesJSON struct {
	ID    string      `json:"id"`    // the counter's name and the attributes as in report keys
	Attrs [][2]string `json:"attrs"` // sorted by key
	Lines []lineJSON  `json:"lines"`
}

type lineJSON struct {
	Key      string          `json:"key"`      // the report key
	Name     string          `json:"name"`     // "value", or a quantile's label ("p99") or "mean"
	Quantile float64         `json:"quantile"` // 0 but for a quantile
	Values   json.RawMessage `json:"values"`   // one number or null per time
}

// description tells which counter, series and line a report value belongs
// to on the page.
type description struct {
	counter string
	series  string // the series' id: counter name and attributes
	attrs   [][2]string
	line    string
}

// describe returns where the page shows v. The attributes are read from
// its key (a merged report's values have no attribute set); a key that does
// not parse names a counter of its own.
func describe(v report.Value) description {
	name, labels := v.Key, ""
	if i := strings.IndexByte(v.Key, '{'); i > 0 && strings.HasSuffix(v.Key, "}") {
		labels = v.Key[i:]
	}
	if v.Attrs.Len() > 0 { // exact where a counter's name holds a brace
		if l := report.Key("", v.Attrs); strings.HasSuffix(v.Key, l) {
			labels = l
		}
	}
	var attrs [][2]string
	if labels != "" {
		if a, ok := parseLabels(labels); ok {
			name, attrs = strings.TrimSuffix(v.Key, labels), a
		} else {
			labels = ""
		}
	}
	d := description{counter: name, attrs: attrs, line: "value"}
	if v.Kind == counters.Percentiles {
		d.line = counters.MeanLabel
		if v.Quantile > 0 {
			d.line = counters.QuantileLabel(v.Quantile)
		}
		d.counter = strings.TrimSuffix(name, "."+d.line)
	}
	d.series = d.counter + labels
	return d
}

// parseLabels reads attributes as [report.Key] writes them:
// {k1="v1",k2="v2"}, values escaped as in the Prometheus text format.
func parseLabels(s string) ([][2]string, bool) {
	s, ok := strings.CutPrefix(s, "{")
	if !ok {
		return nil, false
	}
	var attrs [][2]string
	for {
		k, rest, ok := strings.Cut(s, `="`)
		if !ok || k == "" {
			return nil, false
		}
		var b strings.Builder
		i := 0
		for ; i < len(rest) && rest[i] != '"'; i++ {
			if rest[i] != '\\' {
				b.WriteByte(rest[i])
				continue
			}
			i++
			if i == len(rest) {
				return nil, false
			}
			switch rest[i] {
			case '\\', '"':
				b.WriteByte(rest[i])
			case 'n':
				b.WriteByte('\n')
			case 'x':
				if i+2 >= len(rest) {
					return nil, false
				}
				n, err := strconv.ParseUint(rest[i+1:i+3], 16, 8)
				if err != nil {
					return nil, false
				}
				b.WriteByte(byte(n))
				i += 2
			default:
				return nil, false
			}
		}
		if i == len(rest) {
			return nil, false
		}
		// A key from a file can hold anything: the page gets valid UTF-8.
		attrs = append(attrs, [2]string{strings.ToValidUTF8(k, string(utf8.RuneError)), strings.ToValidUTF8(b.String(), string(utf8.RuneError))})
		switch rest = rest[i+1:]; {
		case rest == "}":
			return attrs, true
		case strings.HasPrefix(rest, ","):
			s = rest[1:]
		default:
			return nil, false
		}
	}
}

// lineOrder puts a percentiles counter's quantiles first, lowest first,
// then its mean; a plain value has one line.
func lineOrder(a, b lineJSON) int {
	if (a.Quantile == 0) != (b.Quantile == 0) {
		if a.Quantile == 0 {
			return 1
		}
		return -1
	}
	return cmp.Or(cmp.Compare(a.Quantile, b.Quantile), strings.Compare(a.Key, b.Key))
}

// buildHistory groups the entries' values for the page.
func buildHistory(entries []entry, cfg config, refreshSeconds float64) historyJSON {
	out := historyJSON{Version: historyVersion, Refresh: refreshSeconds, Keep: max(cfg.history, DefaultHistory),
		Times: make([]float64, len(entries)), Counters: []counterJSON{}}
	type line struct {
		d    description
		v    report.Value
		vals []float64
	}
	lines := map[string]*line{}
	for i, e := range entries {
		out.Times[i] = report.UnixSeconds(e.time)
		for j, v := range e.layout.values {
			l, ok := lines[v.Key]
			if !ok {
				l = &line{d: e.layout.descs[j], v: v, vals: make([]float64, len(entries))}
				for k := range l.vals {
					l.vals[k] = math.NaN()
				}
				lines[v.Key] = l
			}
			l.vals[i] = e.vals[j]
		}
	}
	byCounter := map[string]*counterJSON{}
	bySeries := map[string]*seriesJSON{}
	counterOf := map[string]string{} // series id → counter name
	var buf []byte
	for _, key := range slices.Sorted(maps.Keys(lines)) {
		l := lines[key]
		if _, ok := byCounter[l.d.counter]; !ok {
			c := &counterJSON{Name: l.d.counter, Kind: l.v.Kind.String(), Window: l.v.Window.Seconds(), Unit: cfg.unit(l.d.counter, l.v.Kind)}
			if l.v.Kind == 0 {
				c.Kind = "" // unknown: a merged report's value from a file without kinds
			}
			byCounter[l.d.counter] = c
		}
		s, ok := bySeries[l.d.series]
		if !ok {
			s = &seriesJSON{ID: l.d.series, Attrs: l.d.attrs}
			if s.Attrs == nil {
				s.Attrs = [][2]string{}
			}
			bySeries[l.d.series] = s
			counterOf[l.d.series] = l.d.counter
		}
		buf = append(buf[:0], '[')
		for k, f := range l.vals {
			if k > 0 {
				buf = append(buf, ',')
			}
			buf = report.AppendNumber(buf, counters.Value{V: f, OK: !math.IsNaN(f)})
		}
		buf = append(buf, ']')
		s.Lines = append(s.Lines, lineJSON{Key: key, Name: l.d.line, Quantile: l.v.Quantile, Values: slices.Clone(buf)})
	}
	for _, id := range slices.Sorted(maps.Keys(bySeries)) {
		s := bySeries[id]
		slices.SortFunc(s.Lines, lineOrder)
		c := byCounter[counterOf[id]]
		c.Series = append(c.Series, *s)
	}
	for _, name := range slices.Sorted(maps.Keys(byCounter)) {
		out.Counters = append(out.Counters, *byCounter[name])
	}
	return out
}
