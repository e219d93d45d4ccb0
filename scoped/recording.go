package scoped

import (
	"cmp"
	"context"
	"slices"
	"strings"
	"sync"
	"time"

	"go.opentelemetry.io/otel/attribute"

	"github.com/otelcounters/otelcounters/report"
)

// ctxKey carries the innermost active *Recording of a provider in a
// context. It is keyed by provider because only that provider's count of
// active recordings says when its instruments must look for one: a
// recording takes the measurements of its own provider's instruments only.
// A struct of one pointer goes into an interface without allocating, so
// ctx.Value(ctxKey{p}) does not allocate.
type ctxKey struct{ p *MeterProvider }

// fromContext returns the innermost recording of p that ctx carries, or nil.
// It is kept out of line so that instrument.recording, the hot path,
// stays small enough to be inlined into every measurement.
//
//go:noinline
func (p *MeterProvider) fromContext(ctx context.Context) *Recording {
	if ctx == nil {
		return nil
	}
	r, _ := ctx.Value(ctxKey{p}).(*Recording)
	return r
}

// Recording collects the synchronous measurements made through the
// instruments of the [MeterProvider] that started it, with the context
// returned by [MeterProvider.Start] or any context derived from it, until
// [Recording.Stop].
//
// A Recording is made by Start; its zero value is not usable. It is safe
// for concurrent use: goroutines that measure with the request's context all
// add to it, under one mutex per recording.
type Recording struct {
	p      *MeterProvider
	parent *Recording // the recording of p active in the context given to Start
	name   string
	now    func() time.Time
	limit  int
	start  time.Time

	mu       sync.Mutex
	stopped  bool
	seq      uint64
	entries  map[entryKey]*entry
	overflow *attribute.Set
	result   Result
}

// instrument describes one wrapped synchronous instrument. Entries are keyed
// by its pointer, which is cheaper to hash than its name; entries of
// instruments that share a name are merged when the recording stops.
type instrument struct {
	p    *MeterProvider
	name string
	unit string
	kind Kind
}

// recording returns the innermost recording ctx carries for the
// instrument's provider, or nil. While the provider has no active recording
// it does not look at ctx: one atomic load, where ctx.Value would walk the
// whole context chain (a few nanoseconds per layer) to find nothing.
func (in *instrument) recording(ctx context.Context) *Recording {
	if in.p.active.Load() == 0 {
		return nil
	}
	return in.p.fromContext(ctx)
}

type entryKey struct {
	in  *instrument
	set attribute.Distinct
}

type entry struct {
	attrs               attribute.Set
	count               int64
	sum, min, max, last float64
	first, lastSeq      uint64
}

// observe adds one measurement to r and to every recording r is nested in.
func observe(r *Recording, in *instrument, v float64, attrs attribute.Set) {
	for ; r != nil; r = r.parent {
		r.add(in, v, attrs)
	}
}

func (r *Recording) add(in *instrument, v float64, attrs attribute.Set) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.stopped {
		return
	}
	r.seq++
	k := entryKey{in: in, set: attrs.Equivalent()}
	e := r.entries[k]
	if e == nil {
		if r.entries == nil {
			r.entries = make(map[entryKey]*entry)
		}
		if len(r.entries) >= r.limit {
			if r.overflow == nil {
				s := attribute.NewSet(attribute.Bool("otel.metric.overflow", true))
				r.overflow = &s
			}
			attrs = *r.overflow
			k.set = attrs.Equivalent()
			e = r.entries[k]
		}
		if e == nil {
			e = &entry{attrs: attrs, min: v, max: v, first: r.seq}
			r.entries[k] = e
		}
	}
	e.count++
	e.sum += v
	e.min = min(e.min, v)
	e.max = max(e.max, v)
	e.last = v
	e.lastSeq = r.seq
}

// Stop ends the recording and returns what it saw. Measurements made after
// Stop are not added, even with the recording's context. Stop may be called
// more than once: later calls return the result of the first.
func (r *Recording) Stop() Result {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.stopped {
		res := r.result
		res.Series = slices.Clone(res.Series)
		return res
	}
	r.stopped = true
	r.p.active.Add(-1)
	end := r.now()
	r.result = Result{
		Name:     r.name,
		Start:    r.start,
		Duration: end.Sub(r.start),
		Series:   r.series(),
	}
	r.entries = nil
	res := r.result
	res.Series = slices.Clone(res.Series)
	return res
}

// series merges the entries by name and attribute set (instruments of the
// same name from several meters share a series; the first one measured
// gives its kind and unit) and sorts them by key.
func (r *Recording) series() []Series {
	if len(r.entries) == 0 {
		return nil
	}
	type mergeKey struct {
		name string
		set  attribute.Distinct
	}
	keys := make([]entryKey, 0, len(r.entries))
	for k := range r.entries {
		keys = append(keys, k)
	}
	slices.SortFunc(keys, func(a, b entryKey) int {
		return cmp.Compare(r.entries[a].first, r.entries[b].first)
	})
	out := make([]Series, 0, len(keys))
	index := make(map[mergeKey]int, len(keys))
	for _, k := range keys {
		e := r.entries[k]
		mk := mergeKey{name: k.in.name, set: k.set}
		i, ok := index[mk]
		if !ok {
			index[mk] = len(out)
			out = append(out, Series{
				Name: k.in.name, Unit: k.in.unit, Kind: k.in.kind, Attrs: e.attrs,
				Count: e.count, Sum: e.sum, Min: e.min, Max: e.max, Last: e.last,
				lastSeq: e.lastSeq,
			})
			continue
		}
		s := &out[i]
		s.Count += e.count
		s.Sum += e.sum
		s.Min = min(s.Min, e.min)
		s.Max = max(s.Max, e.max)
		if e.lastSeq > s.lastSeq {
			s.Last, s.lastSeq = e.last, e.lastSeq
		}
	}
	for i := range out {
		out[i].Key = report.Key(out[i].Name, out[i].Attrs)
	}
	slices.SortFunc(out, func(a, b Series) int { return strings.Compare(a.Key, b.Key) })
	return out
}
