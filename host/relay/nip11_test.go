package relay_test

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/relayd/relayd/host/limits"
	"github.com/relayd/relayd/host/relay"
)

// fetchInfo GETs the relay's NIP-11 document.
func fetchInfo(t *testing.T, wsURL string) relay.Info {
	t.Helper()
	req, _ := http.NewRequest("GET", "http"+strings.TrimPrefix(wsURL, "ws"), nil)
	req.Header.Set("Accept", "application/nostr+json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var info relay.Info
	if err := json.NewDecoder(resp.Body).Decode(&info); err != nil {
		t.Fatal(err)
	}
	return info
}

// checkLimitation fails unless every limitation key of want is served
// with its value (as JSON numbers and booleans decode).
func checkLimitation(t *testing.T, got map[string]any, want limits.Limits) {
	t.Helper()
	for k, v := range want.Limitation() {
		var w any
		switch x := v.(type) {
		case int:
			w = float64(x)
		case int64:
			w = float64(x)
		default:
			w = x
		}
		if got[k] != w {
			t.Errorf("limitation %s: got %v, want %v", k, got[k], w)
		}
	}
}

// TestRelayNIP11Limits: the limitation a relay serves is its limits, and
// a relay built with no limits runs (and advertises) limits.Default(), the
// defaults relayd.toml has (created_at_upper_limit was 900 in the config
// and none in the relay).
func TestRelayNIP11Limits(t *testing.T) {
	tests := []struct {
		name string
		opts limits.Limits
		want limits.Limits
	}{
		{"zero is the default", limits.Limits{}, limits.Default()},
		{"set", lim(func(l *limits.Limits) {
			l.MaxMessageBytes, l.MaxContentBytes, l.MaxSubscriptions, l.MaxFilters = 4000, 3000, 7, 3
			l.MaxLimit, l.DefaultLimit, l.MaxSubIDLength, l.MaxEventTags = 70, 20, 30, 40
			l.CreatedAtLowerLimit, l.CreatedAtUpperLimit, l.AuthRequired = 86400, 0, true
		}), limits.Limits{}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			want := tc.want
			if want == (limits.Limits{}) {
				want = tc.opts
			}
			tr := start(t, relay.Options{Limits: tc.opts})
			checkLimitation(t, fetchInfo(t, tr.url).Limitation, want)
		})
	}
}
