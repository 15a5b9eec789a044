package negentropy_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"path/filepath"
	"runtime"
	"sync"
	"testing"

	"github.com/nbd-wtf/go-nostr"
	"github.com/nbd-wtf/go-nostr/nip77/negentropy"

	"github.com/relayd/relayd/host/reconcile"
	"github.com/relayd/relayd/host/store/badgerstore"
	"github.com/relayd/relayd/internal/testing/relaydtest"
	wsc "github.com/relayd/relayd/internal/testing/wsclient"
)

// The benchmarks reconcile 100k stored events against a local set that
// differs by 1%: 500 of the relay's events are missing locally and 500
// local ones are missing on the relay. Events carry real ids and random
// signatures (the store does not check them; signing 100k would only
// slow the setup). Run:
//
//	go test -tags libsecp256k1 -run '^$' -bench Negentropy100k -benchtime 3x ./test/negentropy/
const (
	benchEvents = 100000
	benchDiff   = 500 // each way
)

// bench is the shared setup: a relayd on badger holding benchEvents, and
// the local set.
type bench struct {
	url      string
	filter   nostr.Filter
	local    *reconcile.Set
	localIDs map[string]bool
}

// BenchmarkNegentropy100k sets up once and runs the three measurements:
// reconcile (NIP-77 with host/reconcile), naive (REQ everything and
// compare ids) and session-memory (the heap of one open session).
func BenchmarkNegentropy100k(b *testing.B) {
	bd, err := build(b)
	if err != nil {
		b.Fatal(err)
	}
	b.Run("reconcile", func(b *testing.B) { benchReconcile(b, bd) })
	b.Run("naive", func(b *testing.B) { benchNaive(b, bd) })
	b.Run("session-memory", func(b *testing.B) { benchSessionMemory(b, bd) })
}

// build stores the events in badger, then starts relayd on that data dir.
func build(b *testing.B) (*bench, error) {
	dir := b.TempDir()
	st, err := badgerstore.Open(filepath.Join(dir, "events"), badgerstore.Options{})
	if err != nil {
		return nil, err
	}
	bd := &bench{localIDs: map[string]bool{}, local: reconcile.NewSet(benchEvents)}
	pk := wsc.NewKey().PK
	base := nostr.Now() - benchEvents - 1000
	errs := make(chan error, 1)
	var wg sync.WaitGroup
	for i := range benchEvents + benchDiff {
		ev := fakeEvent(pk, base+nostr.Timestamp(i), i)
		if i < benchEvents {
			raw, _ := ev.MarshalJSON()
			wg.Add(1)
			st.Submit(ev, raw, func(err error) {
				if err != nil {
					select {
					case errs <- err:
					default:
					}
				}
				wg.Done()
			})
		}
		if i >= benchDiff { // the first benchDiff are the relay's alone
			bd.local.Add(ev.CreatedAt, ev.ID)
			bd.localIDs[ev.ID] = true
		}
	}
	wg.Wait()
	if err := st.Close(); err != nil {
		return nil, err
	}
	select {
	case err := <-errs:
		return nil, err
	default:
	}
	bd.local.Seal()
	cfg := relaydtest.Default("")
	cfg.DataDir = dir
	cfg.MaxLimit, cfg.DefaultLimit = benchEvents, 500 // one REQ may take them all, for the naive diff
	r := relaydtest.Start(b, cfg)
	bd.url = r.URL
	bd.filter = nostr.Filter{Kinds: []int{1}, Authors: []string{pk}}
	return bd, nil
}

// fakeEvent is a note of about 400 bytes with a real id and a random
// signature.
func fakeEvent(pk string, ts nostr.Timestamp, i int) *nostr.Event {
	sig := make([]byte, 64)
	rand.Read(sig)
	ev := &nostr.Event{PubKey: pk, CreatedAt: ts, Kind: 1, Content: fmt.Sprintf("note %d: %s", i, "a typical short text note, with a few words in it, a link https://example.com/x and an emoji ✨"),
		Tags: nostr.Tags{{"t", "nostr"}, {"e", hex.EncodeToString(sig[:32]), "wss://relay.example.com", "reply"}}, Sig: hex.EncodeToString(sig)}
	ev.ID = ev.GetID()
	return ev
}

// benchReconcile: one NIP-77 reconciliation (dial, NEG-OPEN ...
// NEG-CLOSE) finding the 1% difference; bytes are websocket payloads.
func benchReconcile(b *testing.B, bd *bench) {
	ctx := context.Background()
	var res *reconcile.Result
	b.ResetTimer()
	for range b.N {
		c, err := reconcile.Dial(ctx, bd.url, reconcile.Options{})
		if err != nil {
			b.Fatal(err)
		}
		if res, err = c.Reconcile(ctx, bd.filter, bd.local); err != nil {
			b.Fatal(err)
		}
		c.Close()
	}
	b.StopTimer()
	if len(res.Have) != benchDiff || len(res.Need) != benchDiff {
		b.Fatalf("have %d need %d, want %d each", len(res.Have), len(res.Need), benchDiff)
	}
	b.ReportMetric(float64(res.BytesSent), "B-sent/op")
	b.ReportMetric(float64(res.BytesReceived), "B-recv/op")
	b.ReportMetric(float64(res.Rounds), "rounds/op")
}

// benchNaive: the same difference found the naive way: REQ every event
// of the filter and compare the ids.
func benchNaive(b *testing.B, bd *bench) {
	ctx := context.Background()
	var sent, recv int64
	b.ResetTimer()
	for range b.N {
		c, err := reconcile.Dial(ctx, bd.url, reconcile.Options{MaxMessageBytes: 1 << 20})
		if err != nil {
			b.Fatal(err)
		}
		f := bd.filter
		f.Limit = benchEvents
		req, _ := json.Marshal([]any{"REQ", "all", f})
		sent = int64(len(req))
		if err := c.Send(ctx, req); err != nil {
			b.Fatal(err)
		}
		recv = 0
		need := 0
		for {
			m, err := c.Receive(ctx)
			if err != nil {
				b.Fatal(err)
			}
			recv += int64(len(m))
			var arr []json.RawMessage
			json.Unmarshal(m, &arr)
			if wsc.Label(arr) == "EOSE" {
				break
			}
			if wsc.Label(arr) != "EVENT" || len(arr) != 3 {
				continue
			}
			var ev struct{ ID string }
			json.Unmarshal(arr[2], &ev)
			if !bd.localIDs[ev.ID] {
				need++
			}
		}
		c.Close()
		if need != benchDiff {
			b.Fatalf("need %d, want %d", need, benchDiff)
		}
	}
	b.StopTimer()
	b.ReportMetric(float64(sent), "B-sent/op")
	b.ReportMetric(float64(recv), "B-recv/op")
}

// benchSessionMemory measures the heap one open negentropy session over
// 100k events holds in the relay (relayd runs in this process): the set,
// the engine and the session, as what NEG-CLOSE frees.
func benchSessionMemory(b *testing.B, bd *bench) {
	heap := func() int64 {
		runtime.GC()
		var m runtime.MemStats
		runtime.ReadMemStats(&m)
		return int64(m.HeapAlloc)
	}
	var held int64
	b.ResetTimer()
	for range b.N {
		c := wsc.Dial(b, bd.url)
		c.Send("NEG-OPEN", "mem", bd.filter, initialOf(bd.local))
		c.Expect("NEG-MSG")
		open := heap()
		c.Send("NEG-CLOSE", "mem")
		c.Send("NEG-MSG", "mem", "61") // answered once the NEG-CLOSE freed it
		c.Expect("NEG-ERR")
		held = open - heap()
		c.NC.Close()
	}
	b.StopTimer()
	b.ReportMetric(float64(held), "B/session")
	b.ReportMetric(float64(held)/benchEvents, "B/event")
}

// initialOf is the first message of a client holding set.
func initialOf(set *reconcile.Set) string {
	return negentropy.New(set, 60000).Start()
}
