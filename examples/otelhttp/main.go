package main

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"

	"go.opentelemetry.io/contrib/instrumentation/net/http/otelhttp"
	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/metric"

	"github.com/otelcounters/otelcounters/bridge"
)

func main() {
	addr := flag.String("addr", "127.0.0.1:8080", "`address` to listen on")
	flag.Parse()
	if err := run(*addr); err != nil {
		fmt.Fprintln(os.Stderr, "otelhttp:", err)
		os.Exit(1)
	}
}

// run is the whole of what a service adds: a MeterProvider with the window
// reader, from the file OTELCOUNTERS_CONFIG names, as the global provider
// that otelhttp (and any other instrumentation) records into.
func run(addr string) error {
	mp, err := bridge.NewMeterProvider(bridge.WithEnv())
	if err != nil {
		return err
	}
	otel.SetMeterProvider(mp)
	defer func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		_ = mp.Shutdown(ctx) // a final report
	}()

	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return err
	}
	srv := &http.Server{Handler: handler(nil), ReadHeaderTimeout: 10 * time.Second}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	go func() {
		<-ctx.Done()
		sctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		_ = srv.Shutdown(sctx)
	}()
	if err := srv.Serve(ln); !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

// The work each route stands for: the time its handler takes.
const (
	rootWork = 10 * time.Millisecond
	userWork = 20 * time.Millisecond
	echoWork = 5 * time.Millisecond
)

// handler is the service: a few routes behind otelhttp, which records
// http.server.request.duration, http.server.request.body.size and
// http.server.response.body.size with its eight attributes per request. A
// nil mp means the global MeterProvider, as otelhttp's default.
func handler(mp metric.MeterProvider) http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /{$}", func(w http.ResponseWriter, r *http.Request) {
		time.Sleep(rootWork)
		io.WriteString(w, "hello\n")
	})
	mux.HandleFunc("GET /users/{id}", func(w http.ResponseWriter, r *http.Request) {
		time.Sleep(userWork)
		fmt.Fprintf(w, "user %s\n", r.PathValue("id"))
	})
	mux.HandleFunc("POST /echo", func(w http.ResponseWriter, r *http.Request) {
		time.Sleep(echoWork)
		data, err := io.ReadAll(io.LimitReader(r.Body, 1<<16))
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		w.Write(bytes.ToUpper(data)) // the tutorial's server, over HTTP
	})
	var opts []otelhttp.Option
	if mp != nil {
		opts = append(opts, otelhttp.WithMeterProvider(mp))
	}
	return otelhttp.NewHandler(mux, "server", opts...)
}
