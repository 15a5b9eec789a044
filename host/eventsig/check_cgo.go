//go:build libsecp256k1

package eventsig

/*
#include <stddef.h>

// The definitions are go-nostr's copy of libsecp256k1, compiled into its
// package under the same tag. The declarations are weak so that cgo's
// link of this package alone (which has no copy) succeeds; the final link
// resolves them to go-nostr's.
typedef struct secp256k1_context_struct secp256k1_context;
typedef struct { unsigned char data[64]; } secp256k1_xonly_pubkey;
extern const secp256k1_context *secp256k1_context_static __attribute__((weak));
extern int secp256k1_xonly_pubkey_parse(const secp256k1_context *ctx,
	secp256k1_xonly_pubkey *pubkey, const unsigned char *input32) __attribute__((weak));
extern int secp256k1_schnorrsig_verify(const secp256k1_context *ctx, const unsigned char *sig64,
	const unsigned char *msg, size_t msglen, const secp256k1_xonly_pubkey *pubkey) __attribute__((weak));

// Verification needs no precomputed context: the static one serves.
static int relayd_xonly_parse(secp256k1_xonly_pubkey *pk, const unsigned char *in32) {
	return secp256k1_xonly_pubkey_parse(secp256k1_context_static, pk, in32);
}
static int relayd_schnorr_verify(const unsigned char *sig64, const unsigned char *msg32,
	const secp256k1_xonly_pubkey *pk) {
	return secp256k1_schnorrsig_verify(secp256k1_context_static, sig64, msg32, 32, pk);
}
*/
import "C"

import (
	"crypto/sha256"
	"encoding/hex"
	"sync"
	"unsafe"

	"github.com/nbd-wtf/go-nostr" // links the libsecp256k1 the functions above are
)

// cacheSlots is the number of parsed pubkeys a Checker keeps (96 bytes
// each), direct-mapped by the key's first bytes.
const cacheSlots = 4096

// Checker checks events' ids and signatures. Its zero value is ready; it is
// safe for concurrent use.
type Checker struct {
	mu    sync.Mutex
	slots [cacheSlots]slot
}

// slot is one cached pubkey and its parsed form.
type slot struct {
	key    [32]byte
	parsed C.secp256k1_xonly_pubkey
	used   bool
}

// Check returns nil when ev's id is the hash of its NIP-01 serialization
// and its signature verifies against its pubkey; ErrID or ErrSig otherwise.
func (c *Checker) Check(ev *nostr.Event) error {
	msg := sha256.Sum256(ev.Serialize())
	var id [64]byte
	hex.Encode(id[:], msg[:])
	if string(id[:]) != ev.ID {
		return ErrID
	}
	var pk [32]byte
	var sig [64]byte
	if len(ev.PubKey) != 64 || len(ev.Sig) != 128 {
		return ErrSig
	}
	if _, err := hex.Decode(pk[:], []byte(ev.PubKey)); err != nil {
		return ErrSig
	}
	if _, err := hex.Decode(sig[:], []byte(ev.Sig)); err != nil {
		return ErrSig
	}
	x, ok := c.pubkey(&pk)
	if !ok {
		return ErrSig
	}
	if C.relayd_schnorr_verify((*C.uchar)(unsafe.Pointer(&sig[0])), (*C.uchar)(unsafe.Pointer(&msg[0])), &x) != 1 {
		return ErrSig
	}
	return nil
}

// pubkey returns pk parsed, from the cache when it holds it.
func (c *Checker) pubkey(pk *[32]byte) (C.secp256k1_xonly_pubkey, bool) {
	s := &c.slots[(int(pk[0])<<8|int(pk[1]))%cacheSlots]
	c.mu.Lock()
	if s.used && s.key == *pk {
		x := s.parsed
		c.mu.Unlock()
		return x, true
	}
	c.mu.Unlock()
	var x C.secp256k1_xonly_pubkey
	if C.relayd_xonly_parse(&x, (*C.uchar)(unsafe.Pointer(&pk[0]))) != 1 {
		return x, false // not cached: a bad key is rare and cheap to refuse again
	}
	c.mu.Lock()
	s.key, s.parsed, s.used = *pk, x, true
	c.mu.Unlock()
	return x, true
}
