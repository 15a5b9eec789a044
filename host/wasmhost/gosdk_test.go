package wasmhost_test

import (
	"errors"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/nbd-wtf/go-nostr"

	"github.com/relayd/relayd/host/policy"
	"github.com/relayd/relayd/host/wasmhost"
	"github.com/relayd/relayd/internal/testing/wasmbuild"
)

func TestMain(m *testing.M) {
	code := m.Run()
	wasmbuild.RemoveAll()
	os.RemoveAll(cacheDir())
	os.Exit(code)
}

const kitTOML = `
order = 1
pool = 2
timeout_ms = 2000
files = ["kit.txt"]
[config]
greeting = "hi"
burst = 300
`

// kitGuest is the ABI kit with kitTOML and the file it lists.
func kitGuest(wasm string) guest {
	return guest{name: "kit", wasm: wasm, toml: kitTOML, files: map[string]string{"kit.txt": "from kit.txt\n"}}
}

// TestWasmGoKit runs the ABI kit (a Go plugin calling every SDK function)
// through every hook and checks what it saw.
func TestWasmGoKit(t *testing.T) {
	kit := wasmbuild.Build(t, "testdata/go/kit")
	m, logs, err := newManager(t, wasmhost.Options{}, kitGuest(kit))
	if err != nil {
		t.Fatal(err)
	}
	p := plugin(t, m, "kit")
	if got, want := p.Hooks(), policy.HookSet(0x1fe); got != want {
		t.Errorf("Hooks: got %b, want %b", got, want)
	}
	lim := p.(policy.Informer).Limitation()
	if lim["min_pow_difficulty"] != 8 || lim["auth_required"] != false {
		t.Errorf("Limitation: got %v", lim)
	}
	in := event(1)
	s := in.Session
	filters := nostr.Filters{{Kinds: []int{1}}, {Authors: []string{strings.Repeat("a", 64)}}}
	tests := []struct {
		name string
		call func() (policy.Verdict, error)
		want []string
	}{
		{"connect", func() (policy.Verdict, error) { return p.Connect(ctx, &policy.ConnInput{Session: s}) },
			[]string{"blocked: ip=203.0.113.7 ua=test/1.0 id=1 at=1700000000"}},
		{"event", func() (policy.Verdict, error) { return p.Event(ctx, in) }, []string{
			"invalid: greeting=hi plugin=kit kind=1 created=1700000000 received=1700000001 id=eeee pubkey=aaaa sig=ffff",
			"content=hello tags=2 tag1=e," + strings.Repeat("1", 64) + ",wss://r.example t=nostr tagsjson=",
			"raw=true strfry=true source=0 authed= counter=1 counterget=1 cas=true kv=v2true del=true count=unavailable hasstore=false now=true",
			"file=from kit.txttrue unlisted=false"}},
		{"event again shares state", func() (policy.Verdict, error) { return p.Event(ctx, in) }, []string{"counter=2 counterget=2 cas=false"}},
		{"count", func() (policy.Verdict, error) {
			return p.Filter(ctx, &policy.FilterInput{Session: s, Hook: policy.HookCount, SubID: "c1", Filters: filters})
		}, []string{`restricted: sub=c1 filters=[{"kinds":[1]},{"authors":["aaaa`}},
		{"auth", func() (policy.Verdict, error) { return p.Auth(ctx, &policy.AuthInput{Session: s, Event: authEvent()}) },
			[]string{"auth-required: auth as bbbbbbbb kind=22242"}},
		{"deliver drop", func() (policy.Verdict, error) {
			return p.Deliver(ctx, &policy.DeliverInput{Session: s, SubID: "x", Event: event(7).Event, Raw: event(7).Raw})
		}, []string{"blocked:"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			v, err := tc.call()
			if err != nil {
				t.Fatal(err)
			}
			for _, w := range tc.want {
				if !strings.Contains(v.Reason(), w) {
					t.Errorf("got %q, want it to contain %q", v.Reason(), w)
				}
			}
		})
	}
	v, err := p.Filter(ctx, &policy.FilterInput{Session: s, Hook: policy.HookReq, SubID: "r", Filters: filters})
	if err != nil || v.Action != policy.Rewrite || len(v.Filters) != 1 || v.Filters[0].Limit != 2 {
		t.Errorf("req rewrite: got %+v, %v, want one filter with limit 2", v, err)
	}
	v, err = p.Deliver(ctx, &policy.DeliverInput{Session: s, SubID: "sub9", Event: in.Event, Raw: in.Raw})
	if err != nil || v.Action != policy.Rewrite || string(v.Payload) != `{"sub":"sub9"}` {
		t.Errorf("deliver rewrite: got %+v, %v", v, err)
	}
	p.Close(ctx, s)
	if !strings.Contains(logs.String(), "kit saw kind 1") {
		t.Errorf("guest log line missing:\n%s", logs)
	}
}

func authEvent() *nostr.Event {
	return &nostr.Event{ID: strings.Repeat("c", 64), PubKey: strings.Repeat("b", 64), Kind: 22242, CreatedAt: 1700000000,
		Tags: nostr.Tags{{"challenge", "x"}, {"relay", "wss://r"}}, Sig: strings.Repeat("f", 128)}
}

// TestWasmGoInitFails: a Go plugin whose OnInit fails is refused.
func TestWasmGoInitFails(t *testing.T) {
	kit := wasmbuild.Build(t, "testdata/go/kit")
	_, _, err := newManager(t, wasmhost.Options{}, guest{name: "kit", wasm: kit, toml: "[config]\ngreeting = \"fail\""})
	if !errors.Is(err, wasmhost.ErrInit) || !strings.Contains(err.Error(), "greeting says fail") {
		t.Errorf("got %v, want ErrInit with the plugin's reason", err)
	}
}

// TestWasmSharedBucketExact: many goroutines take from one host bucket
// through a pool of instances; exactly the burst is accepted.
func TestWasmSharedBucketExact(t *testing.T) {
	kit := wasmbuild.Build(t, "testdata/go/kit")
	tests := []struct {
		name  string
		g     guest
		hook  func(policy.Policy, *policy.EventInput) (policy.Verdict, error)
		burst int64
	}{
		{"wat", guest{name: "bucket", wasm: "bucket", toml: "pool = 4"},
			func(p policy.Policy, in *policy.EventInput) (policy.Verdict, error) { return p.Event(ctx, in) }, 1000},
		{"go sdk", kitGuest(kit),
			func(p policy.Policy, in *policy.EventInput) (policy.Verdict, error) { return p.EventPre(ctx, in) }, 300},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			m, _, err := newManager(t, wasmhost.Options{}, tc.g)
			if err != nil {
				t.Fatal(err)
			}
			p := plugin(t, m, tc.g.name)
			var accepted, limited atomic.Int64
			var wg sync.WaitGroup
			const workers = 6
			per := int(tc.burst)/workers + 50
			for range workers {
				wg.Go(func() {
					for range per {
						v, err := tc.hook(p, event(1))
						switch {
						case err != nil:
							t.Error(err)
							return
						case v.Action == policy.Accept:
							accepted.Add(1)
						default:
							limited.Add(1)
						}
					}
				})
			}
			wg.Wait()
			if accepted.Load() != tc.burst || accepted.Load()+limited.Load() != int64(workers*per) {
				t.Errorf("accepted %d, limited %d: want exactly %d accepted", accepted.Load(), limited.Load(), tc.burst)
			}
		})
	}
}

// TestWasmGoHostile: a Go plugin that panics, allocates without bound or
// spins is stopped and replaced, and its garbage does not grow the heap.
func TestWasmGoHostile(t *testing.T) {
	bin := wasmbuild.Build(t, "testdata/go/alloc")
	m, logs, err := newManager(t, wasmhost.Options{},
		guest{name: "alloc", wasm: bin, toml: "pool = 1\nmemory_mb = 32\ntimeout_ms = 1000"})
	if err != nil {
		t.Fatal(err)
	}
	p := plugin(t, m, "alloc")
	tests := []struct {
		name string
		kind int
		want []error
	}{
		{"panic traps", 13, []error{wasmhost.ErrTrap}},
		{"garbage is collected", 1, nil},
		{"unbounded allocation", 14, []error{wasmhost.ErrTrap, wasmhost.ErrTimeout}},
		{"garbage after restart", 1, nil},
		{"spin times out", 15, []error{wasmhost.ErrTimeout}},
		{"garbage after timeout", 1, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := p.Event(ctx, event(tc.kind))
			if tc.want == nil {
				if err != nil {
					t.Fatal(err)
				}
				// 1 MiB of garbage per call, 64 calls: four times the
				// 16 MiB recycle threshold if the heap were not collected.
				for range 64 {
					if _, err := p.Event(ctx, event(1)); err != nil {
						t.Fatal(err)
					}
				}
				return
			}
			ok := false
			for _, w := range tc.want {
				ok = ok || errors.Is(err, w)
			}
			if !ok {
				t.Errorf("got %v, want one of %v", err, tc.want)
			}
		})
	}
	if strings.Contains(logs.String(), "recycled") {
		t.Errorf("an instance was recycled for memory: the SDK's yield does not keep the heap down\n%s", logs)
	}
}
