package webhooks

import (
	"testing"
	"time"
)

// TestBackoff: the waits double from the base up to the ceiling, drawn
// between half of that and all of it.
func TestBackoff(t *testing.T) {
	base, ceiling := time.Second, 10*time.Second
	for n, full := range map[int]time.Duration{1: time.Second, 2: 2 * time.Second, 3: 4 * time.Second, 4: 8 * time.Second, 5: 10 * time.Second, 60: 10 * time.Second} {
		for range 20 {
			if got := backoff(base, ceiling, n); got < full/2 || got > full {
				t.Fatalf("attempt %d: %v, want within [%v, %v]", n, got, full/2, full)
			}
		}
	}
}
