package badgerstore_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/nbd-wtf/go-nostr"

	"github.com/relayd/relayd/host/store/badgerstore"
)

// crashDirEnv switches TestCrashChild on: it names the store directory.
const crashDirEnv = "BADGERSTORE_CRASH_DIR"

// killAfter is how many acknowledged events the parent waits for before it
// kills the child.
const killAfter = 300

// TestCrashChild is the child process of TestCrashRecovery: it ingests
// events from several goroutines forever and prints "ack <id>" for each
// event whose callback reported it durable.
func TestCrashChild(t *testing.T) {
	dir := os.Getenv(crashDirEnv)
	if dir == "" {
		t.Skip("child process of TestCrashRecovery")
	}
	// A safety net in case the parent dies without killing us.
	time.AfterFunc(2*time.Minute, func() { os.Exit(3) })
	s, err := badgerstore.Open(dir, badgerstore.Options{})
	if err != nil {
		fmt.Fprintln(os.Stderr, "open:", err)
		os.Exit(2)
	}
	for w := range 4 {
		go func() {
			k := nostr.GeneratePrivateKey()
			for i := 0; ; i++ {
				ev := &nostr.Event{CreatedAt: nostr.Now(), Kind: 1, Tags: nostr.Tags{{"t", "crash"}},
					Content: fmt.Sprintf("worker %d event %d", w, i)}
				if err := ev.Sign(k); err != nil {
					panic(err)
				}
				raw, _ := json.Marshal(ev)
				s.Submit(ev, raw, func(err error) {
					if err == nil {
						// Callbacks run one at a time: one write per ack.
						fmt.Fprintf(os.Stdout, "ack %s\n", ev.ID)
					}
				})
			}
		}()
	}
	select {}
}

// TestCrashRecovery kills a child process in the middle of ingesting and
// checks that every event acknowledged before the kill is in the reopened
// store, and that the store is consistent.
func TestCrashRecovery(t *testing.T) {
	if os.Getenv(crashDirEnv) != "" {
		t.Skip("in the child")
	}
	dir := t.TempDir()
	cmd := exec.Command(os.Args[0], "-test.run=^TestCrashChild$", "-test.count=1")
	cmd.Env = append(os.Environ(), crashDirEnv+"="+dir)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	acked := readAcks(t, cmd, stdout)
	err = cmd.Wait()
	if ws, ok := cmd.ProcessState.Sys().(syscall.WaitStatus); !ok || !ws.Signaled() || ws.Signal() != syscall.SIGKILL {
		t.Fatalf("child did not die by SIGKILL: %v\nstderr:\n%s", err, stderr.String())
	}
	if len(acked) < killAfter {
		t.Fatalf("child acknowledged %d events, want %d\nstderr:\n%s", len(acked), killAfter, stderr.String())
	}
	t.Logf("%d events acknowledged before the kill", len(acked))
	checkRecovered(t, dir, acked)
}

// readAcks reads the child's acknowledgements, kills it after killAfter of
// them and keeps reading what it printed before dying.
func readAcks(t *testing.T, cmd *exec.Cmd, stdout interface{ Read([]byte) (int, error) }) []string {
	t.Helper()
	var (
		acked []string
		kill  sync.Once
	)
	sc := bufio.NewScanner(stdout)
	for sc.Scan() {
		id, ok := strings.CutPrefix(sc.Text(), "ack ")
		if !ok {
			continue
		}
		acked = append(acked, id)
		if len(acked) >= killAfter {
			kill.Do(func() {
				if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
					t.Errorf("kill: %v", err)
				}
			})
		}
	}
	kill.Do(func() {}) // the child died on its own: Wait reports it
	return acked
}

func checkRecovered(t *testing.T, dir string, acked []string) {
	s, err := badgerstore.Open(dir, badgerstore.Options{})
	if err != nil {
		t.Fatalf("reopen after crash: %v", err)
	}
	defer s.Close()
	ctx := context.Background()
	for i := 0; i < len(acked); i += 100 {
		ids := acked[i:min(i+100, len(acked))]
		found := map[string]bool{}
		err := s.Query(ctx, nostr.Filter{IDs: ids}, len(ids), func(raw []byte) bool {
			var ev nostr.Event
			if err := json.Unmarshal(raw, &ev); err != nil || !ev.CheckID() {
				t.Errorf("stored event is corrupt: %s", raw)
			}
			found[ev.ID] = true
			return true
		})
		if err != nil {
			t.Fatalf("query: %v", err)
		}
		for _, id := range ids {
			if !found[id] {
				t.Errorf("acknowledged event %s is missing after the crash", id)
			}
		}
	}
	// The indexes agree with each other and with the events.
	all, err := s.Count(ctx, nostr.Filter{})
	if err != nil {
		t.Fatal(err)
	}
	byTag, err := s.Count(ctx, nostr.Filter{Kinds: []int{1}, Tags: nostr.TagMap{"t": {"crash"}}})
	if err != nil || byTag != all || all < int64(len(acked)) {
		t.Errorf("counts after the crash: all %d, by kind and tag %d (%v), acknowledged %d", all, byTag, err, len(acked))
	}
	// And the store takes writes again.
	ev := &nostr.Event{CreatedAt: nostr.Now(), Kind: 1, Content: "after the crash"}
	if err := ev.Sign(nostr.GeneratePrivateKey()); err != nil {
		t.Fatal(err)
	}
	raw, _ := json.Marshal(ev)
	if err := s.Save(ctx, ev, raw); err != nil {
		t.Errorf("save after the crash: %v", err)
	}
	if n, err := s.Count(ctx, nostr.Filter{}); err != nil || n != all+1 {
		t.Errorf("count after one more save: got %d (%v), want %d", n, err, all+1)
	}
}
