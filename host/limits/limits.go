// Package limits defines the relay's limits and their defaults once: the
// TOML keys of relayd.toml (host/config embeds Limits), the options the
// relay, its websocket server and its envelope parser run with (host/relay
// derives those from a Limits), and the NIP-11 "limitation" keys that
// advertise them (Limitation). Nothing else may spell a limit's default.
//
// Each field carries its facts in struct tags: `toml` (the config key),
// `nip11` (the NIP-11 limitation key, if advertised) and `reload` (how a
// config reload applies it: "live" for the next message, "new" for
// connections opened after the reload, "restart" only after a restart).
//
// The package imports only the standard library, so that host/wsconn and
// host/relay may import it and host/config may embed it without pulling
// either in (internal/presubmit keeps the arrows pointing down).
package limits

import (
	"errors"
	"fmt"
	"reflect"
	"time"
)

// Limits are the relay's limits. The zero value of a field is invalid
// except where noted (created_at_*: 0 is no limit; auth_required: false).
type Limits struct {
	// MaxMessageBytes bounds one client message, fragments included. The
	// store is opened with it as its largest event, so it needs a restart.
	MaxMessageBytes int `toml:"max_message_bytes" nip11:"max_message_length" reload:"restart"`
	// MaxContentBytes bounds an event's content.
	MaxContentBytes int `toml:"max_content_bytes" nip11:"max_content_length" reload:"live"`
	// MaxSubscriptions bounds the open subscriptions of one connection
	// (checked at each new REQ).
	MaxSubscriptions int `toml:"max_subscriptions" nip11:"max_subscriptions" reload:"live"`
	// MaxFilters bounds the filters of one REQ or COUNT.
	MaxFilters int `toml:"max_filters" nip11:"max_filters" reload:"live"`
	// MaxFilterValues bounds one list of a filter (ids, authors, kinds, a
	// #tag).
	MaxFilterValues int `toml:"max_filter_values" reload:"live"`
	// MaxLimit caps a filter's limit; DefaultLimit is the limit of a
	// filter without one.
	MaxLimit     int `toml:"max_limit" nip11:"max_limit" reload:"live"`
	DefaultLimit int `toml:"default_limit" nip11:"default_limit" reload:"live"`
	// MaxSubIDLength bounds a subscription id, in characters.
	MaxSubIDLength int `toml:"max_subid_length" nip11:"max_subid_length" reload:"live"`
	// MaxEventTags bounds an event's tags.
	MaxEventTags int `toml:"max_event_tags" nip11:"max_event_tags" reload:"live"`
	// CreatedAtLowerLimit and CreatedAtUpperLimit are how many seconds an
	// event's created_at may be in the past and in the future; 0 is no
	// limit.
	CreatedAtLowerLimit int64 `toml:"created_at_lower_limit" nip11:"created_at_lower_limit" reload:"live"`
	CreatedAtUpperLimit int64 `toml:"created_at_upper_limit" nip11:"created_at_upper_limit" reload:"live"`
	// AuthRequired requires NIP-42 AUTH before EVENT, REQ and COUNT.
	AuthRequired bool `toml:"auth_required" nip11:"auth_required" reload:"live"`
	// MaxConnections bounds the open connections (checked at each new one).
	MaxConnections int `toml:"max_connections" reload:"live"`
	// MaxNegentropyEvents bounds the events of one NIP-77 session (40
	// bytes each while it is open); MaxNegentropySessions the open
	// sessions of one connection.
	MaxNegentropyEvents   int `toml:"max_negentropy_events" reload:"live"`
	MaxNegentropySessions int `toml:"max_negentropy_sessions" reload:"live"`
	// QueueBytes bounds the bytes queued to one connection; a client over
	// it is disconnected. It must hold one MaxMessageBytes.
	QueueBytes int `toml:"queue_bytes" reload:"new"`
	// WriteTimeout bounds one socket write.
	WriteTimeout time.Duration `toml:"write_timeout" reload:"new"`
	// PingInterval is how long a connection may be silent before it is
	// pinged; IdleTimeout closes one from which nothing, not even a pong,
	// arrived for that long (longer than PingInterval).
	PingInterval time.Duration `toml:"ping_interval" reload:"new"`
	IdleTimeout  time.Duration `toml:"idle_timeout" reload:"new"`
}

// Default returns the limits relayd runs with when none are set.
func Default() Limits {
	return Limits{
		MaxMessageBytes:       512 << 10,
		MaxContentBytes:       256 << 10,
		MaxSubscriptions:      50,
		MaxFilters:            10,
		MaxFilterValues:       1000,
		MaxLimit:              5000,
		DefaultLimit:          500,
		MaxSubIDLength:        64,
		MaxEventTags:          2500,
		CreatedAtLowerLimit:   0,
		CreatedAtUpperLimit:   15 * 60,
		MaxConnections:        50000,
		MaxNegentropyEvents:   500000,
		MaxNegentropySessions: 4,
		QueueBytes:            4 << 20,
		WriteTimeout:          10 * time.Second,
		PingInterval:          30 * time.Second,
		IdleTimeout:           90 * time.Second,
	}
}

// Validate checks that every limit is usable; each error names its key.
func (l Limits) Validate() error {
	var errs []error
	v := reflect.ValueOf(l)
	for _, f := range reflect.VisibleFields(v.Type()) {
		key := f.Tag.Get("toml")
		switch x := v.FieldByIndex(f.Index).Interface().(type) {
		case int:
			if x <= 0 {
				errs = append(errs, fmt.Errorf("%s must be > 0, got %d", key, x))
			}
		case int64:
			if x < 0 {
				errs = append(errs, fmt.Errorf("%s must be >= 0 (0 is no limit), got %d", key, x))
			}
		case time.Duration:
			if x <= 0 {
				errs = append(errs, fmt.Errorf("%s must be > 0, got %v", key, x))
			}
		}
	}
	if l.DefaultLimit > l.MaxLimit {
		errs = append(errs, fmt.Errorf("default_limit %d is above max_limit %d", l.DefaultLimit, l.MaxLimit))
	}
	if l.QueueBytes < l.MaxMessageBytes {
		errs = append(errs, fmt.Errorf("queue_bytes %d must hold at least one max_message_bytes (%d)", l.QueueBytes, l.MaxMessageBytes))
	}
	if l.IdleTimeout <= l.PingInterval {
		errs = append(errs, fmt.Errorf("idle_timeout %v must be longer than ping_interval %v", l.IdleTimeout, l.PingInterval))
	}
	return errors.Join(errs...)
}

// Limitation returns the NIP-11 "limitation" keys the limits advertise,
// with their values (int, int64 or bool, as the fields are).
func (l Limits) Limitation() map[string]any {
	out := map[string]any{}
	v := reflect.ValueOf(l)
	for _, f := range reflect.VisibleFields(v.Type()) {
		if k := f.Tag.Get("nip11"); k != "" {
			out[k] = v.FieldByIndex(f.Index).Interface()
		}
	}
	return out
}
