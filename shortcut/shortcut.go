package shortcut

import (
	"context"
	"errors"
	"fmt"
	"math"
	"slices"
	"sync"
	"sync/atomic"
	"time"
	"unsafe"

	"go.opentelemetry.io/otel/metric"
	"go.opentelemetry.io/otel/metric/noop"

	"github.com/otelcounters/otelcounters/counters"
	"github.com/otelcounters/otelcounters/reader"
)

// Registry is where shortcuts register their automatic counters; a
// *reader.Reader is one. Register must return an error wrapping
// reader.ErrDuplicateCounter when a counter of that name exists.
type Registry interface {
	Register(def counters.Definition) error
}

// kind is which shortcut made an instrument; each has its own cache so that
// each can register its own automatic counter.
type kind uint8

const (
	kTime kind = iota
	kStart
	kValue
	kCount
	kFrequency
	kOccurrence
	nKinds
)

var kindInfo = [nKinds]struct {
	call string
	def  counters.Kind
}{
	kTime:       {"Time", counters.AverageTime},
	kStart:      {"Start", 0},
	kValue:      {"Value", counters.Average},
	kCount:      {"Count", counters.Event},
	kFrequency:  {"Frequency", counters.Frequency},
	kOccurrence: {"Occurrence", counters.Frequency},
}

// Shortcuts records events through the instruments of one OTel Meter and
// registers their automatic counters in one [Registry]. It is safe for
// concurrent use; its zero value is not usable, call [New].
type Shortcuts struct {
	meter metric.Meter
	reg   Registry
	cfg   config

	// Instruments by name, one copy-on-write map per shortcut kind: a read
	// is an atomic load and a map look-up, half the cost of a sync.Map.
	// Names are a small, fixed set, so copying on the rare first use is cheap.
	cache [nKinds]atomic.Pointer[map[string]*entry]
	mu    sync.Mutex // serialises the creation of entries

	// fast is a direct-mapped cache in front of the maps, indexed by the
	// address of the name's bytes. A name written as a literal always has
	// the same address, so a hit costs one load and a string comparison
	// that stops at the equal pointers: no hashing. Correctness rests on
	// the comparison alone; the address only picks the slot, and a slot
	// keeps its string (and so its address) alive. Slots are filled once
	// and never replaced, so names built anew on each call cannot make
	// the cores fight over them; they take the map path.
	fast [nKinds][fastSlots]atomic.Pointer[slot]
}

const fastSlots = 64

type slot struct {
	name string
	e    *entry
}

func fastIndex(name string) int {
	p := uint64(uintptr(unsafe.Pointer(unsafe.StringData(name))))
	return int((p * 0x9E3779B97F4A7C15) >> (64 - 6)) // Fibonacci hashing to 6 bits
}

// entry is one event's instrument.
type entry struct {
	s    *Shortcuts
	name string
	hist metric.Float64Histogram
	ctr  metric.Int64Counter
}

// New returns shortcuts that create their instruments with meter and
// register their automatic counters in reg (normally the *reader.Reader of
// the meter's provider). A nil reg registers no counters; a nil meter
// records nothing.
func New(meter metric.Meter, reg Registry, opts ...Option) *Shortcuts {
	if meter == nil {
		meter = noop.Meter{}
	}
	return &Shortcuts{meter: meter, reg: reg, cfg: newConfig(opts)}
}

// get returns the entry of name for shortcut k, creating it (and its
// automatic counter) on first use.
func (s *Shortcuts) get(k kind, name string) *entry {
	i := fastIndex(name)
	if sl := s.fast[k][i].Load(); sl != nil && sl.name == name {
		return sl.e
	}
	return s.lookup(k, i, name)
}

func (s *Shortcuts) lookup(k kind, i int, name string) *entry {
	var e *entry
	if m := s.cache[k].Load(); m != nil {
		e = (*m)[name]
	}
	if e == nil {
		e = s.create(k, name)
	}
	if s.fast[k][i].Load() == nil {
		s.fast[k][i].CompareAndSwap(nil, &slot{name: name, e: e})
	}
	return e
}

func (s *Shortcuts) create(k kind, name string) *entry {
	s.mu.Lock()
	defer s.mu.Unlock()
	old := s.cache[k].Load()
	if old != nil {
		if e := (*old)[name]; e != nil {
			return e
		}
	}
	// The counter comes before the instrument: a view that adds default
	// counters to instruments without any (package bridge) then sees it.
	s.register(k, name)
	e := &entry{s: s, name: name}
	var err error
	switch k {
	case kTime, kStart:
		e.hist, err = s.meter.Float64Histogram(name, metric.WithUnit("s"))
	case kValue:
		e.hist, err = s.meter.Float64Histogram(name)
	default:
		e.ctr, err = s.meter.Int64Counter(name)
	}
	if err != nil {
		s.cfg.handle(fmt.Errorf("otelcounters: shortcut %s, event %q: %w", kindInfo[k].call, name, err))
	}
	// The API promises a usable instrument even with an error; make sure.
	if e.hist == nil {
		e.hist = noop.Float64Histogram{}
	}
	if e.ctr == nil {
		e.ctr = noop.Int64Counter{}
	}
	n := 1
	if old != nil {
		n += len(*old)
	}
	m := make(map[string]*entry, n)
	if old != nil {
		for k, v := range *old {
			m[k] = v
		}
	}
	m[name] = e
	s.cache[k].Store(&m)
	return e
}

// register adds the automatic counter of shortcut k for name, unless it is
// off or a counter of that name exists.
func (s *Shortcuts) register(k kind, name string) {
	a := s.cfg.auto
	if x, ok := s.cfg.autoFor[name]; ok {
		a = x
	}
	if s.reg == nil || a.Off || kindInfo[k].def == 0 {
		return
	}
	def := counters.Definition{Name: name, Kind: kindInfo[k].def, Window: a.Window, By: a.By, Without: a.Without}
	if a.Kind != 0 {
		def.Kind = a.Kind
	}
	err := s.reg.Register(def)
	switch {
	case errors.Is(err, reader.ErrDuplicateCounter):
		s.checkExisting(k, def)
	case err != nil:
		s.cfg.handle(fmt.Errorf("otelcounters: shortcut %s, event %q: automatic %s counter not added: %w", kindInfo[k].call, name, def.Kind, err))
	}
}

// checkExisting says so when the counter named like the event, which is
// kept, does not listen to the event: its value would stay empty, and the
// shortcut's measurements would reach no counter of that name. The registry
// tells only when it lists its counters, as a *reader.Reader does.
func (s *Shortcuts) checkExisting(k kind, mine counters.Definition) {
	lister, ok := s.reg.(interface{ Counters() []counters.Definition })
	if !ok {
		return
	}
	for _, d := range lister.Counters() {
		if d.Name != mine.Name || slices.Contains(d.Events, mine.Name) {
			continue
		}
		s.cfg.handle(fmt.Errorf("otelcounters: shortcut %s, event %q: the counter %q registered already (%s of events %q) does not listen to this event, "+
			"so it will not count these measurements and the shortcut's own counter (%s of event %q) is not added: "+
			"rename one, or add %q to the counter's events",
			kindInfo[k].call, mine.Name, d.Name, d.Kind, d.Events, mine.Kind, mine.Name, mine.Name))
	}
}

// Count records one occurrence of the event name (an Int64Counter's Add(1),
// with opts, such as metric.WithAttributes) and, on first use, adds an event
// counter: the running total of calls (PyCounters' count). Deferred, it
// counts at the end of the block.
func (s *Shortcuts) Count(ctx context.Context, name string, opts ...metric.AddOption) {
	s.get(kCount, name).ctr.Add(ctx, 1, opts...)
}

// Frequency records one occurrence of the event name, with opts, and, on
// first use, adds a frequency counter: calls per second over the window
// (PyCounters' frequency). Deferred, it counts at the end of the block.
func (s *Shortcuts) Frequency(ctx context.Context, name string, opts ...metric.AddOption) {
	s.get(kFrequency, name).ctr.Add(ctx, 1, opts...)
}

// Occurrence records one occurrence of the event name, with opts, and, on
// first use, adds a frequency counter (PyCounters' occurrence).
func (s *Shortcuts) Occurrence(ctx context.Context, name string, opts ...metric.AddOption) {
	s.get(kOccurrence, name).ctr.Add(ctx, 1, opts...)
}

// Value records v for the event name (a Float64Histogram) and, on first use,
// adds an average counter: the mean value over the window (PyCounters'
// value). A NaN or infinite v is not recorded and is reported to the error
// handler; negative values are recorded as they are.
func (s *Shortcuts) Value(ctx context.Context, name string, v float64, opts ...metric.RecordOption) {
	e := s.get(kValue, name)
	if math.IsNaN(v) || math.IsInf(v, 0) {
		s.cfg.handle(fmt.Errorf("otelcounters: shortcut Value, event %q: %v is not a number that can be counted; not recorded", name, v))
		return
	}
	e.hist.Record(ctx, v, opts...)
}

// Time starts timing the event name and, on first use, adds an average_time
// counter: mean seconds over the window (PyCounters' time). Stop the
// returned Timer at the end of the timed block:
//
//	t := s.Time(ctx, "requests_time")
//	defer t.Stop()
func (s *Shortcuts) Time(ctx context.Context, name string, opts ...metric.RecordOption) Timer {
	e := s.get(kTime, name)
	return Timer{e: e, ctx: ctx, opts: opts, start: s.now()}
}

// now reads the clock; time.Now directly unless WithClock gave another.
func (s *Shortcuts) now() time.Time {
	if s.cfg.now == nil {
		return time.Now()
	}
	return s.cfg.now()
}

// TimeFunc runs f and records its duration as Time does, also when f
// panics (the panic goes on). It returns f's error.
func (s *Shortcuts) TimeFunc(ctx context.Context, name string, f func() error, opts ...metric.RecordOption) error {
	t := s.Time(ctx, name, opts...)
	defer t.Stop()
	return f()
}

// Start starts timing the event name without adding any counter
// (PyCounters' report_start). End the returned Timer with [Shortcuts.End]
// or [Timer.Stop], from any goroutine.
func (s *Shortcuts) Start(ctx context.Context, name string, opts ...metric.RecordOption) Timer {
	e := s.get(kStart, name)
	return Timer{e: e, ctx: ctx, opts: opts, start: s.now()}
}

// End records the timing t started (PyCounters' report_end) and marks it
// ended. Ending it again, a zero Timer or nil is reported to the error
// handler and records nothing.
func (s *Shortcuts) End(t *Timer) {
	if t == nil {
		s.cfg.handle(errors.New("otelcounters: shortcut End: nil Timer"))
		return
	}
	if t.e == nil {
		s.cfg.handle(errZeroTimer)
		return
	}
	t.Stop()
}
