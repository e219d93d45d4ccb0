// Command ratios turns `go test -bench` output into a markdown table: the
// median of each benchmark's runs, and its ratio to the reference row of its
// group (the row whose name starts with the -ref prefix), so that figures
// from one run on a noisy machine compare as ratios.
package main

import (
	"bufio"
	"flag"
	"fmt"
	"io"
	"os"
	"slices"
	"strconv"
	"strings"
)

type row struct {
	group, name string
	metrics     map[string][]float64 // unit → values of each run
}

func main() {
	ref := flag.String("ref", "otelcounters", "name prefix of the reference row in each group")
	flag.Parse()
	if err := run(os.Stdin, os.Stdout, *ref); err != nil {
		fmt.Fprintln(os.Stderr, "ratios:", err)
		os.Exit(1)
	}
}

func run(in io.Reader, out io.Writer, ref string) error {
	var rows []*row
	byName := map[string]*row{}
	sc := bufio.NewScanner(in)
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		if len(f) < 4 || !strings.HasPrefix(f[0], "Benchmark") {
			continue
		}
		full := f[0]
		if i := strings.LastIndexByte(full, '-'); i > 0 {
			full = full[:i] // the GOMAXPROCS suffix
		}
		r := byName[full]
		if r == nil {
			group, name, _ := strings.Cut(strings.TrimPrefix(full, "Benchmark"), "/")
			r = &row{group: group, name: name, metrics: map[string][]float64{}}
			byName[full] = r
			rows = append(rows, r)
		}
		for i := 2; i+1 < len(f); i += 2 {
			v, err := strconv.ParseFloat(f[i], 64)
			if err != nil {
				continue
			}
			r.metrics[f[i+1]] = append(r.metrics[f[i+1]], v)
		}
	}
	if err := sc.Err(); err != nil {
		return err
	}
	if len(rows) == 0 {
		return fmt.Errorf("no benchmark lines in the input")
	}
	group := ""
	var refRow *row
	for _, r := range rows {
		if r.group != group {
			group = r.group
			refRow = nil
			for _, c := range rows {
				if c.group == group && strings.HasPrefix(c.name, ref) {
					refRow = c
					break
				}
			}
			unit := mainUnit(r)
			fmt.Fprintf(out, "\n### %s\n\n| %s | %s | allocs/op | × %s |\n|---|---:|---:|---:|\n", group, "library", unit, ref)
		}
		unit := mainUnit(r)
		v := median(r.metrics[unit])
		ratio := "—"
		if refRow != nil {
			if rv := median(refRow.metrics[unit]); rv > 0 {
				ratio = fmt.Sprintf("%.2f", v/rv)
			}
		}
		allocs := "—"
		if a, ok := r.metrics["allocs/op"]; ok {
			allocs = strconv.FormatFloat(median(a), 'f', -1, 64)
		}
		fmt.Fprintf(out, "| %s | %.4g | %s | %s |\n", r.name, v, allocs, ratio)
	}
	return nil
}

// mainUnit is the figure a group compares: a custom per-series metric when
// the benchmark reports one, else ns/op.
func mainUnit(r *row) string {
	for _, u := range []string{"B/series", "ns/series"} {
		if _, ok := r.metrics[u]; ok {
			return u
		}
	}
	return "ns/op"
}

func median(v []float64) float64 {
	if len(v) == 0 {
		return 0
	}
	s := slices.Clone(v)
	slices.Sort(s)
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}
