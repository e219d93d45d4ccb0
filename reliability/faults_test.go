package reliability_test

import (
	"context"
	"errors"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"go.opentelemetry.io/otel/metric"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"

	"github.com/otelcounters/otelcounters/counters"
	"github.com/otelcounters/otelcounters/exporters/jsonfile"
	"github.com/otelcounters/otelcounters/exporters/slogreport"
	"github.com/otelcounters/otelcounters/reader"
	"github.com/otelcounters/otelcounters/report"
)

// The fault tests run the reader's own goroutine on real time with ticks of
// a few milliseconds, reporting every tick, and wait (bounded) for what
// they expect: the background path is what is under test.
const (
	fastTick = 5 * time.Millisecond
	waitLong = 20 * time.Second // the bound of every wait; reached only on failure
)

// newLive returns a reader with its own goroutine, ticking every fastTick
// and reporting every tick, and its provider. The provider is shut down
// when the test ends, if the test did not.
func newLive(t *testing.T, opts ...reader.Option) (*reader.Reader, *sdkmetric.MeterProvider) {
	t.Helper()
	all := append([]reader.Option{
		// A report timeout far above what a healthy reporter (an fsync on
		// a busy disk) takes: only the broken ones may exceed it.
		reader.WithTick(fastTick), reader.WithReportInterval(fastTick), reader.WithReportTimeout(2 * time.Second),
		reader.WithCounters(counters.Definition{By: []string{counters.AllAttributes}, Name: "hits", Kind: counters.Event}),
	}, opts...)
	r := reader.New(all...)
	mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(r))
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		defer cancel()
		_ = mp.Shutdown(ctx)
	})
	return r, mp
}

// app is the application under fault: it records hits until stopped and
// says how many it recorded, proving it kept running.
type app struct {
	stop chan struct{}
	done chan struct{}
	n    atomic.Int64
}

func startApp(mp metric.MeterProvider) *app {
	a := &app{stop: make(chan struct{}), done: make(chan struct{})}
	hits, err := mp.Meter("app").Int64Counter("hits")
	if err != nil {
		panic(err) // a valid name: cannot fail
	}
	go func() {
		defer close(a.done)
		for {
			select {
			case <-a.stop:
				return
			default:
			}
			hits.Add(context.Background(), 1)
			a.n.Add(1)
			time.Sleep(100 * time.Microsecond)
		}
	}()
	return a
}

// halt stops the application and returns the number of hits it recorded.
func (a *app) halt() int64 {
	close(a.stop)
	<-a.done
	return a.n.Load()
}

// faultFS is a jsonfile.FS on the real file system into which a disk fault
// can be switched on and off.
type faultFS struct{ fault atomic.Int32 }

const (
	noFault   = iota
	diskFull  // the temporary file takes half the report, then ENOSPC
	noAccess  // the temporary file cannot be created: EACCES
	renameErr // the rename fails: EIO
)

func (f *faultFS) CreateTemp(dir, pattern string) (jsonfile.File, error) {
	if f.fault.Load() == noAccess {
		return nil, &fs.PathError{Op: "createtemp", Path: filepath.Join(dir, pattern), Err: syscall.EACCES}
	}
	file, err := os.CreateTemp(dir, pattern)
	if err != nil {
		return nil, err
	}
	return &faultFile{File: file, fs: f}, nil
}

func (f *faultFS) Rename(oldpath, newpath string) error {
	if f.fault.Load() == renameErr {
		return &os.LinkError{Op: "rename", Old: oldpath, New: newpath, Err: syscall.EIO}
	}
	return os.Rename(oldpath, newpath)
}

func (f *faultFS) Remove(name string) error { return os.Remove(name) }

type faultFile struct {
	*os.File
	fs *faultFS
}

func (w *faultFile) Write(p []byte) (int, error) {
	if w.fs.fault.Load() == diskFull {
		n, _ := w.File.Write(p[:len(p)/2])
		return n, &fs.PathError{Op: "write", Path: w.Name(), Err: syscall.ENOSPC}
	}
	return w.File.Write(p)
}

// TestReportFolderFaults breaks the JSON file's folder while the
// application records and reports: a full disk, a folder that refuses new
// files, a rename that fails. The application keeps recording, the log
// reporter keeps reporting, each failure reaches otel.Handle naming the JSON
// reporter and wrapping the system error, the file keeps the last report
// written, whole, and no temporary file is left. Once the fault is gone the
// file catches up, and the final count is exact.
func TestReportFolderFaults(t *testing.T) {
	for _, c := range []struct {
		name  string
		fault int32
		errno syscall.Errno
	}{
		{"disk full", diskFull, syscall.ENOSPC},
		{"folder not writable", noAccess, syscall.EACCES},
		{"rename fails", renameErr, syscall.EIO},
	} {
		t.Run(c.name, func(t *testing.T) {
			errLog := captureErrors(t)
			dir := t.TempDir()
			path := filepath.Join(dir, "counters.json")
			ffs := &faultFS{}
			jf, err := jsonfile.New(path, jsonfile.WithFS(ffs))
			if err != nil {
				t.Fatal(err)
			}
			r, mp := newLive(t)
			jsonRep := &counted{rep: jf}
			logRep := &counted{rep: slogreport.New(slog.New(slog.NewTextHandler(io.Discard, nil)))}
			if err := r.RegisterReporter("json", jsonRep); err != nil {
				t.Fatal(err)
			}
			if err := r.RegisterReporter("log", logRep); err != nil {
				t.Fatal(err)
			}
			a := startApp(mp)
			eventually(t, waitLong, "a first report in the file", func() bool { return jsonRep.n.Load() > 0 })

			ffs.fault.Store(c.fault)
			before, logBefore, failedBefore := jsonRep.n.Load(), logRep.n.Load(), errLog.is(c.errno)
			eventually(t, waitLong, "five failed writes reach otel.Handle", func() bool {
				return errLog.is(c.errno, `reporter "json"`, path) >= failedBefore+5
			})
			// The file still holds a whole report: one written before the
			// fault, perhaps the one in progress when it began.
			snap, err := jsonfile.ReadFile(path)
			if err != nil {
				t.Fatalf("the file during the fault: %v", err)
			}
			if _, ok := snap.Values["hits"]; !ok {
				t.Errorf("the file during the fault has no hits: %v", snap.Values)
			}
			if got := jsonRep.n.Load(); got > before+1 {
				t.Errorf("%d reports written during the fault, want at most the one in progress", got-before)
			}
			// Each reporter has a goroutine of its own: the log line of the
			// report whose JSON write failed fifth may still be on its way.
			eventually(t, waitLong, "the log reporter writes five reports during the fault", func() bool {
				return logRep.n.Load() >= logBefore+5
			})
			if n := len(errLog.matching(`reporter "log"`)); n != 0 {
				t.Errorf("%d errors name the log reporter:%s", n, errLog)
			}
			ffs.fault.Store(noFault)
			writtenAfter := jsonRep.n.Load()
			eventually(t, waitLong, "the file is written again", func() bool { return jsonRep.n.Load() > writtenAfter })

			recorded := a.halt()
			ctx, cancel := context.WithTimeout(context.Background(), waitLong)
			defer cancel()
			if err := mp.Shutdown(ctx); err != nil {
				t.Fatal(err)
			}
			snap, err = jsonfile.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			if got := snap.Values["hits"]; got == nil || *got != float64(recorded) {
				t.Errorf("the final file counts %v hits, the application recorded %d", got, recorded)
			}
			entries, err := os.ReadDir(dir)
			if err != nil {
				t.Fatal(err)
			}
			if len(entries) != 1 {
				var names []string
				for _, e := range entries {
					names = append(names, e.Name())
				}
				t.Errorf("the folder holds %q, want only the report", names)
			}
		})
	}
}

// TestBrokenReporters gives the reader a reporter that blocks (and ignores
// its context) and one that panics, beside a real JSON file and real log
// lines. The application keeps recording, the good reporters keep
// reporting every tick, and otel.Handle hears about both broken ones by
// name: the blocked one once per report (no answer, then skipped while
// busy), the panicking one with its panic value. Shutdown waits for the
// blocked one no longer than its context, and the final report counts
// every hit.
func TestBrokenReporters(t *testing.T) {
	errLog := captureErrors(t)
	path := filepath.Join(t.TempDir(), "counters.json")
	jf, err := jsonfile.New(path)
	if err != nil {
		t.Fatal(err)
	}
	r, mp := newLive(t)
	release := make(chan struct{})
	var releaseOnce sync.Once
	t.Cleanup(func() { releaseOnce.Do(func() { close(release) }) })
	var blockedCalls, panics atomic.Int32
	good := map[string]*counted{
		"json": {rep: jf},
		"log":  {rep: slogreport.New(slog.New(slog.NewTextHandler(io.Discard, nil)))},
	}
	reporters := map[string]report.Reporter{
		"blocking": report.ReporterFunc(func(context.Context, report.Report) error {
			blockedCalls.Add(1)
			<-release // a write to a hung network file system
			return nil
		}),
		"panicking": report.ReporterFunc(func(context.Context, report.Report) error {
			panics.Add(1)
			var m map[string]int
			m["boom"]++ // a bug: assignment to a nil map
			return nil
		}),
		"json": good["json"],
		"log":  good["log"],
	}
	for name, rep := range reporters {
		if err := r.RegisterReporter(name, rep); err != nil {
			t.Fatal(err)
		}
	}
	a := startApp(mp)
	eventually(t, waitLong, "the blocking reporter is stuck", func() bool { return blockedCalls.Load() == 1 })
	from := map[string]int64{"json": good["json"].n.Load(), "log": good["log"].n.Load()}
	eventually(t, waitLong, "the good reporters report ten times more", func() bool {
		return good["json"].n.Load() >= from["json"]+10 && good["log"].n.Load() >= from["log"]+10
	})
	for _, w := range [][]string{
		{`reporter "blocking"`, "no answer within the report timeout"},
		{`reporter "blocking"`, "skipped, still busy"},
		{`reporter "panicking"`, "panic: assignment to entry in nil map"},
	} {
		if len(errLog.matching(w...)) == 0 {
			t.Errorf("no error matching %q reached otel.Handle:%s", w, errLog)
		}
	}
	if n := len(errLog.matching(`reporter "json"`)) + len(errLog.matching(`reporter "log"`)); n != 0 {
		t.Errorf("%d errors name a good reporter:%s", n, errLog)
	}
	if blockedCalls.Load() != 1 {
		t.Errorf("the blocked reporter was called %d times while busy, want 1", blockedCalls.Load())
	}
	if panics.Load() < 10 {
		t.Errorf("the panicking reporter was called %d times, want one per report", panics.Load())
	}

	recorded := a.halt()
	// Shutdown waits for the blocked reporter to take its final report as
	// long as its context allows, and no longer.
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	begin := time.Now()
	err = mp.Shutdown(ctx)
	if took := time.Since(begin); took > 5*time.Second {
		t.Errorf("Shutdown took %v with a blocked reporter and a context of 1 s", took)
	}
	if err == nil || !strings.Contains(err.Error(), `reporter "blocking"`) || !strings.Contains(err.Error(), `reporter "panicking"`) {
		t.Errorf("Shutdown: %v, want the final report's errors naming both broken reporters", err)
	}
	last := good["json"].lastReport()
	expect(t, last, "hits", float64(recorded))
	snap, err := jsonfile.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if got := snap.Values["hits"]; got == nil || *got != float64(recorded) {
		t.Errorf("the final file counts %v hits, the application recorded %d", got, recorded)
	}
}

// exporter is an sdkmetric.Exporter whose endpoint is down: Export fails
// at once, waits for its context to end, or hangs ignoring its context
// until released.
type exporter struct {
	cum     bool          // asks for cumulative temporality
	fail    error         // returned by every Export
	wait    bool          // Export waits for its context to end
	hang    chan struct{} // when set, Export waits for it to close, whatever its context
	calls   atomic.Int32
	entered chan struct{} // receives once per Export call, if there is room
}

func (e *exporter) Temporality(sdkmetric.InstrumentKind) metricdata.Temporality {
	if e.cum {
		return metricdata.CumulativeTemporality
	}
	return metricdata.DeltaTemporality
}

func (e *exporter) Aggregation(k sdkmetric.InstrumentKind) sdkmetric.Aggregation {
	return sdkmetric.DefaultAggregationSelector(k)
}

func (e *exporter) Export(ctx context.Context, _ *metricdata.ResourceMetrics) error {
	e.calls.Add(1)
	select {
	case e.entered <- struct{}{}:
	default:
	}
	switch {
	case e.hang != nil:
		<-e.hang
	case e.wait:
		<-ctx.Done()
		return ctx.Err()
	}
	return e.fail
}

func (e *exporter) ForceFlush(context.Context) error { return nil }
func (e *exporter) Shutdown(context.Context) error   { return nil }

// TestExporterEndpointDown gives the reader's one-pipeline export
// (reader.WithExporter) an exporter whose endpoint refuses every
// connection, one whose endpoint swallows requests until the export
// timeout, and one stuck for good in a call that ignores its context.
// Ticks go on (the window keeps counting what the application records),
// reports keep coming, and Shutdown returns within its context. Failed and
// timed-out exports reach otel.Handle, and so, once, does an export that
// outlives its timeout by ignoring its context.
func TestExporterEndpointDown(t *testing.T) {
	refused := errors.New("dial tcp 127.0.0.1:4317: connect: connection refused")
	for _, c := range []struct {
		name    string
		exp     *exporter
		errWant error // wrapped by the errors otel.Handle hears, at least three times
	}{
		{"refused", &exporter{fail: refused, entered: make(chan struct{}, 1)}, refused},
		{"timeout", &exporter{wait: true, entered: make(chan struct{}, 1)}, context.DeadlineExceeded},
		{"stuck", &exporter{hang: make(chan struct{}), entered: make(chan struct{}, 1)}, nil},
	} {
		t.Run(c.name, func(t *testing.T) {
			errLog := captureErrors(t)
			if c.exp.hang != nil {
				t.Cleanup(func() { close(c.exp.hang) })
			}
			r, mp := newLive(t, reader.WithExporter(c.exp, 2*fastTick), reader.WithExportTimeout(10*time.Millisecond))
			rep := discard()
			if err := r.RegisterReporter("count", rep); err != nil {
				t.Fatal(err)
			}
			a := startApp(mp)
			receive(t, c.exp.entered, "a first export")
			from := rep.n.Load()
			seen := float64(-1)
			eventually(t, waitLong, "ten reports while the endpoint is down, counting a hundred hits more", func() bool {
				if v, ok := rep.lastReport().Lookup("hits"); ok && seen < 0 {
					seen = v.V
				} else if ok && v.V >= seen+100 && rep.n.Load() >= from+10 {
					return true
				}
				return false
			})
			if c.errWant != nil {
				eventually(t, waitLong, "three failed exports reach otel.Handle", func() bool {
					return errLog.is(c.errWant, "export") >= 3
				})
			} else {
				if n := c.exp.calls.Load(); n != 1 {
					t.Errorf("%d exports started while one is stuck, want 1", n)
				}
				eventually(t, waitLong, "the stuck export reported once", func() bool {
					return len(errLog.matching("has not returned for more than")) == 1
				})
			}
			if n := len(errLog.matching(`reporter "count"`)); n != 0 {
				t.Errorf("%d errors name the reporter:%s", n, errLog)
			}

			recorded := a.halt()
			ctx, cancel := context.WithTimeout(context.Background(), time.Second)
			defer cancel()
			begin := time.Now()
			err := mp.Shutdown(ctx)
			if took := time.Since(begin); took > 5*time.Second {
				t.Errorf("Shutdown took %v with the endpoint down", took)
			}
			if c.exp.hang != nil && !errors.Is(err, context.DeadlineExceeded) {
				t.Errorf("Shutdown with an export stuck: %v, want its context's deadline", err)
			}
			expect(t, rep.lastReport(), "hits", float64(recorded))
		})
	}
}
