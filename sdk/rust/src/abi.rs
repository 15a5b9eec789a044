//! The numbers of the relayd plugin ABI, version 1: every constant of
//! `sdk/abi/ABI.md` under the same name in SCREAMING_SNAKE_CASE
//! (`HookEventPre` is `HOOK_EVENT_PRE`). A Go test (`sdk/rust/rusttest`)
//! checks that this file and ABI.md agree, both ways.

/// Name of a guest export (required: yes).
pub const EXPORT_MEMORY: &str = "memory";
/// Name of a guest export (required: yes).
pub const EXPORT_ABI_VERSION: &str = "relayd_abi_version";
/// Name of a guest export (required: no).
pub const EXPORT_INITIALIZE: &str = "_initialize";
/// Name of a guest export (required: no).
pub const EXPORT_INIT: &str = "relayd_init";
/// Name of a guest export (required: no).
pub const EXPORT_LIMITATION: &str = "relayd_limitation";
/// Name of a guest export (required: no).
pub const EXPORT_ON_CONNECT: &str = "relayd_on_connect";
/// Name of a guest export (required: no).
pub const EXPORT_ON_EVENT_PRE: &str = "relayd_on_event_pre";
/// Name of a guest export (required: no).
pub const EXPORT_ON_EVENT: &str = "relayd_on_event";
/// Name of a guest export (required: no).
pub const EXPORT_ON_REQ: &str = "relayd_on_req";
/// Name of a guest export (required: no).
pub const EXPORT_ON_COUNT: &str = "relayd_on_count";
/// Name of a guest export (required: no).
pub const EXPORT_ON_AUTH: &str = "relayd_on_auth";
/// Name of a guest export (required: no).
pub const EXPORT_ON_DELIVER: &str = "relayd_on_deliver";
/// Name of a guest export (required: no).
pub const EXPORT_ON_CLOSE: &str = "relayd_on_close";
/// Name of a guest export (required: no): runs a NIP-86 management method the plugin declared.
pub const EXPORT_ON_MANAGE: &str = "relayd_on_manage";
/// Name of a guest export (required: no): `() -> i32`, the plugin's periodic work.
pub const EXPORT_ON_TICK: &str = "relayd_on_tick";
/// Name of a guest export (required: no): one live event for up to `MAX_DELIVER_BATCH` sessions.
pub const EXPORT_ON_DELIVER_BATCH: &str = "relayd_on_deliver_batch";
/// Name of a guest export (required: must be absent).
pub const EXPORT_PREEMPT: &str = "relayd_preempt";
/// the value `relayd_abi_version` must return
pub const VERSION: i32 = 1;
/// number of parameters of every hook export
pub const HOOK_PARAMS: i32 = 7;
/// the low byte is the `Source`
pub const FLAG_SOURCE_MASK: i32 = 0xff;
/// the session has authenticated (NIP-42)
pub const FLAG_AUTHED: i32 = 0x100;
/// the call belongs to a client session
pub const FLAG_SESSION: i32 = 0x200;
/// new connection, before the websocket upgrade
pub const HOOK_CONNECT: i32 = 1;
/// incoming EVENT before its signature check
pub const HOOK_EVENT_PRE: i32 = 2;
/// incoming EVENT after its id and signature check
pub const HOOK_EVENT: i32 = 3;
/// REQ, and the filter of a NIP-77 NEG-OPEN: reject or rewrite the filters
pub const HOOK_REQ: i32 = 4;
/// COUNT (NIP-45): reject or rewrite the filters
pub const HOOK_COUNT: i32 = 5;
/// AUTH (NIP-42) that passed the relay's checks
pub const HOOK_AUTH: i32 = 6;
/// one live event about to be sent to one session: drop or rewrite
pub const HOOK_DELIVER: i32 = 7;
/// session closed (no verdict)
pub const HOOK_CLOSE: i32 = 8;
/// a NIP-86 management method the plugin declared (`relayd_on_manage`)
pub const HOOK_MANAGE: i32 = 9;
/// highest hook number with the hook signature
pub const MAX_HOOK: i32 = 9;
/// every hook
pub const HOOK_MASK_ALL: i32 = 0x3fe;
/// not a hook with the hook signature: its bit in `relayd_init`'s mask asks for `relayd_on_tick` calls
pub const HOOK_TICK: i32 = 10;
/// its bit in `relayd_init`'s mask asks for `relayd_on_deliver_batch` calls; also that call's hook code
pub const HOOK_DELIVER_BATCH: i32 = 11;
/// let the message through to the next policy
pub const ACTION_ACCEPT: i32 = 0;
/// refuse: OK false, CLOSED, refused upgrade or dropped delivery
pub const ACTION_REJECT: i32 = 1;
/// EVENT: answer OK true but neither store nor broadcast; elsewhere a silent reject
pub const ACTION_SHADOW_REJECT: i32 = 2;
/// req/count: use `OutputFilters`; deliver: send `OutputPayload`; elsewhere accept
pub const ACTION_REWRITE: i32 = 3;
/// refuse with the `rate-limited:` prefix
pub const ACTION_RATE_LIMITED: i32 = 4;
/// highest action number
pub const MAX_ACTION: i32 = 4;
/// `blocked:` for a reject, `rate-limited:` for rate limiting
pub const PREFIX_DEFAULT: i32 = 0;
/// `blocked:`
pub const PREFIX_BLOCKED: i32 = 1;
/// `rate-limited:`
pub const PREFIX_RATE_LIMITED: i32 = 2;
/// `invalid:`
pub const PREFIX_INVALID: i32 = 3;
/// `restricted:`
pub const PREFIX_RESTRICTED: i32 = 4;
/// `auth-required:`
pub const PREFIX_AUTH_REQUIRED: i32 = 5;
/// `pow:`
pub const PREFIX_POW: i32 = 6;
/// `duplicate:`
pub const PREFIX_DUPLICATE: i32 = 7;
/// `error:`
pub const PREFIX_ERROR: i32 = 8;
/// `mute:`
pub const PREFIX_MUTE: i32 = 9;
/// highest prefix number
pub const MAX_PREFIX: i32 = 9;
/// a client on IPv4
pub const SOURCE_IP4: i32 = 0;
/// a client on IPv6
pub const SOURCE_IP6: i32 = 1;
/// an import
pub const SOURCE_IMPORT: i32 = 2;
/// a stream from another relay
pub const SOURCE_STREAM: i32 = 3;
/// a sync
pub const SOURCE_SYNC: i32 = 4;
/// already stored
pub const SOURCE_STORED: i32 = 5;
/// event id, 64 hex characters
pub const FIELD_EVENT_ID: i32 = 1;
/// event pubkey, 64 hex characters
pub const FIELD_PUBKEY: i32 = 2;
/// event content
pub const FIELD_CONTENT: i32 = 3;
/// event tags as a JSON array of arrays of strings
pub const FIELD_TAGS: i32 = 4;
/// the event object as JSON, as stored
pub const FIELD_RAW: i32 = 5;
/// event signature, 128 hex characters
pub const FIELD_SIG: i32 = 6;
/// `{"type":"new","event":{…},"receivedAt":…,"sourceType":"IP4","sourceInfo":"1.2.3.4","authed":"<hex>"}` (event hooks)
pub const FIELD_STRFRY_INPUT: i32 = 7;
/// the REQ/COUNT filters as a JSON array of objects
pub const FIELD_FILTERS: i32 = 8;
/// subscription id (req, count, deliver)
pub const FIELD_SUB_ID: i32 = 9;
/// the session's IP address, textual
pub const FIELD_IP: i32 = 10;
/// the session's authenticated pubkey (hex); `ErrNotFound` before AUTH
pub const FIELD_AUTHED: i32 = 11;
/// the plugin's `[config]` table as a JSON object (`{}` if none)
pub const FIELD_CONFIG: i32 = 12;
/// the plugin's name (the file name without `.wasm`)
pub const FIELD_PLUGIN_NAME: i32 = 13;
/// the session's connect time, unix seconds, as decimal text
pub const FIELD_CONNECTED_AT: i32 = 14;
/// the relay's version string
pub const FIELD_RELAY_VERSION: i32 = 15;
/// the management method called (manage)
pub const FIELD_METHOD: i32 = 16;
/// the management method's params, a JSON array (manage)
pub const FIELD_PARAMS: i32 = 17;
/// the receiving sessions of a deliver batch, `SESSION_RECORD_LEN` bytes each (deliver batch)
pub const FIELD_SESSIONS: i32 = 18;
/// highest field number
pub const MAX_FIELD: i32 = 18;
/// reason text for a reject or rate limit, or why `relayd_init` failed
pub const OUTPUT_MESSAGE: i32 = 1;
/// rewritten filters, a JSON array of filter objects (req, count)
pub const OUTPUT_FILTERS: i32 = 2;
/// rewritten event JSON to deliver (deliver)
pub const OUTPUT_PAYLOAD: i32 = 3;
/// a JSON object of NIP-11 `limitation` keys (`relayd_limitation`)
pub const OUTPUT_LIMITATION: i32 = 4;
/// the management methods the plugin serves, a JSON array of names (`relayd_init`)
pub const OUTPUT_METHODS: i32 = 5;
/// a management method's result, any JSON value (manage)
pub const OUTPUT_RESULT: i32 = 6;
/// one little-endian u32 verdict per session of a deliver batch (deliver batch)
pub const OUTPUT_VERDICTS: i32 = 7;
/// highest output number
pub const MAX_OUTPUT: i32 = 7;
/// success
pub const OK: i32 = 0;
/// no such field, tag, header or key
pub const ERR_NOT_FOUND: i32 = -1;
/// a pointer/length pair is outside guest memory
pub const ERR_MEMORY: i32 = -2;
/// a key, value or output is over its limit
pub const ERR_TOO_LARGE: i32 = -3;
/// an invalid argument (unknown code, negative length, bad JSON, bad rate)
pub const ERR_INVALID: i32 = -4;
/// not available here (no store configured, output not valid in this hook)
pub const ERR_UNAVAILABLE: i32 = -5;
/// the host operation ran out of time
pub const ERR_TIMEOUT: i32 = -6;
/// `kv_cas` found a different value
pub const ERR_MISMATCH: i32 = -7;
/// the host failed
pub const ERR_INTERNAL: i32 = -8;
/// the plugin's durable state is at `db_max_keys` or `db_max_bytes`
pub const ERR_FULL: i32 = -9;
/// the store takes no writes now: its disk is below the reserve, or it is damaged or closing
pub const ERR_READ_ONLY: i32 = -10;
/// slog Debug
pub const LOG_DEBUG: i32 = 0;
/// slog Info
pub const LOG_INFO: i32 = 1;
/// slog Warn
pub const LOG_WARN: i32 = 2;
/// slog Error
pub const LOG_ERROR: i32 = 3;
/// `store_count` is backed by an event store
pub const FEATURE_STORE: i64 = 0x1;
/// shared state (`counter_*`, `bucket_take`, `kv_*`) is available
pub const FEATURE_STATE: i64 = 0x2;
/// `get_file` reads the files listed in the plugin's `files` setting
pub const FEATURE_FILES: i64 = 0x4;
/// the `db_*` functions reach the plugin's durable state, kept in the relay's event store
pub const FEATURE_DB: i64 = 0x8;
/// the host routes the NIP-86 management methods a plugin declares to `relayd_on_manage`
pub const FEATURE_MANAGE: i64 = 0x10;
/// `store_query` reads events from an event store
pub const FEATURE_QUERY: i64 = 0x20;
/// the host calls `relayd_on_tick` every `tick_ms`
pub const FEATURE_TICK: i64 = 0x40;
/// `hook_kinds` limits an event hook to the kinds a plugin handles
pub const FEATURE_HOOK_KINDS: i64 = 0x80;
/// the host calls `relayd_on_deliver_batch` for a live event's receiving sessions
pub const FEATURE_DELIVER_BATCH: i64 = 0x100;
/// `hook_kinds` also limits the req and count hooks to filters naming some kinds
pub const FEATURE_FILTER_KINDS: i64 = 0x200;
/// bytes of `OutputMessage`
pub const MAX_MESSAGE_LEN: i32 = 512;
/// bytes of `OutputFilters`
pub const MAX_FILTERS_LEN: i32 = 65536;
/// bytes of `OutputPayload`
pub const MAX_PAYLOAD_LEN: i32 = 1048576;
/// bytes of `OutputLimitation`
pub const MAX_LIMITATION_LEN: i32 = 4096;
/// bytes of a state key
pub const MAX_KEY_LEN: i32 = 256;
/// bytes of a kv value
pub const MAX_VALUE_LEN: i32 = 65536;
/// bytes of a log line; longer lines are truncated
pub const MAX_LOG_LEN: i32 = 4096;
/// bytes of a header name
pub const MAX_HEADER_NAME_LEN: i32 = 64;
/// bytes of a `get_file` name
pub const MAX_FILE_NAME_LEN: i32 = 255;
/// bytes of a listed file; the host refuses to load a plugin with a larger one
pub const MAX_FILE_LEN: i64 = 8388608;
/// entries one `db_list` call returns at most
pub const MAX_LIST_ENTRIES: i32 = 1024;
/// bytes of `OutputMethods`
pub const MAX_METHODS_LEN: i32 = 4096;
/// bytes of a management method name
pub const MAX_METHOD_LEN: i32 = 64;
/// bytes of `OutputResult`
pub const MAX_RESULT_LEN: i32 = 4194304;
/// sessions of one `relayd_on_deliver_batch` call
pub const MAX_DELIVER_BATCH: i32 = 64;
/// bytes of one `FieldSessions` record
pub const SESSION_RECORD_LEN: i32 = 16;
/// import module of every host function
pub const MODULE_NAME: &str = "relayd_v1";
/// read an input field
pub const FUNC_GET: &str = "get";
/// read one tag
pub const FUNC_GET_TAG: &str = "get_tag";
/// read one request header
pub const FUNC_GET_HEADER: &str = "get_header";
/// set an output
pub const FUNC_SET_OUTPUT: &str = "set_output";
/// wall clock
pub const FUNC_NOW: &str = "now";
/// is a level logged
pub const FUNC_LOG_ENABLED: &str = "log_enabled";
/// write a log line
pub const FUNC_LOG: &str = "log";
/// add to a shared counter
pub const FUNC_COUNTER_ADD: &str = "counter_add";
/// read a shared counter
pub const FUNC_COUNTER_GET: &str = "counter_get";
/// take from a shared token bucket
pub const FUNC_BUCKET_TAKE: &str = "bucket_take";
/// read a shared key
pub const FUNC_KV_GET: &str = "kv_get";
/// write a shared key
pub const FUNC_KV_SET: &str = "kv_set";
/// compare-and-swap a shared key
pub const FUNC_KV_CAS: &str = "kv_cas";
/// delete a shared key
pub const FUNC_KV_DELETE: &str = "kv_delete";
/// count stored events matching a filter
pub const FUNC_STORE_COUNT: &str = "store_count";
/// read the stored events matching a filter
pub const FUNC_STORE_QUERY: &str = "store_query";
/// limit an event hook to some kinds (`relayd_init` only)
pub const FUNC_HOOK_KINDS: &str = "hook_kinds";
/// choose the session of a deliver batch the session fields read
pub const FUNC_SELECT_SESSION: &str = "select_session";
/// host feature bits
pub const FUNC_FEATURES: &str = "features";
/// read a file listed in the plugin's settings
pub const FUNC_GET_FILE: &str = "get_file";
/// read a durable key
pub const FUNC_DB_GET: &str = "db_get";
/// write a durable key
pub const FUNC_DB_PUT: &str = "db_put";
/// delete a durable key
pub const FUNC_DB_DELETE: &str = "db_delete";
/// list durable keys by prefix, a page at a time
pub const FUNC_DB_LIST: &str = "db_list";
/// the durable state's size and limits
pub const FUNC_DB_USAGE: &str = "db_usage";
/// `db_put` flag: store only if the key is absent, else `ErrMismatch`
pub const DB_PUT_IF_ABSENT: i32 = 1;
/// `db_list` flag: return values as well as keys
pub const DB_LIST_VALUES: i32 = 1;
/// bytes of a `db_list` entry header: key length, value length (u32 each)
pub const DB_ENTRY_HEADER_LEN: i32 = 8;
/// bytes `db_usage` writes: keys, bytes, max keys, max bytes (i64 each)
pub const DB_USAGE_LEN: i32 = 32;
/// default of `db_max_keys`
pub const DB_DEFAULT_MAX_KEYS: i64 = 100000;
/// default of `db_max_bytes` (64 MiB)
pub const DB_DEFAULT_MAX_BYTES: i64 = 67108864;
/// bytes of the `store_query` result header: event count, flags (u32 each)
pub const QUERY_HEADER_LEN: i32 = 8;
/// bytes before each event's JSON in a `store_query` result: its length (u32)
pub const QUERY_ENTRY_HEADER_LEN: i32 = 4;
/// `store_query` result flag: a host bound cut the result; more events match
pub const QUERY_TRUNCATED: i32 = 1;
/// default of `query_max_events`
pub const QUERY_DEFAULT_MAX_EVENTS: i32 = 1000;
/// default of `query_max_bytes` (4 MiB)
pub const QUERY_DEFAULT_MAX_BYTES: i32 = 4194304;
/// default of `query_timeout_ms`
pub const QUERY_DEFAULT_TIMEOUT_MS: i32 = 1000;
/// default of `tick_ms`
pub const TICK_DEFAULT_MS: i32 = 60000;
/// default of `tick_timeout_ms`
pub const TICK_DEFAULT_TIMEOUT_MS: i32 = 30000;
