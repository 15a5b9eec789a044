package deploy_test

import (
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// BenchmarkSizingMemory measures relayd's resident memory with the
// default plugin set (docs/deploy.md, "Sizing"): the binary the
// Dockerfile's build stage makes, started on an empty store with no
// plugins (pool=0), then with every default plugin at pool 1, 2 and 4
// instances (a warm wasm cache: each set is started once before it is
// measured). Memory is read after relayd is ready, a forced GC
// (/debug/pprof/heap?gc=1) and a 5 s pause for the runtime to return
// freed pages: RssAnon (Go heap, stacks, plugin code and linear memory)
// and VmRSS (plus the mapped binary) from /proc, and the Go heap in use
// from /metrics. Run with -benchtime 1x.
func BenchmarkSizingMemory(b *testing.B) {
	bb := buildStage(b)
	for _, pool := range []int{0, 1, 2, 4} {
		b.Run(fmt.Sprintf("pool=%d", pool), func(b *testing.B) {
			plugins := ""
			if pool > 0 {
				plugins = poolCopy(b, bb.local("/src/bin/plugins-default"), pool)
			}
			data := b.TempDir()
			for range b.N {
				measureRSS(b, bb.local("/src/bin/relayd"), data, plugins) // fills the wasm cache
				m := measureRSS(b, bb.local("/src/bin/relayd"), data, plugins)
				b.ReportMetric(float64(m.anon)/(1<<20), "RssAnon-MiB")
				b.ReportMetric(float64(m.rss)/(1<<20), "VmRSS-MiB")
				b.ReportMetric(float64(m.heap)/(1<<20), "heap-inuse-MiB")
			}
		})
	}
}

// poolCopy copies the plugin set in dir with pool = n set in every
// plugin's settings.
func poolCopy(b *testing.B, dir string, n int) string {
	out := b.TempDir()
	entries, err := os.ReadDir(dir)
	if err != nil {
		b.Fatal(err)
	}
	for _, e := range entries {
		data, err := os.ReadFile(filepath.Join(dir, e.Name()))
		if err != nil {
			b.Fatal(err)
		}
		if strings.HasSuffix(e.Name(), ".toml") {
			data = append([]byte(fmt.Sprintf("pool = %d\n", n)), data...)
		}
		if err := os.WriteFile(filepath.Join(out, e.Name()), data, 0o644); err != nil {
			b.Fatal(err)
		}
	}
	return out
}

// memory is what measureRSS reads.
type memory struct {
	anon, rss int64 // RssAnon, VmRSS
	heap      int64 // the Go heap in use (go_memstats_heap_inuse_bytes)
}

// measureRSS starts relayd, waits until it is ready, forces a GC, waits 5
// s and returns its memory, then stops it.
func measureRSS(b *testing.B, bin, data, plugins string) memory {
	debug := "127.0.0.1:" + freePort(b)
	cfg := filepath.Join(b.TempDir(), "relayd.toml")
	if err := os.WriteFile(cfg, []byte(fmt.Sprintf("debug_listen = %q\n", debug)), 0o644); err != nil {
		b.Fatal(err)
	}
	args := []string{"-config", cfg, "-listen", "127.0.0.1:0", "-data", data}
	if plugins != "" {
		args = append(args, "-plugins", plugins)
	}
	cmd := exec.Command(bin, args...)
	logs := &lockedBuffer{}
	cmd.Stdout, cmd.Stderr = logs, logs
	if err := cmd.Start(); err != nil {
		b.Fatal(err)
	}
	defer func() {
		cmd.Process.Signal(syscall.SIGTERM)
		cmd.Wait()
	}()
	deadline := time.Now().Add(3 * time.Minute)
	for !strings.Contains(logs.String(), `msg="relayd ready"`) {
		if time.Now().After(deadline) {
			b.Fatalf("relayd not ready:\n%s", logs.String())
		}
		time.Sleep(50 * time.Millisecond)
	}
	resp, err := http.Get("http://" + debug + "/debug/pprof/heap?gc=1")
	if err != nil {
		b.Fatal(err)
	}
	resp.Body.Close()
	time.Sleep(5 * time.Second)
	status, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", cmd.Process.Pid))
	if err != nil {
		b.Fatal(err)
	}
	addr := regexp.MustCompile(`msg="relayd listening" addr=(\S+)`).FindStringSubmatch(logs.String())
	resp, err = http.Get("http://" + addr[1] + "/metrics")
	if err != nil {
		b.Fatal(err)
	}
	metrics, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	heap := regexp.MustCompile(`(?m)^go_memstats_heap_inuse_bytes (\S+)`).FindSubmatch(metrics)
	if heap == nil {
		b.Fatalf("no go_memstats_heap_inuse_bytes in /metrics")
	}
	h, _ := strconv.ParseFloat(string(heap[1]), 64)
	return memory{anon: statusKB(b, status, "RssAnon") << 10, rss: statusKB(b, status, "VmRSS") << 10, heap: int64(h)}
}

func statusKB(b *testing.B, status []byte, field string) int64 {
	m := regexp.MustCompile(`(?m)^` + field + `:\s+(\d+) kB`).FindSubmatch(status)
	if m == nil {
		b.Fatalf("no %s in /proc/PID/status", field)
	}
	n, _ := strconv.ParseInt(string(m[1]), 10, 64)
	return n
}

// freePort returns a loopback port nothing listens on right now.
func freePort(tb testing.TB) string {
	tb.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	defer ln.Close()
	_, port, _ := net.SplitHostPort(ln.Addr().String())
	return port
}
