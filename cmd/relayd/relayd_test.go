package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/gobwas/ws"
	"github.com/nbd-wtf/go-nostr"

	wsc "github.com/relayd/relayd/internal/testing/wsclient"
)

// TestMain lets the test binary act as relayd, so integration tests run
// the real command in a child process they can signal and kill.
func TestMain(m *testing.M) {
	if os.Getenv("RELAYD_TEST_MAIN") == "1" { // run as relayd itself, arguments and all (plugin_new_test.go)
		os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
	}
	if env := os.Getenv("RELAYD_TEST_ARGS"); env != "" {
		var args []string
		json.Unmarshal([]byte(env), &args)
		os.Exit(run(args, os.Stdout, os.Stderr))
	}
	os.Exit(m.Run())
}

// proc is a relayd child process.
type proc struct {
	cmd  *exec.Cmd
	url  string
	logs *lockedBuffer
	done chan struct{} // closed when the process exited; err is then set
	err  error
}

type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

var listenRE = regexp.MustCompile(`msg="relayd listening" addr=(\S+)`)

// startRelayd runs relayd with args (plus -listen 127.0.0.1:0) and waits
// until it listens.
func startRelayd(t *testing.T, args ...string) *proc {
	t.Helper()
	args = append([]string{"-listen", "127.0.0.1:0"}, args...)
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	enc, _ := json.Marshal(args)
	cmd.Env = append(os.Environ(), "RELAYD_TEST_ARGS="+string(enc))
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	p := &proc{cmd: cmd, logs: &lockedBuffer{}, done: make(chan struct{})}
	addr := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			line := sc.Text()
			p.logs.Write([]byte(line + "\n"))
			if m := listenRE.FindStringSubmatch(line); m != nil {
				addr <- m[1]
			}
		}
		p.err = cmd.Wait()
		close(p.done)
	}()
	t.Cleanup(func() {
		cmd.Process.Kill()
		<-p.done
		if t.Failed() {
			t.Logf("relayd logs:\n%s", p.logs.String())
		}
	})
	select {
	case a := <-addr:
		p.url = "ws://" + a
	case <-p.done:
		t.Fatalf("relayd exited: %v\n%s", p.err, p.logs.String())
	case <-time.After(30 * time.Second):
		t.Fatalf("relayd did not start:\n%s", p.logs.String())
	}
	return p
}

func writeConfig(t *testing.T, body string) string {
	t.Helper()
	f := filepath.Join(t.TempDir(), "relayd.toml")
	if err := os.WriteFile(f, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
	return f
}

// TestRelaydLargeEventsRoundTrip: 5 KB, 100 KB and 500 KB events (limits
// raised in the config file) come back byte-identical, live and stored.
func TestRelaydLargeEventsRoundTrip(t *testing.T) {
	cfg := writeConfig(t, "max_message_bytes = 1048576\nmax_content_bytes = 600000\n")
	p := startRelayd(t, "-data", t.TempDir(), "-config", cfg)
	sub, pub := wsc.Dial(t, p.url), wsc.Dial(t, p.url)
	sub.Req("big", nostr.Filter{Kinds: []int{1}})
	k := wsc.NewKey()
	for _, size := range []int{5_000, 100_000, 500_000} {
		t.Run(fmt.Sprint(size), func(t *testing.T) {
			content := mixedContent(size)
			ev := k.Sign(t, 1, content, nostr.Now(), nostr.Tag{"t", "big"})
			want, _ := ev.MarshalJSON()
			if ok := pub.Publish(ev); !ok.Accepted {
				t.Fatalf("publish: %v", ok)
			}
			live := sub.Expect("EVENT")
			if !bytes.Equal(live[2], want) {
				t.Fatalf("live copy differs (%d vs %d bytes)", len(live[2]), len(want))
			}
			pub.Send("REQ", "get", nostr.Filter{IDs: []string{ev.ID}})
			stored := pub.Expect("EVENT")
			pub.Expect("EOSE")
			if !bytes.Equal(stored[2], want) {
				t.Fatalf("stored copy differs (%d vs %d bytes)", len(stored[2]), len(want))
			}
			if got := wsc.Event(t, stored); !got.CheckID() || got.Content != content {
				t.Fatal("stored event does not verify")
			}
		})
	}
}

// mixedContent is n bytes of text with escapes and multi-byte UTF-8.
func mixedContent(n int) string {
	var b strings.Builder
	parts := []string{"plain text ", "\"quoted\" ", "back\\slash ", "tab\t", "new\nline ", "é", "☃", "𝄞", "<&>"}
	for i := 0; b.Len() < n; i++ {
		b.WriteString(parts[i%len(parts)])
	}
	s := b.String()
	for len(s) > n { // cut on a rune boundary
		s = s[:len(s)-1]
	}
	return strings.ToValidUTF8(s, "")
}

// TestRelaydSlowReaderCutOthersUnaffected: a subscriber that stops reading
// is disconnected at its queue cap; another subscriber keeps receiving
// every event and the publisher gets every OK.
func TestRelaydSlowReaderCutOthersUnaffected(t *testing.T) {
	cfg := writeConfig(t, "queue_bytes = 1048576\n")
	p := startRelayd(t, "-data", t.TempDir(), "-config", cfg)
	slow := dialSmallBuffer(t, p.url)
	slow.Req("s", nostr.Filter{Kinds: []int{1}})
	fast, pub := wsc.Dial(t, p.url), wsc.Dial(t, p.url)
	fast.Req("s", nostr.Filter{Kinds: []int{1}})
	const n = 300
	content := strings.Repeat("x", 50_000) // 300 x 50 KB = 15 MB
	k := wsc.NewKey()
	got := make(chan int)
	go func() {
		count := 0
		for count < n {
			f, err := fast.Frame()
			if err != nil {
				break
			}
			if bytes.HasPrefix(f.Payload, []byte(`["EVENT"`)) {
				count++
			}
		}
		got <- count
	}()
	for i := 0; i < n; i++ {
		if ok := pub.Publish(k.Sign(t, 1, fmt.Sprint(i, content), nostr.Now())); !ok.Accepted {
			t.Fatalf("publish %d: %v", i, ok)
		}
	}
	if c := <-got; c != n {
		t.Fatalf("fast subscriber got %d of %d", c, n)
	}
	// The slow one was cut: reading what is buffered ends in a close
	// frame (policy violation) or a reset, well before n events.
	events := 0
	for {
		f, err := slow.Frame()
		if err != nil {
			break
		}
		if f.Header.OpCode == ws.OpClose {
			break
		}
		events++
	}
	if events >= n {
		t.Fatalf("slow subscriber received all %d events; it should have been cut", events)
	}
	if !strings.Contains(p.logs.String(), "disconnecting slow reader") {
		t.Fatal("no log line for the slow reader")
	}
}

// dialSmallBuffer connects with a tiny receive buffer, so the relay's queue
// fills after a few hundred KB instead of the kernel's megabytes.
func dialSmallBuffer(t *testing.T, url string) *wsc.Client {
	nd := net.Dialer{Control: func(network, address string, c syscall.RawConn) error {
		var serr error
		c.Control(func(fd uintptr) { serr = syscall.SetsockoptInt(int(fd), syscall.SOL_SOCKET, syscall.SO_RCVBUF, 4096) })
		return serr
	}}
	return wsc.DialWith(t, url, nd.DialContext)
}

// TestRelaydClientVanishingMidStream: a subscriber that resets its TCP
// connection while events stream to it affects nobody else.
func TestRelaydClientVanishingMidStream(t *testing.T) {
	p := startRelayd(t, "-data", t.TempDir())
	gone, stay, pub := wsc.Dial(t, p.url), wsc.Dial(t, p.url), wsc.Dial(t, p.url)
	gone.Req("s", nostr.Filter{Kinds: []int{1}})
	stay.Req("s", nostr.Filter{Kinds: []int{1}})
	k := wsc.NewKey()
	const n = 200
	for i := 0; i < n; i++ {
		if i == n/2 {
			gone.Reset()
		}
		if ok := pub.Publish(k.Sign(t, 1, fmt.Sprint(i), nostr.Now())); !ok.Accepted {
			t.Fatalf("publish %d: %v", i, ok)
		}
	}
	for i := 0; i < n; i++ {
		if ev := wsc.Event(t, stay.Expect("EVENT")); ev.Content != fmt.Sprint(i) {
			t.Fatalf("delivery %d: got %q", i, ev.Content)
		}
	}
}

// TestRelaydCrashKeepsAcknowledgedEvents: every event that got OK true is
// present after relayd is SIGKILLed mid-ingest and restarted.
func TestRelaydCrashKeepsAcknowledgedEvents(t *testing.T) {
	data := t.TempDir()
	p := startRelayd(t, "-data", data)
	var mu sync.Mutex
	var acked []string
	var wg sync.WaitGroup
	enough := make(chan struct{})
	var once sync.Once
	for w := 0; w < 4; w++ {
		c := wsc.Dial(t, p.url)
		k := wsc.NewKey()
		wg.Add(1)
		go func() {
			defer wg.Done()
			// Pipeline: keep 50 EVENTs in flight until the relay dies.
			go func() {
				for i := 0; ; i++ {
					ev := &nostr.Event{Kind: 1, Content: fmt.Sprint("crash ", i), CreatedAt: nostr.Now(), Tags: nostr.Tags{}}
					ev.Sign(k.SK)
					b, _ := json.Marshal([]any{"EVENT", ev})
					if _, err := c.NC.Write(wsc.Frame(b)); err != nil {
						return
					}
				}
			}()
			for {
				f, err := c.Frame()
				if err != nil {
					return
				}
				var m []json.RawMessage
				json.Unmarshal(f.Payload, &m)
				var accepted bool
				if wsc.Label(m) == "OK" && json.Unmarshal(m[2], &accepted) == nil && accepted {
					mu.Lock()
					acked = append(acked, wsc.Str(m, 1))
					if len(acked) >= 1000 {
						once.Do(func() { close(enough) })
					}
					mu.Unlock()
				}
			}
		}()
	}
	select {
	case <-enough:
	case <-time.After(60 * time.Second):
		t.Fatal("relay did not acknowledge 1000 events")
	}
	p.cmd.Process.Signal(syscall.SIGKILL)
	<-p.done
	wg.Wait()
	mu.Lock()
	ids := append([]string(nil), acked...)
	mu.Unlock()

	p2 := startRelayd(t, "-data", data)
	c := wsc.Dial(t, p2.url)
	found := 0
	for i := 0; i < len(ids); i += 500 {
		batch := ids[i:min(i+500, len(ids))]
		found += len(c.Req(fmt.Sprint("q", i), nostr.Filter{IDs: batch, Limit: len(batch)}))
	}
	if found != len(ids) {
		t.Fatalf("after the crash %d of %d acknowledged events are stored", found, len(ids))
	}
	t.Logf("%d acknowledged events all present after SIGKILL", len(ids))
}

// TestRelaydGracefulShutdown: SIGTERM sends connected clients a close
// frame (1001), exits 0, and leaves a store that opens again with its data.
func TestRelaydGracefulShutdown(t *testing.T) {
	data := t.TempDir()
	p := startRelayd(t, "-data", data)
	c := wsc.Dial(t, p.url)
	ev := wsc.NewKey().Sign(t, 1, "kept", nostr.Now())
	c.Publish(ev)
	c.Req("s", nostr.Filter{Kinds: []int{1}})
	p.cmd.Process.Signal(syscall.SIGTERM)
	f, err := c.Frame()
	if err != nil || f.Header.OpCode != ws.OpClose {
		t.Fatalf("got %v %v, want a close frame", f.Header.OpCode, err)
	}
	if code := ws.StatusCode(uint16(f.Payload[0])<<8 | uint16(f.Payload[1])); code != ws.StatusGoingAway {
		t.Fatalf("close code %d, want 1001", code)
	}
	select {
	case <-p.done:
		if p.err != nil {
			t.Fatalf("relayd exit: %v", p.err)
		}
	case <-time.After(20 * time.Second):
		t.Fatal("relayd did not exit")
	}
	p2 := startRelayd(t, "-data", data)
	if got := wsc.Dial(t, p2.url).Req("s", nostr.Filter{IDs: []string{ev.ID}}); len(got) != 1 {
		t.Fatal("event lost across a clean restart")
	}
}

func TestParseFlags(t *testing.T) {
	cfg := writeConfig(t, "listen = \"127.0.0.1:1111\"\nmax_limit = 77\ndefault_limit = 50\nname = \"from file\"\n")
	tests := []struct {
		name    string
		args    []string
		listen  string
		limit   int
		wantErr string
	}{
		{"defaults", nil, "127.0.0.1:7447", 5000, ""},
		{"file", []string{"-config", cfg}, "127.0.0.1:1111", 77, ""},
		{"flag overrides file", []string{"-config", cfg, "-listen", "127.0.0.1:2222"}, "127.0.0.1:2222", 77, ""},
		{"missing file", []string{"-config", "/nonexistent.toml"}, "", 0, "no such file"},
		{"stray argument", []string{"extra"}, "", 0, "unexpected argument"},
		{"removed -trust-proxy", []string{"-trust-proxy"}, "", 0, "trusted_proxies"},
		{"removed -trust_proxy=true", []string{"-trust_proxy=true"}, "", 0, "trusted_proxies"},
		{"removed trust_proxy in the file", []string{"-config", writeConfig(t, "trust_proxy = true\n")}, "", 0, "trusted_proxies"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c, _, err := parseFlags(tc.args, io.Discard)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("got %v, want error containing %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if c.Listen != tc.listen || c.MaxLimit != tc.limit {
				t.Fatalf("got listen %s limit %d, want %s %d", c.Listen, c.MaxLimit, tc.listen, tc.limit)
			}
		})
	}
	c, _, err := parseFlags([]string{"-accept-store-rollback"}, io.Discard)
	if err != nil || !c.AcceptStoreRollback {
		t.Fatalf("-accept-store-rollback: got %v, %v", c.AcceptStoreRollback, err)
	}
	bad := writeConfig(t, "max_limit = 10\ndefault_limit = 20\nbogus_key = 1\n")
	if _, _, err := parseFlags([]string{"-config", bad}, io.Discard); err == nil || !strings.Contains(err.Error(), "bogus_key") {
		t.Fatalf("unknown key: got %v", err)
	}
}

// TestRelaydSIGHUPReloadsPlugins: SIGHUP makes the plugin manager rescan
// its directory without restarting the relay.
func TestRelaydSIGHUPReloadsPlugins(t *testing.T) {
	p := startRelayd(t, "-data", t.TempDir(), "-plugins", t.TempDir())
	c := wsc.Dial(t, p.url)
	p.cmd.Process.Signal(syscall.SIGHUP)
	deadline := time.Now().Add(20 * time.Second)
	for !strings.Contains(p.logs.String(), "reloading plugins") {
		if time.Now().After(deadline) {
			t.Fatal("no reload after SIGHUP")
		}
		time.Sleep(20 * time.Millisecond)
	}
	if ok := c.Publish(wsc.NewKey().Sign(t, 1, "still connected", nostr.Now())); !ok.Accepted {
		t.Fatalf("after SIGHUP: %v", ok)
	}
}
