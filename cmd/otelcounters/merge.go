package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/otelcounters/otelcounters/host"
)

const mergeSummary = "merge the per-process reports of a folder into one JSON report file"

const mergeUsage = `usage: otelcounters merge --dir DIR --out FILE [--max-age AGE] [--prune] [--pid-check=false] [--max-file-size 64MiB] [-v]

Merges the fresh reports of the live processes in DIR (files named
<name>.<pid>.json, written by host.NewReporter) by PyCounters' rules, and
writes the result to FILE atomically, in PyCounters' JSON format. Run it
from cron, or after each report interval; munin's plugin and otelcounters
serve read the folder directly and need no merge step.

flags:
`

func runMerge(args []string, _ io.Reader, _, stderr io.Writer) int {
	fs := flag.NewFlagSet("merge", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprint(stderr, mergeUsage)
		fs.PrintDefaults()
	}
	dir := fs.String("dir", "", "the `folder` of per-process reports")
	out := fs.String("out", "", "the merged report `file` to write (its folder must exist)")
	maxAge := fs.String("max-age", "900", "leave out reports older than this `age`: seconds or a duration (15m); 0: no limit")
	prune := fs.Bool("prune", false, "remove the reports of dead processes")
	pidCheck := fs.Bool("pid-check", true, "leave out the reports of dead processes (turn off when the writers run in another pid namespace)")
	maxSize := fs.String("max-file-size", "64MiB", "leave out report files larger than this `size`: bytes, or with KiB, MiB or GiB")
	verbose := fs.Bool("v", false, "say what was done with each report, and which keys could not be merged")
	if err := fs.Parse(args); err != nil {
		return parseStatus(err)
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "otelcounters merge: unexpected argument %q\n", fs.Arg(0))
		return 2
	}
	if *dir == "" || *out == "" {
		fmt.Fprintln(stderr, "otelcounters merge: --dir and --out are required")
		return 2
	}
	age, err := parseAge(*maxAge)
	if err != nil {
		fmt.Fprintf(stderr, "otelcounters merge: --max-age: %v\n", err)
		return 2
	}
	size, err := parseSize(*maxSize)
	if err != nil {
		fmt.Fprintf(stderr, "otelcounters merge: --max-file-size: %v\n", err)
		return 2
	}
	opts := []host.Option{host.WithMaxAge(age), host.WithMaxFileSize(size)}
	if !*pidCheck {
		opts = append(opts, host.WithoutPIDCheck())
	}
	if *prune {
		opts = append(opts, host.WithPrune())
	}
	res, err := host.Merge(*dir, opts...)
	if err != nil {
		fmt.Fprintf(stderr, "otelcounters merge: %v\n", err)
		return 2
	}
	for _, src := range res.Sources {
		switch {
		case src.Err != nil:
			fmt.Fprintf(stderr, "otelcounters merge: %s: %v\n", src.Status, src.Err)
		case *verbose:
			fmt.Fprintf(stderr, "otelcounters merge: %s %s (pid %d, %s)\n", src.Status, src.Path, src.PID, src.Time.Format(time.RFC3339))
		}
	}
	if *verbose && len(res.Unmerged) > 0 {
		fmt.Fprintf(stderr, "otelcounters merge: left out, with values in several processes that cannot be merged: %s\n", strings.Join(res.Unmerged, ", "))
	}
	if res.Included() == 0 {
		fmt.Fprintf(stderr, "otelcounters merge: no fresh report in %s: writing a report with no values\n", *dir)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if err := res.WriteFile(ctx, *out); err != nil {
		fmt.Fprintf(stderr, "otelcounters merge: %v\n", err)
		return 1
	}
	if *verbose {
		fmt.Fprintf(stderr, "otelcounters merge: wrote %d values from %d reports to %s\n", len(res.Report.Values), res.Included(), *out)
	}
	return 0
}
