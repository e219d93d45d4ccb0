package counters_test

import (
	"encoding"
	"encoding/json"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/otelcounters/otelcounters/counters"
)

func TestKinds(t *testing.T) {
	want := []counters.Kind{
		counters.Event, counters.Total, counters.Average, counters.AverageTime, counters.Frequency,
		counters.WindowSum, counters.Max, counters.Min, counters.Count, counters.Last, counters.Percentiles,
	}
	if got := counters.Kinds(); !slices.Equal(got, want) {
		t.Fatalf("Kinds() = %v, want %v", got, want)
	}
	for i, k := range want {
		if int(k) != i+1 {
			t.Errorf("%v = %d, want %d (the zero Kind is invalid)", k, k, i+1)
		}
	}
}

func TestKindProperties(t *testing.T) {
	tests := []struct {
		k                   counters.Kind
		name, class         string
		windowed, needsVals bool
	}{
		{counters.Event, "event", "EventCounter", false, false},
		{counters.Total, "total", "TotalCounter", false, false},
		{counters.Average, "average", "AverageWindowCounter", true, true},
		{counters.AverageTime, "average_time", "AverageTimeCounter", true, true},
		{counters.Frequency, "frequency", "FrequencyCounter", true, false},
		{counters.WindowSum, "window_sum", "WindowCounter", true, false},
		{counters.Max, "max", "MaxWindowCounter", true, true},
		{counters.Min, "min", "MinWindowCounter", true, true},
		{counters.Count, "count", "", true, true},
		{counters.Last, "last", "", false, false},
		{counters.Percentiles, "percentiles", "", true, true},
		// Invalid kinds: only their names are defined.
		{0, "Kind(0)", "", false, false},
		{12, "Kind(12)", "", false, false},
		{255, "Kind(255)", "", false, false},
	}
	for _, tt := range tests {
		if got := tt.k.String(); got != tt.name {
			t.Errorf("Kind(%d).String() = %q, want %q", uint8(tt.k), got, tt.name)
		}
		if got := tt.k.PyCountersName(); got != tt.class {
			t.Errorf("%v.PyCountersName() = %q, want %q", tt.k, got, tt.class)
		}
		if tt.k == 0 || int(tt.k) > len(counters.Kinds()) {
			continue
		}
		if got := tt.k.Windowed(); got != tt.windowed {
			t.Errorf("%v.Windowed() = %v, want %v", tt.k, got, tt.windowed)
		}
		if got := tt.k.NeedsValues(); got != tt.needsVals {
			t.Errorf("%v.NeedsValues() = %v, want %v", tt.k, got, tt.needsVals)
		}
	}
}

func TestKindUnit(t *testing.T) {
	for _, k := range append(counters.Kinds(), 0, 255) {
		want := ""
		switch k {
		case counters.AverageTime:
			want = "s"
		case counters.Frequency:
			want = "1/s"
		}
		if got := k.Unit(); got != want {
			t.Errorf("%v.Unit() = %q, want %q", k, got, want)
		}
	}
}

func TestParseKind(t *testing.T) {
	tests := []struct {
		in   string
		want counters.Kind
	}{
		// Project names.
		{"event", counters.Event},
		{"total", counters.Total},
		{"average", counters.Average},
		{"average_time", counters.AverageTime},
		{"frequency", counters.Frequency},
		{"window_sum", counters.WindowSum},
		{"max", counters.Max},
		{"min", counters.Min},
		{"count", counters.Count},
		{"last", counters.Last},
		// PyCounters class names.
		{"EventCounter", counters.Event},
		{"TotalCounter", counters.Total},
		{"AverageWindowCounter", counters.Average},
		{"AverageTimeCounter", counters.AverageTime},
		{"FrequencyCounter", counters.Frequency},
		{"WindowCounter", counters.WindowSum},
		{"MaxWindowCounter", counters.Max},
		{"MinWindowCounter", counters.Min},
		// Aliases.
		{"sum", counters.WindowSum},
		{"window", counters.WindowSum},
		{"windowsum", counters.WindowSum},
		{"averagetime", counters.AverageTime},
		{"gauge", counters.Last},
		{"set", counters.Last},
		{"percentiles", counters.Percentiles},
		{"record", counters.Percentiles},
		{"summary", counters.Percentiles},
		{"Record", counters.Percentiles},
		// Case and surrounding space are ignored.
		{"AVERAGE", counters.Average},
		{"Average_Time", counters.AverageTime},
		{"averagetimecounter", counters.AverageTime},
		{"AVERAGEWINDOWCOUNTER", counters.Average},
		{"maxWindowCounter", counters.Max},
		{"WindowSum", counters.WindowSum},
		{"AverageTime", counters.AverageTime},
		{"Gauge", counters.Last},
		{"  frequency\t", counters.Frequency},
		{"\nSum ", counters.WindowSum},
	}
	for _, tt := range tests {
		got, err := counters.ParseKind(tt.in)
		if err != nil || got != tt.want {
			t.Errorf("ParseKind(%q) = %v, %v; want %v", tt.in, got, err, tt.want)
		}
	}
}

func TestParseKindUnknown(t *testing.T) {
	for _, in := range []string{
		"", " ", "averages", "AverageCounter", "Counter", "kind(3)", "3", "average time",
		"average-time", "window-sum", "event_counter", "minimum", "Kind(1)", "Ｍax", "max\x00",
	} {
		k, err := counters.ParseKind(in)
		if err == nil {
			t.Errorf("ParseKind(%q) = %v, want an error", in, k)
			continue
		}
		if k != 0 {
			t.Errorf("ParseKind(%q) returned kind %v with its error", in, k)
		}
		// The message names the bad input, quoted as it was given, and
		// what would have been accepted.
		msg := err.Error()
		if !strings.Contains(msg, strconv.Quote(in)) {
			t.Errorf("ParseKind(%q) error %q does not name the input", in, msg)
		}
		for _, want := range []string{"average_time", "AverageTimeCounter", "last"} {
			if !strings.Contains(msg, want) {
				t.Errorf("ParseKind(%q) error %q does not list %q", in, msg, want)
			}
		}
	}
}

// Every kind's String and PyCounters name parse back to it.
func TestParseKindRoundTrip(t *testing.T) {
	for _, k := range counters.Kinds() {
		for _, s := range []string{k.String(), strings.ToUpper(k.String()), k.PyCountersName(), strings.ToLower(k.PyCountersName())} {
			if s == "" {
				continue
			}
			if got, err := counters.ParseKind(s); err != nil || got != k {
				t.Errorf("ParseKind(%q) = %v, %v; want %v", s, got, err, k)
			}
		}
	}
}

func TestKindText(t *testing.T) {
	var _ encoding.TextMarshaler = counters.Kind(0)
	var _ encoding.TextUnmarshaler = new(counters.Kind)
	for _, k := range counters.Kinds() {
		b, err := k.MarshalText()
		if err != nil {
			t.Fatalf("%v.MarshalText: %v", k, err)
		}
		if string(b) != k.String() {
			t.Errorf("%v.MarshalText() = %q, want %q", k, b, k.String())
		}
		var got counters.Kind
		if err := got.UnmarshalText(b); err != nil || got != k {
			t.Errorf("UnmarshalText(%q) = %v, %v; want %v", b, got, err, k)
		}
		// PyCounters names are accepted too.
		if c := k.PyCountersName(); c != "" {
			got = 0
			if err := got.UnmarshalText([]byte(c)); err != nil || got != k {
				t.Errorf("UnmarshalText(%q) = %v, %v; want %v", c, got, err, k)
			}
		}
	}
	// A failed UnmarshalText leaves the kind alone and explains itself.
	k := counters.Max
	err := k.UnmarshalText([]byte("maximum"))
	if err == nil || k != counters.Max || !strings.Contains(err.Error(), `"maximum"`) {
		t.Errorf("UnmarshalText(maximum) = %v, kind now %v; want an error naming it and Max kept", err, k)
	}
}

// Kinds travel through JSON (keys and values) by their text form.
func TestKindJSON(t *testing.T) {
	in := map[counters.Kind][]counters.Kind{
		counters.Average: {counters.AverageTime, counters.WindowSum},
		counters.Last:    {counters.Event},
	}
	b, err := json.Marshal(in)
	if err != nil {
		t.Fatal(err)
	}
	const want = `{"average":["average_time","window_sum"],"last":["event"]}`
	if string(b) != want {
		t.Errorf("json.Marshal = %s, want %s", b, want)
	}
	var out map[counters.Kind][]counters.Kind
	if err := json.Unmarshal(b, &out); err != nil {
		t.Fatal(err)
	}
	if len(out) != len(in) || !slices.Equal(out[counters.Average], in[counters.Average]) || !slices.Equal(out[counters.Last], in[counters.Last]) {
		t.Errorf("round trip: %v, want %v", out, in)
	}
	var k []counters.Kind
	if err := json.Unmarshal([]byte(`["MaxWindowCounter","gauge"]`), &k); err != nil || !slices.Equal(k, []counters.Kind{counters.Max, counters.Last}) {
		t.Errorf("json.Unmarshal of PyCounters names = %v, %v", k, err)
	}
	if err := json.Unmarshal([]byte(`["median"]`), &k); err == nil || !strings.Contains(err.Error(), `"median"`) {
		t.Errorf("json.Unmarshal of an unknown kind: %v, want an error naming it", err)
	}
}

func TestOf(t *testing.T) {
	tests := []struct {
		in   string
		want counters.Of
	}{
		{"", counters.OfAuto},
		{"auto", counters.OfAuto},
		{" AUTO ", counters.OfAuto},
		{"count", counters.OfCount},
		{"Count", counters.OfCount},
		{"sum", counters.OfSum},
		{"SUM\n", counters.OfSum},
		{"value", counters.OfSum},
		{"values", counters.OfSum},
		{"Values", counters.OfSum},
	}
	for _, tt := range tests {
		got, err := counters.ParseOf(tt.in)
		if err != nil || got != tt.want {
			t.Errorf("ParseOf(%q) = %v, %v; want %v", tt.in, got, err, tt.want)
		}
	}
	for _, in := range []string{"counts", "total", "avg", "1", "sums", "au to"} {
		got, err := counters.ParseOf(in)
		if err == nil {
			t.Errorf("ParseOf(%q) = %v, want an error", in, got)
			continue
		}
		if !strings.Contains(err.Error(), strconv.Quote(in)) {
			t.Errorf("ParseOf(%q) error %q does not name the input", in, err)
		}
	}
	for o, want := range map[counters.Of]string{counters.OfAuto: "auto", counters.OfCount: "count", counters.OfSum: "sum"} {
		if got := o.String(); got != want {
			t.Errorf("Of(%d).String() = %q, want %q", o, got, want)
		}
		if back, err := counters.ParseOf(o.String()); err != nil || back != o {
			t.Errorf("ParseOf(%q) = %v, %v; want %v", o.String(), back, err, o)
		}
	}
}

func TestDefinitionNormalized(t *testing.T) {
	tests := []struct {
		name string
		in   counters.Definition
		want counters.Definition
	}{
		{"defaults", counters.Definition{Name: "requests", Kind: counters.Average},
			counters.Definition{Name: "requests", Kind: counters.Average, Events: []string{"requests"}, Window: 300 * time.Second}},
		{"empty events", counters.Definition{Name: "r", Kind: counters.Total, Events: []string{}},
			counters.Definition{Name: "r", Kind: counters.Total, Events: []string{"r"}, Window: counters.DefaultWindow}},
		{"kept", counters.Definition{Name: "r", Kind: counters.Frequency, Events: []string{"a", "b"}, Window: time.Minute, Of: counters.OfCount},
			counters.Definition{Name: "r", Kind: counters.Frequency, Events: []string{"a", "b"}, Window: time.Minute, Of: counters.OfCount}},
		{"window without a use", counters.Definition{Name: "r", Kind: counters.Last, Window: time.Second},
			counters.Definition{Name: "r", Kind: counters.Last, Events: []string{"r"}, Window: time.Second}},
		{"tiny window", counters.Definition{Name: "r", Kind: counters.Max, Window: 1},
			counters.Definition{Name: "r", Kind: counters.Max, Events: []string{"r"}, Window: 1}},
		{"of sum on a window sum", counters.Definition{Name: "r", Kind: counters.WindowSum, Of: counters.OfSum},
			counters.Definition{Name: "r", Kind: counters.WindowSum, Events: []string{"r"}, Window: counters.DefaultWindow, Of: counters.OfSum}},
		{"of count on an event counter", counters.Definition{Name: "r", Kind: counters.Event, Of: counters.OfCount},
			counters.Definition{Name: "r", Kind: counters.Event, Events: []string{"r"}, Window: counters.DefaultWindow, Of: counters.OfCount}},
		{"of sum on a total", counters.Definition{Name: "r", Kind: counters.Total, Of: counters.OfSum},
			counters.Definition{Name: "r", Kind: counters.Total, Events: []string{"r"}, Window: counters.DefaultWindow, Of: counters.OfSum}},
	}
	for _, tt := range tests {
		got, err := tt.in.Normalized()
		if err != nil {
			t.Errorf("%s: %+v.Normalized(): %v", tt.name, tt.in, err)
			continue
		}
		if got.Name != tt.want.Name || got.Kind != tt.want.Kind || got.Window != tt.want.Window ||
			got.Of != tt.want.Of || !slices.Equal(got.Events, tt.want.Events) {
			t.Errorf("%s: %+v.Normalized() = %+v, want %+v", tt.name, tt.in, got, tt.want)
		}
		// Normalizing is idempotent.
		again, err := got.Normalized()
		if err != nil || again.Window != got.Window || !slices.Equal(again.Events, got.Events) {
			t.Errorf("%s: normalizing twice: %+v, %v", tt.name, again, err)
		}
	}
	if counters.DefaultWindow != 300*time.Second {
		t.Errorf("DefaultWindow = %v, want 5m (PyCounters' default)", counters.DefaultWindow)
	}
}

// Normalized copies the events: the caller's slice may change afterwards.
func TestDefinitionNormalizedCopiesEvents(t *testing.T) {
	events := []string{"a", "b"}
	d, err := counters.Definition{Name: "r", Kind: counters.WindowSum, Events: events}.Normalized()
	if err != nil {
		t.Fatal(err)
	}
	events[0] = "changed"
	if d.Events[0] != "a" {
		t.Errorf("Normalized shares the caller's events: %v", d.Events)
	}
}

func TestDefinitionNormalizedErrors(t *testing.T) {
	tests := []struct {
		name string
		in   counters.Definition
		want []string // substrings of the error
	}{
		{"no name", counters.Definition{Kind: counters.Average}, []string{"no name"}},
		{"blank name", counters.Definition{Name: " \t", Kind: counters.Average}, []string{"no name"}},
		{"no kind", counters.Definition{Name: "r"}, []string{`"r"`, "unknown kind 0"}},
		{"bad kind", counters.Definition{Name: "r", Kind: 12}, []string{`"r"`, "unknown kind 12"}},
		{"negative window", counters.Definition{Name: "r", Kind: counters.Average, Window: -time.Second}, []string{`"r"`, "negative window -1s"}},
		{"empty event", counters.Definition{Name: "r", Kind: counters.Average, Events: []string{"a", ""}}, []string{`"r"`, "empty event name"}},
		{"blank event", counters.Definition{Name: "r", Kind: counters.Average, Events: []string{" "}}, []string{`"r"`, "empty event name"}},
		{"bad of", counters.Definition{Name: "r", Kind: counters.WindowSum, Of: 3}, []string{`"r"`, "unknown of 3"}},
		{"of on an average", counters.Definition{Name: "r", Kind: counters.Average, Of: counters.OfSum}, []string{`"r"`, "not average"}},
		{"of on an average time", counters.Definition{Name: "r", Kind: counters.AverageTime, Of: counters.OfCount}, []string{`"r"`, "not average_time"}},
		{"of on a max", counters.Definition{Name: "r", Kind: counters.Max, Of: counters.OfSum}, []string{"not max"}},
		{"of on a min", counters.Definition{Name: "r", Kind: counters.Min, Of: counters.OfSum}, []string{"not min"}},
		{"of on a count", counters.Definition{Name: "r", Kind: counters.Count, Of: counters.OfCount}, []string{"not count"}},
		{"of on a last", counters.Definition{Name: "r", Kind: counters.Last, Of: counters.OfSum}, []string{"not last"}},
	}
	for _, tt := range tests {
		_, err := tt.in.Normalized()
		if err == nil {
			t.Errorf("%s: %+v.Normalized() succeeded, want an error", tt.name, tt.in)
			continue
		}
		for _, w := range tt.want {
			if !strings.Contains(err.Error(), w) {
				t.Errorf("%s: error %q does not contain %q", tt.name, err, w)
			}
		}
		// New refuses what Normalized refuses, with the same message.
		if c, nerr := counters.New(tt.in, time.Second, 0); nerr == nil || nerr.Error() != err.Error() {
			t.Errorf("%s: New = %v, %v; want error %q", tt.name, c, nerr, err)
		}
	}
}

func TestNewTick(t *testing.T) {
	def := counters.Definition{Name: "r", Kind: counters.Average}
	for _, tick := range []time.Duration{0, -time.Second} {
		c, err := counters.New(def, tick, 0)
		if err == nil || !strings.Contains(err.Error(), "tick must be positive") || !strings.Contains(err.Error(), `"r"`) {
			t.Errorf("New(tick %v) = %v, %v; want an error", tick, c, err)
		}
	}
	c, err := counters.New(def, time.Second, 0)
	if err != nil {
		t.Fatal(err)
	}
	if c.Name() != "r" || c.Kind() != counters.Average {
		t.Errorf("Name, Kind = %q, %v", c.Name(), c.Kind())
	}
	if d := c.Definition(); d.Window != counters.DefaultWindow || !slices.Equal(d.Events, []string{"r"}) {
		t.Errorf("Definition() = %+v, want it normalized", d)
	}
}

func TestDefinitionSelection(t *testing.T) {
	by := []string{"route", "method", "route"}
	d, err := counters.Definition{Name: "x", Kind: counters.Max, By: by}.Normalized()
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(d.By, []string{"method", "route"}) || d.Without != nil || d.KeepsAllAttributes() {
		t.Errorf("by %q without %q all %v, want by [method route]", d.By, d.Without, d.KeepsAllAttributes())
	}
	d.By[0] = "changed"
	if by[1] != "method" {
		t.Error("Normalized shares the By slice of its input")
	}
	d, err = counters.Definition{Name: "x", Kind: counters.Max, By: []string{counters.AllAttributes}}.Normalized()
	if err != nil || !d.KeepsAllAttributes() {
		t.Errorf("by [*]: %v, all = %v", err, d.KeepsAllAttributes())
	}
	d, err = counters.Definition{Name: "x", Kind: counters.Max, Without: []string{"port", "host"}}.Normalized()
	if err != nil || !slices.Equal(d.Without, []string{"host", "port"}) || d.KeepsAllAttributes() {
		t.Errorf("without: %v, %q", err, d.Without)
	}
	for _, tc := range []struct {
		def  counters.Definition
		want string
	}{
		{counters.Definition{Name: "x", Kind: counters.Max, By: []string{"a"}, Without: []string{"b"}}, `counter "x": by and without both given`},
		{counters.Definition{Name: "x", Kind: counters.Max, By: []string{" "}}, `counter "x": empty attribute name in by`},
		{counters.Definition{Name: "x", Kind: counters.Max, Without: []string{""}}, `counter "x": empty attribute name in without`},
		{counters.Definition{Name: "x", Kind: counters.Max, By: []string{"*", "a"}}, `counter "x": by "*" (all attributes) names other attributes too`},
		{counters.Definition{Name: "x", Kind: counters.Max, Without: []string{"*"}}, `counter "x": without "*" would drop every attribute`},
	} {
		if _, err := tc.def.Normalized(); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%+v: %v, want %q", tc.def, err, tc.want)
		}
	}
}
