package config_test

import (
	"os"
	"reflect"
	"strings"
	"testing"

	"github.com/otelcounters/otelcounters/config"
)

// codeBlocks returns the fenced blocks of a Markdown file written in lang.
func codeBlocks(t *testing.T, path, lang string) []string {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var blocks []string
	rest := string(data)
	for {
		_, after, ok := strings.Cut(rest, "```"+lang+"\n")
		if !ok {
			return blocks
		}
		block, tail, ok := strings.Cut(after, "```")
		if !ok {
			t.Fatalf("%s: unterminated %s block", path, lang)
		}
		blocks = append(blocks, block)
		rest = tail
	}
}

// TestDocsExamples checks that the examples of docs/configuration.md parse,
// and that its YAML and JSON examples say the same.
func TestDocsExamples(t *testing.T) {
	const doc = "../docs/configuration.md"
	yamls, jsons := codeBlocks(t, doc, "yaml"), codeBlocks(t, doc, "json")
	if len(yamls) < 2 || len(jsons) != 1 {
		t.Fatalf("%s: %d YAML and %d JSON examples, want at least 2 and 1", doc, len(yamls), len(jsons))
	}
	var cfgs []*config.Config
	for i, b := range append(yamls, jsons...) {
		cfg, err := config.Parse([]byte(b), "example")
		if err != nil {
			t.Errorf("%s: example %d: %v", doc, i, err)
			continue
		}
		for j := range cfg.Reporters {
			cfg.Reporters[j].Line = 0
		}
		cfgs = append(cfgs, cfg)
	}
	if len(cfgs) == len(yamls)+len(jsons) && !reflect.DeepEqual(cfgs[0], cfgs[len(cfgs)-1]) {
		t.Errorf("%s: the YAML and JSON examples differ:\n%+v\n%+v", doc, cfgs[0], cfgs[len(cfgs)-1])
	}
	if len(cfgs) > 0 && (len(cfgs[0].Counters) != 6 || !cfgs[0].Defaults.Selects("http.server.request.duration") || cfgs[0].Defaults.Selects("db.pool.internal")) {
		t.Errorf("%s: the first example reads as %+v", doc, cfgs[0])
	}
}
