package main

import (
	"context"
	"errors"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/otelcounters/otelcounters/report"
)

// TestServeBounded: a merge that hangs (a folder on a dead network file
// system) costs each request at most the timeout, and at most serveMerges
// of them run, however many requests come; once it returns, requests are
// answered again.
func TestServeBounded(t *testing.T) {
	release := make(chan struct{})
	var running, calls atomic.Int32
	src := bounded("merge of /x", 20*time.Millisecond, func() (report.Report, error) {
		calls.Add(1)
		running.Add(1)
		defer running.Add(-1)
		<-release
		return report.Report{Values: []report.Value{{Key: "x"}}}, nil
	})
	errs := make(chan error, 10)
	for range 10 {
		go func() {
			_, err := src(context.Background())
			errs <- err
		}()
	}
	var timedOut, noSlot int
	for range 10 {
		err := receiveErr(t, errs)
		switch {
		case err == nil:
			t.Error("a request was answered while every merge hangs")
		case !errors.Is(err, context.DeadlineExceeded):
			t.Errorf("error %v, want the deadline", err)
		case strings.Contains(err.Error(), "merge of /x: not done within 20ms"):
			timedOut++
		case strings.Contains(err.Error(), "merge of /x: 2 still running after 20ms"):
			noSlot++
		default:
			t.Errorf("error %v", err)
		}
	}
	if timedOut != serveMerges || noSlot != 10-serveMerges || calls.Load() != serveMerges {
		t.Errorf("%d timed out, %d found no slot, %d merges started; want %d, %d, %d", timedOut, noSlot, calls.Load(), serveMerges, 10-serveMerges, serveMerges)
	}
	close(release)
	deadline := time.Now().Add(10 * time.Second)
	for {
		rep, err := src(context.Background())
		if err == nil {
			if len(rep.Values) != 1 {
				t.Errorf("report %+v", rep)
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("no answer once the merges returned: %v", err)
		}
	}
}

func receiveErr(t *testing.T, ch <-chan error) error {
	t.Helper()
	select {
	case err := <-ch:
		return err
	case <-time.After(10 * time.Second):
		t.Fatal("a request was not answered within 10s")
		return nil
	}
}

func TestParseSize(t *testing.T) {
	for in, want := range map[string]int64{"1": 1, "64MiB": 64 << 20, "2 KiB": 2048, "1GiB": 1 << 30} {
		if got, err := parseSize(in); err != nil || got != want {
			t.Errorf("parseSize(%q) = %d, %v; want %d", in, got, err, want)
		}
	}
	for _, in := range []string{"", "0", "-1", "1MB", "x", "9223372036854775807GiB"} {
		if _, err := parseSize(in); err == nil {
			t.Errorf("parseSize(%q) succeeded", in)
		}
	}
}
