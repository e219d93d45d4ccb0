package counters

import (
	"math"
	"math/rand/v2"
	"runtime"
	"testing"
	"time"
	"unsafe"
)

// counts returns the buckets of h at scale (at most h.Scale) as index → count.
func countsAt(h Histogram, scale int32) (pos, neg map[int32]uint64) {
	pos, neg = map[int32]uint64{}, map[int32]uint64{}
	d := h.Scale - scale
	for j, c := range h.Positive.Counts {
		if c != 0 {
			pos[(h.Positive.Offset+int32(j))>>d] += c
		}
	}
	for j, c := range h.Negative.Counts {
		if c != 0 {
			neg[(h.Negative.Offset+int32(j))>>d] += c
		}
	}
	return pos, neg
}

func randomHistogram(r *rand.Rand) Histogram {
	h := Histogram{Scale: int32(r.IntN(12) - 4)}
	if r.IntN(3) == 0 {
		h.ZeroCount = uint64(r.IntN(5))
	}
	for _, b := range []*Buckets{&h.Positive, &h.Negative} {
		if r.IntN(4) == 0 {
			continue
		}
		b.Offset = int32(r.IntN(2000) - 1000)
		b.Counts = make([]uint64, r.IntN(300))
		for j := range b.Counts {
			switch r.IntN(4) {
			case 0: // empty buckets, also at the ends
			case 1:
				b.Counts[j] = uint64(r.Int64N(1 << 40)) // several varint bytes
			default:
				b.Counts[j] = uint64(1 + r.IntN(200))
			}
		}
	}
	return h
}

// Encoding a slot, merging more histograms into it and reading it back
// gives the sum of the histograms at their smallest scale.
func TestSlotEncoding(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	for range 500 {
		w := newHistWindow(4)
		n := 1 + r.IntN(4)
		hs := make([]Histogram, n)
		scale := int32(math.MaxInt32)
		for i := range hs {
			hs[i] = randomHistogram(r)
			w.add(2, &hs[i])
			scale = min(scale, hs[i].Scale)
		}
		got := w.merge(2, 2)
		if got.Scale != scale {
			t.Fatalf("merged scale %d, want %d", got.Scale, scale)
		}
		wantPos, wantNeg := map[int32]uint64{}, map[int32]uint64{}
		var wantZero uint64
		for _, h := range hs {
			p, q := countsAt(h, scale)
			for k, c := range p {
				wantPos[k] += c
			}
			for k, c := range q {
				wantNeg[k] += c
			}
			wantZero += h.ZeroCount
		}
		gotPos, gotNeg := countsAt(got, scale)
		if !mapsEqual(gotPos, wantPos) || !mapsEqual(gotNeg, wantNeg) || got.ZeroCount != wantZero {
			t.Fatalf("slot of %d histograms reads %+v, want positive %v negative %v zero %d", n, got, wantPos, wantNeg, wantZero)
		}
		// Slots elsewhere stay empty; a cleared slot reads empty.
		if e := w.merge(0, 1); len(e.Positive.Counts)+len(e.Negative.Counts) != 0 || e.ZeroCount != 0 {
			t.Fatalf("untouched slots read %+v", e)
		}
		w.clear(2, 3)
		if e := w.merge(2, 2); len(e.Positive.Counts)+len(e.Negative.Counts) != 0 || e.ZeroCount != 0 {
			t.Fatalf("cleared slot reads %+v", e)
		}
	}
}

// The slots share one buffer: writing, merging into and clearing slots in
// any order, with contents that grow and shrink, leaves every other slot as
// it was.
func TestSlotBuffer(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 8))
	for range 50 {
		n := 1 + r.IntN(8)
		w := newHistWindow(n)
		want := make([][]Histogram, n) // what each slot was given
		for range 30 {
			i := r.IntN(n)
			switch r.IntN(5) {
			case 0:
				from := r.IntN(n)
				to := from + r.IntN(n-from) + 1
				w.clear(from, to)
				for j := from; j < to; j++ {
					want[j] = nil
				}
			default:
				h := randomHistogram(r)
				w.add(i, &h)
				want[i] = append(want[i], h)
			}
			for j := range n {
				got := w.merge(int64(j), int64(j))
				if !sameSum(got, want[j]) {
					t.Fatalf("slot %d of %d reads %+v, want the sum of %+v", j, n, got, want[j])
				}
			}
			if len(w.buf) != int(w.end[n-1])+bitPad && len(w.buf) != 0 {
				t.Fatalf("buffer of %d bytes for %d bytes of slots", len(w.buf), w.end[n-1])
			}
		}
	}
}

// sameSum reports whether got holds the sum of hs, at its scale.
func sameSum(got Histogram, hs []Histogram) bool {
	wantPos, wantNeg := map[int32]uint64{}, map[int32]uint64{}
	var wantZero uint64
	for _, h := range hs {
		if got.Scale > h.Scale {
			return false
		}
		p, q := countsAt(h, got.Scale)
		for k, c := range p {
			wantPos[k] += c
		}
		for k, c := range q {
			wantNeg[k] += c
		}
		wantZero += h.ZeroCount
	}
	gotPos, gotNeg := countsAt(got, got.Scale)
	return mapsEqual(gotPos, wantPos) && mapsEqual(gotNeg, wantNeg) && got.ZeroCount == wantZero
}

func mapsEqual(a, b map[int32]uint64) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if b[k] != v {
			return false
		}
	}
	return true
}

// footprint is the memory a series holds: its struct, its lanes and, for
// Percentiles, its slot buffer and offsets (by capacity).
func footprint(s *Series) int {
	n := int(unsafe.Sizeof(*s)) + cap(s.vals)*8
	if s.h != nil {
		n += int(unsafe.Sizeof(*s.h)) + cap(s.h.buf) + cap(s.h.end)*4 + cap(s.h.tmp)
	}
	return n
}

// memoryCase is typical data for the memory figures: per 5 s tick, n values
// log-uniform over decades decades from 1 ms.
type memoryCase struct {
	name    string
	n       int
	decades float64
	max     int // bytes a series may hold
}

var memoryCases = []memoryCase{
	{"idle (no data)", 0, 0, 3 << 10},
	{"10 values per tick, 1 decade", 10, 1, 4 << 10},
	{"100 values per tick, 1 decade", 100, 1, 6 << 10},
	{"100 values per tick, 3 decades", 100, 3, 8 << 10}, // the goal
	{"10000 values per tick, 1 decade", 10000, 1, 24 << 10},
	{"10000 values per tick, 3 decades", 10000, 3, 56 << 10},
}

// memSlots is the number of slots of the memory figures' window: the
// default 300 s of 5 s ticks.
const memSlots = 60

// fillSeries feeds a 300 s window of 5 s ticks (60 slots) for two windows,
// cycling through 8 random intervals (enough to vary the slots, cheaper than
// 120).
func fillSeries(tb testing.TB, mc memoryCase, seed uint64) *Series {
	c, err := New(Definition{Name: "m", Kind: Percentiles}, 5*time.Second, 0)
	if err != nil {
		tb.Fatal(err)
	}
	s := c.NewSeries()
	if mc.n == 0 {
		return s
	}
	r := rand.New(rand.NewPCG(seed, 1))
	var hs [8]Histogram
	var xs [8]Sample
	for i := range hs {
		hs[i] = Histogram{Scale: DefaultScale}
		xs[i] = Sample{Min: math.Inf(1), Max: math.Inf(-1)}
		for range mc.n {
			v := 0.001 * math.Pow(10, mc.decades*r.Float64())
			hs[i].Insert(v, 1)
			xs[i].Count++
			xs[i].Sum += v
			xs[i].Min, xs[i].Max = min(xs[i].Min, v), max(xs[i].Max, v)
		}
	}
	for i := 1; i <= 2*memSlots; i++ {
		s.AddHistogram(time.Duration(i)*5*time.Second, xs[i%8], hs[i%8])
	}
	return s
}

// The memory a series holds after two windows of typical data stays within
// the figures docs/percentiles.md gives.
func TestPercentilesMemory(t *testing.T) {
	for _, mc := range memoryCases {
		s := fillSeries(t, mc, 1)
		n := footprint(s)
		t.Logf("%-34s %6.1f KiB per series", mc.name, float64(n)/1024)
		if n > mc.max {
			t.Errorf("%s: a series holds %d bytes, want at most %d", mc.name, n, mc.max)
		}
	}
	// The same series fed again allocates nothing: slots keep their
	// capacity as the ring turns.
	s := fillSeries(t, memoryCases[3], 2)
	h := Histogram{Scale: DefaultScale}
	for v := 0.001; v < 1; v *= 1.07 {
		h.Insert(v, 1)
	}
	x := Sample{Count: 103, Sum: 1, Min: 0.001, Max: 1}
	at := 2 * memSlots * 5 * time.Second
	for range memSlots {
		at += 5 * time.Second
		s.AddHistogram(at, x, h)
	}
	if a := testing.AllocsPerRun(100, func() {
		at += 5 * time.Second
		s.AddHistogram(at, x, h)
	}); a != 0 {
		t.Errorf("AddHistogram of a steady series allocates %v times, want 0", a)
	}
}

// BenchmarkPercentilesAddHistogram adds one interval's histogram (100
// values over three decades) per tick to a steady series.
func BenchmarkPercentilesAddHistogram(b *testing.B) {
	s := fillSeries(b, memoryCases[3], 3)
	h := Histogram{Scale: DefaultScale}
	r := rand.New(rand.NewPCG(4, 4))
	for range 100 {
		h.Insert(0.001*math.Pow(1000, r.Float64()), 1)
	}
	x := Sample{Count: 100, Sum: 10, Min: 0.001, Max: 1}
	at := 2 * memSlots * 5 * time.Second
	b.ReportAllocs()
	for b.Loop() {
		at += 5 * time.Second
		s.AddHistogram(at, x, h)
	}
}

// BenchmarkPercentilesQuantiles reads the three default quantiles of a full
// window of 60 slots.
func BenchmarkPercentilesQuantiles(b *testing.B) {
	for _, mc := range memoryCases[1:] {
		b.Run(mc.name, func(b *testing.B) {
			s := fillSeries(b, mc, 5)
			at := 2 * memSlots * 5 * time.Second
			buf := make([]Value, 0, 3)
			b.ReportAllocs()
			for b.Loop() {
				buf = s.Quantiles(at, buf[:0])
			}
			if !buf[0].OK {
				b.Fatal("empty window")
			}
		})
	}
}

// BenchmarkPercentilesMemory measures the heap a series holds after two
// windows of typical data, as the runtime counts it (size classes
// included), over 100 series (10 for the largest).
func BenchmarkPercentilesMemory(b *testing.B) {
	for _, mc := range memoryCases {
		b.Run(mc.name, func(b *testing.B) {
			n := 100
			if mc.n > 1000 {
				n = 10
			}
			var perSeries float64
			b.ReportAllocs()
			for b.Loop() {
				keep := make([]*Series, n)
				before := liveHeap()
				for i := range keep {
					keep[i] = fillSeries(b, mc, uint64(i))
				}
				perSeries = float64(liveHeap()-before) / float64(n)
				runtime.KeepAlive(keep)
			}
			b.ReportMetric(perSeries, "B/series")
		})
	}
}

func liveHeap() int64 {
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return int64(m.HeapAlloc)
}
