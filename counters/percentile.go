package counters

import (
	"math"
	"strconv"
	"strings"
	"time"
)

// DefaultScale is the scale of base-2 exponential histogram that keeps
// percentiles within 0.55% of the exact value: at scale s a bucket's upper
// bound is 2^(2^−s) times its lower bound, and the geometric midpoint of a
// bucket is within a factor √(2^(2^−s)) of any value in it (0.54% at scale 6,
// 1.09% at scale 5).
const DefaultScale = 6

// MeanLabel is the label of a Percentiles counter's mean in report keys
// (name.mean); [QuantileLabel] names its quantiles.
const MeanLabel = "mean"

const (
	// minScale is the smallest scale OpenTelemetry defines: two buckets
	// for the whole float64 range.
	minScale = -10
	// maxBuckets bounds the buckets of one sign in a histogram that Insert
	// grows and in a window merged for reading; past it the scale drops, as
	// the SDK's MaxSize makes it. At scale 6 it spans 64 octaves (19
	// decades), far more than latencies or sizes need.
	maxBuckets = 4096
)

// QuantileLabel returns the label of quantile q in report keys: "p" and the
// percentage, with "_" for its decimal point, so that keys stay safe for
// munin and Graphite: p50, p90, p99, p99_9, p0_1.
func QuantileLabel(q float64) string {
	s := strconv.FormatFloat(q, 'f', -1, 64)
	frac, ok := strings.CutPrefix(s, "0.")
	if !ok { // not in (0, 1): no quantile a definition accepts
		return "p" + strings.ReplaceAll(strconv.FormatFloat(q*100, 'f', -1, 64), ".", "_")
	}
	// Shift the decimal point two places in the text: exact, where q·100
	// in floating point is not (0.999·100 = 99.89999999999999).
	for len(frac) < 2 {
		frac += "0"
	}
	whole := strings.TrimLeft(frac[:2], "0")
	if whole == "" {
		whole = "0"
	}
	if rest := frac[2:]; rest != "" {
		return "p" + whole + "_" + rest
	}
	return "p" + whole
}

// Histogram is a base-2 exponential histogram, in OpenTelemetry's layout: at
// scale s, bucket i of Positive counts the values in (2^(i·2^−s), 2^((i+1)·2^−s)],
// bucket i of Negative the values whose magnitude falls there, and ZeroCount
// the zeros. Its zero value is an empty histogram at scale 0; set Scale
// (usually to [DefaultScale]) before the first [Histogram.Insert].
type Histogram struct {
	Scale     int32
	ZeroCount uint64
	Positive  Buckets
	Negative  Buckets
}

// Buckets are the consecutive buckets of one sign of a [Histogram]: Counts[j]
// is the count of bucket Offset+j.
type Buckets struct {
	Offset int32
	Counts []uint64
}

// Insert adds n values v to h. NaN and infinities are ignored, as the SDK
// ignores them. When the buckets of one sign would span more than 4096, h
// is downscaled first. Insert changes h's slices in place: use it on
// histograms of your own, not on data an SDK lent.
func (h *Histogram) Insert(v float64, n uint64) {
	if n == 0 || math.IsNaN(v) || math.IsInf(v, 0) {
		return
	}
	if v == 0 {
		h.ZeroCount += n
		return
	}
	b, a := &h.Positive, v
	if v < 0 {
		b, a = &h.Negative, -v
	}
	i := bucketIndex(a, h.Scale)
	for len(b.Counts) > 0 && h.Scale > minScale &&
		int64(max(i, b.Offset+int32(len(b.Counts))-1))-int64(min(i, b.Offset)) >= maxBuckets {
		h.Scale--
		h.Positive = h.Positive.downscaled(1)
		h.Negative = h.Negative.downscaled(1)
		i = bucketIndex(a, h.Scale)
	}
	b.add(i, n)
}

func (b *Buckets) add(i int32, n uint64) {
	switch {
	case len(b.Counts) == 0:
		b.Offset, b.Counts = i, append(b.Counts[:0], n)
	case i < b.Offset:
		c := make([]uint64, int(b.Offset-i)+len(b.Counts))
		copy(c[b.Offset-i:], b.Counts)
		c[0] = n
		b.Offset, b.Counts = i, c
	case int(i-b.Offset) >= len(b.Counts):
		for int(i-b.Offset) >= len(b.Counts) {
			b.Counts = append(b.Counts, 0)
		}
		b.Counts[i-b.Offset] += n
	default:
		b.Counts[i-b.Offset] += n
	}
}

// downscaled returns b with d fewer scales, in a new slice: bucket i at
// scale s covers buckets 2i and 2i+1 at scale s+1.
func (b Buckets) downscaled(d int32) Buckets {
	lo, hi, ok := b.bounds()
	if !ok {
		return Buckets{}
	}
	out := Buckets{Offset: lo >> d, Counts: make([]uint64, int(hi>>d-lo>>d)+1)}
	for j, c := range b.Counts {
		out.Counts[(b.Offset+int32(j))>>d-out.Offset] += c
	}
	return out
}

// bounds returns the first and last bucket that count something.
func (b Buckets) bounds() (lo, hi int32, ok bool) {
	first, last := -1, -1
	for j, c := range b.Counts {
		if c != 0 {
			if first < 0 {
				first = j
			}
			last = j
		}
	}
	if first < 0 {
		return 0, 0, false
	}
	return b.Offset + int32(first), b.Offset + int32(last), true
}

// bucketIndex returns the bucket of the magnitude a > 0 at scale, computed as
// the OpenTelemetry SDK computes it, so that values inserted here land where
// the SDK puts them.
func bucketIndex(a float64, scale int32) int32 {
	frac, exp := math.Frexp(a)
	if scale <= 0 {
		// frac is in [0.5, 1): a power of two is one bucket lower.
		corr := int32(1)
		if frac == 0.5 {
			corr = 2
		}
		return (int32(exp) - corr) >> -scale
	}
	return int32(exp)<<scale + int32(math.Log(frac)*math.Ldexp(math.Log2E, int(scale))) - 1
}

// midpoint returns the geometric midpoint of bucket i at scale: the value
// whose relative distance to the bucket's farthest value is smallest.
func midpoint(i, scale int32) float64 {
	return math.Exp2(math.Ldexp(float64(i)+0.5, -int(scale)))
}

// addKnown adds the values a Sample tells exactly: the value of a single
// measurement, the minimum and maximum of two.
func (w *histWindow) addKnown(i int, x Sample) {
	var vals [2]float64
	switch x.Count {
	case 1:
		vals[0] = x.Sum
	case 2:
		vals[0], vals[1] = x.Min, x.Max
	default:
		return
	}
	for _, v := range vals[:x.Count] {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			continue
		}
		// Built by hand rather than with Insert, which would move one to
		// the heap.
		one := [1]uint64{1}
		h := Histogram{Scale: DefaultScale}
		switch {
		case v == 0:
			h.ZeroCount = 1
		case v > 0:
			h.Positive = Buckets{Offset: bucketIndex(v, DefaultScale), Counts: one[:]}
		default:
			h.Negative = Buckets{Offset: bucketIndex(-v, DefaultScale), Counts: one[:]}
		}
		w.add(i, &h)
	}
}

// AddHistogram adds the sample of the interval that ended at elapsed time at,
// with the interval's histogram, as [Series.Add] does. A Percentiles series
// keeps h's buckets (a copy: h may be data an SDK reuses); other kinds use
// only x. x.Min and x.Max clamp the quantiles: pass −Inf and +Inf when they
// are unknown.
func (s *Series) AddHistogram(at time.Duration, x Sample, h Histogram) {
	if s.h == nil {
		s.Add(at, x)
		return
	}
	if k, ok := s.add(at, x); ok {
		s.h.add(int(k%s.c.n), &h)
	}
}

// Quantiles appends to dst the value of each of the counter's quantiles
// (its definition's, in increasing order) for this series at elapsed time
// at, and returns the extended slice. Kinds other than Percentiles append
// nothing. A value is empty (OK false) when the window holds no values; its
// Count is the number of values in the window.
//
// The quantile q of n values is the value of rank ⌈q·n⌉ in increasing order
// (the nearest-rank method: p50 of 1, 2, 3, 4 is 2; p90 of ten values is the
// ninth). The window's buckets are merged at the smallest scale of its slots
// and walked to the bucket holding that rank; the result is the bucket's
// geometric midpoint, clamped to the window's exact minimum and maximum, and
// exactly those for the first and last rank. So it is within a factor
// √(2^(2^−s)) of the exact value at scale s: 0.54% at scale 6 (with the
// reader's default aggregation, over any data within 9.6 decades per
// interval), 1.09% at scale 5. Zeros are exact, and so are values that all
// fall in one bucket with the extremes (a constant series).
func (s *Series) Quantiles(at time.Duration, dst []Value) []Value {
	qs := s.c.def.Quantiles
	if s.h == nil || len(qs) == 0 {
		return dst
	}
	return s.Distribution(at).Quantiles(qs, dst)
}

// Distribution returns the values of the window at elapsed time at as a
// [Distribution]: what merging its quantiles with those of other processes
// needs. Kinds other than Percentiles return an empty one.
func (s *Series) Distribution(at time.Duration) Distribution {
	if s.h == nil {
		return Distribution{Min: math.Inf(1), Max: math.Inf(-1)}
	}
	count, _, lo, hi := s.fold(at)
	return Distribution{Histogram: s.h.merge(s.span(at)), Count: uint64(count), Min: lo, Max: hi}
}

// Distribution is a window's values as buckets: the merged histogram of its
// slots, the exact number of values and their exact extremes (±Inf where
// unknown: Min +Inf and Max −Inf for an empty window, −Inf and +Inf for
// extremes the intervals did not give). Distributions of several processes
// merge ([MergeDistributions]) into that of one process that saw all their
// values, to the bucket.
type Distribution struct {
	Histogram
	Count    uint64
	Min, Max float64
}

// Quantiles appends the value of each of qs (increasing, each in (0, 1)) for
// d, by the rule of [Series.Quantiles], and returns the extended slice.
func (d Distribution) Quantiles(qs []float64, dst []Value) []Value {
	merged, count, lo, hi := d.Histogram, d.Count, d.Min, d.Max
	total := merged.ZeroCount + sum(merged.Positive.Counts) + sum(merged.Negative.Counts)
	if count == 0 || total == 0 {
		for range qs {
			dst = append(dst, Value{})
		}
		return dst
	}
	// When some intervals came without buckets the extremes may lie
	// outside the buckets' values: then only clamp with them.
	exact := total == count
	start := len(dst)
	for range qs {
		dst = append(dst, Value{OK: true, Count: count})
	}
	out := dst[start:]
	j, next := 0, rank(qs[0], total)
	var cum uint64
	// take gives v, the value of the bucket the walk is in, to the
	// quantiles whose rank the walk has reached.
	take := func(v float64) bool {
		for ; j < len(qs) && cum >= next; j++ {
			switch {
			case exact && next == 1 && !math.IsInf(lo, 0):
				out[j].V = lo
			case exact && next == total && !math.IsInf(hi, 0):
				out[j].V = hi
			default:
				out[j].V = min(max(v, lo), hi)
			}
			if j+1 < len(qs) {
				next = rank(qs[j+1], total)
			}
		}
		return j == len(qs)
	}
	neg := merged.Negative
	for x := len(neg.Counts) - 1; x >= 0; x-- { // the most negative first
		if cum += neg.Counts[x]; cum >= next && take(-midpoint(neg.Offset+int32(x), merged.Scale)) {
			return dst
		}
	}
	if cum += merged.ZeroCount; cum >= next && take(0) {
		return dst
	}
	pos := merged.Positive
	for x, c := range pos.Counts {
		if cum += c; cum >= next && take(midpoint(pos.Offset+int32(x), merged.Scale)) {
			return dst
		}
	}
	return dst
}

func sum(cs []uint64) uint64 {
	var t uint64
	for _, c := range cs {
		t += c
	}
	return t
}

// rank returns ⌈q·n⌉ within [1, n], reading q·n as the integer it is meant
// to be when floating point lands just above one (0.07·100 is
// 7.000000000000001).
func rank(q float64, n uint64) uint64 {
	x := q * float64(n)
	k := math.Ceil(x)
	if r := math.Round(x); math.Abs(x-r) <= 1e-9*x {
		k = r
	}
	return min(max(uint64(k), 1), n)
}
