package host

import (
	"math"
	"time"

	"github.com/otelcounters/otelcounters/counters"
)

// hostCovered returns, per frequency counter, the time the host's window
// covers: the longest time any process's window of it covers (the
// processes' windows end at the same time, so the oldest process's
// contains the others'). A counter is left out when a process reports it
// without a covered time (a file of an earlier version): its rates then add
// up, as they did.
func hostCovered(ps []process) map[string]float64 {
	out := map[string]float64{}
	var old map[string]bool
	for _, p := range ps {
		for k, in := range p.info {
			if kind, err := counters.ParseKind(in.Kind); err != nil || kind != counters.Frequency {
				continue
			}
			name := counterName(k)
			if !(in.Covered > 0) || math.IsInf(in.Covered, 0) {
				if old == nil {
					old = map[string]bool{}
				}
				old[name] = true
				continue
			}
			out[name] = max(out[name], in.Covered)
		}
	}
	for name := range old {
		delete(out, name)
	}
	return out
}

// mergeRates returns the host's rate of one series from the rates of the
// processes that have it and the times their windows covered: every event
// of every window (rate × covered time) over the time the host's window
// covers. When every process has covered a whole window that is the sum of
// the rates, as before; a young process no longer counts its few seconds as
// a whole window's rate, nor does a series only a young process has.
func mergeRates(vals []counters.Value, infos []counterInfo, host float64) (counters.Value, time.Duration) {
	var events float64
	for i, v := range vals {
		events += v.V * infos[i].Covered
	}
	return counters.Value{V: events / host, OK: true}, time.Duration(host * float64(time.Second))
}
