package config

import (
	"strings"
	"testing"
	"time"
)

// TestClusterStateLeaseWait: state_lease_wait must stay under
// plugin_timeout (a hook waiting longer for a lease would time out).
func TestClusterStateLeaseWait(t *testing.T) {
	tests := []struct {
		name    string
		wait    time.Duration
		wantErr bool
	}{
		{"default", 0, false},
		{"under plugin_timeout", 20 * time.Millisecond, false},
		{"at plugin_timeout", 50 * time.Millisecond, true},
		{"negative", -time.Millisecond, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c := Default()
			c.PluginTimeout = Duration{50 * time.Millisecond}
			c.Cluster = Cluster{NATSURL: "nats://127.0.0.1:4222", Node: "a", StateLeaseWait: Duration{tc.wait}}
			err := c.Validate()
			if (err != nil) != tc.wantErr || err != nil && !strings.Contains(err.Error(), "cluster.state_lease_wait") {
				t.Fatalf("got %v, want error %v", err, tc.wantErr)
			}
		})
	}
}
