package slogreport_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math"
	"os"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/otelcounters/otelcounters/counters"
	"github.com/otelcounters/otelcounters/exporters/reportertest"
	"github.com/otelcounters/otelcounters/exporters/slogreport"
	"github.com/otelcounters/otelcounters/report"
)

// lockedBuffer is a bytes.Buffer that the test can drain while handlers write.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) drain() []byte {
	b.mu.Lock()
	defer b.mu.Unlock()
	out := bytes.Clone(b.buf.Bytes())
	b.buf.Reset()
	return out
}

// readLines parses JSON log lines back into report values: the message is
// "<key> <value>", and keys may hold spaces but values do not.
func readLines(t *testing.T, data []byte) map[string]*float64 {
	t.Helper()
	got := map[string]*float64{}
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		var rec struct {
			Msg string `json:"msg"`
		}
		if err := json.Unmarshal(sc.Bytes(), &rec); err != nil {
			t.Fatalf("log line %q: %v", sc.Text(), err)
		}
		i := strings.LastIndexByte(rec.Msg, ' ')
		if i < 0 {
			t.Fatalf("message %q has no space", rec.Msg)
		}
		key, val := rec.Msg[:i], rec.Msg[i+1:]
		if val == "None" {
			got[key] = nil
			continue
		}
		f, err := strconv.ParseFloat(val, 64)
		if err != nil {
			t.Fatalf("message %q: value: %v", rec.Msg, err)
		}
		got[key] = &f
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return got
}

func TestConformance(t *testing.T) {
	reportertest.Run(t, reportertest.Harness{
		New: func(t *testing.T) (report.Reporter, func(*testing.T) map[string]*float64) {
			var out lockedBuffer
			rep := slogreport.New(slog.New(slog.NewJSONHandler(&out, nil)))
			return rep, func(t *testing.T) map[string]*float64 { return readLines(t, out.drain()) }
		},
		Digits: 12,
	})
}

func val(f float64) counters.Value { return counters.Value{V: f, OK: true} }

// TestAppendValue compares with Python 2.7's str(float), which PyCounters'
// LogReporter printed; the expected strings are Python's output.
func TestAppendValue(t *testing.T) {
	for _, c := range []struct {
		in   counters.Value
		want string
	}{
		{val(0.5893422365193), "0.589342236519"},
		{val(5), "5.0"},
		{val(1e-05), "1e-05"},
		{val(123456789012345), "1.23456789012e+14"},
		{val(0.1 + 0.2), "0.3"},
		{val(-0.5893422365193), "-0.589342236519"},
		{val(-5), "-5.0"},
		{val(-1e-05), "-1e-05"},
		{val(1e16), "1e+16"},
		{val(0), "0.0"},
		{val(math.Copysign(0, -1)), "-0.0"},
		{val(0.0001), "0.0001"},
		{val(12345678901), "12345678901.0"},
		{val(1e11), "1e+11"}, // %.12g would print 100000000000
		{val(999999999999.5), "1e+12"},
		{val(1234567890105), "1.23456789010e+12"}, // an exact tie rounded down keeps its zero
		{val(1234567890104), "1.2345678901e+12"},
		{val(1e100), "1e+100"},
		{val(5e-324), "4.94065645841e-324"},
		{val(math.NaN()), "nan"},
		{val(math.Inf(1)), "inf"},
		{val(math.Inf(-1)), "-inf"},
		{counters.Value{}, "None"},
		{counters.Value{V: 3, Count: 2}, "None"},
	} {
		if got := string(slogreport.AppendValue(nil, c.in)); got != c.want {
			t.Errorf("AppendValue(%v) = %q, want %q", c.in, got, c.want)
		}
	}
	if got := string(slogreport.AppendValue([]byte("x "), val(2.5))); got != "x 2.5" {
		t.Errorf("AppendValue does not append: %q", got)
	}
}

// TestAppendValuePython27 checks a table written by CPython 2.7.18 (repr,
// then str, of edge cases and of random floats of every magnitude).
func TestAppendValuePython27(t *testing.T) {
	data, err := os.ReadFile("testdata/python27_str.txt")
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for line := range strings.Lines(string(data)) {
		line = strings.TrimSpace(line)
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		repr, want, ok := strings.Cut(line, " ")
		if !ok {
			t.Fatalf("bad line %q", line)
		}
		f, err := strconv.ParseFloat(repr, 64)
		if err != nil {
			t.Fatalf("line %q: %v", line, err)
		}
		if got := string(slogreport.AppendValue(nil, val(f))); got != want {
			t.Errorf("AppendValue(%s) = %q, Python printed %q", repr, got, want)
		}
		n++
	}
	if n < 400 {
		t.Fatalf("only %d cases read", n)
	}
}

func noTime(groups []string, a slog.Attr) slog.Attr {
	if a.Key == slog.TimeKey && len(groups) == 0 {
		return slog.Attr{}
	}
	return a
}

func testReport(vs ...report.Value) report.Report {
	return report.Report{Time: time.Unix(1307115164, 880000000), Values: vs}
}

func TestTextLines(t *testing.T) {
	var out bytes.Buffer
	logger := slog.New(slog.NewTextHandler(&out, &slog.HandlerOptions{ReplaceAttr: noTime})).With("logger", "counters")
	r := testReport(
		report.Value{Key: "__node__", Value: val(1)},
		report.Value{Key: "posting", Value: val(0.5893422365193)},
		report.Value{Key: "requests", Value: val(5)},
		report.Value{Key: `requests{path="/a b"}`, Value: counters.Value{}},
	)
	if err := slogreport.New(logger).Report(t.Context(), r); err != nil {
		t.Fatal(err)
	}
	want := `level=INFO msg="posting 0.589342236519" logger=counters
level=INFO msg="requests 5.0" logger=counters
level=INFO msg="requests{path=\"/a b\"} None" logger=counters
`
	if got := out.String(); got != want {
		t.Errorf("got\n%s\nwant\n%s", got, want)
	}
}

func TestLevel(t *testing.T) {
	r := testReport(report.Value{Key: "a", Value: val(1)})
	var out bytes.Buffer
	logger := slog.New(slog.NewTextHandler(&out, &slog.HandlerOptions{ReplaceAttr: noTime}))
	if err := slogreport.New(logger, slogreport.WithLevel(slog.LevelWarn)).Report(t.Context(), r); err != nil {
		t.Fatal(err)
	}
	if got, want := out.String(), "level=WARN msg=\"a 1.0\"\n"; got != want {
		t.Errorf("WithLevel(Warn): got %q, want %q", got, want)
	}
	out.Reset()
	if err := slogreport.New(logger, slogreport.WithLevel(slog.LevelDebug)).Report(t.Context(), r); err != nil {
		t.Fatal(err)
	}
	if out.Len() != 0 {
		t.Errorf("a Debug report through an Info handler wrote %q", out.String())
	}
}

// funcHandler is a slog.Handler built from a function.
type funcHandler struct {
	handle func(context.Context, slog.Record) error
}

func (h funcHandler) Enabled(context.Context, slog.Level) bool { return true }
func (h funcHandler) Handle(ctx context.Context, r slog.Record) error {
	return h.handle(ctx, r)
}
func (h funcHandler) WithAttrs([]slog.Attr) slog.Handler { return h }
func (h funcHandler) WithGroup(string) slog.Handler      { return h }

func TestRecords(t *testing.T) {
	var recs []slog.Record
	h := funcHandler{func(_ context.Context, r slog.Record) error {
		recs = append(recs, r.Clone())
		return nil
	}}
	r := testReport(report.Value{Key: "a", Value: val(1)}, report.Value{Key: "b", Value: val(2)})
	if err := slogreport.New(slog.New(h)).Report(t.Context(), r); err != nil {
		t.Fatal(err)
	}
	if len(recs) != 2 {
		t.Fatalf("%d records, want 2", len(recs))
	}
	for _, rec := range recs {
		if !rec.Time.Equal(r.Time) {
			t.Errorf("record %q: time %v, want the report's %v", rec.Message, rec.Time, r.Time)
		}
		if rec.Level != slog.LevelInfo {
			t.Errorf("record %q: level %v, want INFO", rec.Message, rec.Level)
		}
		if rec.NumAttrs() != 0 {
			t.Errorf("record %q: %d attributes, want the message only", rec.Message, rec.NumAttrs())
		}
	}
}

func TestValueAttrs(t *testing.T) {
	var out bytes.Buffer
	logger := slog.New(slog.NewJSONHandler(&out, &slog.HandlerOptions{ReplaceAttr: noTime}))
	r := testReport(
		report.Value{Key: "a", Value: val(0.25)},
		report.Value{Key: "empty", Value: counters.Value{}},
		report.Value{Key: "nan", Value: val(math.NaN())},
	)
	if err := slogreport.New(logger, slogreport.WithValueAttrs()).Report(t.Context(), r); err != nil {
		t.Fatal(err)
	}
	want := `{"level":"INFO","msg":"a 0.25","key":"a","value":0.25}
{"level":"INFO","msg":"empty None","key":"empty"}
{"level":"INFO","msg":"nan nan","key":"nan"}
`
	if got := out.String(); got != want {
		t.Errorf("got\n%s\nwant\n%s", got, want)
	}
}

func TestStopsWhenCancelled(t *testing.T) {
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	n := 0
	h := funcHandler{func(context.Context, slog.Record) error {
		n++
		if n == 2 {
			cancel()
		}
		return nil
	}}
	r := testReport(report.Value{Key: "a", Value: val(1)}, report.Value{Key: "b", Value: val(2)}, report.Value{Key: "c", Value: val(3)})
	err := slogreport.New(slog.New(h)).Report(ctx, r)
	if !errors.Is(err, context.Canceled) {
		t.Errorf("Report = %v, want an error wrapping context.Canceled", err)
	}
	if n != 2 {
		t.Errorf("%d records after cancelling at the second, want 2", n)
	}
}

func TestHandlerError(t *testing.T) {
	full := errors.New("disk full")
	n := 0
	h := funcHandler{func(_ context.Context, r slog.Record) error {
		n++
		if strings.HasPrefix(r.Message, "b ") {
			return full
		}
		return nil
	}}
	r := testReport(report.Value{Key: "a", Value: val(1)}, report.Value{Key: "b", Value: val(2)}, report.Value{Key: "c", Value: val(3)})
	err := slogreport.New(slog.New(h)).Report(t.Context(), r)
	if !errors.Is(err, full) || !strings.Contains(err.Error(), `"b"`) {
		t.Errorf("Report = %v, want an error wrapping %v and naming key \"b\"", err, full)
	}
	if n != 2 {
		t.Errorf("%d records, want 2: Report stops at the first error", n)
	}
}

func TestNewNilLogger(t *testing.T) {
	defer func() {
		p := recover()
		if p == nil || !strings.Contains(fmt.Sprint(p), "nil") {
			t.Errorf("New(nil) recovered %v, want a panic about the nil logger", p)
		}
	}()
	slogreport.New(nil)
}

func benchReport(n int) report.Report {
	vs := make([]report.Value, n)
	for i := range vs {
		vs[i] = report.Value{Key: fmt.Sprintf("counter_%05d", i), Value: val(float64(i) / 7)}
	}
	return testReport(vs...)
}

func BenchmarkSlogReport(b *testing.B) {
	for _, n := range []int{10, 10000} {
		b.Run(fmt.Sprint(n), func(b *testing.B) {
			rep := slogreport.New(slog.New(slog.NewTextHandler(io.Discard, nil)))
			r := benchReport(n)
			b.ReportAllocs()
			for b.Loop() {
				if err := rep.Report(context.Background(), r); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func BenchmarkAppendValue(b *testing.B) {
	buf := make([]byte, 0, 32)
	v := val(0.5893422365193)
	b.ReportAllocs()
	for b.Loop() {
		buf = slogreport.AppendValue(buf[:0], v)
	}
}
