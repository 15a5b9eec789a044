package relay

import (
	"bytes"
	"encoding/hex"

	"github.com/nbd-wtf/go-nostr"

	"github.com/relayd/relayd/host/store"
)

// negKey reads the created_at and id of a stored event's JSON for a
// negentropy set. The store keeps go-nostr's canonical form, which starts
// {"kind":N,"id":"<hex>","pubkey":"<hex>","created_at":N, so two searches
// find both without decoding the event; any other form is decoded.
func negKey(raw []byte) (nostr.Timestamp, [32]byte, bool) {
	var id [32]byte
	if h := rawID(raw); h != "" {
		if _, err := hex.Decode(id[:], []byte(h)); err == nil {
			if ts, ok := rawCreatedAt(raw); ok {
				return ts, id, true
			}
		}
	}
	var ev nostr.Event
	if ev.UnmarshalJSON(raw) != nil || !store.IsHex64(ev.ID) {
		return 0, id, false
	}
	hex.Decode(id[:], []byte(ev.ID))
	return ev.CreatedAt, id, true
}

// rawCreatedAt reads the value of the first "created_at" key of an event's
// JSON. In valid JSON that text can only be a key (a quote inside a string
// is escaped), and an event has no nested objects.
func rawCreatedAt(raw []byte) (nostr.Timestamp, bool) {
	const key = `"created_at":`
	i := bytes.Index(raw, []byte(key))
	if i < 0 {
		return 0, false
	}
	j := i + len(key)
	var v int64
	start := j
	for j < len(raw) && j-start < 18 && '0' <= raw[j] && raw[j] <= '9' {
		v = v*10 + int64(raw[j]-'0')
		j++
	}
	if j == start || j >= len(raw) || (raw[j] != ',' && raw[j] != '}') {
		return 0, false
	}
	return nostr.Timestamp(v), true
}
