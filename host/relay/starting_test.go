package relay_test

import (
	"context"
	"encoding/binary"
	"net"
	"testing"
	"time"

	"github.com/gobwas/ws"
	"github.com/nbd-wtf/go-nostr"

	"github.com/relayd/relayd/host/policy"
	"github.com/relayd/relayd/host/relay"
	wsc "github.com/relayd/relayd/internal/testing/wsclient"
)

// dialUA opens a raw websocket with a User-Agent and reads the AUTH
// greeting.
func dialUA(t *testing.T, url, ua string) net.Conn {
	t.Helper()
	d := ws.Dialer{Header: ws.HandshakeHeaderHTTP{"User-Agent": []string{ua}}}
	nc, br, _, err := d.Dial(context.Background(), url)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { nc.Close() })
	var f ws.Frame
	if br != nil { // the greeting came with the handshake response
		f, err = ws.ReadFrame(br)
		ws.PutReader(br)
	} else {
		nc.SetReadDeadline(time.Now().Add(wsc.Timeout))
		f, err = ws.ReadFrame(nc)
	}
	if err != nil || f.Header.OpCode != ws.OpText {
		t.Fatalf("greeting: got %v, %v", f.Header.OpCode, err)
	}
	return nc
}

func readRaw(t *testing.T, nc net.Conn) ws.Frame {
	t.Helper()
	nc.SetReadDeadline(time.Now().Add(wsc.Timeout))
	f, err := ws.ReadFrame(nc)
	if err != nil {
		t.Fatalf("read: %v", err)
	}
	return f
}

// TestRelayStartingRefusesUntilStarted (issue 7, item 10d): while the
// policies load, EVENT, AUTH, REQ and COUNT are refused with
// "error: starting"; after Started, a connection accepted meanwhile meets
// the connect hook before its first message and is closed with 1008 if
// refused, and the close hook runs only for sessions the connect hook let
// in.
func TestRelayStartingRefusesUntilStarted(t *testing.T) {
	closed := make(chan string, 4)
	tr := start(t, relay.Options{Starting: true}, enforce(&fnPolicy{name: "gate",
		connect: func(in *policy.ConnInput) policy.Verdict {
			if in.Session.Headers["user-agent"] == "badbot" {
				return policy.RejectWith(policy.PrefixBlocked, "no bots")
			}
			return policy.Verdict{}
		},
		closed: func(s *policy.Session) { closed <- s.Headers["user-agent"] },
	}))
	good := wsc.Dial(t, tr.url)
	bot := dialUA(t, tr.url, "badbot")
	k := wsc.NewKey()
	ev := k.Sign(t, 1, "early", now())
	if ok := good.Publish(ev); ok.Accepted || ok.Reason != "error: starting" {
		t.Fatalf("EVENT while starting: got %v", ok)
	}
	if ok := good.Auth(k.SK, tr.url); ok.Accepted || ok.Reason != "error: starting" {
		t.Fatalf("AUTH while starting: got %v", ok)
	}
	for _, label := range []string{"REQ", "COUNT"} {
		good.Send(label, "s", nostr.Filter{})
		if m := good.Expect("CLOSED"); wsc.Str(m, 1) != "s" || wsc.Str(m, 2) != "error: starting" {
			t.Fatalf("%s while starting: got %s", label, m)
		}
	}

	tr.r.Started()
	if ok := good.Publish(ev); !ok.Accepted {
		t.Fatalf("EVENT after Started: got %v", ok)
	}
	if err := ws.WriteFrame(bot, ws.MaskFrame(ws.NewTextFrame([]byte(`["REQ","s",{}]`)))); err != nil {
		t.Fatal(err)
	}
	f := readRaw(t, bot)
	if f.Header.OpCode != ws.OpClose || len(f.Payload) < 2 ||
		ws.StatusCode(binary.BigEndian.Uint16(f.Payload)) != ws.StatusPolicyViolation || string(f.Payload[2:]) != "blocked: no bots" {
		t.Fatalf("late connect refusal: got %v %q, want close 1008 \"blocked: no bots\"", f.Header.OpCode, f.Payload)
	}
	bot.Close()
	for tr.r.Stats().Connections.Load() != 1 {
		time.Sleep(time.Millisecond) // the bot's session is being closed
	}
	good.NC.Close()
	if ua := <-closed; ua != "" {
		t.Fatalf("close hook ran for %q, want only the admitted session", ua)
	}
	select {
	case ua := <-closed:
		t.Fatalf("close hook ran again, for %q", ua)
	default:
	}
}
