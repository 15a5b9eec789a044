package relay

import "github.com/nbd-wtf/go-nostr"

// EventKey returns the created_at and raw id of a stored event's JSON, as
// a negentropy set holds them, for sets built outside a client's session
// (host/peer, relayd sync). It reads the store's canonical form without
// decoding the event, and decodes anything else; ok is false when the JSON
// has no readable id or created_at.
func EventKey(raw []byte) (createdAt nostr.Timestamp, id [32]byte, ok bool) {
	return negKey(raw)
}
