package fakeclock_test

import (
	"sync"
	"testing"
	"time"

	"github.com/otelcounters/otelcounters/internal/fakeclock"
)

func TestClock(t *testing.T) {
	c := fakeclock.New()
	t0 := c.Now()
	if !t0.Equal(time.Date(2026, 11, 21, 12, 0, 0, 0, time.UTC)) {
		t.Fatalf("starts at %v", t0)
	}
	if !c.Now().Equal(t0) {
		t.Error("moved by itself")
	}
	c.Advance(90 * time.Second)
	c.Advance(-30 * time.Second)
	if got := c.Now().Sub(t0); got != time.Minute {
		t.Errorf("moved %v, want 1m", got)
	}
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			for range 1000 {
				c.Advance(time.Millisecond)
				_ = c.Now()
			}
		})
	}
	wg.Wait()
	if got := c.Now().Sub(t0); got != time.Minute+8*time.Second {
		t.Errorf("after concurrent advances: %v, want 1m8s", got)
	}
}
