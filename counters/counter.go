package counters

import (
	"fmt"
	"math"
	"strings"
	"time"
)

// Sample is what happened to one series of an event during one interval:
// the number of measurements, their sum, their minimum and their maximum.
// Min and Max are meaningful only when Count > 0.
type Sample struct {
	Count    uint64
	Sum      float64
	Min, Max float64
}

// Value is a counter's value for one series. OK is false when the counter
// has nothing to say (an empty window for averages, maxima and minima, no
// event yet for totals): PyCounters' None, JSON's null. Count is the number
// of measurements behind an average (the weight for merging); zero otherwise.
type Value struct {
	V     float64
	OK    bool
	Count uint64
}

// MaxSlots bounds the number of slots in one window. A window of at most
// MaxSlots ticks has one slot per tick, so that it is exact at every tick; a
// longer one has slots of a whole number of ticks that divide it (see the
// package doc), which bounds memory per series.
const MaxSlots = 1024

// minWideSlots is the fewest slots a window longer than MaxSlots ticks may
// have: twice as fine as the 60 slots the layouts of earlier versions had.
const minWideSlots = MaxSlots / 8

// MaxWindow is the longest window (and tick) a counter accepts: twice it, the
// time after which an idle series is forgotten, still fits in a
// time.Duration with room to spare.
const MaxWindow = 50 * 365 * 24 * time.Hour

// lane is one number kept per slot.
type lane uint8

const (
	laneCount lane = iota
	laneSum
	laneMin
	laneMax
)

// Counter is a registered counter's shared, read-only layout: its
// definition, slot width and lanes. A Counter is safe for concurrent use;
// the [Series] it makes are not.
type Counter struct {
	def   Definition
	tick  time.Duration
	slot  time.Duration // slot width, a whole number of ticks
	n     int64         // slots per window
	lanes []lane
	start time.Duration // beginning of the first interval the counter saw
}

// New returns the counter described by def, for a reader that collects every
// tick and registers the counter at elapsed time at (time since the reader's
// origin). The tick must be positive and at most [MaxWindow]; the window of a
// windowed kind must be a whole number of ticks (the error says which
// windows would do), and one longer than [MaxSlots] ticks must also divide
// into at least 512 slots of a whole number of ticks each.
func New(def Definition, tick, at time.Duration) (*Counter, error) {
	def, err := def.Normalized()
	if err != nil {
		return nil, err
	}
	if tick <= 0 || tick > MaxWindow {
		return nil, fmt.Errorf("counter %q: tick must be positive and at most %v, got %v", def.Name, MaxWindow, tick)
	}
	c := &Counter{def: def, tick: tick}
	// The first interval the counter hears began at the tick before at.
	c.start = at / tick * tick
	if !def.Kind.Windowed() {
		return c, nil
	}
	c.slot, c.n, err = layout(def.Window, tick)
	if err != nil {
		return nil, fmt.Errorf("counter %q: %w", def.Name, err)
	}
	switch def.Kind {
	case Average, AverageTime:
		c.lanes = []lane{laneCount, laneSum}
	case Frequency, WindowSum:
		c.lanes = []lane{laneSum}
	case Max:
		c.lanes = []lane{laneMax}
	case Min:
		c.lanes = []lane{laneMin}
	case Count:
		c.lanes = []lane{laneCount}
	case Percentiles:
		// The lanes give the mean and clamp the quantiles to the window's
		// exact extremes; the buckets live beside them (percentile.go).
		c.lanes = []lane{laneCount, laneSum, laneMin, laneMax}
	}
	return c, nil
}

// Definition returns the counter's normalised definition.
func (c *Counter) Definition() Definition { return c.def }

// Name returns the counter's name.
func (c *Counter) Name() string { return c.def.Name }

// Kind returns the counter's kind.
func (c *Counter) Kind() Kind { return c.def.Kind }

// Slot returns the width of one slot of the window (zero for kinds without
// a window).
func (c *Counter) Slot() time.Duration { return c.slot }

// Window returns the time the window spans: the definition's window (zero
// for kinds without a window).
func (c *Counter) Window() time.Duration { return c.slot * time.Duration(c.n) }

// Tick returns the tick the counter was made for.
func (c *Counter) Tick() time.Duration { return c.tick }

// CheckWindow returns the error [New] would return for a windowed counter
// with window w (zero: [DefaultWindow]) read every tick, or nil: for
// configuration files, which know their tick before any reader exists.
func CheckWindow(w, tick time.Duration) error {
	if w == 0 {
		w = DefaultWindow
	}
	if w < 0 || w > MaxWindow {
		return fmt.Errorf("window %v is not in (0, %v]", w, MaxWindow)
	}
	if tick <= 0 || tick > MaxWindow {
		return fmt.Errorf("tick must be positive and at most %v, got %v", MaxWindow, tick)
	}
	_, _, err := layout(w, tick)
	return err
}

// layout returns the slot width and the number of slots of a window w read
// every tick: one slot per tick up to MaxSlots ticks; beyond, the narrowest
// slots of whole ticks that divide the window into at most MaxSlots and at
// least minWideSlots slots. Windows that fit neither rule are refused with
// the nearest windows that do.
func layout(w, tick time.Duration) (slot time.Duration, n int64, err error) {
	ticks := int64(w / tick)
	if w%tick != 0 {
		return 0, 0, fmt.Errorf("window %v is not a whole number of ticks of %v: use %s, or a tick that divides it",
			w, tick, nearWindows(tick, ticks, ticks+1))
	}
	if ticks <= MaxSlots {
		return tick, ticks, nil
	}
	g0 := (ticks + MaxSlots - 1) / MaxSlots
	// Natural windows (hours, days) find a divisor in a few steps; the
	// bound keeps absurd ones from searching for long.
	for g := g0; g < g0+4096 && ticks/g >= minWideSlots; g++ {
		if ticks%g == 0 {
			return tick * time.Duration(g), ticks / g, nil
		}
	}
	return 0, 0, fmt.Errorf("window %v is %d ticks of %v: a window longer than %d ticks needs slots of whole ticks that divide it into %d to %d slots, and none do: use %s, or a longer tick",
		w, ticks, tick, MaxSlots, minWideSlots, MaxSlots, nearWindows(tick, ticks-1, ticks+1))
}

// nearWindows names the longest window of at most below ticks and the
// shortest of at least above ticks that layout accepts. Multiples of
// ⌈ticks/MaxSlots⌉ ticks always are.
func nearWindows(tick time.Duration, below, above int64) string {
	var ws []string
	if below >= 1 {
		lo := below
		if lo > MaxSlots {
			g := (lo + MaxSlots - 1) / MaxSlots
			lo = lo / g * g
		}
		ws = append(ws, (tick * time.Duration(lo)).String())
	}
	hi := above
	if hi > MaxSlots {
		g := (hi + MaxSlots - 1) / MaxSlots
		hi = (hi + g - 1) / g * g
	}
	if hi <= int64(MaxWindow/tick) {
		ws = append(ws, (tick * time.Duration(hi)).String())
	}
	if len(ws) == 0 {
		return "a window of whole ticks"
	}
	return strings.Join(ws, " or ")
}

// Covered returns the time the window read at elapsed time at covers, which
// a Frequency divides by: from its old edge (see the package doc), or from
// the beginning of the first interval the counter heard if that is later, up
// to at; never less than one tick, so that the first moments of a counter
// read low rather than spike.
func (c *Counter) Covered(at time.Duration) time.Duration {
	if !c.def.Kind.Windowed() {
		return 0
	}
	from := max((c.slotIndex(at)-c.n)*int64(c.slot), int64(c.start))
	return max(at-time.Duration(from), c.tick)
}

// SlotIndex returns the number of the slot that holds the interval ending at
// elapsed time at: slot k holds the intervals ending in ((k-1)·slot, k·slot].
func (c *Counter) slotIndex(at time.Duration) int64 {
	if at <= 0 {
		return 0
	}
	return int64((at + c.slot - 1) / c.slot)
}

// NewSeries returns an empty series of the counter.
func (c *Counter) NewSeries() *Series {
	s := &Series{c: c, head: -1, last: -1}
	if c.def.Kind.Windowed() {
		s.vals = make([]float64, int(c.n)*len(c.lanes))
		if c.def.Kind == Percentiles {
			s.h = newHistWindow(int(c.n))
		}
		s.clear(0, int(c.n))
	}
	return s
}

// Series is the state of one counter for one attribute set: the window's
// slots, or a running total. A Series is not safe for concurrent use.
type Series struct {
	c    *Counter
	head int64 // newest slot index advanced to; -1 before any
	last int64 // slot index (or elapsed ticks for totals) of the newest data; -1 before any
	vals []float64
	// total and seen serve the kinds without a window.
	total float64
	seen  bool
	// h holds the buckets of Percentiles series; nil for other kinds.
	h *histWindow
}

func (s *Series) clear(from, to int) {
	if s.h != nil {
		s.h.clear(from, to)
	}
	w := len(s.c.lanes)
	for i := from * w; i < to*w; i++ {
		switch s.c.lanes[i%w] {
		case laneMin:
			s.vals[i] = math.Inf(1)
		case laneMax:
			s.vals[i] = math.Inf(-1)
		default:
			s.vals[i] = 0
		}
	}
}

// advance moves the head to slot k, emptying the slots it passes.
func (s *Series) advance(k int64) {
	if k <= s.head {
		return
	}
	from := s.head + 1
	if k-from >= s.c.n {
		from = k - s.c.n + 1
	}
	for j := from; j <= k; j++ {
		i := int(j % s.c.n)
		s.clear(i, i+1)
	}
	s.head = k
}

// Add adds the sample of the interval that ended at elapsed time at. Intervals
// must be added in non-decreasing time order; a sample older than the window
// is ignored. A sample with Count zero adds only its Sum (a counter
// instrument's increment); one with Count and Sum zero changes nothing.
//
// A Percentiles series learns from a Sample only the values it knows
// exactly (the one value of a Count 1, the Min and Max of a Count 2); feed it
// with [Series.AddHistogram].
func (s *Series) Add(at time.Duration, x Sample) {
	if k, ok := s.add(at, x); ok && s.h != nil {
		s.h.addKnown(int(k%s.c.n), x)
	}
}

// add adds x to the lanes and returns the slot it went to, or false when
// there is no slot (an empty sample, a sample older than the window, a kind
// without a window).
func (s *Series) add(at time.Duration, x Sample) (int64, bool) {
	if x.Count == 0 && x.Sum == 0 {
		return 0, false
	}
	switch s.c.def.Kind {
	case Event, Total:
		s.total += x.Sum
		s.seen = true
		s.last = int64(at)
		return 0, false
	case Last:
		// The newest value of the interval is not known from a Sample; the
		// caller passes it as Sum with Count 1.
		s.total = x.Sum
		s.seen = true
		s.last = int64(at)
		return 0, false
	}
	k := s.c.slotIndex(at)
	if k <= s.head-s.c.n {
		return 0, false
	}
	s.advance(k)
	s.last = k
	w := len(s.c.lanes)
	base := int(k%s.c.n) * w
	for i, l := range s.c.lanes {
		v := &s.vals[base+i]
		switch l {
		case laneCount:
			*v += float64(x.Count)
		case laneSum:
			*v += x.Sum
		case laneMin:
			if x.Count > 0 { // Min and Max mean nothing without measurements
				*v = math.Min(*v, x.Min)
			}
		case laneMax:
			if x.Count > 0 {
				*v = math.Max(*v, x.Max)
			}
		}
	}
	return k, true
}

// fold combines the lanes of the slots inside the window at elapsed time at.
// It walks one lane at a time through the ring, the hot loop of a report.
func (s *Series) fold(at time.Duration) (count, sum, lo, hi float64) {
	lo, hi = math.Inf(1), math.Inf(-1)
	from, to := s.span(at)
	if from > to {
		return
	}
	w := len(s.c.lanes)
	slots := int(to - from + 1)
	end := int(s.c.n) * w
	first := int(from%s.c.n) * w
	for i, l := range s.c.lanes {
		idx := first + i
		switch l {
		case laneCount, laneSum:
			var acc float64
			for range slots {
				acc += s.vals[idx]
				if idx += w; idx >= end {
					idx -= end
				}
			}
			if l == laneCount {
				count = acc
			} else {
				sum = acc
			}
		case laneMin:
			for range slots {
				if v := s.vals[idx]; v < lo {
					lo = v
				}
				if idx += w; idx >= end {
					idx -= end
				}
			}
		case laneMax:
			for range slots {
				if v := s.vals[idx]; v > hi {
					hi = v
				}
				if idx += w; idx >= end {
					idx -= end
				}
			}
		}
	}
	return
}

// span returns the slot indexes of the window at elapsed time at that may
// hold data: none (from > to) before any data.
func (s *Series) span(at time.Duration) (from, to int64) {
	if s.head < 0 {
		return 0, -1
	}
	k := s.c.slotIndex(at)
	from = max(k-s.c.n+1, s.head-s.c.n+1, 0)
	return from, min(k, s.head)
}

// Value returns the counter's value for this series at elapsed time at. The
// value of a Percentiles series is the mean of its window; its quantiles
// come from [Series.Quantiles].
func (s *Series) Value(at time.Duration) Value {
	switch s.c.def.Kind {
	case Event, Total, Last:
		return Value{V: s.total, OK: s.seen}
	}
	count, sum, lo, hi := s.fold(at)
	switch s.c.def.Kind {
	case Average, AverageTime, Percentiles:
		if count == 0 {
			return Value{}
		}
		return Value{V: sum / count, OK: true, Count: uint64(count)}
	case Frequency:
		return Value{V: sum / s.c.Covered(at).Seconds(), OK: true}
	case WindowSum:
		return Value{V: sum, OK: true}
	case Count:
		return Value{V: count, OK: true, Count: uint64(count)}
	case Max:
		if math.IsInf(hi, -1) {
			return Value{}
		}
		return Value{V: hi, OK: true}
	case Min:
		if math.IsInf(lo, 1) {
			return Value{}
		}
		return Value{V: lo, OK: true}
	}
	return Value{}
}

// Idle reports whether the series has had no data for longer than d at
// elapsed time at (and so may be forgotten). Series of running totals and
// last values are never idle: forgetting them would lose their value.
func (s *Series) Idle(at, d time.Duration) bool {
	if !s.c.def.Kind.Windowed() {
		return false
	}
	if s.last < 0 {
		return true
	}
	return at-time.Duration(s.last)*s.c.slot > d
}
