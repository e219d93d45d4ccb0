package host

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/otelcounters/otelcounters/counters"
	"github.com/otelcounters/otelcounters/exporters/jsonfile"
	"github.com/otelcounters/otelcounters/internal/pids"
	"github.com/otelcounters/otelcounters/report"
)

// Status is what a merge did with one report file.
type Status uint8

// The statuses of a [Source].
const (
	// Included: the report is fresh and its process alive; it is merged.
	Included Status = iota + 1
	// Stale: the report is older than the maximum age.
	Stale
	// Dead: the process that wrote the report is gone.
	Dead
	// Invalid: the file cannot be read, is not a report, or is itself a
	// merge result (which would count its processes twice).
	Invalid
)

// String returns "included", "stale", "dead" or "invalid".
func (s Status) String() string {
	switch s {
	case Included:
		return "included"
	case Stale:
		return "stale"
	case Dead:
		return "dead"
	case Invalid:
		return "invalid"
	}
	return fmt.Sprintf("Status(%d)", s)
}

// Source is one report file a merge looked at.
type Source struct {
	// Path is the file's path.
	Path string
	// Name is the file's name without ".json": <name>.<pid>.
	Name string
	// PID is the writing process's id, 0 when unknown.
	PID int
	// Time is the report's collection time (zero when Invalid).
	Time time.Time
	// Status says whether the report was merged, and if not why.
	Status Status
	// Err says what is wrong with an Invalid file, or why pruning a Dead
	// one failed.
	Err error
}

// Result is a merged report and how it was made.
type Result struct {
	// Report holds the merged values, sorted by key, with their kinds and
	// sample counts where the files gave them. Its Time is the oldest
	// collection time among the included reports, or the time of the merge
	// when none was included.
	Report report.Report
	// Sources lists the report files looked at, in path order.
	Sources []Source
	// Unmerged lists, sorted, the keys that several processes reported
	// but that could not be merged and so are not in Report (see the
	// package doc).
	Unmerged []string

	info  map[string]counterInfo
	nodes map[string]map[string]*float64
}

// Included returns the number of reports merged.
func (r *Result) Included() int {
	n := 0
	for _, s := range r.Sources {
		if s.Status == Included {
			n++
		}
	}
	return n
}

// Merge reads the per-process report files of dir (see the package doc)
// and merges the fresh reports of live processes. Files that cannot be read
// or parsed are listed as Invalid, not returned as errors: one broken
// process must not hide the others. The error is for a folder that cannot
// be listed.
func Merge(dir string, opts ...Option) (*Result, error) {
	cfg := newConfig(opts)
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, fmt.Errorf("host: %w", err)
	}
	now := cfg.now()
	res := &Result{}
	var ps []process
	for _, e := range entries {
		name, pid, ok := processFile(e.Name())
		if !ok || e.IsDir() {
			continue
		}
		src := Source{Path: filepath.Join(dir, e.Name()), Name: name, PID: pid}
		var data []byte
		switch {
		case e.Type()&fs.ModeSymlink != 0:
			err = fmt.Errorf("%s %w", src.Path, errSymlink)
		case !e.Type().IsRegular():
			// Not even opened: a FIFO or a device is nobody's report.
			err = fmt.Errorf("%s is %s, not a regular file", src.Path, fileType(e.Type()))
		default:
			data, err = readReport(src.Path, cfg.maxFileSize, true)
		}
		if errors.Is(err, fs.ErrNotExist) {
			continue // removed since the listing: pruned by another merge
		}
		var p process
		if err == nil {
			p, err = parseProcess(data)
			if err != nil {
				err = fmt.Errorf("%s: %w", src.Path, err)
			}
		}
		if err == nil && p.merged {
			err = fmt.Errorf("%s holds a merged report (it has %s), not a process's", src.Path, nodeReportsKey)
		}
		if err != nil {
			src.Status, src.Err = Invalid, err
			res.Sources = append(res.Sources, src)
			continue
		}
		p.name = name
		if p.pid != 0 { // the writer's word over the file name
			src.PID = p.pid
		}
		src.Time = p.time
		switch {
		case cfg.checkPID && !pids.Alive(src.PID):
			src.Status = Dead
			if cfg.prune {
				if err := os.Remove(src.Path); err != nil && !errors.Is(err, fs.ErrNotExist) {
					src.Err = fmt.Errorf("prune: %w", err)
				}
			}
		case cfg.maxAge > 0 && now.Sub(p.time) > cfg.maxAge:
			src.Status = Stale
		default:
			src.Status = Included
			ps = append(ps, p)
		}
		res.Sources = append(res.Sources, src)
	}
	res.merge(ps, now)
	return res, nil
}

// Read reads path: a folder is merged as by [Merge]; a file is read as one
// report (a PyCounters or jsonfile report, a merged report or one process's
// report) with no pid check; a link named by path is followed, but what it
// leads to must be a regular file within the size limit. A stale file gives a result with no values
// and its Source marked Stale. The error is for a path that cannot be read,
// or a file that is not a report.
func Read(path string, opts ...Option) (*Result, error) {
	st, err := os.Stat(path)
	if err != nil {
		return nil, fmt.Errorf("host: %w", err)
	}
	if st.IsDir() {
		return Merge(path, opts...)
	}
	cfg := newConfig(opts)
	// A path given by name may be a link (to the current report, say);
	// what it leads to must still be a regular file of sane size.
	data, err := readReport(path, cfg.maxFileSize, false)
	if err != nil {
		return nil, fmt.Errorf("host: %w", err)
	}
	p, err := parseProcess(data)
	if err != nil {
		return nil, fmt.Errorf("host: %s: %w", path, err)
	}
	p.name = strings.TrimSuffix(filepath.Base(path), ".json")
	now := cfg.now()
	src := Source{Path: path, Name: p.name, PID: p.pid, Time: p.time, Status: Included}
	var ps []process
	if cfg.maxAge > 0 && now.Sub(p.time) > cfg.maxAge {
		src.Status = Stale
	} else {
		ps = append(ps, p)
	}
	res := &Result{Sources: []Source{src}}
	res.merge(ps, now)
	return res, nil
}

// merge fills r's report from the included processes.
func (r *Result) merge(ps []process, now time.Time) {
	r.Report = report.Report{Time: now}
	r.info = map[string]counterInfo{}
	r.nodes = make(map[string]map[string]*float64, len(ps))
	keys := map[string]bool{}
	for i, p := range ps {
		if i == 0 || p.time.Before(r.Report.Time) {
			r.Report.Time = p.time
		}
		for k := range p.values {
			keys[k] = true
		}
		r.nodes[p.name] = p.values
	}
	covered := hostCovered(ps)
	dists := distributions{ps: ps}
	sorted := slices.Sorted(maps.Keys(keys))
	r.Report.Values = make([]report.Value, 0, len(sorted))
	var vals []counters.Value
	var infos []counterInfo
	for _, k := range sorted {
		vals, infos = vals[:0], infos[:0]
		var info counterInfo // of the first process with the key, or with a value
		for _, p := range ps {
			f, ok := p.values[k]
			if !ok {
				continue
			}
			if len(infos) == 0 && info.Kind == "" {
				info = p.info[k]
			}
			if f != nil {
				vals = append(vals, counters.Value{V: *f, OK: true, Count: p.info[k].Count})
				infos = append(infos, p.info[k])
			}
		}
		if len(infos) > 0 {
			info = infos[0]
		}
		kind, rule := ruleOf(info)
		out := report.Value{Key: k, Counter: counterName(k), Kind: kind, Quantile: info.Quantile}
		if kind == counters.Percentiles && info.Quantile != 0 && len(vals) > 1 && agree(infos) {
			if v, ok := dists.quantile(k, info.Quantile); ok {
				out.Value = v
				r.info[k] = counterInfo{Kind: info.Kind, Count: v.Count, Quantile: info.Quantile}
				r.Report.Values = append(r.Report.Values, out)
				continue
			}
		}
		switch {
		case len(vals) > 1 && (!agree(infos) || !mergeable(rule) || (weighted(rule) && uncounted(vals))):
			r.Unmerged = append(r.Unmerged, k)
			continue
		case rule == counters.Frequency && covered[out.Counter] > 0 && len(vals) > 0:
			out.Value, out.Covered = mergeRates(vals, infos, covered[out.Counter])
		case len(vals) == 1:
			out.Value = vals[0]
		case mergeable(rule):
			out.Value = counters.Merge(rule, vals...) // empty for no value, 0 for rates
		}
		if info.Kind != "" {
			r.info[k] = counterInfo{Kind: info.Kind, Count: out.Count, Quantile: info.Quantile, Covered: out.Covered.Seconds()}
		}
		r.Report.Values = append(r.Report.Values, out)
	}
}

// ruleOf returns the kind of a key's counter, 0 if unknown, and the kind
// whose merge rule applies to it: the kind itself, except for a percentiles
// counter's mean, which merges as an average.
func ruleOf(info counterInfo) (kind, rule counters.Kind) {
	kind, err := counters.ParseKind(info.Kind)
	if err != nil {
		return 0, 0
	}
	if kind == counters.Percentiles && info.Quantile == 0 {
		return kind, counters.Average
	}
	return kind, kind
}

// agree reports whether every process says the same of a key.
func agree(infos []counterInfo) bool {
	for _, in := range infos[1:] {
		if in.Kind != infos[0].Kind || in.Quantile != infos[0].Quantile {
			return false
		}
	}
	return true
}

// uncounted reports whether a value has no sample count to weigh it by.
func uncounted(vals []counters.Value) bool {
	for _, v := range vals {
		if v.OK && v.Count == 0 {
			return true
		}
	}
	return false
}

// counterName returns the counter name part of a report key.
func counterName(key string) string {
	if i := strings.IndexByte(key, '{'); i > 0 && strings.HasSuffix(key, "}") {
		return key[:i]
	}
	return key
}

// WriteFile writes the merged report to path atomically (see
// [jsonfile.Reporter]), in PyCounters' flat format with two metadata keys:
// __counters__ (kinds and merged sample counts) and __node_reports__ (each
// included process's own values, by <name>.<pid>, as PyCounters' leader
// wrote them). The folder must exist.
func (r *Result) WriteFile(ctx context.Context, path string) error {
	rep, err := jsonfile.New(path, jsonfile.WithMetadata(func(report.Report) map[string]any {
		return map[string]any{countersKey: r.info, nodeReportsKey: r.nodes}
	}))
	if err != nil {
		return fmt.Errorf("host: %w", err)
	}
	if err := rep.Report(ctx, r.Report); err != nil {
		return fmt.Errorf("host: %w", err)
	}
	return nil
}
