package scoped

import (
	"errors"
	"fmt"
	"time"

	"go.opentelemetry.io/otel/attribute"

	"github.com/otelcounters/otelcounters/report"
)

// TotalDurationKey is the flat key of a recording's duration in seconds,
// scopedstats' name for it.
const TotalDurationKey = "total_recording_duration"

// ErrNothingRecorded is wrapped by the error of [Result.Require] when a
// recording saw no measurement.
var ErrNothingRecorded = errors.New("nothing recorded: no measurement made with the recording's context " +
	"went through the wrapped MeterProvider that started it")

// Kind is the kind of synchronous instrument a series was measured with; it
// decides the series' flat keys.
type Kind uint8

const (
	// Counter is an Int64Counter or Float64Counter: flat value is the sum.
	Counter Kind = iota
	// UpDownCounter is an Int64UpDownCounter or Float64UpDownCounter: flat
	// value is the sum.
	UpDownCounter
	// Histogram is an Int64Histogram or Float64Histogram: flat values are
	// name.count, and name.total_dur (time units) or name.sum (other units).
	Histogram
	// Gauge is an Int64Gauge or Float64Gauge: flat value is the last value.
	Gauge
)

// String returns the kind's name, as the OTel API spells the instrument.
func (k Kind) String() string {
	switch k {
	case Counter:
		return "Counter"
	case UpDownCounter:
		return "UpDownCounter"
	case Histogram:
		return "Histogram"
	case Gauge:
		return "Gauge"
	}
	return fmt.Sprintf("Kind(%d)", uint8(k))
}

// Series is what a recording saw of one instrument and attribute set.
// Every statistic is kept for every kind; [Result.Flat] picks the ones the
// kind calls for. Integer measurements are converted to float64 (exact up
// to 2^53).
type Series struct {
	// Key is the series' report key: Name, or Name{k="v",...} (see
	// report.Key).
	Key   string
	Name  string
	Unit  string
	Kind  Kind
	Attrs attribute.Set
	// Count is the number of measurements.
	Count int64
	// Sum, Min, Max and Last are the sum, the smallest, the largest and the
	// latest of the measured values.
	Sum, Min, Max, Last float64

	lastSeq uint64 // orders Last across series, for gauges under a filter
}

// Result is what a recording saw, from [Recording.Stop]. Its Series are
// sorted by Key.
type Result struct {
	// Name is the recording's name (see WithName).
	Name string
	// Start is when the recording started, by its clock.
	Start time.Time
	// Duration is the time from Start to the first Stop, by the
	// recording's clock: scopedstats' total_recording_duration.
	Duration time.Duration
	Series   []Series
}

// Require returns nil when the recording saw at least one measurement, and
// otherwise an error that names the recording and wraps
// [ErrNothingRecorded]: scopedstats' require_recording. An empty recording
// usually means the instruments came from another provider than the one
// that started the recording (the SDK's own, unwrapped), or the
// measurements were made with another context.
func (r Result) Require() error {
	if len(r.Series) > 0 {
		return nil
	}
	if r.Name == "" {
		return fmt.Errorf("scoped: unnamed recording: %w", ErrNothingRecorded)
	}
	return fmt.Errorf("scoped: recording %q: %w", r.Name, ErrNothingRecorded)
}

// Flat returns the result as scopedstats does: a map from key to number
// that always holds [TotalDurationKey].
//
// Counters and up-down counters give their sum under the instrument's name;
// histograms give name.count, and name.total_dur when their unit is a time
// unit (s, ms, us, µs, ns, min or h, as elsewhere in otelcounters; the total
// is in that unit) or name.sum otherwise; gauges give their last value.
//
// Without filter, every series has its own keys, name{k="v",...} when it
// has attributes (the report key format). With a filter, scopedstats'
// tag_filter: only the series whose attributes include every key/value of
// the filter count, and they are summed under the bare names (for gauges,
// the latest value of the matching series wins). A filter with a repeated
// key keeps its last value.
func (r Result) Flat(filter ...attribute.KeyValue) map[string]float64 {
	m := make(map[string]float64, 2*len(r.Series)+1)
	m[TotalDurationKey] = r.Duration.Seconds()
	if len(filter) == 0 {
		for i := range r.Series {
			s := &r.Series[i]
			if s.Kind == Histogram {
				count, sum := histogramKeys(s)
				m[report.Key(count, s.Attrs)] = float64(s.Count)
				m[report.Key(sum, s.Attrs)] = s.Sum
				continue
			}
			m[s.Key] = s.value()
		}
		return m
	}
	f := attribute.NewSet(filter...)
	var gaugeSeq map[string]uint64
	for i := range r.Series {
		s := &r.Series[i]
		if !includes(s.Attrs, f) {
			continue
		}
		switch s.Kind {
		case Histogram:
			count, sum := histogramKeys(s)
			m[count] += float64(s.Count)
			m[sum] += s.Sum
		case Gauge:
			if gaugeSeq == nil {
				gaugeSeq = make(map[string]uint64)
			}
			if seq, ok := gaugeSeq[s.Name]; !ok || s.lastSeq > seq {
				gaugeSeq[s.Name] = s.lastSeq
				m[s.Name] = s.Last
			}
		default:
			m[s.Name] += s.Sum
		}
	}
	return m
}

func (s *Series) value() float64 {
	if s.Kind == Gauge {
		return s.Last
	}
	return s.Sum
}

func histogramKeys(s *Series) (count, sum string) {
	if isTimeUnit(s.Unit) {
		return s.Name + ".count", s.Name + ".total_dur"
	}
	return s.Name + ".count", s.Name + ".sum"
}

// isTimeUnit reports whether unit is a UCUM time unit, as OTel semantic
// conventions write them.
func isTimeUnit(unit string) bool {
	switch unit {
	case "s", "ms", "us", "µs", "ns", "min", "h":
		return true
	}
	return false
}

// includes reports whether attrs hold every key/value of filter.
func includes(attrs, filter attribute.Set) bool {
	it := filter.Iter()
	for it.Next() {
		kv := it.Attribute()
		v, ok := attrs.Value(kv.Key)
		if !ok || v != kv.Value {
			return false
		}
	}
	return true
}
