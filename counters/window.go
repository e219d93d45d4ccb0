package counters

import (
	"encoding/binary"
	"math"
	"math/bits"
	"slices"
)

// histWindow keeps a Percentiles series' buckets, one encoded histogram
// per slot of the window (the lanes keep count, sum, min and max).
//
// Memory is what matters here: a window has a slot per tick (60 at the
// defaults, up to MaxSlots) and a histogram at scale 6 needs 213 buckets per
// decade of values. So a slot keeps only the buckets that count something,
// bit-packed (see encode): the distance to the previous counted bucket in a
// Rice code and the count in an Elias-gamma code, each with a parameter the
// slot chooses for its own data, some five bits a bucket for a hundred values
// over three decades. All slots share one buffer, in ring order, so that a
// window pays for neither a slice header nor size-class slack per slot;
// writing a slot moves the slots after it, a few kilobytes, which costs
// less than encoding. The buffer keeps its capacity, so a steady series
// allocates nothing.
type histWindow struct {
	// buf holds slot 0, slot 1, … back to back, then bitPad bytes that let
	// the decoder read whole words past the last code.
	buf []byte
	end []uint32 // end[i] is the offset in buf just past slot i
	tmp []byte   // the slot being written, before it moves into buf
}

// bitPad is the padding after the slots: a reader peeks 8 bytes.
const bitPad = 8

func newHistWindow(n int) *histWindow {
	return &histWindow{end: make([]uint32, n)}
}

func (w *histWindow) start(i int) uint32 {
	if i == 0 {
		return 0
	}
	return w.end[i-1]
}

func (w *histWindow) slot(i int) []byte {
	return w.buf[w.start(i):w.end[i]]
}

func (w *histWindow) clear(from, to int) {
	if from >= to || w.start(from) == w.end[to-1] {
		return
	}
	w.replace(from, to, nil)
}

// replace makes data the content of slots from..to-1 (data goes to slot
// from, the others become empty), moving the slots after them.
func (w *histWindow) replace(from, to int, data []byte) {
	s, e := w.start(from), w.end[to-1]
	total := w.end[len(w.end)-1]
	delta := int64(len(data)) - int64(e-s)
	need := int(int64(total)+delta) + bitPad
	if need > cap(w.buf) {
		// Some room for the slots to vary as the ring turns, less than
		// append's quarter: the buffer is most of a series' memory.
		w.buf = append(slices.Grow([]byte(nil), need+need/16+64), w.buf...)
	}
	w.buf = w.buf[:max(need, len(w.buf))]
	copy(w.buf[int(s)+len(data):], w.buf[e:total])
	copy(w.buf[s:], data)
	w.buf = w.buf[:need]
	for i := from; i < to; i++ {
		w.end[i] = s + uint32(len(data))
	}
	for i := to; i < len(w.end); i++ {
		w.end[i] = uint32(int64(w.end[i]) + delta)
	}
}

// add merges h into slot i.
func (w *histWindow) add(i int, h *Histogram) {
	var old []byte
	if w.start(i) != w.end[i] {
		old = w.buf[w.start(i):] // the decoder may peek past the slot
	}
	w.tmp = encode(w.tmp[:0], old, h)
	w.replace(i, i+1, w.tmp)
}

// Encoding of one slot:
//
//	varint scale | uvarint zero count | byte flags (1: positive buckets, 2: negative buckets)
//	for each sign present: varint first index | uvarint last index − first
//	byte params: Rice parameter kg of the distances (low nibble), order kc of the counts
//	bits, least significant first, for each sign present, per counted bucket:
//	  but for the first: Rice code (kg) of the distance from the previous one, less one
//	  then the count less one: unary length L of (count−1)>>kc, its L−1 low bits, its kc low bits
//
// A sign's buckets end at its last index; the slot ends at the next byte.
// The header is the wire format's (see [Distribution.AppendBinary]) plus
// the params byte.
const (
	flagPos = 1
	flagNeg = 2
)

// slotHeader is the decoded head of a slot.
type slotHeader struct {
	scale    int32
	zero     uint64
	pos, neg idxRange
	kg, kc   uint
	body     []byte // the bits, then whatever follows (at least bitPad bytes)
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

func rangeOf(b Buckets) idxRange {
	lo, hi, ok := b.bounds()
	return idxRange{lo, hi, ok}
}

// mergeScale returns the scale at which n histograms merge, and the merged
// ranges of each sign: at scale, the smallest of theirs, lowered while one
// sign would span more than maxBuckets. at(i) gives the i-th histogram's
// scale and ranges (not ok for a sign it has no buckets of).
func mergeScale(scale int32, n int, at func(i int) (int32, idxRange, idxRange)) (int32, idxRange, idxRange) {
	for {
		var pos, neg idxRange
		for i := range n {
			s, p, q := at(i)
			pos = pos.union(p.shifted(s - scale))
			neg = neg.union(q.shifted(s - scale))
		}
		if scale <= minScale || pos.width() <= maxBuckets && neg.width() <= maxBuckets {
			return scale, pos, neg
		}
		scale--
	}
}

// bucketsOver returns zeroed buckets that cover r (none if r is not ok).
func bucketsOver(r idxRange) Buckets {
	if !r.ok {
		return Buckets{}
	}
	return Buckets{Offset: r.lo, Counts: make([]uint64, r.width())}
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
	h.kg, h.kc = uint(b[0]&15), uint(b[0]>>4)
	h.body = b[1:]
	return h
}

// appendHeader appends the part of a slot that the wire format shares:
// scale, zero count, flags and ranges.
func appendHeader(dst []byte, scale int32, zero uint64, pos, neg idxRange) []byte {
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
	return dst
}

// plan returns the scale and ranges of the union of old (when hasOld) and
// a histogram at hScale with ranges hp and hn: their smaller scale, lower while one sign would span more than
// maxBuckets, as a merge in the SDK would.
func plan(old *slotHeader, hasOld bool, hScale int32, hp, hn idxRange) (scale int32, pos, neg idxRange) {
	scale = hScale
	if hasOld {
		scale = min(scale, old.scale)
	}
	for {
		pos, neg = hp.shifted(hScale-scale), hn.shifted(hScale-scale)
		if hasOld {
			pos = pos.union(old.pos.shifted(old.scale - scale))
			neg = neg.union(old.neg.shifted(old.scale - scale))
		}
		if scale <= minScale || pos.width() <= maxBuckets && neg.width() <= maxBuckets {
			return scale, pos, neg
		}
		scale--
	}
}

// bitWriter appends bits to a byte slice, least significant first, a word
// at a time.
type bitWriter struct {
	dst []byte
	acc uint64
	n   uint // bits in acc, fewer than 64 between calls
}

// put writes the k ≤ 56 low bits of v.
func (w *bitWriter) put(v uint64, k uint) {
	v &= 1<<k - 1
	w.acc |= v << w.n
	if w.n+k < 64 {
		w.n += k
		return
	}
	w.dst = binary.LittleEndian.AppendUint64(w.dst, w.acc)
	w.acc = v >> (64 - w.n)
	w.n += k - 64
}

// unary writes q zeros and a one.
func (w *bitWriter) unary(q uint64) {
	for q >= 48 {
		w.put(0, 48)
		q -= 48
	}
	w.put(1<<q, uint(q)+1)
}

// long writes the k ≤ 64 low bits of v.
func (w *bitWriter) long(v uint64, k uint) {
	if k > 32 {
		w.put(v, 32)
		v, k = v>>32, k-32
	}
	w.put(v, k)
}

func (w *bitWriter) bucket(first bool, gap, n uint64, kg, kc uint) {
	if !first {
		w.unary((gap - 1) >> kg)
		w.put(gap-1, kg)
	}
	v := n - 1
	u := v >> kc
	l := uint(bits.Len64(u))
	w.unary(uint64(l))
	if l > 1 {
		w.long(u, l-1)
	}
	w.put(v, kc)
}

func (w *bitWriter) flush() []byte {
	for ; w.n > 0; w.n -= min(w.n, 8) {
		w.dst = append(w.dst, byte(w.acc))
		w.acc >>= 8
	}
	return w.dst
}

// bitReader reads what bitWriter wrote from b, which must extend at least
// 8 bytes past the last code (bitPad).
type bitReader struct {
	b   []byte
	pos uint // in bits
}

// peek returns the next 57 or more bits.
func (r *bitReader) peek() uint64 {
	return binary.LittleEndian.Uint64(r.b[r.pos>>3:]) >> (r.pos & 7)
}

func (r *bitReader) unary() uint64 {
	var q uint64
	for {
		if v := r.peek(); v != 0 {
			z := uint(bits.TrailingZeros64(v))
			r.pos += z + 1
			return q + uint64(z)
		}
		q += 56
		r.pos += 56
	}
}

// get reads k ≤ 56 bits.
func (r *bitReader) get(k uint) uint64 {
	v := r.peek() & (1<<k - 1)
	r.pos += k
	return v
}

func (r *bitReader) long(k uint) uint64 {
	if k > 32 {
		lo := r.get(32)
		return lo | r.get(k-32)<<32
	}
	return r.get(k)
}

// gap reads a distance written by bucket.
func (r *bitReader) gap(kg uint) uint64 {
	// The common case, a short unary part, in one peek.
	if v := r.peek(); v != 0 {
		if z := uint(bits.TrailingZeros64(v)); z+1+kg <= 56 {
			r.pos += z + 1 + kg
			return (uint64(z)<<kg | (v>>(z+1))&(1<<kg-1)) + 1
		}
	}
	q := r.unary()
	return (q<<kg | r.get(kg)) + 1
}

// count reads a count written by bucket.
func (r *bitReader) count(kc uint) uint64 {
	v := r.peek()
	if kc == 0 && v&1 == 1 { // a count of one
		r.pos++
		return 1
	}
	// The common case, a short code, in one peek.
	if l := uint(bits.TrailingZeros64(v)); 2*l+kc+1 <= 56 {
		var u uint64
		used := l + 1
		if l > 0 {
			u = 1<<(l-1) | (v>>used)&(1<<(l-1)-1)
			used += l - 1
		}
		r.pos += used + kc
		return (u<<kc | (v>>used)&(1<<kc-1)) + 1
	}
	l := uint(r.unary())
	var u uint64
	if l > 0 {
		u = 1<<(l-1) | r.long(l-1)
	}
	return (u<<kc | r.get(kc)) + 1
}

// cursor walks the counted buckets of one sign, from an encoded slot or
// from a Histogram's Buckets, as indexes shifted down by shift scales.
// Shifted indexes never decrease; neighbours may become equal.
type cursor struct {
	shift int32
	// Encoded buckets: the reader is at the next code; prev is the index
	// of the bucket before it, hi the last.
	r        bitReader
	prev, hi int32
	kg, kc   uint
	first    bool
	left     bool // encoded buckets remain
	encoded  bool
	// Dense buckets.
	counts []uint64
	off    int32
	j      int

	idx int32 // the current bucket, shifted
	n   uint64
	ok  bool
}

func encodedCursor(h *slotHeader, r idxRange, at uint, shift int32) cursor {
	c := cursor{shift: shift, encoded: true, r: bitReader{h.body, at}, kg: h.kg, kc: h.kc,
		prev: r.lo, hi: r.hi, first: true, left: r.ok}
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
		if !c.left {
			c.ok = false
			return
		}
		if !c.first {
			c.prev += int32(c.r.gap(c.kg))
		}
		c.first = false
		c.idx, c.n, c.ok = c.prev>>c.shift, c.r.count(c.kc), true
		c.left = c.prev != c.hi
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

// merged walks the union of two cursors at the same (shifted) scale,
// adding the counts of equal indexes.
type merged struct {
	a, b cursor
	idx  int32
	n    uint64
}

func (m *merged) next() bool {
	if !m.a.ok && !m.b.ok {
		return false
	}
	if !m.b.ok || m.a.ok && m.a.idx <= m.b.idx {
		m.idx, m.n = m.a.idx, m.a.n
		m.a.next()
	} else {
		m.idx, m.n = m.b.idx, m.b.n
		m.b.next()
	}
	for {
		switch {
		case m.a.ok && m.a.idx == m.idx:
			m.n += m.a.n
			m.a.next()
		case m.b.ok && m.b.idx == m.idx:
			m.n += m.b.n
			m.b.next()
		default:
			return true
		}
	}
}

// denseStats returns the range of the counted buckets of b, how many
// there are and the sum of their counts, in one pass.
func denseStats(b Buckets) (r idxRange, nb, total uint64) {
	first, last := -1, -1
	for j, c := range b.Counts {
		if c != 0 {
			if first < 0 {
				first = j
			}
			last = j
			nb++
			total += c
		}
	}
	if first < 0 {
		return idxRange{}, 0, 0
	}
	return idxRange{b.Offset + int32(first), b.Offset + int32(last), true}, nb, total
}

// encode appends to dst the slot holding old (an encoded slot and what
// follows it, or nil) plus h, at the smaller of their scales.
func encode(dst, old []byte, h *Histogram) []byte {
	var oh slotHeader
	hasOld := len(old) > 0
	if hasOld {
		oh = decodeHeader(old)
	}
	hp, pb, pt := denseStats(h.Positive)
	hn, nbn, nt := denseStats(h.Negative)
	scale, pos, neg := plan(&oh, hasOld, h.Scale, hp, hn)
	zero := h.ZeroCount
	if hasOld {
		zero += oh.zero
	}
	dst = appendHeader(dst, scale, zero, pos, neg)
	// The walk of both signs of the union, for a slot that had buckets.
	walk := func(f func(first bool, gap, n uint64)) {
		oldPos := encodedCursor(&oh, oh.pos, 0, oh.scale-scale)
		m := merged{a: oldPos, b: denseCursor(h.Positive, h.Scale-scale)}
		for prev, first := pos.lo, true; m.next(); prev, first = m.idx, false {
			f(first, uint64(m.idx-prev), m.n)
		}
		oldNeg := encodedCursor(&oh, oh.neg, m.a.r.pos, oh.scale-scale)
		m = merged{a: oldNeg, b: denseCursor(h.Negative, h.Scale-scale)}
		for prev, first := neg.lo, true; m.next(); prev, first = m.idx, false {
			f(first, uint64(m.idx-prev), m.n)
		}
	}
	// Choose the parameters from the number of buckets and the sum of
	// their counts (after a downscale, an overestimate: no matter).
	nb, counts := pb+nbn, pt+nt
	if hasOld {
		nb, counts = 0, 0
		walk(func(_ bool, _, n uint64) {
			nb++
			counts += n
		})
	}
	var kg, kc uint
	if nb > 0 {
		// About the best parameters for geometric distances and counts of
		// these means.
		gaps := uint64(pos.width()+neg.width()) - 1
		kg = uint(min(max(bits.Len64(gaps/nb), 1)-1, 15))
		kc = uint(min(max(bits.Len64(counts/nb), 1)-1, 15))
	}
	dst = append(dst, byte(kg|kc<<4))
	bw := bitWriter{dst: dst}
	if hasOld {
		walk(func(first bool, gap, n uint64) { bw.bucket(first, gap, n, kg, kc) })
		return bw.flush()
	}
	shift := h.Scale - scale
	bw.dense(h.Positive, pos.lo, shift, kg, kc)
	bw.dense(h.Negative, neg.lo, shift, kg, kc)
	return bw.flush()
}

// dense writes the counted buckets of b, shifted down by shift scales (the
// first at lo); encode's walk without an old slot, unrolled.
func (w *bitWriter) dense(b Buckets, lo, shift int32, kg, kc uint) {
	prev, first := lo, true
	var cur int32
	var n uint64
	for j, c := range b.Counts {
		if c == 0 {
			continue
		}
		idx := (b.Offset + int32(j)) >> shift
		if n != 0 && idx == cur {
			n += c
			continue
		}
		if n != 0 {
			w.bucket(first, uint64(cur-prev), n, kg, kc)
			prev, first = cur, false
		}
		cur, n = idx, c
	}
	if n != 0 {
		w.bucket(first, uint64(cur-prev), n, kg, kc)
	}
}

// merge returns the sum of the histograms of slots from..to (indexes, not
// positions in the ring) at their smallest scale, lower if the merged
// buckets of one sign would span more than maxBuckets.
func (w *histWindow) merge(from, to int64) Histogram {
	n := int64(len(w.end))
	var heads [64]slotHeader
	hs := heads[:0]
	if to-from >= int64(len(heads)) {
		hs = make([]slotHeader, 0, to-from+1)
	}
	scale := int32(math.MaxInt32)
	for j := from; j <= to; j++ {
		if i := int(j % n); w.start(i) != w.end[i] {
			h := decodeHeader(w.buf[w.start(i):])
			hs = append(hs, h)
			scale = min(scale, h.scale)
		}
	}
	var out Histogram
	if len(hs) == 0 {
		return out
	}
	scale, pos, neg := mergeScale(scale, len(hs), func(i int) (int32, idxRange, idxRange) { return hs[i].scale, hs[i].pos, hs[i].neg })
	out.Scale = scale
	out.Positive, out.Negative = bucketsOver(pos), bucketsOver(neg)
	for i := range hs {
		h := &hs[i]
		out.ZeroCount += h.zero
		d := h.scale - scale
		r := bitReader{b: h.body}
		addBuckets(out.Positive.Counts, pos.lo, &r, h.pos, d, h.kg, h.kc)
		addBuckets(out.Negative.Counts, neg.lo, &r, h.neg, d, h.kg, h.kc)
	}
	return out
}

// addBuckets adds to counts (whose first bucket is lo) the encoded buckets
// of one sign in range rg, shifted down by shift scales. It is the cursor's
// loop, unrolled for the read path: short codes (nearly all) are decoded
// from one word loaded for several of them.
func addBuckets(counts []uint64, lo int32, r *bitReader, rg idxRange, shift int32, kg, kc uint) {
	if !rg.ok {
		return
	}
	p := rg.lo
	counts[p>>shift-lo] += r.count(kc)
	b, pos := r.b, r.pos
	for p != rg.hi {
		v := binary.LittleEndian.Uint64(b[pos>>3:]) >> (pos & 7)
		avail := uint(56) // bits of v known to be the stream's
		for p != rg.hi {
			z := uint(bits.TrailingZeros64(v))
			gl := z + 1 + kg // the distance's bits
			w := v >> min(gl, 63)
			l := uint(bits.TrailingZeros64(w))
			off := max(2*l, 1) // the count's bits before its kc low ones
			used := gl + off + kc
			if used > avail {
				break
			}
			var u uint64
			if l > 0 {
				u = 1<<(l-1) | (w>>(l+1))&(1<<(l-1)-1)
			}
			p += int32(uint64(z)<<kg|(v>>(z+1))&(1<<kg-1)) + 1
			counts[p>>shift-lo] += (u<<kc | (w>>off)&(1<<kc-1)) + 1
			pos += used
			v >>= used
			avail -= used
		}
		if avail == 56 && p != rg.hi { // a code longer than a word
			r.pos = pos
			p += int32(r.gap(kg))
			counts[p>>shift-lo] += r.count(kc)
			pos = r.pos
		}
	}
	r.pos = pos
}
