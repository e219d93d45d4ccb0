package config_test

import (
	"fmt"

	"github.com/otelcounters/otelcounters/config"
)

func ExampleParse() {
	cfg, err := config.Parse([]byte(`
tick: 1s
report_interval: 60
counters:
  - name: requests_time
    kind: AverageTimeCounter
    events: [request]
  - name: requests_frequency
    kind: frequency
    events: [request]
    window: 15m
reporters:
  - type: json_file
    path: counters.json
`), "server.yaml")
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println("tick", cfg.Tick, "report every", cfg.ReportInterval)
	for _, c := range cfg.Counters {
		fmt.Println(c.Name, c.Kind, c.Events, c.Window)
	}
	for _, r := range cfg.Reporters {
		fmt.Printf("%s reporter %q writes %s (line %d)\n", r.Type, r.Name, r.Path, r.Line)
	}
	// Output:
	// tick 1s report every 1m0s
	// requests_time average_time [request] 5m0s
	// requests_frequency frequency [request] 15m0s
	// json_file reporter "json_file" writes counters.json (line 13)
}

func ExampleParse_error() {
	_, err := config.Parse([]byte(`{
  "counters": [
    {"name": "requests_time", "kind": "AverageTimeCounter", "events": ["request"]},
    {"name": "requests_time", "kind": "frequency", "window_size": 900, "window": "15m"}
  ]
}`), "server.json")
	fmt.Println(err)
	// Output:
	// server.json:4: counters[1].window_size: window (line 4) and window_size both given: use one
	// server.json:4: counters[1].name: duplicate counter name "requests_time" (first defined at line 3)
}
