package sharedstate

import (
	"encoding/json"
	"fmt"
	"sync"
	"time"

	"github.com/nats-io/nats.go"

	"github.com/relayd/relayd/host/wasmhost/state"
)

// Counters and the kv table across the cluster: each node adds (or sets)
// locally (the hook's answer
// is the node's value) and sends the deltas it gathered every
// CounterFlush on the subject S.counters, plain NATS: counters are
// in-memory state, gone at a restart even on one node, so JetStream's
// persistence would buy nothing but a round trip. The other nodes add
// them to their copies. A node's value misses the other nodes' additions
// of the last CounterFlush plus one message delay; deltas sent while NATS
// is away are lost (the node's own value keeps them). A kv change is sent
// the same way (the key's last change of the flush; its TTL restarts on
// the receiving node) and applied as it comes: last arrival wins, and
// kv_cas is atomic on one node only (two nodes may both succeed on one key
// within a flush interval plus one message delay).

// counterMsg is one node's deltas of one flush.
type counterMsg struct {
	Origin []byte         `json:"o"`
	Adds   []counterDelta `json:"a,omitempty"`
	KV     []kvChange     `json:"kv,omitempty"`
}

// kvChange is the last change of one kv key in a flush.
type kvChange struct {
	Plugin string `json:"p"`
	Key    []byte `json:"k"`
	Val    []byte `json:"v,omitempty"`
	Del    bool   `json:"d,omitempty"`
	TTL    int64  `json:"t"` // ns
}

type counterDelta struct {
	Plugin string `json:"p"`
	Key    []byte `json:"k"`
	Delta  int64  `json:"d"`
	TTL    int64  `json:"t"` // ns
}

type ckey struct{ plugin, key string }

type counters struct {
	s      *Shared
	mu     sync.Mutex
	spaces map[string]*state.Space
	acc    map[ckey]*counterDelta
	kv     map[ckey]*kvChange
}

func newCounters(s *Shared) *counters {
	return &counters{s: s, spaces: map[string]*state.Space{}, acc: map[ckey]*counterDelta{}, kv: map[ckey]*kvChange{}}
}

func (c *counters) add(plugin string, sp *state.Space) {
	c.mu.Lock()
	c.spaces[plugin] = sp
	c.mu.Unlock()
}

// CounterAdded implements state.Shared: it gathers the delta for the next
// flush. Called with the counter's shard locked: it only takes c.mu.
func (sh *space) CounterAdded(key []byte, delta int64, ttl time.Duration) {
	c := sh.s.ctrs
	k := ckey{sh.plugin, string(key)}
	c.mu.Lock()
	if d := c.acc[k]; d != nil {
		d.Delta += delta
	} else if len(c.acc) < maxLeases {
		c.acc[k] = &counterDelta{Plugin: sh.plugin, Key: []byte(k.key), Delta: delta, TTL: int64(ttl)}
	}
	c.mu.Unlock()
}

// KVChanged implements state.Shared: it keeps the key's last change for
// the next flush. Called with the key's shard locked: it only takes c.mu.
func (sh *space) KVChanged(key, val []byte, del bool, ttl time.Duration) {
	c := sh.s.ctrs
	k := ckey{sh.plugin, string(key)}
	c.mu.Lock()
	if len(c.kv) < maxLeases || c.kv[k] != nil {
		c.kv[k] = &kvChange{Plugin: sh.plugin, Key: []byte(k.key), Val: val, Del: del, TTL: int64(ttl)}
	}
	c.mu.Unlock()
}

func (c *counters) subject() string { return c.s.conn.Subject(counterSubject) }

// start subscribes to the other nodes' deltas and starts the flusher.
func (c *counters) start() error {
	sub, err := c.s.conn.NATS().Subscribe(c.subject(), c.receive)
	if err != nil {
		return fmt.Errorf("sharedstate: counters: %w", err)
	}
	c.s.mu.Lock()
	c.s.subs = append(c.s.subs, sub)
	c.s.mu.Unlock()
	c.s.wg.Go(c.run)
	return nil
}

func (c *counters) receive(m *nats.Msg) {
	var msg counterMsg
	if json.Unmarshal(m.Data, &msg) != nil || string(msg.Origin) == string(c.s.origin[:]) {
		return
	}
	now := time.Now().UnixNano()
	for _, d := range msg.Adds {
		// c.mu is not held while a shard is locked: CounterAdded takes
		// them in the other order.
		c.mu.Lock()
		sp := c.spaces[d.Plugin]
		c.mu.Unlock()
		if sp != nil {
			sp.ApplyCounter(d.Key, d.Delta, time.Duration(d.TTL), now)
		}
	}
	for _, d := range msg.KV {
		c.mu.Lock()
		sp := c.spaces[d.Plugin]
		c.mu.Unlock()
		if sp != nil {
			sp.ApplyKV(d.Key, d.Val, d.Del, time.Duration(d.TTL), now)
		}
	}
}

func (c *counters) run() {
	t := time.NewTicker(c.s.opts.CounterFlush)
	defer t.Stop()
	for {
		select {
		case <-c.s.ctx.Done():
			return
		case <-t.C:
			c.flush()
		}
	}
}

// maxCounterMsg bounds the deltas of one message.
const maxCounterMsg = 1000

func (c *counters) flush() {
	c.mu.Lock()
	if len(c.acc) == 0 && len(c.kv) == 0 {
		c.mu.Unlock()
		return
	}
	acc, kv := c.acc, c.kv
	c.acc, c.kv = map[ckey]*counterDelta{}, map[ckey]*kvChange{}
	c.mu.Unlock()
	msg := counterMsg{Origin: c.s.origin[:]}
	send := func() {
		if b, err := json.Marshal(msg); err == nil {
			_ = c.s.conn.NATS().Publish(c.subject(), b) // lost while disconnected: documented
		}
		msg.Adds, msg.KV = msg.Adds[:0], msg.KV[:0]
	}
	for _, d := range acc {
		if d.Delta == 0 {
			continue
		}
		msg.Adds = append(msg.Adds, *d)
		if len(msg.Adds) == maxCounterMsg {
			send()
		}
	}
	for _, d := range kv {
		msg.KV = append(msg.KV, *d)
		if len(msg.KV) == maxCounterMsg {
			send()
		}
	}
	if len(msg.Adds) > 0 || len(msg.KV) > 0 {
		send()
	}
}
