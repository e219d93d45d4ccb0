package counters

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"
)

// maxScale is the largest scale OpenTelemetry defines.
const maxScale = 20

// distVersion is the first byte of an encoded [Distribution].
const distVersion = 1

// MergeDistributions returns the distribution of the union of the values of
// ds: the one a single process that saw them all would have, to the bucket
// (its buckets are at the smallest scale among ds, lower if one sign would
// span more than 4096 of them; the quantile bound is that scale's).
func MergeDistributions(ds ...Distribution) Distribution {
	out := Distribution{Min: math.Inf(1), Max: math.Inf(-1)}
	scale := int32(math.MaxInt32)
	for _, d := range ds {
		out.Count += d.Count
		out.Min, out.Max = math.Min(out.Min, d.Min), math.Max(out.Max, d.Max)
		if d.ZeroCount > 0 || len(d.Positive.Counts) > 0 || len(d.Negative.Counts) > 0 {
			scale = min(scale, d.Scale)
		}
	}
	if scale == math.MaxInt32 {
		return out
	}
	scale, pos, neg := mergeScale(scale, len(ds), func(i int) (int32, idxRange, idxRange) {
		return ds[i].Scale, rangeOf(ds[i].Positive), rangeOf(ds[i].Negative)
	})
	out.Scale = scale
	out.Positive, out.Negative = bucketsOver(pos), bucketsOver(neg)
	for _, d := range ds {
		if d.ZeroCount == 0 && len(d.Positive.Counts) == 0 && len(d.Negative.Counts) == 0 {
			continue
		}
		out.ZeroCount += d.ZeroCount
		shift := d.Scale - scale
		for j, c := range d.Positive.Counts {
			if c != 0 {
				out.Positive.Counts[(d.Positive.Offset+int32(j))>>shift-pos.lo] += c
			}
		}
		for j, c := range d.Negative.Counts {
			if c != 0 {
				out.Negative.Counts[(d.Negative.Offset+int32(j))>>shift-neg.lo] += c
			}
		}
	}
	return out
}

// AppendBinary appends d's compact encoding to dst: a version byte, the
// count, the extremes, then the counted buckets as varints of the
// distance from the previous bucket and the count (see appendPair),
// a few hundred bytes for a window of thousands of values over three
// decades. [ParseDistribution] reads it.
func (d Distribution) AppendBinary(dst []byte) []byte {
	dst = append(dst, distVersion)
	dst = binary.AppendUvarint(dst, d.Count)
	dst = binary.LittleEndian.AppendUint64(dst, math.Float64bits(d.Min))
	dst = binary.LittleEndian.AppendUint64(dst, math.Float64bits(d.Max))
	scale, pos, neg := plan(nil, false, d.Scale, rangeOf(d.Positive), rangeOf(d.Negative))
	dst = appendHeader(dst, scale, d.ZeroCount, pos, neg)
	shift := d.Scale - scale
	ranges := [...]idxRange{pos, neg}
	for i, b := range [...]Buckets{d.Positive, d.Negative} {
		m := merged{a: denseCursor(b, shift)}
		for prev := ranges[i].lo; m.next(); prev = m.idx {
			dst = appendPair(dst, uint64(m.idx-prev), m.n)
		}
	}
	return dst
}

// errDistribution is the error of every malformed encoding.
var errDistribution = errors.New("malformed distribution")

// ParseDistribution reads what [Distribution.AppendBinary] wrote. It
// checks everything, so that a corrupt or hostile report file gives an
// error, never a panic or a huge allocation.
func ParseDistribution(b []byte) (Distribution, error) {
	var d Distribution
	r := distReader{b: b}
	if v := r.byte(); v != distVersion {
		return d, fmt.Errorf("%w: version %d", errDistribution, v)
	}
	d.Count = r.uvarint()
	d.Min = math.Float64frombits(r.uint64())
	d.Max = math.Float64frombits(r.uint64())
	scale := r.varint()
	d.ZeroCount = r.uvarint()
	flags := r.byte()
	if r.err != nil {
		return Distribution{}, r.err
	}
	if math.IsNaN(d.Min) || math.IsNaN(d.Max) || scale < minScale || scale > maxScale || flags > flagPos|flagNeg {
		return Distribution{}, fmt.Errorf("%w: header", errDistribution)
	}
	d.Scale = int32(scale)
	var ranges [2]idxRange
	for i, f := range []byte{flagPos, flagNeg} {
		if flags&f == 0 {
			continue
		}
		lo, w := r.varint(), r.uvarint()
		if r.err != nil || lo < math.MinInt32 || w >= maxBuckets || lo+int64(w) > math.MaxInt32 {
			return Distribution{}, fmt.Errorf("%w: bucket range", errDistribution)
		}
		ranges[i] = idxRange{int32(lo), int32(lo + int64(w)), true}
	}
	total := d.ZeroCount
	for i, bs := range []*Buckets{&d.Positive, &d.Negative} {
		rg := ranges[i]
		if !rg.ok {
			continue
		}
		*bs = Buckets{Offset: rg.lo, Counts: make([]uint64, rg.width())}
		p := int64(rg.lo)
		for first := true; ; first = false {
			delta, c := r.pair()
			if r.err != nil || (!first && delta == 0) || delta > uint64(rg.hi-rg.lo) || p+int64(delta) > int64(rg.hi) || c == 0 {
				return Distribution{}, fmt.Errorf("%w: buckets", errDistribution)
			}
			p += int64(delta)
			bs.Counts[p-int64(rg.lo)] = c
			if total+c < total {
				return Distribution{}, fmt.Errorf("%w: counts overflow", errDistribution)
			}
			total += c
			if p == int64(rg.hi) {
				break
			}
		}
	}
	if len(r.b) != 0 {
		return Distribution{}, fmt.Errorf("%w: %d trailing bytes", errDistribution, len(r.b))
	}
	return d, nil
}

// distReader reads varints and fixed words, remembering the first error.
type distReader struct {
	b   []byte
	err error
}

func (r *distReader) fail() {
	if r.err == nil {
		r.err = fmt.Errorf("%w: truncated", errDistribution)
	}
	r.b = nil
}

func (r *distReader) byte() byte {
	if len(r.b) < 1 {
		r.fail()
		return 0
	}
	c := r.b[0]
	r.b = r.b[1:]
	return c
}

func (r *distReader) uint64() uint64 {
	if len(r.b) < 8 {
		r.fail()
		return 0
	}
	v := binary.LittleEndian.Uint64(r.b)
	r.b = r.b[8:]
	return v
}

func (r *distReader) uvarint() uint64 {
	v, n := binary.Uvarint(r.b)
	if n <= 0 {
		r.fail()
		return 0
	}
	r.b = r.b[n:]
	return v
}

func (r *distReader) varint() int64 {
	v, n := binary.Varint(r.b)
	if n <= 0 {
		r.fail()
		return 0
	}
	r.b = r.b[n:]
	return v
}

func (r *distReader) pair() (d, c uint64) {
	d, c, n := readPair(r.b)
	if n <= 0 {
		r.fail()
		return 0, 0
	}
	r.b = r.b[n:]
	return d, c
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
