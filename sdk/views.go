package sdk

import (
	"errors"
	"strconv"
	"strings"

	"github.com/relayd/relayd/sdk/abi"
	"github.com/relayd/relayd/sdk/filter"
	"github.com/relayd/relayd/sdk/internal/imports"
)

// ErrExpired is the error of a Get method called on a view (Event,
// Session, Req) after the handler call that received it returned. Test
// for it with errors.Is.
var ErrExpired = errors.New("sdk: view used after its handler returned")

// expiredError is ErrExpired with the method that was called.
type expiredError struct{ op string }

func (e *expiredError) Error() string {
	return "sdk: " + e.op + " called after its handler returned: a view is valid only during the call; copy what you need"
}

func (e *expiredError) Is(target error) bool { return target == ErrExpired }

// callGen numbers handler calls: dispatch stamps each view it makes with
// it and moves it on when the handler returns, so a view kept past its
// call no longer matches. Without this a kept view would read the input of
// whatever call runs next, another event's content, without a sign.
var callGen uint32

// live reports ErrExpired for a view of an earlier call.
func (s Session) live(op string) error {
	if s.gen != callGen {
		return &expiredError{op}
	}
	return nil
}

// field reads an input field for a view.
func (s Session) field(op string, f abi.Field) ([]byte, error) {
	if err := s.live(op); err != nil {
		return nil, err
	}
	if errno := s.sel(); errno != abi.OK {
		return nil, &Error{Op: op, Code: errno}
	}
	b, errno := getField(f)
	if errno != abi.OK {
		return nil, &Error{Op: op, Code: errno}
	}
	return b, nil
}

func (s Session) str(op string, f abi.Field) (string, error) {
	b, err := s.field(op, f)
	return string(b), err
}

func (s Session) bytes(op string, f abi.Field) ([]byte, error) {
	b, err := s.field(op, f)
	if err != nil {
		return nil, err
	}
	return append([]byte(nil), b...), nil
}

// must is the rule of the accessors without an error: a view used after
// its call is a bug in the plugin, so it panics (the relay discards the
// instance and counts a plugin error, and sdktest fails the test); a host
// error gives the zero value, as before there were Get forms.
func must[T any](v T, err error) T {
	if e, ok := err.(*expiredError); ok {
		panic(e.Error())
	}
	return v
}

// GetAuthed is Authed with the host's error. It is "" without a host call
// when the session has not authenticated.
func (s Session) GetAuthed() (string, error) {
	if err := s.live("Session.GetAuthed"); err != nil || !s.IsAuthed() {
		return "", err
	}
	return s.str("Session.GetAuthed", abi.FieldAuthed)
}

// GetIP is IP with the host's error (ErrNotFound without a client, on an
// imported event).
func (s Session) GetIP() (string, error) { return s.str("Session.GetIP", abi.FieldIP) }

// GetConnectedAt is ConnectedAt with the host's error.
func (s Session) GetConnectedAt() (int64, error) {
	v, err := s.str("Session.GetConnectedAt", abi.FieldConnectedAt)
	if err != nil {
		return 0, err
	}
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil {
		return 0, &Error{Op: "Session.GetConnectedAt", Code: abi.ErrInternal}
	}
	return n, nil
}

// GetHeader is Header with the host's error: ErrNotFound for a header the
// request did not have or the relay does not pass on.
func (s Session) GetHeader(name string) (string, error) {
	if err := s.live("Session.GetHeader"); err != nil {
		return "", err
	}
	if errno := s.sel(); errno != abi.OK {
		return "", &Error{Op: "Session.GetHeader", Code: errno}
	}
	b, errno := fetch(func(buf []byte) int32 { return imports.GetHeader(name, buf) })
	if errno != abi.OK {
		return "", &Error{Op: "Session.GetHeader", Code: errno}
	}
	return string(b), nil
}

// GetID is ID with the host's error.
func (e Event) GetID() (string, error) { return e.session.str("Event.GetID", abi.FieldEventID) }

// GetPubkey is Pubkey with the host's error.
func (e Event) GetPubkey() (string, error) { return e.session.str("Event.GetPubkey", abi.FieldPubkey) }

// GetSig is Sig with the host's error.
func (e Event) GetSig() (string, error) { return e.session.str("Event.GetSig", abi.FieldSig) }

// GetContent is Content with the host's error.
func (e Event) GetContent() (string, error) {
	return e.session.str("Event.GetContent", abi.FieldContent)
}

// GetTag is Tag with the host's error (ErrNotFound for an index out of
// range).
func (e Event) GetTag(i int) ([]string, error) {
	if err := e.session.live("Event.GetTag"); err != nil {
		return nil, err
	}
	if i < 0 || i >= int(e.tagCount) {
		return nil, &Error{Op: "Event.GetTag", Code: abi.ErrNotFound}
	}
	b, errno := fetch(func(buf []byte) int32 { return imports.GetTag(uint32(i), buf) })
	if errno != abi.OK {
		return nil, &Error{Op: "Event.GetTag", Code: errno}
	}
	return strings.Split(string(b), "\x00"), nil
}

// GetTags is Tags with the host's error.
func (e Event) GetTags() ([][]string, error) {
	out := make([][]string, 0, e.tagCount)
	for i := range int(e.tagCount) {
		t, err := e.GetTag(i)
		if err != nil {
			return nil, err
		}
		out = append(out, t)
	}
	return out, nil
}

// GetTagValue is TagValue with the host's error.
func (e Event) GetTagValue(name string) (string, bool, error) {
	for i := range int(e.tagCount) {
		t, err := e.GetTag(i)
		if err != nil {
			return "", false, err
		}
		if len(t) >= 2 && t[0] == name {
			return t[1], true, nil
		}
	}
	return "", false, e.session.live("Event.GetTagValue")
}

// GetTagsJSON is TagsJSON with the host's error.
func (e Event) GetTagsJSON() ([]byte, error) {
	return e.session.bytes("Event.GetTagsJSON", abi.FieldTags)
}

// GetRaw is Raw with the host's error.
func (e Event) GetRaw() ([]byte, error) { return e.session.bytes("Event.GetRaw", abi.FieldRaw) }

// GetStrfryInput is StrfryInput with the host's error (ErrNotFound
// outside the event_pre and event hooks).
func (e Event) GetStrfryInput() ([]byte, error) {
	return e.session.bytes("Event.GetStrfryInput", abi.FieldStrfryInput)
}

// GetSubID is SubID with the host's error (ErrNotFound outside the
// deliver hook).
func (e Event) GetSubID() (string, error) { return e.session.str("Event.GetSubID", abi.FieldSubID) }

// GetSubID is SubID with the host's error.
func (r Req) GetSubID() (string, error) { return r.session.str("Req.GetSubID", abi.FieldSubID) }

// GetFiltersJSON is FiltersJSON with the host's error.
func (r Req) GetFiltersJSON() ([]byte, error) {
	return r.session.bytes("Req.GetFiltersJSON", abi.FieldFilters)
}

// Filters returns the filters decoded into their NIP-01 fields (ids,
// authors, kinds, #tags, since, until, limit, search; other keys kept
// raw), without encoding/json. To rewrite them, change the values and
// return RewriteFilters(filter.AppendNIP01(nil, fs)).
func (r Req) Filters() ([]filter.NIP01, error) {
	b, err := r.session.bytes("Req.Filters", abi.FieldFilters)
	if err != nil {
		return nil, err
	}
	return filter.ParseNIP01(b)
}
