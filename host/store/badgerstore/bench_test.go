package badgerstore

import (
	"context"
	"fmt"
	"os"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/nbd-wtf/go-nostr"
)

// The query benchmarks share one store preloaded with benchEvents notes
// from benchAuthors authors, built on first use and removed by TestMain.
const (
	benchEvents  = 20_000
	benchAuthors = 100
)

var bench struct {
	once    sync.Once
	dir     string
	s       *Store
	authors []string
	es      []testEvent
	err     error

	// The same events in a store without the event cache, so that every
	// read goes to badger (and its checksums).
	onceNoCache sync.Once
	dirNoCache  string
	sNoCache    *Store
}

func TestMain(m *testing.M) {
	code := m.Run()
	for _, st := range []struct {
		s   *Store
		dir string
	}{{bench.s, bench.dir}, {bench.sNoCache, bench.dirNoCache}} {
		if st.s != nil {
			_ = st.s.Close()
			_ = os.RemoveAll(st.dir)
		}
	}
	os.Exit(code)
}

// note returns a realistic kind-1 note: an e tag replying to an earlier
// note, a p tag, a hashtag and about 200 bytes of content.
func note(authors []string, es []testEvent, i int, createdAt int64) testEvent {
	return noteOfKind(authors, es, i, createdAt, 1)
}

// noteOfKind is note with another kind.
func noteOfKind(authors []string, es []testEvent, i int, createdAt int64, kind int) testEvent {
	reply := strings.Repeat("0", 64)
	if len(es) > 0 {
		reply = es[i%min(len(es), 500)].ev.ID
	}
	tags := nostr.Tags{
		{"e", reply, "wss://relay.example.com", "reply"},
		{"p", authors[(i*7)%len(authors)]},
		{"t", "topic" + strconv.Itoa(i%20)},
	}
	content := fmt.Sprintf("note %d: %s", i, strings.Repeat("lorem ipsum dolor sit amet ", 7))
	return makeEvent(authors[i%len(authors)], kind, createdAt, tags, content)
}

func preloaded(b *testing.B) *Store {
	bench.once.Do(func() {
		bench.dir, bench.err = os.MkdirTemp("", "badgerstore-bench-")
		if bench.err != nil {
			return
		}
		bench.s, bench.err = Open(bench.dir, Options{})
		if bench.err != nil {
			return
		}
		for range benchAuthors {
			bench.authors = append(bench.authors, randHex32())
		}
		start := time.Now().Unix() - benchEvents
		// Every author has notes and, one event in ten, reactions (kind
		// 7): two kinds each, as author queries find them.
		for i := range benchEvents {
			kind := 1
			if i%10 == 9 {
				kind = 7
			}
			bench.es = append(bench.es, noteOfKind(bench.authors, bench.es, i, start+int64(i/2), kind))
		}
		for _, err := range submitAll(bench.s, bench.es, 4) {
			if err != nil {
				bench.err = err
				return
			}
		}
	})
	if bench.err != nil {
		b.Fatal(bench.err)
	}
	return bench.s
}

// preloadedNoCache is preloaded's events in a store with CacheBytes -1.
func preloadedNoCache(b *testing.B) *Store {
	preloaded(b)
	bench.onceNoCache.Do(func() {
		bench.dirNoCache, bench.err = os.MkdirTemp("", "badgerstore-bench-")
		if bench.err != nil {
			return
		}
		bench.sNoCache, bench.err = Open(bench.dirNoCache, Options{CacheBytes: -1})
		if bench.err != nil {
			return
		}
		for _, err := range submitAll(bench.sNoCache, bench.es, 4) {
			if err != nil {
				bench.err = err
				return
			}
		}
	})
	if bench.err != nil {
		b.Fatal(bench.err)
	}
	return bench.sNoCache
}

func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// BenchmarkSubmit measures ingest with concurrent submitters that do not
// wait for their acknowledgements, one event per op. cpu-ns/event is the
// process CPU time (badger's goroutines included) per event.
func BenchmarkSubmit(b *testing.B) {
	for _, submitters := range []int{1, 8, 64} {
		b.Run("submitters="+strconv.Itoa(submitters), func(b *testing.B) {
			benchIngest(b, submitters, func(s *Store, es []testEvent) []error { return submitAll(s, es, submitters) })
		})
	}
}

// BenchmarkSave measures ingest when each publisher waits for its event to
// be durable before sending the next, as a relay connection does.
func BenchmarkSave(b *testing.B) {
	for _, publishers := range []int{1, 64, 256} {
		b.Run("publishers="+strconv.Itoa(publishers), func(b *testing.B) {
			benchIngest(b, publishers, func(s *Store, es []testEvent) []error {
				errs := make([]error, len(es))
				var wg sync.WaitGroup
				for w := range publishers {
					wg.Go(func() {
						for i := w; i < len(es); i += publishers {
							errs[i] = s.Save(context.Background(), es[i].ev, es[i].raw)
						}
					})
				}
				wg.Wait()
				return errs
			})
		})
	}
}

func benchIngest(b *testing.B, _ int, ingest func(*Store, []testEvent) []error) {
	benchIngestOpts(b, Options{}, ingest)
}

func benchIngestOpts(b *testing.B, opts Options, ingest func(*Store, []testEvent) []error) {
	s, err := Open(b.TempDir(), opts)
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	authors := make([]string, benchAuthors)
	for i := range authors {
		authors[i] = randHex32()
	}
	es := make([]testEvent, 0, b.N)
	start := time.Now().Unix() - int64(b.N)
	for i := range b.N {
		es = append(es, note(authors, es, i, start+int64(i)))
	}
	b.ReportAllocs()
	b.ResetTimer()
	cpu0, wall0 := cpuTime(), time.Now()
	errs := ingest(s, es)
	cpu, wall := cpuTime()-cpu0, time.Since(wall0)
	b.StopTimer()
	for i, err := range errs {
		if err != nil {
			b.Fatalf("event %d: %v", i, err)
		}
	}
	b.ReportMetric(float64(cpu.Nanoseconds())/float64(b.N), "cpu-ns/event")
	b.ReportMetric(float64(b.N)/wall.Seconds(), "events/s")
	b.ReportMetric(float64(b.N)/float64(max(1, s.commits.Load())), "events/commit")
}

// BenchmarkQuery measures queries against the preloaded store.
func BenchmarkQuery(b *testing.B) { benchQuery(b, preloaded(b)) }

// BenchmarkQueryNoCache is BenchmarkQuery with every event read from
// badger: block and value checksums are verified on each read.
func BenchmarkQueryNoCache(b *testing.B) { benchQuery(b, preloadedNoCache(b)) }

func benchQuery(b *testing.B, s *Store) {
	ctx := context.Background()
	tests := []struct {
		name   string
		limit  int
		filter func(i int) nostr.Filter
	}{
		{"author/limit=50", 50, func(i int) nostr.Filter {
			return nostr.Filter{Authors: []string{bench.authors[i%benchAuthors]}}
		}},
		{"authors=10/limit=50", 50, func(i int) nostr.Filter {
			a := i % (benchAuthors - 10)
			return nostr.Filter{Authors: bench.authors[a : a+10]}
		}},
		{"kind/limit=50", 50, func(int) nostr.Filter { return nostr.Filter{Kinds: []int{1}} }},
		{"newest/limit=50", 50, func(int) nostr.Filter { return nostr.Filter{} }},
		{"e-tag/limit=50", 50, func(i int) nostr.Filter {
			return nostr.Filter{Tags: nostr.TagMap{"e": {bench.es[i%500].ev.ID}}}
		}},
		{"10-ids", 10, func(i int) nostr.Filter {
			ids := make([]string, 10)
			for j := range ids {
				ids[j] = bench.es[(i*10+j*1999)%benchEvents].ev.ID
			}
			return nostr.Filter{IDs: ids}
		}},
		{"authors=10+kind/limit=50", 50, func(i int) nostr.Filter {
			a := i % (benchAuthors - 10)
			return nostr.Filter{Authors: bench.authors[a : a+10], Kinds: []int{1}}
		}},
	}
	for _, tc := range tests {
		b.Run(tc.name, func(b *testing.B) {
			b.ReportAllocs()
			got := 0
			cpu := cpuTime()
			for i := range b.N {
				err := s.Query(ctx, tc.filter(i), tc.limit, func([]byte) bool { got++; return true })
				if err != nil {
					b.Fatal(err)
				}
			}
			// Process CPU per query: steadier than wall time on a busy
			// machine.
			b.ReportMetric(float64(cpuTime()-cpu)/float64(b.N), "cpu-ns/op")
			b.ReportMetric(float64(got)/float64(b.N), "events/op")
		})
	}
}

// BenchmarkSubmitOptions measures ingest CPU per event (64 submitters,
// b.N events) under badger option variants, for the choices in
// RATIONALE.md ("Store options"). Run with -benchtime 50000x.
func BenchmarkSubmitOptions(b *testing.B) {
	for _, v := range []struct {
		name string
		opts Options
	}{
		{"default", Options{}},
		{"value-threshold=2048", Options{ValueThreshold: 2048}},
		{"snappy", Options{Compress: true}},
		{"memtable=8MiB", Options{MemTableSize: 8 << 20}},
		{"memtable=4MiB", Options{MemTableSize: 4 << 20}},
		{"memtable=32MiB", Options{MemTableSize: 32 << 20}},
	} {
		b.Run(v.name, func(b *testing.B) {
			benchIngestOpts(b, v.opts, func(s *Store, es []testEvent) []error { return submitAll(s, es, 64) })
		})
	}
}

// BenchmarkSubmitGrowth stores 250,000 notes in chunks of 25,000 (64
// submitters) and reports the CPU per event of the first and the last
// chunk: whether ingest gets dearer as the store grows (issue 11: within
// 10% at 250k of the cost at 20k). Run with -benchtime 1x.
func BenchmarkSubmitGrowth(b *testing.B) {
	for _, v := range []struct {
		name string
		opts Options
	}{
		{"default", Options{}},
		{"snappy", Options{Compress: true}},
		{"memtable=8MiB", Options{MemTableSize: 8 << 20}},
	} {
		b.Run(v.name, func(b *testing.B) {
			const chunks, chunk = 10, 25_000
			var first, last time.Duration
			for range b.N {
				s, err := Open(b.TempDir(), v.opts)
				if err != nil {
					b.Fatal(err)
				}
				authors := make([]string, benchAuthors)
				for i := range authors {
					authors[i] = randHex32()
				}
				start := time.Now().Unix() - chunks*chunk
				for c := range chunks {
					es := make([]testEvent, 0, chunk)
					for i := range chunk {
						es = append(es, note(authors, es, c*chunk+i, start+int64(c*chunk+i)))
					}
					cpu0 := cpuTime()
					for i, err := range submitAll(s, es, 64) {
						if err != nil {
							b.Fatalf("event %d: %v", i, err)
						}
					}
					took := cpuTime() - cpu0
					switch c {
					case 0:
						first += took
					case chunks - 1:
						last += took
					}
				}
				if err := s.Close(); err != nil {
					b.Fatal(err)
				}
			}
			n := float64(b.N * chunk)
			b.ReportMetric(float64(first.Nanoseconds())/n, "first-cpu-ns/event")
			b.ReportMetric(float64(last.Nanoseconds())/n, "last-cpu-ns/event")
			b.ReportMetric(float64(last)/float64(first), "last/first")
		})
	}
}
