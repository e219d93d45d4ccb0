//go:build unix

package reliability_test

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/otelcounters/otelcounters/counters"
	"github.com/otelcounters/otelcounters/exporters/jsonfile"
	"github.com/otelcounters/otelcounters/exporters/pipe"
	"github.com/otelcounters/otelcounters/host"
	"github.com/otelcounters/otelcounters/reader"
	"github.com/otelcounters/otelcounters/report"
)

// TestPipeSharedFolder plays another user of the host (nobody) against the
// pipe reporter of a root process: nobody makes the pipe folder first, or
// swaps the FIFO for a link to a root-owned 0600 file when the folder is
// opened to others. The reporter refuses the folders and never writes
// through the link; the victim file keeps its content.
func TestPipeSharedFolder(t *testing.T) {
	errLog := captureErrors(t)
	base := sharedDir(t)
	// Like /tmp, where the documented folder is: everyone may add to it.
	if err := os.Chmod(base, 0o777|os.ModeSticky); err != nil {
		t.Fatal(err)
	}
	victim := filepath.Join(t.TempDir(), "victim")
	const secret = "root's own file\n"
	if err := os.WriteFile(victim, []byte(secret), 0o600); err != nil {
		t.Fatal(err)
	}
	untouched := func(when string) {
		t.Helper()
		if got, err := os.ReadFile(victim); err != nil || string(got) != secret {
			t.Fatalf("%s: the victim file holds %q (%v)", when, got, err)
		}
	}
	refused := func(dir, want string) {
		t.Helper()
		p, err := pipe.New(dir)
		if err == nil {
			_ = p.Shutdown(context.Background())
			t.Errorf("pipe.New(%s) accepted the folder, want %q", dir, want)
			return
		}
		if !strings.Contains(err.Error(), dir) || !strings.Contains(err.Error(), want) {
			t.Errorf("pipe.New(%s) = %v, want the folder named and %q", dir, err, want)
		}
	}

	// nobody creates the documented folder before the service starts.
	pre := filepath.Join(base, "stats-pipe")
	if out, ok := runAsNobody(t, "mkdir -m 0777 "+pre); !ok {
		t.Fatalf("nobody could not make %s: %s", pre, out)
	}
	refused(pre, "belongs to user 65534")
	// A folder of ours that others may write to.
	open := filepath.Join(base, "open")
	if err := os.Mkdir(open, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(open, 0o777); err != nil {
		t.Fatal(err)
	}
	refused(open, "writable by other users")
	// nobody plants a link where the FIFO of this pid will be, in a sticky
	// folder of ours (which nobody may add to, not remove from).
	sticky := filepath.Join(base, "sticky")
	if err := os.Mkdir(sticky, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(sticky, 0o777|os.ModeSticky); err != nil {
		t.Fatal(err)
	}
	planted := filepath.Join(sticky, fmt.Sprintf("%d.stats", os.Getpid()))
	if out, ok := runAsNobody(t, "ln -s "+victim+" "+planted); !ok {
		t.Fatalf("nobody could not plant a link: %s", out)
	}
	if p, err := pipe.New(sticky); err == nil || !strings.Contains(err.Error(), "not a named pipe") {
		if err == nil {
			_ = p.Shutdown(context.Background())
		}
		t.Errorf("pipe.New over a planted link = %v, want it refused", err)
	}
	untouched("after the planted link")

	// The swap: a folder of ours, opened to others after the start (an
	// operator's chmod); nobody swaps the FIFO for a link to the victim.
	mine := filepath.Join(base, "mine")
	p, err := pipe.New(mine, pipe.WithPollInterval(5*time.Millisecond))
	if err != nil {
		t.Fatal(err)
	}
	defer p.Shutdown(context.Background())
	if st, err := os.Stat(mine); err != nil || st.Mode().Perm() != pipe.FolderMode {
		t.Errorf("the folder pipe.New made has mode %v (%v), want %v", st.Mode().Perm(), err, pipe.FolderMode)
	}
	if err := p.Report(context.Background(), report.Report{Values: []report.Value{{Key: "hits", Value: counters.Value{V: 46, OK: true}}}}); err != nil {
		t.Fatal(err)
	}
	// Another user reads the pipe, as statvent's deployer API meant.
	if out, ok := runAsNobody(t, "timeout 10 cat "+p.Path()); !ok || out != "hits: 46.0" {
		t.Errorf("nobody read %q (ok %v), want the report", out, ok)
	}
	if err := os.Chmod(mine, 0o777); err != nil {
		t.Fatal(err)
	}
	// In one step (a link made beside it, renamed over it), so that the
	// writer cannot make its FIFO again in between.
	swap := filepath.Join(mine, "swap")
	if out, ok := runAsNobody(t, fmt.Sprintf("ln -s %s %s && mv -fT %s %s", victim, swap, swap, p.Path())); !ok {
		t.Fatalf("nobody could not swap the FIFO: %s", out)
	}
	eventually(t, waitLong, "the swapped FIFO is reported", func() bool {
		return len(errLog.matching(p.Path(), "not this process's named pipe: it is a symbolic link")) > 0
	})
	eventually(t, waitLong, "the FIFO is made again", func() bool {
		st, err := os.Lstat(p.Path())
		return err == nil && st.Mode()&os.ModeNamedPipe != 0
	})
	untouched("after the swap")
}

// hostileFolder returns a report folder holding one real report (of this
// process, requests_total = 5) beside a FIFO and a link to /dev/zero, both
// named like reports.
func hostileFolder(t *testing.T) (dir, fifo, zero string) {
	t.Helper()
	dir = t.TempDir()
	rep, err := host.NewReporter(dir, "web")
	if err != nil {
		t.Fatal(err)
	}
	if err := rep.Report(context.Background(), report.Report{Time: time.Now(), Values: []report.Value{
		{Key: "requests_total", Kind: counters.Total, Value: counters.Value{V: 5, OK: true}},
	}}); err != nil {
		t.Fatal(err)
	}
	fifo = filepath.Join(dir, fmt.Sprintf("evil.%d.json", os.Getpid()))
	if err := syscall.Mkfifo(fifo, 0o644); err != nil {
		t.Fatal(err)
	}
	zero = filepath.Join(dir, fmt.Sprintf("zero.%d.json", os.Getpid()))
	if err := os.Symlink("/dev/zero", zero); err != nil {
		t.Fatal(err)
	}
	return dir, fifo, zero
}

// run runs the otelcounters binary, failing the test if it does not end
// within 20 s (a hung read would never end).
func runBin(t *testing.T, env []string, bin string, args ...string) (stdout, stderr string, code int, took time.Duration) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, args...)
	cmd.Env = append(os.Environ(), env...)
	var out, errb strings.Builder
	cmd.Stdout, cmd.Stderr = &out, &errb
	begin := time.Now()
	err := cmd.Run()
	took = time.Since(begin)
	if ctx.Err() != nil {
		t.Fatalf("otelcounters %q did not end within 20s (stderr %q)", args, errb.String())
	}
	code = 0
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatal(err)
	}
	return out.String(), errb.String(), code, took
}

// TestHostileReportFolderMerge: otelcounters merge of a folder with a FIFO
// and a /dev/zero link ends, merges the real report and lists the others
// with their reasons.
func TestHostileReportFolderMerge(t *testing.T) {
	bin := buildOtelcounters(t)
	dir, fifo, zero := hostileFolder(t)
	out := filepath.Join(t.TempDir(), "merged.json")
	_, stderr, code, took := runBin(t, nil, bin, "merge", "--dir", dir, "--out", out)
	t.Logf("merge took %v", took)
	if code != 0 {
		t.Fatalf("merge: status %d: %s", code, stderr)
	}
	for _, w := range []string{fifo + " is a named pipe (FIFO), not a regular file", zero + " is a symbolic link, which is not followed"} {
		if !strings.Contains(stderr, "invalid: "+w) {
			t.Errorf("merge's stderr %q does not say %q", stderr, w)
		}
	}
	s, err := jsonfile.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	if v := s.Values["requests_total"]; v == nil || *v != 5 {
		t.Errorf("merged requests_total = %v, want 5", v)
	}
}

// TestHostileReportFolderMunin: the munin plugin's fetch of such a folder
// ends and prints the real report's value.
func TestHostileReportFolderMunin(t *testing.T) {
	bin := buildOtelcounters(t)
	dir, fifo, zero := hostileFolder(t)
	graphs := filepath.Join(t.TempDir(), "graphs.yaml")
	if err := os.WriteFile(graphs, []byte("- id: requests\n  global: {title: Requests}\n  data:\n    - {counter: requests_total, label: requests}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	env := []string{"OTELCOUNTERS_MUNIN_CONFIG=" + graphs, "OTELCOUNTERS_MUNIN_REPORT=" + dir}
	stdout, stderr, code, took := runBin(t, env, bin, "munin", "fetch")
	t.Logf("munin fetch took %v", took)
	if code != 0 || stdout != "multigraph requests\nrequests_total.value 5.0\n" {
		t.Errorf("munin fetch: status %d, output %q, stderr %q", code, stdout, stderr)
	}
	for _, w := range []string{"left out " + fifo, "left out " + zero} {
		if !strings.Contains(stderr, w) {
			t.Errorf("munin's stderr %q does not say %q", stderr, w)
		}
	}
}

// procStatus returns a field of /proc/<pid>/status, as a number (kB for
// sizes).
func procStatus(t *testing.T, pid int, field string) int64 {
	t.Helper()
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		t.Skipf("no /proc to measure the server with: %v", err)
	}
	for _, line := range strings.Split(string(data), "\n") {
		if rest, ok := strings.CutPrefix(line, field+":"); ok {
			n, err := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(rest), " kB"), 10, 64)
			if err != nil {
				t.Fatalf("%s: %q", field, line)
			}
			return n
		}
	}
	t.Fatalf("no %s in /proc/%d/status", field, pid)
	return 0
}

// TestHostileReportFolderServe: otelcounters serve, with a FIFO and a
// /dev/zero link in its folder, answers 100 requests (20 at a time) within
// 1 s each with the real report, stays small in memory and threads, and
// stops on SIGTERM within its shutdown timeout.
func TestHostileReportFolderServe(t *testing.T) {
	bin := buildOtelcounters(t)
	dir, _, _ := hostileFolder(t)
	cmd := exec.Command(bin, "serve", "--dir", dir, "--addr", "127.0.0.1:0")
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	lines := make(chan string, 100)
	go func() {
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			select {
			case lines <- sc.Text():
			default:
			}
		}
		exited <- cmd.Wait()
	}()
	stopped := false
	defer func() {
		if !stopped {
			_ = cmd.Process.Kill()
			<-exited
		}
	}()
	var addr string
	for addr == "" {
		select {
		case l := <-lines:
			if _, a, ok := strings.Cut(l, " at http://"); ok {
				addr = strings.TrimSuffix(a, "/")
			}
		case err := <-exited:
			t.Fatalf("serve ended: %v", err)
		case <-time.After(waitLong):
			t.Fatal("serve did not start")
		}
	}

	client := &http.Client{Timeout: time.Second}
	var mu sync.Mutex
	var slowest time.Duration
	var failures []string
	var wg sync.WaitGroup
	for w := range 20 {
		wg.Go(func() {
			for i := range 5 {
				begin := time.Now()
				resp, err := client.Get("http://" + addr + "/")
				took := time.Since(begin)
				var body []byte
				if err == nil {
					body, err = io.ReadAll(resp.Body)
					_ = resp.Body.Close()
				}
				mu.Lock()
				slowest = max(slowest, took)
				switch {
				case err != nil:
					failures = append(failures, fmt.Sprintf("request %d.%d: %v", w, i, err))
				case resp.StatusCode != http.StatusOK || !strings.Contains(string(body), `"requests_total": 5,`):
					failures = append(failures, fmt.Sprintf("request %d.%d: %d %s", w, i, resp.StatusCode, body))
				}
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	rss, threads := procStatus(t, cmd.Process.Pid, "VmRSS"), procStatus(t, cmd.Process.Pid, "Threads")
	t.Logf("100 requests: slowest %v; serve holds %d KiB resident and %d threads", slowest, rss, threads)
	if len(failures) > 0 {
		t.Errorf("%d of 100 requests failed within 1 s; first: %s", len(failures), failures[0])
	}
	if rss > 200<<10 {
		t.Errorf("serve holds %d KiB resident, want under 200 MiB", rss)
	}
	if threads > 50 {
		t.Errorf("serve runs %d threads, want a few", threads)
	}

	// A connection that never sends a request, as HTTP clients open
	// spares: the server must not wait for it.
	spare, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer spare.Close()
	begin := time.Now()
	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-exited:
		stopped = true
		took := time.Since(begin)
		if err != nil {
			t.Errorf("serve ended with %v after SIGTERM", err)
		}
		t.Logf("serve stopped %v after SIGTERM", took)
		if took > 3*time.Second {
			t.Errorf("serve took %v to stop with nothing to finish, want far less than its shutdown timeout (5 s)", took)
		}
	case <-time.After(8 * time.Second): // its shutdown timeout is 5 s
		t.Fatal("serve did not stop within 8 s of SIGTERM")
	}
}

// TestKillLoopNoLitter kills a process in the middle of writing its JSON
// report file (a report of 2,000 values), with SIGKILL and, every other
// time, SIGTERM (which a Go program does not catch by default), ten times,
// then starts it once more: the restarted process removes every temporary
// file the killed ones left, of its JSON report and of its host reports
// (whose names held the killed processes' pids), and leaves another user's
// alone; the report file is whole throughout.
func TestKillLoopNoLitter(t *testing.T) {
	dir := t.TempDir()
	litter := func() []string {
		names, err := filepath.Glob(filepath.Join(dir, ".*.tmp-*"))
		if err != nil {
			t.Fatal(err)
		}
		return names
	}
	var others []string
	if os.Geteuid() == 0 {
		// Another user's file of the same pattern, of a dead pid.
		other := filepath.Join(dir, ".counters.json.tmp-2147483646-1")
		if err := os.WriteFile(other, []byte("theirs"), 0o644); err != nil {
			t.Fatal(err)
		}
		if err := os.Chown(other, nobodyUID, nobodyUID); err != nil {
			t.Fatal(err)
		}
		others = append(others, other)
	}
	const kills = 10
	for i := range kills {
		cmd := startChild(t, "writer", "DIR="+dir)
		out, err := cmd.StdoutPipe()
		if err != nil {
			t.Fatal(err)
		}
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		paused := make(chan string, 1)
		go func() {
			line, _ := bufio.NewReader(out).ReadString('\n')
			paused <- line
		}()
		if line := receive(t, paused, "the writer is mid-write"); line != "mid-write\n" {
			_ = cmd.Process.Kill()
			_ = cmd.Wait()
			t.Fatalf("the writer said %q", line)
		}
		sig := os.Signal(syscall.SIGKILL)
		if i%2 == 1 {
			sig = syscall.SIGTERM
		}
		if err := cmd.Process.Signal(sig); err != nil {
			t.Fatal(err)
		}
		_ = cmd.Wait()
		if _, err := jsonfile.ReadFile(filepath.Join(dir, "counters.json")); err != nil {
			t.Fatalf("after kill %d: %v", i+1, err)
		}
		// The kill left its temporary file; each start removed the one
		// the kill before left.
		want := append([]string{}, others...)
		if names, _ := filepath.Glob(filepath.Join(dir, fmt.Sprintf(".counters.json.tmp-%d-*", cmd.Process.Pid))); len(names) == 1 {
			want = append(want, names[0])
		} else {
			t.Fatalf("kill %d left %v of the killed writer, want its one temporary file", i+1, names)
		}
		slices.Sort(want)
		if got := litter(); !slices.Equal(got, want) {
			t.Fatalf("after kill %d: temporary files %v, want %v", i+1, got, want)
		}
	}
	// Litter of a host report too, as a kill during its write leaves.
	hostTemp := filepath.Join(dir, ".web.2147483645.json.tmp-2147483645-7")
	if err := os.WriteFile(hostTemp, []byte(`{"x": `), 0o644); err != nil {
		t.Fatal(err)
	}

	restart := startChild(t, "writer-once", "DIR="+dir)
	if out, err := restart.Output(); err != nil || string(out) != "done\n" {
		t.Fatalf("the restarted writer: %v, %q", err, out)
	}
	if got := litter(); strings.Join(got, " ") != strings.Join(others, " ") {
		t.Errorf("after the restart, temporary files %v are left, want only another user's %v", got, others)
	}
	res, err := host.Merge(dir, host.WithPrune())
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range res.Sources {
		if s.Status == host.Invalid {
			t.Errorf("a torn report: %v", s.Err)
		}
	}
	if _, err := jsonfile.ReadFile(filepath.Join(dir, "counters.json")); err != nil {
		t.Error(err)
	}
}

// slowReporter is a reporter that takes its time (a slow disk, a busy
// network share) before passing the report on.
type slowReporter struct {
	rep   report.Reporter
	delay time.Duration
	calls atomic.Int32
}

func (s *slowReporter) Report(ctx context.Context, r report.Report) error {
	s.calls.Add(1)
	time.Sleep(s.delay) // ignores ctx, as a write in progress does
	return s.rep.Report(ctx, r)
}

// TestSlowReporterFinalTotals: a JSON reporter that takes six report
// intervals to write, three times its report timeout (a disk slowed down
// by the load), is nearly always busy with an earlier report when Shutdown
// comes; it still gets the final report, so the file's final total equals
// the events the application recorded, every time.
func TestSlowReporterFinalTotals(t *testing.T) {
	for round := range 3 {
		path := filepath.Join(t.TempDir(), "counters.json")
		jf, err := jsonfile.New(path)
		if err != nil {
			t.Fatal(err)
		}
		r, mp := newLive(t, reader.WithReportTimeout(2*fastTick))
		slow := &slowReporter{rep: jf, delay: 6 * fastTick}
		if err := r.RegisterReporter("json", slow); err != nil {
			t.Fatal(err)
		}
		a := startApp(mp)
		// Past its timeout, the jsonfile reporter gives each report up
		// before the rename: only the final report, with Shutdown's time,
		// can be written.
		eventually(t, waitLong, "three reports are tried", func() bool { return slow.calls.Load() >= 3 })
		time.Sleep(time.Duration(round+1) * 7 * time.Millisecond) // a few more reports, at an uneven moment
		recorded := a.halt()
		ctx, cancel := context.WithTimeout(context.Background(), waitLong)
		err = mp.Shutdown(ctx)
		cancel()
		if err != nil {
			t.Errorf("round %d: Shutdown: %v", round, err)
		}
		snap, err := jsonfile.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		if got := snap.Values["hits"]; got == nil || *got != float64(recorded) {
			t.Errorf("round %d: the final file counts %v hits, the application recorded %d", round, got, recorded)
		}
	}
}
