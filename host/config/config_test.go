package config_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/relayd/relayd/host/config"
)

func TestDefaultIsValid(t *testing.T) {
	if err := config.Default().Validate(); err != nil {
		t.Fatal(err)
	}
}

func TestLoad(t *testing.T) {
	tests := []struct {
		name    string
		body    string
		check   func(c config.Config) bool
		wantErr string
	}{
		{"empty file keeps defaults", "", func(c config.Config) bool { return c.MaxLimit == config.Default().MaxLimit }, ""},
		{"values and durations", "max_limit = 10\ndefault_limit = 5\nwrite_timeout = \"3s\"\nname = \"x\"\n",
			func(c config.Config) bool {
				return c.MaxLimit == 10 && c.WriteTimeout.Duration == 3*time.Second && c.Name == "x"
			}, ""},
		{"unknown key", "max_limits = 10\n", nil, "unknown key"},
		{"disk reserve", "disk_reserve_mb = 64\ndisk_check_interval = \"1s\"\n",
			func(c config.Config) bool {
				return c.DiskReserveMB == 64 && c.DiskCheckInterval.Duration == time.Second
			}, ""},
		// A one-start escape hatch must not sit in the file for good.
		{"rollback flag in the file", "accept_store_rollback = true\n", nil, "unknown key"},
		{"bad duration", "write_timeout = \"soon\"\n", nil, "duration"},
		{"bad toml", "max_limit = = 1\n", nil, "config"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p := filepath.Join(t.TempDir(), "c.toml")
			os.WriteFile(p, []byte(tc.body), 0o644)
			c, err := config.Load(p)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("got %v, want error with %q", err, tc.wantErr)
				}
				return
			}
			if err != nil || !tc.check(c) {
				t.Fatalf("got %+v, %v", c, err)
			}
		})
	}
	if _, err := config.Load(filepath.Join(t.TempDir(), "missing.toml")); err == nil {
		t.Fatal("missing file accepted")
	}
}

func TestValidate(t *testing.T) {
	tests := []struct {
		name    string
		mutate  func(c *config.Config)
		wantErr string
	}{
		{"zero subscriptions", func(c *config.Config) { c.MaxSubscriptions = 0 }, "max_subscriptions"},
		{"default above max", func(c *config.Config) { c.DefaultLimit = c.MaxLimit + 1 }, "default_limit"},
		{"queue smaller than a message", func(c *config.Config) { c.QueueBytes = c.MaxMessageBytes - 1 }, "queue_bytes"},
		{"negative created_at limit", func(c *config.Config) { c.CreatedAtLowerLimit = -1 }, "created_at"},
		{"idle not above ping", func(c *config.Config) { c.IdleTimeout = c.PingInterval }, "idle_timeout"},
		{"zero write timeout", func(c *config.Config) { c.WriteTimeout.Duration = 0 }, "write_timeout"},
		{"empty listen", func(c *config.Config) { c.Listen = "" }, "listen"},
		{"bad log level", func(c *config.Config) { c.LogLevel = "loud" }, "log_level"},
		{"negative disk reserve", func(c *config.Config) { c.DiskReserveMB = -1 }, "disk_reserve_mb"},
		{"zero disk check interval", func(c *config.Config) { c.DiskCheckInterval.Duration = 0 }, "disk_check_interval"},
		{"several at once", func(c *config.Config) { c.MaxFilters = 0; c.MaxLimit = 0 }, "max_filters"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c := config.Default()
			tc.mutate(&c)
			err := c.Validate()
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Fatalf("got %v, want error with %q", err, tc.wantErr)
			}
		})
	}
}
