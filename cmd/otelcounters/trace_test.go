package main

import (
	"bytes"
	"math"
	"strings"
	"testing"
)

// FuzzReplayTrace checks that no trace makes the parser panic, that errors
// name the source and line, and that what it accepts is in time order with
// finite values.
func FuzzReplayTrace(f *testing.F) {
	f.Add([]byte(tutorialTrace))
	f.Add([]byte(`{"t": 1, "event": "r", "type": "start", "id": "a", "attrs": {"m": "GET", "n": 2, "ok": true, "x": 1.5}}` + "\n" +
		`{"t": 2, "event": "r", "type": "end", "id": "a", "attrs": {"m": "GET", "n": 2, "ok": true, "x": 1.5}}` + "\n"))
	f.Add([]byte(`{"t": 1, "event": "v", "type": "value", "value": 1e999}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		tr, err := parseTrace(bytes.NewReader(data), "fuzz")
		if err != nil {
			if tr != nil {
				t.Fatal("a trace with an error")
			}
			if !strings.HasPrefix(err.Error(), "fuzz:") {
				t.Fatalf("error without its source: %v", err)
			}
			return
		}
		var prev int64
		for _, m := range tr.ms {
			if int64(m.at) < prev || m.at > tr.last {
				t.Fatalf("measurement at %v out of order (previous %v, last %v)", m.at, prev, tr.last)
			}
			prev = int64(m.at)
			if math.IsNaN(m.value) || math.IsInf(m.value, 0) || m.kind == timed && m.value < 0 {
				t.Fatalf("bad value %v", m)
			}
			if m.event == "" || m.line <= 0 {
				t.Fatalf("bad measurement %+v", m)
			}
		}
		for _, w := range tr.warnings {
			if !strings.HasPrefix(w, "fuzz:") || !strings.Contains(w, "never ended") {
				t.Fatalf("bad warning %q", w)
			}
		}
	})
}
