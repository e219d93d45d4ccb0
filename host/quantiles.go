package host

import (
	"encoding/base64"
	"strings"

	"github.com/otelcounters/otelcounters/counters"
)

// distributions finds and decodes the buckets of the processes'
// percentiles series, each once.
type distributions struct {
	ps    []process
	cache map[distKey]distEntry
}

type distKey struct {
	proc int
	mean string
}

type distEntry struct {
	d  counters.Distribution
	ok bool
}

// quantile returns quantile q of the percentiles series whose quantile key
// is key, merged over every process that has a value for key: from their
// buckets, as one process that saw every value would compute it. It fails
// when one of them gave no buckets (a file of an earlier version) or
// broken ones.
func (ds *distributions) quantile(key string, q float64) (counters.Value, bool) {
	mean, ok := meanKey(key, q)
	if !ok {
		return counters.Value{}, false
	}
	var parts []counters.Distribution
	for i, p := range ds.ps {
		if f, has := p.values[key]; !has || f == nil {
			continue
		}
		d, ok := ds.get(i, mean)
		if !ok {
			return counters.Value{}, false
		}
		parts = append(parts, d)
	}
	if len(parts) == 0 {
		return counters.Value{}, false
	}
	out := counters.MergeDistributions(parts...).Quantiles([]float64{q}, nil)
	return out[0], true
}

func (ds *distributions) get(i int, mean string) (counters.Distribution, bool) {
	k := distKey{i, mean}
	if e, ok := ds.cache[k]; ok {
		return e.d, e.ok
	}
	var e distEntry
	if b64 := ds.ps[i].info[mean].Buckets; b64 != "" {
		if raw, err := base64.StdEncoding.DecodeString(b64); err == nil {
			e.d, err = counters.ParseDistribution(raw)
			e.ok = err == nil
		}
	}
	if ds.cache == nil {
		ds.cache = map[distKey]distEntry{}
	}
	ds.cache[k] = e
	return e.d, e.ok
}

// meanKey returns the key of the mean of the series whose quantile q is
// reported under key: name.p99{attrs} gives name.mean{attrs}.
func meanKey(key string, q float64) (string, bool) {
	name, attrs := key, ""
	if i := strings.IndexByte(key, '{'); i > 0 && strings.HasSuffix(key, "}") {
		name, attrs = key[:i], key[i:]
	}
	base, ok := strings.CutSuffix(name, "."+counters.QuantileLabel(q))
	if !ok {
		return "", false
	}
	return base + "." + counters.MeanLabel + attrs, true
}
