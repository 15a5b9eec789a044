package wasmhost_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/nbd-wtf/go-nostr"

	"github.com/relayd/relayd/host/policy"
	"github.com/relayd/relayd/host/wasmhost"
	"github.com/relayd/relayd/internal/testing/wasmbuild"
)

// input is op's event, built once.
func (op dbOp) input() *policy.EventInput {
	ev := &nostr.Event{ID: strings.Repeat("e", 64), PubKey: strings.Repeat("a", 64), Kind: op.kind,
		CreatedAt: nostr.Timestamp(op.buf), Content: op.key, Tags: nostr.Tags{}, Sig: strings.Repeat("f", 128)}
	if op.val != "" {
		ev.Tags = nostr.Tags{{op.val}}
	}
	raw, _ := ev.MarshalJSON()
	s := session(1)
	return &policy.EventInput{Session: s, Event: ev, Raw: raw, ReceivedAt: op.limit, Source: s.Source()}
}

// BenchmarkWasmDB is the cost of one durable state call from a hook: the
// db.wat hook with one db_* call, on a real badger store, one goroutine,
// a pool of one. "features" is the same hook with a features call in its
// place: subtract it for the cost of the db_* call itself. put-same
// overwrites one key; put-new writes a new key each time. get-committed
// reads a key the store has; get-pending one still in the overlay (the
// flusher is held off by rewriting it between reads).
func BenchmarkWasmDB(b *testing.B) {
	st := dbStore(b, b.TempDir(), newDisk())
	m, _, err := newManager(b, wasmhost.Options{Store: st},
		guest{name: "db", wasm: "db", toml: "pool = 1\ndb_max_keys = 10000000\ndb_max_bytes = 1073741824"})
	if err != nil {
		b.Fatal(err)
	}
	p := plugin(b, m, "db")
	val := strings.Repeat("v", 32)
	for i := range 32 {
		dbOp{kind: opPut, key: fmt.Sprintf("l/%02d", i), val: val}.call(b, p)
	}
	dbOp{kind: opPut, key: "k", val: val}.call(b, p)
	if err := m.FlushState(ctx, "db"); err != nil {
		b.Fatal(err)
	}
	run := func(name string, in func(i int) *policy.EventInput) {
		b.Run(name, func(b *testing.B) {
			b.ReportAllocs()
			i := 0
			for b.Loop() {
				if _, err := p.Event(ctx, in(i)); err != nil {
					b.Fatal(err)
				}
				i++
			}
		})
	}
	fixed := func(op dbOp) func(int) *policy.EventInput {
		in := op.input()
		return func(int) *policy.EventInput { return in }
	}
	run("features", fixed(dbOp{kind: opFeatures}))
	run("get-committed", fixed(dbOp{kind: opGet, key: "k", buf: 64}))
	run("get-missing", fixed(dbOp{kind: opGet, key: "nope", buf: 64}))
	run("put-same", fixed(dbOp{kind: opPut, key: "k", val: val}))
	var ins []*policy.EventInput
	for i := range 4096 {
		ins = append(ins, dbOp{kind: opPut, key: fmt.Sprintf("n/%08d", i), val: val}.input())
	}
	run("put-new", func(i int) *policy.EventInput {
		in := ins[i%len(ins)]
		if i >= len(ins) { // a new key: rewrite the content in place
			ev := *in.Event
			ev.Content = fmt.Sprintf("n/%08d", i)
			return &policy.EventInput{Session: in.Session, Event: &ev, Raw: in.Raw, ReceivedAt: in.ReceivedAt, Source: in.Source}
		}
		return in
	})
	put, get := dbOp{kind: opPut, key: "hot", val: val}.input(), dbOp{kind: opGet, key: "hot", buf: 64}.input()
	run("put-then-get-pending", func(i int) *policy.EventInput {
		if i%2 == 0 {
			return put
		}
		return get
	})
	run("list-10-keys", fixed(dbOp{kind: opList, key: "l/", buf: 500, limit: 10}))
	run("list-10-values", fixed(dbOp{kind: opListValues, key: "l/", buf: 500, limit: 10}))
	if err := m.FlushState(ctx, "db"); err != nil {
		b.Fatal(err)
	}
}

// BenchmarkWasmDBGo is the same from a Go plugin (testdata/go/db), one
// hook call per operation: "pubkey" reads the pubkey and accepts (the
// baseline), "has" checks "ban/<pubkey>" with db.Has, "put" writes
// "seen/<pubkey>" with db.Put (the same key each time).
func BenchmarkWasmDBGo(b *testing.B) {
	bin := wasmbuild.Build(b, "testdata/go/db")
	st := dbStore(b, b.TempDir(), newDisk())
	m, _, err := newManager(b, wasmhost.Options{Store: st}, guest{name: "db", wasm: bin, toml: "pool = 1"})
	if err != nil {
		b.Fatal(err)
	}
	p := plugin(b, m, "db")
	for _, tc := range []struct {
		name string
		kind int
	}{{"pubkey", 5}, {"has", 3}, {"put", 4}} {
		in := event(tc.kind)
		b.Run(tc.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := p.Event(ctx, in); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
	if err := m.FlushState(ctx, "db"); err != nil {
		b.Fatal(err)
	}
}
