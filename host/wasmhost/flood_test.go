package wasmhost_test

import (
	"regexp"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/relayd/relayd/host/policy"
	"github.com/relayd/relayd/host/wasmhost"
)

// errorCount is a policy.Observer that counts the failed calls of every
// entry.
type errorCount struct{ n atomic.Uint64 }

func (c *errorCount) Observe(entries []policy.Entry) []policy.Recorder {
	recs := make([]policy.Recorder, len(entries))
	for i := range recs {
		recs[i] = c
	}
	return recs
}

func (c *errorCount) Record(_ policy.Hook, _ policy.Action, _ policy.Prefix, err error, _ time.Duration) {
	if err != nil {
		c.n.Add(1)
	}
}

// TestWasmLogFlood hammers a plugin that traps on every call with 4,000
// calls through the chain (traps, then calls refused by the breaker, and
// any that find the pool busy). The host writes the first line of each
// kind of failure, counts the rest, and at the end of the window (here:
// Close) one summary line whose counts add up, with the first lines, to
// every failed call, and which carries the last error.
func TestWasmLogFlood(t *testing.T) {
	errs := &errorCount{}
	holder := &policy.Holder{}
	holder.Observe(errs)
	m, logs, err := newManager(t, wasmhost.Options{Holder: holder}, guest{name: "trap", wasm: "trap", toml: "pool = 1"})
	if err != nil {
		t.Fatal(err)
	}
	ch := m.Holder().Load()
	var wg sync.WaitGroup
	for range 4 {
		wg.Go(func() {
			for range 1000 {
				ch.Event(ctx, event(13))
			}
		})
	}
	wg.Wait()
	failures := errs.n.Load()
	if err := m.Close(); err != nil {
		t.Fatal(err)
	}
	out := logs.String()
	first := grepLines(out, `msg="policy failed"`)
	if len(first) < 2 || len(first) > 9 {
		t.Errorf("got %d failure lines; want one per kind (at least trap and tripped, at most 9):\n%s", len(first), strings.Join(first, "\n"))
	}
	for _, kind := range []string{"guest trapped", "plugin tripped"} {
		if n := len(grepLines(strings.Join(first, "\n"), kind)); n != 1 {
			t.Errorf("%d lines for %q; want the first one only", n, kind)
		}
	}
	sums := grepLines(out, "plugin log lines suppressed")
	if len(sums) != 1 {
		t.Fatalf("got %d summary lines, want 1:\n%s", len(sums), out)
	}
	suppressed, byKind := parseSummary(t, sums[0])
	if got := uint64(len(first) + suppressed); got != failures {
		t.Errorf("first lines %d + suppressed %d = %d; want the %d failed calls", len(first), suppressed, got, failures)
	}
	if byKind["tripped"] == 0 || !strings.Contains(sums[0], "plugin=trap") || !strings.Contains(sums[0], `last_err="plugin[trap]`) {
		t.Errorf("summary lacks the tripped count, the plugin or the last error: %s", sums[0])
	}
	if n := len(grepLines(out, "trap")); n > 20 {
		t.Errorf("%d log lines mention the plugin for %d failed calls; want a handful", n, failures)
	}
}

// TestWasmLogFloodWindow: the summary comes at the end of each window,
// not only at Close.
func TestWasmLogFloodWindow(t *testing.T) {
	m, logs, err := newManager(t, wasmhost.Options{LogSummaryEvery: 20 * time.Millisecond},
		guest{name: "trap", wasm: "trap", toml: "pool = 1"})
	if err != nil {
		t.Fatal(err)
	}
	ch := m.Holder().Load()
	for range 10 {
		ch.Event(ctx, event(13))
	}
	waitFor(t, logs, "plugin log lines suppressed")
	if _, byKind := parseSummary(t, grepLines(logs.String(), "plugin log lines suppressed")[0]); byKind["trap"]+byKind["tripped"] == 0 {
		t.Errorf("summary counts nothing: %v", byKind)
	}
}

var (
	suppressedRE = regexp.MustCompile(`suppressed=(\d+)`)
	countRE      = regexp.MustCompile(`counts\.(\w+)=(\d+)`)
)

// parseSummary returns a summary line's total and its counts by kind,
// checking that they add up.
func parseSummary(t *testing.T, line string) (int, map[string]int) {
	t.Helper()
	m := suppressedRE.FindStringSubmatch(line)
	if m == nil {
		t.Fatalf("no suppressed= in %q", line)
	}
	total, _ := strconv.Atoi(m[1])
	byKind := map[string]int{}
	sum := 0
	for _, c := range countRE.FindAllStringSubmatch(line, -1) {
		n, _ := strconv.Atoi(c[2])
		byKind[c[1]] = n
		sum += n
	}
	if sum != total {
		t.Errorf("counts add up to %d, suppressed=%d: %s", sum, total, line)
	}
	return total, byKind
}
