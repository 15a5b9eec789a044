package sdk

import (
	"github.com/relayd/relayd/sdk/abi"
)

// Source says where an event came from, as in strfry's plugin input.
type Source = abi.Source

// The sources.
const (
	SourceIP4    = abi.SourceIP4
	SourceIP6    = abi.SourceIP6
	SourceImport = abi.SourceImport
	SourceStream = abi.SourceStream
	SourceSync   = abi.SourceSync
	SourceStored = abi.SourceStored
)

// Session is a client connection, as a handler sees it. It is a view of
// the call: ID, IsAuthed and Source are values copied into it, but the
// other methods read from the host and are valid only during the handler
// call that received the Session. Called after the handler returned they
// panic, and their Get forms return ErrExpired; copy what you need to keep
// (see the package doc, "Views").
type Session struct {
	id    uint64
	flags uint32
	gen   uint32 // the call that made the view (views.go)
	batch int32  // index + 1 in a deliver batch (batch.go); 0: a single call
}

// ID is the relay's id for the session, unique for the life of the relay
// process; 0 when the call has no session (an import).
func (s Session) ID() uint64 { return s.id }

// IsAuthed reports whether the session has authenticated (NIP-42). It costs
// no host call.
func (s Session) IsAuthed() bool { return s.flags&abi.FlagAuthed != 0 }

// Authed returns the pubkey (hex) the session authenticated as, or "".
func (s Session) Authed() string {
	return must(s.GetAuthed())
}

// IP returns the client's address ("203.0.113.7", "2001:db8::1"), or "".
func (s Session) IP() string { return must(s.GetIP()) }

// Source returns SourceIP4 or SourceIP6 for a client session.
func (s Session) Source() Source { return Source(s.flags & abi.FlagSourceMask) }

// ConnectedAt returns the unix time the session connected, or 0.
func (s Session) ConnectedAt() int64 { return must(s.GetConnectedAt()) }

// Header returns one of the request headers the relay passes on
// ("origin", "user-agent", "x-forwarded-for"), or "".
func (s Session) Header(name string) string { return must(s.GetHeader(name)) }

// Event is the event a handler decides on, a view of the call. Kind,
// CreatedAt, ContentLen, TagCount, ReceivedAt and Source are values that
// arrive with the call: they cost nothing and stay readable. The other
// accessors fetch from the host and are valid only during the handler
// call: called after it returned they panic, and their Get forms return
// ErrExpired. Copy what you need to keep.
type Event struct {
	session    Session
	kind       uint32
	createdAt  int64
	receivedAt int64
	contentLen uint32
	tagCount   uint32
}

// Kind returns the event kind.
func (e Event) Kind() int { return int(e.kind) }

// CreatedAt returns the event's created_at (unix seconds).
func (e Event) CreatedAt() int64 { return e.createdAt }

// ReceivedAt returns when the relay read the event (unix seconds), or 0
// outside event hooks.
func (e Event) ReceivedAt() int64 { return e.receivedAt }

// ContentLen returns the content's length in bytes.
func (e Event) ContentLen() int { return int(e.contentLen) }

// TagCount returns the number of tags.
func (e Event) TagCount() int { return int(e.tagCount) }

// Source returns where the event came from.
func (e Event) Source() Source { return e.session.Source() }

// Session returns the session the event came from or goes to.
func (e Event) Session() Session { return e.session }

// ID returns the event id (hex).
func (e Event) ID() string { return must(e.GetID()) }

// Pubkey returns the author's pubkey (hex).
func (e Event) Pubkey() string { return must(e.GetPubkey()) }

// Sig returns the signature (hex).
func (e Event) Sig() string { return must(e.GetSig()) }

// Content returns the content.
func (e Event) Content() string { return must(e.GetContent()) }

// Tag returns tag i (0 <= i < TagCount), e.g. ["e", "<id>", "<relay>"].
func (e Event) Tag(i int) []string { return must(e.GetTag(i)) }

// Tags returns every tag.
func (e Event) Tags() [][]string { return must(e.GetTags()) }

// TagValue returns the second element of the first tag named name ("d",
// "p", "expiration"...).
func (e Event) TagValue(name string) (string, bool) {
	v, ok, err := e.GetTagValue(name)
	must(v, err)
	return v, ok
}

// TagsJSON returns the tags as a JSON array of arrays.
func (e Event) TagsJSON() []byte { return must(e.GetTagsJSON()) }

// Raw returns the whole event as JSON.
func (e Event) Raw() []byte { return must(e.GetRaw()) }

// StrfryInput returns the event in strfry's plugin input format:
// {"type":"new","event":{...},"receivedAt":...,"sourceType":"IP4",
// "sourceInfo":"1.2.3.4","authed":"<hex>"}. Handy to port strfry plugins.
func (e Event) StrfryInput() []byte { return must(e.GetStrfryInput()) }

// SubID returns the subscription id of a delivery, or "".
func (e Event) SubID() string { return must(e.GetSubID()) }

// Req is a REQ or COUNT a handler decides on, a view of the call:
// FilterCount is a value that arrives with the call; the other accessors
// fetch from the host and are valid only during the handler call, like
// Event's.
type Req struct {
	session Session
	size    uint32
	count   uint32
}

// Session returns the session that sent the request.
func (r Req) Session() Session { return r.session }

// FilterCount returns the number of filters.
func (r Req) FilterCount() int { return int(r.count) }

// SubID returns the subscription id.
func (r Req) SubID() string { return must(r.GetSubID()) }

// FiltersJSON returns the filters as a JSON array of filter objects. For
// them decoded into their NIP-01 fields, see Filters.
func (r Req) FiltersJSON() []byte { return must(r.GetFiltersJSON()) }
