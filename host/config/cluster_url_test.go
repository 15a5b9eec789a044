package config

import (
	"strings"
	"testing"
)

// TestClusterURL: [cluster] url must be a ws:// or wss:// URL.
func TestClusterURL(t *testing.T) {
	tests := []struct {
		url, err string
	}{
		{"", ""},
		{"ws://10.0.0.1:7447", ""},
		{"wss://node1.relay.example.com", ""},
		{"http://10.0.0.1:7447", "cluster.url"},
		{"ws://", "cluster.url"},
	}
	for _, tc := range tests {
		c := Default()
		c.Cluster = Cluster{NATSURL: "nats://127.0.0.1:4222", Node: "n1", URL: tc.url}
		err := c.Validate()
		switch {
		case tc.err == "" && err != nil:
			t.Errorf("%q: %v", tc.url, err)
		case tc.err != "" && (err == nil || !strings.Contains(err.Error(), tc.err)):
			t.Errorf("%q: %v, want an error about %s", tc.url, err, tc.err)
		}
	}
}
