/*
 * The C SDK's TCK plugin: it runs the command each hook call carries with
 * sdk/c, as sdk/tck/README.md specifies, so that the conformance kit checks
 * the C SDK against ABI.md. Build (from the repository root):
 *
 *   clang --target=wasm32-wasi -mexec-model=reactor -O2 -Wl,--strip-all \
 *     -I sdk/c -o tck.wasm sdk/tck/c/tck.c sdk/c/relayd.c
 */
#include "relayd.h"

#define CAP 8192
#define TCK_HEADER "x-tck" /* carries the command of connect and close */

static char cmd[CAP];   /* the command, NUL-terminated */
static char out[CAP];   /* the value an operation answers */
static char extra[CAP]; /* a second buffer, for db_list pages */

static int eq(const char *a, const char *b) {
    while (*a && *a == *b)
        a++, b++;
    return *a == *b;
}

static int32_t len(const char *s) { return relayd_strlen(s); }

static int32_t hook; /* the hook of the call in progress */

/* answer_n reports a value: reject(blocked, VALUE), except on close, whose
 * verdict the host ignores (so nothing is set). */
static int32_t answer_n(const char *v, int32_t n) {
    if (hook == RELAYD_HOOK_CLOSE)
        return relayd_accept();
    return relayd_reject_n(RELAYD_PREFIX_BLOCKED, v, n);
}
static int32_t answer(const char *v) { return answer_n(v, len(v)); }

/* answer_rc reports a host result: the n bytes in out for n >= 0, (none)
 * for RELAYD_ERR_NOT_FOUND, (error N) for another error. */
static int32_t answer_rc(int32_t n) {
    if (n == RELAYD_ERR_NOT_FOUND)
        return answer("(none)");
    if (n < 0) {
        char *e = relayd_put_str(relayd_put_int(relayd_put_str(out, "(error "), n), ")");
        return answer_n(out, (int32_t)(e - out));
    }
    if (n > CAP)
        return answer("(error too large for the TCK plugin)");
    return answer_n(out, n);
}

static int32_t answer_int(int32_t rc, int64_t v) {
    if (rc < 0)
        return answer_rc(rc);
    char *e = relayd_put_int(out, v);
    return answer_n(out, (int32_t)(e - out));
}

static int64_t atoi64(const char *s) {
    int64_t v = 0, sign = 1;
    if (*s == '-')
        sign = -1, s++;
    while (*s >= '0' && *s <= '9')
        v = v * 10 + (*s++ - '0');
    return sign * v;
}

static double atof_simple(const char *s) {
    double v = 0, scale = 1;
    while (*s >= '0' && *s <= '9')
        v = v * 10 + (*s++ - '0');
    if (*s == '.')
        for (s++; *s >= '0' && *s <= '9'; s++)
            scale /= 10, v += (*s - '0') * scale;
    return v;
}

static int32_t prefix(const char *name) {
    static const char *names[] = {"default", "blocked", "rate-limited", "invalid", "restricted",
                                  "auth-required", "pow", "duplicate", "error", "mute"};
    for (int32_t i = 0; i <= RELAYD_MAX_PREFIX; i++)
        if (eq(name, names[i]))
            return i;
    return RELAYD_PREFIX_DEFAULT;
}

static int32_t level(const char *name) {
    if (eq(name, "debug"))
        return RELAYD_LOG_DEBUG;
    if (eq(name, "warn"))
        return RELAYD_LOG_WARN;
    if (eq(name, "error"))
        return RELAYD_LOG_ERROR;
    return RELAYD_LOG_INFO;
}

/* The operations and their number of arguments; the last argument is the
 * rest of the command. */
static const struct {
    const char *op;
    int32_t n;
} ops[] = {
    {"accept", 0}, {"shadow", 0}, {"panic", 0}, {"now", 0}, {"db-usage", 0},
    {"reject", 2}, {"ratelimit", 1}, {"rewrite", 1}, {"get", 1}, {"tag", 1}, {"tagvalue", 1},
    {"header", 1}, {"file", 1}, {"config-ints", 1}, {"feature", 1}, {"log", 2},
    {"counter-add", 2}, {"counter-get", 1}, {"take", 4}, {"kv-set", 2}, {"kv-get", 1},
    {"kv-cas", 3}, {"kv-del", 1}, {"db-put", 2}, {"db-new", 2}, {"db-get", 1}, {"db-has", 1},
    {"db-del", 1}, {"db-keys", 1}, {"db-scan", 1}, {"db-count", 1}, {"store-count", 1}, {"store-query", 1},
};

enum { CALL_SESSION, CALL_EVENT, CALL_REQ };

/* call is the current hook call. */
static struct {
    int32_t kind, flags, content_len, count;
    int64_t session, created_at, received_at;
    int type;
} call;

static int32_t get_field(int32_t field) { return relayd_get(field, out, CAP); }

static int32_t get(const char *name) {
    if (eq(name, "session"))
        return answer_int(0, call.session);
    if (eq(name, "ip"))
        return answer_rc(get_field(RELAYD_FIELD_IP));
    if (eq(name, "authed"))
        return (call.flags & RELAYD_FLAG_AUTHED) ? answer_rc(get_field(RELAYD_FIELD_AUTHED)) : answer("(none)");
    if (eq(name, "is_authed"))
        return answer((call.flags & RELAYD_FLAG_AUTHED) ? "true" : "false");
    if (eq(name, "connected_at"))
        return answer_rc(get_field(RELAYD_FIELD_CONNECTED_AT));
    if (eq(name, "plugin"))
        return answer_rc(get_field(RELAYD_FIELD_PLUGIN_NAME));
    if (eq(name, "config"))
        return answer_rc(get_field(RELAYD_FIELD_CONFIG));
    if (eq(name, "sub"))
        return answer_rc(get_field(RELAYD_FIELD_SUB_ID));
    if (call.type == CALL_REQ) {
        if (eq(name, "filters"))
            return answer_rc(get_field(RELAYD_FIELD_FILTERS));
        if (eq(name, "filter_count"))
            return answer_int(0, call.count);
        return answer("(none)");
    }
    if (call.type != CALL_EVENT)
        return answer("(none)");
    static const struct {
        const char *name;
        int32_t field;
    } fields[] = {{"id", RELAYD_FIELD_EVENT_ID}, {"pubkey", RELAYD_FIELD_PUBKEY}, {"sig", RELAYD_FIELD_SIG},
                  {"content", RELAYD_FIELD_CONTENT}, {"tags", RELAYD_FIELD_TAGS}, {"raw", RELAYD_FIELD_RAW},
                  {"strfry", RELAYD_FIELD_STRFRY_INPUT}};
    for (unsigned i = 0; i < sizeof fields / sizeof fields[0]; i++)
        if (eq(name, fields[i].name))
            return answer_rc(get_field(fields[i].field));
    if (eq(name, "kind"))
        return answer_int(0, call.kind);
    if (eq(name, "created_at"))
        return answer_int(0, call.created_at);
    if (eq(name, "received_at"))
        return answer_int(0, call.received_at);
    if (eq(name, "content_len"))
        return answer_int(0, call.content_len);
    if (eq(name, "tag_count"))
        return answer_int(0, call.count);
    if (eq(name, "source")) {
        static const char *sources[] = {"IP4", "IP6", "Import", "Stream", "Sync", "Stored"};
        int32_t s = call.flags & RELAYD_FLAG_SOURCE_MASK;
        return answer(s <= RELAYD_SOURCE_STORED ? sources[s] : "Other");
    }
    return answer("(none)");
}

/* tag answers tag i joined by |, or (none) past the last. */
static int32_t tag(int32_t i) {
    if (call.type != CALL_EVENT || i < 0 || i >= call.count)
        return answer("(none)");
    int32_t n = relayd_get_tag(i, out, CAP);
    if (n < 0 || n > CAP)
        return answer_rc(n);
    for (int32_t j = 0; j < n; j++)
        if (out[j] == 0)
            out[j] = '|';
    return answer_n(out, n);
}

static int32_t tagvalue(const char *name) {
    int32_t nl = len(name);
    for (int32_t i = 0; call.type == CALL_EVENT && i < call.count; i++) {
        int32_t n = relayd_get_tag(i, out, CAP);
        if (n < 0 || n > CAP)
            return answer_rc(n);
        if (n > nl && out[nl] == 0) {
            int same = 1;
            for (int32_t j = 0; j < nl; j++)
                same &= out[j] == name[j];
            if (same) {
                int32_t end = nl + 1;
                while (end < n && out[end])
                    end++;
                return answer_n(out + nl + 1, end - nl - 1);
            }
        }
    }
    return answer("(none)");
}

static int32_t config_ints(const char *key) {
    int64_t v[64];
    int32_t n = relayd_config_ints(key, v, 64);
    if (n == RELAYD_ERR_NOT_FOUND)
        return answer("(none)");
    if (n < 0)
        return answer("(invalid)");
    char *p = out;
    for (int32_t i = 0; i < n; i++) {
        if (i > 0)
            *p++ = ',';
        p = relayd_put_int(p, v[i]);
    }
    return answer_n(out, (int32_t)(p - out));
}

/* db_list_all answers the keys (or key=value) with prefix, joined by |. */
static int32_t db_list_all(const char *prefix, int32_t flags) {
    char *p = out;
    const uint8_t *after = 0;
    int32_t after_len = 0;
    static char last[RELAYD_MAX_KEY_LEN];
    for (;;) {
        int32_t n = relayd_db_list(prefix, len(prefix), after, after_len, 0, flags, extra, CAP);
        if (n < 0)
            return answer_rc(n);
        if (n == 0 || n > CAP)
            break;
        const uint8_t *b = (const uint8_t *)extra, *key, *val;
        int32_t kl, vl;
        while (relayd_db_next(&b, (const uint8_t *)extra + n, &key, &kl, &val, &vl)) {
            if (p != out)
                *p++ = '|';
            for (int32_t i = 0; i < kl; i++)
                *p++ = (char)key[i], last[i] = (char)key[i];
            if (flags & RELAYD_DB_LIST_VALUES) {
                *p++ = '=';
                for (int32_t i = 0; i < vl; i++)
                    *p++ = (char)val[i];
            }
            after_len = kl;
        }
        after = (const uint8_t *)last;
    }
    if (p == out)
        return answer("(none)");
    return answer_n(out, (int32_t)(p - out));
}

/* db_count answers how many keys start with prefix and the sum of their
 * values' lengths, paging through db_list with values. */
static int32_t db_count(const char *prefix) {
    static char last[RELAYD_MAX_KEY_LEN];
    int32_t after_len = 0;
    int64_t keys = 0, bytes = 0;
    for (;;) {
        int32_t n = relayd_db_list(prefix, len(prefix), last, after_len, 0, RELAYD_DB_LIST_VALUES, extra, CAP);
        if (n < 0)
            return answer_rc(n);
        if (n > CAP)
            return answer("(error entry larger than the TCK plugin's buffer)");
        if (n == 0)
            break;
        const uint8_t *b = (const uint8_t *)extra, *key, *val;
        int32_t kl, vl;
        while (relayd_db_next(&b, (const uint8_t *)extra + n, &key, &kl, &val, &vl)) {
            keys++, bytes += vl;
            for (int32_t i = 0; i < kl; i++)
                last[i] = (char)key[i];
            after_len = kl;
        }
    }
    char *p = relayd_put_int(relayd_put_str(relayd_put_int(out, keys), " "), bytes);
    return answer_n(out, (int32_t)(p - out));
}

static int32_t pick(int32_t rc, int32_t yes_rc, const char *yes, int32_t no_rc, const char *no) {
    if (rc == yes_rc)
        return answer(yes);
    if (rc == no_rc)
        return answer(no);
    return answer_rc(rc);
}

/* qbuf holds a relayd_store_query result: the kit's queries fit. */
static uint8_t qbuf[16384];

/* store_query answers "COUNT TRUNCATED LEN,LEN...": the events, whether a
 * host bound cut the result (yes/no) and each event's JSON length. */
static int32_t store_query(const char *filter) {
    int32_t n = relayd_store_query(filter, len(filter), qbuf, (int32_t)sizeof qbuf);
    if (n < 0)
        return answer_rc(n);
    if (n > (int32_t)sizeof qbuf)
        return answer("(error too large for the TCK plugin)");
    uint32_t count, flags;
    if (!relayd_query_header(qbuf, n, &count, &flags))
        return answer("(error short result)");
    char *e = relayd_put_str(relayd_put_int(out, count), (flags & RELAYD_QUERY_TRUNCATED) ? " yes" : " no");
    const uint8_t *p = qbuf + RELAYD_QUERY_HEADER_LEN;
    const char *json;
    int32_t jl;
    for (int i = 0; relayd_query_next(&p, qbuf + n, &json, &jl); i++)
        e = relayd_put_int(relayd_put_str(e, i == 0 ? " " : ","), jl);
    return answer_n(out, (int32_t)(e - out));
}

static int32_t run_op(const char *op, char **a) {
    int64_t r = 0;
    if (eq(op, "get"))
        return get(a[0]);
    if (eq(op, "tag"))
        return tag((int32_t)atoi64(a[0]));
    if (eq(op, "tagvalue"))
        return tagvalue(a[0]);
    if (eq(op, "header"))
        return answer_rc(relayd_get_header(a[0], len(a[0]), out, CAP));
    if (eq(op, "file"))
        return answer_rc(relayd_get_file(a[0], len(a[0]), out, CAP));
    if (eq(op, "config-ints"))
        return config_ints(a[0]);
    if (eq(op, "feature"))
        return answer((relayd_features() & atoi64(a[0])) ? "yes" : "no");
    if (eq(op, "now"))
        return answer(relayd_now() > 1600000000000000000LL ? "ok" : "bad");
    if (eq(op, "counter-add"))
        return answer_int(relayd_counter_add(a[0], len(a[0]), atoi64(a[1]), 0, &r), r);
    if (eq(op, "counter-get"))
        return answer_int(relayd_counter_get(a[0], len(a[0]), &r), r);
    if (eq(op, "take")) {
        int64_t w = relayd_bucket_take(a[0], len(a[0]), atoi64(a[1]), atof_simple(a[2]), atoi64(a[3]));
        return w < 0 ? answer_rc((int32_t)w) : answer(w == 0 ? "ok" : "wait");
    }
    if (eq(op, "kv-set"))
        return pick(relayd_kv_set(a[0], len(a[0]), a[1], len(a[1]), 0), 0, "ok", 0, "ok");
    if (eq(op, "kv-get"))
        return answer_rc(relayd_kv_get(a[0], len(a[0]), out, CAP));
    if (eq(op, "kv-cas")) {
        int absent = eq(a[1], "-");
        int32_t rc = relayd_kv_cas(a[0], len(a[0]), absent ? 0 : a[1], absent ? -1 : len(a[1]), a[2], len(a[2]), 0);
        return pick(rc, 0, "stored", RELAYD_ERR_MISMATCH, "mismatch");
    }
    if (eq(op, "kv-del"))
        return pick(relayd_kv_delete(a[0], len(a[0])), 0, "deleted", 0, "deleted");
    if (eq(op, "store-count"))
        return answer_int(relayd_store_count(a[0], len(a[0]), &r), r);
    if (eq(op, "store-query"))
        return store_query(a[0]);
    if (eq(op, "db-put"))
        return pick(relayd_db_put(a[0], len(a[0]), a[1], len(a[1]), 0), 0, "ok", 0, "ok");
    if (eq(op, "db-new"))
        return pick(relayd_db_put(a[0], len(a[0]), a[1], len(a[1]), RELAYD_DB_PUT_IF_ABSENT), 0, "stored",
                    RELAYD_ERR_MISMATCH, "exists");
    if (eq(op, "db-get"))
        return answer_rc(relayd_db_get(a[0], len(a[0]), out, CAP));
    if (eq(op, "db-has"))
        return pick(relayd_db_has(a[0], len(a[0])), 1, "yes", 0, "no");
    if (eq(op, "db-del"))
        return pick(relayd_db_delete(a[0], len(a[0])), 0, "deleted", 0, "deleted");
    if (eq(op, "db-keys"))
        return db_list_all(a[0], 0);
    if (eq(op, "db-scan"))
        return db_list_all(a[0], RELAYD_DB_LIST_VALUES);
    if (eq(op, "db-count"))
        return db_count(a[0]);
    if (eq(op, "db-usage")) {
        int64_t u[4];
        int32_t rc = relayd_db_usage(u);
        if (rc < 0)
            return answer_rc(rc);
        char *p = out;
        for (int i = 0; i < 4; i++) {
            if (i > 0)
                *p++ = ' ';
            p = relayd_put_int(p, u[i]);
        }
        return answer_n(out, (int32_t)(p - out));
    }
    return answer("(error unknown operation)");
}

/* run splits the command in cmd (n bytes) and runs it. */
static int32_t run(int32_t n) {
    if (n < 0 || n >= CAP)
        n = 0;
    cmd[n] = 0;
    char *op = cmd, *rest = cmd;
    while (*rest && *rest != ' ')
        rest++;
    if (*rest)
        *rest++ = 0;
    int32_t arity = -1;
    for (unsigned i = 0; i < sizeof ops / sizeof ops[0]; i++)
        if (eq(op, ops[i].op))
            arity = ops[i].n;
    if (arity < 0) {
        char *e = relayd_put_str(relayd_put_str(out, "unknown command: "), op);
        return relayd_reject_n(RELAYD_PREFIX_INVALID, out, (int32_t)(e - out));
    }
    static char empty[1];
    char *a[4] = {empty, empty, empty, empty};
    for (int32_t i = 0; i < arity; i++) {
        a[i] = rest;
        if (i == arity - 1)
            break;
        while (*rest && *rest != ' ')
            rest++;
        if (*rest)
            *rest++ = 0;
    }
    if (eq(op, "accept"))
        return relayd_accept();
    if (eq(op, "reject"))
        return relayd_reject(prefix(a[0]), a[1]);
    if (eq(op, "shadow"))
        return relayd_shadow_reject();
    if (eq(op, "ratelimit"))
        return relayd_rate_limited(a[0]);
    if (eq(op, "rewrite"))
        return relayd_rewrite(hook == RELAYD_HOOK_DELIVER ? RELAYD_OUTPUT_PAYLOAD : RELAYD_OUTPUT_FILTERS, a[0],
                              len(a[0]));
    if (eq(op, "panic"))
        __builtin_trap();
    if (eq(op, "log")) {
        relayd_log(level(a[0]), a[1], len(a[1]));
        return relayd_accept();
    }
    return run_op(op, a);
}

static void begin(int32_t hook_, int type, RELAYD_HOOK_ARGS) {
    hook = hook_, call.type = type, call.session = session, call.kind = kind, call.created_at = created_at;
    call.received_at = received_at, call.content_len = size, call.count = count, call.flags = flags;
}

static int32_t from_header(void) { return relayd_get_header(TCK_HEADER, 5, cmd, CAP - 1); }
static int32_t from_field(int32_t f) { return relayd_get(f, cmd, CAP - 1); }

#define EVENT_HOOK(fn, export, hook)                                                                                   \
    RELAYD_EXPORT(export)                                                                                              \
    int32_t fn(RELAYD_HOOK_ARGS) {                                                                                     \
        begin(hook, CALL_EVENT, session, kind, created_at, received_at, size, count, flags);                           \
        return run(from_field(RELAYD_FIELD_CONTENT));                                                                  \
    }

EVENT_HOOK(on_event_pre, RELAYD_EXPORT_ON_EVENT_PRE, RELAYD_HOOK_EVENT_PRE)
EVENT_HOOK(on_event, RELAYD_EXPORT_ON_EVENT, RELAYD_HOOK_EVENT)
EVENT_HOOK(on_auth, RELAYD_EXPORT_ON_AUTH, RELAYD_HOOK_AUTH)
EVENT_HOOK(on_deliver, RELAYD_EXPORT_ON_DELIVER, RELAYD_HOOK_DELIVER)

RELAYD_EXPORT(RELAYD_EXPORT_ON_REQ)
int32_t on_req(RELAYD_HOOK_ARGS) {
    begin(RELAYD_HOOK_REQ, CALL_REQ, session, kind, created_at, received_at, size, count, flags);
    return run(from_field(RELAYD_FIELD_SUB_ID));
}

RELAYD_EXPORT(RELAYD_EXPORT_ON_COUNT)
int32_t on_count(RELAYD_HOOK_ARGS) {
    begin(RELAYD_HOOK_COUNT, CALL_REQ, session, kind, created_at, received_at, size, count, flags);
    return run(from_field(RELAYD_FIELD_SUB_ID));
}

RELAYD_EXPORT(RELAYD_EXPORT_ON_CONNECT)
int32_t on_connect(RELAYD_HOOK_ARGS) {
    begin(RELAYD_HOOK_CONNECT, CALL_SESSION, session, kind, created_at, received_at, size, count, flags);
    return run(from_header());
}

RELAYD_EXPORT(RELAYD_EXPORT_ON_CLOSE)
int32_t on_close(RELAYD_HOOK_ARGS) {
    begin(RELAYD_HOOK_CLOSE, CALL_SESSION, session, kind, created_at, received_at, size, count, flags);
    run(from_header());
    return relayd_accept();
}

/* init refuses to load when [config] has a string init_fail. The C SDK has
 * no JSON string reader (relayd_config_ints only), so this looks for the
 * key in the raw config: enough for the kit, whose configs are small. */
RELAYD_EXPORT(RELAYD_EXPORT_INIT)
int32_t init(void) {
    int32_t n = relayd_read(RELAYD_FIELD_CONFIG, out, CAP);
    static const char key[] = "\"init_fail\":\"";
    for (int32_t i = 0; n > 0 && i + (int32_t)sizeof key - 1 <= n; i++) {
        int32_t j = 0;
        while (key[j] && out[i + j] == key[j])
            j++;
        if (key[j] == 0) {
            char *msg = out + i + j, *e = msg;
            while (*e && *e != '"')
                e++;
            *e = 0;
            return relayd_init_fail(msg);
        }
    }
    relayd_declare_methods("[\"tck\"]");
    static const char tick[] = "\"tick\":true";
    for (int32_t i = 0; n > 0 && i + (int32_t)sizeof tick - 1 <= n; i++) {
        int32_t j = 0;
        while (tick[j] && out[i + j] == tick[j])
            j++;
        if (tick[j] == 0)
            return RELAYD_HOOK_MASK_ALL | RELAYD_HOOK_BIT(RELAYD_HOOK_TICK);
    }
    return RELAYD_HOOK_MASK_ALL;
}

/* on_tick counts the ticks in the shared counter tck-ticks ([config] tick). */
RELAYD_EXPORT(RELAYD_EXPORT_ON_TICK)
int32_t on_tick(void) {
    int64_t r;
    return relayd_counter_add("tck-ticks", 9, 1, 0, &r) < 0 ? -1 : 0;
}

/* manage serves the method tck: its first param is a command (sdk/tck/README.md,
 * "Management"), a JSON string the kit writes without escapes. */
RELAYD_EXPORT(RELAYD_EXPORT_ON_MANAGE)
int32_t manage(int64_t session, int32_t kind, int64_t created_at, int64_t received_at, int32_t size, int32_t count,
               int32_t flags) {
    (void)session, (void)kind, (void)created_at, (void)received_at, (void)size, (void)count, (void)flags;
    int32_t n = relayd_read(RELAYD_FIELD_PARAMS, out, CAP);
    if (n < 4 || out[0] != '[' || out[1] != '"' || out[n - 2] != '"' || out[n - 1] != ']')
        return relayd_manage_error("want one string param");
    if (n == 10 && out[2] == 'p' && out[3] == 'a' && out[4] == 'r' && out[5] == 'a' && out[6] == 'm' && out[7] == 's')
        return relayd_manage_result(out, n);
    out[n - 2] = 0;
    char *cmd = out + 2;
    if (cmd[0] == 'r' && cmd[1] == 'e' && cmd[2] == 's' && cmd[3] == 'u' && cmd[4] == 'l' && cmd[5] == 't' && cmd[6] == ' ')
        return relayd_manage_result(cmd + 7, len(cmd + 7));
    if (cmd[0] == 'r' && cmd[1] == 'e' && cmd[2] == 'f' && cmd[3] == 'u' && cmd[4] == 's' && cmd[5] == 'e' && cmd[6] == ' ')
        return relayd_manage_error(cmd + 7);
    return relayd_manage_error("unknown command");
}

RELAYD_EXPORT(RELAYD_EXPORT_LIMITATION)
int32_t limitation(void) {
    static const char lim[] = "{\"tck\":1}";
    return relayd_set_output(RELAYD_OUTPUT_LIMITATION, lim, (int32_t)sizeof lim - 1);
}
