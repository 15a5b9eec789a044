// Package eventsig checks a Nostr event's id and BIP-340 signature, as
// go-nostr's Event.CheckID and Event.CheckSignature do, with less work per
// event: the NIP-01 serialization is hashed once for both checks, and the
// parsed form of recently seen pubkeys is kept (parsing an x-only pubkey
// costs a field square root, about a tenth of a verification), so that an
// import or a busy relay whose events come from a limited set of authors
// parses each author's key once.
//
// With -tags libsecp256k1 it calls the libsecp256k1 that go-nostr compiles
// into the binary (this package declares its functions and links no copy of
// its own: two copies would clash); without the tag it falls back to
// go-nostr's pure-Go checks.
package eventsig

import (
	"errors"
)

// ErrID is returned for an event whose id is not the hash of its content.
var ErrID = errors.New("eventsig: event id does not match its content")

// ErrSig is returned for an event whose signature does not verify.
var ErrSig = errors.New("eventsig: bad signature")
