package host

import (
	"encoding/base64"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/otelcounters/otelcounters/counters"
	"github.com/otelcounters/otelcounters/exporters/jsonfile"
	"github.com/otelcounters/otelcounters/report"
)

// Metadata keys of the files this package writes.
const (
	pidKey         = "__pid__"
	countersKey    = "__counters__"
	nodeReportsKey = "__node_reports__"
)

// counterInfo is one key's entry in __counters__.
type counterInfo struct {
	Kind  string `json:"kind"`
	Count uint64 `json:"count,omitempty"`
	// Quantile tells a percentiles counter's quantiles from its mean (0).
	Quantile float64 `json:"quantile,omitempty"`
	// Covered is a frequency's covered time in seconds (see
	// report.Value.Covered): what makes rates of processes that started at
	// different times merge exactly. Files without it merge rates as sums.
	Covered float64 `json:"covered,omitempty"`
	// Buckets is, on a percentiles counter's mean, the window's values as
	// buckets (counters.Distribution.AppendBinary, in base64): what makes
	// the series' quantiles merge.
	Buckets string `json:"buckets,omitempty"`
}

// NewReporter returns a reporter writing this process's reports to
// dir/<name>.<pid>.json, atomically, with the metadata [Merge] needs (see
// the package doc). name tells the processes of different programs apart in
// one folder; it must not be empty, start with a dot or hold a path
// separator. The folder must exist. It removes the temporary files that
// earlier processes of the same name, killed mid-write, left in the folder
// (see [jsonfile.New]).
func NewReporter(dir, name string) (*jsonfile.Reporter, error) {
	if name == "" || strings.HasPrefix(name, ".") || strings.ContainsAny(name, `/\`+"\x00") {
		return nil, fmt.Errorf("host: report name %q: want a non-empty name with no path separator, not starting with a dot", name)
	}
	if dir == "" {
		return nil, errors.New("host: empty folder name")
	}
	pid := os.Getpid()
	path := filepath.Join(dir, fmt.Sprintf("%s.%d.json", name, pid))
	return jsonfile.New(path, jsonfile.WithMetadata(func(r report.Report) map[string]any {
		return map[string]any{pidKey: pid, countersKey: counterInfos(r)}
	}), jsonfile.WithStaleTempsOf(func(file string) bool {
		// The earlier processes of this name wrote under their own pids.
		n, _, ok := processFile(file)
		return ok && strings.HasPrefix(n, name+".") && !strings.Contains(n[len(name)+1:], ".")
	}))
}

// counterInfos returns the __counters__ entry of every value of r that
// has a kind.
func counterInfos(r report.Report) map[string]counterInfo {
	info := make(map[string]counterInfo, len(r.Values))
	for _, v := range r.Values {
		if v.Kind == 0 || report.IsMetadata(v.Key) {
			continue
		}
		in := counterInfo{Kind: v.Kind.String(), Count: v.Count, Quantile: v.Quantile, Covered: v.Covered.Seconds()}
		if v.Distribution != nil {
			in.Buckets = base64.StdEncoding.EncodeToString(v.Distribution.AppendBinary(nil))
		}
		info[v.Key] = in
	}
	return info
}

// mergeable reports whether values of kind k reported by several processes
// can be merged: the kinds [counters.Merge] has an exact rule for. A
// percentiles counter's quantiles cannot be (its mean merges as an
// average), nor can a kind added later, until it is listed here.
func mergeable(k counters.Kind) bool {
	switch k {
	case counters.Event, counters.Total, counters.Average, counters.AverageTime,
		counters.Frequency, counters.WindowSum, counters.Max, counters.Min,
		counters.Count, counters.Last:
		return true
	}
	return false
}

// weighted reports whether merging values of kind k needs their sample counts.
func weighted(k counters.Kind) bool {
	return k == counters.Average || k == counters.AverageTime
}
