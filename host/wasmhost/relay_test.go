package wasmhost_test

import (
	"strings"
	"sync"
	"testing"

	"github.com/nbd-wtf/go-nostr"

	"github.com/relayd/relayd/internal/testing/relaydtest"
	"github.com/relayd/relayd/internal/testing/wsclient"
)

// TestWasmRunawayRelay is issue 7's first defect over a real relayd and
// real websockets: two EVENTs whose policy recurses without loops
// (fib.wat, kind 60: fib(60)) hold both instances of the pool; each is
// answered with the plugin's on_error once its deadline passes, and a
// third client's EVENT is answered too. Before the check at function
// entries no OK came back at all.
func TestWasmRunawayRelay(t *testing.T) {
	dir := t.TempDir()
	relaydtest.CopyPlugin(t, dir, "fib", wasmPath("fib"), "timeout_ms = 50\npool = 2\non_error = \"closed\"")
	r := relaydtest.Start(t, relaydtest.Default(dir))
	k := wsclient.NewKey()
	var wg sync.WaitGroup
	for i := range 2 {
		wg.Go(func() {
			c := wsclient.Dial(t, r.URL)
			ok := c.Publish(k.Sign(t, 60, "spin "+string(rune('a'+i)), nostr.Now()))
			if ok.Accepted || !strings.HasPrefix(ok.Reason, "error:") {
				t.Errorf("runaway EVENT: got OK %v %q, want the on_error = closed refusal", ok.Accepted, ok.Reason)
			}
		})
	}
	c := wsclient.Dial(t, r.URL)
	if ok := c.Publish(k.Sign(t, 1, "hello", nostr.Now())); !ok.Accepted && !strings.HasPrefix(ok.Reason, "error:") {
		t.Errorf("EVENT beside the runaways: got OK %v %q", ok.Accepted, ok.Reason)
	}
	wg.Wait()
	if ok := c.Publish(k.Sign(t, 1, "after", nostr.Now())); !ok.Accepted {
		t.Errorf("EVENT after the runaways: got OK false %q, want accepted by the refilled pool", ok.Reason)
	}
	r.WaitLog(t, "deadline exceeded", 0)
}
