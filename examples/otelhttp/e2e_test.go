package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/otelcounters/otelcounters/bridge"
	"github.com/otelcounters/otelcounters/internal/testenv"
	"github.com/otelcounters/otelcounters/reader"
)

// recipeConfig returns the configuration file of the recipe in
// docs/getting-started.md (the YAML block that starts "# service.yaml"),
// with its JSON file at jsonPath.
func recipeConfig(t *testing.T, jsonPath string) string {
	t.Helper()
	data, err := os.ReadFile("../../docs/getting-started.md")
	if err != nil {
		t.Fatal(err)
	}
	_, block, ok := strings.Cut(string(data), "```yaml\n# service.yaml\n")
	if !ok {
		t.Fatal("docs/getting-started.md has no ```yaml block starting # service.yaml")
	}
	block, _, _ = strings.Cut(block, "```")
	const docPath = "/var/lib/myservice/counters.json"
	if !strings.Contains(block, docPath) {
		t.Fatalf("the recipe's configuration does not write %s:\n%s", docPath, block)
	}
	for _, opt := range []string{"by:", "without:"} {
		if strings.Contains(block, opt) {
			t.Fatalf("the recipe's configuration selects attributes (%s); it must work without:\n%s", opt, block)
		}
	}
	return strings.ReplaceAll(block, docPath, jsonPath)
}

// testClock is the reader's clock: it moves only when told to, from a
// minute ago, so that reports are fresh for munin and their times are not
// round numbers.
type testClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *testClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *testClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

// TestOtelhttpToMunin is the recipe end to end: an otelhttp server with
// three routes on loopback, the tutorial's counters from the recipe's
// configuration file (no attribute options), the JSON file it writes, and
// the tutorial's munin graph configuration, unchanged, through the
// otelcounters munin plugin run by munin-run. Every value must be there
// and right.
func TestOtelhttpToMunin(t *testing.T) {
	testenv.NeedsProcesses(t)
	runPath := muninRun(t)
	site := newSite(t)
	jsonPath := filepath.Join(site, "counters.json")
	cfgPath := filepath.Join(site, "service.yaml")
	if err := os.WriteFile(cfgPath, []byte(recipeConfig(t, jsonPath)), 0o644); err != nil {
		t.Fatal(err)
	}

	clock := &testClock{now: time.Now().Add(-time.Minute)}
	mp, err := bridge.NewMeterProvider(bridge.WithConfigFile(cfgPath),
		bridge.WithReaderOptions(reader.WithManualTicks(), reader.WithClock(clock.Now)))
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	defer mp.Shutdown(ctx)

	// done counts the requests otelhttp has finished recording: it records
	// after the response is written, so a client may see the answer first.
	var done atomic.Int64
	h := handler(mp)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h.ServeHTTP(w, r)
		done.Add(1)
	}))
	defer srv.Close()
	if !strings.HasPrefix(srv.URL, "http://127.0.0.1:") {
		t.Fatalf("server at %s, want loopback", srv.URL)
	}

	type request struct {
		method, path, body string
		work               time.Duration
	}
	var (
		requests  int
		bytesSent int64         // response bodies, as the client received them
		work      time.Duration // the handlers' known sleeps
	)
	do := func(rq request) {
		t.Helper()
		req, err := http.NewRequestWithContext(ctx, rq.method, srv.URL+rq.path, strings.NewReader(rq.body))
		if err != nil {
			t.Fatal(err)
		}
		resp, err := srv.Client().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		body, err := io.ReadAll(resp.Body)
		resp.Body.Close()
		if err != nil || resp.StatusCode != http.StatusOK {
			t.Fatalf("%s %s: %v, status %d", rq.method, rq.path, err, resp.StatusCode)
		}
		requests++
		bytesSent += int64(len(body))
		work += rq.work
	}
	// Five stretches of requests, each followed by 7.3 s of the reader's
	// time and a tick; then a report 1.1 s later, at 37.6 s.
	for stretch := range 5 {
		for i := range 3 + stretch {
			do(request{"GET", "/", "", rootWork})
			do(request{"GET", "/users/" + strconv.Itoa(100*stretch+i), "", userWork})
			do(request{"POST", "/echo", strings.Repeat("abc", 1+i*stretch), echoWork})
		}
		for range 500 { // bounded: otelhttp records within microseconds
			if done.Load() == int64(requests) {
				break
			}
			time.Sleep(10 * time.Millisecond)
		}
		if done.Load() != int64(requests) {
			t.Fatalf("otelhttp finished %d of %d requests", done.Load(), requests)
		}
		clock.Advance(7300 * time.Millisecond)
		if err := mp.Reader().Tick(ctx); err != nil {
			t.Fatal(err)
		}
	}
	clock.Advance(1100 * time.Millisecond)
	const covered = 37.6 // seconds the windows cover at the report
	if err := mp.Reader().OutputReport(ctx); err != nil {
		t.Fatal(err)
	}

	// The JSON file: the tutorial's three keys, plain, whatever attributes
	// otelhttp set.
	data, err := os.ReadFile(jsonPath)
	if err != nil {
		t.Fatal(err)
	}
	var file map[string]any
	if err := json.Unmarshal(data, &file); err != nil {
		t.Fatalf("%v:\n%s", err, data)
	}
	var keys []string
	for k := range file {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	if want := []string{"__collection_time__", "requests_data_len", "requests_frequency", "requests_time"}; !slices.Equal(keys, want) {
		t.Fatalf("keys of the JSON file %q, want %q:\n%s", keys, want, data)
	}
	wantFreq := float64(requests) / covered
	meanWork := work.Seconds() / float64(requests)
	checkValues := func(where string, freq, avg, total float64) {
		t.Helper()
		if math.Abs(freq-wantFreq) > 1e-9*wantFreq {
			t.Errorf("%s: requests_frequency = %v, want %d requests / %v s = %v", where, freq, requests, covered, wantFreq)
		}
		// At least the handlers' sleep; at most that and a tenth of a
		// second (a loaded machine), far below the next route's difference.
		if avg < meanWork || avg > meanWork+0.1 {
			t.Errorf("%s: requests_time = %v s, want the mean sleep %v s and a little more", where, avg, meanWork)
		}
		if total != float64(bytesSent) {
			t.Errorf("%s: requests_data_len = %v, want the %d bytes sent", where, total, bytesSent)
		}
	}
	fileNum := func(k string) float64 {
		f, ok := file[k].(float64)
		if !ok {
			t.Fatalf("%s = %v in the JSON file, want a number", k, file[k])
		}
		return f
	}
	t.Logf("%s:\n%s", jsonPath, data)
	checkValues("JSON file", fileNum("requests_frequency"), fileNum("requests_time"), fileNum("requests_data_len"))

	// munin: the tutorial's graph configuration, unchanged.
	graphs, err := os.ReadFile("munin-graphs.conf")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(site, "munin-graphs.conf"), graphs, 0o644); err != nil {
		t.Fatal(err)
	}
	plugins := filepath.Join(site, "plugins")
	sconf := filepath.Join(site, "plugin-conf.d")
	for _, d := range []string{plugins, sconf} {
		if err := os.Mkdir(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	const plugin = "otelcounters_tutorial"
	bin := buildTool(t, site)
	writeMode(t, filepath.Join(plugins, plugin), "#!/bin/sh\nexec "+bin+" munin \"$@\"\n", 0o755)
	writeMode(t, filepath.Join(sconf, plugin), fmt.Sprintf("[%s]\nenv.OTELCOUNTERS_MUNIN_CONFIG %s\nenv.OTELCOUNTERS_MUNIN_REPORT %s\n",
		plugin, filepath.Join(site, "munin-graphs.conf"), jsonPath), 0o644)
	run := func(args ...string) string {
		t.Helper()
		rctx, cancel := context.WithTimeout(ctx, time.Minute)
		defer cancel()
		all := append([]string{"--servicedir", plugins, "--sconffile", filepath.Join(sconf, plugin), plugin}, args...)
		cmd := exec.CommandContext(rctx, runPath, all...)
		var stdout, stderr strings.Builder
		cmd.Stdout, cmd.Stderr = &stdout, &stderr
		if err := cmd.Run(); err != nil {
			t.Fatalf("munin-run %q: %v\n%s%s", args, err, stdout.String(), stderr.String())
		}
		if stderr.Len() > 0 {
			t.Errorf("munin-run %q says on stderr: %s", args, stderr.String())
		}
		return stdout.String()
	}
	if got := run("config"); got != tutorialConfig {
		t.Errorf("munin-run config:\n%s\nwant\n%s", got, tutorialConfig)
	}
	fetch := run()
	t.Logf("munin-run %s (fetch), %d requests, %d bytes sent, mean sleep %v s:\n%s", plugin, requests, bytesSent, meanWork, fetch)
	values := map[string]float64{}
	graph := ""
	var order []string
	for _, line := range strings.Split(strings.TrimSuffix(fetch, "\n"), "\n") {
		if g, ok := strings.CutPrefix(line, "multigraph "); ok {
			graph = g
			order = append(order, g)
			continue
		}
		field, v, ok := strings.Cut(line, ".value ")
		if !ok {
			t.Fatalf("munin fetch line %q", line)
		}
		f, err := strconv.ParseFloat(v, 64)
		if err != nil {
			t.Fatalf("munin fetch line %q: %v (U means the value is missing)", line, err)
		}
		values[graph+"/"+field] = f
	}
	if want := []string{"requests_per_sec", "requests_time", "requests_total_data"}; !slices.Equal(order, want) || len(values) != 3 {
		t.Fatalf("munin fetch graphs %q and %d values, want %q with one value each:\n%s", order, len(values), want, fetch)
	}
	// munin prints 12 significant digits.
	near := func(a, b float64) bool { return math.Abs(a-b) <= 1e-11*math.Abs(b) }
	if !near(values["requests_per_sec/requests_frequency"], fileNum("requests_frequency")) ||
		!near(values["requests_time/requests_time"], fileNum("requests_time")) ||
		values["requests_total_data/requests_data_len"] != fileNum("requests_data_len") {
		t.Errorf("munin fetch %v differs from the JSON file %s", values, data)
	}
	checkValues("munin", values["requests_per_sec/requests_frequency"], values["requests_time/requests_time"], values["requests_total_data/requests_data_len"])
}

// tutorialConfig is what munin's config command prints for the tutorial's
// graphs.
const tutorialConfig = `multigraph requests_per_sec
graph_title Request Frequency
graph_category PyCounters example
requests_frequency.label requests per second
requests_frequency.draw LINE2

multigraph requests_time
graph_title Request Average Handling Time
graph_category PyCounters example
requests_time.label Average time per request
requests_time.draw LINE2

multigraph requests_total_data
graph_title Total data processed
graph_category PyCounters example
requests_data_len.label total bytes
requests_data_len.draw LINE2

`

// muninRun finds munin-run (in /usr/sbin, often not in PATH). Without it
// the test is skipped, unless OTELCOUNTERS_MUNIN=1 says munin must be there.
func muninRun(t *testing.T) string {
	t.Helper()
	if p, err := exec.LookPath("munin-run"); err == nil {
		return p
	}
	if p := "/usr/sbin/munin-run"; isExecutable(p) {
		return p
	}
	if os.Getenv("OTELCOUNTERS_MUNIN") == "1" {
		t.Fatal("munin-run not found, and OTELCOUNTERS_MUNIN=1 requires munin (scripts/install-deps.sh installs munin-node)")
	}
	t.Skip("munin-run not found: install munin-node to run this test")
	return ""
}

func isExecutable(p string) bool {
	st, err := os.Stat(p)
	return err == nil && st.Mode().IsRegular() && st.Mode()&0o111 != 0
}

// newSite returns a folder munin's plugin user (nobody) can read, as the
// plugin and the service's JSON file need: not t.TempDir, whose parents
// are private.
func newSite(t *testing.T) string {
	t.Helper()
	dir, err := os.MkdirTemp("", "otelcounters-otelhttp-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = os.RemoveAll(dir) })
	if err := os.Chmod(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	return dir
}

func writeMode(t *testing.T, path, content string, mode os.FileMode) {
	t.Helper()
	if err := os.WriteFile(path, []byte(content), mode); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(path, mode); err != nil { // past the umask
		t.Fatal(err)
	}
}

// buildTool builds the otelcounters command of the root module into dir.
func buildTool(t *testing.T, dir string) string {
	t.Helper()
	goTool := filepath.Join(runtime.GOROOT(), "bin", "go")
	if !isExecutable(goTool) {
		var err error
		if goTool, err = exec.LookPath("go"); err != nil {
			t.Skip("no go command to build the munin plugin with")
		}
	}
	bin := filepath.Join(dir, "otelcounters")
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, goTool, "build", "-o", bin, "./cmd/otelcounters")
	cmd.Dir = "../.."
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}
