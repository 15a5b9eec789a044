//go:build linux

package wasmhost_test

import (
	"fmt"
	"runtime"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/relayd/relayd/host/wasmhost"
)

// onCPU runs f on a thread pinned to cpu and fails the test if cpuID
// does not say so.
func onCPU(t *testing.T, cpu int, f func()) {
	t.Helper()
	done := make(chan string)
	go func() {
		runtime.LockOSThread() // the thread ends with the goroutine: its mask goes with it
		var set unix.CPUSet
		set.Set(cpu)
		if err := unix.SchedSetaffinity(0, &set); err != nil {
			done <- err.Error()
			return
		}
		if got := wasmhost.CPUID(); got != cpu {
			done <- fmt.Sprintf("cpuID on a thread pinned to CPU %d: %d", cpu, got)
			return
		}
		f()
		done <- ""
	}()
	if msg := <-done; msg != "" {
		t.Fatal(msg)
	}
}

// TestPoolHotPerCPU: a call gets the instance last released on its CPU
// (its memory still in that CPU's caches), not the one idle longest.
func TestPoolHotPerCPU(t *testing.T) {
	if runtime.GOARCH != "amd64" || runtime.NumCPU() < 2 {
		t.Skip("needs amd64 and two CPUs: elsewhere cpuID is 0 and the pool has one hot slot")
	}
	p := pooled(t, "pool = 2")
	acquire := func(cpu int) (inst *wasmhost.Instance) {
		onCPU(t, cpu, func() {
			var err error
			if inst, err = p.Acquire(); err != nil {
				t.Error(err)
			}
		})
		return inst
	}
	release := func(cpu int, inst *wasmhost.Instance) { onCPU(t, cpu, func() { p.Release(inst) }) }
	for round := range 3 {
		a, b := acquire(0), acquire(1)
		if a == nil || b == nil || a == b {
			t.Fatalf("round %d: two calls got %p and %p", round, a, b)
		}
		release(0, a)
		release(1, b)
		// Released in the order a, b: a FIFO pool hands a out first.
		if got := acquire(1); got != b {
			t.Fatalf("round %d: CPU 1 got %p, want %p (released on CPU 1; %p was released on CPU 0)", round, got, b, a)
		}
		if got := acquire(0); got != a {
			t.Fatalf("round %d: CPU 0 got %p, want %p", round, got, a)
		}
		release(0, a)
		release(1, b)
	}
}
