package wasmhost

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"os"
	"path/filepath"
	"runtime/debug"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/nbd-wtf/go-nostr"

	"github.com/relayd/relayd/host/policy"
)

// TestWasmMemoryBound hammers hog.wat (memory_mb = 64, pool = 2) from four
// goroutines with calls that grow linear memory by 40 MiB and fill it
// (each leaves its instance to be recycled), grow it to the cap, and
// recurse without end. The plugin's committed linear memory plus stack
// budgets, read from its allocator's account, never pass pool × memory_mb;
// everything is unmapped once the plugin closes; and the process's peak
// RSS over the run stays within that bound plus 64 MiB for the rest of
// the process (before linear memory left the Go heap it reached ~450-500
// MB here).
func TestWasmMemoryBound(t *testing.T) {
	const memoryMB, pool = 64, 2
	p := loadTestPlugin(t, "hog", "memory_mb = 64\npool = 2\ntimeout_ms = 5000")
	bound := int64(pool * memoryMB << 20)
	if p.acct.limit != bound {
		t.Fatalf("account limit: got %d, want pool × memory_mb = %d", p.acct.limit, bound)
	}
	resetPeakRSS(t)
	base := procKB(t, "VmRSS")
	var wg sync.WaitGroup
	for g := range 4 {
		wg.Go(func() {
			for i := range 3 {
				kind := []int{12, 12, 13, 2}[(g+i)%4]
				p.br.reset() // keep the pressure on: no fail-fast
				_, _ = p.Event(context.Background(), eventOfKind(kind))
			}
		})
	}
	wg.Wait()
	if peak := p.acct.peak.Load(); peak > bound || peak < 40<<20 {
		t.Errorf("peak committed memory: got %d MiB, want at least the 40 MiB a call commits and at most %d MiB",
			peak>>20, bound>>20)
	}
	peakRSS := (procKB(t, "VmHWM") - base) << 10
	t.Logf("peak committed %d MiB, peak RSS over the run %d MiB", p.acct.peak.Load()>>20, peakRSS>>20)
	if peakRSS > bound+64<<20 {
		t.Errorf("peak RSS over the run: got %d MiB, want at most %d MiB", peakRSS>>20, (bound+64<<20)>>20)
	}
	p.close(0, true)
	if used := p.acct.used.Load(); used != 0 {
		t.Errorf("after close: %d bytes still committed", used)
	}
}

// TestWasmMemoryGrowFails: a grow past the account's limit fails in the
// guest (memory.grow returns -1, hog.wat traps) instead of committing
// memory, while every instance still holds its share.
func TestWasmMemoryGrowFails(t *testing.T) {
	p := loadTestPlugin(t, "hog", "memory_mb = 64\npool = 1\ntimeout_ms = 5000")
	p.acct.limit = p.acct.used.Load() + 8<<20 // room for 8 MiB more
	_, err := p.Event(context.Background(), eventOfKind(13))
	if !errors.Is(err, ErrTrap) {
		t.Fatalf("growing past the account: got %v, want a trap after memory.grow failed", err)
	}
	if peak := p.acct.peak.Load(); peak > p.acct.limit {
		t.Errorf("peak %d over the limit %d", peak, p.acct.limit)
	}
}

// reset forgets every failure and trip.
func (b *breaker) reset() {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.fails = [tripFailures]int64{}
	b.until.Store(0)
}

// loadTestPlugin loads testdata/wat/NAME.wasm with the settings toml
// through a Manager and returns it; the Manager closes with the test.
func loadTestPlugin(t *testing.T, name, toml string) *Plugin {
	t.Helper()
	dir := t.TempDir()
	bin, err := os.ReadFile(filepath.Join("testdata", "wat", name+".wasm"))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, name+".wasm"), bin, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, name+".toml"), []byte(toml), 0o644); err != nil {
		t.Fatal(err)
	}
	m, err := NewManager(Options{Dir: dir, Logger: slog.New(slog.DiscardHandler), DrainGrace: time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { m.Close() })
	if err := m.Load(context.Background()); err != nil {
		t.Fatal(err)
	}
	return m.plugins[name]
}

func eventOfKind(kind int) *policy.EventInput {
	ev := &nostr.Event{Kind: kind, Content: "x"}
	return &policy.EventInput{Session: &policy.Session{ID: 1}, Event: ev, Raw: []byte(`{}`)}
}

// resetPeakRSS resets the process's VmHWM (Linux: /proc/self/clear_refs).
func resetPeakRSS(t *testing.T) {
	t.Helper()
	debug.FreeOSMemory()
	if err := os.WriteFile("/proc/self/clear_refs", []byte("5"), 0); err != nil {
		t.Skip("cannot reset VmHWM: ", err)
	}
}

// procKB reads a "kB" line of /proc/self/status.
func procKB(t *testing.T, key string) int64 {
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
