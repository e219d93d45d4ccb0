package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// docSession runs the commands of a console block ("$ otelcounters ..."
// lines, each followed by its output), adding extra arguments after the
// command's name, and checks that each prints what the block shows.
func docSession(t *testing.T, block string, extra func(cmd string) []string) {
	t.Helper()
	var cmd string
	var want strings.Builder
	check := func() {
		if cmd == "" {
			return
		}
		args := strings.Fields(cmd)
		args = append(append([]string{args[0]}, extra(args[0])...), args[1:]...)
		code, out, errs := runTool("", args...)
		if code != 0 {
			t.Errorf("%s: status %d: %s", cmd, code, errs)
		}
		if out != want.String() {
			t.Errorf("the documentation shows, for %s:\n%s\nthe tool prints\n%s", cmd, want.String(), out)
		}
	}
	for _, l := range strings.SplitAfter(block, "\n") {
		if c, ok := strings.CutPrefix(l, "$ otelcounters "); ok {
			check()
			cmd = strings.TrimSpace(c)
			want.Reset()
			continue
		}
		want.WriteString(l)
	}
	check()
}

// TestMuninDocsSession runs the example of docs/munin.md.
func TestMuninDocsSession(t *testing.T) {
	data, err := os.ReadFile("../../docs/munin.md")
	if err != nil {
		t.Fatal(err)
	}
	doc := string(data)
	dir := t.TempDir()
	graphs := filepath.Join(dir, "graphs.yaml")
	reportPath := filepath.Join(dir, "counters.json")
	for path, content := range map[string]string{graphs: codeBlock(t, doc, "yaml", 0), reportPath: codeBlock(t, doc, "json", 0)} {
		if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	docSession(t, codeBlock(t, doc, "console", 0), func(string) []string {
		return []string{"--config", graphs, "--report", reportPath}
	})
}

// TestMultiprocessDocsSession runs the merge example of
// docs/multiprocess.md.
func TestMultiprocessDocsSession(t *testing.T) {
	data, err := os.ReadFile("../../docs/multiprocess.md")
	if err != nil {
		t.Fatal(err)
	}
	doc := string(data)
	dir := t.TempDir()
	reports := filepath.Join(dir, "reports")
	if err := os.Mkdir(reports, 0o755); err != nil {
		t.Fatal(err)
	}
	for i, name := range []string{"web.4101.json", "web.4102.json"} {
		if err := os.WriteFile(filepath.Join(reports, name), []byte(codeBlock(t, doc, "json", i+1)), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	lines := strings.Split(codeBlock(t, doc, "console", 0), "\n")
	if len(lines) != 4 || lines[1] != "$ cat merged.json" || lines[3] != "" {
		t.Fatalf("unexpected session %q", lines)
	}
	cmd, ok := strings.CutPrefix(lines[0], "$ otelcounters ")
	if !ok {
		t.Fatalf("session starts with %q", lines[0])
	}
	args := strings.Fields(cmd)
	for i, a := range args {
		switch a {
		case "reports":
			args[i] = reports
		case "merged.json":
			args[i] = filepath.Join(dir, a)
		}
	}
	code, out, errs := runTool("", args...)
	if code != 0 || out != "" || !strings.Contains(errs, "cannot be merged: size.p99") {
		t.Fatalf("status %d, stdout %q, stderr %q", code, out, errs)
	}
	got, err := os.ReadFile(filepath.Join(dir, "merged.json"))
	if err != nil {
		t.Fatal(err)
	}
	if string(got) != lines[2]+"\n" {
		t.Errorf("docs/multiprocess.md shows\n%s\nthe merge writes\n%s", lines[2], got)
	}
	if codeBlock(t, doc, "json", 0) != codeBlock(t, doc, "json", 1) {
		t.Error("the two examples of web.4101.json differ")
	}
}
