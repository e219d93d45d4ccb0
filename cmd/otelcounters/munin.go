package main

import (
	"flag"
	"fmt"
	"io"
	"math"
	"os"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/otelcounters/otelcounters/host"
	"github.com/otelcounters/otelcounters/munin"
	"github.com/otelcounters/otelcounters/report"
)

const muninSummary = "munin plugin: graph a JSON report file, or a folder of per-process reports"

// The munin plugin settings (env.NAME value lines of munin's plugin
// configuration); the flags of the same names win over them.
const (
	muninConfigEnv   = "OTELCOUNTERS_MUNIN_CONFIG"
	muninReportEnv   = "OTELCOUNTERS_MUNIN_REPORT"
	muninMaxAgeEnv   = "OTELCOUNTERS_MUNIN_MAX_AGE"
	muninPIDCheckEnv = "OTELCOUNTERS_MUNIN_PID_CHECK"
	muninMaxSizeEnv  = "OTELCOUNTERS_MUNIN_MAX_FILE_SIZE"
)

const muninUsage = `usage: otelcounters munin [flags] [config | fetch | autoconf | suggest]
       otelcounters munin generate --report PATH [--category NAME]

A munin plugin in the way of PyCounters' munin helper. munin runs it
through a wrapper script in its plugin folder:

  #!/bin/sh
  exec /usr/local/bin/otelcounters munin "$@"

and hands it its settings in the plugin configuration:

  [myapp]
  env.` + muninConfigEnv + ` /etc/myapp/munin-graphs.yaml
  env.` + muninReportEnv + ` /var/lib/myapp/counters.json

config prints the graphs' configuration, fetch (or no command) their
values, U for each value when the report is missing, unreadable or older
than the maximum age (with the reason on standard error). autoconf answers
yes or no (reason); suggest prints nothing. The report is a JSON report
file, or a folder of per-process reports (<name>.<pid>.json), which is
merged first.

generate prints a starting graph configuration for the counters of a
report: one graph per counter.

Settings (flags win over the environment):
  --config FILE     ` + muninConfigEnv + `   graph configuration, JSON or YAML
  --report PATH     ` + muninReportEnv + `   report file or folder
  --max-age AGE     ` + muninMaxAgeEnv + `   seconds or a duration (15m); 0: no limit (default 900)
  --pid-check BOOL  ` + muninPIDCheckEnv + `  leave out reports of dead processes (default yes)
  --max-file-size SIZE  ` + muninMaxSizeEnv + `  leave out larger report files: bytes, or with KiB, MiB, GiB (default 64MiB)
`

// muninEnv is what the munin plugin reads from its environment; tests give
// their own.
type muninEnv struct {
	getenv func(string) string
	now    func() time.Time
}

func runMunin(args []string, _ io.Reader, stdout, stderr io.Writer) int {
	return muninMain(args, muninEnv{getenv: os.Getenv, now: time.Now}, stdout, stderr)
}

// muninSettings are the plugin's settings, from flags and environment.
type muninSettings struct {
	config, report string
	maxAge         time.Duration
	maxSize        int64
	pidCheck       bool
	category       string
}

func muninMain(args []string, env muninEnv, stdout, stderr io.Writer) int {
	generate := len(args) > 0 && args[0] == "generate"
	if generate {
		args = args[1:]
	}
	fs := flag.NewFlagSet("munin", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() { fmt.Fprint(stderr, muninUsage) }
	config := fs.String("config", "", "")
	reportPath := fs.String("report", "", "")
	maxAge := fs.String("max-age", "", "")
	pidCheck := fs.String("pid-check", "", "")
	maxSize := fs.String("max-file-size", "", "")
	category := fs.String("category", "", "")
	if err := fs.Parse(args); err != nil {
		return parseStatus(err)
	}
	s, err := muninSetup(env, *config, *reportPath, *maxAge, *pidCheck, *maxSize)
	if err != nil {
		fmt.Fprintf(stderr, "otelcounters munin: %v\n", err)
		return 2
	}
	s.category = *category
	if generate {
		if fs.NArg() > 0 {
			fmt.Fprintf(stderr, "otelcounters munin generate: unexpected argument %q\n", fs.Arg(0))
			return 2
		}
		return muninGenerate(s, stdout, stderr)
	}
	cmd := "fetch"
	switch fs.NArg() {
	case 0:
	case 1:
		cmd = fs.Arg(0)
	default:
		fmt.Fprintf(stderr, "otelcounters munin: one command at most, got %q\n", fs.Args())
		return 2
	}
	switch cmd {
	case "config", "fetch":
		p, err := muninPlugin(s.config)
		if err != nil {
			fmt.Fprintf(stderr, "otelcounters munin: %v\n", err)
			return 2
		}
		if cmd == "config" {
			err = p.WriteConfig(stdout)
		} else {
			err = muninFetch(p, s, env, stdout, stderr)
		}
		if err != nil {
			fmt.Fprintf(stderr, "otelcounters munin: %v\n", err)
			return 1
		}
		return 0
	case "autoconf":
		fmt.Fprintln(stdout, muninAutoconf(s, env))
		return 0
	case "suggest":
		return 0 // not a wildcard plugin: nothing to suggest
	}
	// PyCounters' helper took any other word for fetch; munin's own
	// commands are the ones above.
	fmt.Fprintf(stderr, "otelcounters munin: unknown command %q (want config, fetch, autoconf or suggest)\n", cmd)
	return 2
}

// muninSetup merges flags and environment, flags first.
func muninSetup(env muninEnv, config, reportPath, maxAge, pidCheck, maxSize string) (muninSettings, error) {
	pick := func(flagValue, name string) string {
		if flagValue != "" {
			return flagValue
		}
		return strings.TrimSpace(env.getenv(name))
	}
	s := muninSettings{
		config:   pick(config, muninConfigEnv),
		report:   pick(reportPath, muninReportEnv),
		maxAge:   host.DefaultMaxAge,
		maxSize:  host.DefaultMaxFileSize,
		pidCheck: true,
	}
	if v := pick(maxSize, muninMaxSizeEnv); v != "" {
		n, err := parseSize(v)
		if err != nil {
			return s, fmt.Errorf("maximum file size (--max-file-size or %s): %w", muninMaxSizeEnv, err)
		}
		s.maxSize = n
	}
	if v := pick(maxAge, muninMaxAgeEnv); v != "" {
		d, err := parseAge(v)
		if err != nil {
			return s, fmt.Errorf("maximum age (--max-age or %s): %w", muninMaxAgeEnv, err)
		}
		s.maxAge = d
	}
	if v := pick(pidCheck, muninPIDCheckEnv); v != "" {
		b, err := parseYesNo(v)
		if err != nil {
			return s, fmt.Errorf("pid check (--pid-check or %s): %w", muninPIDCheckEnv, err)
		}
		s.pidCheck = b
	}
	return s, nil
}

// parseSize reads a number of bytes, with an optional KiB, MiB or GiB
// suffix.
func parseSize(s string) (int64, error) {
	num, mult := s, int64(1)
	for _, u := range []struct {
		suffix string
		mult   int64
	}{{"KiB", 1 << 10}, {"MiB", 1 << 20}, {"GiB", 1 << 30}} {
		if n, ok := strings.CutSuffix(s, u.suffix); ok {
			num, mult = strings.TrimSpace(n), u.mult
			break
		}
	}
	n, err := strconv.ParseInt(num, 10, 64)
	if err != nil || n <= 0 || n > math.MaxInt64/mult {
		return 0, fmt.Errorf("%q: want a positive number of bytes, optionally with KiB, MiB or GiB", s)
	}
	return n * mult, nil
}

// parseAge reads seconds (900, 0.5) or a Go duration (15m); zero means no
// limit.
func parseAge(s string) (time.Duration, error) {
	if f, err := strconv.ParseFloat(s, 64); err == nil {
		if !(f >= 0 && f <= math.MaxInt64/float64(time.Second)) {
			return 0, fmt.Errorf("%q: want a number of seconds, 0 or more", s)
		}
		return time.Duration(f * float64(time.Second)), nil
	}
	d, err := time.ParseDuration(s)
	if err != nil || d < 0 {
		return 0, fmt.Errorf("%q: want a number of seconds or a duration such as 15m", s)
	}
	return d, nil
}

func parseYesNo(s string) (bool, error) {
	switch strings.ToLower(s) {
	case "yes", "y", "true", "on", "1":
		return true, nil
	case "no", "n", "false", "off", "0":
		return false, nil
	}
	return false, fmt.Errorf("%q: want yes or no", s)
}

func (s muninSettings) readOptions(env muninEnv) []host.Option {
	opts := []host.Option{host.WithMaxAge(s.maxAge), host.WithClock(env.now), host.WithMaxFileSize(s.maxSize)}
	if !s.pidCheck {
		opts = append(opts, host.WithoutPIDCheck())
	}
	return opts
}

func muninPlugin(path string) (*munin.Plugin, error) {
	if path == "" {
		return nil, fmt.Errorf("no graph configuration: set env.%s in the plugin's munin settings, or --config", muninConfigEnv)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	graphs, err := munin.ParseConfig(data)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return munin.New(graphs)
}

// muninFetch writes the values, or U for every field when there is no
// fresh report, and says on stderr why any value is U. Only a failure to
// write stdout is an error: munin's convention for a missing data source is
// the unknown value, not a failing plugin.
func muninFetch(p *munin.Plugin, s muninSettings, env muninEnv, stdout, stderr io.Writer) error {
	say := func(format string, args ...any) {
		fmt.Fprintf(stderr, "otelcounters munin: "+format+"\n", args...)
	}
	if s.report == "" {
		say("no report: set env.%s in the plugin's munin settings, or --report; every value is U", muninReportEnv)
		_, err := p.WriteValues(stdout, report.Report{})
		return err
	}
	res, err := host.Read(s.report, s.readOptions(env)...)
	if err != nil {
		say("cannot read the report: %v; every value is U", err)
		_, err := p.WriteValues(stdout, report.Report{})
		return err
	}
	for _, src := range res.Sources {
		if src.Status == host.Invalid {
			say("left out %v", src.Err)
		}
	}
	if res.Included() == 0 {
		say("%s; every value is U", noFreshReport(s.report, res, env.now()))
		_, err := p.WriteValues(stdout, report.Report{})
		return err
	}
	missing, err := p.WriteValues(stdout, res.Report)
	for _, key := range missing {
		if _, ok := slices.BinarySearch(res.Unmerged, key); ok {
			say("%s has values in several processes that cannot be merged; its value is U", key)
		} else {
			say("%s is not in the report; its value is U", key)
		}
	}
	return err
}

// noFreshReport says why no report was used.
func noFreshReport(path string, res *host.Result, now time.Time) string {
	if len(res.Sources) == 1 && res.Sources[0].Path == path {
		src := res.Sources[0]
		return fmt.Sprintf("the report %s is stale: written %v ago, at %s", path, now.Sub(src.Time).Round(time.Second), src.Time.Format(time.RFC3339))
	}
	counts := map[host.Status]int{}
	for _, src := range res.Sources {
		counts[src.Status]++
	}
	if len(res.Sources) == 0 {
		return fmt.Sprintf("no report in %s (files named <name>.<pid>.json)", path)
	}
	return fmt.Sprintf("no fresh report in %s: %d stale, %d of dead processes, %d invalid", path, counts[host.Stale], counts[host.Dead], counts[host.Invalid])
}

// muninAutoconf answers munin's autoconf: whether the plugin can work here.
// A report that is stale or not written yet can become fresh; one that is
// not a report (corrupt, or not JSON) needs someone to look.
func muninAutoconf(s muninSettings, env muninEnv) string {
	if _, err := muninPlugin(s.config); err != nil {
		return "no (" + oneLine(err.Error()) + ")"
	}
	if s.report == "" {
		return "no (no report: set env." + muninReportEnv + ")"
	}
	if _, err := os.Stat(s.report); err != nil {
		return "no (" + oneLine(err.Error()) + ")"
	}
	res, err := host.Read(s.report, s.readOptions(env)...)
	if err != nil {
		return "no (" + oneLine(err.Error()) + ")"
	}
	var invalid *host.Source
	for i := range res.Sources {
		if res.Sources[i].Status != host.Invalid {
			return "yes"
		}
		invalid = &res.Sources[i]
	}
	if invalid != nil {
		return "no (" + oneLine(invalid.Err.Error()) + ")"
	}
	return "yes"
}

func oneLine(s string) string { return strings.Join(strings.Fields(s), " ") }

func muninGenerate(s muninSettings, stdout, stderr io.Writer) int {
	if s.report == "" {
		fmt.Fprintf(stderr, "otelcounters munin generate: no report: give --report (or set %s)\n", muninReportEnv)
		return 2
	}
	// Every key any report has, however old: the graphs outlive the values.
	res, err := host.Read(s.report, host.WithMaxAge(0), host.WithoutPIDCheck(), host.WithMaxFileSize(s.maxSize))
	if err != nil {
		fmt.Fprintf(stderr, "otelcounters munin generate: %v\n", err)
		return 2
	}
	graphs := munin.Generate(res.Report, s.category)
	if len(graphs) == 0 {
		fmt.Fprintf(stderr, "otelcounters munin generate: %s holds no counter\n", s.report)
		return 2
	}
	if _, err := stdout.Write(munin.AppendConfig(nil, graphs)); err != nil {
		fmt.Fprintf(stderr, "otelcounters munin generate: %v\n", err)
		return 1
	}
	if len(res.Unmerged) > 0 {
		fmt.Fprintf(stderr, "otelcounters munin generate: %d keys have values in several processes that cannot be merged and are left out: %s\n",
			len(res.Unmerged), strings.Join(res.Unmerged, ", "))
	}
	return 0
}
