package browser_test

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"os/exec"
	"path/filepath"
	"regexp"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"

	"github.com/otelcounters/otelcounters/counters"
	"github.com/otelcounters/otelcounters/host"
	"github.com/otelcounters/otelcounters/reader"
)

// buildTool builds the otelcounters command for the test.
func buildTool(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "otelcounters")
	if out, err := exec.Command("go", "build", "-o", bin, "github.com/otelcounters/otelcounters/cmd/otelcounters").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

// TestServePage runs `otelcounters serve` as a process over a folder that a
// process's reader writes its reports to, and checks the page of the
// merge: the series and their attributes, which a merged report carries
// only in its keys, and a new report reaching the open page.
func TestServePage(t *testing.T) {
	b := newBrowser(t)
	dir := t.TempDir()
	r := reader.New(reader.WithManualTicks(),
		reader.WithCounters(counters.Definition{Name: "jobs_time", Kind: counters.AverageTime, Events: []string{"job.duration"}, Window: time.Minute, By: []string{"queue"}}))
	mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(r))
	t.Cleanup(func() { _ = mp.Shutdown(context.Background()) })
	rep, err := host.NewReporter(dir, "worker")
	if err != nil {
		t.Fatal(err)
	}
	if err := r.RegisterReporter("host", rep); err != nil {
		t.Fatal(err)
	}
	jobs, err := mp.Meter("worker").Float64Histogram("job.duration", metric.WithUnit("s"))
	if err != nil {
		t.Fatal(err)
	}
	queues := []string{"mail", `"><svg onload=alert(1)>`}
	report := func(d float64) {
		for i, q := range queues {
			jobs.Record(t.Context(), d*float64(i+1), metric.WithAttributes(attribute.String("queue", q)))
		}
		if err := r.OutputReport(t.Context()); err != nil {
			t.Fatal(err)
		}
	}
	report(0.5)

	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, buildTool(t), "serve", "--dir", dir, "--addr", "127.0.0.1:0", "--interval", "300ms")
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
	}()
	urlc := make(chan string, 1)
	go func() {
		re := regexp.MustCompile(`at (http://127\.0\.0\.1:\d+/)`)
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			if m := re.FindStringSubmatch(sc.Text()); m != nil {
				urlc <- m[1]
			}
		}
		_, _ = io.Copy(io.Discard, stderr)
	}()
	var url string
	select {
	case url = <-urlc:
	case <-time.After(30 * time.Second):
		t.Fatal("serve printed no address within 30 s")
	}
	if err := chromedp.Do(b.ctx, chromedp.Navigate(url)); err != nil {
		t.Fatal(err)
	}
	waitFor(t, b, "two plots", `document.querySelectorAll('figure.plot').length === 2`)
	queuesShown := `[...document.querySelectorAll('figcaption .attr')].map((e) => e.querySelector('.k').textContent + '=' + e.querySelector('.v').textContent).sort()`
	if got := eval[[]string](t, b, queuesShown); len(got) != 2 || got[0] != "queue="+queues[1] || got[1] != "queue=mail" {
		t.Errorf("attributes shown %q, want the two queues", got)
	}
	if got := eval[string](t, b, `document.querySelector('section.counter h2 .meta').textContent`); got != "average_time · s" {
		t.Errorf("counter described as %q", got)
	}
	current := `[...document.querySelectorAll('.current')].map((e) => e.getAttribute('data-value')).sort().join(' ')`
	if got := eval[string](t, b, current); got != "0.5 1" {
		t.Errorf("current values %q, want 0.5 and 1", got)
	}

	// The process reports again: the merge that serve takes next reaches
	// the open page.
	report(2.5) // averages over the window: (0.5+2.5)/2 and (1+5)/2
	waitFor(t, b, "the next merge", fmt.Sprintf(`%s === "1.5 3"`, current))
	screenshot(t, b, "serve-page.png")
	if p := b.problems(); len(p) > 0 {
		t.Errorf("console: %q", p)
	}
	if n := eval[int](t, b, `document.scripts.length + document.images.length + document.querySelectorAll('main svg:not(.chart)').length`); n != 1 {
		t.Errorf("%d scripts, images and foreign SVG: the attribute value became markup", n)
	}
}
