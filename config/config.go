package config

import (
	"fmt"
	"os"
	"strconv"
	"time"

	"github.com/otelcounters/otelcounters/counters"
)

// EnvVar is the environment variable that names a configuration file.
const EnvVar = "OTELCOUNTERS_CONFIG"

// Config is a parsed configuration file. Its zero value configures nothing
// and keeps every reader default.
type Config struct {
	// Counters are the counters to register, normalised
	// ([counters.Definition.Normalized]: Window and Events filled in).
	Counters []counters.Definition
	// Tick is how often the reader collects; 0 keeps the reader's default.
	Tick time.Duration
	// ReportInterval is how often reports go out; 0 keeps the reader's
	// default and -1 ("off" in the file) turns automatic reports off.
	ReportInterval time.Duration
	// SeriesLimit bounds the series per counter; 0 keeps the reader's
	// default and -1 ("none" in the file) means no limit.
	SeriesLimit int
	// Reporters are the reporters to register, in file order.
	Reporters []Reporter
	// Defaults selects the instruments that get default counters.
	Defaults Defaults
}

// Reporter is one entry of the reporters list. Which fields apply depends on
// the type: see [KnownReporterTypes] and docs/configuration.md.
type Reporter struct {
	// Type is one of [KnownReporterTypes].
	Type string
	// Name identifies the reporter (in errors, and to unregister it); it
	// defaults to Type and is unique within a file.
	Name string
	// Path is the output file of json_file and pipe reporters.
	Path string
	// Level is the log level of a log reporter: debug, info (the
	// default), warn or error.
	Level string
	// Address is where an http reporter listens.
	Address string
	// Line is the line of the entry in the file, for errors raised later
	// (a file that cannot be opened, an address in use).
	Line int
}

// Defaults selects the instruments that get default counters: instruments
// that no configured counter listens to. Patterns match whole instrument
// names; '*' matches any run of characters (dots included) and '?' any one
// character. The zero value selects nothing.
type Defaults struct {
	// Enabled turns default counters on. In a file it is true when the
	// default_counters section is present and does not say otherwise.
	Enabled bool
	// Include lists the patterns of the instruments that get default
	// counters; empty means every instrument.
	Include []string
	// Exclude lists patterns of instruments that never get them; it wins
	// over Include.
	Exclude []string
}

// Selects reports whether the instrument named name gets default counters:
// d is enabled, name matches an Include pattern (or Include is empty) and no
// Exclude pattern.
func (d Defaults) Selects(name string) bool {
	if !d.Enabled {
		return false
	}
	in := len(d.Include) == 0
	for _, p := range d.Include {
		if match(p, name) {
			in = true
			break
		}
	}
	if !in {
		return false
	}
	for _, p := range d.Exclude {
		if match(p, name) {
			return false
		}
	}
	return true
}

// match reports whether name matches pattern, where '*' matches any run of
// characters and '?' one character. Everything else matches itself.
func match(pattern, name string) bool {
	p, n := []rune(pattern), []rune(name)
	// Greedy matching with backtracking to the last star: linear in
	// practice, never exponential.
	pi, ni, star, mark := 0, 0, -1, 0
	for ni < len(n) {
		switch {
		case pi < len(p) && (p[pi] == '?' || p[pi] == n[ni]):
			pi++
			ni++
		case pi < len(p) && p[pi] == '*':
			star, mark = pi, ni
			pi++
		case star >= 0:
			pi = star + 1
			mark++
			ni = mark
		default:
			return false
		}
	}
	for pi < len(p) && p[pi] == '*' {
		pi++
	}
	return pi == len(p)
}

// reporterType is what one reporter type takes from its entry.
type reporterType struct {
	name  string
	takes []string // fields besides type and name that apply
	needs []string // fields that must be given
}

// reporterTypes is the fixed list of reporter types. A new reporter type is
// one line here.
func reporterTypes() []reporterType {
	return []reporterType{
		{name: "log", takes: []string{"level"}},
		{name: "json_file", takes: []string{"path"}, needs: []string{"path"}},
		{name: "process_file", takes: []string{"path"}, needs: []string{"path"}},
		{name: "pipe", takes: []string{"path"}, needs: []string{"path"}},
	}
}

// KnownReporterTypes returns the reporter types a file may name, in a fixed
// order.
func KnownReporterTypes() []string {
	ts := reporterTypes()
	names := make([]string, len(ts))
	for i, t := range ts {
		names[i] = t.name
	}
	return names
}

// Error is a problem with a configuration file: where it is and what is
// wrong.
type Error struct {
	// Source names the file (as given to [Parse]).
	Source string
	// Line is the line of the offending key or value, 1-based; 0 when the
	// problem is the file as a whole.
	Line int
	// Field is the path of the offending field, such as counters[2].kind
	// (zero-based indexes); empty for the document as a whole.
	Field string
	// Err says what is wrong.
	Err error
}

// Error returns "source:line: field: problem".
func (e *Error) Error() string {
	var b []byte
	if e.Source != "" {
		b = append(b, e.Source...)
		b = append(b, ':')
	}
	if e.Line > 0 {
		if e.Source == "" {
			b = append(b, "line "...)
		}
		b = strconv.AppendInt(b, int64(e.Line), 10)
		b = append(b, ':')
	}
	if len(b) > 0 {
		b = append(b, ' ')
	}
	if e.Field != "" {
		b = append(b, e.Field...)
		b = append(b, ": "...)
	}
	b = append(b, e.Err.Error()...)
	return string(b)
}

// Unwrap returns the underlying problem.
func (e *Error) Unwrap() error { return e.Err }

// Parse reads a configuration in YAML or JSON. Source names it in errors
// (a file name, or "-"). An empty document is a valid, empty Config. Errors
// are [*Error] values, several joined with errors.Join when the file has
// several problems.
func Parse(data []byte, source string) (*Config, error) {
	return parse(data, source)
}

// Load reads and parses the configuration file at path.
func Load(path string) (*Config, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("config: %w", err)
	}
	return Parse(data, path)
}

// FromEnv loads the configuration file named by the [EnvVar] environment
// variable, read through getenv (os.Getenv in a program). It returns
// (nil, nil) when the variable is unset or empty.
func FromEnv(getenv func(string) string) (*Config, error) {
	path := getenv(EnvVar)
	if path == "" {
		return nil, nil
	}
	data, err := os.ReadFile(path)
	if err != nil {
		// Parse errors name the file already; a missing file should also
		// say where its name came from.
		return nil, fmt.Errorf("config: %w (named by %s)", err, EnvVar)
	}
	return Parse(data, path)
}
