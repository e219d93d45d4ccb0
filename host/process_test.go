package host_test

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"os/exec"
	"strconv"
	"testing"
	"time"

	"github.com/otelcounters/otelcounters/host"
	"github.com/otelcounters/otelcounters/internal/testenv"
	"github.com/otelcounters/otelcounters/report"
)

// childEnv, when set, makes the test binary a child process: it writes its
// report into the folder named by childEnv, with the events of the seed in
// seedEnv, prints "ready" and waits until its standard input closes or it is
// killed.
const (
	childEnv = "OTELCOUNTERS_HOST_TEST_CHILD_DIR"
	seedEnv  = "OTELCOUNTERS_HOST_TEST_CHILD_SEED"
)

func TestMain(m *testing.M) {
	if dir := os.Getenv(childEnv); dir != "" {
		os.Exit(child(dir, os.Getenv(seedEnv)))
	}
	os.Exit(m.Run())
}

func childEvents(seed uint64) [][]event { return busyEvents(rand.New(rand.NewPCG(seed, 11)), ticks) }

func child(dir, seed string) int {
	n, err := strconv.ParseUint(seed, 10, 64)
	if err != nil {
		fmt.Fprintln(os.Stderr, "child: bad seed:", err)
		return 2
	}
	r, err := run(childEvents(n))
	if err != nil {
		fmt.Fprintln(os.Stderr, "child:", err)
		return 1
	}
	rep, err := host.NewReporter(dir, "child")
	if err == nil {
		err = rep.Report(context.Background(), r)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "child:", err)
		return 1
	}
	fmt.Println("ready")
	_, _ = io.Copy(io.Discard, os.Stdin)
	return 0
}

// startChild starts a child process writing the report of seed's events
// into dir, and waits until it has.
func startChild(t *testing.T, dir string, seed uint64) *exec.Cmd {
	t.Helper()
	testenv.NeedsProcesses(t)
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), childEnv+"="+dir, seedEnv+"="+strconv.FormatUint(seed, 10))
	cmd.Stderr = os.Stderr
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = stdin.Close()
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
	})
	line, err := bufio.NewReader(stdout).ReadString('\n')
	if err != nil || line != "ready\n" {
		t.Fatalf("child %d said %q, %v", cmd.Process.Pid, line, err)
	}
	return cmd
}

// kill kills a child and reaps it: until then its pid is a zombie's, which
// kill(pid, 0) still finds.
func kill(t *testing.T, cmd *exec.Cmd) {
	t.Helper()
	if err := cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	_ = cmd.Wait() // "signal: killed"
}

// deadPID returns the pid of a process that has ended.
func deadPID(t *testing.T) int {
	t.Helper()
	testenv.NeedsProcesses(t)
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	if err := cmd.Run(); err != nil {
		t.Fatal(err)
	}
	return cmd.Process.Pid
}

// TestMergeLiveProcesses merges the reports of real processes, started and
// killed while the test runs: this one, and children that write their
// report and wait. At every step the merge equals one process that saw the
// events of the processes alive.
func TestMergeLiveProcesses(t *testing.T) {
	dir := t.TempDir()
	mine := childEvents(100)
	writeReport(t, dir, "parent", simulate(t, mine))
	// check checks the merge against the processes whose events are given.
	check := func(res *host.Result, events ...[][]event) {
		t.Helper()
		parts := make([]report.Report, len(events))
		for i, evs := range events {
			parts[i] = simulate(t, evs)
		}
		checkMerge(t, res, parts, simulate(t, events...))
	}
	merge := func() *host.Result {
		t.Helper()
		res, err := host.Merge(dir, host.WithClock(at(endTime().Add(time.Minute))))
		if err != nil {
			t.Fatal(err)
		}
		return res
	}

	first := startChild(t, dir, 1)
	res := merge()
	if res.Included() != 2 {
		t.Fatalf("sources %+v, want 2 included", res.Sources)
	}
	check(res, mine, childEvents(1))

	second := startChild(t, dir, 2)
	res = merge()
	if res.Included() != 3 {
		t.Fatalf("sources %+v, want 3 included", res.Sources)
	}
	check(res, mine, childEvents(1), childEvents(2))

	kill(t, first)
	res = merge()
	if res.Included() != 2 {
		t.Fatalf("sources %+v, want 2 included", res.Sources)
	}
	dead := 0
	for _, s := range res.Sources {
		if s.Status == host.Dead {
			dead++
			if s.PID != first.Process.Pid {
				t.Errorf("dead source %+v, want pid %d", s, first.Process.Pid)
			}
		}
	}
	if dead != 1 {
		t.Errorf("sources %+v, want one dead", res.Sources)
	}
	check(res, mine, childEvents(2))

	kill(t, second)
	res, err := host.Merge(dir, host.WithClock(at(endTime())), host.WithPrune())
	if err != nil {
		t.Fatal(err)
	}
	check(res, mine)
	files, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(files) != 1 {
		t.Errorf("after pruning, the folder holds %d files, want this process's only", len(files))
	}
}
