package main

import (
	"fmt"
	"path/filepath"
	"syscall"
	"testing"
	"time"
)

// benchEvents is the size of the benchmark dump.
const benchEvents = 50_000

// benchFile writes a dump of benchEvents signed notes (contents of 10 to
// 1500 bytes, 1 to 3 tags) for one benchmark.
func benchFile(b *testing.B) string {
	g := newFixtureGen(b, 50, 200)
	g.notes(benchEvents)
	return g.write(b.TempDir()).path
}

// cpuTime is the CPU time (user and system) this process used so far.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// BenchmarkDataImport imports the dump into a new data dir per iteration,
// with and without -skip-verify, and reports events/s and the CPU time of
// the whole process per event. Run with -benchtime 1x.
func BenchmarkDataImport(b *testing.B) {
	file := benchFile(b)
	for _, skip := range []bool{false, true} {
		b.Run(fmt.Sprintf("skip-verify=%v", skip), func(b *testing.B) {
			var wall, cpu time.Duration
			for range b.N {
				args := []string{"import", "-data", filepath.Join(b.TempDir(), "data"), "-progress", "0"}
				if skip {
					args = append(args, "-skip-verify")
				}
				c0, t0 := cpuTime(), time.Now()
				code, out, stderr := relaydRun(append(args, file)...)
				wall, cpu = wall+time.Since(t0), cpu+cpuTime()-c0
				if rows, _ := summary(b, out); code != 0 || rows["stored"] != benchEvents {
					b.Fatalf("import: exit %d\n%s%s", code, out, stderr)
				}
			}
			n := float64(b.N * benchEvents)
			b.ReportMetric(n/wall.Seconds(), "events/s")
			b.ReportMetric(float64(cpu.Microseconds())/n, "cpu-µs/event")
		})
	}
}

// BenchmarkDataExport exports the imported dump to a file and reports
// events/s.
func BenchmarkDataExport(b *testing.B) {
	data := filepath.Join(b.TempDir(), "data")
	if code, out, stderr := relaydRun("import", "-data", data, "-skip-verify", "-progress", "0", benchFile(b)); code != 0 {
		b.Fatalf("import: exit %d\n%s%s", code, out, stderr)
	}
	out := filepath.Join(b.TempDir(), "out.jsonl")
	var wall, cpu time.Duration
	b.ResetTimer()
	for range b.N {
		c0, t0 := cpuTime(), time.Now()
		if code, _, stderr := relaydRun("export", "-data", data, "-progress", "0", out); code != 0 {
			b.Fatalf("export: exit %d\n%s", code, stderr)
		}
		wall, cpu = wall+time.Since(t0), cpu+cpuTime()-c0
	}
	n := float64(b.N * benchEvents)
	b.ReportMetric(n/wall.Seconds(), "events/s")
	b.ReportMetric(float64(cpu.Microseconds())/n, "cpu-µs/event")
}
