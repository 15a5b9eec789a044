package abi

// Hook names a point in the relay's message paths. The numbers are the same
// as host/policy.Hook.
type Hook uint32

// The hooks.
const (
	HookConnect  Hook = 1
	HookEventPre Hook = 2
	HookEvent    Hook = 3
	HookReq      Hook = 4
	HookCount    Hook = 5
	HookAuth     Hook = 6
	HookDeliver  Hook = 7
	HookClose    Hook = 8
	// HookManage is a NIP-86 management method call (relayd_on_manage),
	// made by the relay's management API, never by a client message.
	HookManage Hook = 9
)

// MaxHook is the highest Hook number of a hook with the hook signature
// (the policy hooks, run by the chain, and HookManage).
const MaxHook = HookManage

// HookTick is not a policy hook: its bit in relayd_init's mask says the
// plugin wants its relayd_on_tick export called (FeatureTick). A guest
// without relayd_init gets ticks if it exports relayd_on_tick. Older hosts
// ignore the bit.
const HookTick Hook = 10

// HookDeliverBatch is not a hook with the hook signature's meaning: its
// bit in relayd_init's mask asks the host to call ExportOnDeliverBatch
// once per live event for many receiving sessions at once, instead of
// ExportOnDeliver once per session (FeatureDeliverBatch). It is also the
// hook code of that call for the host's field and output rules. A guest
// without relayd_init gets batches if it exports relayd_on_deliver_batch.
// Older hosts ignore the bit.
const HookDeliverBatch Hook = 11

// HookMask is a set of hooks, bit (1 << Hook) per hook, as returned by
// ExportInit. Bits outside HookMaskAll are reserved and must be zero.
type HookMask uint32

// HookMaskAll has the bit of every defined hook set.
const HookMaskAll HookMask = 0x3FE

// Has reports whether h is in the mask.
func (m HookMask) Has(h Hook) bool { return m&(1<<h) != 0 }

// With returns m with h added.
func (m HookMask) With(h Hook) HookMask { return m | 1<<h }

// Action is the verdict action in the low byte of a hook's result. The
// numbers are the same as host/policy.Action.
type Action uint32

// The actions. The zero value accepts.
const (
	ActionAccept       Action = 0
	ActionReject       Action = 1
	ActionShadowReject Action = 2
	ActionRewrite      Action = 3
	ActionRateLimited  Action = 4
)

// MaxAction is the highest Action number.
const MaxAction = ActionRateLimited

// Prefix is the NIP-01 machine-readable prefix in the second byte of a
// hook's result. The numbers are the same as host/policy.Prefix.
type Prefix uint32

// The prefixes. PrefixDefault means "the default for the action".
const (
	PrefixDefault      Prefix = 0
	PrefixBlocked      Prefix = 1
	PrefixRateLimited  Prefix = 2
	PrefixInvalid      Prefix = 3
	PrefixRestricted   Prefix = 4
	PrefixAuthRequired Prefix = 5
	PrefixPow          Prefix = 6
	PrefixDuplicate    Prefix = 7
	PrefixError        Prefix = 8
	PrefixMute         Prefix = 9
)

// MaxPrefix is the highest Prefix number.
const MaxPrefix = PrefixMute

// PackVerdict packs an action and a prefix into a hook result.
func PackVerdict(a Action, p Prefix) uint32 { return uint32(a&0xff) | uint32(p&0xff)<<8 }

// UnpackVerdict splits a hook result into its action and prefix. Bits above
// the second byte are reserved and ignored.
func UnpackVerdict(v uint32) (Action, Prefix) { return Action(v & 0xff), Prefix(v >> 8 & 0xff) }

// Source says where an event came from. It is the low byte of the flags
// parameter. The numbers are the same as host/policy.Source.
type Source uint32

// The sources.
const (
	SourceIP4    Source = 0
	SourceIP6    Source = 1
	SourceImport Source = 2
	SourceStream Source = 3
	SourceSync   Source = 4
	SourceStored Source = 5
)

// Bits of the flags parameter of every hook export, above the Source byte.
const (
	// FlagSourceMask selects the Source in the flags parameter.
	FlagSourceMask uint32 = 0xff
	// FlagAuthed is set when the session has authenticated (NIP-42).
	FlagAuthed uint32 = 1 << 8
	// FlagSession is set when the call belongs to a client session (not an
	// import or a sync).
	FlagSession uint32 = 1 << 9
)

// Field names a lazily fetched input for the get host function.
type Field uint32

// The fields. A field not available in the current hook yields ErrNotFound.
const (
	FieldEventID      Field = 1  // event id, 64 lowercase hex chars
	FieldPubkey       Field = 2  // event pubkey, 64 lowercase hex chars
	FieldContent      Field = 3  // event content, UTF-8
	FieldTags         Field = 4  // event tags as a JSON array of arrays
	FieldRaw          Field = 5  // the whole event object as JSON
	FieldSig          Field = 6  // event signature, 128 hex chars
	FieldStrfryInput  Field = 7  // strfry plugin input line (JSON object)
	FieldFilters      Field = 8  // REQ/COUNT filters as a JSON array
	FieldSubID        Field = 9  // subscription id of a REQ/COUNT/delivery
	FieldIP           Field = 10 // session IP address, textual
	FieldAuthed       Field = 11 // authenticated pubkey (hex) of the session
	FieldConfig       Field = 12 // the plugin's [config] table as JSON
	FieldPluginName   Field = 13 // the plugin's name
	FieldConnectedAt  Field = 14 // session connect time, unix seconds, decimal
	FieldRelayVersion Field = 15 // relay version string
	FieldMethod       Field = 16 // management method name (manage)
	FieldParams       Field = 17 // management method params, a JSON array (manage)
	FieldSessions     Field = 18 // the receiving sessions of a deliver batch, SessionRecordLen bytes each
)

// MaxField is the highest Field number.
const MaxField = FieldSessions

// Output names what a set_output call sets. Each is copied by the host and
// kept until the end of the current export call.
type Output uint32

// The outputs.
const (
	OutputMessage    Output = 1 // reason text for Reject/RateLimited, or init error
	OutputFilters    Output = 2 // rewritten filters, JSON array (req, count)
	OutputPayload    Output = 3 // rewritten event JSON (deliver)
	OutputLimitation Output = 4 // NIP-11 limitation JSON object (relayd_limitation)
	OutputMethods    Output = 5 // management methods served, JSON array of names (relayd_init)
	OutputResult     Output = 6 // a management method's result, JSON (manage)
	OutputVerdicts   Output = 7 // one little-endian u32 verdict per session (deliver batch)
)

// MaxOutput is the highest Output number.
const MaxOutput = OutputVerdicts

// Errno is a negative status returned by host functions. Zero (OK) or a
// non-negative length means success.
type Errno int32

// The error codes.
const (
	OK             Errno = 0
	ErrNotFound    Errno = -1  // no such field, header, tag or key
	ErrMemory      Errno = -2  // a pointer/length pair is outside guest memory
	ErrTooLarge    Errno = -3  // a key, value or output is over its limit
	ErrInvalid     Errno = -4  // an argument is invalid (unknown code, bad JSON)
	ErrUnavailable Errno = -5  // not available here (no store, wrong hook)
	ErrTimeout     Errno = -6  // the host operation ran out of time
	ErrMismatch    Errno = -7  // kv_cas found a different value
	ErrInternal    Errno = -8  // the host failed
	ErrFull        Errno = -9  // the plugin's durable state is at its key or byte limit
	ErrReadOnly    Errno = -10 // the store takes no writes now (disk below its reserve, damaged, closing)
)

// LogLevel is the level of a log line. The host maps it to slog levels.
type LogLevel uint32

// The log levels.
const (
	LogDebug LogLevel = 0
	LogInfo  LogLevel = 1
	LogWarn  LogLevel = 2
	LogError LogLevel = 3
)

// Limits enforced by the host. Larger inputs get ErrTooLarge.
const (
	MaxMessageLen    = 512     // OutputMessage
	MaxFiltersLen    = 1 << 16 // OutputFilters
	MaxPayloadLen    = 1 << 20 // OutputPayload
	MaxLimitationLen = 4096    // OutputLimitation
	MaxKeyLen        = 256     // state keys
	MaxValueLen      = 1 << 16 // kv values
	MaxLogLen        = 4096    // longer log lines are truncated
	MaxHeaderNameLen = 64      // get_header names
	MaxFileNameLen   = 255     // get_file names
	// MaxFileLen is the size of the largest file get_file returns: the
	// host refuses to load a plugin whose listed file is larger.
	MaxFileLen = 8 << 20
	// MaxListEntries bounds the entries one db_list call returns.
	MaxListEntries = 1024
	// MaxMethodsLen bounds OutputMethods.
	MaxMethodsLen = 4096
	// MaxMethodLen bounds a management method name.
	MaxMethodLen = 64
	// MaxResultLen bounds OutputResult.
	MaxResultLen = 4 << 20
	// MaxDeliverBatch is the most sessions one relayd_on_deliver_batch
	// call covers; OutputVerdicts is at most 4 bytes per session.
	MaxDeliverBatch = 64
	// SessionRecordLen is the size of one FieldSessions record: the
	// session id (u64), the session's flags as in the hook's flags
	// parameter (u32) and 4 reserved zero bytes, little-endian.
	SessionRecordLen = 16
)

// Durable state (db_*): flags, the layout of db_list and db_usage output,
// and the defaults of the NAME.toml limits db_max_keys and db_max_bytes.
const (
	// DBPutIfAbsent makes db_put store only if the key is absent; else it
	// returns ErrMismatch and writes nothing.
	DBPutIfAbsent uint32 = 1
	// DBListValues makes db_list return values as well as keys.
	DBListValues uint32 = 1
	// DBEntryHeaderLen is the size of the header of a db_list entry: the
	// key length and the value length, two little-endian u32.
	DBEntryHeaderLen = 8
	// DBUsageLen is the size of db_usage's result: keys, bytes, max keys
	// and max bytes, four little-endian i64.
	DBUsageLen = 32
	// DBDefaultMaxKeys is the default of db_max_keys, the keys a plugin may
	// keep.
	DBDefaultMaxKeys = 100000
	// DBDefaultMaxBytes is the default of db_max_bytes, the bytes (keys
	// plus values) a plugin may keep: 64 MiB.
	DBDefaultMaxBytes = 64 << 20
)

// store_query (FeatureQuery): the layout of its result and the defaults of
// the NAME.toml limits query_max_events, query_max_bytes and
// query_timeout_ms; the defaults of the tick settings tick_ms and
// tick_timeout_ms (FeatureTick).
const (
	// QueryHeaderLen is the size of the header of store_query's result:
	// the number of events and the flags, two little-endian u32.
	QueryHeaderLen = 8
	// QueryEntryHeaderLen is the size of the header of each event in
	// store_query's result: the length of its JSON, a little-endian u32.
	QueryEntryHeaderLen = 4
	// QueryTruncated is set in the result's flags when a host bound
	// (query_max_events or query_max_bytes) cut the result short: more
	// events match. A filter's own limit is not a cut.
	QueryTruncated uint32 = 1
	// QueryDefaultMaxEvents is the default of query_max_events, the
	// events one store_query returns at most.
	QueryDefaultMaxEvents = 1000
	// QueryDefaultMaxBytes is the default of query_max_bytes, the size of
	// one store_query result at most (header included): 4 MiB.
	QueryDefaultMaxBytes = 4 << 20
	// QueryDefaultTimeoutMS is the default of query_timeout_ms; in a hook
	// the hook's own deadline is shorter.
	QueryDefaultTimeoutMS = 1000
	// TickDefaultMS is the default of tick_ms, the time from the end of
	// one tick to the start of the next: one minute.
	TickDefaultMS = 60000
	// TickDefaultTimeoutMS is the default of tick_timeout_ms, the deadline
	// of one relayd_on_tick call: 30 s.
	TickDefaultTimeoutMS = 30000
)
