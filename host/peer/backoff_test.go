package peer

import (
	"context"
	"testing"
	"time"
)

func Test_backoff(t *testing.T) {
	tests := []struct {
		attempt  int
		min, max time.Duration
	}{
		{0, 500 * time.Millisecond, time.Second},
		{1, time.Second, 2 * time.Second},
		{3, 4 * time.Second, 8 * time.Second},
		{8, 128 * time.Second, 256 * time.Second},
		{9, 150 * time.Second, 5 * time.Minute}, // 512s capped at 5m
		{40, 150 * time.Second, 5 * time.Minute},
		{1000, 150 * time.Second, 5 * time.Minute},
	}
	for _, tc := range tests {
		for range 100 {
			if d := backoff(tc.attempt, time.Second, 5*time.Minute); d < tc.min || d > tc.max {
				t.Fatalf("attempt %d: got %v, want %v to %v", tc.attempt, d, tc.min, tc.max)
			}
		}
	}
}

// Test_pacer: the bucket lets rate messages through at once, then makes
// the next one wait (a cancelled context shows it had to).
func Test_pacer(t *testing.T) {
	p := newPacer(5)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	for i := range 5 {
		if err := p.wait(ctx); err != nil {
			t.Fatalf("message %d of the burst: %v", i, err)
		}
	}
	if err := p.wait(ctx); err == nil {
		t.Fatal("the sixth message did not wait")
	}
}
