package badgerstore_test

import (
	"testing"

	"github.com/relayd/relayd/host/store"
	"github.com/relayd/relayd/host/store/badgerstore"
	"github.com/relayd/relayd/host/store/storetest"
)

func openStore(t testing.TB, dir string, opts badgerstore.Options) *badgerstore.Store {
	t.Helper()
	s, err := badgerstore.Open(dir, opts)
	if err != nil {
		t.Fatalf("open: %v", err)
	}
	return s
}

func TestStore(t *testing.T) {
	storetest.Run(t, func(t *testing.T) store.Store {
		return openStore(t, t.TempDir(), badgerstore.Options{})
	})
}
