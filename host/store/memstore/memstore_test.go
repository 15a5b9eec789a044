package memstore_test

import (
	"testing"

	"github.com/relayd/relayd/host/store"
	"github.com/relayd/relayd/host/store/memstore"
	"github.com/relayd/relayd/host/store/storetest"
)

func TestStore(t *testing.T) {
	storetest.Run(t, func(t *testing.T) store.Store { return memstore.New() })
}
