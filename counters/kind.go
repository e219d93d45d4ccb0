package counters

import (
	"fmt"
	"slices"
	"strings"
	"time"
)

// Kind is what a counter computes from the events it hears.
type Kind uint8

// The counter kinds. Each has a project name (used in reports and
// configuration files) and, where one exists, the PyCounters class name it
// replaces; [ParseKind] accepts both.
const (
	// Event is the running total since the counter was registered: each
	// counted event adds 1, each value adds itself (PyCounters' EventCounter).
	Event Kind = iota + 1
	// Total is the running total of values since the counter was registered
	// (PyCounters' TotalCounter).
	Total
	// Average is the mean of the values in the window (AverageWindowCounter).
	Average
	// AverageTime is the mean duration, in seconds, of the timed events in
	// the window (AverageTimeCounter). Its arithmetic is Average's.
	AverageTime
	// Frequency is the window sum divided by the time the window covers:
	// events (or value units) per second (FrequencyCounter).
	Frequency
	// WindowSum is the sum of the window (WindowCounter).
	WindowSum
	// Max is the largest value in the window (MaxWindowCounter).
	Max
	// Min is the smallest value in the window (MinWindowCounter).
	Min
	// Count is the number of measurements in the window.
	Count
	// Last is the most recent value ever set (statvent's set; a gauge).
	Last
	// Percentiles gives chosen quantiles (by default p50, p90 and p99) and
	// the mean of the values in the window (statvent's record), from the
	// per-interval exponential histograms of its events: see
	// [Series.Quantiles] for the rank rule and the error bound.
	Percentiles
)

var kindNames = [...]struct{ name, class string }{
	Event:       {"event", "EventCounter"},
	Total:       {"total", "TotalCounter"},
	Average:     {"average", "AverageWindowCounter"},
	AverageTime: {"average_time", "AverageTimeCounter"},
	Frequency:   {"frequency", "FrequencyCounter"},
	WindowSum:   {"window_sum", "WindowCounter"},
	Max:         {"max", "MaxWindowCounter"},
	Min:         {"min", "MinWindowCounter"},
	Count:       {"count", ""},
	Last:        {"last", ""},
	Percentiles: {"percentiles", ""},
}

// Kinds lists every kind, in declaration order.
func Kinds() []Kind {
	ks := make([]Kind, 0, len(kindNames)-1)
	for k := Event; int(k) < len(kindNames); k++ {
		ks = append(ks, k)
	}
	return ks
}

// String returns the kind's project name, as used in configuration and reports.
func (k Kind) String() string {
	if k == 0 || int(k) >= len(kindNames) {
		return fmt.Sprintf("Kind(%d)", k)
	}
	return kindNames[k].name
}

// PyCountersName returns the PyCounters class name of the kind, or "" where
// PyCounters has none.
func (k Kind) PyCountersName() string {
	if k == 0 || int(k) >= len(kindNames) {
		return ""
	}
	return kindNames[k].class
}

// Windowed reports whether the kind computes over a sliding window (as
// opposed to a running total or a last value).
func (k Kind) Windowed() bool {
	switch k {
	case Event, Total, Last:
		return false
	}
	return true
}

// NeedsValues reports whether the kind needs individual measured values
// (count, minimum, maximum), which a sum instrument such as an OTel Counter
// does not keep.
func (k Kind) NeedsValues() bool {
	switch k {
	case Average, AverageTime, Max, Min, Count, Percentiles:
		return true
	}
	return false
}

// Unit returns the unit (UCUM, as OpenTelemetry writes units) that the kind
// itself gives its values whatever it counts: "s" for AverageTime, "1/s"
// for Frequency, "" for every other kind, whose unit is that of the
// measured values.
func (k Kind) Unit() string {
	switch k {
	case AverageTime:
		return "s"
	case Frequency:
		return "1/s"
	}
	return ""
}

// MarshalText implements encoding.TextMarshaler.
func (k Kind) MarshalText() ([]byte, error) { return []byte(k.String()), nil }

// UnmarshalText implements encoding.TextUnmarshaler with [ParseKind].
func (k *Kind) UnmarshalText(b []byte) error {
	v, err := ParseKind(string(b))
	if err != nil {
		return err
	}
	*k = v
	return nil
}

// ParseKind returns the kind named s: a project name ("average_time"), a
// PyCounters class name ("AverageTimeCounter") or one of the aliases "sum"
// and "window" (WindowSum), "gauge" and "set" (Last), "record" and "summary"
// (Percentiles). Case is ignored.
func ParseKind(s string) (Kind, error) {
	l := strings.ToLower(strings.TrimSpace(s))
	for k := Event; int(k) < len(kindNames); k++ {
		if l == kindNames[k].name || (kindNames[k].class != "" && l == strings.ToLower(kindNames[k].class)) {
			return k, nil
		}
	}
	switch l {
	case "sum", "window":
		return WindowSum, nil
	case "gauge", "set":
		return Last, nil
	case "record", "summary":
		return Percentiles, nil
	case "averagetime":
		return AverageTime, nil
	case "windowsum":
		return WindowSum, nil
	}
	return 0, fmt.Errorf("unknown counter kind %q (want one of %s)", s, kindList())
}

func kindList() string {
	var b strings.Builder
	for i, k := range Kinds() {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(k.String())
		if c := k.PyCountersName(); c != "" {
			b.WriteString(" (" + c + ")")
		}
	}
	return b.String()
}

// Of says what a counting counter (Event, Total, Frequency, WindowSum)
// adds up for each measurement of its events.
type Of uint8

const (
	// OfAuto counts the measurements of a duration histogram (unit "s",
	// "ms", "us" or "ns": timed events, as PyCounters' end events count 1)
	// and adds up the values of anything else (value events, counter
	// increments). Total always adds up values.
	OfAuto Of = iota
	// OfCount adds 1 per measurement (an OTel counter's increment counts as
	// its amount).
	OfCount
	// OfSum adds the measured values.
	OfSum
)

// String returns "auto", "count" or "sum".
func (o Of) String() string {
	switch o {
	case OfCount:
		return "count"
	case OfSum:
		return "sum"
	}
	return "auto"
}

// ParseOf parses "auto" (or ""), "count" or "sum".
func ParseOf(s string) (Of, error) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "", "auto":
		return OfAuto, nil
	case "count":
		return OfCount, nil
	case "sum", "value", "values":
		return OfSum, nil
	}
	return 0, fmt.Errorf("unknown value %q for of (want auto, count or sum)", s)
}

// DefaultWindow is the window of a counter that names none, as in PyCounters.
const DefaultWindow = 300 * time.Second

// Definition describes one counter. Its zero Window means [DefaultWindow] and
// its nil Events means the one event named like the counter.
type Definition struct {
	// Name is the counter's name and the key of its values in reports.
	Name string
	// Kind is what the counter computes.
	Kind Kind
	// Events are the names of the events (OTel instruments) it listens to.
	Events []string
	// Window is the length of the sliding window of windowed kinds.
	Window time.Duration
	// Of says what counting kinds add up; see [Of].
	Of Of
	// Quantiles are the quantiles a Percentiles counter reports, each in
	// (0, 1); nil means [DefaultQuantiles]. Other kinds take none.
	Quantiles []float64
	// By names the attributes that make the counter's series: one series
	// per combination of their values, aggregated over every other
	// attribute. [AllAttributes] alone keeps every attribute (a series per
	// attribute set). A name a measurement lacks is looked up in the
	// resource's attributes; absent there too, the series goes without it.
	By []string
	// Without names the attributes to aggregate over: one series per
	// combination of the values of all the others. Only one of By and
	// Without may be given; with neither, the counter has one series,
	// reported under its plain name, as PyCounters' counters had.
	Without []string
}

// AllAttributes, as the only entry of [Definition.By], keeps every
// attribute of the measurements: a series per attribute set.
const AllAttributes = "*"

// Normalized returns d with its defaults filled in, or an error naming what
// is wrong with it.
func (d Definition) Normalized() (Definition, error) {
	if strings.TrimSpace(d.Name) == "" {
		return d, fmt.Errorf("counter has no name")
	}
	if d.Kind == 0 || int(d.Kind) >= len(kindNames) {
		return d, fmt.Errorf("counter %q: unknown kind %d", d.Name, d.Kind)
	}
	if d.Window < 0 {
		return d, fmt.Errorf("counter %q: negative window %v", d.Name, d.Window)
	}
	if d.Window > MaxWindow {
		return d, fmt.Errorf("counter %q: window %v is longer than %v", d.Name, d.Window, MaxWindow)
	}
	if d.Window == 0 {
		d.Window = DefaultWindow
	}
	if len(d.Events) == 0 {
		d.Events = []string{d.Name}
	} else {
		d.Events = append([]string(nil), d.Events...)
		for _, e := range d.Events {
			if strings.TrimSpace(e) == "" {
				return d, fmt.Errorf("counter %q: empty event name", d.Name)
			}
		}
	}
	if d.Of > OfSum {
		return d, fmt.Errorf("counter %q: unknown of %d", d.Name, d.Of)
	}
	if d.Of != OfAuto && (d.Kind.NeedsValues() || d.Kind == Last) {
		return d, fmt.Errorf("counter %q: of applies to event, total, frequency and window_sum counters, not %s", d.Name, d.Kind)
	}
	if err := d.normalizeSelection(); err != nil {
		return d, err
	}
	return d.normalizedQuantiles()
}

// normalizeSelection checks By and Without and leaves them sorted, without
// duplicates, in slices of their own (nil when empty).
func (d *Definition) normalizeSelection() error {
	if len(d.By) > 0 && len(d.Without) > 0 {
		return fmt.Errorf("counter %q: by and without both given: use one", d.Name)
	}
	clean := func(what string, names []string) ([]string, error) {
		if len(names) == 0 {
			return nil, nil
		}
		out := slices.Clone(names)
		for _, n := range out {
			if strings.TrimSpace(n) == "" {
				return nil, fmt.Errorf("counter %q: empty attribute name in %s", d.Name, what)
			}
		}
		slices.Sort(out)
		return slices.Compact(out), nil
	}
	var err error
	if d.By, err = clean("by", d.By); err != nil {
		return err
	}
	if d.Without, err = clean("without", d.Without); err != nil {
		return err
	}
	if slices.Contains(d.By, AllAttributes) && len(d.By) > 1 {
		return fmt.Errorf("counter %q: by %q (all attributes) names other attributes too", d.Name, AllAttributes)
	}
	if slices.Contains(d.Without, AllAttributes) {
		return fmt.Errorf("counter %q: without %q would drop every attribute: leave by and without out for one series", d.Name, AllAttributes)
	}
	return nil
}

// KeepsAllAttributes reports whether the counter makes a series per
// attribute set (By is [AllAttributes]).
func (d Definition) KeepsAllAttributes() bool {
	return len(d.By) == 1 && d.By[0] == AllAttributes
}

// DefaultQuantiles returns the quantiles of a Percentiles counter that names
// none: 0.5, 0.9 and 0.99 (p50, p90, p99).
func DefaultQuantiles() []float64 { return []float64{0.5, 0.9, 0.99} }

// normalizedQuantiles fills in the default quantiles of a Percentiles
// counter and returns its own sorted and without duplicates, in a slice of
// its own.
func (d Definition) normalizedQuantiles() (Definition, error) {
	if d.Kind != Percentiles {
		if len(d.Quantiles) > 0 {
			return d, fmt.Errorf("counter %q: quantiles apply to percentiles counters, not %s", d.Name, d.Kind)
		}
		d.Quantiles = nil
		return d, nil
	}
	if len(d.Quantiles) == 0 {
		d.Quantiles = DefaultQuantiles()
		return d, nil
	}
	for _, q := range d.Quantiles {
		if !(q > 0 && q < 1) { // NaN fails too
			return d, fmt.Errorf("counter %q: quantile %v is not in (0, 1) (write p99 as 0.99)", d.Name, q)
		}
	}
	d.Quantiles = slices.Clone(d.Quantiles)
	slices.Sort(d.Quantiles)
	d.Quantiles = slices.Compact(d.Quantiles)
	return d, nil
}
