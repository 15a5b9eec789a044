//go:build !wasip1

package sdk

import "github.com/relayd/relayd/sdk/internal/imports"

// In native builds the exports are plain functions that sdktest calls.
func init() {
	imports.Guest = imports.Exports{Init: initGuest, Limitation: limitation, Hook: dispatch, Tick: tick,
		DeliverBatch: deliverBatch}
}
