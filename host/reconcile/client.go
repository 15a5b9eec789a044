package reconcile

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/gobwas/ws"
	"github.com/nbd-wtf/go-nostr"
	"github.com/nbd-wtf/go-nostr/nip77/negentropy"

	"github.com/relayd/relayd/host/envelope"
)

// Options configure a Conn. Zero fields take the defaults.
type Options struct {
	// FrameSize bounds the negentropy messages the client sends, in bytes
	// before hex encoding (default 60000, at least MinFrameSize). A
	// message on the wire is about twice this: the default fits relays
	// that accept 128 KiB messages (strfry's default).
	FrameSize int
	// MaxMessageBytes bounds one message read from the relay (default
	// 4 MiB). A larger message ends the connection with ErrTooLarge.
	MaxMessageBytes int
	// ReadTimeout bounds the wait for each message from the relay, and
	// each write (default 30s). Past it, Reconcile fails with ErrTimeout.
	ReadTimeout time.Duration
	// MaxDiff bounds the ids Reconcile collects in each direction (default
	// 1,000,000). Past it, Reconcile stops with ErrTooManyDifferences.
	MaxDiff int
	// Header holds extra HTTP headers for the websocket handshake
	// (User-Agent, ...).
	Header http.Header
}

func (o Options) withDefaults() Options {
	if o.FrameSize <= 0 {
		o.FrameSize = 60000
	}
	o.FrameSize = max(o.FrameSize, MinFrameSize)
	if o.MaxMessageBytes <= 0 {
		o.MaxMessageBytes = 4 << 20
	}
	if o.ReadTimeout <= 0 {
		o.ReadTimeout = 30 * time.Second
	}
	if o.MaxDiff <= 0 {
		o.MaxDiff = 1000000
	}
	return o
}

// ErrTooManyDifferences is returned by Reconcile when one direction has
// more than Options.MaxDiff ids.
var ErrTooManyDifferences = errors.New("reconcile: too many differences")

// RelayError is the relay's refusal of a reconciliation: NEG-ERR (or
// NEG-ERROR, which go-nostr-based relays send), or CLOSED, for the
// session. Reason follows NIP-01: a prefix such as "blocked",
// "auth-required" or "closed", a colon, then text.
type RelayError struct {
	// Label is the label of the relay's message.
	Label string
	// Reason is the relay's reason.
	Reason string
}

// Error returns the refusal as text.
func (e *RelayError) Error() string {
	return "reconcile: relay sent " + e.Label + ": " + e.Reason
}

// Prefix returns the machine-readable prefix of Reason ("blocked",
// "auth-required", ...), or "" if it has none.
func (e *RelayError) Prefix() string {
	p, _, ok := strings.Cut(e.Reason, ":")
	if !ok || strings.ContainsAny(p, " \t") {
		return ""
	}
	return p
}

// Result is the outcome of one reconciliation.
type Result struct {
	// Have are the ids of the local set the relay lacks (to upload by
	// EVENT), sorted.
	Have []string
	// Need are the ids the relay has and the local set lacks (to download
	// by REQ), sorted.
	Need []string
	// Rounds is the number of negentropy messages the relay sent.
	Rounds int
	// BytesSent and BytesReceived count the websocket payload bytes of
	// the reconciliation in each direction.
	BytesSent, BytesReceived int64
}

// Conn is a websocket connection to a relay for negentropy
// reconciliation. After Reconcile, the same connection can carry the
// caller's REQs and EVENTs (Send, Receive). A Conn is not safe for
// concurrent use: one call at a time.
type Conn struct {
	w         *wire
	opts      Options
	seq       int
	challenge string
	notice    string
}

// Dial connects to the relay at url (ws:// or wss://).
func Dial(ctx context.Context, url string, opts Options) (*Conn, error) {
	opts = opts.withDefaults()
	d := ws.Dialer{Timeout: opts.ReadTimeout}
	if opts.Header != nil {
		d.Header = ws.HandshakeHeaderHTTP(opts.Header)
	}
	nc, br, _, err := d.Dial(ctx, url)
	if err != nil {
		return nil, fmt.Errorf("reconcile: dial %s: %w", url, err)
	}
	return &Conn{w: newWire(nc, br, opts.MaxMessageBytes, opts.ReadTimeout), opts: opts}, nil
}

// Close closes the connection.
func (c *Conn) Close() error { return c.w.close() }

// Challenge returns the relay's latest NIP-42 AUTH challenge, if one was
// read.
func (c *Conn) Challenge() string { return c.challenge }

// Notice returns the relay's latest NOTICE, if one was read.
func (c *Conn) Notice() string { return c.notice }

// Send sends one message (a JSON array) to the relay. msg is masked in
// place: the caller must not reuse it.
func (c *Conn) Send(ctx context.Context, msg []byte) error {
	stop := context.AfterFunc(ctx, c.w.interrupt)
	defer stop()
	return c.w.write(ctx, msg)
}

// Receive returns the next message from the relay. AUTH challenges and
// NOTICEs are also kept (Challenge, Notice).
func (c *Conn) Receive(ctx context.Context) ([]byte, error) {
	stop := context.AfterFunc(ctx, c.w.interrupt)
	defer stop()
	return c.receive(ctx)
}

func (c *Conn) receive(ctx context.Context) ([]byte, error) {
	msg, err := c.w.read(ctx)
	if err != nil {
		if c.notice != "" && errors.Is(err, ErrTimeout) {
			err = fmt.Errorf("%w (the relay's last NOTICE: %q)", err, c.notice)
		}
		return nil, err
	}
	if label, arr := split(msg); len(arr) == 2 {
		switch label {
		case "AUTH":
			json.Unmarshal(arr[1], &c.challenge)
		case "NOTICE":
			json.Unmarshal(arr[1], &c.notice)
		}
	}
	return msg, nil
}

// split decodes a relay message into its label and elements; both are
// empty if it is not a JSON array starting with a string.
func split(msg []byte) (string, []json.RawMessage) {
	var arr []json.RawMessage
	var label string
	if json.Unmarshal(msg, &arr) != nil || len(arr) == 0 || json.Unmarshal(arr[0], &label) != nil {
		return "", nil
	}
	return label, arr
}

// Reconcile runs a whole NIP-77 reconciliation of local (sealed), the
// events the caller holds that match filter, against the relay's events
// matching filter, and returns the ids each side lacks. It ends the
// relay's session (NEG-CLOSE) when done. Messages for other subscriptions
// that arrive meanwhile are dropped.
//
// It fails with a *RelayError when the relay refuses, ErrTimeout when the
// relay goes quiet, ErrTooManyDifferences, or an error wrapping
// ErrMalformed when the relay's messages do not decode.
func (c *Conn) Reconcile(ctx context.Context, filter nostr.Filter, local *Set) (*Result, error) {
	if !local.Sealed() {
		return nil, errors.New("reconcile: local set is not sealed")
	}
	stop := context.AfterFunc(ctx, c.w.interrupt)
	defer stop()
	c.seq++
	sub := "neg-" + strconv.Itoa(c.seq)
	sent, received := c.w.sent, c.w.received
	neg := negentropy.New(local, c.opts.FrameSize)
	d := startDrain(neg, c.opts.MaxDiff)
	defer d.stop()
	fj, err := filter.MarshalJSON()
	if err != nil {
		return nil, fmt.Errorf("reconcile: filter: %w", err)
	}
	if err := c.w.write(ctx, envelope.AppendNegOpen(nil, sub, fj, neg.Start())); err != nil {
		return nil, err
	}
	res := &Result{}
	if err := c.rounds(ctx, sub, neg, d, res); err != nil {
		var re *RelayError
		if !errors.As(err, &re) && ctx.Err() == nil {
			// Free the relay's session; a refusal already closed it.
			c.w.write(ctx, envelope.AppendNegClose(nil, sub))
		}
		return nil, err
	}
	if err := c.w.write(ctx, envelope.AppendNegClose(nil, sub)); err != nil {
		return nil, err
	}
	res.Have, res.Need = d.wait()
	if d.overflow.Load() {
		// The last ids may reach the readers after the engine returned.
		return nil, c.tooMany()
	}
	res.BytesSent, res.BytesReceived = c.w.sent-sent, c.w.received-received
	return res, nil
}

func (c *Conn) tooMany() error {
	return fmt.Errorf("%w: more than %d in one direction", ErrTooManyDifferences, c.opts.MaxDiff)
}

// rounds answers the relay's messages until the engine has nothing left
// to send.
func (c *Conn) rounds(ctx context.Context, sub string, neg *negentropy.Negentropy, d *drain, res *Result) error {
	for {
		msg, err := c.await(ctx, sub)
		if err != nil {
			return err
		}
		res.Rounds++
		if err := Check(msg); err != nil {
			return fmt.Errorf("reconcile: relay's message: %w", err)
		}
		out, err := engineReconcile(neg, msg)
		if err != nil {
			return fmt.Errorf("reconcile: relay's message: %w", err)
		}
		if d.overflow.Load() {
			return c.tooMany()
		}
		if out == "" {
			return nil
		}
		if err := c.w.write(ctx, envelope.AppendNegMsg(nil, sub, out)); err != nil {
			return err
		}
	}
}

// maxStray bounds the messages await skips (other subscriptions,
// NOTICEs, junk) while it waits for one negentropy message: a relay that
// sends nothing else would otherwise hold the client until its context
// ends, each message resetting the read timeout.
const maxStray = 1024

// ErrStray is wrapped when the relay sends more than 1024 messages that
// are not the session's while the client waits for its next one.
var ErrStray = errors.New("reconcile: too many messages that are not the session's")

// await reads messages until the relay's next negentropy message for sub,
// or its refusal.
func (c *Conn) await(ctx context.Context, sub string) (string, error) {
	for n := 0; ; n++ {
		if n > maxStray {
			return "", fmt.Errorf("%w: %d while waiting for a NEG-MSG", ErrStray, n)
		}
		msg, err := c.receive(ctx)
		if err != nil {
			return "", err
		}
		label, arr := split(msg)
		if len(arr) < 3 {
			continue
		}
		var id, s string
		if json.Unmarshal(arr[1], &id) != nil || id != sub {
			continue
		}
		if json.Unmarshal(arr[2], &s) != nil {
			return "", fmt.Errorf("reconcile: relay sent a %s without a string: %w", label, ErrMalformed)
		}
		switch label {
		case "NEG-MSG":
			return s, nil
		case "NEG-ERR", "NEG-ERROR", "CLOSED":
			return "", &RelayError{Label: label, Reason: s}
		}
	}
}
