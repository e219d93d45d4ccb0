package httpjson

import (
	"math"
	"slices"
	"sync"
	"time"

	"github.com/otelcounters/otelcounters/counters"
	"github.com/otelcounters/otelcounters/report"
)

// history holds the recent reports a Handler's page starts with, oldest
// first. It is safe for concurrent use.
type history struct {
	limit     int // reports kept at most, at least 1
	maxValues int // numbers kept at most, unless one report holds more

	mu      sync.Mutex
	fed     bool // it has had a report through Handler.Report
	entries []entry
	values  int // numbers held by entries
}

// entry is one report as the history keeps it: its numbers, with the
// description of its values shared with the reports before it while the
// series do not change. An entry is not modified once kept.
type entry struct {
	time   time.Time
	layout *layout
	vals   []float64 // NaN for an empty value
}

// layout is what a report says of its values besides the numbers, and
// where the page shows each.
type layout struct {
	values []report.Value // Value.Value cleared
	descs  []description  // of values, in order
}

func newHistory(limit int) *history {
	return &history{limit: max(limit, 1), maxValues: maxHistoryValues}
}

// record keeps r unless it is not newer than the newest report kept (the
// same snapshot seen by two requests, or a clock that went back), and
// reports whether it kept it. A report from a request (fromRequest) is not
// kept once the history has had one through Handler.Report.
func (h *history) record(r report.Report, fromRequest bool) bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	if fromRequest && h.fed {
		return false
	}
	h.fed = h.fed || !fromRequest
	var prev *layout
	if n := len(h.entries); n > 0 {
		last := h.entries[n-1]
		if !r.Time.After(last.time) {
			return false
		}
		prev = last.layout
	}
	e := entry{time: r.Time, layout: layoutOf(r, prev), vals: make([]float64, len(r.Values))}
	for i, v := range r.Values {
		e.vals[i] = math.NaN()
		if v.OK {
			e.vals[i] = v.V // a NaN or an infinity reads as empty, as in the JSON
		}
	}
	drop := 0
	for drop < len(h.entries) && (len(h.entries)-drop >= h.limit || h.values+len(e.vals) > h.maxValues) {
		h.values -= len(h.entries[drop].vals)
		drop++
	}
	h.entries = append(slices.Delete(h.entries, 0, drop), e)
	h.values += len(e.vals)
	return true
}

// since returns the reports kept whose time, in Unix seconds as the page
// has it, is after since.
func (h *history) since(since float64) []entry {
	h.mu.Lock()
	defer h.mu.Unlock()
	i := len(h.entries)
	for i > 0 && report.UnixSeconds(h.entries[i-1].time) > since {
		i--
	}
	return slices.Clone(h.entries[i:])
}

// layoutOf returns prev when r's values have the keys prev describes, in
// the same order, and a new layout otherwise.
func layoutOf(r report.Report, prev *layout) *layout {
	if prev != nil && len(prev.values) == len(r.Values) {
		same := true
		for i := range r.Values {
			a, b := &r.Values[i], &prev.values[i]
			if a.Key != b.Key || a.Kind != b.Kind || a.Window != b.Window || a.Quantile != b.Quantile {
				same = false
				break
			}
		}
		if same {
			return prev
		}
	}
	l := &layout{values: slices.Clone(r.Values), descs: make([]description, len(r.Values))}
	for i := range l.values {
		l.values[i].Value = counters.Value{}
		l.descs[i] = describe(l.values[i])
	}
	return l
}

// isFed reports whether the history has had a report through
// Handler.Report.
func (h *history) isFed() bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.fed
}
