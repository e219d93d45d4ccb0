package report_test

import (
	"encoding/json"
	"math"
	"strings"
	"testing"
	"time"

	"go.opentelemetry.io/otel/attribute"

	"github.com/otelcounters/otelcounters/counters"
	"github.com/otelcounters/otelcounters/report"
)

func TestKey(t *testing.T) {
	for _, c := range []struct {
		attrs []attribute.KeyValue
		want  string
	}{
		{nil, "req"},
		{[]attribute.KeyValue{attribute.String("method", "GET")}, `req{method="GET"}`},
		{[]attribute.KeyValue{attribute.String("z", "1"), attribute.String("a", "2")}, `req{a="2",z="1"}`},
		{[]attribute.KeyValue{attribute.String("q", `say "hi"\now`)}, `req{q="say \"hi\"\\now"}`},
		{[]attribute.KeyValue{attribute.String("nl", "a\nb")}, `req{nl="a\nb"}`},
		{[]attribute.KeyValue{attribute.Int("code", 200), attribute.Bool("ok", true)}, `req{code="200",ok="true"}`},
		{[]attribute.KeyValue{attribute.String("p", "a\xffb")}, `req{p="a\xffb"}`},
		{[]attribute.KeyValue{attribute.String("p", "\xfe")}, `req{p="\xfe"}`},
		{[]attribute.KeyValue{attribute.String("p", `\xfe`)}, `req{p="\\xfe"}`},
		{[]attribute.KeyValue{attribute.String("p", "ünï")}, `req{p="ünï"}`},
	} {
		if got := report.Key("req", attribute.NewSet(c.attrs...)); got != c.want {
			t.Errorf("Key(%v) = %s, want %s", c.attrs, got, c.want)
		}
	}
}

func TestIsMetadata(t *testing.T) {
	for key, want := range map[string]bool{
		"__collection_time__": true, "__x__": true, "____": true,
		"__x": false, "x__": false, "__": false, "___": false, "req": false,
	} {
		if got := report.IsMetadata(key); got != want {
			t.Errorf("IsMetadata(%q) = %v, want %v", key, got, want)
		}
	}
}

func TestAppendJSON(t *testing.T) {
	r := report.Report{
		Time: time.Unix(1307115164, 880000000),
		Values: []report.Value{
			{Key: "a_avg", Value: counters.Value{V: 0.00039249658584594727, OK: true}},
			{Key: "b_max", Value: counters.Value{}},
			{Key: "c_big", Value: counters.Value{V: 1e21, OK: true}},
			{Key: "d_inf", Value: counters.Value{V: math.Inf(1), OK: true}},
			{Key: `e{m="G\"ET"}`, Value: counters.Value{V: 3, OK: true}},
			{Key: "f_tiny", Value: counters.Value{V: 1e-7, OK: true}},
		},
	}
	got := string(r.AppendJSON(nil))
	want := `{"a_avg": 0.00039249658584594727, "b_max": null, "c_big": 1e+21, "d_inf": null, "e{m=\"G\\\"ET\"}": 3, "f_tiny": 1e-07, "__collection_time__": 1307115164.88}`
	if got != want {
		t.Fatalf("AppendJSON\n got %s\nwant %s", got, want)
	}
	// Whatever the values, the output is JSON that reads back to them.
	var back map[string]*float64
	if err := json.Unmarshal([]byte(got), &back); err != nil {
		t.Fatal(err)
	}
	for _, v := range r.Values {
		b, ok := back[v.Key]
		if !ok {
			t.Errorf("key %q lost", v.Key)
			continue
		}
		finite := v.OK && !math.IsInf(v.V, 0) && !math.IsNaN(v.V)
		if finite != (b != nil) || (b != nil && *b != v.V) {
			t.Errorf("%s: wrote %v, read back %v", v.Key, v.Value, b)
		}
	}
	if ct := back[report.CollectionTimeKey]; ct == nil || *ct != 1307115164.88 {
		t.Errorf("collection time read back as %v", ct)
	}
}

func TestLookup(t *testing.T) {
	r := report.Report{Values: []report.Value{{Key: "a"}, {Key: "b", Value: counters.Value{V: 2, OK: true}}, {Key: "c"}}}
	if v, ok := r.Lookup("b"); !ok || v.V != 2 {
		t.Errorf("Lookup(b) = %v, %v", v, ok)
	}
	for _, k := range []string{"", "bb", "d", "0"} {
		if _, ok := r.Lookup(k); ok {
			t.Errorf("Lookup(%q) found a value", k)
		}
	}
	if !strings.Contains(string(report.Report{}.AppendJSON(nil)), `"__collection_time__"`) {
		t.Error("an empty report still carries its time")
	}
}

func TestAppendJSONOddKeys(t *testing.T) {
	keys := []string{"a\x01b", "bell\a", "tab\tv\v", "del\x7f", "bad\xffutf8", "tag\U000e0001", `q"\`, "ünï", "<&>"}
	r := report.Report{Time: time.Unix(1, 0)}
	for _, k := range keys {
		r.Values = append(r.Values, report.Value{Key: k, Value: counters.Value{V: 1, OK: true}})
	}
	out := r.AppendJSON(nil)
	var back map[string]float64
	if err := json.Unmarshal(out, &back); err != nil {
		t.Fatalf("invalid JSON %s: %v", out, err)
	}
	for _, k := range keys {
		want := strings.ToValidUTF8(k, "\uFFFD")
		if back[want] != 1 {
			t.Errorf("key %q read back as missing from %s", k, out)
		}
	}
}

func TestUnixSeconds(t *testing.T) {
	for _, tm := range []time.Time{time.Unix(0, 0), time.Unix(1307115164, 880000000), time.Date(2500, 1, 1, 0, 0, 0, 0, time.UTC)} {
		got := report.UnixSeconds(tm)
		want := float64(tm.Unix()) + float64(tm.Nanosecond())/1e9
		if got != want || got < 0 {
			t.Errorf("UnixSeconds(%v) = %v, want %v", tm, got, want)
		}
	}
}
