package dbtest_test

import (
	"testing"

	"github.com/relayd/relayd/internal/testing/dbtest"
	"github.com/relayd/relayd/sdk/sdktest"
)

// TestSDKTestDB runs the durable state suite that the relay's
// implementation passes (host/wasmhost/durable) on sdktest's DB: a restart
// is a new Host on the same DB.
func TestSDKTestDB(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, l dbtest.Limits) dbtest.Target {
		db := sdktest.NewDB(sdktest.DBLimits{MaxKeys: l.MaxKeys, MaxBytes: l.MaxBytes})
		return dbtest.Target{
			DB: sdktest.New(sdktest.Options{DB: db}),
			Restart: func(_ *testing.T, l dbtest.Limits) dbtest.DB {
				db.SetLimits(sdktest.DBLimits{MaxKeys: l.MaxKeys, MaxBytes: l.MaxBytes})
				return sdktest.New(sdktest.Options{DB: db})
			},
			SetReadOnly: func(_ *testing.T, ro bool) { db.SetReadOnly(ro) },
		}
	})
}
