// Package reload_test hot-reloads a policy plugin in a running relayd under
// continuous traffic and checks, at the wire, that nothing is lost, doubled
// or misjudged.
package reload_test

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/nbd-wtf/go-nostr"

	"github.com/relayd/relayd/internal/testing/relaydtest"
	"github.com/relayd/relayd/internal/testing/wasmbuild"
	wsc "github.com/relayd/relayd/internal/testing/wsclient"
)

func TestMain(m *testing.M) {
	code := m.Run()
	wasmbuild.RemoveAll()
	os.Exit(code)
}

// version is a plugin version as seen from the wire: the OK reason it gives
// each class ("" accepts).
type version struct {
	name    string
	reasons [4]string // by class: apple, banana, plain, kind 7
}

const word = "blocked: content contains a blocked word"

var (
	none   = version{"none", [4]string{}}
	apple  = version{"keyword-block [apple]", [4]string{word, "", "", ""}}
	banana = version{"keyword-block [banana]", [4]string{"", word, "", ""}}
	kinds  = version{"kind-allowlist [1]", [4]string{"", "", "", "blocked: kind 7 is not accepted here"}}
)

// settings is policy.toml: both plugins read it, each its own key.
// timeout_ms is generous: this test is about reloads, not deadlines, and
// runs under the race detector on shared machines.
func settings(words string) string {
	return "timeout_ms = 2000\n[config]\nwords = [\"" + words + "\"]\nkinds = [1]\n"
}

// TestReloadUnderTraffic runs three publishers (pipelined) and three live
// subscribers against a real relayd while the plugin directory goes
// through: add keyword-block, change its config, replace it with another
// .wasm (kind-allowlist), break it (garbage .wasm), remove it. It checks
// that no connection drops, every EVENT gets exactly one OK in order,
// every subscriber receives every accepted event exactly once and in
// order (and nothing else), and every verdict is the one of the version in
// force. While a change is being applied, an event may be judged by the old
// or the new version, but never old after new on one connection.
func TestReloadUnderTraffic(t *testing.T) {
	keyword := wasmbuild.Build(t, "../../examples/policies/keyword-block")
	allowlist := wasmbuild.Build(t, "../../examples/policies/kind-allowlist")
	dir := t.TempDir()
	cfg := relaydtest.Default(dir)
	cfg.DataDir = t.TempDir()
	r := relaydtest.Start(t, cfg)
	toml, wasm := filepath.Join(dir, "policy.toml"), filepath.Join(dir, "policy.wasm")

	phases := []struct {
		v     version
		apply func(t *testing.T)
	}{
		{none, nil},
		{apple, func(t *testing.T) { relaydtest.CopyPlugin(t, dir, "policy", keyword, settings("apple")) }},
		{banana, func(t *testing.T) { writeAtomic(t, toml, []byte(settings("banana"))) }},
		{kinds, func(t *testing.T) { relaydtest.CopyPlugin(t, dir, "policy", allowlist, "") }},
		{kinds, func(t *testing.T) { writeAtomic(t, wasm, []byte("\x00asm garbage, not a module")) }},
		{none, func(t *testing.T) { remove(t, wasm); remove(t, toml) }},
	}

	const nPub, nSub, perPhase = 3, 3, 40
	keys, authors := make([]wsc.Key, nPub), make([]string, nPub)
	for i := range keys {
		keys[i] = wsc.NewKey()
		authors[i] = keys[i].PK
	}
	ep, stop := newEpochs(), make(chan struct{})
	tr := newTraffic(t, ep)
	subs := make([]*subscriber, nSub) // live (past EOSE) before anything is published
	for i := range subs {
		subs[i] = tr.subscribe(r.URL, i, authors)
	}
	pubs := make([]*publisher, nPub)
	for i := range pubs {
		pubs[i] = tr.publish(r.URL, i, keys[i], stop)
	}
	t.Cleanup(tr.shutdown) // before the connections' own cleanups close them
	probe := &prober{c: wsc.Dial(t, r.URL), key: wsc.NewKey()}

	for k, ph := range phases {
		if k > 0 {
			// Move to phase k: first let every event sent under phase k-1
			// get its OK, so none of them is judged after the change.
			ep.cur.Store(int64(2*k - 1))
			if !ep.wait(2*k-1, nPub, 1, 30*time.Second) {
				t.Fatalf("phase %d: publishers stalled", k)
			}
			loaded, unloaded := logCount(r, `msg="wasm plugin loaded" plugin=policy `), logCount(r, `msg="wasm plugins: none loaded"`)
			start := time.Now()
			ph.apply(t)
			switch {
			case ph.v == phases[k-1].v: // broken: the old version must stay
				// One line names the plugin, the file and the reason.
				r.WaitLog(t, `msg="wasm plugin failed to load" plugin=policy file=`+wasm+
					` err="compile: invalid version header" running="previous version"`, 60*time.Second)
				probe.expect(t, ph.v)
			default:
				took := probe.until(t, phases[k-1].v, ph.v)
				probe.expect(t, ph.v)
				first := firstNew(pubs, 2*k-1, phases[k-1].v, ph.v)
				if !first.IsZero() && first.Sub(start) < took {
					took = first.Sub(start)
				}
				t.Logf("phase %d (%s): first event judged by the new version %v after the write", k, ph.v.name, took.Round(time.Millisecond))
				if ph.v == none {
					waitLogCount(t, r, `msg="wasm plugins: none loaded"`, unloaded+1)
				} else {
					waitLogCount(t, r, `msg="wasm plugin loaded" plugin=policy `, loaded+1)
				}
			}
		}
		ep.cur.Store(int64(2 * k))
		if !ep.wait(2*k, nPub, perPhase, 30*time.Second) {
			t.Fatalf("phase %d: publishers stalled", k)
		}
	}
	close(stop)
	for _, p := range pubs {
		<-p.done
	}
	for _, s := range subs {
		select {
		case <-s.done:
		case <-time.After(30 * time.Second):
			t.Fatal("a subscriber never got every publisher's last event")
		}
	}
	vs := make([]version, len(phases))
	for k, ph := range phases {
		vs[k] = ph.v
	}
	for i, p := range pubs {
		checkVerdicts(t, i, p.snapshot(), vs)
		// Still connected, and no stray reply is queued before this one.
		p.c.Req("last", nostr.Filter{Kinds: []int{1}, LimitZero: true})
	}
	for _, s := range subs {
		s.c.Req("last", nostr.Filter{Kinds: []int{1}, LimitZero: true})
	}
	checkDelivery(t, pubs, subs)
	checkStored(t, r.URL, pubs)
}

// prober publishes one event at a time on its own connection (its key is
// not in the subscribers' filter) to see which version is in force.
type prober struct {
	c   *wsc.Client
	key wsc.Key
	n   int
}

func (p *prober) publish(t *testing.T, cl int) string {
	t.Helper()
	p.n++
	c := classes[cl]
	ok := p.c.Publish(p.key.Sign(t, c.kind, fmt.Sprintf("probe %s %d", c.content, p.n), nostr.Now()))
	return ok.Reason
}

// until probes with a class the two versions judge differently until the
// new one answers, and returns how long that took.
func (p *prober) until(t *testing.T, old, new version) time.Duration {
	t.Helper()
	cl := 0
	for cl < len(classes) && old.reasons[cl] == new.reasons[cl] {
		cl++
	}
	start := time.Now()
	for deadline := start.Add(3 * time.Minute); time.Now().Before(deadline); {
		switch got := p.publish(t, cl); got {
		case new.reasons[cl]:
			return time.Since(start)
		case old.reasons[cl]:
		default:
			t.Fatalf("probe: got %q, want %q (%s) or %q (%s)", got, new.reasons[cl], new.name, old.reasons[cl], old.name)
		}
	}
	t.Fatalf("%s never replaced %s", new.name, old.name)
	return 0
}

// expect checks every class once against v.
func (p *prober) expect(t *testing.T, v version) {
	t.Helper()
	for cl := range classes {
		if got := p.publish(t, cl); got != v.reasons[cl] {
			t.Errorf("probe %q: got %q, want %q (%s)", classes[cl].content, got, v.reasons[cl], v.name)
		}
	}
}

func writeAtomic(t *testing.T, path string, b []byte) {
	t.Helper()
	if err := os.WriteFile(path+".tmp", b, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(path+".tmp", path); err != nil {
		t.Fatal(err)
	}
}

func remove(t *testing.T, path string) {
	t.Helper()
	if err := os.Remove(path); err != nil {
		t.Fatal(err)
	}
}

func logCount(r *relaydtest.Relay, s string) int { return strings.Count(r.Logs(), s) }

// waitLogCount polls the log until s appears n times.
func waitLogCount(t *testing.T, r *relaydtest.Relay, s string, n int) {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); logCount(r, s) < n; time.Sleep(10 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("relay log has %q %d times, want %d:\n%s", s, logCount(r, s), n, r.Logs())
		}
	}
}
