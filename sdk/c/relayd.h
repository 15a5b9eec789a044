/*
 * relayd.h: the relayd policy plugin ABI, version 1 (module relayd_v1), for
 * guests written in C. See sdk/abi/ABI.md for the contract; every constant
 * below is a row of its tables (a test in this directory keeps them in
 * sync), and every import is one of its host functions.
 *
 * A C plugin is a WASI reactor that exports
 *
 *   - memory                (clang exports it by default)
 *   - _initialize           (from -mexec-model=reactor)
 *   - relayd_abi_version    (defined in relayd.c)
 *   - relayd_init           (yours: returns the mask of hooks it handles)
 *   - the hooks it handles  (yours: relayd_on_event_pre, ...)
 *
 * Build:
 *
 *   clang --target=wasm32-wasi -mexec-model=reactor -O2 -Wl,--strip-all \
 *     -I sdk/c -o policy.wasm policy.c sdk/c/relayd.c
 *
 * A hook:
 *
 *   RELAYD_EXPORT(RELAYD_EXPORT_ON_EVENT_PRE)
 *   int32_t on_event_pre(RELAYD_HOOK_ARGS) {
 *       if (kind == 4)
 *           return relayd_reject(RELAYD_PREFIX_BLOCKED, "no DMs");
 *       return relayd_accept();
 *   }
 *
 * Notes:
 *   - Guest globals are per instance: the relay runs several instances of a
 *     plugin and may replace one at any time. Shared state lives in the
 *     host (relayd_counter_add, relayd_bucket_take, relayd_kv_*), and state
 *     that must survive a restart in its durable state (relayd_db_*).
 *   - The host never allocates in the guest: reads fill a buffer you pass
 *     and return the length the value needs (see relayd_read).
 */
#ifndef RELAYD_H
#define RELAYD_H

#include <stdint.h>

/* ---- Module, version, exports -------------------------------------- */

#define RELAYD_VERSION 1
#define RELAYD_MODULE_NAME "relayd_v1"
#define RELAYD_HOOK_PARAMS 7 /* parameters of every hook export */

#define RELAYD_EXPORT_MEMORY "memory"
#define RELAYD_EXPORT_ABI_VERSION "relayd_abi_version"
#define RELAYD_EXPORT_INITIALIZE "_initialize"
#define RELAYD_EXPORT_INIT "relayd_init"
#define RELAYD_EXPORT_LIMITATION "relayd_limitation"
#define RELAYD_EXPORT_ON_CONNECT "relayd_on_connect"
#define RELAYD_EXPORT_ON_EVENT_PRE "relayd_on_event_pre"
#define RELAYD_EXPORT_ON_EVENT "relayd_on_event"
#define RELAYD_EXPORT_ON_REQ "relayd_on_req"
#define RELAYD_EXPORT_ON_COUNT "relayd_on_count"
#define RELAYD_EXPORT_ON_AUTH "relayd_on_auth"
#define RELAYD_EXPORT_ON_DELIVER "relayd_on_deliver"
#define RELAYD_EXPORT_ON_CLOSE "relayd_on_close"
#define RELAYD_EXPORT_ON_MANAGE "relayd_on_manage" /* NIP-86 methods; see relayd_declare_methods */
/* int32_t relayd_on_tick(void): periodic work, every tick_ms (ABI.md, "Tick");
 * >= 0, or negative with a reason set by relayd_message. With a relayd_init,
 * its mask must have RELAYD_HOOK_BIT(RELAYD_HOOK_TICK). */
#define RELAYD_EXPORT_ON_TICK "relayd_on_tick"
/* relayd_on_deliver_batch: hook signature, one live event for up to
 * RELAYD_MAX_DELIVER_BATCH sessions (ABI.md, "Deliver batches"). With a
 * relayd_init, its mask must have RELAYD_HOOK_BIT(RELAYD_HOOK_DELIVER_BATCH). */
#define RELAYD_EXPORT_ON_DELIVER_BATCH "relayd_on_deliver_batch"
#define RELAYD_EXPORT_PREEMPT "relayd_preempt" /* reserved: a guest must not export it */

/* RELAYD_EXPORT(name) exports the next function as name. */
#define RELAYD_EXPORT(name) __attribute__((export_name(name)))

/*
 * RELAYD_HOOK_ARGS are the RELAYD_HOOK_PARAMS parameters of every hook
 * export (ABI.md, "Hook signature"); the result is a verdict
 * (relayd_accept, relayd_reject...).
 */
#define RELAYD_MAYBE_UNUSED __attribute__((unused))
#define RELAYD_HOOK_ARGS                                                    \
    RELAYD_MAYBE_UNUSED int64_t session, RELAYD_MAYBE_UNUSED int32_t kind,  \
        RELAYD_MAYBE_UNUSED int64_t created_at,                             \
        RELAYD_MAYBE_UNUSED int64_t received_at, RELAYD_MAYBE_UNUSED int32_t size, \
        RELAYD_MAYBE_UNUSED int32_t count, RELAYD_MAYBE_UNUSED int32_t flags

/* ---- Codes ----------------------------------------------------------- */

/* flags parameter */
#define RELAYD_FLAG_SOURCE_MASK 0xff
#define RELAYD_FLAG_AUTHED 0x100
#define RELAYD_FLAG_SESSION 0x200

/* Hooks; a HookMask has bit 1 << hook per hook. */
#define RELAYD_HOOK_CONNECT 1
#define RELAYD_HOOK_EVENT_PRE 2
#define RELAYD_HOOK_EVENT 3
#define RELAYD_HOOK_REQ 4
#define RELAYD_HOOK_COUNT 5
#define RELAYD_HOOK_AUTH 6
#define RELAYD_HOOK_DELIVER 7
#define RELAYD_HOOK_CLOSE 8
#define RELAYD_HOOK_MANAGE 9
#define RELAYD_MAX_HOOK 9
#define RELAYD_HOOK_MASK_ALL 0x3fe
#define RELAYD_HOOK_TICK 10 /* not a policy hook: its mask bit asks for relayd_on_tick */
#define RELAYD_HOOK_DELIVER_BATCH 11 /* its mask bit asks for relayd_on_deliver_batch */
#define RELAYD_HOOK_BIT(hook) (1 << (hook))

/* Actions: bits 0-7 of a verdict. */
#define RELAYD_ACTION_ACCEPT 0
#define RELAYD_ACTION_REJECT 1
#define RELAYD_ACTION_SHADOW_REJECT 2
#define RELAYD_ACTION_REWRITE 3
#define RELAYD_ACTION_RATE_LIMITED 4
#define RELAYD_MAX_ACTION 4

/* Prefixes: bits 8-15 of a verdict. */
#define RELAYD_PREFIX_DEFAULT 0
#define RELAYD_PREFIX_BLOCKED 1
#define RELAYD_PREFIX_RATE_LIMITED 2
#define RELAYD_PREFIX_INVALID 3
#define RELAYD_PREFIX_RESTRICTED 4
#define RELAYD_PREFIX_AUTH_REQUIRED 5
#define RELAYD_PREFIX_POW 6
#define RELAYD_PREFIX_DUPLICATE 7
#define RELAYD_PREFIX_ERROR 8
#define RELAYD_PREFIX_MUTE 9
#define RELAYD_MAX_PREFIX 9

/* Sources: the low byte of flags. */
#define RELAYD_SOURCE_IP4 0
#define RELAYD_SOURCE_IP6 1
#define RELAYD_SOURCE_IMPORT 2
#define RELAYD_SOURCE_STREAM 3
#define RELAYD_SOURCE_SYNC 4
#define RELAYD_SOURCE_STORED 5

/* Fields, read with relayd_get. */
#define RELAYD_FIELD_EVENT_ID 1
#define RELAYD_FIELD_PUBKEY 2
#define RELAYD_FIELD_CONTENT 3
#define RELAYD_FIELD_TAGS 4
#define RELAYD_FIELD_RAW 5
#define RELAYD_FIELD_SIG 6
#define RELAYD_FIELD_STRFRY_INPUT 7
#define RELAYD_FIELD_FILTERS 8
#define RELAYD_FIELD_SUB_ID 9
#define RELAYD_FIELD_IP 10
#define RELAYD_FIELD_AUTHED 11
#define RELAYD_FIELD_CONFIG 12
#define RELAYD_FIELD_PLUGIN_NAME 13
#define RELAYD_FIELD_CONNECTED_AT 14
#define RELAYD_FIELD_RELAY_VERSION 15
#define RELAYD_FIELD_METHOD 16 /* manage: the method name */
#define RELAYD_FIELD_PARAMS 17 /* manage: the params, a JSON array */
#define RELAYD_FIELD_SESSIONS 18 /* deliver batch: RELAYD_SESSION_RECORD_LEN bytes per session */
#define RELAYD_MAX_FIELD 18

/* Outputs, set with relayd_set_output. */
#define RELAYD_OUTPUT_MESSAGE 1
#define RELAYD_OUTPUT_FILTERS 2
#define RELAYD_OUTPUT_PAYLOAD 3
#define RELAYD_OUTPUT_LIMITATION 4
#define RELAYD_OUTPUT_METHODS 5 /* relayd_init: JSON array of method names */
#define RELAYD_OUTPUT_RESULT 6  /* manage: the method's JSON result */
#define RELAYD_OUTPUT_VERDICTS 7 /* deliver batch: one u32 verdict per session */
#define RELAYD_MAX_OUTPUT 7

/* Errors: negative results of host functions. */
#define RELAYD_OK 0
#define RELAYD_ERR_NOT_FOUND -1
#define RELAYD_ERR_MEMORY -2
#define RELAYD_ERR_TOO_LARGE -3
#define RELAYD_ERR_INVALID -4
#define RELAYD_ERR_UNAVAILABLE -5
#define RELAYD_ERR_TIMEOUT -6
#define RELAYD_ERR_MISMATCH -7
#define RELAYD_ERR_INTERNAL -8
#define RELAYD_ERR_FULL -9       /* durable state at db_max_keys or db_max_bytes */
#define RELAYD_ERR_READ_ONLY -10 /* the store takes no writes now; reads go on */

/* Log levels. */
#define RELAYD_LOG_DEBUG 0
#define RELAYD_LOG_INFO 1
#define RELAYD_LOG_WARN 2
#define RELAYD_LOG_ERROR 3

/* Feature bits of relayd_features(). */
#define RELAYD_FEATURE_STORE 0x1
#define RELAYD_FEATURE_STATE 0x2
#define RELAYD_FEATURE_FILES 0x4
#define RELAYD_FEATURE_DB 0x8
#define RELAYD_FEATURE_MANAGE 0x10
#define RELAYD_FEATURE_QUERY 0x20 /* relayd_store_query reads an event store */
#define RELAYD_FEATURE_TICK 0x40  /* relayd_on_tick is called every tick_ms */
#define RELAYD_FEATURE_HOOK_KINDS 0x80
#define RELAYD_FEATURE_DELIVER_BATCH 0x100 /* relayd_on_deliver_batch is called */
#define RELAYD_FEATURE_FILTER_KINDS 0x200  /* hook_kinds takes the req and count hooks */

/* Limits. */
#define RELAYD_MAX_MESSAGE_LEN 512
#define RELAYD_MAX_FILTERS_LEN 65536
#define RELAYD_MAX_PAYLOAD_LEN 1048576
#define RELAYD_MAX_LIMITATION_LEN 4096
#define RELAYD_MAX_KEY_LEN 256
#define RELAYD_MAX_VALUE_LEN 65536
#define RELAYD_MAX_LOG_LEN 4096
#define RELAYD_MAX_HEADER_NAME_LEN 64
#define RELAYD_MAX_FILE_NAME_LEN 255
#define RELAYD_MAX_FILE_LEN 8388608 /* a larger listed file stops the load */
#define RELAYD_MAX_LIST_ENTRIES 1024 /* entries of one relayd_db_list call */
#define RELAYD_MAX_METHODS_LEN 4096
#define RELAYD_MAX_METHOD_LEN 64
#define RELAYD_MAX_RESULT_LEN 4194304
#define RELAYD_MAX_DELIVER_BATCH 64 /* sessions of one relayd_on_deliver_batch call */
#define RELAYD_SESSION_RECORD_LEN 16 /* id u64, flags u32, 4 zero bytes */

/* Durable state (relayd_db_*). */
#define RELAYD_DB_PUT_IF_ABSENT 1   /* relayd_db_put flag */
#define RELAYD_DB_LIST_VALUES 1     /* relayd_db_list flag */
#define RELAYD_DB_ENTRY_HEADER_LEN 8 /* u32 key_len, u32 val_len (little-endian) */
#define RELAYD_DB_USAGE_LEN 32      /* keys, bytes, max keys, max bytes (int64) */
#define RELAYD_DB_DEFAULT_MAX_KEYS 100000
#define RELAYD_DB_DEFAULT_MAX_BYTES 67108864

/* store_query (relayd_store_query) and ticks. */
#define RELAYD_QUERY_HEADER_LEN 8       /* u32 count, u32 flags (little-endian) */
#define RELAYD_QUERY_ENTRY_HEADER_LEN 4 /* u32 length of the event JSON that follows */
#define RELAYD_QUERY_TRUNCATED 1        /* flag: a host bound cut the result; more events match */
#define RELAYD_QUERY_DEFAULT_MAX_EVENTS 1000
#define RELAYD_QUERY_DEFAULT_MAX_BYTES 4194304
#define RELAYD_QUERY_DEFAULT_TIMEOUT_MS 1000
#define RELAYD_TICK_DEFAULT_MS 60000
#define RELAYD_TICK_DEFAULT_TIMEOUT_MS 30000

/* ---- Host functions (imports) -------------------------------------- */

#define RELAYD_FUNC_GET "get"
#define RELAYD_FUNC_GET_TAG "get_tag"
#define RELAYD_FUNC_GET_HEADER "get_header"
#define RELAYD_FUNC_SET_OUTPUT "set_output"
#define RELAYD_FUNC_NOW "now"
#define RELAYD_FUNC_LOG_ENABLED "log_enabled"
#define RELAYD_FUNC_LOG "log"
#define RELAYD_FUNC_COUNTER_ADD "counter_add"
#define RELAYD_FUNC_COUNTER_GET "counter_get"
#define RELAYD_FUNC_BUCKET_TAKE "bucket_take"
#define RELAYD_FUNC_KV_GET "kv_get"
#define RELAYD_FUNC_KV_SET "kv_set"
#define RELAYD_FUNC_KV_CAS "kv_cas"
#define RELAYD_FUNC_KV_DELETE "kv_delete"
#define RELAYD_FUNC_STORE_COUNT "store_count"
#define RELAYD_FUNC_FEATURES "features"
#define RELAYD_FUNC_GET_FILE "get_file"
#define RELAYD_FUNC_DB_GET "db_get"
#define RELAYD_FUNC_DB_PUT "db_put"
#define RELAYD_FUNC_DB_DELETE "db_delete"
#define RELAYD_FUNC_DB_LIST "db_list"
#define RELAYD_FUNC_DB_USAGE "db_usage"
#define RELAYD_FUNC_STORE_QUERY "store_query"
#define RELAYD_FUNC_HOOK_KINDS "hook_kinds"
#define RELAYD_FUNC_SELECT_SESSION "select_session"

#define RELAYD_IMPORT(name) \
    __attribute__((import_module(RELAYD_MODULE_NAME), import_name(name)))

/* relayd_get reads input field into buf if it fits in buf_limit bytes and
 * returns its length either way, or a negative RELAYD_ERR_*. */
RELAYD_IMPORT(RELAYD_FUNC_GET)
int32_t relayd_get(int32_t field, void *buf, int32_t buf_limit);

/* relayd_get_tag reads tag index of the event, elements joined by NUL. */
RELAYD_IMPORT(RELAYD_FUNC_GET_TAG)
int32_t relayd_get_tag(int32_t index, void *buf, int32_t buf_limit);

/* relayd_get_header reads a request header (lower-case name). */
RELAYD_IMPORT(RELAYD_FUNC_GET_HEADER)
int32_t relayd_get_header(const char *name, int32_t name_len, void *buf, int32_t buf_limit);

/* relayd_set_output copies len bytes as output kind (RELAYD_OUTPUT_*). */
RELAYD_IMPORT(RELAYD_FUNC_SET_OUTPUT)
int32_t relayd_set_output(int32_t kind, const void *ptr, int32_t len);

/* relayd_now returns the relay's clock in unix nanoseconds. */
RELAYD_IMPORT(RELAYD_FUNC_NOW)
int64_t relayd_now(void);

/* relayd_log_enabled returns 1 if a line at level would be written. */
RELAYD_IMPORT(RELAYD_FUNC_LOG_ENABLED)
int32_t relayd_log_enabled(int32_t level);

/* relayd_log writes a line to the relay's log, tagged with the plugin. */
RELAYD_IMPORT(RELAYD_FUNC_LOG)
void relayd_log(int32_t level, const char *ptr, int32_t len);

/* relayd_features returns RELAYD_FEATURE_* bits. */
RELAYD_IMPORT(RELAYD_FUNC_FEATURES)
int64_t relayd_features(void);

/* relayd_get_file reads a file listed in the plugin's "files" setting
 * (files = ["banned.txt"] in NAME.toml) like relayd_get; RELAYD_ERR_NOT_FOUND
 * if name is not listed. A change to the file reloads the plugin, so read
 * it once, in relayd_init. */
RELAYD_IMPORT(RELAYD_FUNC_GET_FILE)
int32_t relayd_get_file(const char *name, int32_t name_len, void *buf, int32_t buf_limit);

/* Shared state: shared by every instance of the plugin, kept across reloads. */
RELAYD_IMPORT(RELAYD_FUNC_COUNTER_ADD)
int32_t relayd_counter_add(const char *key, int32_t key_len, int64_t delta, int64_t ttl_ms, int64_t *result);

RELAYD_IMPORT(RELAYD_FUNC_COUNTER_GET)
int32_t relayd_counter_get(const char *key, int32_t key_len, int64_t *result);

/* relayd_bucket_take returns 0 if cost tokens were taken, else the
 * milliseconds until they will be there, or a negative RELAYD_ERR_*. */
RELAYD_IMPORT(RELAYD_FUNC_BUCKET_TAKE)
int64_t relayd_bucket_take(const char *key, int32_t key_len, int64_t cost, double rate, int64_t burst);

RELAYD_IMPORT(RELAYD_FUNC_KV_GET)
int32_t relayd_kv_get(const char *key, int32_t key_len, void *buf, int32_t buf_limit);

RELAYD_IMPORT(RELAYD_FUNC_KV_SET)
int32_t relayd_kv_set(const char *key, int32_t key_len, const void *val, int32_t val_len, int64_t ttl_ms);

/* relayd_kv_cas: old_len -1 means "only if absent". */
RELAYD_IMPORT(RELAYD_FUNC_KV_CAS)
int32_t relayd_kv_cas(const char *key, int32_t key_len, const void *old, int32_t old_len,
                      const void *val, int32_t val_len, int64_t ttl_ms);

RELAYD_IMPORT(RELAYD_FUNC_KV_DELETE)
int32_t relayd_kv_delete(const char *key, int32_t key_len);

/* relayd_store_count counts stored events matching one filter (JSON). */
RELAYD_IMPORT(RELAYD_FUNC_STORE_COUNT)
int32_t relayd_store_count(const char *filter, int32_t filter_len, int64_t *result);

/*
 * Durable state: a key-value namespace per plugin that the relay keeps in its
 * store, across reloads and restarts (ABI.md, "Durable state"). Keys are 1 to
 * RELAYD_MAX_KEY_LEN bytes, values up to RELAYD_MAX_VALUE_LEN. A write is
 * visible to every instance at once and durable at the relay's next commit.
 * Without RELAYD_FEATURE_DB every call returns RELAYD_ERR_UNAVAILABLE.
 */

/* relayd_db_get reads key's value like relayd_get; RELAYD_ERR_NOT_FOUND if
 * absent. buf_limit 0 probes: is the key there. */
RELAYD_IMPORT(RELAYD_FUNC_DB_GET)
int32_t relayd_db_get(const void *key, int32_t key_len, void *buf, int32_t buf_limit);

/* relayd_db_put stores a copy of val under key; flags 0 or
 * RELAYD_DB_PUT_IF_ABSENT (else RELAYD_ERR_MISMATCH). RELAYD_ERR_FULL past
 * the plugin's limits, RELAYD_ERR_READ_ONLY while the store takes no writes. */
RELAYD_IMPORT(RELAYD_FUNC_DB_PUT)
int32_t relayd_db_put(const void *key, int32_t key_len, const void *val, int32_t val_len, int32_t flags);

/* relayd_db_delete deletes key: RELAYD_OK or RELAYD_ERR_NOT_FOUND. */
RELAYD_IMPORT(RELAYD_FUNC_DB_DELETE)
int32_t relayd_db_delete(const void *key, int32_t key_len);

/* relayd_db_list writes whole entries (see relayd_db_next) for the keys
 * under prefix that sort after after, at most limit (<= 0: up to
 * RELAYD_MAX_LIST_ENTRIES), and returns the bytes written, 0 when none is
 * left; a result over buf_limit is the size the first entry needs. Pass the
 * last key returned as after to read the next page. */
RELAYD_IMPORT(RELAYD_FUNC_DB_LIST)
int32_t relayd_db_list(const void *prefix, int32_t prefix_len, const void *after, int32_t after_len,
                       int32_t limit, int32_t flags, void *buf, int32_t buf_limit);

/* relayd_db_usage writes keys, bytes, db_max_keys and db_max_bytes. */
RELAYD_IMPORT(RELAYD_FUNC_DB_USAGE)
int32_t relayd_db_usage(int64_t result[4]);

/* relayd_store_query reads the stored events matching one filter (JSON),
 * newest first, like relayd_get: it returns the result's length and writes
 * it only if it fits in buf_limit; call again with the same filter and a
 * buffer that big (the relay kept the result). The result is a header (see
 * relayd_query_header) then entries (relayd_query_next). Bounded by the
 * plugin's query_max_events, query_max_bytes and query_timeout_ms:
 * RELAYD_ERR_TIMEOUT past the time, RELAYD_ERR_UNAVAILABLE without a store. */
RELAYD_IMPORT(RELAYD_FUNC_STORE_QUERY)
int32_t relayd_store_query(const char *filter, int32_t filter_len, void *buf, int32_t buf_limit);

/* relayd_select_session, in relayd_on_deliver_batch only, makes session
 * index (0-based) of the batch the one the session fields, the sub id and
 * relayd_get_header read (ABI.md, "Deliver batches"). */
RELAYD_IMPORT(RELAYD_FUNC_SELECT_SESSION)
int32_t relayd_select_session(int32_t index);

/* relayd_hook_kinds, in relayd_init only, limits an event hook
 * (RELAYD_HOOK_EVENT_PRE, RELAYD_HOOK_EVENT, RELAYD_HOOK_DELIVER) to count
 * kinds: the relay skips the call for other kinds, as if it had accepted
 * (RELAYD_FEATURE_HOOK_KINDS). */
RELAYD_IMPORT(RELAYD_FUNC_HOOK_KINDS)
int32_t relayd_hook_kinds(int32_t hook, const uint32_t *kinds, int32_t count);

/* ---- Helpers --------------------------------------------------------- */

/* relayd_u32 reads a little-endian u32. */
static inline uint32_t relayd_u32(const uint8_t *b) {
    return (uint32_t)b[0] | (uint32_t)b[1] << 8 | (uint32_t)b[2] << 16 | (uint32_t)b[3] << 24;
}

/* relayd_query_header reads the header of relayd_store_query's result of n
 * bytes at buf: the event count and the flags (RELAYD_QUERY_TRUNCATED). It
 * returns 1, or 0 if n is too short. */
static inline int relayd_query_header(const uint8_t *buf, int32_t n, uint32_t *count, uint32_t *flags) {
    if (n < RELAYD_QUERY_HEADER_LEN)
        return 0;
    *count = relayd_u32(buf);
    *flags = relayd_u32(buf + 4);
    return 1;
}

/* relayd_query_next reads the event at *p of a relayd_store_query result
 * that ends at end (start at buf + RELAYD_QUERY_HEADER_LEN): it sets json
 * and json_len and moves *p to the next one. It returns 1, or 0 when no
 * whole event is left. */
static inline int relayd_query_next(const uint8_t **p, const uint8_t *end, const char **json, int32_t *json_len) {
    const uint8_t *b = *p;
    if (end - b < RELAYD_QUERY_ENTRY_HEADER_LEN)
        return 0;
    uint32_t n = relayd_u32(b);
    b += RELAYD_QUERY_ENTRY_HEADER_LEN;
    if ((uint32_t)(end - b) < n)
        return 0;
    *json = (const char *)b;
    *json_len = (int32_t)n;
    *p = b + n;
    return 1;
}

/* relayd_db_has reports whether key is in the durable state (1 or 0), or a
 * negative RELAYD_ERR_* other than RELAYD_ERR_NOT_FOUND. */
static inline int32_t relayd_db_has(const void *key, int32_t key_len) {
    int32_t n = relayd_db_get(key, key_len, 0, 0);
    if (n == RELAYD_ERR_NOT_FOUND)
        return 0;
    return n < 0 ? n : 1;
}

/* relayd_db_next reads the entry at *p of relayd_db_list's output, which
 * ends at end: it sets key, key_len, val and val_len (0 without
 * RELAYD_DB_LIST_VALUES) and moves *p to the next entry. It returns 1, or 0
 * when no whole entry is left. */
static inline int relayd_db_next(const uint8_t **p, const uint8_t *end, const uint8_t **key, int32_t *key_len,
                                 const uint8_t **val, int32_t *val_len) {
    const uint8_t *b = *p;
    if (end - b < RELAYD_DB_ENTRY_HEADER_LEN)
        return 0;
    uint32_t kl = (uint32_t)b[0] | (uint32_t)b[1] << 8 | (uint32_t)b[2] << 16 | (uint32_t)b[3] << 24;
    uint32_t vl = (uint32_t)b[4] | (uint32_t)b[5] << 8 | (uint32_t)b[6] << 16 | (uint32_t)b[7] << 24;
    b += RELAYD_DB_ENTRY_HEADER_LEN;
    if ((uint32_t)(end - b) < kl || (uint32_t)(end - b) - kl < vl)
        return 0;
    *key = b;
    *key_len = (int32_t)kl;
    *val = b + kl;
    *val_len = (int32_t)vl;
    *p = b + kl + vl;
    return 1;
}

/* relayd_strlen is strlen without libc. */
static inline int32_t relayd_strlen(const char *s) {
    int32_t n = 0;
    while (s[n])
        n++;
    return n;
}

/* relayd_verdict packs an action and a prefix into a hook result. */
static inline int32_t relayd_verdict(int32_t action, int32_t prefix) {
    return action | prefix << 8;
}

/* relayd_accept lets the message through to the next policy. */
static inline int32_t relayd_accept(void) { return RELAYD_ACTION_ACCEPT; }

/* relayd_message sets the reason text of a verdict (or of a failed
 * relayd_init), cut to RELAYD_MAX_MESSAGE_LEN bytes. */
static inline void relayd_message(const char *msg, int32_t len) {
    if (len > RELAYD_MAX_MESSAGE_LEN)
        len = RELAYD_MAX_MESSAGE_LEN;
    if (len > 0)
        relayd_set_output(RELAYD_OUTPUT_MESSAGE, msg, len);
}

/* relayd_reject_n refuses with prefix and the first len bytes of msg. */
static inline int32_t relayd_reject_n(int32_t prefix, const char *msg, int32_t len) {
    relayd_message(msg, len);
    return relayd_verdict(RELAYD_ACTION_REJECT, prefix);
}

/* relayd_reject refuses with prefix and the NUL-terminated msg: the relay
 * answers "blocked: msg" (OK false, CLOSED, or a dropped delivery). */
static inline int32_t relayd_reject(int32_t prefix, const char *msg) {
    return relayd_reject_n(prefix, msg, relayd_strlen(msg));
}

/* relayd_shadow_reject answers an EVENT with OK true but drops it. */
static inline int32_t relayd_shadow_reject(void) { return RELAYD_ACTION_SHADOW_REJECT; }

/* relayd_rate_limited refuses with "rate-limited: msg". */
static inline int32_t relayd_rate_limited(const char *msg) {
    relayd_message(msg, relayd_strlen(msg));
    return relayd_verdict(RELAYD_ACTION_RATE_LIMITED, RELAYD_PREFIX_RATE_LIMITED);
}

/* relayd_rewrite replaces the REQ/COUNT filters (kind RELAYD_OUTPUT_FILTERS)
 * or the delivered event (RELAYD_OUTPUT_PAYLOAD) with json. */
static inline int32_t relayd_rewrite(int32_t output_kind, const char *json, int32_t len) {
    relayd_set_output(output_kind, json, len);
    return RELAYD_ACTION_REWRITE;
}

/* relayd_init_fail refuses to start (return it from relayd_init); the
 * relay logs msg and keeps the previous version of the plugin. */
static inline int32_t relayd_init_fail(const char *msg) {
    relayd_message(msg, relayd_strlen(msg));
    return -1;
}

/*
 * NIP-86 management methods (ABI.md, "Management methods"): relayd_init
 * declares them and returns a mask with RELAYD_HOOK_BIT(RELAYD_HOOK_MANAGE);
 * relayd_on_manage (RELAYD_EXPORT_ON_MANAGE, hook signature) reads
 * RELAYD_FIELD_METHOD and RELAYD_FIELD_PARAMS and answers with
 * relayd_manage_result or relayd_manage_error:
 *
 *   RELAYD_EXPORT(RELAYD_EXPORT_INIT)
 *   int32_t init(void) {
 *       relayd_declare_methods("[\"banpubkey\",\"listbannedpubkeys\"]");
 *       return RELAYD_HOOK_BIT(RELAYD_HOOK_EVENT) | RELAYD_HOOK_BIT(RELAYD_HOOK_MANAGE);
 *   }
 *
 * The relay answers the API once the plugin's relayd_db_* writes of the
 * call are committed.
 */

/* relayd_declare_methods declares the methods the plugin serves, a
 * NUL-terminated JSON array of names; call it in relayd_init. */
static inline int32_t relayd_declare_methods(const char *json) {
    return relayd_set_output(RELAYD_OUTPUT_METHODS, json, relayd_strlen(json));
}

/* relayd_manage_result answers a method with its JSON result (len bytes;
 * len 0 answers true). Return its value from relayd_on_manage. */
static inline int32_t relayd_manage_result(const char *json, int32_t len) {
    if (len > 0 && relayd_set_output(RELAYD_OUTPUT_RESULT, json, len) < 0) {
        relayd_message("result too large", 16);
        return relayd_verdict(RELAYD_ACTION_REJECT, RELAYD_PREFIX_ERROR);
    }
    return RELAYD_ACTION_ACCEPT;
}

/* relayd_manage_error refuses a method; msg is the API's error message. */
static inline int32_t relayd_manage_error(const char *msg) {
    relayd_message(msg, relayd_strlen(msg));
    return relayd_verdict(RELAYD_ACTION_REJECT, RELAYD_PREFIX_INVALID);
}

/* relayd_read reads field into buf as a NUL-terminated string. It returns
 * the length, or RELAYD_ERR_TOO_LARGE if it does not fit in cap - 1 bytes
 * (buf is then ""), or another negative RELAYD_ERR_*. */
static inline int32_t relayd_read(int32_t field, char *buf, int32_t cap) {
    if (cap < 1)
        return RELAYD_ERR_INVALID;
    buf[0] = 0;
    int32_t n = relayd_get(field, buf, cap - 1);
    if (n < 0)
        return n;
    if (n > cap - 1)
        return RELAYD_ERR_TOO_LARGE;
    buf[n] = 0;
    return n;
}

/* relayd_read_tag reads tag index like relayd_read; its elements are
 * separated by NUL, e.g. "p\0<hex>". */
static inline int32_t relayd_read_tag(int32_t index, char *buf, int32_t cap) {
    if (cap < 1)
        return RELAYD_ERR_INVALID;
    buf[0] = 0;
    int32_t n = relayd_get_tag(index, buf, cap - 1);
    if (n < 0)
        return n;
    if (n > cap - 1)
        return RELAYD_ERR_TOO_LARGE;
    buf[n] = 0;
    return n;
}

/* relayd_log_str logs a NUL-terminated line. */
static inline void relayd_log_str(int32_t level, const char *msg) {
    relayd_log(level, msg, relayd_strlen(msg));
}

/* ---- relayd.c -------------------------------------------------------- */

/* relayd_abi_version is the required export; relayd.c defines it. */
int32_t relayd_abi_version(void);

/*
 * relayd_config_ints reads the top-level key of the plugin's [config]
 * (JSON) as an array of integers into out. It returns how many it read,
 * RELAYD_ERR_NOT_FOUND if the key is absent, RELAYD_ERR_INVALID if it is
 * not an array of integers, or RELAYD_ERR_TOO_LARGE if there are more than
 * max (or the config is over 4 KB).
 */
int32_t relayd_config_ints(const char *key, int64_t *out, int32_t max);

/* relayd_put_str and relayd_put_int append to a message buffer and return
 * the new end: p = relayd_put_int(relayd_put_str(msg, "kind "), kind). The
 * caller sizes the buffer (an int64 needs at most 20 bytes). */
char *relayd_put_str(char *p, const char *s);
char *relayd_put_int(char *p, int64_t v);

#endif /* RELAYD_H */
