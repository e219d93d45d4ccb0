package main

import (
	"bytes"
	"strings"
	"testing"
)

func TestDispatchByName(t *testing.T) {
	for _, c := range []struct {
		argv0 string
		tool  bool
	}{
		{"otelcounters", true},
		{"/usr/local/bin/otelcounters", true},
		{`otelcounters.exe`, true},
		{"/etc/munin/plugins/myapp", false},
		{"myapp_requests", false},
		{"otelcounters_myapp", false},
	} {
		if got := isToolName(c.argv0); got != c.tool {
			t.Errorf("isToolName(%q) = %v, want %v", c.argv0, got, c.tool)
		}
	}
	// Under a plugin's name, "suggest" is munin's command, not a tool command.
	var out, errs bytes.Buffer
	if code := dispatch([]string{"/etc/munin/plugins/myapp", "suggest"}, nil, &out, &errs); code != 0 {
		t.Errorf("suggest as a plugin: exit %d, stderr %s", code, errs.String())
	}
	out.Reset()
	errs.Reset()
	if code := dispatch([]string{"otelcounters", "suggest"}, nil, &out, &errs); code != 2 || !strings.Contains(errs.String(), `unknown command "suggest"`) {
		t.Errorf("suggest as the tool: exit %d, stderr %s", code, errs.String())
	}
}
