package config_test

import (
	"errors"
	"net/netip"
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
				return c.MaxLimit == 10 && c.WriteTimeout == 3*time.Second && c.Name == "x"
			}, ""},
		{"negentropy on by default", "", func(c config.Config) bool {
			return c.Negentropy && c.MaxNegentropyEvents == 500000 && c.MaxNegentropySessions == 4
		}, ""},
		{"negentropy off and bounds", "negentropy = false\nmax_negentropy_events = 1000\nmax_negentropy_sessions = 1\n",
			func(c config.Config) bool {
				return !c.Negentropy && c.MaxNegentropyEvents == 1000 && c.MaxNegentropySessions == 1
			}, ""},
		{"metrics and status page", "metrics_listen = \"127.0.0.1:9101\"\nstatus_page = \"local\"\n",
			func(c config.Config) bool { return c.MetricsListen == "127.0.0.1:9101" && c.StatusPage == "local" }, ""},
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
		{"zero write timeout", func(c *config.Config) { c.WriteTimeout = 0 }, "write_timeout"},
		{"empty listen", func(c *config.Config) { c.Listen = "" }, "listen"},
		{"bad log level", func(c *config.Config) { c.LogLevel = "loud" }, "log_level"},
		{"zero negentropy events", func(c *config.Config) { c.MaxNegentropyEvents = 0 }, "max_negentropy_events"},
		{"zero negentropy sessions", func(c *config.Config) { c.MaxNegentropySessions = 0 }, "max_negentropy_sessions"},
		{"negative disk reserve", func(c *config.Config) { c.DiskReserveMB = -1 }, "disk_reserve_mb"},
		{"zero disk check interval", func(c *config.Config) { c.DiskCheckInterval.Duration = 0 }, "disk_check_interval"},
		{"bad status_page", func(c *config.Config) { c.StatusPage = "private" }, "status_page"},
		{"metrics_listen on the relay's address", func(c *config.Config) { c.MetricsListen = c.Listen }, "metrics_listen"},
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

func TestLoadTrustedProxies(t *testing.T) {
	tests := []struct {
		name    string
		body    string
		want    []string // the parsed prefixes
		wantErr []string // substrings of the error
	}{
		{"addresses and prefixes", `trusted_proxies = ["127.0.0.1", "10.0.0.0/8", "::1", "2001:db8::/32"]`,
			[]string{"127.0.0.1/32", "10.0.0.0/8", "::1/128", "2001:db8::/32"}, nil},
		{"host bits masked", `trusted_proxies = ["10.1.2.3/8"]`, []string{"10.0.0.0/8"}, nil},
		{"IPv4-mapped made IPv4", `trusted_proxies = ["::ffff:192.0.2.1", "::ffff:10.0.0.0/104"]`,
			[]string{"192.0.2.1/32", "10.0.0.0/8"}, nil},
		{"empty list", `trusted_proxies = []`, []string{}, nil},
		{"bad prefix length", `trusted_proxies = ["127.0.0.1", "10.0.0.0/33"]`, nil,
			[]string{"trusted_proxies", "entry 1", `"10.0.0.0/33"`}},
		{"host name", `trusted_proxies = ["proxy.internal"]`, nil, []string{"trusted_proxies", `"proxy.internal"`}},
		{"address with port", `trusted_proxies = ["127.0.0.1:8080"]`, nil, []string{`"127.0.0.1:8080"`}},
		{"zone", `trusted_proxies = ["fe80::1%eth0"]`, nil, []string{`"fe80::1%eth0"`, "zone"}},
		{"not a list", `trusted_proxies = "127.0.0.1"`, nil, []string{"trusted_proxies", "want a list"}},
		{"not strings", `trusted_proxies = [1]`, nil, []string{"trusted_proxies", "not a string"}},
		{"old trust_proxy = true", `trust_proxy = true`, nil, []string{"trust_proxy", "trusted_proxies"}},
		{"old trust_proxy = false", `trust_proxy = false`, nil, []string{"trust_proxy", "trusted_proxies"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p := filepath.Join(t.TempDir(), "c.toml")
			os.WriteFile(p, []byte(tc.body+"\n"), 0o644)
			c, err := config.Load(p)
			if tc.wantErr != nil {
				if err == nil {
					t.Fatalf("got %v, want an error", c.TrustedProxies)
				}
				for _, w := range tc.wantErr {
					if !strings.Contains(err.Error(), w) {
						t.Fatalf("got %q, want it to contain %q", err, w)
					}
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			got := make([]string, len(c.TrustedProxies))
			for i, p := range c.TrustedProxies {
				got[i] = p.String()
			}
			if strings.Join(got, " ") != strings.Join(tc.want, " ") {
				t.Fatalf("got %v, want %v", got, tc.want)
			}
			if err := c.Validate(); err != nil {
				t.Fatal(err)
			}
		})
	}
}

func TestLoadTrustProxyRefusal(t *testing.T) {
	p := filepath.Join(t.TempDir(), "c.toml")
	os.WriteFile(p, []byte("trust_proxy = true\n"), 0o644)
	if _, err := config.Load(p); !errors.Is(err, config.ErrTrustProxy) {
		t.Fatalf("got %v, want ErrTrustProxy", err)
	}
}

func TestValidateProxySettings(t *testing.T) {
	tests := []struct {
		name    string
		mutate  func(c *config.Config)
		wantErr string
	}{
		{"relay_url not websocket", func(c *config.Config) { c.RelayURL = "https://relay.example.com" }, "relay_url"},
		{"relay_url without host", func(c *config.Config) { c.RelayURL = "wss://" }, "relay_url"},
		{"zero prefix", func(c *config.Config) { c.TrustedProxies = config.Prefixes{netip.Prefix{}} }, "trusted_proxies entry 0"},
		{"good", func(c *config.Config) {
			c.RelayURL = "wss://relay.example.com"
			c.TrustedProxies = config.Prefixes{netip.MustParsePrefix("127.0.0.1/32")}
		}, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c := config.Default()
			tc.mutate(&c)
			err := c.Validate()
			if tc.wantErr == "" {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Fatalf("got %v, want error with %q", err, tc.wantErr)
			}
		})
	}
}

// TestREADMEConfigLoads: the config example in the README's "Running it"
// loads and validates.
func TestREADMEConfigLoads(t *testing.T) {
	b, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	_, block, ok := strings.Cut(string(b), "```toml\n")
	block, _, ok2 := strings.Cut(block, "```")
	if !ok || !ok2 {
		t.Fatal("README has no toml block")
	}
	p := filepath.Join(t.TempDir(), "c.toml")
	os.WriteFile(p, []byte(block), 0o644)
	c, err := config.Load(p)
	if err == nil {
		err = c.Validate()
	}
	if err != nil || c.RelayURL == "" || len(c.TrustedProxies) == 0 {
		t.Fatalf("got %+v, %v", c, err)
	}
}

func TestAdminPubkeys(t *testing.T) {
	const hex = "3bf0c63fcb93463407af97a5e5ee64fa883d107ef9e558472c4eb9aaaefa459d"
	const npub = "npub180cvv07tjdrrgpa0j7j7tmnyl2yr6yr7l8j4s3evf6u64th6gkwsyjh6w6"
	tests := []struct {
		name    string
		keys    []string
		want    []string
		wantErr string
	}{
		{"none", nil, []string{}, ""},
		{"hex", []string{hex}, []string{hex}, ""},
		{"upper-case hex", []string{strings.ToUpper(hex)}, []string{hex}, ""},
		{"npub", []string{npub}, []string{hex}, ""},
		{"short hex", []string{hex[:63]}, nil, "admin_pubkeys entry 0"},
		{"bad npub checksum", []string{hex, npub[:len(npub)-1] + "q"}, nil, "admin_pubkeys entry 1"},
		{"nsec", []string{"nsec1vl029mgpspedva04g90vltkh6fvh240zqtv9k0t9af8935ke9laqsnlfe5"}, nil, "admin_pubkeys entry 0"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c := config.Default()
			c.AdminPubkeys = tc.keys
			err := c.Validate()
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("got %v, want an error with %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got := c.AdminKeys(); strings.Join(got, " ") != strings.Join(tc.want, " ") {
				t.Fatalf("got %v, want %v", got, tc.want)
			}
		})
	}
}
