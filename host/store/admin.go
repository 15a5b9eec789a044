package store

import "context"

// Admin is implemented by stores that keep the operator's decisions made
// through the management API (NIP-86, host/manage): banned event ids,
// refused by every save with ErrBanned whatever the event's source, and
// small host settings (the NIP-11 fields the operator changed). Every
// write is durable when it returns. Methods are safe for concurrent use.
type Admin interface {
	// BanEvent bans id with reason and deletes the stored event with that
	// id, in one commit; deleted reports whether there was one.
	BanEvent(ctx context.Context, id [32]byte, reason string) (deleted bool, err error)
	// AllowEvent lifts the ban of id and reports whether there was one.
	AllowEvent(ctx context.Context, id [32]byte) (found bool, err error)
	// BannedEvents lists the bans, by id ascending.
	BannedEvents(ctx context.Context) ([]Ban, error)
	// HostSetting returns the value of the host setting name, if set.
	HostSetting(name string) (value string, found bool, err error)
	// SetHostSetting sets the host setting name to value.
	SetHostSetting(ctx context.Context, name, value string) error
}

// Ban is one banned event id and the operator's reason.
type Ban struct {
	ID     [32]byte
	Reason string
}
