package main

import (
	"bufio"
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"regexp"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/otelcounters/otelcounters/counters"
	"github.com/otelcounters/otelcounters/host"
	"github.com/otelcounters/otelcounters/internal/testenv"
	"github.com/otelcounters/otelcounters/report"
)

// muninTool finds a munin program. munin lives in /usr/sbin, often not in
// a user's PATH. Without munin the test is skipped, unless
// OTELCOUNTERS_MUNIN=1 says that munin must be there (as in CI).
func muninTool(t *testing.T, name string) string {
	t.Helper()
	if p, err := exec.LookPath(name); err == nil {
		return p
	}
	if p := filepath.Join("/usr/sbin", name); isExecutable(p) {
		return p
	}
	if os.Getenv("OTELCOUNTERS_MUNIN") == "1" {
		t.Fatalf("%s not found, and OTELCOUNTERS_MUNIN=1 requires munin (scripts/install-deps.sh installs munin-node)", name)
	}
	t.Skipf("%s not found: install munin-node to run this test", name)
	return ""
}

func isExecutable(p string) bool {
	st, err := os.Stat(p)
	return err == nil && st.Mode().IsRegular() && st.Mode()&0o111 != 0
}

// muninSite is a plugin installed as munin sees it: the otelcounters
// binary, a wrapper script in a plugin folder, its settings file, the
// graph configuration and the reports, under a folder that munin's plugin
// user can read (or, with private, one that only root can).
type muninSite struct {
	root, plugins, sconf, reports string
}

const muninPluginName = "otelcounters_test"

func newMuninSite(t *testing.T, bin string, private bool) *muninSite {
	t.Helper()
	// Not t.TempDir: its parent folders are private to this user, and munin
	// runs plugins as nobody.
	root, err := os.MkdirTemp("", "otelcounters-munin-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = os.RemoveAll(root) })
	dirMode, fileMode := os.FileMode(0o755), os.FileMode(0o644)
	if private {
		dirMode, fileMode = 0o700, 0o600
	}
	s := &muninSite{root: root, plugins: filepath.Join(root, "plugins"), sconf: filepath.Join(root, "plugin-conf.d"), reports: filepath.Join(root, "reports")}
	for _, d := range []string{s.plugins, s.sconf, s.reports} {
		if err := os.Mkdir(d, dirMode); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Chmod(root, dirMode); err != nil {
		t.Fatal(err)
	}
	s.write(t, "plugins/"+muninPluginName, fmt.Sprintf("#!/bin/sh\nexec %s munin \"$@\"\n", bin), 0o755)
	s.write(t, "graphs.yaml", muninGraphs, fileMode)
	settings := fmt.Sprintf("[%s]\nenv.%s %s\nenv.%s %s\n", muninPluginName,
		muninConfigEnv, filepath.Join(root, "graphs.yaml"), muninReportEnv, s.reports)
	if private {
		settings += "user root\n"
	}
	s.write(t, "plugin-conf.d/"+muninPluginName, settings, fileMode)
	return s
}

func (s *muninSite) write(t *testing.T, name, content string, mode os.FileMode) {
	t.Helper()
	p := filepath.Join(s.root, name)
	if err := os.WriteFile(p, []byte(content), mode); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(p, mode); err != nil { // past the umask
		t.Fatal(err)
	}
}

// buildPlugin builds the otelcounters binary into a folder everyone can
// read, once per test.
func buildPlugin(t *testing.T) string {
	t.Helper()
	goTool := filepath.Join(runtime.GOROOT(), "bin", "go")
	if !isExecutable(goTool) {
		var err error
		if goTool, err = exec.LookPath("go"); err != nil {
			t.Skip("no go command to build the plugin with")
		}
	}
	dir, err := os.MkdirTemp("", "otelcounters-bin-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = os.RemoveAll(dir) })
	if err := os.Chmod(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	bin := filepath.Join(dir, "otelcounters")
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	out, err := exec.CommandContext(ctx, goTool, "build", "-o", bin, ".").CombinedOutput()
	if err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

// reportAllProcesses writes the reports of two processes (under this
// process's pid, which is alive) into the site's folder.
func (s *muninSite) reportAllProcesses(t *testing.T, mode os.FileMode) {
	t.Helper()
	for _, name := range []string{"web", "worker"} {
		rep, err := host.NewReporter(s.reports, name)
		if err != nil {
			t.Fatal(err)
		}
		r := muninReport(time.Now())
		r.Values = append(r.Values, report.Value{Key: "size.p99", Kind: counters.Percentiles, Quantile: 0.99, Value: counters.Value{V: 7, OK: true}})
		if err := rep.Report(context.Background(), r); err != nil {
			t.Fatal(err)
		}
		if err := os.Chmod(rep.Path(), mode); err != nil {
			t.Fatal(err)
		}
	}
}

// mergedFetch is the fetch output for the reports of reportAllProcesses:
// rates add up, averages of equal weight stay.
var mergedFetch = strings.NewReplacer(
	"requests_frequency.value 0.0142665813699", "requests_frequency.value 0.0285331627397",
	"_5xx_rate.value 0.5", "_5xx_rate.value 1.0",
).Replace(muninReportFetch)

func muninRun(t *testing.T, runPath string, s *muninSite, args ...string) (string, string) {
	t.Helper()
	stdout, stderr, err := muninRunErr(runPath, s, args...)
	if err != nil {
		t.Fatalf("munin-run %q: %v\nstdout:\n%s\nstderr:\n%s", args, err, stdout, stderr)
	}
	return stdout, stderr
}

func muninRunErr(runPath string, s *muninSite, args ...string) (string, string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	all := append([]string{"--servicedir", s.plugins, "--sconffile", filepath.Join(s.sconf, muninPluginName), muninPluginName}, args...)
	cmd := exec.CommandContext(ctx, runPath, all...)
	var stdout, stderr strings.Builder
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	return stdout.String(), stderr.String(), err
}

// TestMuninRun runs the plugin as munin does, through munin-run: as munin's
// plugin user with readable files, and as root with private ones.
func TestMuninRun(t *testing.T) {
	testenv.NeedsProcesses(t)
	runPath := muninTool(t, "munin-run")
	bin := buildPlugin(t)
	for _, private := range []bool{false, true} {
		t.Run(fmt.Sprintf("private=%v", private), func(t *testing.T) {
			if private && os.Geteuid() != 0 {
				t.Skip("running plugins as root needs root")
			}
			s := newMuninSite(t, bin, private)
			mode := os.FileMode(0o644)
			if private {
				mode = 0o600
			}
			s.reportAllProcesses(t, mode)
			if out, errs := muninRun(t, runPath, s, "config"); out != muninGraphsConfig {
				t.Errorf("config:\n%s\nwant\n%s\nstderr:\n%s", out, muninGraphsConfig, errs)
			}
			out, errs := muninRun(t, runPath, s)
			if out != mergedFetch {
				t.Errorf("fetch:\n%s\nwant\n%s\nstderr:\n%s", out, mergedFetch, errs)
			}
			if !strings.Contains(errs, "size.p99 has values in several processes that cannot be merged") {
				t.Errorf("fetch stderr %q does not name the unmerged key", errs)
			}
			if out, _ := muninRun(t, runPath, s, "autoconf"); out != "yes\n" {
				t.Errorf("autoconf: %q", out)
			}
			if out, _ := muninRun(t, runPath, s, "suggest"); out != "" {
				t.Errorf("suggest: %q", out)
			}
		})
	}
	// Private files without "user root": munin's plugin user cannot even
	// run the wrapper, which shows that the other cases ran as that user.
	t.Run("private as plugin user", func(t *testing.T) {
		if os.Geteuid() != 0 {
			t.Skip("munin runs plugins as another user only when run as root")
		}
		s := newMuninSite(t, bin, true)
		s.write(t, "plugin-conf.d/"+muninPluginName, fmt.Sprintf("[%s]\nenv.%s %s\n", muninPluginName, muninConfigEnv, filepath.Join(s.root, "graphs.yaml")), 0o644)
		out, errs, err := muninRunErr(runPath, s, "config")
		if err == nil || strings.Contains(out, "multigraph") {
			t.Errorf("munin-run of a private plugin as munin's plugin user: %v\n%s\n%s", err, out, errs)
		}
	})
	// A symlink to the binary, named as the plugin: the binary runs as the
	// munin plugin when called under a name other than otelcounters.
	t.Run("symlink", func(t *testing.T) {
		s := newMuninSite(t, bin, false)
		s.reportAllProcesses(t, 0o644)
		link := filepath.Join(s.plugins, muninPluginName)
		if err := os.Remove(link); err != nil {
			t.Fatal(err)
		}
		if err := os.Symlink(bin, link); err != nil {
			t.Fatal(err)
		}
		if out, errs := muninRun(t, runPath, s, "config"); out != muninGraphsConfig {
			t.Errorf("config through a symlink:\n%s\nwant\n%s\nstderr:\n%s", out, muninGraphsConfig, errs)
		}
		if out, errs := muninRun(t, runPath, s); out != mergedFetch {
			t.Errorf("fetch through a symlink:\n%s\nwant\n%s\nstderr:\n%s", out, mergedFetch, errs)
		}
	})
	t.Run("stale", func(t *testing.T) {
		s := newMuninSite(t, bin, false)
		s.write(t, "reports/counters.json", string(muninReport(time.Now().Add(-time.Hour)).AppendJSON(nil)), 0o644)
		s.write(t, "plugin-conf.d/"+muninPluginName, fmt.Sprintf("[%s]\nenv.%s %s\nenv.%s %s\n", muninPluginName,
			muninConfigEnv, filepath.Join(s.root, "graphs.yaml"), muninReportEnv, filepath.Join(s.reports, "counters.json")), 0o644)
		out, errs := muninRun(t, runPath, s)
		// 1h0m and some seconds on a busy machine.
		if out != muninUnknown || !strings.Contains(errs, "is stale: written 1h0m") {
			t.Errorf("fetch of a stale report:\n%s\nstderr:\n%s", out, errs)
		}
	})
}

// TestMuninNode serves the plugin through a real munin-node on loopback and
// speaks munin's protocol to it, as a munin master would.
func TestMuninNode(t *testing.T) {
	testenv.NeedsProcesses(t)
	muninTool(t, "munin-run") // the same package: skip or fail alike
	nodePath := muninTool(t, "munin-node")
	perl, err := exec.LookPath("perl")
	if err != nil {
		t.Fatal("munin-node is installed but perl is not")
	}
	bin := buildPlugin(t)
	s := newMuninSite(t, bin, false)
	s.reportAllProcesses(t, 0o644)
	addr := startMuninNode(t, perl, nodePath, s)

	conn, err := net.DialTimeout("tcp", addr, 10*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if err := conn.SetDeadline(time.Now().Add(time.Minute)); err != nil {
		t.Fatal(err)
	}
	rd := bufio.NewReader(conn)
	line := func() string {
		t.Helper()
		l, err := rd.ReadString('\n')
		if err != nil {
			t.Fatalf("reading from munin-node: %v (so far %q)", err, l)
		}
		return strings.TrimSuffix(l, "\n")
	}
	send := func(cmd string) {
		t.Helper()
		if _, err := fmt.Fprintf(conn, "%s\n", cmd); err != nil {
			t.Fatal(err)
		}
	}
	// reply reads lines up to the "." that ends a multi-line reply.
	reply := func() string {
		t.Helper()
		var b strings.Builder
		for {
			l := line()
			if l == "." {
				return b.String()
			}
			b.WriteString(l + "\n")
		}
	}

	if got := line(); got != "# munin node at otelcounters-test" {
		t.Errorf("banner %q", got)
	}
	send("list")
	if got := line(); got != "" {
		t.Errorf("list before cap multigraph: %q, want no plugin (multigraph plugins are hidden)", got)
	}
	send("cap multigraph")
	if got := line(); got != "cap multigraph dirtyconfig" {
		t.Errorf("cap: %q", got)
	}
	send("list")
	if got := line(); got != muninPluginName {
		t.Errorf("list: %q, want %s", got, muninPluginName)
	}
	send("config " + muninPluginName)
	// munin-node drops the empty lines between graphs.
	if got, want := reply(), strings.ReplaceAll(muninGraphsConfig, "\n\n", "\n"); got != want {
		t.Errorf("config:\n%s\nwant\n%s", got, want)
	}
	send("fetch " + muninPluginName)
	if got := reply(); got != mergedFetch {
		t.Errorf("fetch:\n%s\nwant\n%s", got, mergedFetch)
	}
	send("fetch nosuchplugin")
	if got := reply(); got != "# Unknown service\n" {
		t.Errorf("fetch of an unknown plugin: %q", got)
	}
	send("quit")
}

// startMuninNode starts munin-node on a free loopback port, with its
// plugin folder, settings and state in s, and stops it when the test ends.
// munin-node takes its plugin and settings folders from its build-time
// defaults, so a perl one-liner sets those before running it.
func startMuninNode(t *testing.T, perl, nodePath string, s *muninSite) string {
	t.Helper()
	u, err := user.Current()
	if err != nil {
		t.Fatal(err)
	}
	g, err := user.LookupGroupId(u.Gid)
	if err != nil {
		t.Fatal(err)
	}
	state := filepath.Join(s.root, "state")
	if err := os.Mkdir(state, 0o755); err != nil {
		t.Fatal(err)
	}
	for attempt := 0; ; attempt++ {
		port := freePort(t)
		conf := filepath.Join(s.root, "munin-node.conf")
		s.write(t, "munin-node.conf", fmt.Sprintf(`log_level 4
log_file %[1]s/munin-node.log
pid_file %[1]s/munin-node.pid
background 0
setsid 0
user %[2]s
group %[3]s
host_name otelcounters-test
allow ^127\.0\.0\.1$
host 127.0.0.1
port %[4]d
`, state, u.Username, g.Name, port), 0o644)
		script := `use Munin::Common::Defaults;
$Munin::Common::Defaults::MUNIN_CONFDIR = shift @ARGV;
$Munin::Common::Defaults::MUNIN_PLUGSTATE = shift @ARGV;
my $node = shift @ARGV;
do $node; die $@ if $@;
exit main();`
		cmd := exec.Command(perl, "-e", script, s.root, state, nodePath, "--config", conf)
		cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true} // its forked children with it
		var logs strings.Builder
		cmd.Stdout, cmd.Stderr = &logs, &logs
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		exited := make(chan struct{})
		go func() { _ = cmd.Wait(); close(exited) }()
		stop := func() {
			_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGTERM)
			select {
			case <-exited:
			case <-time.After(10 * time.Second):
				_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
				<-exited
			}
		}
		addr := net.JoinHostPort("127.0.0.1", strconv.Itoa(port))
		if waitListening(addr, exited) {
			t.Cleanup(stop)
			return addr
		}
		stop()
		log, _ := os.ReadFile(filepath.Join(state, "munin-node.log"))
		if attempt == 2 {
			t.Fatalf("munin-node did not start:\n%s\n%s", logs.String(), log)
		}
		t.Logf("munin-node did not start on port %d, trying another:\n%s", port, logs.String())
	}
}

// waitListening waits, a bounded number of times, until addr accepts a
// connection; false if it never does or the process exits.
func waitListening(addr string, exited <-chan struct{}) bool {
	for range 300 {
		select {
		case <-exited:
			return false
		default:
		}
		if c, err := net.DialTimeout("tcp", addr, time.Second); err == nil {
			_ = c.Close()
			return true
		}
		time.Sleep(50 * time.Millisecond)
	}
	return false
}

// freePort returns a loopback port that was free a moment ago.
func freePort(t *testing.T) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

// TestMuninRunTutorial runs the demo, then the tutorial's munin graph
// configuration, unchanged, through munin-run on the demo's JSON file:
// every graph gets a number.
func TestMuninRunTutorial(t *testing.T) {
	testenv.NeedsProcesses(t)
	runPath := muninTool(t, "munin-run")
	bin := buildPlugin(t)
	s := newMuninSite(t, bin, false)
	graphs, err := os.ReadFile("../../examples/otelhttp/munin-graphs.conf")
	if err != nil {
		t.Fatal(err)
	}
	s.write(t, "graphs.yaml", string(graphs), 0o644)
	jsonPath := filepath.Join(s.reports, "demo.json")
	s.write(t, "plugin-conf.d/"+muninPluginName, fmt.Sprintf("[%s]\nenv.%s %s\nenv.%s %s\n", muninPluginName,
		muninConfigEnv, filepath.Join(s.root, "graphs.yaml"), muninReportEnv, jsonPath), 0o644)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	out, err := exec.CommandContext(ctx, bin, "demo", "--duration", "2s", "--report-interval", "500ms", "--json", jsonPath).CombinedOutput()
	if err != nil {
		t.Fatalf("demo: %v\n%s", err, out)
	}
	if out, errs := muninRun(t, runPath, s, "config"); !strings.Contains(out, "multigraph requests_total_data\n") || errs != "" {
		t.Errorf("config:\n%s\nstderr:\n%s", out, errs)
	}
	fetch, errs := muninRun(t, runPath, s)
	if errs != "" {
		t.Errorf("fetch stderr: %s", errs)
	}
	re := regexp.MustCompile(`(?m)^multigraph requests_per_sec\nrequests_frequency\.value ([0-9.e+-]+)\nmultigraph requests_time\nrequests_time\.value ([0-9.e+-]+)\nmultigraph requests_total_data\nrequests_data_len\.value ([0-9.e+-]+)\n$`)
	m := re.FindStringSubmatch(fetch)
	if m == nil {
		t.Fatalf("fetch, want a number for each of the tutorial's graphs:\n%s", fetch)
	}
	for i, name := range []string{"requests_frequency", "requests_time", "requests_data_len"} {
		if v, err := strconv.ParseFloat(m[i+1], 64); err != nil || !(v > 0) {
			t.Errorf("%s.value %s, want a positive number", name, m[i+1])
		}
	}
}
