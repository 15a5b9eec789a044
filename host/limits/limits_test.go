package limits_test

import (
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/relayd/relayd/host/limits"
)

func TestDefaultIsValid(t *testing.T) {
	if err := limits.Default().Validate(); err != nil {
		t.Fatal(err)
	}
}

func TestValidate(t *testing.T) {
	tests := []struct {
		name   string
		mutate func(l *limits.Limits)
		want   []string // substrings of the error; none: valid
	}{
		{"zero subscriptions", func(l *limits.Limits) { l.MaxSubscriptions = 0 }, []string{"max_subscriptions must be > 0"}},
		{"zero content", func(l *limits.Limits) { l.MaxContentBytes = 0 }, []string{"max_content_bytes"}},
		{"default above max", func(l *limits.Limits) { l.DefaultLimit = l.MaxLimit + 1 }, []string{"default_limit"}},
		{"queue smaller than a message", func(l *limits.Limits) { l.QueueBytes = l.MaxMessageBytes - 1 }, []string{"queue_bytes"}},
		{"negative created_at", func(l *limits.Limits) { l.CreatedAtLowerLimit = -1 }, []string{"created_at_lower_limit"}},
		{"zero created_at is no limit", func(l *limits.Limits) { l.CreatedAtUpperLimit = 0; l.CreatedAtLowerLimit = 0 }, nil},
		{"idle not above ping", func(l *limits.Limits) { l.IdleTimeout = l.PingInterval }, []string{"idle_timeout"}},
		{"zero write timeout", func(l *limits.Limits) { l.WriteTimeout = 0 }, []string{"write_timeout must be > 0"}},
		{"several at once", func(l *limits.Limits) { l.MaxFilters = 0; l.MaxLimit = -1 }, []string{"max_filters", "max_limit"}},
		{"zero value", func(l *limits.Limits) { *l = limits.Limits{} }, []string{"max_message_bytes", "idle_timeout"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			l := limits.Default()
			tc.mutate(&l)
			err := l.Validate()
			if len(tc.want) == 0 {
				if err != nil {
					t.Fatalf("got %v, want valid", err)
				}
				return
			}
			if err == nil {
				t.Fatalf("got nil, want an error with %q", tc.want)
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("got %q, want it to contain %q", err, w)
				}
			}
		})
	}
}

func TestLimitation(t *testing.T) {
	l := limits.Default()
	l.MaxMessageBytes, l.MaxContentBytes, l.CreatedAtUpperLimit, l.AuthRequired = 1000, 100, 0, true
	want := map[string]any{
		"max_message_length":     1000,
		"max_content_length":     100,
		"max_subscriptions":      50,
		"max_filters":            10,
		"max_limit":              5000,
		"default_limit":          500,
		"max_subid_length":       64,
		"max_event_tags":         2500,
		"created_at_lower_limit": int64(0),
		"created_at_upper_limit": int64(0),
		"auth_required":          true,
	}
	if got := l.Limitation(); !reflect.DeepEqual(got, want) {
		t.Fatalf("got %v, want %v", got, want)
	}
}

// TestTags: every field has a config key and says how a reload applies
// it, in the vocabulary host/config reads.
func TestTags(t *testing.T) {
	for _, f := range reflect.VisibleFields(reflect.TypeOf(limits.Limits{})) {
		if f.Tag.Get("toml") == "" {
			t.Errorf("%s has no toml key", f.Name)
		}
		switch r := f.Tag.Get("reload"); r {
		case "live", "new", "restart":
		default:
			t.Errorf("%s: reload tag %q is not live, new or restart", f.Name, r)
		}
		if f.Type == reflect.TypeOf(time.Duration(0)) && f.Tag.Get("nip11") != "" {
			t.Errorf("%s: NIP-11 has no duration keys", f.Name)
		}
	}
}
