package main

import (
	"bytes"
	"strings"
	"testing"
)

func TestDispatchByName(t *testing.T) {
	noEnv := func(string) string { return "" }
	underMunin := func(k string) string {
		if k == "MUNIN_PLUGSTATE" {
			return "/var/lib/munin-node/plugin-state/nobody"
		}
		return ""
	}
	for _, c := range []struct {
		argv0  string
		munin  bool // run by munin
		plugin bool
	}{
		{"otelcounters", false, false},
		{"/usr/local/bin/otelcounters", false, false},
		{`otelcounters.exe`, false, false},
		{"otelcounters", true, false}, // a wrapper script: exec otelcounters munin "$@"
		{"oc", false, false},          // go build -o oc: the tool
		{"./bin/otelcounters-v2", false, false},
		{"/etc/munin/plugins/otelcounters_myapp", false, true},
		{"otelcounters_myapp", true, true},
		{"/etc/munin/plugins/myapp", true, true}, // any symlink munin runs
		{"/etc/munin/plugins/myapp", false, false},
	} {
		env := noEnv
		if c.munin {
			env = underMunin
		}
		if got := isPluginName(c.argv0, env); got != c.plugin {
			t.Errorf("isPluginName(%q, munin=%v) = %v, want %v", c.argv0, c.munin, got, c.plugin)
		}
	}
	// Under a plugin's name, "suggest" is munin's command, not a tool command.
	var out, errs bytes.Buffer
	if code := dispatch([]string{"/etc/munin/plugins/otelcounters_myapp", "suggest"}, noEnv, nil, &out, &errs); code != 0 {
		t.Errorf("suggest as a plugin: exit %d, stderr %s", code, errs.String())
	}
	out.Reset()
	errs.Reset()
	if code := dispatch([]string{"otelcounters", "suggest"}, underMunin, nil, &out, &errs); code != 2 || !strings.Contains(errs.String(), `unknown command "suggest"`) {
		t.Errorf("suggest as the tool: exit %d, stderr %s", code, errs.String())
	}
	// Built under another name, the binary is the tool.
	out.Reset()
	errs.Reset()
	if code := dispatch([]string{"./oc", "help"}, noEnv, nil, &out, &errs); code != 0 || !strings.Contains(errs.String(), "usage: otelcounters <command>") {
		t.Errorf("oc help: exit %d, stderr %s", code, errs.String())
	}
}
