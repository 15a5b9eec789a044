// Package wsclient is a small raw websocket Nostr client for tests: it
// sends exact frames and reads exact replies, so tests assert what a
// relay put on the wire.
package wsclient

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/gobwas/ws"
	"github.com/nbd-wtf/go-nostr"
)

// Timeout bounds every read.
const Timeout = 10 * time.Second

// Client is one websocket connection to a relay.
type Client struct {
	t  testing.TB
	NC net.Conn
	// Challenge is the NIP-42 challenge of the relay's first AUTH message,
	// if it sent one (Dial reads it).
	Challenge string
}

// Dial connects to url and reads the relay's AUTH greeting.
func Dial(t testing.TB, url string) *Client {
	t.Helper()
	c := DialRaw(t, url)
	msg := c.Read()
	if Label(msg) != "AUTH" {
		t.Fatalf("first message %s, want AUTH", msg)
	}
	json.Unmarshal(msg[1], &c.Challenge)
	return c
}

// DialRaw connects without reading anything.
func DialRaw(t testing.TB, url string) *Client {
	t.Helper()
	return dial(t, url, ws.Dialer{})
}

// DialWith is Dial with a custom TCP dialer (e.g. to set socket options).
func DialWith(t testing.TB, url string, netDial func(ctx context.Context, network, addr string) (net.Conn, error)) *Client {
	t.Helper()
	return DialDialer(t, url, ws.Dialer{NetDial: netDial})
}

// DialDialer is Dial with a custom websocket dialer (extra handshake
// headers, a TCP dialer).
func DialDialer(t testing.TB, url string, d ws.Dialer) *Client {
	t.Helper()
	c := dial(t, url, d)
	msg := c.Read()
	if Label(msg) != "AUTH" {
		t.Fatalf("first message %s, want AUTH", msg)
	}
	json.Unmarshal(msg[1], &c.Challenge)
	return c
}

func dial(t testing.TB, url string, d ws.Dialer) *Client {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), Timeout)
	defer cancel()
	nc, br, _, err := d.Dial(ctx, url)
	if err != nil {
		t.Fatalf("dial %s: %v", url, err)
	}
	t.Cleanup(func() { nc.Close() })
	if br != nil {
		// The relay's first frames came with the handshake response.
		nc = &bufferedConn{Conn: nc, r: io.MultiReader(br, nc)}
	}
	return &Client{t: t, NC: nc}
}

// bufferedConn reads what the handshake reader kept before the socket.
type bufferedConn struct {
	net.Conn
	r io.Reader
}

func (b *bufferedConn) Read(p []byte) (int, error) { return b.r.Read(p) }

// SendRaw sends msg as one masked text frame.
func (c *Client) SendRaw(msg []byte) {
	c.t.Helper()
	if err := ws.WriteFrame(c.NC, ws.MaskFrame(ws.NewTextFrame(msg))); err != nil {
		c.t.Fatalf("write: %v", err)
	}
}

// Send marshals v (an array) and sends it.
func (c *Client) Send(v ...any) {
	c.t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		c.t.Fatal(err)
	}
	c.SendRaw(b)
}

// Frame reads the next frame, answering pings on the way.
func (c *Client) Frame() (ws.Frame, error) {
	for {
		c.NC.SetReadDeadline(time.Now().Add(Timeout))
		f, err := ws.ReadFrame(c.NC)
		if err != nil {
			return f, err
		}
		if f.Header.OpCode == ws.OpPing {
			ws.WriteFrame(c.NC, ws.MaskFrame(ws.NewPongFrame(f.Payload)))
			continue
		}
		return f, nil
	}
}

// Read reads the next message and splits its JSON array.
func (c *Client) Read() []json.RawMessage {
	c.t.Helper()
	f, err := c.Frame()
	if err != nil {
		c.t.Fatalf("read: %v", err)
	}
	if f.Header.OpCode != ws.OpText {
		c.t.Fatalf("got frame %v (%q), want text", f.Header.OpCode, f.Payload)
	}
	var arr []json.RawMessage
	if err := json.Unmarshal(f.Payload, &arr); err != nil {
		c.t.Fatalf("relay sent invalid JSON %q: %v", f.Payload, err)
	}
	return arr
}

// Label returns a message's label.
func Label(msg []json.RawMessage) string {
	var s string
	if len(msg) > 0 {
		json.Unmarshal(msg[0], &s)
	}
	return s
}

// Str decodes element i of msg as a string.
func Str(msg []json.RawMessage, i int) string {
	var s string
	if i < len(msg) {
		json.Unmarshal(msg[i], &s)
	}
	return s
}

// OK is a decoded OK message.
type OK struct {
	ID       string
	Accepted bool
	Reason   string
}

// ReadOK reads the next message, which must be an OK.
func (c *Client) ReadOK() OK {
	c.t.Helper()
	msg := c.Read()
	if Label(msg) != "OK" || len(msg) != 4 {
		c.t.Fatalf("got %s, want OK", join(msg))
	}
	var ok OK
	json.Unmarshal(msg[1], &ok.ID)
	json.Unmarshal(msg[2], &ok.Accepted)
	json.Unmarshal(msg[3], &ok.Reason)
	return ok
}

// Publish sends ev and returns the relay's OK for it.
func (c *Client) Publish(ev *nostr.Event) OK {
	c.t.Helper()
	c.Send("EVENT", ev)
	ok := c.ReadOK()
	if ok.ID != ev.ID {
		c.t.Fatalf("OK for %s, want %s", ok.ID, ev.ID)
	}
	return ok
}

// Req sends a REQ and collects the stored events up to EOSE.
func (c *Client) Req(subID string, filters ...nostr.Filter) []*nostr.Event {
	c.t.Helper()
	args := []any{"REQ", subID}
	for _, f := range filters {
		args = append(args, f)
	}
	c.Send(args...)
	var evs []*nostr.Event
	for {
		msg := c.Read()
		switch Label(msg) {
		case "EVENT":
			if Str(msg, 1) != subID {
				c.t.Fatalf("EVENT for sub %q, want %q", Str(msg, 1), subID)
			}
			evs = append(evs, Event(c.t, msg))
		case "EOSE":
			if Str(msg, 1) != subID {
				c.t.Fatalf("EOSE for sub %q, want %q", Str(msg, 1), subID)
			}
			return evs
		default:
			c.t.Fatalf("got %s while waiting for EOSE", join(msg))
		}
	}
}

// Event decodes the event of an EVENT message.
func Event(t testing.TB, msg []json.RawMessage) *nostr.Event {
	t.Helper()
	var ev nostr.Event
	if len(msg) != 3 {
		t.Fatalf("EVENT message with %d elements", len(msg))
	}
	if err := json.Unmarshal(msg[2], &ev); err != nil {
		t.Fatalf("bad event %s: %v", msg[2], err)
	}
	return &ev
}

// Auth answers the relay's challenge as sk for relayURL and returns the OK.
func (c *Client) Auth(sk, relayURL string) OK {
	c.t.Helper()
	ev := &nostr.Event{Kind: nostr.KindClientAuthentication, CreatedAt: nostr.Now(),
		Tags: nostr.Tags{{"relay", relayURL}, {"challenge", c.Challenge}}}
	if err := ev.Sign(sk); err != nil {
		c.t.Fatal(err)
	}
	c.Send("AUTH", ev)
	return c.ReadOK()
}

// Expect reads the next message and fails unless its label is label.
func (c *Client) Expect(label string) []json.RawMessage {
	c.t.Helper()
	msg := c.Read()
	if Label(msg) != label {
		c.t.Fatalf("got %s, want %s", join(msg), label)
	}
	return msg
}

func join(msg []json.RawMessage) string {
	parts := make([]string, len(msg))
	for i, m := range msg {
		parts[i] = string(m)
	}
	s := "[" + strings.Join(parts, ",") + "]"
	if len(s) > 300 {
		s = s[:300] + "..."
	}
	return s
}

// Key is a test keypair.
type Key struct{ SK, PK string }

// NewKey generates a keypair.
func NewKey() Key {
	sk := nostr.GeneratePrivateKey()
	pk, _ := nostr.GetPublicKey(sk)
	return Key{sk, pk}
}

// Sign builds and signs an event.
func (k Key) Sign(t testing.TB, kind int, content string, createdAt nostr.Timestamp, tags ...nostr.Tag) *nostr.Event {
	t.Helper()
	ev := &nostr.Event{Kind: kind, Content: content, CreatedAt: createdAt, Tags: nostr.Tags(tags)}
	if ev.Tags == nil {
		ev.Tags = nostr.Tags{}
	}
	if err := ev.Sign(k.SK); err != nil {
		t.Fatal(err)
	}
	return ev
}

// String formats an OK for failure messages.
func (o OK) String() string { return fmt.Sprintf("OK(%s, %v, %q)", o.ID, o.Accepted, o.Reason) }

// Frame returns p as the bytes of one masked client text frame, for tests
// that write many frames in one system call.
func Frame(p []byte) []byte {
	var b bytes.Buffer
	ws.WriteFrame(&b, ws.MaskFrame(ws.NewTextFrame(append([]byte(nil), p...))))
	return b.Bytes()
}

// Reset drops the connection with a TCP reset, as a client that vanishes.
func (c *Client) Reset() {
	nc := c.NC
	if b, ok := nc.(*bufferedConn); ok {
		nc = b.Conn
	}
	if tc, ok := nc.(*net.TCPConn); ok {
		tc.SetLinger(0)
	}
	nc.Close()
}
