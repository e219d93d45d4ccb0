package report

import (
	"context"
	"math"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"go.opentelemetry.io/otel/attribute"

	"github.com/otelcounters/otelcounters/counters"
)

// CollectionTimeKey is the metadata key holding a report's time in Unix
// seconds, as PyCounters writes it.
const CollectionTimeKey = "__collection_time__"

// Value is one counter's value for one series.
type Value struct {
	// Key is the name the value is reported under: the counter's name for
	// the series without attributes, name{k="v",...} otherwise (see [Key]).
	// A percentiles counter reports several values per series, under its
	// name with a suffix: name.p50, name.p99_9, name.mean, and with
	// attributes name.p50{k="v",...}.
	Key string
	// Counter is the counter's name.
	Counter string
	// Kind is the counter's kind.
	Kind counters.Kind
	// Window is the span of the counter's window; zero for running totals
	// and last values.
	Window time.Duration
	// Covered is, for a frequency, the time its window's data covers, which
	// the rate is over (see counters.Counter.Covered): the window, or less
	// while the counter is young or between ticks. Zero for other kinds.
	// With it, rates of processes that started at different times merge
	// exactly: the events are the rate times Covered.
	Covered time.Duration
	// Attrs are the series' attributes.
	Attrs attribute.Set
	// Quantile is the quantile, in (0, 1), that a percentiles counter's
	// value is; 0 for every other value, a percentiles counter's mean
	// included.
	Quantile float64
	// Distribution is, on a percentiles counter's mean, the window's values
	// as buckets (nil elsewhere): what merging the series' quantiles with
	// other processes' needs. Reporters must not modify it.
	Distribution *counters.Distribution
	// Value is the number; Value.OK is false for an empty counter (null).
	counters.Value
}

// Report is the value of every counter at one time, sorted by Key.
// Reporters must not modify it: it is shared by all of them.
type Report struct {
	Time   time.Time
	Values []Value
}

// Reporter outputs reports: to a log, a file, a pipe, a network peer.
// Report is called from the reader's reporting goroutine (or the caller of an
// on-demand report), one call at a time per reporter; it should honour ctx.
type Reporter interface {
	Report(ctx context.Context, r Report) error
}

// ReporterFunc adapts a function to [Reporter].
type ReporterFunc func(ctx context.Context, r Report) error

// Report calls f.
func (f ReporterFunc) Report(ctx context.Context, r Report) error { return f(ctx, r) }

// Key returns the report key of a counter's series: the counter's name when
// attrs is empty, otherwise name{k1="v1",k2="v2"} with keys sorted and values
// quoted and escaped as in the Prometheus text format (backslash, double
// quote and newline; a byte that is not valid UTF-8 as \xNN).
func Key(name string, attrs attribute.Set) string {
	if attrs.Len() == 0 {
		return name
	}
	var b strings.Builder
	b.WriteString(name)
	b.WriteByte('{')
	it := attrs.Iter()
	for i := 0; it.Next(); i++ {
		kv := it.Attribute()
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(string(kv.Key))
		b.WriteString(`="`)
		escapeValue(&b, kv.Value.Emit())
		b.WriteByte('"')
	}
	b.WriteByte('}')
	return b.String()
}

// escapeValue writes an attribute value as the Prometheus text format
// quotes it. A byte that is not valid UTF-8 is written as \xNN, so that the
// key stays valid UTF-8 (JSON, munin) and two values that differ only in such
// bytes keep distinct keys.
func escapeValue(b *strings.Builder, s string) {
	const hex = "0123456789abcdef"
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && size == 1:
			b.WriteString(`\x`)
			b.WriteByte(hex[s[i]>>4])
			b.WriteByte(hex[s[i]&0xf])
		case r == '\\':
			b.WriteString(`\\`)
		case r == '"':
			b.WriteString(`\"`)
		case r == '\n':
			b.WriteString(`\n`)
		default:
			b.WriteString(s[i : i+size])
		}
		i += size
	}
}

// IsMetadata reports whether key is a metadata key (it starts and ends with
// "__"), which log output skips.
func IsMetadata(key string) bool {
	return len(key) >= 4 && strings.HasPrefix(key, "__") && strings.HasSuffix(key, "__")
}

// UnixSeconds returns t as fractional Unix seconds, the unit of
// __collection_time__.
func UnixSeconds(t time.Time) float64 {
	return float64(t.Unix()) + float64(t.Nanosecond())/1e9
}

// AppendJSON appends r as PyCounters' flat JSON object: every key with its
// number, or null for an empty counter, then __collection_time__, on one line
// with no trailing newline.
func (r Report) AppendJSON(b []byte) []byte {
	b = append(b, '{')
	for _, v := range r.Values {
		b = appendString(b, v.Key)
		b = append(b, ": "...)
		b = AppendNumber(b, v.Value)
		b = append(b, ", "...)
	}
	b = appendString(b, CollectionTimeKey)
	b = append(b, ": "...)
	b = appendFloat(b, UnixSeconds(r.Time))
	return append(b, '}')
}

// appendString appends s as a JSON string: quotes, backslashes and control
// characters escaped, invalid UTF-8 replaced by U+FFFD (as encoding/json
// does), everything else as it is.
func appendString(b []byte, s string) []byte {
	const hex = "0123456789abcdef"
	b = append(b, '"')
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			switch {
			case c == '"' || c == '\\':
				b = append(b, '\\', c)
			case c == '\n':
				b = append(b, '\\', 'n')
			case c == '\r':
				b = append(b, '\\', 'r')
			case c == '\t':
				b = append(b, '\\', 't')
			case c < 0x20 || c == 0x7f:
				b = append(b, '\\', 'u', '0', '0', hex[c>>4], hex[c&0xf])
			default:
				b = append(b, c)
			}
			i++
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			b = append(b, `\ufffd`...)
		} else {
			b = append(b, s[i:i+size]...)
		}
		i += size
	}
	return append(b, '"')
}

// AppendNumber appends v as a JSON number, or null when it is empty or not
// finite (JSON has no NaN or infinity).
func AppendNumber(b []byte, v counters.Value) []byte {
	if !v.OK || math.IsNaN(v.V) || math.IsInf(v.V, 0) {
		return append(b, "null"...)
	}
	return appendFloat(b, v.V)
}

// appendFloat formats like encoding/json: the shortest representation that
// reads back exactly, in exponent form only for very small or large numbers.
func appendFloat(b []byte, f float64) []byte {
	abs := math.Abs(f)
	format := byte('f')
	if abs != 0 && (abs < 1e-6 || abs >= 1e21) {
		format = 'e'
	}
	return strconv.AppendFloat(b, f, format, -1, 64)
}

// Lookup returns the value reported under key.
func (r Report) Lookup(key string) (Value, bool) {
	i, ok := searchKey(r.Values, key)
	if !ok {
		return Value{}, false
	}
	return r.Values[i], true
}

func searchKey(vs []Value, key string) (int, bool) {
	lo, hi := 0, len(vs)
	for lo < hi {
		m := int(uint(lo+hi) >> 1)
		if vs[m].Key < key {
			lo = m + 1
		} else {
			hi = m
		}
	}
	return lo, lo < len(vs) && vs[lo].Key == key
}
