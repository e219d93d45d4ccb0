// Package bridge is otelcounters' drop-in: it builds the window reader
// (package reader) with its counters and reporters from Go values, a
// configuration file or the OTELCOUNTERS_CONFIG environment variable, and
// adds it to a MeterProvider, new or existing, so that the instrumentation a
// program already has gets PyCounters-style window counters without a line
// of it changing.
//
// A ready provider:
//
//	mp, err := bridge.NewMeterProvider(bridge.WithConfigFile("counters.yaml"))
//	if err != nil { ... }
//	defer mp.Shutdown(ctx) // a final report, then stop
//	otel.SetMeterProvider(mp)
//
// An existing provider, one more line:
//
//	b, err := bridge.New(bridge.WithEnv())
//	mp := sdkmetric.NewMeterProvider(append(yourOptions, b.MeterProviderOptions()...)...)
//
// or, without default counters, just sdkmetric.WithReader(b.Reader()): the
// reader is an sdkmetric.Reader. The provider's Shutdown shuts the reader
// down (with a final report); Bridge.Shutdown does it for a bridge that was
// never given to a provider.
//
// # Sources and precedence
//
// Options apply in the order given. Counters and reporters from every
// source add up; a counter or reporter name given twice is an error naming
// both sources. Tick, report interval and series limit take the value of the
// last source that sets one (a configuration file sets only those it names),
// and options passed with [WithReaderOptions] come last of all. The
// environment is read only when [WithEnv] asks for it; an unset variable
// adds nothing.
//
// # Reporters named in a file
//
// A "log" reporter logs through the *slog.Logger given with [WithLogger],
// by default a text handler on standard error (standard output belongs to
// the program); its level is the entry's (info by default). A "json_file"
// reporter writes the flat JSON object to its path (package
// exporters/jsonfile). Any other report.Reporter is added with
// [WithReporter].
//
// # Default counters
//
// [WithDefaults] (or a file's default_counters section) gives counters to
// instruments that have none, selected by name patterns. Instruments exist
// only once code creates them, so the bridge adds an sdkmetric.View that
// never changes a stream (it matches nothing) but sees every instrument as it
// is created, and registers on the reader, named <instrument>.<suffix>:
//
//	histogram, unit of time (s, ms, us, ns, min, h)   .average (average_time), .frequency, .max, .min
//	histogram, any other unit                          .average, .window_sum, .max, .min
//	counter, observable counter                        .frequency, .total
//	up-down counter, observable up-down counter        .total
//	gauge, observable gauge                            .last
//
// An instrument gets them only if, when it is created, no registered counter
// listens to its name; a counter of the same name that exists already is
// kept. Like every counter without an attribute selection, each has one
// series, under its name, aggregated over the instrument's attributes. Values are in the instrument's unit (a histogram in ms averages in
// ms). Views see instrument names as created, before any other view renames
// the stream; the window reader sees the stream's name.
//
// # Per-request recording
//
// [WithScoped] installs package scoped's wrapper with the window reader:
// the provider's Meters (its own, and the global ones once it is passed to
// otel.SetMeterProvider) also add each synchronous measurement to the
// recordings its context carries, which a middleware starts with
// mp.Scoped().Start(ctx). The SDK, and so the window counters, get every
// measurement as before. For an existing provider, wrap it instead:
//
//	mp := sdkmetric.NewMeterProvider(append(yourOptions, b.MeterProviderOptions()...)...)
//	sp := scoped.Wrap(mp) // give sp to otel.SetMeterProvider; sp.Start(ctx) records
//
// # Errors
//
// Everything that comes from run-time input — a file that does not parse, an
// unknown counter kind or reporter type, a duplicate counter or reporter
// name, a JSON file whose folder does not exist — makes [New] and
// [NewMeterProvider] return an error that names the source (the file and
// line, or the option), and nothing is left running. Problems met later go
// to otel.Handle: a default counter that cannot be registered, or a report
// that cannot be written (a folder that became unwritable); then the other
// reporters still get the report and the JSON file keeps the previous one.
package bridge
