package sdk_test

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/relayd/relayd/sdk"
	"github.com/relayd/relayd/sdk/sdktest"
)

// A policy that refuses DMs, tested natively with sdktest.
func Example() {
	sdk.OnEvent(func(e sdk.Event) sdk.Verdict {
		if e.Kind() == 4 {
			return sdk.Reject(sdk.Blocked, "no DMs")
		}
		return sdk.Accept()
	})

	h := sdktest.New(sdktest.Options{})
	s := sdktest.Session{ID: 1, IP: "203.0.113.7"}
	fmt.Println(h.Event(s, sdktest.Event{Kind: 1, Content: "hi"}))
	fmt.Println(h.Event(s, sdktest.Event{Kind: 4}))
	// Output:
	// accept
	// reject blocked: no DMs
}

// A per-IP rate limit on the shared token bucket: every instance of the
// plugin takes from the same bucket.
func ExampleTake() {
	sdk.OnEventPre(func(e sdk.Event) sdk.Verdict {
		ok, retry, err := sdk.Take("ip:"+e.Session().IP(), 1, 0.5, 2)
		if err != nil || ok {
			return sdk.Accept()
		}
		return sdk.RateLimited("slow down, retry in " + retry.String())
	})

	now := time.Unix(1700000000, 0)
	h := sdktest.New(sdktest.Options{Now: func() time.Time { return now }})
	s := sdktest.Session{ID: 1, IP: "203.0.113.7"}
	for range 3 {
		fmt.Println(h.EventPre(s, sdktest.Event{Kind: 1}))
	}
	now = now.Add(2 * time.Second)
	fmt.Println(h.EventPre(s, sdktest.Event{Kind: 1}))
	// Output:
	// accept
	// accept
	// rateLimited rate-limited: slow down, retry in 2s
	// accept
}

// Lazy accessors: the kind is a call parameter, the pubkey and tags are
// fetched from the host only when asked for.
func ExampleEvent() {
	banned := "b" + strings.Repeat("0", 63)
	sdk.OnEvent(func(e sdk.Event) sdk.Verdict {
		if e.Kind() != 1 {
			return sdk.Accept()
		}
		if e.Pubkey() == banned {
			return sdk.Reject(sdk.Blocked, "banned")
		}
		if t, ok := e.TagValue("t"); ok && t == "spam" {
			return sdk.ShadowReject()
		}
		return sdk.Accept()
	})

	h := sdktest.New(sdktest.Options{})
	s := sdktest.Session{ID: 7, IP: "2001:db8::1"}
	fmt.Println(h.Event(s, sdktest.Event{Kind: 1, PubKey: banned}))
	fmt.Println(h.Event(s, sdktest.Event{Kind: 1, Tags: [][]string{{"t", "spam"}}}))
	fmt.Println(h.Event(s, sdktest.Event{Kind: 1, Tags: [][]string{{"t", "nostr"}}}))
	// Output:
	// reject blocked: banned
	// shadowReject
	// accept
}

// Rewriting a REQ: cap every filter's limit.
func ExampleRewriteFilters() {
	sdk.OnReq(func(r sdk.Req) sdk.Verdict {
		if r.FilterCount() > 1 {
			return sdk.Reject(sdk.Restricted, "one filter per REQ")
		}
		return sdk.RewriteFilters([]byte(`[{"kinds":[1],"limit":10}]`))
	})

	h := sdktest.New(sdktest.Options{})
	s := sdktest.Session{ID: 1, IP: "203.0.113.7"}
	fmt.Println(h.Req(s, "sub1", `[{"kinds":[1]}]`))
	fmt.Println(h.Req(s, "sub2", `[{"kinds":[1]},{"kinds":[7]}]`))
	// Output:
	// rewrite [{"kinds":[1],"limit":10}]
	// reject restricted: one filter per REQ
}

// A ban list kept in a file beside the plugin: NAME.toml lists it with
// files = ["banned.txt"], and the relay reloads the plugin when it
// changes. OnInit parses it once per instance.
func ExampleFile() {
	banned := map[string]bool{}
	sdk.OnInit(func() error {
		clear(banned)
		b, ok := sdk.File("banned.txt")
		if !ok {
			return errors.New(`banned.txt is not in the "files" setting`)
		}
		for _, line := range strings.Split(string(b), "\n") {
			if line = strings.TrimSpace(line); line != "" && !strings.HasPrefix(line, "#") {
				banned[line] = true
			}
		}
		return nil
	})
	sdk.OnEventPre(func(e sdk.Event) sdk.Verdict {
		if banned[e.Pubkey()] {
			return sdk.Reject(sdk.Blocked, "banned")
		}
		return sdk.Accept()
	})
	defer sdk.OnInit(nil)

	spammer := strings.Repeat("b", 64)
	h := sdktest.New(sdktest.Options{Files: map[string]string{"banned.txt": "# spam, 2025-03-01\n" + spammer + "\n"}})
	s := sdktest.Session{ID: 1, IP: "203.0.113.7"}
	fmt.Println(h.EventPre(s, sdktest.Event{Kind: 1, PubKey: spammer}))
	fmt.Println(h.EventPre(s, sdktest.Event{Kind: 1, PubKey: strings.Repeat("c", 64)}))

	h = sdktest.New(sdktest.Options{})
	fmt.Println(h.Init())
	// Output:
	// reject blocked: banned
	// accept
	// banned.txt is not in the "files" setting
}
