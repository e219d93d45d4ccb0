package counters

import (
	"encoding/binary"
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

// histWindow keeps a Percentiles series' buckets, one encoded histogram
// per slot of the window (the lanes keep count, sum, min and max).
//
// Memory is what matters here: a window has a slot per tick (60 at the
// defaults, up to MaxSlots) and a histogram at scale 6 needs 213 buckets per
// decade of values. A slot therefore keeps only the buckets that count
// something, as varints (see appendPair): one byte for a bucket near the
// previous one that counts one value, two or three for others, and nothing
// for the empty buckets of a sparse slot.
// Slots keep their capacity when the ring reuses them, so a steady series
// allocates nothing.
type histWindow struct {
	slots [][]byte
	spare []byte // the buffer a merge into a non-empty slot writes into
}

func newHistWindow(n int) *histWindow {
	return &histWindow{slots: make([][]byte, n)}
}

func (w *histWindow) clear(from, to int) {
	for i := from; i < to; i++ {
		w.slots[i] = w.slots[i][:0]
	}
}

// Encoding of one slot:
//
//	varint scale | uvarint zero count | byte flags (1: positive buckets, 2: negative buckets)
//	for each sign present: varint first index | uvarint last index − first
//	for each sign present: per counted bucket, a pair (see appendPair)
//
// The previous index of a sign's first bucket is its first index; a sign's
// buckets end at its last index.
const (
	flagPos = 1
	flagNeg = 2
)

// slotHeader is the decoded head of a slot.
type slotHeader struct {
	scale    int32
	zero     uint64
	pos, neg idxRange
	body     []byte // the buckets: positive, then negative
}

type idxRange struct {
	lo, hi int32
	ok     bool
}

func (r idxRange) shifted(d int32) idxRange {
	return idxRange{r.lo >> d, r.hi >> d, r.ok}
}

func (r idxRange) union(o idxRange) idxRange {
	switch {
	case !r.ok:
		return o
	case !o.ok:
		return r
	}
	return idxRange{min(r.lo, o.lo), max(r.hi, o.hi), true}
}

func (r idxRange) width() int64 {
	if !r.ok {
		return 0
	}
	return int64(r.hi) - int64(r.lo) + 1
}

// decodeHeader reads what encode wrote; the input is always its output.
func decodeHeader(b []byte) slotHeader {
	var h slotHeader
	scale, n := binary.Varint(b)
	b = b[n:]
	h.scale = int32(scale)
	h.zero, n = binary.Uvarint(b)
	b = b[n:]
	flags := b[0]
	b = b[1:]
	readRange := func() idxRange {
		lo, n := binary.Varint(b)
		b = b[n:]
		d, m := binary.Uvarint(b)
		b = b[m:]
		return idxRange{int32(lo), int32(lo + int64(d)), true}
	}
	if flags&flagPos != 0 {
		h.pos = readRange()
	}
	if flags&flagNeg != 0 {
		h.neg = readRange()
	}
	h.body = b
	return h
}

// cursor walks the counted buckets of one sign, from an encoded slot or
// from a Histogram's Buckets, as indexes shifted down by shift scales.
// Shifted indexes never decrease; neighbours may become equal.
type cursor struct {
	shift int32
	// Encoded buckets: b from the current pair on, up to index hi; after
	// is what follows them, known once the cursor has passed its last.
	b       []byte
	after   []byte
	prev    int32
	hi      int32
	encoded bool
	// Dense buckets.
	counts []uint64
	off    int32
	j      int

	idx int32 // the current bucket, shifted
	n   uint64
	ok  bool
}

func encodedCursor(body []byte, r idxRange, shift int32) cursor {
	c := cursor{shift: shift, encoded: true, after: body}
	if r.ok {
		c.b, c.after, c.prev, c.hi = body, nil, r.lo, r.hi
	}
	c.next()
	return c
}

func denseCursor(b Buckets, shift int32) cursor {
	c := cursor{shift: shift, counts: b.Counts, off: b.Offset}
	c.next()
	return c
}

// next moves to the next counted bucket; ok is false past the last.
func (c *cursor) next() {
	if c.encoded {
		if len(c.b) == 0 {
			c.ok = false
			return
		}
		d, cnt, n := readPair(c.b)
		c.prev += int32(d)
		c.idx, c.n, c.ok = c.prev>>c.shift, cnt, true
		c.b = c.b[n:]
		if c.prev == c.hi {
			c.b, c.after = nil, c.b // the rest belongs to the other sign
		}
		return
	}
	for c.j < len(c.counts) {
		cnt := c.counts[c.j]
		c.j++
		if cnt != 0 {
			c.idx, c.n, c.ok = (c.off+int32(c.j-1))>>c.shift, cnt, true
			return
		}
	}
	c.ok = false
}

// appendMerged appends to dst the pairs of the union of a and b, which must
// be at the same (shifted) scale, adding the counts of equal indexes.
func appendMerged(dst []byte, lo int32, a, b *cursor) []byte {
	prev := lo
	var cur int32
	var n uint64
	has := false
	emit := func(idx int32, c uint64) {
		if has && idx == cur {
			n += c
			return
		}
		if has {
			dst = appendPair(dst, uint64(cur-prev), n)
			prev = cur
		}
		cur, n, has = idx, c, true
	}
	for a.ok || b.ok {
		if !b.ok || a.ok && a.idx <= b.idx {
			emit(a.idx, a.n)
			a.next()
		} else {
			emit(b.idx, b.n)
			b.next()
		}
	}
	if has {
		dst = appendPair(dst, uint64(cur-prev), n)
	}
	return dst
}

// encode appends to dst the slot holding old (an encoded slot, or empty)
// plus h, at the smaller of their scales.
func encode(dst, old []byte, h *Histogram) []byte {
	var oh slotHeader
	hasOld := len(old) > 0
	scale := h.Scale
	if hasOld {
		oh = decodeHeader(old)
		scale = min(scale, oh.scale)
	}
	hp, hn := rangeOf(h.Positive), rangeOf(h.Negative)
	// ranges returns the merged ranges of each sign at scale.
	ranges := func(scale int32) (pos, neg idxRange) {
		pos, neg = hp.shifted(h.Scale-scale), hn.shifted(h.Scale-scale)
		if hasOld {
			pos = pos.union(oh.pos.shifted(oh.scale - scale))
			neg = neg.union(oh.neg.shifted(oh.scale - scale))
		}
		return pos, neg
	}
	pos, neg := ranges(scale)
	// Keep the slot within maxBuckets per sign, as a merge in the SDK would.
	for scale > minScale && (pos.width() > maxBuckets || neg.width() > maxBuckets) {
		scale--
		pos, neg = ranges(scale)
	}
	zero := h.ZeroCount
	if hasOld {
		zero += oh.zero
	}
	dst = binary.AppendVarint(dst, int64(scale))
	dst = binary.AppendUvarint(dst, zero)
	var flags byte
	if pos.ok {
		flags |= flagPos
	}
	if neg.ok {
		flags |= flagNeg
	}
	dst = append(dst, flags)
	for _, r := range [...]idxRange{pos, neg} {
		if r.ok {
			dst = binary.AppendVarint(dst, int64(r.lo))
			dst = binary.AppendUvarint(dst, uint64(int64(r.hi)-int64(r.lo)))
		}
	}
	// Without old buckets the old cursors are never ok.
	var oldPos, oldNeg cursor
	if hasOld {
		oldPos = encodedCursor(oh.body, oh.pos, oh.scale-scale)
	}
	newPos := denseCursor(h.Positive, h.Scale-scale)
	if pos.ok {
		dst = appendMerged(dst, pos.lo, &oldPos, &newPos)
	}
	if hasOld {
		oldNeg = encodedCursor(oldPos.after, oh.neg, oh.scale-scale)
	}
	newNeg := denseCursor(h.Negative, h.Scale-scale)
	if neg.ok {
		dst = appendMerged(dst, neg.lo, &oldNeg, &newNeg)
	}
	return dst
}

func rangeOf(b Buckets) idxRange {
	lo, hi, ok := b.bounds()
	return idxRange{lo, hi, ok}
}

// add merges h into slot i.
func (w *histWindow) add(i int, h *Histogram) {
	old := w.slots[i]
	if len(old) == 0 {
		w.slots[i] = encode(old[:0], nil, h)
		return
	}
	w.slots[i], w.spare = encode(w.spare[:0], old, h), old[:0]
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

// merge returns the sum of the histograms of slots from..to (indexes, not
// positions in the ring) at their smallest scale, lower if the merged
// buckets of one sign would span more than maxBuckets.
func (w *histWindow) merge(from, to int64) Histogram {
	n := int64(len(w.slots))
	var heads [64]slotHeader
	hs := heads[:0]
	if to-from >= int64(len(heads)) {
		hs = make([]slotHeader, 0, to-from+1)
	}
	scale := int32(math.MaxInt32)
	for j := from; j <= to; j++ {
		if b := w.slots[j%n]; len(b) > 0 {
			h := decodeHeader(b)
			hs = append(hs, h)
			scale = min(scale, h.scale)
		}
	}
	var out Histogram
	if len(hs) == 0 {
		return out
	}
	var pos, neg idxRange
	for {
		pos, neg = idxRange{}, idxRange{}
		for _, h := range hs {
			pos = pos.union(h.pos.shifted(h.scale - scale))
			neg = neg.union(h.neg.shifted(h.scale - scale))
		}
		if scale <= minScale || pos.width() <= maxBuckets && neg.width() <= maxBuckets {
			break
		}
		scale--
	}
	out.Scale = scale
	if pos.ok {
		out.Positive = Buckets{Offset: pos.lo, Counts: make([]uint64, pos.width())}
	}
	if neg.ok {
		out.Negative = Buckets{Offset: neg.lo, Counts: make([]uint64, neg.width())}
	}
	for _, h := range hs {
		out.ZeroCount += h.zero
		d := h.scale - scale
		rest := addPairs(out.Positive.Counts, pos.lo, h.body, h.pos, d)
		addPairs(out.Negative.Counts, neg.lo, rest, h.neg, d)
	}
	return out
}

// addPairs adds to counts (whose first bucket is lo) the encoded buckets of
// one sign in range r, shifted down by shift scales, and returns what
// follows them. It is the cursor's loop, unrolled for the read path.
func addPairs(counts []uint64, lo int32, body []byte, r idxRange, shift int32) []byte {
	if !r.ok {
		return body
	}
	for p := r.lo; ; {
		d, c, n := readPair(body)
		body = body[n:]
		p += int32(d)
		counts[p>>shift-lo] += c
		if p == r.hi {
			return body
		}
	}
}

// appendPair appends one counted bucket: its distance d from the previous
// one and its count n. Most buckets of a spread-out slot count one value, so
// that case shares the distance's varint: uvarint(d<<1 | 1) alone for n = 1,
// uvarint(d<<1) then uvarint(n) otherwise. A bucket fewer than 64 buckets
// after the previous one that counts one value is one byte.
func appendPair(dst []byte, d, n uint64) []byte {
	if n == 1 {
		return binary.AppendUvarint(dst, d<<1|1)
	}
	return binary.AppendUvarint(binary.AppendUvarint(dst, d<<1), n)
}

// readPair reads what appendPair wrote, and the bytes it took; n ≤ 0 when b
// is not a whole pair.
func readPair(b []byte) (d, cnt uint64, n int) {
	x, n := binary.Uvarint(b)
	if n <= 0 {
		return 0, 0, n
	}
	if x&1 == 1 {
		return x >> 1, 1, n
	}
	cnt, m := binary.Uvarint(b[n:])
	if m <= 0 {
		return 0, 0, m
	}
	return x >> 1, cnt, n + m
}
