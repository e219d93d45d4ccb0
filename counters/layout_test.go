package counters

import (
	"math"
	"math/rand/v2"
	"strings"
	"testing"
	"time"
)

func TestLayout(t *testing.T) {
	s := time.Second
	tests := []struct {
		window, tick time.Duration
		slot         time.Duration
		slots        int64
		about        string
	}{
		{300 * s, s, s, 300, "a 300 s window of 1 s ticks: a slot per tick"},
		{300 * s, 5 * s, 5 * s, 60, "a 300 s window of 5 s ticks: 60 slots of one tick"},
		{900 * s, 5 * s, 5 * s, 180, "15 min of 5 s ticks"},
		{60 * s, s, s, 60, "a minute of seconds"},
		{61 * s, s, s, 61, "61 s of 1 s ticks is 61 s, not 62"},
		{301 * s, s, s, 301, "301 s of 1 s ticks is 301 s"},
		{1024 * s, s, s, 1024, "MaxSlots ticks: still a slot per tick"},
		{1026 * s, s, 2 * s, 513, "two ticks more than MaxSlots: slots of two ticks"},
		{3600 * s, s, 4 * s, 900, "an hour of seconds: 4 s slots"},
		{24 * 3600 * s, s, 90 * s, 960, "a day of seconds: 90 s slots (85 to 89 do not divide it)"},
		{24 * 3600 * s, 5 * s, 90 * s, 960, "a day of 5 s ticks"},
		{10 * s, s, s, 10, "short windows keep one slot per tick"},
		{5 * s, 5 * s, 5 * s, 1, "a window of one tick"},
		{1500 * time.Millisecond, 500 * time.Millisecond, 500 * time.Millisecond, 3, "sub-second ticks"},
		{0, s, s, 300, "the default window"},
		{0, 5 * s, 5 * s, 60, "the default window and tick"},
	}
	for _, tt := range tests {
		c, err := New(Definition{Name: "l", Kind: Average, Window: tt.window}, tt.tick, 0)
		if err != nil {
			t.Fatalf("%s: %v", tt.about, err)
		}
		want := tt.window
		if want == 0 {
			want = DefaultWindow
		}
		if c.Slot() != tt.slot || c.Window() != want || c.n != tt.slots {
			t.Errorf("%s: window %v, tick %v: Slot() = %v, Window() = %v, %d slots; want %v, %v, %d",
				tt.about, tt.window, tt.tick, c.Slot(), c.Window(), c.n, tt.slot, want, tt.slots)
		}
		if err := CheckWindow(tt.window, tt.tick); err != nil {
			t.Errorf("%s: CheckWindow: %v", tt.about, err)
		}
	}
}

// Windows that are not a whole number of ticks, or that no slot width
// divides finely enough, are refused with windows that would do; and those
// suggestions are accepted.
func TestLayoutRefused(t *testing.T) {
	s := time.Second
	tests := []struct {
		window, tick time.Duration
		msg          string
	}{
		{7 * s, 5 * s, "window 7s is not a whole number of ticks of 5s: use 5s or 10s"},
		{7 * s, 2 * s, "window 7s is not a whole number of ticks of 2s: use 6s or 8s"},
		{s, 5 * s, "window 1s is not a whole number of ticks of 5s: use 5s"},
		{1, s, "window 1ns is not a whole number of ticks of 1s: use 1s"},
		{300*s + 500*time.Millisecond, s, "use 5m0s or 5m1s"},
		{1031 * s, s, "window 17m11s is 1031 ticks of 1s: a window longer than 1024 ticks needs slots of whole ticks that divide it into 128 to 1024 slots, and none do: use 17m10s or 17m12s"}, // 1031 is prime
		{10007 * 5 * s, 5 * s, "use 13h53m20s or 13h54m10s"}, // 10007 is prime
	}
	for _, tt := range tests {
		_, err := New(Definition{Name: "l", Kind: WindowSum, Window: tt.window}, tt.tick, 0)
		if err == nil || !strings.Contains(err.Error(), tt.msg) {
			t.Errorf("window %v tick %v: error %v, want one containing %q", tt.window, tt.tick, err, tt.msg)
			continue
		}
		if err2 := CheckWindow(tt.window, tt.tick); err2 == nil || !strings.Contains(err.Error(), err2.Error()) {
			t.Errorf("window %v tick %v: CheckWindow says %v, New %v", tt.window, tt.tick, err2, err)
		}
		_, sugg, _ := strings.Cut(err.Error(), "use ")
		n := 0
		for _, f := range strings.Fields(sugg) {
			d, perr := time.ParseDuration(strings.TrimRight(f, ",:"))
			if perr != nil {
				continue
			}
			n++
			if err := CheckWindow(d, tt.tick); err != nil {
				t.Errorf("window %v tick %v: suggested %v is refused: %v", tt.window, tt.tick, d, err)
			}
		}
		if n == 0 {
			t.Errorf("window %v tick %v: %v suggests no window", tt.window, tt.tick, err)
		}
	}
	// Kinds without a window take any window.
	if _, err := New(Definition{Name: "l", Kind: Total, Window: 7 * s}, 5*s, 0); err != nil {
		t.Errorf("a total with a 7 s window: %v", err)
	}
}

// Bounds: absurd windows and ticks are errors, never panics or huge
// allocations.
func TestLayoutBounds(t *testing.T) {
	for _, tt := range []struct {
		window, tick time.Duration
	}{
		{math.MaxInt64, 5 * time.Second},
		{2530000 * time.Hour, 5 * time.Second},
		{MaxWindow + 1, time.Second},
		{time.Second, math.MaxInt64},
		{time.Second, -1},
		{MaxWindow - MaxWindow%time.Nanosecond, 1}, // a search that must give up quickly
	} {
		c, err := New(Definition{Name: "b", Kind: Count, Window: tt.window}, tt.tick, 0)
		if err == nil {
			if c.n > MaxSlots {
				t.Errorf("window %v tick %v: %d slots", tt.window, tt.tick, c.n)
			}
			continue
		}
		if !strings.Contains(err.Error(), `counter "b"`) {
			t.Errorf("window %v tick %v: error %v does not name the counter", tt.window, tt.tick, err)
		}
	}
	// The longest window accepted works.
	c, err := New(Definition{Name: "b", Kind: Count, Window: 50 * 365 * 24 * time.Hour}, time.Hour, 0)
	if err != nil {
		t.Fatal(err)
	}
	s := c.NewSeries()
	s.Add(time.Hour, Sample{Count: 1})
	if v := s.Value(2 * time.Hour); v.V != 1 || s.Idle(2*time.Hour, 2*c.Window()) {
		t.Errorf("a 50-year window: %+v, idle %v", v, s.Idle(2*time.Hour, 2*c.Window()))
	}
}

// The rules behind the table, on random layouts: a window of at most
// MaxSlots ticks has a slot per tick; a longer one the narrowest slots of
// whole ticks that divide it into MaxSlots/8 to MaxSlots slots; the window
// is always the one defined.
func TestLayoutProperties(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	accepted := 0
	for range 20000 {
		tick := time.Duration(1+r.Int64N(10_000)) * time.Millisecond
		window := tick * time.Duration(1+r.Int64N(MaxSlots*20))
		c, err := New(Definition{Name: "l", Kind: WindowSum, Window: window}, tick, 0)
		if err != nil {
			if window <= tick*MaxSlots {
				t.Fatalf("window %v tick %v: %v", window, tick, err)
			}
			continue
		}
		accepted++
		slot, w := c.Slot(), c.Window()
		tps := slot / tick
		switch {
		case slot%tick != 0 || tps < 1:
			t.Fatalf("window %v tick %v: slot %v is not a whole number of ticks", window, tick, slot)
		case c.n < 1 || c.n > MaxSlots || (tps > 1 && c.n < MaxSlots/8):
			t.Fatalf("window %v tick %v: %d slots", window, tick, c.n)
		case w != window || w != slot*time.Duration(c.n):
			t.Fatalf("window %v tick %v: Window() = %v, %d slots of %v", window, tick, w, c.n, slot)
		case window <= tick*MaxSlots && tps != 1:
			t.Fatalf("window %v tick %v: slots of %d ticks", window, tick, tps)
		}
		for g := (window/tick + MaxSlots - 1) / MaxSlots; g < tps; g++ {
			if (window/tick)%g == 0 {
				t.Fatalf("window %v tick %v: slots of %d ticks where %d would do", window, tick, tps, g)
			}
		}
	}
	if accepted < 12000 {
		t.Errorf("only %d of 20000 layouts accepted", accepted)
	}
}

// Memory per series: one float64 per slot and lane, nothing for totals.
func TestSeriesMemory(t *testing.T) {
	lanes := map[Kind]int{
		Average: 2, AverageTime: 2, Frequency: 1, WindowSum: 1, Max: 1, Min: 1, Count: 1,
		Event: 0, Total: 0, Last: 0, Percentiles: 4,
	}
	for _, k := range Kinds() {
		for _, lay := range []struct{ window, tick time.Duration }{
			{300 * time.Second, 5 * time.Second},
			{300 * time.Second, time.Second},
			{3600 * time.Second, time.Second},
		} {
			c, err := New(Definition{Name: "m", Kind: k, Window: lay.window}, lay.tick, 0)
			if err != nil {
				t.Fatal(err)
			}
			s := c.NewSeries()
			if len(c.lanes) != lanes[k] {
				t.Errorf("%v: %d lanes, want %d", k, len(c.lanes), lanes[k])
			}
			want := 0
			if k.Windowed() {
				slots := int(min(lay.window/lay.tick, 900))
				if c.n != int64(slots) {
					t.Errorf("%v %v/%v: %d slots, want %d", k, lay.window, lay.tick, c.n, slots)
				}
				want = slots * lanes[k]
			}
			if len(s.vals) != want || cap(s.vals) != want {
				t.Errorf("%v %v/%v: series keeps len %d cap %d float64s, want %d", k, lay.window, lay.tick, len(s.vals), cap(s.vals), want)
			}
			// Making a series is two allocations (the Series and its slots)
			// for windowed kinds, one otherwise; adding and reading none.
			allocs := 1.0
			if k.Windowed() {
				allocs = 2
			}
			if k == Percentiles {
				allocs = 4 // and the bucket slots, and their slice
			}
			if n := testing.AllocsPerRun(20, func() { _ = c.NewSeries() }); n != allocs {
				t.Errorf("%v: NewSeries allocates %v times, want %v", k, n, allocs)
			}
			at := time.Duration(0)
			// A round of the ring first: Percentiles slots keep the
			// capacity their buckets once needed.
			for range 2 * MaxSlots {
				at += lay.tick
				s.Add(at, Sample{Count: 2, Sum: 3, Min: 1, Max: 2})
			}
			if n := testing.AllocsPerRun(100, func() {
				at += lay.tick
				s.Add(at, Sample{Count: 2, Sum: 3, Min: 1, Max: 2})
				_ = s.Value(at)
			}); n != 0 {
				t.Errorf("%v: Add and Value allocate %v times, want 0", k, n)
			}
		}
	}
}

// The ring: slots are reused as time passes, and the slots a long gap
// skips are emptied (checked through the internal lanes).
func TestRingReuse(t *testing.T) {
	c, err := New(Definition{Name: "r", Kind: Count, Window: 4 * time.Second}, time.Second, 0)
	if err != nil {
		t.Fatal(err)
	}
	s := c.NewSeries()
	for i := 1; i <= 4; i++ {
		s.Add(time.Duration(i)*time.Second, Sample{Count: uint64(i)})
	}
	if got := s.vals; got[0] != 4 || got[1] != 1 || got[2] != 2 || got[3] != 3 {
		t.Fatalf("slots after 4 s: %v, want [4 1 2 3] (slot k in k mod 4)", got)
	}
	s.Add(6*time.Second, Sample{Count: 10}) // skips slot 5, reuses 1 and 2
	if got := s.vals; got[0] != 4 || got[1] != 0 || got[2] != 10 || got[3] != 3 {
		t.Fatalf("slots after 6 s: %v, want [4 0 10 3]", got)
	}
	if v := s.Value(6 * time.Second); v.V != 17 {
		t.Errorf("count at 6 s = %v, want 17 (slots 3, 4, 6)", v.V)
	}
	s.Add(100*time.Second, Sample{Count: 1}) // a gap longer than the window
	if got := s.vals; got[0] != 1 || got[1] != 0 || got[2] != 0 || got[3] != 0 {
		t.Fatalf("slots after 100 s: %v, want [1 0 0 0]", got)
	}
	if s.head != 100 || s.last != 100 {
		t.Errorf("head %d last %d, want 100", s.head, s.last)
	}
}
