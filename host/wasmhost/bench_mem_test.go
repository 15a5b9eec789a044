package wasmhost_test

import (
	"bytes"
	"os"
	"runtime/debug"
	"strconv"
	"sync"
	"testing"

	"github.com/relayd/relayd/host/wasmhost"
)

// BenchmarkWasmMemoryHog is the memory scenario of issue 7: a
// memory_mb = 64, pool = 2 plugin whose calls grow linear memory to the
// cap, get recycled and recurse without end, from two goroutines. It
// reports the process's peak RSS during the scenario (VmHWM, reset before
// each run through /proc/self/clear_refs) and its RSS once the plugin is
// closed, both over the RSS before the run. Linux only; run it alone:
//
//	go test -tags libsecp256k1 -run '^$' -bench WasmMemoryHog -benchtime 3x ./host/wasmhost/
func BenchmarkWasmMemoryHog(b *testing.B) {
	if _, err := os.Stat("/proc/self/clear_refs"); err != nil {
		b.Skip("needs Linux /proc")
	}
	var peak, after float64
	for b.Loop() {
		debug.FreeOSMemory()
		base := procKB(b, "VmRSS")
		if err := os.WriteFile("/proc/self/clear_refs", []byte("5"), 0); err != nil {
			b.Skip("cannot reset VmHWM: ", err)
		}
		m, _, err := newManager(b, wasmhost.Options{},
			guest{name: "hog", wasm: "hog", toml: "memory_mb = 64\npool = 2\ntimeout_ms = 2000"})
		if err != nil {
			b.Fatal(err)
		}
		p := plugin(b, m, "hog")
		var wg sync.WaitGroup
		for range 2 {
			wg.Go(func() {
				for _, kind := range []int{12, 12, 13, 2, 12, 13, 2, 12} {
					_, _ = p.Event(ctx, event(kind))
				}
			})
		}
		wg.Wait()
		peak += float64(procKB(b, "VmHWM")-base) / 1024
		m.Close()
		debug.FreeOSMemory()
		after += float64(procKB(b, "VmRSS")-base) / 1024
	}
	b.ReportMetric(peak/float64(b.N), "peak-MB")
	b.ReportMetric(after/float64(b.N), "after-MB")
}

// procKB reads a "kB" line of /proc/self/status.
func procKB(t testing.TB, key string) int64 {
	t.Helper()
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range bytes.Split(b, []byte("\n")) {
		if v, ok := bytes.CutPrefix(line, []byte(key+":")); ok {
			n, err := strconv.ParseInt(string(bytes.TrimSpace(bytes.TrimSuffix(bytes.TrimSpace(v), []byte("kB")))), 10, 64)
			if err != nil {
				t.Fatal(err)
			}
			return n
		}
	}
	t.Fatalf("no %s in /proc/self/status", key)
	return 0
}
