package browser_test

import (
	"bufio"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"os/exec"
	"path/filepath"
	"regexp"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// TestDemoPage runs `otelcounters demo` as a user does, opens the address
// it logs, and watches the page follow the reports.
func TestDemoPage(t *testing.T) {
	b := newBrowser(t)
	bin := buildTool(t)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, "demo", "--duration", "60s", "--tick", "250ms", "--report-interval", "600ms",
		"--json", filepath.Join(t.TempDir(), "demo.json"))
	stdout, err := cmd.StdoutPipe()
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
		re := regexp.MustCompile(`msg="demo: live page" url=(\S+)`)
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			if m := re.FindStringSubmatch(sc.Text()); m != nil {
				urlc <- m[1]
			}
		}
		_, _ = io.Copy(io.Discard, stdout)
	}()
	var url string
	select {
	case url = <-urlc:
	case <-time.After(30 * time.Second):
		t.Fatal("the demo logged no page address within 30 s")
	}

	// Let a few reports come, so that the page opens with a history.
	time.Sleep(2 * time.Second)
	if err := chromedp.Do(b.ctx, chromedp.Navigate(url)); err != nil {
		t.Fatal(err)
	}
	reports := `Number(document.getElementById('counters').getAttribute('data-reports'))`
	waitFor(t, b, "the page has a history", reports+` >= 3`)
	first := eval[int](t, b, reports)
	waitFor(t, b, "the page has the next report", reports+` > `+itoa(first))

	// As many plots as the JSON has values: the demo's counters have no
	// attributes and no percentiles.
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	var flat map[string]any
	err = json.NewDecoder(resp.Body).Decode(&flat)
	resp.Body.Close()
	if err != nil {
		t.Fatal(err)
	}
	delete(flat, "__collection_time__")
	if n := eval[int](t, b, `document.querySelectorAll('figure.plot').length`); n != len(flat) || n < 6 {
		t.Errorf("%d plots, the JSON has %d values", n, len(flat))
	}
	if n := eval[int](t, b, `document.querySelectorAll('figure.plot path.line').length`); n < len(flat) {
		t.Errorf("%d lines drawn for %d plots", n, len(flat))
	}
	screenshot(t, b, "live-page.png")
	if p := b.problems(); len(p) > 0 {
		t.Errorf("console: %q", p)
	}
}

func itoa(n int) string {
	b, _ := json.Marshal(n)
	return string(b)
}
