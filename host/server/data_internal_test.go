package server

import (
	"testing"

	"github.com/relayd/relayd/host/config"
)

// TestStoreOptionsMemory checks that store_memory_mb reaches the store as its
// memory budget.
func TestStoreOptionsMemory(t *testing.T) {
	tests := []struct {
		name string
		mb   int
		want int64
	}{
		{"default", config.Default().StoreMemoryMB, 256 << 20},
		{"set", 1024, 1024 << 20},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			cfg := config.Default()
			cfg.StoreMemoryMB = tc.mb
			if got := storeOptions(cfg, nil).MemoryBudget; got != tc.want {
				t.Errorf("MemoryBudget = %d, want %d", got, tc.want)
			}
		})
	}
}
