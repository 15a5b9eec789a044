//go:build !wasip1

package sdk_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/relayd/relayd/sdk"
	"github.com/relayd/relayd/sdk/filter"
	"github.com/relayd/relayd/sdk/sdktest"
)

// TestViewsExpire keeps an Event, a Session and a Req past their handler
// calls, as a plugin might in a global, and reads them during a later
// call: the fixed fields still hold the old values, everything read from
// the host fails (Get forms) or panics (the others) instead of reading
// the later call's input. Before views carried their call, the kept
// event's Content was the next event's.
func TestViewsExpire(t *testing.T) {
	var (
		keptEvent sdk.Event
		keptReq   sdk.Req
		keptConn  sdk.Session
		during    []string // what the later call saw
	)
	sdk.OnConnect(func(s sdk.Session) sdk.Verdict { keptConn = s; return sdk.Accept() })
	sdk.OnReq(func(r sdk.Req) sdk.Verdict { keptReq = r; return sdk.Accept() })
	sdk.OnEvent(func(e sdk.Event) sdk.Verdict {
		if e.Content() == "first" {
			keptEvent = e
			return sdk.Accept()
		}
		_, err := keptEvent.GetContent()
		during = append(during, "content: "+errText(err))
		_, err = keptEvent.Session().GetIP()
		during = append(during, "ip: "+errText(err))
		_, err = keptReq.GetFiltersJSON()
		during = append(during, "filters: "+errText(err))
		_, err = keptConn.GetHeader("origin")
		during = append(during, "header: "+errText(err))
		during = append(during, "panic: "+panicText(func() { _ = keptEvent.Content() }))
		return sdk.Accept()
	})
	t.Cleanup(func() { sdk.OnConnect(nil); sdk.OnReq(nil); sdk.OnEvent(nil) })

	h := sdktest.New(sdktest.Options{})
	s := sdktest.Session{ID: 1, IP: "203.0.113.7", Headers: map[string]string{"origin": "https://a.example"}}
	h.Connect(s)
	h.Req(s, "sub", `[{"kinds":[1]}]`)
	h.Event(s, sdktest.Event{Kind: 1, Content: "first"})
	h.Event(s, sdktest.Event{Kind: 7, Content: "second"})

	const expired = "sdk: view used after its handler returned"
	want := []string{"content: " + expired, "ip: " + expired, "filters: " + expired, "header: " + expired,
		"panic: sdk: Event.GetContent called after its handler returned: a view is valid only during the call; copy what you need"}
	if strings.Join(during, "\n") != strings.Join(want, "\n") {
		t.Errorf("reading kept views in a later call:\n%s\nwant:\n%s", strings.Join(during, "\n"), strings.Join(want, "\n"))
	}
	if keptEvent.Kind() != 1 || keptEvent.ContentLen() != 5 || keptConn.ID() != 1 {
		t.Errorf("fixed fields of kept views: kind %d, content length %d, session %d; want 1, 5, 1",
			keptEvent.Kind(), keptEvent.ContentLen(), keptConn.ID())
	}
	if _, err := keptEvent.GetID(); !errors.Is(err, sdk.ErrExpired) { // and after the calls
		t.Errorf("GetID after the calls: %v", err)
	}
}

// errText is the error's errors.Is(ErrExpired) form, or its text.
func errText(err error) string {
	switch {
	case err == nil:
		return "no error"
	case errors.Is(err, sdk.ErrExpired):
		return sdk.ErrExpired.Error()
	}
	return err.Error()
}

func panicText(fn func()) (s string) {
	defer func() {
		if r := recover(); r != nil {
			s, _ = r.(string)
		}
	}()
	fn()
	return "none"
}

// TestGetForms: the Get forms return the host's errors the plain
// accessors swallow, and the same values when there are none.
func TestGetForms(t *testing.T) {
	type result struct {
		val string
		err error
	}
	var got map[string]result
	sdk.OnDeliver(func(e sdk.Event) sdk.Verdict {
		got = map[string]result{}
		put := func(k, v string, err error) { got[k] = result{v, err} }
		v, err := e.GetContent()
		put("content", v, err)
		v, err = e.GetSubID()
		put("sub", v, err)
		tag, err := e.GetTag(5)
		put("tag 5", strings.Join(tag, ","), err)
		v, ok, err := e.GetTagValue("p")
		put("p", v+" "+map[bool]string{true: "found", false: "absent"}[ok], err)
		v, err = e.Session().GetHeader("origin")
		put("origin", v, err)
		v, err = e.Session().GetHeader("x-nope")
		put("x-nope", v, err)
		v, err = e.Session().GetAuthed()
		put("authed", v, err)
		b, err := e.GetStrfryInput()
		put("strfry", string(b), err)
		b, err = sdk.GetFile("missing.txt")
		put("file", string(b), err)
		b, err = sdk.GetConfig()
		put("config", string(b), err)
		return sdk.Accept()
	})
	t.Cleanup(func() { sdk.OnDeliver(nil) })
	h := sdktest.New(sdktest.Options{Config: `{"a":1}`})
	s := sdktest.Session{ID: 1, IP: "203.0.113.7", Headers: map[string]string{"origin": "https://a.example"}}
	h.Deliver(s, "feed", sdktest.Event{Kind: 1, Content: "hi", Tags: [][]string{{"p", "ab"}}})
	want := map[string]result{
		"content": {"hi", nil},
		"sub":     {"feed", nil},
		"tag 5":   {"", sdk.ErrNotFound},
		"p":       {"ab found", nil},
		"origin":  {"https://a.example", nil},
		"x-nope":  {"", sdk.ErrNotFound},
		"authed":  {"", nil},
		"strfry":  {"", sdk.ErrNotFound}, // event hooks only
		"file":    {"", sdk.ErrNotFound},
		"config":  {`{"a":1}`, nil},
	}
	for k, w := range want {
		g := got[k]
		if g.val != w.val || !errors.Is(g.err, w.err) || (w.err == nil) != (g.err == nil) {
			t.Errorf("%s: got %q, %v; want %q, %v", k, g.val, g.err, w.val, w.err)
		}
	}
}

// TestReqFilters reads a REQ's filters typed, rewrites one field and
// returns them.
func TestReqFilters(t *testing.T) {
	sdk.OnReq(func(r sdk.Req) sdk.Verdict {
		fs, err := r.Filters()
		if err != nil {
			return sdk.Reject(sdk.Invalid, err.Error())
		}
		for i := range fs {
			if fs[i].Limit == nil || *fs[i].Limit > 10 {
				ten := int64(10)
				fs[i].Limit = &ten
			}
		}
		return sdk.RewriteFilters(filter.AppendNIP01(nil, fs))
	})
	t.Cleanup(func() { sdk.OnReq(nil) })
	h := sdktest.New(sdktest.Options{})
	s := sdktest.Session{ID: 1, IP: "203.0.113.7"}
	got := h.Req(s, "sub", `[{"kinds":[1],"#t":["nostr"],"limit":500,"x-custom":{"a":[1]}},{"authors":["ab"],"limit":3}]`).String()
	if want := `rewrite [{"kinds":[1],"#t":["nostr"],"limit":10,"x-custom":{"a":[1]}},{"authors":["ab"],"limit":3}]`; got != want {
		t.Errorf("got  %s\nwant %s", got, want)
	}
	if got := h.Req(s, "sub", `[{"kinds":["one"]}]`).String(); got != `reject invalid: filter: bad value for "kinds"` {
		t.Errorf("bad kinds: %s", got)
	}
}
