// Package envelope reads the messages a Nostr client sends to the relay
// (EVENT, REQ, COUNT, CLOSE, AUTH, and NIP-77's NEG-OPEN, NEG-MSG,
// NEG-CLOSE) and writes the messages the relay sends back (OK, EOSE,
// CLOSED, NOTICE, AUTH, COUNT, EVENT, NEG-MSG, NEG-ERR), plus the NIP-77
// messages a negentropy client sends.
//
// It sits on the relay's hottest paths, so Parse is a strict single-pass
// JSON reader written for these messages rather than a general decoder: it
// validates the whole message (RFC 8259, UTF-8) while it decodes, takes
// strings without escapes as substrings of one copy of the message, and
// builds the event's tags in two allocations. Its results are the go-nostr
// types the rest of the relay uses, and the tests and fuzzers hold it to
// go-nostr's own parsing and to an encoding/json reference.
//
// All functions are safe for concurrent use.
package envelope
