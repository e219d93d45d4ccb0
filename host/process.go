package host

import (
	"encoding/json"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/otelcounters/otelcounters/counters"
	"github.com/otelcounters/otelcounters/exporters/jsonfile"
)

// process is one report file as read.
type process struct {
	name   string // file name without .json
	pid    int    // 0 when unknown
	time   time.Time
	values map[string]*float64
	info   map[string]counterInfo
	merged bool // the file is itself a merge (it has __node_reports__)
}

// processFile splits a file name of the form <name>.<pid>.json; ok is false
// for any other name, including hidden and temporary files.
func processFile(file string) (name string, pid int, ok bool) {
	base, found := strings.CutSuffix(file, ".json")
	if !found || strings.HasPrefix(file, ".") {
		return "", 0, false
	}
	dot := strings.LastIndexByte(base, '.')
	if dot <= 0 {
		return "", 0, false
	}
	digits := base[dot+1:]
	if digits == "" || digits[0] == '0' || len(digits) > 10 {
		return "", 0, false
	}
	n, err := strconv.ParseUint(digits, 10, 31)
	if err != nil {
		return "", 0, false
	}
	return base, int(n), true
}

// parseProcess reads a report file: the flat values, the collection time
// and this package's metadata, each checked.
func parseProcess(data []byte) (process, error) {
	s, err := jsonfile.Parse(data)
	if err != nil {
		return process{}, err
	}
	p := process{time: s.Time, values: s.Values}
	if raw, ok := s.Meta[pidKey]; ok {
		var pid float64
		if err := json.Unmarshal(raw, &pid); err != nil || pid < 1 || pid > math.MaxInt32 || pid != math.Trunc(pid) {
			return process{}, fmt.Errorf("key %q: %.40s is not a process id", pidKey, raw)
		}
		p.pid = int(pid)
	}
	if raw, ok := s.Meta[countersKey]; ok {
		if err := json.Unmarshal(raw, &p.info); err != nil {
			return process{}, fmt.Errorf("key %q: %w", countersKey, err)
		}
		// One spelling per kind, so that "AverageWindowCounter" and
		// "average" agree; names this version does not know stay as written.
		for k, info := range p.info {
			if kind, err := counters.ParseKind(info.Kind); err == nil {
				info.Kind = kind.String()
				p.info[k] = info
			}
		}
	}
	_, p.merged = s.Meta[nodeReportsKey]
	return p, nil
}
