package policy

import (
	"net/netip"
	"sync/atomic"
)

// Session is what policies know of one client connection. The relay creates
// it at connection open and fills in Authed after a successful NIP-42 AUTH.
// The exported fields never change after the session is handed to a policy;
// Authed is safe for concurrent use.
type Session struct {
	// ID is unique for the life of the relay process (never 0).
	ID uint64
	// IP is the client address (after any trusted proxy header).
	IP netip.Addr
	// Headers holds the selected request headers the relay passes on:
	// Origin, User-Agent, X-Forwarded-For (lower-case keys).
	Headers map[string]string
	// ConnectedAt is the unix time of the upgrade.
	ConnectedAt int64

	authed atomic.Pointer[string]
}

// Authed returns the hex pubkey the session authenticated as with NIP-42,
// or "" before any successful AUTH.
func (s *Session) Authed() string {
	if p := s.authed.Load(); p != nil {
		return *p
	}
	return ""
}

// SetAuthed records a successful NIP-42 AUTH as pubkey.
func (s *Session) SetAuthed(pubkey string) { s.authed.Store(&pubkey) }

// Source returns SourceIP4 or SourceIP6 for the session's address.
func (s *Session) Source() Source {
	if s.IP.Is4() || s.IP.Is4In6() {
		return SourceIP4
	}
	return SourceIP6
}
