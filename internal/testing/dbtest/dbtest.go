// Package dbtest is the conformance suite of a plugin's durable state, the
// db_* host functions of sdk/abi/ABI.md: bounds and error codes, the
// (buf, buf_limit) rule, db_list's entries, order, paging and limits,
// read-your-writes, persistence across a restart and the read-only store.
// The relay's implementation (host/wasmhost/durable on badgerstore) and
// sdktest's in-memory one both pass it, so a policy's native unit tests
// get the relay's semantics:
//
//	func TestDB(t *testing.T) {
//		dbtest.Run(t, func(t *testing.T, l dbtest.Limits) dbtest.Target { ... })
//	}
//
// It depends on the standard library and sdk/abi only, so both sides can
// import it from their tests.
package dbtest

import (
	"fmt"
	"strings"
	"testing"

	"github.com/relayd/relayd/sdk/abi"
)

// DB is one plugin's durable state as a guest reaches it: the host
// functions with Go slices for guest memory (the methods of the SDK's
// native Host interface).
type DB interface {
	DBGet(key string, buf []byte) int32
	DBPut(key string, val []byte, flags uint32) int32
	DBDelete(key string) int32
	DBList(prefix, after string, limit int32, flags uint32, buf []byte) int32
	DBUsage(result *[4]int64) int32
}

// Limits are the plugin's db_max_keys and db_max_bytes; zero fields take
// the defaults.
type Limits struct {
	MaxKeys, MaxBytes int64
}

// Target is a fresh, empty durable state under test.
type Target struct {
	// DB is the state as the plugin sees it.
	DB DB
	// Restart stops the relay (or what stands for it) cleanly and starts
	// it again on the same data, with the plugin's limits now l, and
	// returns the state as the plugin then sees it.
	Restart func(t *testing.T, l Limits) DB
	// SetReadOnly makes the store refuse writes (true), as when its disk
	// is below the reserve, or take them again (false), and returns once
	// the state says so.
	SetReadOnly func(t *testing.T, ro bool)
}

// Run runs the suite; newTarget returns a fresh, empty state with limits
// each time it is called.
func Run(t *testing.T, newTarget func(t *testing.T, l Limits) Target) {
	s := suite{newTarget: newTarget}
	t.Run("GetPutDelete", s.testGetPutDelete)
	t.Run("Errors", s.testErrors)
	t.Run("IfAbsent", s.testIfAbsent)
	t.Run("KeyLimit", s.testKeyLimit)
	t.Run("ByteLimit", s.testByteLimit)
	t.Run("List", s.testList)
	t.Run("ListPaging", s.testListPaging)
	t.Run("ListBuffer", s.testListBuffer)
	t.Run("Restart", s.testRestart)
	t.Run("LoweredLimits", s.testLoweredLimits)
	t.Run("ReadOnly", s.testReadOnly)
}

type suite struct {
	newTarget func(t *testing.T, l Limits) Target
}

func code(rc int32) string {
	if rc >= 0 {
		return fmt.Sprint(rc)
	}
	names := map[abi.Errno]string{abi.ErrNotFound: "ErrNotFound", abi.ErrMemory: "ErrMemory", abi.ErrTooLarge: "ErrTooLarge",
		abi.ErrInvalid: "ErrInvalid", abi.ErrUnavailable: "ErrUnavailable", abi.ErrTimeout: "ErrTimeout",
		abi.ErrMismatch: "ErrMismatch", abi.ErrInternal: "ErrInternal", abi.ErrFull: "ErrFull", abi.ErrReadOnly: "ErrReadOnly"}
	if n, ok := names[abi.Errno(rc)]; ok {
		return n
	}
	return fmt.Sprint(rc)
}

func want(t *testing.T, what string, got int32, w any) {
	t.Helper()
	var ws string
	switch w := w.(type) {
	case abi.Errno:
		ws = code(int32(w))
	default:
		ws = fmt.Sprint(w)
	}
	if code(got) != ws {
		t.Errorf("%s: got %s, want %s", what, code(got), ws)
	}
}

func put(t *testing.T, db DB, k, v string) {
	t.Helper()
	want(t, "put "+k, db.DBPut(k, []byte(v), 0), abi.OK)
}

// get returns key's value, or "<ErrX>".
func get(db DB, k string) string {
	n := db.DBGet(k, nil)
	if n < 0 {
		return "<" + code(n) + ">"
	}
	buf := make([]byte, n)
	if m := db.DBGet(k, buf); m != n {
		return fmt.Sprintf("<length %d then %d>", n, m)
	}
	return string(buf)
}

func usage(t *testing.T, db DB) [4]int64 {
	t.Helper()
	var u [4]int64
	want(t, "usage", db.DBUsage(&u), abi.OK)
	return u
}

func (s suite) testGetPutDelete(t *testing.T) {
	db := s.newTarget(t, Limits{}).DB
	want(t, "get missing", db.DBGet("a", make([]byte, 8)), abi.ErrNotFound)
	put(t, db, "a", "one")
	put(t, db, "b\x00\xff", "")
	want(t, "probe a", db.DBGet("a", nil), 3)
	want(t, "probe empty value", db.DBGet("b\x00\xff", nil), 0)
	small := []byte("xy")
	want(t, "get a into 2 bytes", db.DBGet("a", small), 3)
	if string(small) != "xy" {
		t.Errorf("a too small buffer was written: %q", small)
	}
	if got := get(db, "a"); got != "one" {
		t.Errorf("get a: %q", got)
	}
	put(t, db, "a", "uno")
	if got := get(db, "a"); got != "uno" {
		t.Errorf("get a after overwrite: %q", got)
	}
	want(t, "delete a", db.DBDelete("a"), abi.OK)
	want(t, "get deleted", db.DBGet("a", nil), abi.ErrNotFound)
	want(t, "delete again", db.DBDelete("a"), abi.ErrNotFound)
	put(t, db, "a", "back")
	if got := get(db, "a"); got != "back" {
		t.Errorf("get a after delete and put: %q", got)
	}
	if u := usage(t, db); u != [4]int64{2, int64(len("a") + len("back") + len("b\x00\xff")), abi.DBDefaultMaxKeys, abi.DBDefaultMaxBytes} {
		t.Errorf("usage: got %v", u)
	}
}

func (s suite) testErrors(t *testing.T) {
	db := s.newTarget(t, Limits{})
	long := strings.Repeat("k", abi.MaxKeyLen)
	tests := []struct {
		name string
		rc   func() int32
		want abi.Errno
	}{
		{"put empty key", func() int32 { return db.DB.DBPut("", []byte("v"), 0) }, abi.ErrInvalid},
		{"get empty key", func() int32 { return db.DB.DBGet("", nil) }, abi.ErrInvalid},
		{"delete empty key", func() int32 { return db.DB.DBDelete("") }, abi.ErrInvalid},
		{"put longest key", func() int32 { return db.DB.DBPut(long, nil, 0) }, abi.OK},
		{"put key too long", func() int32 { return db.DB.DBPut(long+"k", nil, 0) }, abi.ErrTooLarge},
		{"get key too long", func() int32 { return db.DB.DBGet(long+"k", nil) }, abi.ErrTooLarge},
		{"delete key too long", func() int32 { return db.DB.DBDelete(long + "k") }, abi.ErrTooLarge},
		{"put largest value", func() int32 { return db.DB.DBPut("v", make([]byte, abi.MaxValueLen), 0) }, abi.OK},
		{"put value too large", func() int32 { return db.DB.DBPut("v", make([]byte, abi.MaxValueLen+1), 0) }, abi.ErrTooLarge},
		{"put unknown flag", func() int32 { return db.DB.DBPut("f", nil, 2) }, abi.ErrInvalid},
		{"list unknown flag", func() int32 { return db.DB.DBList("", "", 0, 2, nil) }, abi.ErrInvalid},
		{"list prefix too long", func() int32 { return db.DB.DBList(long+"k", "", 0, 0, nil) }, abi.ErrTooLarge},
		{"list after too long", func() int32 { return db.DB.DBList("", long+"k", 0, 0, nil) }, abi.ErrTooLarge},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) { want(t, tc.name, tc.rc(), tc.want) })
	}
	if got := get(db.DB, "v"); len(got) != abi.MaxValueLen {
		t.Errorf("the largest value reads back as %d bytes", len(got))
	}
	if get(db.DB, "f") != "<ErrNotFound>" {
		t.Error("a put with an unknown flag wrote")
	}
}

func (s suite) testIfAbsent(t *testing.T) {
	db := s.newTarget(t, Limits{}).DB
	want(t, "first", db.DBPut("k", []byte("1"), abi.DBPutIfAbsent), abi.OK)
	want(t, "second", db.DBPut("k", []byte("2"), abi.DBPutIfAbsent), abi.ErrMismatch)
	if got := get(db, "k"); got != "1" {
		t.Errorf("after a refused put: %q", got)
	}
	want(t, "delete", db.DBDelete("k"), abi.OK)
	want(t, "after delete", db.DBPut("k", []byte("3"), abi.DBPutIfAbsent), abi.OK)
	if got := get(db, "k"); got != "3" {
		t.Errorf("got %q", got)
	}
}

func (s suite) testKeyLimit(t *testing.T) {
	db := s.newTarget(t, Limits{MaxKeys: 3}).DB
	for _, k := range []string{"a", "b", "c"} {
		put(t, db, k, "v")
	}
	want(t, "fourth key", db.DBPut("d", []byte("v"), 0), abi.ErrFull)
	want(t, "get fourth", db.DBGet("d", nil), abi.ErrNotFound)
	want(t, "overwrite at the limit", db.DBPut("a", []byte("longer"), 0), abi.OK)
	want(t, "delete", db.DBDelete("b"), abi.OK)
	want(t, "fourth key after delete", db.DBPut("d", []byte("v"), 0), abi.OK)
	if u := usage(t, db); u[0] != 3 || u[2] != 3 {
		t.Errorf("usage %v, want 3 keys of 3", u)
	}
}

func (s suite) testByteLimit(t *testing.T) {
	db := s.newTarget(t, Limits{MaxBytes: 20}).DB
	put(t, db, "a", strings.Repeat("x", 9)) // 10 bytes
	put(t, db, "b", strings.Repeat("x", 9)) // 20
	want(t, "a byte over", db.DBPut("c", nil, 0), abi.ErrFull)
	want(t, "grow a value", db.DBPut("a", []byte(strings.Repeat("x", 10)), 0), abi.ErrFull)
	want(t, "same size", db.DBPut("a", []byte(strings.Repeat("y", 9)), 0), abi.OK)
	want(t, "shrink", db.DBPut("b", []byte("x"), 0), abi.OK) // 12
	want(t, "fits again", db.DBPut("c", []byte(strings.Repeat("z", 7)), 0), abi.OK)
	if u := usage(t, db); u != [4]int64{3, 20, abi.DBDefaultMaxKeys, 20} {
		t.Errorf("usage %v", u)
	}
	if got := get(db, "a"); got != strings.Repeat("y", 9) {
		t.Errorf("a: %q", got)
	}
}

func (s suite) testRestart(t *testing.T) {
	tg := s.newTarget(t, Limits{MaxKeys: 10})
	db := tg.DB
	put(t, db, "kept", "1")
	put(t, db, "changed", "old")
	put(t, db, "gone", "x")
	put(t, db, "changed", "new")
	want(t, "delete", db.DBDelete("gone"), abi.OK)
	before := usage(t, db)
	db = tg.Restart(t, Limits{MaxKeys: 10})
	for k, v := range map[string]string{"kept": "1", "changed": "new", "gone": "<ErrNotFound>"} {
		if got := get(db, k); got != v {
			t.Errorf("after restart, %s = %q, want %q", k, got, v)
		}
	}
	if u := usage(t, db); u != before {
		t.Errorf("usage after restart %v, before %v", u, before)
	}
	_, es := list(t, db, "", "", 0, abi.DBListValues, 4096)
	if fmt.Sprint(es) != "[{changed new} {kept 1}]" {
		t.Errorf("list after restart: %v", es)
	}
	put(t, db, "later", "2")
	db = tg.Restart(t, Limits{MaxKeys: 10})
	if got := get(db, "later"); got != "2" {
		t.Errorf("after a second restart: %q", got)
	}
}

// testLoweredLimits: limits lowered below what the plugin holds refuse
// the writes that grow it, and take the others.
func (s suite) testLoweredLimits(t *testing.T) {
	tg := s.newTarget(t, Limits{})
	for _, k := range []string{"a", "b", "c"} {
		put(t, tg.DB, k, "123456789") // 10 bytes each
	}
	db := tg.Restart(t, Limits{MaxKeys: 2, MaxBytes: 15})
	want(t, "same size", db.DBPut("a", []byte("987654321"), 0), abi.OK)
	want(t, "grow", db.DBPut("a", []byte("9876543210"), 0), abi.ErrFull)
	want(t, "new key", db.DBPut("d", nil, 0), abi.ErrFull)
	want(t, "shrink", db.DBPut("b", []byte("1"), 0), abi.OK)
	want(t, "delete", db.DBDelete("c"), abi.OK)
	want(t, "new key at the key limit", db.DBPut("d", nil, 0), abi.ErrFull)
	want(t, "grow within the byte limit", db.DBPut("b", []byte("123"), 0), abi.OK)
	if u := usage(t, db); u != [4]int64{2, 14, 2, 15} {
		t.Errorf("usage %v", u)
	}
}

func (s suite) testReadOnly(t *testing.T) {
	tg := s.newTarget(t, Limits{})
	db := tg.DB
	put(t, db, "a", "1")
	tg.SetReadOnly(t, true)
	want(t, "put", db.DBPut("b", []byte("2"), 0), abi.ErrReadOnly)
	want(t, "overwrite", db.DBPut("a", []byte("2"), 0), abi.ErrReadOnly)
	want(t, "delete", db.DBDelete("a"), abi.ErrReadOnly)
	if got := get(db, "a"); got != "1" {
		t.Errorf("read while read-only: %q", got)
	}
	if _, es := list(t, db, "", "", 0, 0, 4096); keys(es) != "a" {
		t.Errorf("list while read-only: %q", keys(es))
	}
	tg.SetReadOnly(t, false)
	put(t, db, "b", "2")
	if got := get(db, "b"); got != "2" {
		t.Errorf("after the store took writes again: %q", got)
	}
}
