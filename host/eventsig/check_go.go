//go:build !libsecp256k1

package eventsig

import "github.com/nbd-wtf/go-nostr"

// Checker checks events' ids and signatures. Its zero value is ready; it is
// safe for concurrent use. Without libsecp256k1 it is go-nostr's checks.
type Checker struct{}

// Check returns nil when ev's id is the hash of its NIP-01 serialization
// and its signature verifies against its pubkey; ErrID or ErrSig otherwise.
func (c *Checker) Check(ev *nostr.Event) error {
	if !ev.CheckID() {
		return ErrID
	}
	if ok, err := ev.CheckSignature(); !ok || err != nil {
		return ErrSig
	}
	return nil
}
