package main

import (
	"context"
	"errors"
	"fmt"
	"os"

	"go.opentelemetry.io/contrib/exporters/autoexport"
	"go.opentelemetry.io/contrib/otelconf"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/exporters/otlp/otlpmetric/otlpmetricgrpc"
	"go.opentelemetry.io/otel/exporters/otlp/otlpmetric/otlpmetrichttp"
	"go.opentelemetry.io/otel/metric"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/resource"

	"github.com/otelcounters/otelcounters/exporters/windowproducer"
	"github.com/otelcounters/otelcounters/reader"
)

// telemetry is the demo's metrics set-up: the provider the service records
// with, the window reader, and how to shut both down (a final report and a
// final export).
type telemetry struct {
	meterProvider metric.MeterProvider
	reader        *reader.Reader
	shutdown      func(context.Context) error
}

func windowOptions(cfg config, more ...reader.Option) []reader.Option {
	return append([]reader.Option{
		reader.WithCounters(windowCounters()...),
		reader.WithTick(cfg.tick),
		reader.WithReportInterval(cfg.reportInterval),
	}, more...)
}

// producerOptions give the window metrics the units of what they count.
func producerOptions() []windowproducer.Option {
	return []windowproducer.Option{
		windowproducer.WithUnit("request_max", "s"),
		windowproducer.WithUnit("request_bytes_total", "By"),
	}
}

// newTelemetry builds one of four set-ups, all exporting the raw metrics and
// the window values to the same OTLP endpoint.
func newTelemetry(ctx context.Context, cfg config) (*telemetry, error) {
	res, err := resource.New(ctx,
		resource.WithAttributes(attribute.String("service.name", "otelcounters-demo")),
		resource.WithFromEnv(), // OTEL_SERVICE_NAME, OTEL_RESOURCE_ATTRIBUTES win
		resource.WithTelemetrySDK(),
	)
	if err != nil {
		return nil, fmt.Errorf("resource: %w", err)
	}
	switch cfg.setup {
	case "one":
		// One SDK pipeline: the window reader also exports the raw data it
		// collects, and adds the window values to each export.
		exp, err := newExporter(ctx, cfg.protocol)
		if err != nil {
			return nil, err
		}
		r := reader.New(windowOptions(cfg, reader.WithExporter(exp, cfg.exportInterval), windowproducer.InExport(producerOptions()...))...)
		mp := sdkmetric.NewMeterProvider(sdkmetric.WithResource(res), sdkmetric.WithReader(r))
		return &telemetry{mp, r, mp.Shutdown}, nil

	case "two":
		// The usual OTLP PeriodicReader, plus the window reader: two SDK
		// pipelines, each measurement aggregated twice.
		exp, err := newExporter(ctx, cfg.protocol)
		if err != nil {
			return nil, err
		}
		r := reader.New(windowOptions(cfg)...)
		otlp := sdkmetric.NewPeriodicReader(exp, sdkmetric.WithInterval(cfg.exportInterval), sdkmetric.WithProducer(windowproducer.New(r, producerOptions()...)))
		mp := sdkmetric.NewMeterProvider(sdkmetric.WithResource(res), sdkmetric.WithReader(r), sdkmetric.WithReader(otlp))
		return &telemetry{mp, r, mp.Shutdown}, nil

	case "autoexport":
		// contrib autoexport builds the reader from OTEL_METRICS_EXPORTER,
		// OTEL_EXPORTER_OTLP_PROTOCOL and the other standard variables. It
		// takes producers only from its process-wide registry: the fallback
		// producer applies while OTEL_METRICS_PRODUCERS is unset.
		r := reader.New(windowOptions(cfg)...)
		autoexport.WithFallbackMetricProducer(func(context.Context) (sdkmetric.Producer, error) {
			return windowproducer.New(r, producerOptions()...), nil
		})
		auto, err := autoexport.NewMetricReader(ctx)
		if err != nil {
			return nil, errors.Join(fmt.Errorf("autoexport: %w", err), r.Shutdown(ctx))
		}
		mp := sdkmetric.NewMeterProvider(sdkmetric.WithResource(res), sdkmetric.WithReader(r), sdkmetric.WithReader(auto))
		return &telemetry{mp, r, mp.Shutdown}, nil

	case "otelconf":
		// contrib otelconf builds the SDK from a declarative configuration
		// file; WithMeterProviderOptions adds the window reader to the
		// provider it builds. Its readers take no custom producer, so the
		// window values leave through a provider of their own that has no
		// instruments and so costs nothing per measurement.
		opts := []otelconf.ConfigurationOption{otelconf.WithContext(ctx)}
		if _, ok := os.LookupEnv("OTEL_CONFIG_FILE"); !ok {
			b, err := os.ReadFile(cfg.otelconfFile)
			if err != nil {
				return nil, fmt.Errorf("otelconf: %w", err)
			}
			c, err := otelconf.ParseYAML(b)
			if err != nil {
				return nil, fmt.Errorf("otelconf: %s: %w", cfg.otelconfFile, err)
			}
			opts = append(opts, otelconf.WithOpenTelemetryConfiguration(*c))
		}
		r := reader.New(windowOptions(cfg)...)
		sdk, err := otelconf.NewSDK(append(opts, otelconf.WithMeterProviderOptions(sdkmetric.WithReader(r)))...)
		if err != nil {
			return nil, errors.Join(fmt.Errorf("otelconf: %w", err), r.Shutdown(ctx))
		}
		exp, err := newExporter(ctx, cfg.protocol)
		if err != nil {
			return nil, errors.Join(err, sdk.Shutdown(ctx))
		}
		windows := sdkmetric.NewMeterProvider(sdkmetric.WithResource(res), sdkmetric.WithReader(
			sdkmetric.NewPeriodicReader(exp, sdkmetric.WithInterval(cfg.exportInterval), sdkmetric.WithProducer(windowproducer.New(r, producerOptions()...)))))
		shutdown := func(ctx context.Context) error {
			// The window reader's final tick first, then the last export
			// of the values it leaves.
			err := sdk.Shutdown(ctx)
			return errors.Join(err, windows.Shutdown(ctx))
		}
		return &telemetry{sdk.MeterProvider(), r, shutdown}, nil
	}
	return nil, fmt.Errorf("unknown setup %q", cfg.setup)
}

// newExporter returns an OTLP exporter for protocol, configured by the
// standard OTEL_EXPORTER_OTLP_* variables; with no endpoint there, it sends
// to the Collector's default port on 127.0.0.1 without TLS.
func newExporter(ctx context.Context, protocol string) (sdkmetric.Exporter, error) {
	switch protocol {
	case "grpc":
		var opts []otlpmetricgrpc.Option
		if !endpointFromEnv() {
			opts = append(opts, otlpmetricgrpc.WithEndpointURL("http://127.0.0.1:4317"))
		}
		exp, err := otlpmetricgrpc.New(ctx, opts...)
		if err != nil {
			return nil, fmt.Errorf("OTLP/gRPC exporter: %w", err)
		}
		return exp, nil
	case "http/protobuf":
		var opts []otlpmetrichttp.Option
		if !endpointFromEnv() {
			opts = append(opts, otlpmetrichttp.WithEndpointURL("http://127.0.0.1:4318/v1/metrics"))
		}
		exp, err := otlpmetrichttp.New(ctx, opts...)
		if err != nil {
			return nil, fmt.Errorf("OTLP/HTTP exporter: %w", err)
		}
		return exp, nil
	}
	return nil, fmt.Errorf("unknown OTLP protocol %q", protocol)
}
