package wasmhost_test

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/relayd/relayd/host/policy"
	"github.com/relayd/relayd/host/wasmhost"
	"github.com/relayd/relayd/internal/testing/wasmbuild"
)

// hookCalls are the eight hooks as calls on a policy.
func hookCalls() []struct {
	name string
	call func(policy.Policy) error
} {
	in := event(1)
	s := in.Session
	fin := &policy.FilterInput{Session: s, SubID: "s", Filters: nil}
	ain := &policy.AuthInput{Session: s, Event: authEvent()}
	din := &policy.DeliverInput{Session: s, SubID: "s", Event: in.Event, Raw: in.Raw}
	cin := &policy.ConnInput{Session: s}
	return []struct {
		name string
		call func(policy.Policy) error
	}{
		{"connect", func(p policy.Policy) error { _, err := p.Connect(ctx, cin); return err }},
		{"event_pre", func(p policy.Policy) error { _, err := p.EventPre(ctx, in); return err }},
		{"event", func(p policy.Policy) error { _, err := p.Event(ctx, in); return err }},
		{"req", func(p policy.Policy) error { fin.Hook = policy.HookReq; _, err := p.Filter(ctx, fin); return err }},
		{"count", func(p policy.Policy) error { fin.Hook = policy.HookCount; _, err := p.Filter(ctx, fin); return err }},
		{"auth", func(p policy.Policy) error { _, err := p.Auth(ctx, ain); return err }},
		{"deliver", func(p policy.Policy) error { _, err := p.Deliver(ctx, din); return err }},
		{"close", func(p policy.Policy) error { p.Close(ctx, s); return nil }},
	}
}

// BenchmarkWasmHook is the per-call overhead of each hook for an
// accept-all plugin, in WAT and in Go, called from one goroutine.
func BenchmarkWasmHook(b *testing.B) {
	goAccept := wasmbuild.Build(b, "testdata/go/accept")
	for _, g := range []guest{{name: "wat", wasm: "accept"}, {name: "go", wasm: goAccept}} {
		m, _, err := newManager(b, wasmhost.Options{Defaults: wasmhost.Settings{Pool: 1}}, g)
		if err != nil {
			b.Fatal(err)
		}
		p := plugin(b, m, g.name)
		for _, hc := range hookCalls() {
			b.Run(g.name+"/"+hc.name, func(b *testing.B) {
				b.ReportAllocs()
				for b.Loop() {
					if err := hc.call(p); err != nil {
						b.Fatal(err)
					}
				}
			})
		}
	}
}

// BenchmarkWasmCalls is the event hook of call-heavy plugins: fib(15)
// (1,973 calls) in WAT and in Go, so the cost of the check at every
// function entry shows.
func BenchmarkWasmCalls(b *testing.B) {
	goCalls := wasmbuild.Build(b, "testdata/go/calls")
	for _, g := range []guest{{name: "wat", wasm: "fib"}, {name: "go", wasm: goCalls}} {
		m, _, err := newManager(b, wasmhost.Options{Defaults: wasmhost.Settings{Pool: 1}}, g)
		if err != nil {
			b.Fatal(err)
		}
		p := plugin(b, m, g.name)
		in := event(15)
		b.Run(g.name+"/fib15", func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := p.Event(ctx, in); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkWasmEventParallel is the event hook of the Go accept-all
// plugin from GOMAXPROCS goroutines through a pool of GOMAXPROCS.
func BenchmarkWasmEventParallel(b *testing.B) {
	goAccept := wasmbuild.Build(b, "testdata/go/accept")
	m, _, err := newManager(b, wasmhost.Options{}, guest{name: "go", wasm: goAccept})
	if err != nil {
		b.Fatal(err)
	}
	p := plugin(b, m, "go")
	b.ReportAllocs()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		in := event(1)
		for pb.Next() {
			if _, err := p.Event(ctx, in); err != nil {
				b.Error(err)
				return
			}
		}
	})
}

// BenchmarkWasmHostCall measures host functions from a WAT guest: now()
// (the bare guest→host→guest cost, reported per host call), get of the
// pubkey, and bucket_take.
func BenchmarkWasmHostCall(b *testing.B) {
	m, _, err := newManager(b, wasmhost.Options{Defaults: wasmhost.Settings{Pool: 1}}, guest{name: "h", wasm: "hostcalls"})
	if err != nil {
		b.Fatal(err)
	}
	p := plugin(b, m, "h")
	b.Run("now_x100", func(b *testing.B) {
		in := event(100) // the guest calls now() kind times
		b.ReportAllocs()
		for b.Loop() {
			if _, err := p.Event(ctx, in); err != nil {
				b.Fatal(err)
			}
		}
		b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/100, "ns/hostcall")
	})
	b.Run("get_pubkey", func(b *testing.B) {
		in := event(1)
		din := &policy.DeliverInput{Session: in.Session, SubID: "s", Event: in.Event, Raw: in.Raw}
		b.ReportAllocs()
		for b.Loop() {
			if _, err := p.Deliver(ctx, din); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("bucket_take", func(b *testing.B) {
		ain := &policy.AuthInput{Session: session(1), Event: authEvent()}
		b.ReportAllocs()
		for b.Loop() {
			if _, err := p.Auth(ctx, ain); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// BenchmarkWasmReload is a warm-cache reload: the time from a changed .wasm
// landing in the plugin directory (write + rename) to the new version
// answering, through Run's watcher (debounce 10 ms). The two Go versions
// alternate, so after the first round both are in the compilation cache.
func BenchmarkWasmReload(b *testing.B) {
	versions := []struct {
		wasm string
		want policy.Action
	}{
		{wasmbuild.Build(b, "testdata/go/accept"), policy.Accept},
		{wasmbuild.Build(b, "testdata/go/kit"), policy.Reject},
	}
	dir := b.TempDir()
	m, _, err := newManager(b, wasmhost.Options{Dir: dir, Debounce: 10 * time.Millisecond, DrainGrace: 10 * time.Millisecond,
		Defaults: wasmhost.Settings{Pool: 2}}, guest{name: "p", wasm: versions[0].wasm, toml: "[config]\nburst = 1"})
	if err != nil {
		b.Fatal(err)
	}
	runCtx, cancel := context.WithCancel(ctx)
	done := make(chan error)
	go func() { done <- m.Run(runCtx) }()
	defer func() { cancel(); <-done }()
	time.Sleep(50 * time.Millisecond)
	bins := [][]byte{mustRead(b, versions[0].wasm), mustRead(b, versions[1].wasm)}
	i := 0
	for b.Loop() {
		i++
		v := versions[i%2]
		writeAtomic(b, filepath.Join(dir, "p.wasm"), bins[i%2])
		for {
			got := m.Holder().Load().Event(ctx, event(1))
			if got.Action == v.want {
				break
			}
			time.Sleep(time.Millisecond)
		}
	}
}
