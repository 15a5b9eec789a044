package badgerstore

import (
	"bytes"
	"context"
	"errors"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/nbd-wtf/go-nostr"
	"golang.org/x/sys/unix"

	"github.com/relayd/relayd/host/store"
)

// The disk-full logic with an injected free-space function, so that it is
// tested without root; cmd/relayd's TestRelaydDiskFull does it on a real,
// full filesystem.

const testReserve = 100 << 20

// fakeDisk is an Options.FreeSpace whose answer the test sets.
type fakeDisk struct{ free atomic.Uint64 }

func newFakeDisk(free uint64) *fakeDisk {
	d := &fakeDisk{}
	d.free.Store(free)
	return d
}

func (d *fakeDisk) space(string) (uint64, error) { return d.free.Load(), nil }

// logBuffer collects a store's log lines.
type logBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *logBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *logBuffer) count(s string) int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return strings.Count(l.b.String(), s)
}

func (l *logBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

func diskOptions(d *fakeDisk, logs *logBuffer) Options {
	return Options{
		DiskReserve: testReserve,
		FreeSpace:   d.space,
		// The test measures the free space itself (guard.check), so that
		// the order of events is its own.
		DiskCheckInterval: time.Hour,
		Logger:            testLogger(logs),
	}
}

const (
	belowLine = "free space is below the reserve: the store is read-only"
	aboveLine = "free space is back above the reserve"
)

func TestDiskFullRefusesWritesAndResumes(t *testing.T) {
	disk, logs := newFakeDisk(1<<30), &logBuffer{}
	s, err := Open(t.TempDir(), diskOptions(disk, logs))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	ctx := context.Background()
	pk := randHex32()
	stored := makeEvent(pk, 1, 1000, nil, "stored before the disk filled")
	if err := s.Save(ctx, stored.ev, stored.raw); err != nil {
		t.Fatal(err)
	}

	disk.free.Store(testReserve - 1)
	if err := s.guard.check(); err != nil {
		t.Fatal(err)
	}
	for i := range 3 {
		e := makeEvent(pk, 1, int64(2000+i), nil, "refused")
		if err := s.Save(ctx, e.ev, e.raw); !errors.Is(err, store.ErrDiskFull) {
			t.Fatalf("save %d below the reserve: got %v, want ErrDiskFull", i, err)
		}
	}
	// A duplicate is refused too: OK true would claim a write.
	if err := s.Save(ctx, stored.ev, stored.raw); !errors.Is(err, store.ErrDiskFull) {
		t.Fatalf("duplicate below the reserve: got %v, want ErrDiskFull", err)
	}
	if got := queryIDs(t, s, nostr.Filter{Authors: []string{pk}}); len(got) != 1 || got[0] != stored.ev.ID {
		t.Fatalf("reads below the reserve: got %v, want the stored event", got)
	}
	if n, err := s.DeleteExpired(ctx, time.Now().Unix()); n != 0 || err != nil {
		t.Fatalf("DeleteExpired below the reserve: %d, %v", n, err)
	}
	h := s.Health()
	if !h.DiskFull || h.DiskFullRefusals != 4 || h.FreeBytes != testReserve-1 || h.ReserveBytes != testReserve {
		t.Fatalf("health below the reserve: %+v", h)
	}

	// Between the reserve and the reserve plus a tenth: still read-only.
	disk.free.Store(testReserve + testReserve/20)
	e := makeEvent(pk, 1, 3000, nil, "in the hysteresis band")
	if err := s.Save(ctx, e.ev, e.raw); !errors.Is(err, store.ErrDiskFull) {
		t.Fatalf("save in the hysteresis band: got %v, want ErrDiskFull", err)
	}

	// Space is back: the next event is stored, without waiting for a tick.
	disk.free.Store(testReserve * 2)
	e = makeEvent(pk, 1, 4000, nil, "after space returned")
	if err := s.Save(ctx, e.ev, e.raw); err != nil {
		t.Fatalf("save after space returned: %v", err)
	}
	if got := queryIDs(t, s, nostr.Filter{Authors: []string{pk}}); len(got) != 2 {
		t.Fatalf("after space returned: %d events, want 2", len(got))
	}
	if h := s.Health(); h.DiskFull {
		t.Fatalf("health after space returned: %+v", h)
	}
	if b, a := logs.count(belowLine), logs.count(aboveLine); b != 1 || a != 1 {
		t.Fatalf("log lines: %d below, %d above; want one each\n%s", b, a, logs)
	}
}

// TestDiskFullMonitor: the periodic check notices a disk filled by someone
// else, with no writes, and the store turns read-only on its own.
func TestDiskFullMonitor(t *testing.T) {
	disk, logs := newFakeDisk(1<<30), &logBuffer{}
	opts := diskOptions(disk, logs)
	opts.DiskCheckInterval = time.Millisecond
	s, err := Open(t.TempDir(), opts)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	disk.free.Store(0)
	deadline := time.Now().Add(20 * time.Second)
	for !s.Health().DiskFull {
		if time.Now().After(deadline) {
			t.Fatal("the store did not turn read-only")
		}
		time.Sleep(time.Millisecond)
	}
	disk.free.Store(1 << 30)
	for s.Health().DiskFull {
		if time.Now().After(deadline) {
			t.Fatal("the store did not take writes again")
		}
		time.Sleep(time.Millisecond)
	}
}

// TestDiskFullAtOpen: a store opened below the reserve is read-only from
// the start, serves what it holds, and takes writes when space returns.
func TestDiskFullAtOpen(t *testing.T) {
	dir := t.TempDir()
	disk, logs := newFakeDisk(1<<30), &logBuffer{}
	stored := saveAndClose(t, dir, diskOptions(disk, logs))

	disk.free.Store(1 << 20)
	s, err := Open(dir, diskOptions(disk, logs))
	if err != nil {
		t.Fatalf("open on a full disk: %v", err)
	}
	defer s.Close()
	if !s.Health().DiskFull || logs.count("opening the store read-only") != 1 {
		t.Fatalf("health %+v, logs:\n%s", s.Health(), logs)
	}
	if got := queryIDs(t, s, nostr.Filter{}); len(got) != len(stored) {
		t.Fatalf("read %d events on a full disk, want %d", len(got), len(stored))
	}
	e := makeEvent(randHex32(), 1, 5000, nil, "refused")
	if err := s.Save(context.Background(), e.ev, e.raw); !errors.Is(err, store.ErrDiskFull) {
		t.Fatalf("save on a full disk: got %v, want ErrDiskFull", err)
	}
	disk.free.Store(1 << 30)
	if err := s.Save(context.Background(), e.ev, e.raw); err != nil {
		t.Fatalf("save after space returned: %v", err)
	}
}

// TestDiskFullAtOpenAfterCrash: a read-only badger cannot replay the
// write-ahead log an unclean shutdown leaves. Open replays it first when
// the disk has room for that, and otherwise refuses with a clear error
// (never a SIGBUS).
func TestDiskFullAtOpenAfterCrash(t *testing.T) {
	tests := []struct {
		name    string
		free    uint64
		wantErr string
	}{
		{"room to replay", 64 << 20, ""},
		{"no room to replay", 16 << 10, "replaying the write-ahead logs of an unclean shutdown"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dir, ids := crashImage(t)
			disk, logs := newFakeDisk(tc.free), &logBuffer{}
			s, err := Open(dir, diskOptions(disk, logs))
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) || !errors.Is(err, store.ErrDiskFull) {
					t.Fatalf("got %v, want ErrDiskFull mentioning %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("open: %v\n%s", err, logs)
			}
			defer s.Close()
			if !s.Health().DiskFull {
				t.Fatal("not read-only")
			}
			if got := queryIDs(t, s, nostr.Filter{}); len(got) != len(ids) {
				t.Fatalf("read %d events after the replay, want %d", len(got), len(ids))
			}
		})
	}
}

// crashImage returns a copy of a store's directory taken while the store
// was open, after its writes were acknowledged: what a SIGKILL leaves,
// write-ahead log included.
func crashImage(t *testing.T) (string, []string) {
	t.Helper()
	src := t.TempDir()
	s, err := Open(src, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	var (
		ids []string
		es  []testEvent
	)
	pk := randHex32()
	for i := range 50 {
		es = append(es, makeEvent(pk, 1, int64(1000+i), nil, "in the write-ahead log"))
		ids = append(ids, es[i].ev.ID)
	}
	for _, err := range submitAll(s, es, 4) {
		if err != nil {
			t.Fatal(err)
		}
	}
	dst := t.TempDir()
	ents, err := os.ReadDir(src)
	if err != nil {
		t.Fatal(err)
	}
	mems := 0
	for _, e := range ents {
		if e.Name() == "LOCK" {
			continue
		}
		copySparse(t, filepath.Join(src, e.Name()), filepath.Join(dst, e.Name()))
		if strings.HasSuffix(e.Name(), ".mem") {
			mems++
		}
	}
	if mems == 0 {
		t.Fatal("no write-ahead log in the image")
	}
	// The rollback record beside the store.
	if b, err := os.ReadFile(src + ".state"); err == nil {
		os.WriteFile(dst+".state", b, 0o644)
	}
	return dst, ids
}

// copySparse copies a file and keeps its holes (badger preallocates its
// logs as sparse files of hundreds of MiB).
func copySparse(t *testing.T, src, dst string) {
	t.Helper()
	in, err := os.Open(src)
	if err != nil {
		t.Fatal(err)
	}
	defer in.Close()
	out, err := os.Create(dst)
	if err != nil {
		t.Fatal(err)
	}
	defer out.Close()
	fi, err := in.Stat()
	if err != nil {
		t.Fatal(err)
	}
	fd := int(in.Fd())
	for off := int64(0); off < fi.Size(); {
		data, err := unix.Seek(fd, off, unix.SEEK_DATA)
		if err != nil {
			break // no data after off
		}
		hole, err := unix.Seek(fd, data, unix.SEEK_HOLE)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := io.Copy(io.NewOffsetWriter(out, data), io.NewSectionReader(in, data, hole-data)); err != nil {
			t.Fatal(err)
		}
		off = hole
	}
	if err := out.Truncate(fi.Size()); err != nil {
		t.Fatal(err)
	}
}

// saveAndClose stores a few events in a new store in dir and closes it.
func saveAndClose(t *testing.T, dir string, opts Options) []string {
	t.Helper()
	s, err := Open(dir, opts)
	if err != nil {
		t.Fatal(err)
	}
	var (
		ids []string
		es  []testEvent
	)
	pk := randHex32()
	for i := range 20 {
		es = append(es, makeEvent(pk, 1, int64(1000+i), nil, "saved"))
		ids = append(ids, es[i].ev.ID)
	}
	for _, err := range submitAll(s, es, 4) {
		if err != nil {
			t.Fatal(err)
		}
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	return ids
}

// queryIDs returns the ids of the events matching f, failing on error.
func queryIDs(t *testing.T, s *Store, f nostr.Filter) []string {
	t.Helper()
	ids, err := tryQueryIDs(s, f)
	if err != nil {
		t.Fatalf("query %v: %v", f, err)
	}
	return ids
}

func tryQueryIDs(s *Store, f nostr.Filter) ([]string, error) {
	var ids []string
	err := s.Query(context.Background(), f, 100000, func(raw []byte) bool {
		var ev nostr.Event
		if err := ev.UnmarshalJSON(raw); err == nil {
			ids = append(ids, ev.ID)
		}
		return true
	})
	return ids, err
}

func testLogger(logs *logBuffer) *slog.Logger {
	return slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
}
