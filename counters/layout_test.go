package counters

import (
	"math/rand/v2"
	"testing"
	"time"
)

func TestLayout(t *testing.T) {
	s := time.Second
	tests := []struct {
		window, tick time.Duration
		slot, spans  time.Duration
		slots        int64
		about        string
	}{
		{300 * s, s, 5 * s, 300 * s, 60, "a 300 s window of 1 s ticks: 60 slots of 5 s"},
		{300 * s, 5 * s, 5 * s, 300 * s, 60, "a 300 s window of 5 s ticks: 60 slots of one tick"},
		{900 * s, 5 * s, 15 * s, 900 * s, 60, "15 min of 5 s ticks: 60 slots of 3 ticks"},
		{7 * s, 2 * s, 2 * s, 8 * s, 4, "7 s of 2 s ticks rounds up to 8 s"},
		{60 * s, s, s, 60 * s, 60, "a minute of seconds"},
		{61 * s, s, 2 * s, 62 * s, 31, "one tick more than MaxSlots: slots of two ticks"},
		{301 * s, s, 6 * s, 306 * s, 51, "one second more than 60 slots of 5 s: 6 s slots"},
		{10 * s, s, s, 10 * s, 10, "short windows keep one slot per tick"},
		{s, 5 * s, 5 * s, 5 * s, 1, "a window shorter than a tick spans one tick"},
		{1, s, s, s, 1, "a 1 ns window spans one tick"},
		{3600 * s, s, 60 * s, 3600 * s, 60, "an hour of seconds: one-minute slots"},
		{3600 * s, 10 * s, 60 * s, 3600 * s, 60, "an hour of 10 s ticks"},
		{1500 * time.Millisecond, 500 * time.Millisecond, 500 * time.Millisecond, 1500 * time.Millisecond, 3, "sub-second ticks"},
		{0, s, 5 * s, 300 * s, 60, "the default window"},
	}
	for _, tt := range tests {
		c, err := New(Definition{Name: "l", Kind: Average, Window: tt.window}, tt.tick, 0)
		if err != nil {
			t.Fatalf("%s: %v", tt.about, err)
		}
		if c.Slot() != tt.slot || c.Window() != tt.spans || c.n != tt.slots {
			t.Errorf("%s: window %v, tick %v: Slot() = %v, Window() = %v, %d slots; want %v, %v, %d",
				tt.about, tt.window, tt.tick, c.Slot(), c.Window(), c.n, tt.slot, tt.spans, tt.slots)
		}
		// The definition keeps the window asked for.
		if tt.window != 0 && c.Definition().Window != tt.window {
			t.Errorf("%s: Definition().Window = %v, want %v", tt.about, c.Definition().Window, tt.window)
		}
	}
}

// The rules behind the table, on random layouts: a slot is a whole number of
// ticks, as few as keep the window within MaxSlots slots; the window is the
// defined one rounded up to whole slots.
func TestLayoutProperties(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for range 20000 {
		tick := time.Duration(1+r.Int64N(10_000)) * time.Millisecond
		window := time.Duration(1 + r.Int64N(int64(tick)*MaxSlots*20))
		c, err := New(Definition{Name: "l", Kind: WindowSum, Window: window}, tick, 0)
		if err != nil {
			t.Fatal(err)
		}
		slot, w := c.Slot(), c.Window()
		tps := slot / tick
		switch {
		case slot%tick != 0 || tps < 1:
			t.Fatalf("window %v tick %v: slot %v is not a whole number of ticks", window, tick, slot)
		case c.n < 1 || c.n > MaxSlots:
			t.Fatalf("window %v tick %v: %d slots", window, tick, c.n)
		case w != slot*time.Duration(c.n) || w < window || w-window >= slot:
			t.Fatalf("window %v tick %v: Window() = %v, %d slots of %v", window, tick, w, c.n, slot)
		case tps > 1 && window <= (tps-1)*tick*MaxSlots:
			t.Fatalf("window %v tick %v: slots of %d ticks where %d would do", window, tick, tps, tps-1)
		}
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
			{24 * time.Hour, time.Second},
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
				if c.n != MaxSlots {
					t.Errorf("%v %v/%v: %d slots, want %d", k, lay.window, lay.tick, c.n, MaxSlots)
				}
				want = MaxSlots * lanes[k]
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
