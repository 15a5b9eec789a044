package sharedstate_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/relayd/relayd/host/wasmhost/durable"
	"github.com/relayd/relayd/host/wasmhost/state"
	"github.com/relayd/relayd/internal/testing/natstest"
	"github.com/relayd/relayd/sdk/abi"
)

// BenchmarkHostState is the cost of one state call of a hook, node-local
// against cluster-wide (a 3-server JetStream cluster, R3, on loopback):
// a bucket take (burst 100: a lease round trip every L = 2 takes; burst
// 5000: every 100), a counter add, a durable put (queued; published by the
// background publisher).
func BenchmarkHostState(b *testing.B) {
	nc := natstest.StartCluster(b, 3)
	n := startNodeTB(b, "bench", nc.Servers[0].URL, 3, leaseWait)
	for _, mode := range []string{"local", "cluster"} {
		newSpace := func() *state.Space {
			sp := state.New(state.Limits{})
			if mode == "cluster" {
				n.ss.State(fmt.Sprint("p-", time.Now().UnixNano()), sp)
			}
			return sp
		}
		for _, burst := range []int64{100, 5000} {
			b.Run(fmt.Sprintf("take/burst=%d/%s", burst, mode), func(b *testing.B) {
				sp := newSpace()
				for b.Loop() {
					if _, err := sp.Take([]byte("pk"), 1, 1e9, burst, time.Now().UnixNano()); err != nil {
						b.Fatal(err)
					}
				}
			})
		}
		b.Run("counter_add/"+mode, func(b *testing.B) {
			sp := newSpace()
			for b.Loop() {
				sp.CounterAdd([]byte("c"), 1, time.Minute, time.Now().UnixNano())
			}
		})
		b.Run("db_put/"+mode, func(b *testing.B) {
			db := durable.New("p", n.st, durable.Limits{MaxKeys: 1 << 30, MaxBytes: 1 << 40}, nil)
			if err := db.Load(); err != nil {
				b.Fatal(err)
			}
			if mode == "cluster" {
				n.ss.Durable(fmt.Sprint("bench-", time.Now().UnixNano()), db)
			}
			i := 0
			for b.Loop() {
				i++
				if e := db.Put(fmt.Appendf(nil, "k%d", i%1000), []byte("v"), 0); e != abi.OK {
					b.Fatal(e)
				}
			}
			b.StopTimer()
			flush(b, db)
		})
	}
}
