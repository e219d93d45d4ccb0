package slogreport

import (
	"math"
	"strconv"

	"github.com/otelcounters/otelcounters/counters"
)

// AppendValue appends v as PyCounters printed it: None for an empty counter,
// otherwise Python 2's str of the float, which keeps 12 significant digits
// (0.589342236519), marks whole numbers with ".0" (5.0), switches to an
// exponent of at least two digits below 1e-4 and from 1e11 on (1e-05,
// 1.23456789012e+14), and spells non-finite numbers nan, inf and -inf. The
// output matches CPython 2.7 byte for byte, rounding quirks included, so that
// tools which parsed PyCounters' lines keep working.
func AppendValue(dst []byte, v counters.Value) []byte {
	if !v.OK {
		return append(dst, "None"...)
	}
	return appendPyFloat(dst, v.V)
}

// appendPyFloat follows CPython 2.7's float_str: format_float_short in mode
// 'g' with precision 12 and the "add .0 to integers" flag, which moves the
// switch to exponent form one digit earlier than C's %.12g does.
func appendPyFloat(dst []byte, f float64) []byte {
	switch {
	case math.IsNaN(f):
		return append(dst, "nan"...)
	case math.IsInf(f, 1):
		return append(dst, "inf"...)
	case math.IsInf(f, -1):
		return append(dst, "-inf"...)
	}
	if math.Signbit(f) {
		dst = append(dst, '-')
		f = -f
	}
	// Rounded to 12 significant digits: "d.ddddddddddde±XX".
	var scratch [32]byte
	e := strconv.AppendFloat(scratch[:0], f, 'e', 11, 64)
	digits := mantissa12(e)
	exp := 0
	sign := e[14]
	for _, c := range e[15:] {
		exp = exp*10 + int(c-'0')
	}
	if sign == '-' {
		exp = -exp
	}
	n := len(digits)
	if !tieKeepsZeros(f) {
		for n > 1 && digits[n-1] == '0' {
			n--
		}
	}
	ds := digits[:n]
	decpt := exp + 1 // digits before the decimal point
	switch {
	case decpt <= -4 || decpt > 11:
		dst = append(dst, ds[0])
		if len(ds) > 1 {
			dst = append(dst, '.')
			dst = append(dst, ds[1:]...)
		}
		dst = append(dst, 'e')
		if exp < 0 {
			dst = append(dst, '-')
			exp = -exp
		} else {
			dst = append(dst, '+')
		}
		if exp < 10 {
			dst = append(dst, '0')
		}
		return strconv.AppendInt(dst, int64(exp), 10)
	case decpt <= 0:
		dst = append(dst, "0."...)
		for range -decpt {
			dst = append(dst, '0')
		}
		return append(dst, ds...)
	case decpt >= len(ds):
		dst = append(dst, ds...)
		for range decpt - len(ds) {
			dst = append(dst, '0')
		}
		return append(dst, ".0"...)
	default:
		dst = append(dst, ds[:decpt]...)
		dst = append(dst, '.')
		return append(dst, ds[decpt:]...)
	}
}

// tieKeepsZeros reports whether CPython keeps the trailing zeros of the 12
// digits of f (not negative): its dtoa takes a separate exact path for
// integers below 1e15, which leaves them when it rounds an exact tie down to
// an even digit (1234567890105 prints as 1.23456789010e+12).
func tieKeepsZeros(f float64) bool {
	if f < 1e12 || f >= 1e15 || f != math.Trunc(f) {
		return false
	}
	var scratch [24]byte
	exact := strconv.AppendFloat(scratch[:0], f, 'f', 0, 64)
	rest := exact[12:]
	if rest[0] != '5' || (exact[11]-'0')%2 != 0 {
		return false
	}
	for _, c := range rest[1:] {
		if c != '0' {
			return false
		}
	}
	return true
}

// mantissa12 returns the 12 significant digits of e, which is in the form
// "d.ddddddddddde±XX".
func mantissa12(e []byte) [12]byte {
	var d [12]byte
	d[0] = e[0]
	copy(d[1:], e[2:13])
	return d
}
