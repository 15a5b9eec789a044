package cluster_test

import (
	"bufio"
	"context"
	"fmt"
	"log/slog"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"regexp"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/nbd-wtf/go-nostr"

	"github.com/relayd/relayd/host/config"
	"github.com/relayd/relayd/host/server"
	"github.com/relayd/relayd/internal/testing/natstest"
	"github.com/relayd/relayd/internal/testing/wasmbuild"
	wsc "github.com/relayd/relayd/internal/testing/wsclient"
)

// nodeEnv, set to a config file's path, makes the test binary run as a
// relayd node with that config (TestMain), so tests can SIGKILL and
// SIGSTOP a node.
const nodeEnv = "RELAYD_TEST_CLUSTER_NODE"

// TestMain runs a node (nodeEnv) or the tests, then removes the plugins
// the tests built.
func TestMain(m *testing.M) {
	if path := os.Getenv(nodeEnv); path != "" {
		os.Exit(runNode(path))
	}
	code := m.Run()
	wasmbuild.RemoveAll()
	os.Exit(code)
}

// runNode runs relayd from the config file at path until SIGTERM.
func runNode(path string) int {
	log := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
	cfg, err := (&config.Source{Path: path}).Load()
	if err != nil {
		log.Error("config", "err", err)
		return 2
	}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, syscall.SIGINT)
	defer stop()
	if err := server.Run(ctx, cfg, log, server.Hooks{Version: "test"}); err != nil {
		log.Error("relayd", "err", err)
		return 1
	}
	return 0
}

// proc is a relayd node running as a child process.
type proc struct {
	cmd  *exec.Cmd
	url  string
	logs *lockedBuffer
	done chan struct{}
	addr chan string // the listening address, once
}

type lockedBuffer struct {
	mu sync.Mutex
	b  []byte
}

func (l *lockedBuffer) add(s string) {
	l.mu.Lock()
	l.b = append(l.b, s...)
	l.mu.Unlock()
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return string(l.b)
}

// listening matches the log line of a node ready to serve: on a cluster
// node the plugin manager runs (pushed plugins), and until its first load
// the relay answers "error: starting".
var listening = regexp.MustCompile(`msg="relayd ready" addr=(\S+)`)

// procConfig writes node i's config file (data dir data) for the NATS
// cluster nc and returns its path.
func procConfig(t *testing.T, nc *natstest.Cluster, i int, data string) string {
	t.Helper()
	body := fmt.Sprintf("listen = \"127.0.0.1:0\"\ndata = %q\n\n[cluster]\nnats_url = %q\nnode = \"node%d\"\nreplicas = %d\npublish_timeout = %q\n",
		data, nc.URLs(), i, min(3, len(nc.Servers)), testPublishTimeout.String())
	path := filepath.Join(t.TempDir(), "relayd.toml")
	if err := os.WriteFile(path, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// startProc runs the test binary as a relayd node with the config at
// path, and waits until it is ready. It is killed when the test ends.
func startProc(t *testing.T, path string) *proc {
	t.Helper()
	p := spawnProc(t, path)
	p.waitReady(t)
	return p
}

// spawnProc starts the node without waiting for it (waitReady).
func spawnProc(t *testing.T, path string) *proc {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), nodeEnv+"="+path)
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	p := &proc{cmd: cmd, logs: &lockedBuffer{}, done: make(chan struct{}), addr: make(chan string, 1)}
	go func() {
		sc := bufio.NewScanner(stderr)
		sc.Buffer(make([]byte, 64<<10), 1<<20)
		for sc.Scan() {
			p.logs.add(sc.Text() + "\n")
			if m := listening.FindStringSubmatch(sc.Text()); m != nil {
				p.addr <- m[1]
			}
		}
		cmd.Wait()
		close(p.done)
	}()
	t.Cleanup(func() {
		cmd.Process.Signal(syscall.SIGCONT)
		cmd.Process.Kill()
		<-p.done
		if t.Failed() {
			t.Logf("node logs (%s):\n%s", path, p.logs.String())
		}
	})
	return p
}

// waitReady waits until the node listens.
func (p *proc) waitReady(t *testing.T) {
	t.Helper()
	select {
	case a := <-p.addr:
		p.url = "ws://" + a
	case <-p.done:
		t.Fatalf("relayd node exited:\n%s", p.logs.String())
	case <-time.After(2 * time.Minute):
		t.Fatalf("relayd node did not start:\n%s", p.logs.String())
	}
}

// kill SIGKILLs the node and waits for it to be gone.
func (p *proc) kill(t *testing.T) {
	t.Helper()
	if err := p.cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	select {
	case <-p.done:
	case <-time.After(wait):
		t.Fatal("killed node did not exit")
	}
}

// TestFailureNodeKilled: a node SIGKILLed while the others take EVENTs
// holds, after its restart, every event acknowledged meanwhile.
func TestFailureNodeKilled(t *testing.T) {
	nc := natstest.StartCluster(t, 3)
	nodes := startNodes(t, nc, 2)
	data := t.TempDir()
	cfg := procConfig(t, nc, 3, data)
	n3 := startProc(t, cfg)

	k := wsc.NewKey()
	const total = 400
	evs := make([]*nostr.Event, total)
	for i := range evs {
		evs[i] = k.Sign(t, 1, fmt.Sprintf("event %d", i), nostr.Now())
	}
	all := nostr.Filter{Authors: []string{k.PK}, Limit: 5000}
	// Node 3 applies the first events, then dies in the middle of the
	// rest: its last commit may be anywhere.
	oks := publishAll(t, nodes[0].URL, evs[:100])
	eventually(t, "node 3 applies", func() bool { return len(query(t, n3.url, all)) > 0 })
	pub := wsc.Dial(t, nodes[1].URL)
	for _, ev := range evs[100:] {
		pub.Send("EVENT", ev)
	}
	n3.kill(t)
	for range evs[100:] {
		oks = append(oks, pub.ReadOK())
	}
	for i, ok := range oks {
		if !ok.Accepted {
			t.Fatalf("event %d: %v", i, ok)
		}
	}
	n3 = startProc(t, cfg)
	eventually(t, "node 3 holds every acknowledged event after its restart", func() bool {
		return len(query(t, n3.url, all)) == total
	})
}

// TestFailureSlowNode: a node that stops applying (SIGSTOP: as slow as a
// node gets) does not slow the others: they take and replicate EVENTs
// meanwhile; once it runs again it catches up, and its lag metric says
// where it is.
func TestFailureSlowNode(t *testing.T) {
	nc := natstest.StartCluster(t, 3)
	nodes := startNodes(t, nc, 2)
	n3 := startProc(t, procConfig(t, nc, 3, t.TempDir()))
	if err := n3.cmd.Process.Signal(syscall.SIGSTOP); err != nil {
		t.Fatal(err)
	}
	k := wsc.NewKey()
	evs := make([]*nostr.Event, 300)
	for i := range evs {
		evs[i] = k.Sign(t, 1, fmt.Sprintf("event %d", i), nostr.Now())
	}
	for i, ok := range publishAll(t, nodes[0].URL, evs) {
		if !ok.Accepted {
			t.Fatalf("event %d with node 3 stopped: %v", i, ok)
		}
	}
	all := nostr.Filter{Authors: []string{k.PK}, Limit: 5000}
	eventually(t, "node 2 stores them while node 3 is stopped", func() bool { return len(query(t, nodes[1].URL, all)) == len(evs) })
	if err := n3.cmd.Process.Signal(syscall.SIGCONT); err != nil {
		t.Fatal(err)
	}
	eventually(t, "node 3 catches up", func() bool { return len(query(t, n3.url, all)) == len(evs) })
	want := metric(t, nodes[0], "relayd_cluster_applied_sequence")
	eventually(t, "node 3's metrics show it caught up", func() bool {
		page := scrapeURL(t, "http"+n3.url[2:]+"/metrics")
		seq, _ := page.Value("relayd_cluster_applied_sequence")
		pending, n := page.Value("relayd_cluster_consumer_pending")
		return n == 1 && seq >= want && pending == 0
	})
}
