package scoped

import (
	"context"
	"testing"

	"go.opentelemetry.io/otel/attribute"
)

// A stopped recording keeps nothing more, even from goroutines that still
// hold its context: its memory is not held by stragglers.
func TestStoppedKeepsNothing(t *testing.T) {
	ctx, r := Start(context.Background())
	in := &instrument{name: "c", kind: Counter}
	observe(fromContext(ctx), in, 1, *attribute.EmptySet())
	r.Stop()
	observe(fromContext(ctx), in, 1, *attribute.EmptySet())
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.entries != nil {
		t.Errorf("entries after Stop = %v, want nil", r.entries)
	}
}
