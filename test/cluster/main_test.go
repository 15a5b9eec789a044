package cluster_test

import (
	"os"
	"testing"

	"github.com/relayd/relayd/internal/testing/wasmbuild"
)

// TestMain removes the plugins the tests built.
func TestMain(m *testing.M) {
	code := m.Run()
	wasmbuild.RemoveAll()
	os.Exit(code)
}
