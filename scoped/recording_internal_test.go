package scoped

import (
	"context"
	"testing"

	"go.opentelemetry.io/otel/attribute"
)

// A stopped recording keeps nothing more, even from goroutines that still
// hold its context: its memory is not held by stragglers.
func TestStoppedKeepsNothing(t *testing.T) {
	p := Wrap(nil)
	ctx, r := p.Start(context.Background())
	in := &instrument{p: p, name: "c", kind: Counter}
	observe(in.recording(ctx), in, 1, *attribute.EmptySet())
	r.Stop()
	observe(p.fromContext(ctx), in, 1, *attribute.EmptySet())
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.entries != nil {
		t.Errorf("entries after Stop = %v, want nil", r.entries)
	}
}

// The count of active recordings goes up with each Start and down with each
// recording's first Stop, back to zero: then instruments skip the context.
func TestActiveCount(t *testing.T) {
	p := Wrap(nil)
	in := &instrument{p: p, name: "c", kind: Counter}
	check := func(want int64) {
		t.Helper()
		if got := p.active.Load(); got != want {
			t.Errorf("active = %d, want %d", got, want)
		}
	}
	check(0)
	outer, a := p.Start(context.Background())
	inner, b := p.Start(outer)
	check(2)
	if in.recording(inner) != b || in.recording(outer) != a {
		t.Error("recording() does not find the innermost recording")
	}
	b.Stop()
	b.Stop()
	check(1)
	if in.recording(inner) != b {
		t.Error("a stopped recording's context lost it while another is active")
	}
	a.Stop()
	check(0)
	if in.recording(outer) != nil {
		t.Error("recording() looked at the context with no active recording")
	}
	// Another provider's recordings count for it alone.
	q := Wrap(nil)
	_, c := q.Start(outer)
	check(0)
	c.Stop()
}
