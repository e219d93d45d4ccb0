package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// The end-to-end tests run a real OpenTelemetry Collector: the binary named
// by OTELCOL_BIN (CI sets it), or the one build.sh builds and caches. Without
// either they are skipped, unless OTELCOUNTERS_E2E is set: then a Collector
// that cannot be built or started fails them, with its log.

var collectorBinary = sync.OnceValues(func() (string, error) {
	if bin := os.Getenv("OTELCOL_BIN"); bin != "" {
		if _, err := os.Stat(bin); err != nil {
			return "", fmt.Errorf("OTELCOL_BIN: %w", err)
		}
		return bin, nil
	}
	// build.sh returns at once when its cache holds the binary; a cold
	// build takes minutes.
	var stdout, stderr bytes.Buffer
	cmd := exec.Command("./build.sh")
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		return "", fmt.Errorf("build.sh: %w\n%s", err, stderr.String())
	}
	lines := strings.Split(strings.TrimSpace(stdout.String()), "\n")
	bin := strings.TrimSpace(lines[len(lines)-1])
	if _, err := os.Stat(bin); err != nil {
		return "", fmt.Errorf("build.sh printed %q: %w\n%s", bin, err, stderr.String())
	}
	return bin, nil
})

func needCollector(t *testing.T) string {
	t.Helper()
	required := os.Getenv("OTELCOUNTERS_E2E") != ""
	if !required && os.Getenv("OTELCOL_BIN") == "" && testing.Short() {
		t.Skip("-short: no Collector build (set OTELCOL_BIN or OTELCOUNTERS_E2E=1)")
	}
	bin, err := collectorBinary()
	if err != nil {
		if required {
			t.Fatalf("OTELCOUNTERS_E2E is set but there is no Collector: %v", err)
		}
		t.Skipf("no Collector (set OTELCOUNTERS_E2E=1 to make this a failure): %v", err)
	}
	return bin
}

// collector is one Collector process listening on 127.0.0.1, writing what it
// receives as OTLP-JSON lines to out.
type collector struct {
	t                  *testing.T
	bin, out           string
	grpcAddr, httpAddr string
	logPath            string
	cmd                *exec.Cmd
	exited             chan struct{}
	starts             int
}

// freeAddr returns a 127.0.0.1 address with a port free at the time.
func freeAddr(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}

// newCollector picks the ports and the output file but starts nothing.
func newCollector(t *testing.T, bin string) *collector {
	c := &collector{t: t, bin: bin, out: filepath.Join(t.TempDir(), "metrics.jsonl"),
		grpcAddr: freeAddr(t), httpAddr: freeAddr(t)}
	t.Cleanup(c.stop)
	return c
}

// startCollector starts a Collector on free ports and waits until it is ready.
func startCollector(t *testing.T, bin string) *collector {
	c := newCollector(t, bin)
	for attempt := 0; ; attempt++ {
		err := c.start()
		if err == nil {
			return c
		}
		// Another process may have taken a port between the pick and the
		// start: try other ones, a few times.
		if attempt < 3 && strings.Contains(err.Error(), "address already in use") {
			c.grpcAddr, c.httpAddr = freeAddr(t), freeAddr(t)
			continue
		}
		t.Fatal(err)
	}
}

// start runs the Collector with the project's config.yaml on the chosen
// ports and waits (boundedly) until its log says it is ready, both ports
// accept connections and the process is still alive.
func (c *collector) start() error {
	c.t.Helper()
	config, err := filepath.Abs("config.yaml")
	if err != nil {
		return err
	}
	c.starts++
	c.logPath = filepath.Join(filepath.Dir(c.out), fmt.Sprintf("collector-%d.log", c.starts))
	logf, err := os.Create(c.logPath)
	if err != nil {
		return err
	}
	defer logf.Close()
	cmd := exec.Command(c.bin, "--config="+config)
	cmd.Env = append(os.Environ(),
		"OTELCOL_GRPC_ENDPOINT="+c.grpcAddr,
		"OTELCOL_HTTP_ENDPOINT="+c.httpAddr,
		"OTELCOL_FILE_OUTPUT="+c.out,
	)
	cmd.Stdout, cmd.Stderr = logf, logf // files: no copying goroutines
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("starting the Collector %s: %w", c.bin, err)
	}
	exited := make(chan struct{})
	go func() {
		_ = cmd.Wait()
		close(exited)
	}()
	c.cmd, c.exited = cmd, exited

	deadline := time.Now().Add(30 * time.Second)
	for {
		select {
		case <-exited:
			return fmt.Errorf("the Collector exited during start-up (%s):\n%s", cmd.ProcessState, c.log())
		default:
		}
		if strings.Contains(c.log(), "Everything is ready") && accepts(c.grpcAddr) && accepts(c.httpAddr) {
			return nil
		}
		if time.Now().After(deadline) {
			c.stop()
			return fmt.Errorf("the Collector was not ready within 30s:\n%s", c.log())
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func accepts(addr string) bool {
	conn, err := net.DialTimeout("tcp", addr, time.Second)
	if err != nil {
		return false
	}
	conn.Close()
	return true
}

func (c *collector) log() string {
	b, _ := os.ReadFile(c.logPath)
	return string(b)
}

// stop ends the Collector by its process id: SIGTERM, then SIGKILL if it
// has not exited within 10 s.
func (c *collector) stop() {
	if c.cmd == nil {
		return
	}
	select {
	case <-c.exited:
	default:
		_ = c.cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-c.exited:
		case <-time.After(10 * time.Second):
			c.t.Errorf("the Collector ignored SIGTERM for 10s; killing it:\n%s", c.log())
			_ = c.cmd.Process.Kill()
			<-c.exited
		}
	}
	c.cmd = nil
}

// kill ends the Collector abruptly, as a crash would.
func (c *collector) kill() {
	if c.cmd == nil {
		return
	}
	_ = c.cmd.Process.Kill()
	<-c.exited
	c.cmd = nil
}

func (c *collector) endpoint(protocol string) string {
	if protocol == "grpc" {
		return "http://" + c.grpcAddr
	}
	return "http://" + c.httpAddr
}

// point is one data point as it arrived at the Collector.
type point struct {
	service, scope, metric, unit, description, kind string // kind: gauge, sum or histogram
	attrs                                           map[string]string
	time                                            uint64
	value                                           float64 // gauge and sum
	count                                           uint64  // histogram
	sum                                             float64 // histogram
	min, max                                        float64 // histogram
	temporality                                     int     // 1 delta, 2 cumulative
	monotonic                                       bool
}

// The OTLP-JSON encoding of ExportMetricsServiceRequest, as far as read here.
// 64-bit integers arrive as strings, special floats as "NaN" and such.
type otlpRequest struct {
	ResourceMetrics []struct {
		Resource struct {
			Attributes []otlpKV `json:"attributes"`
		} `json:"resource"`
		ScopeMetrics []struct {
			Scope struct {
				Name string `json:"name"`
			} `json:"scope"`
			Metrics []struct {
				Name        string    `json:"name"`
				Unit        string    `json:"unit"`
				Description string    `json:"description"`
				Gauge       *otlpData `json:"gauge"`
				Sum         *otlpData `json:"sum"`
				Histogram   *otlpData `json:"histogram"`
			} `json:"metrics"`
		} `json:"scopeMetrics"`
	} `json:"resourceMetrics"`
}

type otlpKV struct {
	Key   string `json:"key"`
	Value struct {
		StringValue *string `json:"stringValue"`
		IntValue    *string `json:"intValue"`
		BoolValue   *bool   `json:"boolValue"`
	} `json:"value"`
}

type otlpData struct {
	Temporality int  `json:"aggregationTemporality"`
	Monotonic   bool `json:"isMonotonic"`
	DataPoints  []struct {
		Attributes []otlpKV        `json:"attributes"`
		Time       string          `json:"timeUnixNano"`
		AsDouble   json.RawMessage `json:"asDouble"`
		AsInt      string          `json:"asInt"`
		Count      string          `json:"count"`
		Sum        json.RawMessage `json:"sum"`
		Min        json.RawMessage `json:"min"`
		Max        json.RawMessage `json:"max"`
	} `json:"dataPoints"`
}

func kvMap(kvs []otlpKV) map[string]string {
	m := map[string]string{}
	for _, kv := range kvs {
		switch {
		case kv.Value.StringValue != nil:
			m[kv.Key] = *kv.Value.StringValue
		case kv.Value.IntValue != nil:
			m[kv.Key] = *kv.Value.IntValue
		case kv.Value.BoolValue != nil:
			m[kv.Key] = strconv.FormatBool(*kv.Value.BoolValue)
		}
	}
	return m
}

// jsonFloat reads a protobuf JSON double: a number, or "NaN", "Infinity",
// "-Infinity" in quotes; absent is 0.
func jsonFloat(raw json.RawMessage) (float64, error) {
	if len(raw) == 0 {
		return 0, nil
	}
	var s string
	if json.Unmarshal(raw, &s) == nil {
		switch s {
		case "NaN":
			return math.NaN(), nil
		case "Infinity":
			return math.Inf(1), nil
		case "-Infinity":
			return math.Inf(-1), nil
		}
		return strconv.ParseFloat(s, 64)
	}
	var f float64
	err := json.Unmarshal(raw, &f)
	return f, err
}

// readPoints parses every complete line of the Collector's file output.
func readPoints(path string) ([]point, error) {
	f, err := os.Open(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var pts []point
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 0, 1<<20), 64<<20)
	for sc.Scan() {
		line := sc.Bytes()
		if len(bytes.TrimSpace(line)) == 0 {
			continue
		}
		var req otlpRequest
		if err := json.Unmarshal(line, &req); err != nil {
			// The last line may be half written while the Collector flushes.
			continue
		}
		for _, rm := range req.ResourceMetrics {
			service := kvMap(rm.Resource.Attributes)["service.name"]
			for _, sm := range rm.ScopeMetrics {
				for _, m := range sm.Metrics {
					for kind, d := range map[string]*otlpData{"gauge": m.Gauge, "sum": m.Sum, "histogram": m.Histogram} {
						if d == nil {
							continue
						}
						for _, dp := range d.DataPoints {
							p := point{service: service, scope: sm.Scope.Name, metric: m.Name, unit: m.Unit, description: m.Description,
								kind: kind, attrs: kvMap(dp.Attributes), temporality: d.Temporality, monotonic: d.Monotonic}
							p.time, _ = strconv.ParseUint(dp.Time, 10, 64)
							if dp.AsInt != "" {
								n, _ := strconv.ParseInt(dp.AsInt, 10, 64)
								p.value = float64(n)
							} else if p.value, err = jsonFloat(dp.AsDouble); err != nil {
								return nil, fmt.Errorf("%s: asDouble %s: %w", m.Name, dp.AsDouble, err)
							}
							p.count, _ = strconv.ParseUint(dp.Count, 10, 64)
							p.sum, _ = jsonFloat(dp.Sum)
							p.min, _ = jsonFloat(dp.Min)
							p.max, _ = jsonFloat(dp.Max)
							pts = append(pts, p)
						}
					}
				}
			}
		}
	}
	return pts, sc.Err()
}

// series selects the points of one service's metric whose attributes
// include attrs.
func series(pts []point, service, metric string, attrs map[string]string) []point {
	var out []point
next:
	for _, p := range pts {
		if p.service != service || p.metric != metric {
			continue
		}
		for k, v := range attrs {
			if p.attrs[k] != v {
				continue next
			}
		}
		out = append(out, p)
	}
	return out
}

func latest(pts []point) (point, bool) {
	var best point
	for _, p := range pts {
		if p.time >= best.time {
			best = p
		}
	}
	return best, len(pts) > 0
}

// waitFor polls the Collector's output until check finds nothing wrong or
// the bounded wait ends, then fails with what is still wrong.
func waitFor(t *testing.T, c *collector, within time.Duration, check func([]point) []string) []point {
	t.Helper()
	deadline := time.Now().Add(within)
	for {
		pts, err := readPoints(c.out)
		if err != nil {
			t.Fatal(err)
		}
		problems := check(pts)
		if len(problems) == 0 {
			return pts
		}
		if time.Now().After(deadline) {
			t.Fatalf("after %v the Collector's output still has problems:\n  %s\nCollector log:\n%s",
				within, strings.Join(problems, "\n  "), c.log())
		}
		time.Sleep(50 * time.Millisecond)
	}
}
