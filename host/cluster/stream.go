package cluster

import (
	"context"
	"fmt"
	"time"

	"github.com/nats-io/nats.go/jetstream"
)

// Subjects of the event stream and of the ephemeral fan-out, under the
// stream's name (Conn.Subject). Only EventSubject is bound to the stream:
// the other subjects of S.* stay free for core NATS messages.
const (
	// eventToken is the token of the stream's one subject, S.event.
	eventToken = "event"
	// ephemeralToken is the core NATS subject of ephemeral events,
	// S.ephemeral: fanned out, never stored.
	ephemeralToken = "ephemeral"
)

// maxDuplicateWindow bounds the stream's duplicate window (Nats-Msg-Id =
// event id): two nodes publishing one event within it store it once. Past
// it a second copy is stored, and every node's apply answers it as a
// duplicate (the apply is idempotent by id).
const maxDuplicateWindow = 2 * time.Minute

// EventSubject is the subject the event stream holds: S.event.
func (c *Conn) EventSubject() string { return c.Subject(eventToken) }

// EnsureStream creates the event stream, or updates it to the [cluster]
// table's replicas and retention.
func (c *Conn) EnsureStream(ctx context.Context) (jetstream.Stream, error) {
	cfg := c.cfg
	maxBytes := cfg.MaxBytes
	if maxBytes == 0 {
		maxBytes = -1
	}
	dup := min(maxDuplicateWindow, cfg.MaxAge.Duration)
	sc := jetstream.StreamConfig{
		Name:        cfg.Stream,
		Description: "relayd events",
		Subjects:    []string{c.EventSubject()},
		Retention:   jetstream.LimitsPolicy,
		Discard:     jetstream.DiscardOld,
		Storage:     jetstream.FileStorage,
		Replicas:    cfg.Replicas,
		MaxAge:      cfg.MaxAge.Duration,
		MaxBytes:    maxBytes,
		Duplicates:  dup,
	}
	// A JetStream cluster that is still electing its leader does not
	// answer: ask again, each try bounded, until ctx ends.
	for {
		tctx, cancel := context.WithTimeout(ctx, streamTry)
		s, err := c.js.CreateOrUpdateStream(tctx, sc)
		cancel()
		if err == nil {
			return s, nil
		}
		if !sleep(ctx, reconnectWait) {
			return nil, fmt.Errorf("cluster: stream %s: %w", cfg.Stream, err)
		}
	}
}

// streamTry bounds one try at creating or updating the stream.
const streamTry = 3 * time.Second
