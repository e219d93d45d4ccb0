package munin_test

import (
	"bytes"
	"fmt"
	"regexp"
	"strings"
	"testing"

	"github.com/otelcounters/otelcounters/munin"
)

var (
	configLine = regexp.MustCompile(`^(multigraph [A-Za-z_][A-Za-z0-9_]*|graph_[A-Za-z0-9_]+ [^\n\r]*|[A-Za-z_][A-Za-z0-9_]*\.[A-Za-z0-9_]+ [^\n\r]*|)$`)
	fetchLine  = regexp.MustCompile(`^(multigraph [A-Za-z_][A-Za-z0-9_]*|[A-Za-z_][A-Za-z0-9_]*\.value U)$`)
)

// FuzzGraphConfig checks that the graph configuration parser never panics
// and that whatever it accepts gives munin only well-formed lines, and
// reads back the same once written by AppendConfig.
func FuzzGraphConfig(f *testing.F) {
	f.Add([]byte(tutorial))
	f.Add([]byte(`[{"id": "g", "global": {"title": "T"}, "data": [{"counter": "c{a=\"b\"}", "label": "L", "min": 0}]}]`))
	f.Add([]byte("- id: g\n  global: &c {title: T}\n  data: [{counter: '5xx', draw: LINE2}]\n- id: h\n  global: {<<: *c}\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		graphs, err := munin.ParseConfig(data)
		if err != nil {
			return
		}
		p, err := munin.New(graphs)
		if err != nil {
			t.Fatalf("ParseConfig accepted what New refuses: %v", err)
		}
		var b bytes.Buffer
		if err := p.WriteConfig(&b); err != nil {
			t.Fatal(err)
		}
		for _, l := range strings.Split(strings.TrimSuffix(b.String(), "\n"), "\n") {
			if !configLine.MatchString(l) {
				t.Fatalf("config line %q", l)
			}
		}
		b.Reset()
		if _, err := p.WriteValues(&b, rep()); err != nil {
			t.Fatal(err)
		}
		for _, l := range strings.Split(strings.TrimSuffix(b.String(), "\n"), "\n") {
			if !fetchLine.MatchString(l) {
				t.Fatalf("fetch line %q", l)
			}
		}
		back, err := munin.ParseConfig(munin.AppendConfig(nil, graphs))
		if err != nil {
			t.Fatalf("written configuration does not read back: %v", err)
		}
		if fmt.Sprintf("%q", back) != fmt.Sprintf("%q", graphs) {
			t.Fatalf("read back\n%q\nwant\n%q", back, graphs)
		}
	})
}
