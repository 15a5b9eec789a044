package durable_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/relayd/relayd/host/store"
	"github.com/relayd/relayd/host/store/badgerstore"
	"github.com/relayd/relayd/host/wasmhost/durable"
	"github.com/relayd/relayd/internal/testing/dbtest"
	"github.com/relayd/relayd/sdk/abi"
)

var ctx = context.Background()

// spaceDB is a Space seen as the db_* host functions.
type spaceDB struct{ s *durable.Space }

func (d spaceDB) DBGet(k string, buf []byte) int32 { return d.s.Get([]byte(k), buf) }

func (d spaceDB) DBPut(k string, v []byte, flags uint32) int32 {
	return int32(d.s.Put([]byte(k), v, flags))
}

func (d spaceDB) DBDelete(k string) int32 { return int32(d.s.Delete([]byte(k))) }

func (d spaceDB) DBList(prefix, after string, limit int32, flags uint32, buf []byte) int32 {
	return d.s.List([]byte(prefix), []byte(after), limit, flags, buf)
}

func (d spaceDB) DBUsage(r *[4]int64) int32 {
	u, e := d.s.Usage()
	if e != abi.OK {
		return int32(e)
	}
	*r = [4]int64{u.Keys, u.Bytes, u.MaxKeys, u.MaxBytes}
	return 0
}

// disk is the store's free space, which the test sets.
type disk struct{ free atomic.Uint64 }

func (d *disk) space(string) (uint64, error) { return d.free.Load(), nil }

const reserve = 64 << 20

// openStore opens a badger store in dir whose disk reserve follows d.
func openStore(t testing.TB, dir string, d *disk) *badgerstore.Store {
	t.Helper()
	st, err := badgerstore.Open(dir, badgerstore.Options{DiskReserve: reserve, FreeSpace: d.space, DiskCheckInterval: 5 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	return st
}

// newSpace returns a loaded Space for plugin "p" in st.
func newSpace(t testing.TB, st store.PluginState, l durable.Limits) *durable.Space {
	t.Helper()
	sp := durable.New("p", st, l, nil)
	if err := sp.Load(); err != nil {
		t.Fatal(err)
	}
	return sp
}

// waitWritable waits until st has switched to read-write (or read-only)
// and says so.
func waitWritable(t testing.TB, st *badgerstore.Store, writable bool) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for (st.StateWritable() == nil) != writable || st.Health().DiskFull == writable {
		if time.Now().After(deadline) {
			t.Fatalf("the store never became writable=%v: %v", writable, st.StateWritable())
		}
		time.Sleep(time.Millisecond)
	}
}

// TestConformance runs the durable state suite on a Space over a real
// badger store; a restart closes the Space and the store and opens both
// again.
func TestConformance(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, l dbtest.Limits) dbtest.Target {
		dir, d := t.TempDir(), &disk{}
		d.free.Store(1 << 40)
		limits := durable.Limits{MaxKeys: l.MaxKeys, MaxBytes: l.MaxBytes}
		st := openStore(t, dir, d)
		sp := newSpace(t, st, limits)
		t.Cleanup(func() {
			sp.Close(ctx)
			st.Close()
		})
		return dbtest.Target{
			DB: spaceDB{sp},
			Restart: func(t *testing.T, l dbtest.Limits) dbtest.DB {
				if err := sp.Close(ctx); err != nil {
					t.Fatal(err)
				}
				if err := st.Close(); err != nil {
					t.Fatal(err)
				}
				st = openStore(t, dir, d)
				sp = newSpace(t, st, durable.Limits{MaxKeys: l.MaxKeys, MaxBytes: l.MaxBytes})
				return spaceDB{sp}
			},
			SetReadOnly: func(t *testing.T, ro bool) {
				if ro {
					d.free.Store(0)
				} else {
					d.free.Store(1 << 40)
				}
				waitWritable(t, st, !ro)
			},
		}
	})
}

// gated is a real store whose state commits wait for the test to open the
// gate, so that a test sees the time between a write and its commit.
type gated struct {
	*badgerstore.Store
	gate    chan struct{}
	results chan error // the store's answer to each state write
}

func newGated(st *badgerstore.Store) *gated {
	return &gated{Store: st, gate: make(chan struct{}), results: make(chan error, 100)}
}

func (g *gated) StateWrite(ns string, ops []store.StateOp, done func(error)) {
	go func() {
		<-g.gate
		g.Store.StateWrite(ns, ops, func(err error) {
			g.results <- err
			done(err)
		})
	}()
}

// TestReadYourWritesBeforeCommit: a write is visible to Get and List at
// once, before its commit; the store has it only after; Flush waits for it.
func TestReadYourWritesBeforeCommit(t *testing.T) {
	d := &disk{}
	d.free.Store(1 << 40)
	st := openStore(t, t.TempDir(), d)
	defer st.Close()
	g := newGated(st)
	sp := newSpace(t, g, durable.Limits{})
	defer sp.Close(ctx)
	db := spaceDB{sp}
	if rc := db.DBPut("k", []byte("v"), 0); rc != 0 {
		t.Fatalf("put: %d", rc)
	}
	buf := make([]byte, 16)
	if n := db.DBGet("k", buf); n != 1 || buf[0] != 'v' {
		t.Errorf("get before commit: %d %q", n, buf[:max(n, 0)])
	}
	if n := db.DBList("", "", 0, 0, buf); n != abi.DBEntryHeaderLen+1 {
		t.Errorf("list before commit: %d", n)
	}
	if found, err := st.StateGet("p", []byte("k"), func([]byte) {}); found || err != nil {
		t.Errorf("the store has the write before its commit: %v, %v", found, err)
	}
	if sp.Pending() != 1 {
		t.Errorf("pending %d, want 1", sp.Pending())
	}
	fctx, cancel := context.WithTimeout(ctx, 10*time.Millisecond)
	err := sp.Flush(fctx)
	cancel()
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("flush with the gate shut: got %v, want DeadlineExceeded", err)
	}
	close(g.gate)
	if err := sp.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	if found, _ := st.StateGet("p", []byte("k"), func([]byte) {}); !found || sp.Pending() != 0 {
		t.Errorf("after Flush: in store %v, pending %d", found, sp.Pending())
	}
}

// TestRefusedFlushKeepsWrites: writes taken just before the disk fell
// below the reserve stay visible, are refused by the store, and are
// committed once it takes writes again; new writes are refused meanwhile.
func TestRefusedFlushKeepsWrites(t *testing.T) {
	d := &disk{}
	d.free.Store(1 << 40)
	st := openStore(t, t.TempDir(), d)
	defer st.Close()
	g := newGated(st)
	sp := newSpace(t, g, durable.Limits{})
	defer sp.Close(ctx)
	db := spaceDB{sp}
	if rc := db.DBPut("k", []byte("v"), 0); rc != 0 {
		t.Fatalf("put: %d", rc)
	}
	d.free.Store(0)
	waitWritable(t, st, false)
	close(g.gate) // the flush reaches a read-only store
	if err := <-g.results; !errors.Is(err, store.ErrDiskFull) {
		t.Fatalf("the first flush: got %v, want ErrDiskFull", err)
	}
	if rc := db.DBPut("k2", []byte("v"), 0); rc != int32(abi.ErrReadOnly) {
		t.Errorf("put while read-only: %d, want ErrReadOnly", rc)
	}
	if n := db.DBGet("k", nil); n != 1 {
		t.Errorf("the refused write is not visible: %d", n)
	}
	d.free.Store(1 << 40)
	if err := sp.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	if found, _ := st.StateGet("p", []byte("k"), func([]byte) {}); !found {
		t.Error("the write was not committed after the store took writes again")
	}
	// Retries that reached the store before the space returned were
	// refused too; the last one was taken.
	for {
		err := <-g.results
		if err == nil {
			break
		}
		if !errors.Is(err, store.ErrDiskFull) {
			t.Fatalf("a retried flush: %v", err)
		}
	}
}

// TestCloseReportsLostWrites: writes a closing Space cannot commit are
// reported, and later writes fail with ErrReadOnly.
func TestCloseReportsLostWrites(t *testing.T) {
	d := &disk{}
	d.free.Store(1 << 40)
	st := openStore(t, t.TempDir(), d)
	defer st.Close()
	g := newGated(st)
	sp := newSpace(t, g, durable.Limits{})
	spaceDB{sp}.DBPut("k", nil, 0)
	cctx, cancel := context.WithTimeout(ctx, 10*time.Millisecond)
	defer cancel()
	if err := sp.Close(cctx); err == nil {
		t.Error("Close with a write it could not commit: no error")
	}
	if rc := sp.Put([]byte("k2"), nil, 0); rc != abi.ErrReadOnly {
		t.Errorf("put after Close: %v, want ErrReadOnly", rc)
	}
	close(g.gate)
}

// TestConcurrentWrites hammers one Space from several goroutines (run
// with -race): afterwards the Space's usage matches what the store holds.
func TestConcurrentWrites(t *testing.T) {
	d := &disk{}
	d.free.Store(1 << 40)
	st := openStore(t, t.TempDir(), d)
	defer st.Close()
	sp := newSpace(t, st, durable.Limits{MaxKeys: 150})
	defer sp.Close(ctx)
	var wg sync.WaitGroup
	var full atomic.Int64
	for w := range 6 {
		wg.Go(func() {
			buf := make([]byte, 64)
			for i := range 300 {
				k := []byte(fmt.Sprintf("k%03d", (i*7+w*13)%200))
				switch i % 5 {
				case 0:
					sp.Delete(k)
				case 1:
					sp.List(k[:2], nil, 5, abi.DBListValues, buf)
				default:
					if sp.Put(k, []byte(fmt.Sprint(w, i)), 0) == abi.ErrFull {
						full.Add(1)
					}
					sp.Get(k, buf)
				}
			}
		})
	}
	wg.Wait()
	if err := sp.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	u, _ := sp.Usage()
	var keys, size int64
	err := st.StateScan("p", nil, nil, true, func(k, v []byte) bool {
		keys++
		size += int64(len(k) + len(v))
		return true
	})
	if err != nil || keys != u.Keys || size != u.Bytes || keys > 150 {
		t.Errorf("the Space counts %d keys, %d bytes; the store holds %d, %d (%v); limit 150", u.Keys, u.Bytes, keys, size, err)
	}
	if full.Load() == 0 {
		t.Error("no write hit the key limit")
	}
}

// BenchmarkPutFlush is the time from a write to its commit, with nothing
// else writing: one state request through the store's writer and one
// fsync'd commit. It is how long a write is at risk of a crash.
func BenchmarkPutFlush(b *testing.B) {
	d := &disk{}
	d.free.Store(1 << 40)
	st := openStore(b, b.TempDir(), d)
	defer st.Close()
	sp := newSpace(b, st, durable.Limits{})
	defer sp.Close(ctx)
	i := 0
	for b.Loop() {
		if rc := sp.Put([]byte("k"), []byte(fmt.Sprint(i)), 0); rc != abi.OK {
			b.Fatal(rc)
		}
		if err := sp.Flush(ctx); err != nil {
			b.Fatal(err)
		}
		i++
	}
}

// counting is a real store that counts the reads of plugin state.
type counting struct {
	*badgerstore.Store
	reads atomic.Int32
}

func (c *counting) StateGet(ns string, key []byte, fn func([]byte)) (bool, error) {
	c.reads.Add(1)
	return c.Store.StateGet(ns, key, fn)
}

func (c *counting) StateScan(ns string, prefix, after []byte, values bool, fn func(k, v []byte) bool) error {
	c.reads.Add(1)
	return c.Store.StateScan(ns, prefix, after, values, fn)
}

// TestCallsDoNotReadTheStore: after Load, no call reads the store. A badger
// read transaction waits for the commits in flight, fsync included, so a
// call that read it would wait for the disk under a hook's deadline.
func TestCallsDoNotReadTheStore(t *testing.T) {
	d := &disk{}
	d.free.Store(1 << 40)
	st := openStore(t, t.TempDir(), d)
	defer st.Close()
	done := make(chan error, 1)
	st.StateWrite("p", []store.StateOp{{Key: []byte("a"), Value: []byte("1")}}, func(err error) { done <- err })
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	c := &counting{Store: st}
	sp := newSpace(t, c, durable.Limits{})
	defer sp.Close(ctx)
	loads := c.reads.Load()
	db, buf := spaceDB{sp}, make([]byte, 256)
	for i := range 100 {
		k := fmt.Sprint("k", i%7)
		db.DBPut(k, []byte("v"), 0)
		db.DBPut(k, []byte("w"), abi.DBPutIfAbsent)
		db.DBGet(k, buf)
		db.DBGet("a", buf)
		db.DBList("k", "", 3, abi.DBListValues, buf)
		if i%3 == 0 {
			db.DBDelete(k)
		}
		var u [4]int64
		db.DBUsage(&u)
	}
	if err := sp.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	if n := c.reads.Load() - loads; n != 0 {
		t.Errorf("%d reads of the store after Load", n)
	}
	if got := get(db, "a"); got != "1" {
		t.Errorf("a = %q", got)
	}
}

func get(db dbtest.DB, k string) string {
	buf := make([]byte, 64)
	n := db.DBGet(k, buf)
	if n < 0 {
		return fmt.Sprint(n)
	}
	return string(buf[:n])
}
