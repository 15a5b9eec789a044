package sharedstate_test

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/relayd/relayd/host/cluster"
	"github.com/relayd/relayd/host/cluster/sharedstate"
	"github.com/relayd/relayd/host/config"
	"github.com/relayd/relayd/host/store/badgerstore"
	"github.com/relayd/relayd/host/wasmhost/durable"
	"github.com/relayd/relayd/host/wasmhost/state"
	"github.com/relayd/relayd/internal/testing/natstest"
	"github.com/relayd/relayd/sdk/abi"
)

// waitBound bounds every wait of these tests.
const waitBound = 30 * time.Second

// node is one relayd node's shared state, on a real NATS server of the
// test's cluster, with its own badger store.
type node struct {
	name string
	conn *cluster.Conn
	ss   *sharedstate.Shared
	st   *badgerstore.Store
}

func startNode(t *testing.T, name, url string, replicas int) *node {
	t.Helper()
	return startNodeTB(t, name, url, replicas, leaseWait)
}

// leaseWait is the tests' lease wait: long enough that a loaded machine
// never makes a take fall back to the node's own bucket (the accuracy
// tests check the leases), except where a test wants the fallback.
const leaseWait = 10 * time.Second

func startNodeTB(t testing.TB, name, url string, replicas int, lw time.Duration) *node {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), waitBound)
	defer cancel()
	conn, err := cluster.Connect(ctx, cluster.Options{Config: config.Cluster{NATSURL: url, Node: name, Replicas: replicas}, DataDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	ss, err := sharedstate.Start(ctx, sharedstate.Options{Conn: conn, LeaseWait: lw})
	if err != nil {
		conn.Close()
		t.Fatal(err)
	}
	st, err := badgerstore.Open(t.TempDir(), badgerstore.Options{})
	if err != nil {
		t.Fatal(err)
	}
	n := &node{name: name, conn: conn, ss: ss, st: st}
	t.Cleanup(func() { ss.Close(); conn.Close(); st.Close() })
	return n
}

// durable returns plugin p's durable state on n, joined to the cluster.
func (n *node) durable(t *testing.T) *durable.Space {
	t.Helper()
	db := durable.New("p", n.st, durable.Limits{}, nil)
	if err := db.Load(); err != nil {
		t.Fatal(err)
	}
	n.ss.Durable("p", db)
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), waitBound)
		defer cancel()
		db.Close(ctx)
	})
	return db
}

func get(db *durable.Space, k string) string {
	buf := make([]byte, 1024)
	n := db.Get([]byte(k), buf)
	switch {
	case n == int32(abi.ErrNotFound):
		return "<none>"
	case n < 0:
		return fmt.Sprintf("<errno %d>", n)
	}
	return string(buf[:n])
}

// waitValue waits until k is want on db.
func waitValue(t *testing.T, what string, db *durable.Space, k, want string) {
	t.Helper()
	deadline := time.Now().Add(waitBound)
	for get(db, k) != want {
		if time.Now().After(deadline) {
			t.Fatalf("%s: %s = %q, want %q", what, k, get(db, k), want)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func flush(t testing.TB, db *durable.Space) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), waitBound)
	defer cancel()
	if err := db.Flush(ctx); err != nil {
		t.Fatal(err)
	}
}

// TestDurableAcrossNodes: a write on one node reaches the others; a
// deletion too; concurrent writes of one key on every node converge to
// one value everywhere; a node joining later starts with the cluster's
// keys, and drops a key it cached that the cluster deleted.
func TestDurableAcrossNodes(t *testing.T) {
	nc := natstest.StartCluster(t, 3)
	var nodes []*node
	var dbs []*durable.Space
	for i, s := range nc.Servers {
		n := startNode(t, fmt.Sprint("n", i), s.URL, 3)
		nodes = append(nodes, n)
		dbs = append(dbs, n.durable(t))
	}
	if e := dbs[0].Put([]byte("a"), []byte("1"), 0); e != abi.OK {
		t.Fatal(e)
	}
	flush(t, dbs[0]) // back from the log: on every connected node soon
	for i, db := range dbs {
		waitValue(t, fmt.Sprint("node ", i), db, "a", "1")
	}
	if e := dbs[2].Delete([]byte("a")); e != abi.OK {
		t.Fatal(e)
	}
	for i, db := range dbs {
		waitValue(t, fmt.Sprint("node ", i, " after delete"), db, "a", "<none>")
	}

	// Concurrent writers: 3 nodes × 50 writes of key "k".
	var wg sync.WaitGroup
	for i, db := range dbs {
		wg.Go(func() {
			for j := range 50 {
				if e := db.Put([]byte("k"), fmt.Appendf(nil, "%d-%d", i, j), 0); e != abi.OK {
					t.Errorf("node %d put: %v", i, e)
				}
			}
		})
	}
	wg.Wait()
	for _, db := range dbs {
		flush(t, db)
	}
	// Every own write is back on its node; the last entry of the log is
	// what all must hold once each has applied it: wait for agreement.
	deadline := time.Now().Add(waitBound)
	for {
		v0, v1, v2 := get(dbs[0], "k"), get(dbs[1], "k"), get(dbs[2], "k")
		if v0 == v1 && v1 == v2 && v0 != "<none>" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("nodes disagree: %q %q %q", v0, v1, v2)
		}
		time.Sleep(5 * time.Millisecond)
	}

	// A late node: its cached "gone" key, deleted in the cluster's copy
	// while it was away, is dropped; the cluster's keys are there when
	// Durable returns.
	late := startNode(t, "late", nc.Servers[1].URL, 3)
	pre := durable.New("p", late.st, durable.Limits{}, nil)
	if err := pre.Load(); err != nil {
		t.Fatal(err)
	}
	pre.Put([]byte("gone"), []byte("x"), 0)
	flush(t, pre)
	closeCtx, cancel := context.WithTimeout(context.Background(), waitBound)
	defer cancel()
	pre.Close(closeCtx)
	db := late.durable(t)
	if got, want := get(db, "k"), get(dbs[0], "k"); got != want {
		t.Errorf("late node: k = %q, want %q", got, want)
	}
	if got := get(db, "gone"); got != "<none>" {
		t.Errorf("late node kept a key the cluster does not have: %q", got)
	}
}

// TestBucketAcrossNodes: one bucket of burst 100 (no refill to speak of)
// drawn from by 3 nodes at once, 100 takes each: the cluster admits
// between 100 - 3·L and 100 (L = 2, the lease size), never more.
func TestBucketAcrossNodes(t *testing.T) {
	nc := natstest.StartCluster(t, 3)
	const burst, perNode = 100, 100
	var spaces []*state.Space
	for i, s := range nc.Servers {
		n := startNode(t, fmt.Sprint("n", i), s.URL, 3)
		sp := state.New(state.Limits{})
		n.ss.State("p", sp)
		spaces = append(spaces, sp)
	}
	var mu sync.Mutex
	admitted := 0
	var wg sync.WaitGroup
	for i, sp := range spaces {
		wg.Go(func() {
			for range perNode {
				wait, err := sp.Take([]byte("pk"), 1, 1e-9, burst, time.Now().UnixNano())
				if err != nil {
					t.Errorf("node %d: %v", i, err)
					return
				}
				if wait == 0 {
					mu.Lock()
					admitted++
					mu.Unlock()
				}
			}
		})
	}
	wg.Wait()
	const bound = 3 * 2 // N·L
	if admitted > burst || admitted < burst-bound {
		t.Fatalf("admitted %d, want %d - %d..%d", admitted, burst, bound, burst)
	}
	t.Logf("admitted %d of a budget of %d across 3 nodes", admitted, burst)
}

// TestCountersAcrossNodes: what one node adds to a counter, another sees;
// a kv key set on one node is there on the others, and so is its
// deletion.
func TestCountersAcrossNodes(t *testing.T) {
	nc := natstest.StartCluster(t, 3)
	var spaces []*state.Space
	for i, s := range nc.Servers {
		n := startNode(t, fmt.Sprint("n", i), s.URL, 3)
		sp := state.New(state.Limits{})
		n.ss.State("p", sp)
		spaces = append(spaces, sp)
	}
	for i, sp := range spaces {
		if _, err := sp.CounterAdd([]byte("c"), int64(i+1), 0, time.Now().UnixNano()); err != nil {
			t.Fatal(err)
		}
	}
	for i, sp := range spaces {
		deadline := time.Now().Add(waitBound)
		for {
			v, _ := sp.CounterGet([]byte("c"), time.Now().UnixNano())
			if v == 6 {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("node %d: counter %d, want 6", i, v)
			}
			time.Sleep(5 * time.Millisecond)
		}
	}
	kv := func(sp *state.Space) string {
		v := "<none>"
		sp.KVGet([]byte("seen"), time.Now().UnixNano(), func(b []byte) { v = string(b) })
		return v
	}
	waitKV := func(want string) {
		t.Helper()
		deadline := time.Now().Add(waitBound)
		for i := 0; i < len(spaces); {
			if kv(spaces[i]) == want {
				i++
				continue
			}
			if time.Now().After(deadline) {
				t.Fatalf("node %d: kv %q, want %q", i, kv(spaces[i]), want)
			}
			time.Sleep(5 * time.Millisecond)
		}
	}
	if err := spaces[0].KVSet([]byte("seen"), []byte("1"), time.Hour, time.Now().UnixNano()); err != nil {
		t.Fatal(err)
	}
	waitKV("1")
	if err := spaces[2].KVDelete([]byte("seen"), time.Now().UnixNano()); err != nil {
		t.Fatal(err)
	}
	waitKV("<none>")
}

// TestUnreachable: with its NATS server down, a node keeps answering from
// its own copy: reads, durable writes (queued), bucket takes (answered
// locally, within the lease wait); once NATS is back, the queued writes
// reach the other node.
func TestUnreachable(t *testing.T) {
	s1 := natstest.Start(t)
	a := startNodeTB(t, "a", s1.URL, 1, sharedstate.DefaultLeaseWait)
	dbA := a.durable(t)
	if e := dbA.Put([]byte("before"), []byte("1"), 0); e != abi.OK {
		t.Fatal(e)
	}
	flush(t, dbA)
	sp := state.New(state.Limits{})
	a.ss.State("p", sp)

	s1.Stop()
	if got := get(dbA, "before"); got != "1" {
		t.Fatalf("read while NATS is down: %q", got)
	}
	if e := dbA.Put([]byte("during"), []byte("2"), 0); e != abi.OK {
		t.Fatalf("write while NATS is down: %v", e)
	}
	if got := get(dbA, "during"); got != "2" {
		t.Fatalf("read of a write made while NATS is down: %q", got)
	}
	// The take falls back to the node's own bucket: admitted, no hang
	// (the test's deadline is the hang guard).
	for i := range 3 {
		if wait, err := sp.Take([]byte("ip"), 1, 1e-9, 2, time.Now().UnixNano()); err != nil || (i < 2) != (wait == 0) {
			t.Fatalf("take %d while NATS is down: wait %v, %v", i, wait, err)
		}
	}
	if a.ss.Queued() == 0 {
		t.Fatal("the write made while NATS was down is not queued")
	}

	s1.Restart()
	flush(t, dbA) // the queued write is published and back from the log
	b := startNode(t, "b", s1.URL, 1)
	dbB := b.durable(t)
	if got := get(dbB, "during"); got != "2" {
		t.Fatalf("another node after reconnect: during = %q", got)
	}
}
