package store

import (
	"strconv"
	"strings"

	"github.com/nbd-wtf/go-nostr"
)

// The helpers below hold the NIP-01, NIP-09 and NIP-40 rules that every
// implementation applies the same way, so that memstore and badgerstore
// cannot drift apart.

// KindDeletion is the NIP-09 deletion request kind.
const KindDeletion = 5

// Address names the slot of a replaceable or addressable event: NIP-01's
// "kind:pubkey:d", where D is empty for replaceable kinds.
type Address struct {
	Kind   int
	PubKey string
	D      string
}

// String returns a in the "kind:pubkey:d" form of NIP-01 a tags.
func (a Address) String() string {
	return strconv.Itoa(a.Kind) + ":" + a.PubKey + ":" + a.D
}

// AddressOf returns the slot ev occupies and true when ev is replaceable
// (kinds 0, 3, 10000–19999) or addressable (30000–39999, by its first d tag).
func AddressOf(ev *nostr.Event) (Address, bool) {
	switch {
	case nostr.IsReplaceableKind(ev.Kind):
		return Address{Kind: ev.Kind, PubKey: ev.PubKey}, true
	case nostr.IsAddressableKind(ev.Kind):
		return Address{Kind: ev.Kind, PubKey: ev.PubKey, D: ev.Tags.GetD()}, true
	}
	return Address{}, false
}

// ParseAddress parses the "kind:pubkey:d" value of an a tag. It reports false
// unless the kind is replaceable or addressable and the pubkey is 64
// lowercase hex digits. The d part may contain colons.
func ParseAddress(s string) (Address, bool) {
	k, rest, ok := strings.Cut(s, ":")
	if !ok {
		return Address{}, false
	}
	pk, d, ok := strings.Cut(rest, ":")
	if !ok || !IsHex64(pk) {
		return Address{}, false
	}
	kind, err := strconv.Atoi(k)
	if err != nil || !(nostr.IsReplaceableKind(kind) || nostr.IsAddressableKind(kind)) {
		return Address{}, false
	}
	return Address{Kind: kind, PubKey: pk, D: d}, true
}

// Expiration returns ev's NIP-40 expiration in unix seconds, or 0 when it has
// no valid expiration tag.
func Expiration(ev *nostr.Event) int64 {
	for _, tag := range ev.Tags {
		if len(tag) >= 2 && tag[0] == "expiration" {
			n, err := strconv.ParseInt(tag[1], 10, 64)
			if err != nil || n <= 0 {
				return 0
			}
			return n
		}
	}
	return 0
}

// Expired reports whether an event with expiration exp (0 for none) is
// expired at now: NIP-40 treats the expiration second itself as expired.
func Expired(exp, now int64) bool {
	return exp != 0 && exp <= now
}

// Before reports whether event a sorts before event b in query order:
// created_at descending, then id ascending. For two versions of one
// replaceable or addressable event, the one that sorts first is the one kept.
func Before(aCreated nostr.Timestamp, aID string, bCreated nostr.Timestamp, bID string) bool {
	if aCreated != bCreated {
		return aCreated > bCreated
	}
	return aID < bID
}

// DeletionTargets returns the event ids named by the e tags and the addresses
// named by the a tags of a NIP-09 deletion request. Malformed values are
// skipped. The caller still checks that each target belongs to the author.
func DeletionTargets(ev *nostr.Event) (ids []string, addrs []Address) {
	for _, tag := range ev.Tags {
		if len(tag) < 2 {
			continue
		}
		switch tag[0] {
		case "e":
			if IsHex64(tag[1]) {
				ids = append(ids, tag[1])
			}
		case "a":
			if a, ok := ParseAddress(tag[1]); ok {
				addrs = append(addrs, a)
			}
		}
	}
	return ids, addrs
}

// IsHex64 reports whether s is 64 lowercase hex digits, the form of event
// ids and pubkeys.
func IsHex64(s string) bool {
	if len(s) != 64 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if (c < '0' || c > '9') && (c < 'a' || c > 'f') {
			return false
		}
	}
	return true
}

// CheckStorable returns ErrEphemeral for ephemeral kinds and ErrExpired for
// an event whose NIP-40 expiration is at or before now: the checks a store
// can make before it queues a write.
func CheckStorable(ev *nostr.Event, now int64) error {
	if nostr.IsEphemeralKind(ev.Kind) {
		return ErrEphemeral
	}
	if Expired(Expiration(ev), now) {
		return ErrExpired
	}
	return nil
}
