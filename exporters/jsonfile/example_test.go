package jsonfile_test

import (
	"context"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"time"

	"github.com/otelcounters/otelcounters/counters"
	"github.com/otelcounters/otelcounters/exporters/jsonfile"
	"github.com/otelcounters/otelcounters/report"
)

func Example() {
	dir, err := os.MkdirTemp("", "counters")
	if err != nil {
		panic(err)
	}
	defer os.RemoveAll(dir)

	rep, err := jsonfile.New(filepath.Join(dir, "server.counters.json"))
	if err != nil {
		panic(err)
	}
	err = rep.Report(context.Background(), report.Report{
		Time: time.Unix(1307115164, 880000000),
		Values: []report.Value{
			{Key: "requests_frequency", Value: counters.Value{V: 0.014266581369872909, OK: true}},
			{Key: "requests_time", Value: counters.Value{V: 0.00039249658584594727, OK: true, Count: 4}},
			{Key: `requests_time{method="GET"}`, Value: counters.Value{V: 0.5, OK: true, Count: 2}},
			{Key: "slowest", Value: counters.Value{}},
		},
	})
	if err != nil {
		panic(err)
	}
	data, err := os.ReadFile(rep.Path())
	if err != nil {
		panic(err)
	}
	st, err := os.Stat(rep.Path())
	if err != nil {
		panic(err)
	}
	fmt.Print(string(data))
	fmt.Println(st.Mode())
	// Output:
	// {"requests_frequency": 0.014266581369872909, "requests_time": 0.00039249658584594727, "requests_time{method=\"GET\"}": 0.5, "slowest": null, "__collection_time__": 1307115164.88}
	// -rw-r--r--
}

func ExampleParse() {
	s, err := jsonfile.Parse([]byte(`{"requests_time": 0.25, "slowest": null, "__node_reports__": {"host-1": {}}, "__collection_time__": 1307115164.88}`))
	if err != nil {
		panic(err)
	}
	fmt.Println(s.Time.UTC().Format(time.RFC3339Nano))
	for _, k := range slices.Sorted(maps.Keys(s.Values)) {
		if v := s.Values[k]; v != nil {
			fmt.Println(k, *v)
		} else {
			fmt.Println(k, "null")
		}
	}
	fmt.Println(string(s.Meta["__node_reports__"]))
	// Output:
	// 2011-06-03T15:32:44.88Z
	// requests_time 0.25
	// slowest null
	// {"host-1": {}}
}
