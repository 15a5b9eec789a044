package peer

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/relayd/relayd/host/reconcile"
)

// ErrMalformed is wrapped when a peer sends a message that is not a
// NIP-01 relay message (a JSON array starting with a string label), or
// an event that does not parse.
var ErrMalformed = errors.New("peer: malformed message")

// ErrFlood is wrapped when a peer sends more messages than the request
// it answers can explain (results without end, no EOSE, OKs for nothing).
var ErrFlood = errors.New("peer: too many messages")

// message is one message from a peer, split into its label and elements.
type message struct {
	label string
	arr   []json.RawMessage
}

// parseMessage splits a relay message; a message that is not a JSON array
// starting with a string wraps ErrMalformed.
func parseMessage(b []byte) (message, error) {
	var m message
	if json.Unmarshal(b, &m.arr) != nil || len(m.arr) == 0 || json.Unmarshal(m.arr[0], &m.label) != nil {
		return message{}, fmt.Errorf("%w: %.80q", ErrMalformed, b)
	}
	return m, nil
}

// str returns element i as a string, "" if it is not one.
func (m message) str(i int) string {
	var s string
	if i < len(m.arr) {
		json.Unmarshal(m.arr[i], &s)
	}
	return s
}

// conn is the part of reconcile.Conn a transfer uses, read through the
// pacer.
type conn struct {
	c    *reconcile.Conn
	pace func(context.Context) error // nil: no pacing
}

// send sends v, a message to marshal as JSON.
func (c conn) send(ctx context.Context, v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Errorf("peer: encode: %w", err)
	}
	return c.c.Send(ctx, b)
}

// receive waits for the pacer, then reads and splits one message.
func (c conn) receive(ctx context.Context) (message, error) {
	if c.pace != nil {
		if err := c.pace(ctx); err != nil {
			return message{}, err
		}
	}
	b, err := c.c.Receive(ctx)
	if err != nil {
		return message{}, err
	}
	return parseMessage(b)
}
