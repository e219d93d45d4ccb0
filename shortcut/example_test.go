package shortcut_test

import (
	"context"
	"fmt"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"

	"github.com/otelcounters/otelcounters/counters"
	"github.com/otelcounters/otelcounters/reader"
	"github.com/otelcounters/otelcounters/shortcut"
)

// PyCounters' tutorial handler: request time, requests per second and the
// length of the data. The fake clock (for the reader and the timings) and
// manual ticks make the example deterministic; a program leaves them out.
func Example() {
	ctx := context.Background()
	now := time.Unix(1307115164, 0)
	clock := func() time.Time { return now }
	r := reader.New(reader.WithManualTicks(), reader.WithTick(time.Second), reader.WithClock(clock))
	mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(r))
	defer mp.Shutdown(ctx)
	s := shortcut.New(mp.Meter("server"), r, shortcut.WithClock(clock))

	handle := func(data string) {
		t := s.Time(ctx, "requests_time")
		defer t.Stop()
		defer s.Frequency(ctx, "requests_frequency")
		s.Value(ctx, "requests_data_len", float64(len(data)))
		now = now.Add(time.Duration(len(data)) * time.Millisecond) // the work
	}
	for _, data := range []string{"hello", "a longer request", "bye"} {
		handle(data)
		now = now.Add(time.Second)
		_ = r.Tick(ctx)
	}

	// Three requests of 5, 16 and 3 bytes, each taking 1 ms per byte, in
	// 3.024 s: 8 bytes and 8 ms on average, 3/3.024 requests per second.
	rep, _ := r.Report(ctx)
	for _, v := range rep.Values {
		fmt.Printf("%s (%s) %.4g\n", v.Key, v.Kind, v.V)
	}
	// Output:
	// requests_data_len (average) 8
	// requests_frequency (frequency) 0.9921
	// requests_time (average_time) 0.008
}

// The automatic counter can be kept, switched off or changed. A counter that
// exists already is kept, whatever its kind.
func ExampleAuto() {
	ctx := context.Background()
	r := reader.New(reader.WithManualTicks())
	mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(r))
	defer mp.Shutdown(ctx)
	_ = r.Register(counters.Definition{Name: "bytes_out", Kind: counters.Total})
	s := shortcut.New(mp.Meter("server"), r,
		shortcut.WithAutoFor("bytes_in", shortcut.Auto{Kind: counters.Max}),
		shortcut.WithAutoFor("queue_depth", shortcut.Auto{Off: true}),
		shortcut.WithAutoFor("cache_miss", shortcut.Auto{Window: 15 * time.Minute}),
	)

	s.Value(ctx, "bytes_out", 512)  // kept: total
	s.Value(ctx, "bytes_in", 256)   // changed: max
	s.Value(ctx, "queue_depth", 3)  // none
	s.Occurrence(ctx, "cache_miss") // frequency over 15 minutes
	s.Count(ctx, "logins")          // event

	for _, d := range r.Counters() {
		fmt.Println(d.Name, d.Kind, d.Window)
	}
	// Output:
	// bytes_in max 5m0s
	// bytes_out total 5m0s
	// cache_miss frequency 15m0s
	// logins event 5m0s
}

// Start and End pair by token, not by name: the token may end on another
// goroutine, and several timings of one event may overlap. They add no
// counter (PyCounters' report_start and report_end).
func ExampleShortcuts_Start() {
	ctx := context.Background()
	now := time.Unix(0, 0)
	clock := func() time.Time { return now }
	r := reader.New(reader.WithManualTicks(), reader.WithClock(clock))
	mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(r))
	defer mp.Shutdown(ctx)
	_ = r.Register(counters.Definition{Name: "upload_max", Kind: counters.Max, Events: []string{"upload"}})
	s := shortcut.New(mp.Meter("server"), r, shortcut.WithClock(clock))

	first := s.Start(ctx, "upload")
	now = now.Add(2 * time.Second)
	second := s.Start(ctx, "upload")
	now = now.Add(time.Second)
	done := make(chan struct{})
	go func() {
		s.End(&first) // 3 s, ended elsewhere
		close(done)
	}()
	<-done
	s.End(&second) // 1 s

	rep, _ := r.Report(ctx)
	v, _ := rep.Lookup("upload_max")
	fmt.Println("upload_max", v.V, "has upload counter:", r.Has("upload"))
	// Output:
	// upload_max 3 has upload counter: false
}

// Shortcuts take OpenTelemetry's measurement options. Attributes given with
// metric.WithAttributes reach the instrument (and every reader of the
// provider); the automatic counter has one series under the event's name
// unless its Auto selects attributes, as any counter does.
func ExampleShortcuts_attributes() {
	ctx := context.Background()
	r := reader.New(reader.WithManualTicks())
	mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(r))
	defer mp.Shutdown(ctx)
	s := shortcut.New(mp.Meter("server"), r,
		shortcut.WithAutoFor("route_hits", shortcut.Auto{Kind: counters.Event, By: []string{"route"}}))

	for _, route := range []string{"/", "/users", "/users"} {
		attrs := metric.WithAttributes(attribute.String("route", route), attribute.Int("port", 8080))
		s.Count(ctx, "hits", attrs)
		s.Count(ctx, "route_hits", attrs)
	}

	rep, _ := r.Report(ctx)
	for _, v := range rep.Values {
		fmt.Println(v.Key, v.V)
	}
	// Output:
	// hits 3
	// route_hits{route="/"} 1
	// route_hits{route="/users"} 2
}
