package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/nbd-wtf/go-nostr"
	"golang.org/x/sys/unix"

	wsc "github.com/relayd/relayd/internal/testing/wsclient"
)

// stopRelayd sends SIGTERM and waits for a clean exit.
func stopRelayd(t *testing.T, p *proc) {
	t.Helper()
	p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-p.done:
		if p.err != nil {
			t.Fatalf("relayd exit: %v\n%s", p.err, p.logs.String())
		}
	case <-time.After(30 * time.Second):
		t.Fatal("relayd did not exit")
	}
}

// killRelayd sends SIGKILL and waits for the process to end.
func killRelayd(p *proc) {
	p.cmd.Process.Signal(syscall.SIGKILL)
	<-p.done
}

// runRelaydToExit runs relayd with args and returns its exit code and log,
// for a relayd that must refuse to start.
func runRelaydToExit(t *testing.T, args ...string) (int, string) {
	t.Helper()
	args = append([]string{"-listen", "127.0.0.1:0"}, args...)
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	enc, _ := json.Marshal(args)
	cmd.Env = append(os.Environ(), "RELAYD_TEST_ARGS="+string(enc))
	var logs bytes.Buffer
	cmd.Stderr = &logs
	done := make(chan error, 1)
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			return ee.ExitCode(), logs.String()
		}
		return 0, logs.String()
	case <-time.After(30 * time.Second):
		cmd.Process.Kill()
		t.Fatalf("relayd did not exit:\n%s", logs.String())
		return 0, ""
	}
}

// expectClosed reads the reply to a REQ and fails unless it is CLOSED with
// an "error:" reason.
func expectClosed(t *testing.T, c *wsc.Client, subID string) {
	t.Helper()
	for {
		msg := c.Read()
		switch wsc.Label(msg) {
		case "EVENT":
			continue // read before the damage
		case "CLOSED":
			if wsc.Str(msg, 1) != subID || !strings.HasPrefix(wsc.Str(msg, 2), "error: ") {
				t.Fatalf("got CLOSED %q %q, want %q with an error: reason", wsc.Str(msg, 1), wsc.Str(msg, 2), subID)
			}
			return
		default:
			t.Fatalf("got %s, want CLOSED", msg)
		}
	}
}

// flipIn inverts the first byte of the value log data after the first
// occurrence of marker in file.
func flipIn(t *testing.T, file, marker string) {
	t.Helper()
	b, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	i := bytes.Index(b, []byte(marker))
	if i < 0 {
		t.Fatalf("%q not in %s", marker, file)
	}
	b[i+len(marker)] ^= 0xff
	if err := os.WriteFile(file, b, 0o644); err != nil {
		t.Fatal(err)
	}
}

// TestRelaydDamagedStore: an event whose bytes changed in badger's value
// log is never served. A REQ that reaches it gets CLOSED "error: ..."
// instead of events and EOSE, the process lives on, other clients are
// served, and publishing the event again stores it again.
func TestRelaydDamagedStore(t *testing.T) {
	data := t.TempDir()
	p := startRelayd(t, "-data", data)
	c := wsc.Dial(t, p.url)
	k := wsc.NewKey()
	var evs []*nostr.Event
	for i := range 20 {
		ev := k.Sign(t, 1, fmt.Sprintf("damage test %02d %s", i, strings.Repeat("x", 300)), nostr.Now())
		if ok := c.Publish(ev); !ok.Accepted {
			t.Fatalf("publish: %v", ok)
		}
		evs = append(evs, ev)
	}
	stopRelayd(t, p)
	// Once more, so the values are in a value log file badger does not
	// reread when it opens.
	stopRelayd(t, startRelayd(t, "-data", data))
	victim := evs[7]
	flipIn(t, filepath.Join(data, "events", "000001.vlog"), "damage test 07")

	p = startRelayd(t, "-data", data)
	bad, other := wsc.Dial(t, p.url), wsc.Dial(t, p.url)
	bad.Send("REQ", "all", nostr.Filter{Kinds: []int{1}})
	expectClosed(t, bad, "all")
	bad.Send("REQ", "one", nostr.Filter{IDs: []string{victim.ID}})
	expectClosed(t, bad, "one")

	if got := other.Req("fine", nostr.Filter{IDs: []string{evs[3].ID}}); len(got) != 1 || got[0].ID != evs[3].ID {
		t.Fatalf("another client's REQ: got %d events", len(got))
	}
	if ok := other.Publish(k.Sign(t, 1, "after the damage", nostr.Now())); !ok.Accepted {
		t.Fatalf("publish after the damage: %v", ok)
	}
	if ok := bad.Publish(victim); !ok.Accepted || ok.Reason != "" {
		t.Fatalf("publishing the damaged event again: got %v, want it stored (not a duplicate)", ok)
	}
	if got := bad.Req("again", nostr.Filter{Kinds: []int{1}}); len(got) != len(evs)+1 {
		t.Fatalf("after publishing it again: %d events, want %d", len(got), len(evs)+1)
	}
	select {
	case <-p.done:
		t.Fatalf("relayd exited: %v", p.err)
	default:
	}
	waitLog(t, p, "query failed")
}

// TestRelaydStoreRollback: a store whose MANIFEST lost its changes opens
// in badger as an empty store. relayd refuses to start against the store's
// rollback record, saying how to go on; -accept-store-rollback starts it.
func TestRelaydStoreRollback(t *testing.T) {
	data := t.TempDir()
	p := startRelayd(t, "-data", data)
	c := wsc.Dial(t, p.url)
	k := wsc.NewKey()
	for i := range 5 {
		if ok := c.Publish(k.Sign(t, 1, fmt.Sprint("kept ", i), nostr.Now())); !ok.Accepted {
			t.Fatalf("publish: %v", ok)
		}
	}
	stopRelayd(t, p)
	if err := os.Truncate(filepath.Join(data, "events", "MANIFEST"), 8); err != nil {
		t.Fatal(err)
	}
	code, logs := runRelaydToExit(t, "-data", data)
	for _, want := range []string{"gone backwards", "-accept-store-rollback", "events.unlisted"} {
		if code != 1 || !strings.Contains(logs, want) {
			t.Fatalf("exit %d, want 1 with %q in:\n%s", code, want, logs)
		}
	}
	p = startRelayd(t, "-data", data, "-accept-store-rollback")
	if ok := wsc.Dial(t, p.url).Publish(k.Sign(t, 1, "after", nostr.Now())); !ok.Accepted {
		t.Fatalf("publish after accepting: %v", ok)
	}
	stopRelayd(t, p)
	// Accepted once: the next start needs no flag.
	stopRelayd(t, startRelayd(t, "-data", data))
}

// TestRelaydDiskFull fills a small tmpfs under a real relayd: EVENTs are
// refused with "error: disk full" (never OK true, and no SIGBUS), REQs and
// ephemeral events go on, the metric and one log line say so, freeing
// space resumes ingest, and relayd starts on a full disk, read-only.
func TestRelaydDiskFull(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root to mount a small tmpfs; badgerstore's TestDiskFull* test the same logic with an injected free-space function")
	}
	const reserveMB = 16
	mnt := t.TempDir()
	if err := unix.Mount("tmpfs", mnt, "tmpfs", 0, "size=64m"); err != nil {
		t.Fatalf("mount tmpfs: %v", err)
	}
	t.Cleanup(func() { unix.Unmount(mnt, unix.MNT_DETACH) })
	cfg := writeConfig(t, fmt.Sprintf("disk_reserve_mb = %d\ndisk_check_interval = \"100ms\"\n", reserveMB))
	d := &fullDisk{mnt: mnt, filler: filepath.Join(mnt, "filler"), args: []string{"-data", filepath.Join(mnt, "data"), "-config", cfg}, k: wsc.NewKey()}

	p := startRelayd(t, d.args...)
	d.fill(t, (reserveMB+4)<<20)
	d.ingestUntilFull(t, p)

	// Space returns: the next event is stored.
	if err := os.Remove(d.filler); err != nil {
		t.Fatal(err)
	}
	after := d.k.Sign(t, 1, "space is back", nostr.Now())
	if ok := wsc.Dial(t, p.url).Publish(after); !ok.Accepted {
		t.Fatalf("publish after freeing space: %v", ok)
	}
	d.acked = append(d.acked, after.ID)
	waitLog(t, p, "free space is back above the reserve")

	stopRelayd(t, p)
	d.startFull(t)
}

// fullDisk is the state of TestRelaydDiskFull.
type fullDisk struct {
	mnt, filler string
	args        []string // relayd's
	k           wsc.Key
	acked       []string // events stored
}

// ingestUntilFull publishes 20 KB notes until relayd refuses one, then
// checks what a full disk must still do.
func (d *fullDisk) ingestUntilFull(t *testing.T, p *proc) {
	sub, pub := wsc.Dial(t, p.url), wsc.Dial(t, p.url)
	sub.Req("eph", nostr.Filter{Kinds: []int{20001}})
	refused := false
	for i := 0; i < 2000 && !refused; i++ {
		ok := pub.Publish(d.k.Sign(t, 1, fmt.Sprintf("%04d %s", i, strings.Repeat("f", 20_000)), nostr.Now()))
		switch {
		case ok.Accepted:
			d.acked = append(d.acked, ok.ID)
		case ok.Reason == "error: disk full":
			refused = true
		default:
			t.Fatalf("publish %d: %v", i, ok)
		}
	}
	if !refused {
		t.Fatal("never refused with error: disk full")
	}
	t.Logf("%d events stored before the reserve was reached", len(d.acked))
	if ok := pub.Publish(d.k.Sign(t, 1, "still full", nostr.Now())); ok.Accepted || ok.Reason != "error: disk full" {
		t.Fatalf("publish on a full disk: %v", ok)
	}
	eph := d.k.Sign(t, 20001, "ephemeral", nostr.Now())
	if ok := pub.Publish(eph); !ok.Accepted {
		t.Fatalf("ephemeral event on a full disk: %v", ok)
	}
	if got := wsc.Event(t, sub.Expect("EVENT")); got.ID != eph.ID {
		t.Fatalf("live delivery on a full disk: got %s", got.ID)
	}
	checkStored(t, p, d.acked)
	if m := metrics(t, p); !strings.Contains(m, "relayd_store_disk_full 1\n") {
		t.Fatalf("metrics on a full disk:\n%s", m)
	}
	waitLog(t, p, "free space is below the reserve")
	if n := strings.Count(p.logs.String(), "free space is below the reserve"); n != 1 {
		t.Fatalf("%d log lines for the full disk, want 1", n)
	}
}

// startFull starts relayd on a completely full disk: after a clean stop,
// after a kill, and after a kill with writes left in the write-ahead log.
func (d *fullDisk) startFull(t *testing.T) {
	d.fill(t, 0)
	for _, stop := range []string{"clean", "kill"} {
		p := startRelayd(t, d.args...)
		c := wsc.Dial(t, p.url)
		if ok := c.Publish(d.k.Sign(t, 1, "full at start", nostr.Now())); ok.Accepted || ok.Reason != "error: disk full" {
			t.Fatalf("publish after a start on a full disk (%s): %v", stop, ok)
		}
		checkStored(t, p, d.acked)
		if stop == "clean" {
			stopRelayd(t, p)
		} else {
			killRelayd(p)
		}
	}

	// Killed with unflushed writes, then the disk fills up completely: the
	// write-ahead log cannot be replayed, and relayd says so (no SIGBUS).
	if err := os.Remove(d.filler); err != nil {
		t.Fatal(err)
	}
	p := startRelayd(t, d.args...)
	last := d.k.Sign(t, 1, "in the write-ahead log", nostr.Now())
	if ok := wsc.Dial(t, p.url).Publish(last); !ok.Accepted {
		t.Fatalf("publish: %v", ok)
	}
	d.acked = append(d.acked, last.ID)
	killRelayd(p)
	d.fill(t, 0)
	code, logs := runRelaydToExit(t, d.args...)
	if code != 1 || !strings.Contains(logs, "replaying the write-ahead logs of an unclean shutdown") {
		t.Fatalf("start on a full disk with a log to replay: exit %d\n%s", code, logs)
	}
	// With room for the replay but still below the reserve: read-only.
	d.fill(t, 4<<20)
	p = startRelayd(t, d.args...)
	checkStored(t, p, d.acked)
	if ok := wsc.Dial(t, p.url).Publish(d.k.Sign(t, 1, "x", nostr.Now())); ok.Reason != "error: disk full" {
		t.Fatalf("publish after the replay: %v", ok)
	}
}

// fill leaves free bytes free on the filesystem (0: as full as it gets).
func (d *fullDisk) fill(t *testing.T, free int64) { fill(t, d.filler, d.mnt, free) }

// waitLog waits until relayd's log has s: the log comes through a pipe
// that the test reads on its own time.
func waitLog(t *testing.T, p *proc, s string) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for !strings.Contains(p.logs.String(), s) {
		if time.Now().After(deadline) {
			t.Fatalf("no log line with %q", s)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// fill makes the filesystem at mnt have free bytes left (0: as full as it
// gets), writing real blocks to file (replaced if it exists).
func fill(t *testing.T, file, mnt string, free int64) {
	t.Helper()
	os.Remove(file)
	f, err := os.Create(file)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var st unix.Statfs_t
	if err := unix.Statfs(mnt, &st); err != nil {
		t.Fatal(err)
	}
	n := int64(st.Bavail)*st.Bsize - free
	buf := bytes.Repeat([]byte{0xaa}, 1<<20)
	for n > 0 {
		w, err := f.Write(buf[:min(int64(len(buf)), n)])
		n -= int64(w)
		if errors.Is(err, syscall.ENOSPC) && free == 0 {
			break
		}
		if err != nil {
			t.Fatalf("fill: %v", err)
		}
	}
}

// checkStored fails unless every id in ids is served by p.
func checkStored(t *testing.T, p *proc, ids []string) {
	t.Helper()
	got := wsc.Dial(t, p.url).Req("check", nostr.Filter{IDs: ids, Limit: len(ids)})
	if len(got) != len(ids) {
		t.Fatalf("%d of %d acknowledged events served", len(got), len(ids))
	}
}

// metrics returns p's /metrics page.
func metrics(t *testing.T, p *proc) string {
	t.Helper()
	resp, err := http.Get("http" + strings.TrimPrefix(p.url, "ws") + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
