package reconcile

import (
	"errors"
	"fmt"

	"github.com/nbd-wtf/go-nostr/nip77/negentropy"
)

// MinFrameSize is the smallest frame size the engine accepts, in bytes
// before hex encoding.
const MinFrameSize = 4096

// Responder is the relay's side of one negentropy session: it answers a
// client's messages from a sealed Set. It is not safe for concurrent use.
type Responder struct {
	neg *negentropy.Negentropy
}

// NewResponder returns a Responder over set (sealed), whose answers hold
// at most about frameSize bytes (hex doubles them on the wire).
func NewResponder(set *Set, frameSize int) (*Responder, error) {
	if !set.Sealed() {
		return nil, errors.New("reconcile: responder on an unsealed set")
	}
	if frameSize < MinFrameSize {
		return nil, fmt.Errorf("reconcile: frame size %d is below %d", frameSize, MinFrameSize)
	}
	return &Responder{neg: negentropy.New(set, frameSize)}, nil
}

// Reconcile answers the client's hex message msg with the next hex
// message, which is never empty: a reply of only the version byte ("61")
// tells the client there is nothing left to reconcile. An error means the
// message was malformed; the session should end with NEG-ERR.
func (r *Responder) Reconcile(msg string) (string, error) {
	if err := Check(msg); err != nil {
		return "", err
	}
	out, err := engineReconcile(r.neg, msg)
	if err != nil {
		return "", err
	}
	return out, nil
}

// engineReconcile runs the engine on a checked message, turning a panic
// the checks did not foresee into an error.
func engineReconcile(neg *negentropy.Negentropy, msg string) (out string, err error) {
	defer func() {
		if p := recover(); p != nil {
			out, err = "", fmt.Errorf("%w: engine failed: %v", ErrMalformed, p)
		}
	}()
	out, err = neg.Reconcile(msg)
	if err != nil {
		return "", fmt.Errorf("%w: %w", ErrMalformed, err)
	}
	return out, nil
}
