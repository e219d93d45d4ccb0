package counters

import "math"

// Merge combines the values one counter has in several processes (or
// series) into the value a single process that saw all their events would
// report, by the kind's rule:
//
//   - Event, Total, Frequency, WindowSum, Count and Last: the sum (rates and
//     totals add up; Last adds up like statvent's summed gauges);
//   - Average and AverageTime: the mean weighted by each value's Count;
//   - Max and Min: the largest and smallest;
//   - Percentiles: the one value when a single process has one, no value
//     otherwise. A quantile of the union cannot be computed from the
//     quantiles of the parts (the largest p99 is not the p99 of the
//     whole), and the values do not say which statistic they are. A
//     percentiles counter's mean merges exactly as an average: merge the
//     means with Average.
//
// Empty values are skipped; the result is empty only if every value is, and
// for Frequency, WindowSum and Count it is then 0 as for an empty window.
func Merge(k Kind, vals ...Value) Value {
	var out Value
	switch k {
	case Percentiles:
		n := 0
		for _, v := range vals {
			if v.OK {
				out = v
				n++
			}
		}
		if n > 1 {
			out = Value{}
		}
	case Average, AverageTime:
		var sum float64
		for _, v := range vals {
			if v.OK && v.Count > 0 {
				sum += v.V * float64(v.Count)
				out.Count += v.Count
			}
		}
		if out.Count > 0 {
			out.V, out.OK = sum/float64(out.Count), true
		}
	case Max, Min:
		for _, v := range vals {
			if !v.OK {
				continue
			}
			switch {
			case !out.OK:
				out.V, out.OK = v.V, true
			case k == Max:
				out.V = math.Max(out.V, v.V)
			default:
				out.V = math.Min(out.V, v.V)
			}
			out.Count += v.Count
		}
	default:
		for _, v := range vals {
			if v.OK {
				out.V += v.V
				out.OK = true
				out.Count += v.Count
			}
		}
		if !out.OK && (k == Frequency || k == WindowSum || k == Count) {
			out.OK = true
		}
	}
	return out
}
