//go:build !wasip1

package sdk_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/relayd/relayd/sdk"
	"github.com/relayd/relayd/sdk/abi"
	"github.com/relayd/relayd/sdk/sdktest"
)

// TestDeliverBatch (issue 10, item 6): an OnDeliver handler is batched
// without a change: in relayd_on_deliver_batch it runs once per session,
// and each call's view reads that session (id, flags, IP, authed key,
// sub id, headers), so every session gets the verdict Deliver gives it
// alone; a RewriteEvent is left to a call of its own.
func TestDeliverBatch(t *testing.T) {
	var ids []uint64
	sdk.OnDeliver(func(e sdk.Event) sdk.Verdict {
		s := e.Session()
		ids = append(ids, s.ID())
		switch {
		case strings.HasPrefix(e.SubID(), "rw"):
			return sdk.RewriteEvent([]byte(`{"rewritten":"` + e.SubID() + `"}`))
		case !s.IsAuthed():
			return sdk.Reject(sdk.AuthRequired, "authenticate first")
		case s.Authed() != e.Pubkey():
			return sdk.Reject(sdk.Restricted, "not yours")
		case s.Header("origin") != "https://ok.example":
			return sdk.Reject(sdk.Blocked, "origin")
		case s.IP() == "203.0.113.9":
			return sdk.RateLimited("slow down")
		}
		return sdk.Accept()
	})
	t.Cleanup(func() { sdk.OnDeliver(nil) })
	h := sdktest.New(sdktest.Options{})
	author := strings.Repeat("a", 64)
	ok := map[string]string{"origin": "https://ok.example"}
	targets := []sdktest.Target{
		{Session: sdktest.Session{ID: 1, IP: "203.0.113.7", Authed: author, Headers: ok}, SubID: "feed"},
		{Session: sdktest.Session{ID: 2, IP: "203.0.113.7"}, SubID: "feed"},
		{Session: sdktest.Session{ID: 3, IP: "2001:db8::1", Authed: strings.Repeat("b", 64), Headers: ok}, SubID: "x"},
		{Session: sdktest.Session{ID: 4, IP: "203.0.113.8", Authed: author}, SubID: "feed"},
		{Session: sdktest.Session{ID: 5, IP: "203.0.113.9", Authed: author, Headers: ok}, SubID: "feed"},
		{Session: sdktest.Session{ID: 6, IP: "203.0.113.7", Authed: author, Headers: ok}, SubID: "rw6"},
		{Session: sdktest.Session{ID: 7, IP: "203.0.113.7", Authed: author, Headers: ok}, SubID: "last"},
	}
	ev := sdktest.Event{Kind: 4, PubKey: author, Content: "dm"}
	if err := h.Init(); err != nil || !h.BatchesDeliver() {
		t.Fatalf("Init: %v; BatchesDeliver %v, want true for an OnDeliver handler", err, h.BatchesDeliver())
	}
	got := h.DeliverBatch(ev, targets...)
	if want := []uint64{1, 2, 3, 4, 5, 6, 7, 6}; fmt.Sprint(ids) != fmt.Sprint(want) {
		t.Errorf("handler calls for sessions %v, want %v (each once in the batch, then the rewrite alone)", ids, want)
	}
	wantAction := []abi.Action{abi.ActionAccept, abi.ActionReject, abi.ActionReject, abi.ActionReject,
		abi.ActionRateLimited, abi.ActionRewrite, abi.ActionAccept}
	for i, tg := range targets {
		alone := h.Deliver(tg.Session, tg.SubID, ev)
		if got[i].Action != wantAction[i] || got[i].Action != alone.Action || got[i].Prefix != alone.Prefix ||
			got[i].Output != alone.Output {
			t.Errorf("session %d: batch %v, alone %v, want action %v", tg.Session.ID, got[i], alone, wantAction[i])
		}
	}
}
