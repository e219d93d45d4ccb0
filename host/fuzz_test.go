package host

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/otelcounters/otelcounters/report"
)

// FuzzMerge checks that reading and merging two report files never panics,
// whatever they hold, and that the merge keeps its promises: sorted keys,
// each from one of the files, none both merged and unmerged.
func FuzzMerge(f *testing.F) {
	f.Add([]byte(`{"a": 1, "__counters__": {"a": {"kind": "average", "count": 2}}, "__pid__": 12, "__collection_time__": 1700000000}`),
		[]byte(`{"a": 3, "b": null, "__counters__": {"a": {"kind": "average", "count": 1}}, "__pid__": 13, "__collection_time__": 1700000001.5}`))
	f.Add([]byte(`{"p.p50": 1, "__counters__": {"p.p50": {"kind": "percentiles", "quantile": 0.5}}, "__collection_time__": 1}`),
		[]byte(`{"p.p50": 2, "__counters__": {"p.p50": {"kind": "percentiles", "quantile": 0.5}}, "__collection_time__": 2}`))
	f.Add([]byte(`{"x": 1, "__counters__": {"x": {"kind": "max"}}, "__collection_time__": 1}`),
		[]byte(`{"x": 1, "__counters__": {"x": {"kind": "min"}}, "__node_reports__": {}, "__collection_time__": 1}`))
	f.Add([]byte(`{"x": 1e308, "__counters__": {"x": {"kind": "total"}}, "__collection_time__": 1}`),
		[]byte(`{"x": 1e308, "__counters__": {"x": {"kind": "total", "count": 18446744073709551615}}, "__collection_time__": 1}`))
	f.Add([]byte(`{"__pid__": -1, "__collection_time__": 1}`), []byte(`{"__counters__": [], "__collection_time__": 1}`))
	f.Fuzz(func(t *testing.T, a, b []byte) {
		var ps []process
		for i, data := range [][]byte{a, b} {
			p, err := parseProcess(data)
			if err != nil {
				continue
			}
			if p.pid < 0 {
				t.Fatalf("negative pid %d", p.pid)
			}
			p.name = string(rune('a' + i))
			ps = append(ps, p)
		}
		var r Result
		r.merge(ps, time.Unix(1700000000, 0))
		if !slices.IsSortedFunc(r.Report.Values, func(x, y report.Value) int { return strings.Compare(x.Key, y.Key) }) {
			t.Fatal("merged keys not sorted")
		}
		for _, v := range r.Report.Values {
			found := false
			for _, p := range ps {
				_, ok := p.values[v.Key]
				found = found || ok
			}
			if !found {
				t.Fatalf("merged key %q from no file", v.Key)
			}
			if _, ok := slices.BinarySearch(r.Unmerged, v.Key); ok {
				t.Fatalf("key %q both merged and unmerged", v.Key)
			}
		}
		for _, name := range []string{string(a), string(b)} {
			if n, pid, ok := processFile(name); ok && (pid <= 0 || !strings.HasPrefix(name, n+".")) {
				t.Fatalf("processFile(%q) = %q, %d", name, n, pid)
			}
		}
	})
}
