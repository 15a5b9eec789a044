// Package storetest is the conformance suite that every store.Store
// implementation passes. An implementation's test calls Run with a
// constructor for fresh, empty stores:
//
//	func TestStore(t *testing.T) {
//		storetest.Run(t, func(t *testing.T) store.Store { return memstore.New() })
//	}
//
// The suite uses real signed events and checks the semantics documented on
// store.Store: byte-identical round trips, filters and ordering, NIP-01
// replaceable and addressable events, NIP-09 deletions, NIP-40 expiration,
// Submit ordering, concurrency (run it with -race) and Close.
package storetest

import (
	"errors"
	"testing"

	"github.com/relayd/relayd/host/store"
)

// Run runs the whole suite. newStore must return a new, empty store each
// time it is called; the suite closes every store it gets. newStore may
// register cleanups on its t (t.TempDir, say): they run after the suite's
// Close.
func Run(t *testing.T, newStore func(t *testing.T) store.Store) {
	h := harness{newStore: newStore}
	t.Run("RoundTrip", h.testRoundTrip)
	t.Run("Duplicate", h.testDuplicate)
	t.Run("Query", h.testQuery)
	t.Run("QueryLimit", h.testQueryLimit)
	t.Run("QueryTies", h.testQueryTies)
	t.Run("Replaceable", h.testReplaceable)
	t.Run("Addressable", h.testAddressable)
	t.Run("DeleteByID", h.testDeleteByID)
	t.Run("DeleteByAddress", h.testDeleteByAddress)
	t.Run("Expiration", h.testExpiration)
	t.Run("DeleteExpired", h.testDeleteExpired)
	t.Run("Ephemeral", h.testEphemeral)
	t.Run("SubmitOrder", h.testSubmitOrder)
	t.Run("ConcurrentSave", h.testConcurrentSave)
	t.Run("Close", h.testClose)
}

type harness struct {
	newStore func(t *testing.T) store.Store
}

// open returns a fresh store that is closed when t ends.
func (h harness) open(t *testing.T) store.Store {
	t.Helper()
	s := h.newStore(t)
	t.Cleanup(func() {
		if err := s.Close(); err != nil && !errors.Is(err, store.ErrClosed) {
			t.Errorf("close: %v", err)
		}
	})
	return s
}
