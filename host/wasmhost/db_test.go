package wasmhost_test

import (
	"encoding/binary"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/nbd-wtf/go-nostr"

	"github.com/relayd/relayd/host/policy"
	"github.com/relayd/relayd/host/store/badgerstore"
	"github.com/relayd/relayd/host/wasmhost"
	"github.com/relayd/relayd/internal/testing/wasmbuild"
	"github.com/relayd/relayd/sdk/abi"
)

// The durable state through the real host: testdata/wat/db.wat on a real
// Manager and a real badger store.

// dbOp is one call of the db guest (see db.wat): the operation (the event
// kind), the key, the value or db_list's after, the buffer limit and
// db_list's limit.
type dbOp struct {
	kind       int
	key, val   string
	buf, limit int64
}

const (
	opPut = iota + 1
	opGet
	opDelete
	opList
	opListValues
	opPutIfAbsent
	opUsage
	opPutBadFlag
	opListBadFlag
	opFeatures
	opGetBadKey
	opGetBadBuf
	opPutBadValue
	opListBadBuf
	opUsageBadPtr
)

// call runs op and returns the guest's result code and what the call
// wrote into its buffer.
func (op dbOp) call(t testing.TB, p policy.Policy) (int32, []byte) {
	t.Helper()
	ev := &nostr.Event{ID: strings.Repeat("e", 64), PubKey: strings.Repeat("a", 64), Kind: op.kind,
		CreatedAt: nostr.Timestamp(op.buf), Content: op.key, Tags: nostr.Tags{}, Sig: strings.Repeat("f", 128)}
	if op.val != "" {
		ev.Tags = nostr.Tags{{op.val}}
	}
	raw, _ := ev.MarshalJSON()
	s := session(1)
	v, err := p.Event(ctx, &policy.EventInput{Session: s, Event: ev, Raw: raw, ReceivedAt: op.limit, Source: s.Source()})
	if err != nil {
		t.Fatalf("%+v: %v", op, err)
	}
	if len(v.Message) < 4 {
		t.Fatalf("%+v: message %q", op, v.Message)
	}
	return int32(binary.LittleEndian.Uint32([]byte(v.Message))), []byte(v.Message[4:])
}

// rcName names a result code for messages.
func rcName(rc int32) string {
	names := map[int32]string{0: "OK", -1: "ErrNotFound", -2: "ErrMemory", -3: "ErrTooLarge", -4: "ErrInvalid",
		-5: "ErrUnavailable", -7: "ErrMismatch", -8: "ErrInternal", -9: "ErrFull", -10: "ErrReadOnly"}
	if n, ok := names[rc]; ok {
		return n
	}
	return fmt.Sprint(rc)
}

// listKeys decodes db_list output into "key=value" (or "key") words.
func listKeys(b []byte) string {
	var out []string
	for len(b) >= abi.DBEntryHeaderLen {
		kl, vl := int(binary.LittleEndian.Uint32(b)), int(binary.LittleEndian.Uint32(b[4:]))
		b = b[abi.DBEntryHeaderLen:]
		if kl+vl > len(b) {
			return "<bad entries>"
		}
		w := string(b[:kl])
		if vl > 0 {
			w += "=" + string(b[kl:kl+vl])
		}
		out = append(out, w)
		b = b[kl+vl:]
	}
	return strings.Join(out, " ")
}

// fakeDisk is a store's free space, which the test sets.
type fakeDisk struct{ free atomic.Uint64 }

func (d *fakeDisk) space(string) (uint64, error) { return d.free.Load(), nil }

// dbStore opens a badger store in dir whose free space follows d. It is
// closed when the test ends, after the Managers made later (cleanups run
// last in, first out), as relayd closes the plugins before the store.
func dbStore(t testing.TB, dir string, d *fakeDisk) *badgerstore.Store {
	t.Helper()
	st, err := badgerstore.Open(dir, badgerstore.Options{DiskReserve: 64 << 20, FreeSpace: d.space, DiskCheckInterval: 5 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}

func newDisk() *fakeDisk {
	d := &fakeDisk{}
	d.free.Store(1 << 40)
	return d
}

const dbTOML = "db_max_keys = 6\ndb_max_bytes = 300\n"

// TestWasmDB runs the durable state functions through the host, in order:
// errors, bounds, paging, the buffer rule and bad pointers.
func TestWasmDB(t *testing.T) {
	st := dbStore(t, t.TempDir(), newDisk())
	m, _, err := newManager(t, wasmhost.Options{Store: st}, guest{name: "db", wasm: "db", toml: dbTOML})
	if err != nil {
		t.Fatal(err)
	}
	p := plugin(t, m, "db")
	long := strings.Repeat("k", abi.MaxKeyLen)
	steps := []struct {
		op   dbOp
		rc   string
		data string
	}{
		{dbOp{kind: opFeatures}, fmt.Sprint(abi.FeatureStore | abi.FeatureState | abi.FeatureFiles | abi.FeatureDB | abi.FeatureManage | abi.FeatureQuery | abi.FeatureTick | abi.FeatureHookKinds | abi.FeatureDeliverBatch | abi.FeatureFilterKinds), ""},
		{dbOp{kind: opGet, key: "init", buf: 10}, "1", "1"},
		{dbOp{kind: opGet, key: "a", buf: 10}, "ErrNotFound", ""},
		{dbOp{kind: opPut, key: "a", val: "apple"}, "OK", ""},
		{dbOp{kind: opGet, key: "a", buf: 0}, "5", ""},
		{dbOp{kind: opGet, key: "a", buf: 4}, "5", ""},
		{dbOp{kind: opGet, key: "a", buf: 5}, "5", "apple"},
		{dbOp{kind: opPutIfAbsent, key: "a", val: "avocado"}, "ErrMismatch", ""},
		{dbOp{kind: opPutIfAbsent, key: "b", val: "banana"}, "OK", ""},
		{dbOp{kind: opPut, key: "", val: "x"}, "ErrInvalid", ""},
		{dbOp{kind: opPut, key: long + "k", val: "x"}, "ErrTooLarge", ""},
		{dbOp{kind: opPutBadFlag, key: "c", val: "x"}, "ErrInvalid", ""},
		{dbOp{kind: opListBadFlag}, "ErrInvalid", ""},
		{dbOp{kind: opGetBadKey, buf: 10}, "ErrMemory", ""},
		{dbOp{kind: opGetBadBuf, key: "a"}, "ErrMemory", ""},
		{dbOp{kind: opPutBadValue, key: "a"}, "ErrMemory", ""},
		{dbOp{kind: opListBadBuf}, "ErrMemory", ""},
		{dbOp{kind: opUsageBadPtr}, "ErrMemory", ""},
		{dbOp{kind: opDelete, key: "zzz"}, "ErrNotFound", ""},
		// init, a, b; then p/1..p/3 makes 6 keys, the limit.
		{dbOp{kind: opPut, key: "p/1", val: "one"}, "OK", ""},
		{dbOp{kind: opPut, key: "p/2", val: "two"}, "OK", ""},
		{dbOp{kind: opPut, key: "p/3", val: "three"}, "OK", ""},
		{dbOp{kind: opPut, key: "p/4", val: "four"}, "ErrFull", ""},
		{dbOp{kind: opUsage, buf: 32}, "OK", "6 38 6 300"},
		// 38 bytes less a's 6 plus 1+268: 301, one over.
		{dbOp{kind: opPut, key: "a", val: strings.Repeat("x", 268)}, "ErrFull", ""},
		{dbOp{kind: opPut, key: "a", val: strings.Repeat("x", 262)}, "OK", ""},
		{dbOp{kind: opDelete, key: "p/2"}, "OK", ""},
		{dbOp{kind: opPut, key: "p/4", val: "four"}, "OK", ""},
		{dbOp{kind: opUsage, buf: 32}, "OK", "6 296 6 300"},
		// Paging by limit and by buffer.
		{dbOp{kind: opList, key: "p/", buf: 500, limit: 2}, "22", "p/1 p/3"},
		{dbOp{kind: opList, key: "p/", val: "p/3", buf: 500, limit: 2}, "11", "p/4"},
		{dbOp{kind: opList, key: "p/", val: "p/4", buf: 500, limit: 2}, "OK", ""},
		{dbOp{kind: opListValues, key: "p/", buf: 500}, "45", "p/1=one p/3=three p/4=four"},
		{dbOp{kind: opListValues, key: "p/", buf: 29}, "14", "p/1=one"},
		{dbOp{kind: opListValues, key: "p/", buf: 10}, "14", ""},
		{dbOp{kind: opList, buf: 500}, "63", "a b init p/1 p/3 p/4"},
	}
	for i, s := range steps {
		rc, data := s.op.call(t, p)
		got := rcName(rc)
		if s.op.kind == opUsage && rc == 0 {
			var u [4]int64
			for i := range u {
				u[i] = int64(binary.LittleEndian.Uint64(data[8*i:]))
			}
			data = fmt.Appendf(nil, "%d %d %d %d", u[0], u[1], u[2], u[3])
		}
		if s.op.kind == opList || s.op.kind == opListValues {
			data = []byte(listKeys(data))
		}
		if (s.rc != "" && got != s.rc) || string(data) != s.data {
			t.Errorf("step %d %+v: got %s %q, want %s %q", i, s.op, got, data, s.rc, s.data)
		}
	}
}

// TestWasmDBSurvives: the state survives a reload of the plugin, a new
// Manager, and closing and opening the store; a write made just before
// Close is committed by it.
func TestWasmDBSurvives(t *testing.T) {
	dir, pdir, d := t.TempDir(), t.TempDir(), newDisk()
	st := dbStore(t, dir, d)
	m, _, err := newManager(t, wasmhost.Options{Store: st, Dir: pdir}, guest{name: "db", wasm: "db"})
	if err != nil {
		t.Fatal(err)
	}
	want := func(p policy.Policy, step, key, val string) {
		t.Helper()
		rc, data := dbOp{kind: opGet, key: key, buf: 100}.call(t, p)
		if rc < 0 || string(data) != val {
			t.Errorf("%s: %s = %s %q, want %q", step, key, rcName(rc), data, val)
		}
	}
	if rc, _ := (dbOp{kind: opPut, key: "k", val: "v1"}).call(t, plugin(t, m, "db")); rc != 0 {
		t.Fatalf("put: %s", rcName(rc))
	}
	// A reload: new settings, new instances, new relayd_init.
	writeAtomic(t, filepath.Join(pdir, "db.toml"), []byte("db_max_keys = 10\n"))
	if err := m.Reload(ctx); err != nil {
		t.Fatal(err)
	}
	p := plugin(t, m, "db")
	want(p, "after reload", "k", "v1")
	if rc, data := (dbOp{kind: opUsage, buf: 32}).call(t, p); rc != 0 || binary.LittleEndian.Uint64(data[16:]) != 10 {
		t.Errorf("usage after reload: %s %x, want max keys 10", rcName(rc), data)
	}
	if rc, _ := (dbOp{kind: opPut, key: "k", val: "v2"}).call(t, p); rc != 0 {
		t.Fatalf("put: %s", rcName(rc))
	}
	// Close the Manager (it commits the write) and the store; open both.
	if err := m.Close(); err != nil {
		t.Fatal(err)
	}
	if err := st.Close(); err != nil {
		t.Fatal(err)
	}
	st = dbStore(t, dir, d)
	m2, _, err := newManager(t, wasmhost.Options{Store: st, Dir: pdir})
	if err != nil {
		t.Fatal(err)
	}
	p = plugin(t, m2, "db")
	want(p, "after restart", "k", "v2")
	want(p, "after restart", "init", "1")
}

// TestWasmDBReadOnly: while the store's disk is below its reserve, writes
// get ErrReadOnly and reads go on; then writes resume.
func TestWasmDBReadOnly(t *testing.T) {
	d := newDisk()
	st := dbStore(t, t.TempDir(), d)
	m, _, err := newManager(t, wasmhost.Options{Store: st}, guest{name: "db", wasm: "db"})
	if err != nil {
		t.Fatal(err)
	}
	p := plugin(t, m, "db")
	if rc, _ := (dbOp{kind: opPut, key: "k", val: "v"}).call(t, p); rc != 0 {
		t.Fatalf("put: %s", rcName(rc))
	}
	if err := m.FlushState(ctx, "db"); err != nil {
		t.Fatal(err)
	}
	d.free.Store(0)
	waitDiskFull(t, st, true)
	for _, op := range []dbOp{{kind: opPut, key: "k2", val: "v"}, {kind: opDelete, key: "k"}} {
		if rc, _ := op.call(t, p); rc != int32(abi.ErrReadOnly) {
			t.Errorf("%+v while read-only: %s, want ErrReadOnly", op, rcName(rc))
		}
	}
	if rc, data := (dbOp{kind: opGet, key: "k", buf: 10}).call(t, p); rc != 1 || string(data) != "v" {
		t.Errorf("get while read-only: %s %q", rcName(rc), data)
	}
	d.free.Store(1 << 40)
	waitDiskFull(t, st, false)
	if rc, _ := (dbOp{kind: opPut, key: "k2", val: "v"}).call(t, p); rc != 0 {
		t.Errorf("put after space returned: %s", rcName(rc))
	}
}

// waitDiskFull waits until the store has switched mode.
func waitDiskFull(t testing.TB, st *badgerstore.Store, full bool) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for st.Health().DiskFull != full || (st.StateWritable() == nil) == full {
		if time.Now().After(deadline) {
			t.Fatalf("the store never became disk full = %v", full)
		}
		time.Sleep(time.Millisecond)
	}
}

// TestWasmDBUnavailable: without a store that keeps plugin state the
// feature bit is off and every db_* function says ErrUnavailable; the
// plugin still loads (its relayd_init write fails quietly).
func TestWasmDBUnavailable(t *testing.T) {
	m, _, err := newManager(t, wasmhost.Options{}, guest{name: "db", wasm: "db"})
	if err != nil {
		t.Fatal(err)
	}
	p := plugin(t, m, "db")
	if rc, _ := (dbOp{kind: opFeatures}).call(t, p); abi.Feature(rc)&abi.FeatureDB != 0 {
		t.Errorf("features %#x has FeatureDB", rc)
	}
	for _, op := range []dbOp{{kind: opPut, key: "k"}, {kind: opGet, key: "k"}, {kind: opDelete, key: "k"},
		{kind: opList}, {kind: opUsage, buf: 32}} {
		if rc, _ := op.call(t, p); rc != int32(abi.ErrUnavailable) {
			t.Errorf("%+v: %s, want ErrUnavailable", op, rcName(rc))
		}
	}
}

// TestWasmDBAtomicAcrossInstances: instances of one plugin race to put
// the same keys if absent; each key is taken exactly once.
func TestWasmDBAtomicAcrossInstances(t *testing.T) {
	st := dbStore(t, t.TempDir(), newDisk())
	m, _, err := newManager(t, wasmhost.Options{Store: st}, guest{name: "db", wasm: "db", toml: "pool = 4"})
	if err != nil {
		t.Fatal(err)
	}
	p := plugin(t, m, "db")
	const keys, workers = 50, 6
	var won [keys]atomic.Int32
	var wg sync.WaitGroup
	for w := range workers {
		wg.Go(func() {
			for k := range keys {
				rc, _ := dbOp{kind: opPutIfAbsent, key: fmt.Sprint("k", k), val: fmt.Sprint(w)}.call(t, p)
				switch rc {
				case 0:
					won[k].Add(1)
				case int32(abi.ErrMismatch):
				default:
					t.Errorf("put if absent: %s", rcName(rc))
				}
			}
		})
	}
	wg.Wait()
	for k := range won {
		if n := won[k].Load(); n != 1 {
			t.Errorf("key %d taken %d times", k, n)
		}
	}
}

// TestWasmCheckDB: Check says whether a plugin uses durable state and
// shows its limits.
func TestWasmCheckDB(t *testing.T) {
	dir := t.TempDir()
	for _, g := range []guest{{name: "db", wasm: "db", toml: "db_max_bytes = 1000\n"}, {name: "accept", wasm: "accept"}} {
		install(t, dir, g)
	}
	tests := []struct {
		name        string
		uses        bool
		keys, bytes int64
	}{
		{"db", true, abi.DBDefaultMaxKeys, 1000},
		{"accept", false, abi.DBDefaultMaxKeys, abi.DBDefaultMaxBytes},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r, err := wasmhost.Check(ctx, filepath.Join(dir, tc.name+".wasm"))
			if err != nil || !r.OK() {
				t.Fatalf("check: %v %v", err, r.Problems)
			}
			if r.UsesDB != tc.uses || r.DBMaxKeys != tc.keys || r.DBMaxBytes != tc.bytes {
				t.Errorf("got uses %v, %d keys, %d bytes; want %v, %d, %d", r.UsesDB, r.DBMaxKeys, r.DBMaxBytes, tc.uses, tc.keys, tc.bytes)
			}
		})
	}
	if err := os.WriteFile(filepath.Join(dir, "db.toml"), []byte("db_max_keys = -1\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if r, _ := wasmhost.Check(ctx, filepath.Join(dir, "db.wasm")); r.OK() || !strings.Contains(strings.Join(r.Problems, " "), "db_max_keys -1") {
		t.Errorf("a negative db_max_keys: problems %v", r.Problems)
	}
}

// TestWasmGoDB runs package sdk/db through the real host and a real badger
// store (testdata/go/db), and checks what it wrote after a restart of both.
// A Go plugin that does not use sdk/db does not import the db_* functions,
// so it loads on relays older than FeatureDB.
func TestWasmGoDB(t *testing.T) {
	bin := wasmbuild.Build(t, "testdata/go/db")
	dir, pdir, d := t.TempDir(), t.TempDir(), newDisk()
	st := dbStore(t, dir, d)
	m, _, err := newManager(t, wasmhost.Options{Store: st, Dir: pdir}, guest{name: "db", wasm: bin, toml: "timeout_ms = 10000"})
	if err != nil {
		t.Fatal(err)
	}
	const want = "blocked: ok keys=1502 k=1500 members=[y] big=60000"
	if v, err := plugin(t, m, "db").Event(ctx, event(1)); err != nil || v.Reason() != want {
		t.Fatalf("got %q, %v; want %q", v.Reason(), err, want)
	}
	m.Close()
	st.Close()
	st = dbStore(t, dir, d)
	m, _, err = newManager(t, wasmhost.Options{Store: st, Dir: pdir})
	if err != nil {
		t.Fatal(err)
	}
	const after = "blocked: keys=1502 k=1500 members=[y] big=60000"
	if v, err := plugin(t, m, "db").Event(ctx, event(2)); err != nil || v.Reason() != after {
		t.Errorf("after restart: got %q, %v; want %q", v.Reason(), err, after)
	}

	for _, tc := range []struct {
		name, pkg string
		uses      bool
	}{{"accept", "testdata/go/accept", false}, {"db", "testdata/go/db", true}} {
		cdir := t.TempDir()
		install(t, cdir, guest{name: tc.name, wasm: wasmbuild.Build(t, tc.pkg)})
		r, err := wasmhost.Check(ctx, filepath.Join(cdir, tc.name+".wasm"))
		if err != nil || r.UsesDB != tc.uses {
			t.Errorf("%s: UsesDB %v, %v; want %v (imports %v)", tc.name, r.UsesDB, err, tc.uses, r.Imports)
		}
	}
}
