package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// codeBlock returns the n-th (from 0) fenced block of a Markdown file
// written in lang.
func codeBlock(t *testing.T, doc, lang string, n int) string {
	t.Helper()
	rest := doc
	for i := 0; ; i++ {
		_, after, ok := strings.Cut(rest, "```"+lang+"\n")
		if !ok {
			t.Fatalf("no %s block %d", lang, n)
		}
		block, tail, ok := strings.Cut(after, "```")
		if !ok {
			t.Fatalf("unterminated %s block", lang)
		}
		if i == n {
			return block
		}
		rest = tail
	}
}

// TestReplayDocsSession runs the example session of docs/replay.md and
// checks that it prints what the page says.
func TestReplayDocsSession(t *testing.T) {
	data, err := os.ReadFile("../../docs/replay.md")
	if err != nil {
		t.Fatal(err)
	}
	doc := string(data)
	dir := t.TempDir()
	files := map[string]string{
		"server.yaml": codeBlock(t, doc, "yaml", 0),
		"trace.jsonl": codeBlock(t, doc, "jsonl", 0),
	}
	for name, content := range files {
		writeFile(t, dir, name, content)
	}
	session := strings.SplitN(codeBlock(t, doc, "console", 0), "\n", 2)
	cmd, ok := strings.CutPrefix(session[0], "$ otelcounters ")
	if !ok || len(session) != 2 {
		t.Fatalf("the session does not start with a command: %q", session[0])
	}
	args := strings.Fields(cmd)
	for i, a := range args {
		if _, ok := files[a]; ok {
			args[i] = filepath.Join(dir, a)
		}
	}
	code, out, errs := runTool("", args...)
	if code != 0 || errs != "" {
		t.Fatalf("status %d: %s", code, errs)
	}
	if out != session[1] {
		t.Errorf("docs/replay.md shows\n%s\nthe tool prints\n%s", session[1], out)
	}
}
