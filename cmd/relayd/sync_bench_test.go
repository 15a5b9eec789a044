package main

import (
	"path/filepath"
	"testing"
	"time"

	"github.com/relayd/relayd/internal/testing/relaydtest"
)

// benchSyncEvents is how many events each side lacks in BenchmarkSync.
const benchSyncEvents = 10_000

// BenchmarkSync runs `relayd sync -dir both` between a data dir and a
// running relayd (in this process too) that each hold benchSyncEvents
// events the other lacks and 1000 shared: it reports the events moved per
// second (both ways), the CPU time of the whole process (both relays) per
// event moved, and the bytes of the reconciliation; then a second sync,
// which finds nothing to move. Run with -benchtime 1x.
func BenchmarkSync(b *testing.B) {
	g := newFixtureGen(b, 77, 100)
	shared, remote, local := g.notes(1000), g.notes(benchSyncEvents), g.notes(benchSyncEvents)
	var wall, again, cpu time.Duration
	var rows map[string]int64
	for range b.N {
		b.StopTimer()
		r := relaydtest.Start(b, relaydtest.Default(""))
		data := filepath.Join(b.TempDir(), "data")
		put(b, r.URL, shared, remote)
		put(b, data, shared, local)
		b.StartTimer()
		c0, t0 := cpuTime(), time.Now()
		code, out, stderr := relaydRun("sync", "-data", data, "-dir", "both", "-progress", "0", r.URL)
		wall, cpu = wall+time.Since(t0), cpu+cpuTime()-c0
		if rows, _ = syncSummary(out); code != 0 || rows["down-stored"] != benchSyncEvents || rows["up-accepted"] != benchSyncEvents {
			b.Fatalf("sync: exit %d\n%s%s", code, out, stderr)
		}
		t1 := time.Now()
		code, out, stderr = relaydRun("sync", "-data", data, "-dir", "both", "-progress", "0", r.URL)
		again += time.Since(t1)
		if again, _ := syncSummary(out); code != 0 || again["have"]+again["need"] != 0 {
			b.Fatalf("second sync: exit %d\n%s%s", code, out, stderr)
		}
		b.StopTimer()
		r.Stop()
	}
	n := float64(b.N * 2 * benchSyncEvents)
	b.ReportMetric(n/wall.Seconds(), "events/s")
	b.ReportMetric(float64(cpu.Microseconds())/n, "cpu-µs/event")
	b.ReportMetric(float64(rows["rounds"]), "rounds")
	b.ReportMetric(float64(rows["bytes-sent"]+rows["bytes-received"]), "neg-bytes")
	b.ReportMetric(float64(again.Milliseconds())/float64(b.N), "ms/no-op-sync")
}
