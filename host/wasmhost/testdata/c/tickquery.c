/*
 * tickquery.c: a C plugin that ticks and reads the store. Each tick reads
 * the stored kind-1 events with relayd_store_query (probing the length
 * first) and keeps their count and total JSON size in durable state; the
 * event hook refuses with "n=COUNT bytes=SIZE" from there.
 */
#include "relayd.h"

static uint8_t buf[65536];

/* fail ends a tick with an error the relay logs. */
static int32_t fail(const char *msg) {
    relayd_message(msg, relayd_strlen(msg));
    return -1;
}

RELAYD_EXPORT(RELAYD_EXPORT_INIT)
int32_t init(void) { return RELAYD_HOOK_BIT(RELAYD_HOOK_EVENT) | RELAYD_HOOK_BIT(RELAYD_HOOK_TICK); }

RELAYD_EXPORT(RELAYD_EXPORT_ON_TICK)
int32_t on_tick(void) {
    static const char filter[] = "{\"kinds\":[1]}";
    int32_t need = relayd_store_query(filter, sizeof filter - 1, buf, 0);
    if (need < 0 || need > (int32_t)sizeof buf)
        return fail("query failed");
    int32_t n = relayd_store_query(filter, sizeof filter - 1, buf, sizeof buf);
    uint32_t count, flags;
    if (n != need || !relayd_query_header(buf, n, &count, &flags))
        return fail("bad result");
    const uint8_t *p = buf + RELAYD_QUERY_HEADER_LEN;
    const char *json;
    int32_t json_len;
    int64_t vals[2] = {0, 0};
    while (relayd_query_next(&p, buf + n, &json, &json_len)) {
        vals[0]++;
        vals[1] += json_len;
    }
    if (vals[0] != (int64_t)count)
        return fail("count mismatch");
    return relayd_db_put("n", 1, vals, sizeof vals, 0);
}

RELAYD_EXPORT(RELAYD_EXPORT_ON_EVENT)
int32_t on_event(RELAYD_HOOK_ARGS) {
    int64_t vals[2] = {-1, -1};
    relayd_db_get("n", 1, vals, sizeof vals);
    char msg[64];
    *relayd_put_int(relayd_put_str(relayd_put_int(relayd_put_str(msg, "n="), vals[0]), " bytes="), vals[1]) = 0;
    return relayd_reject(RELAYD_PREFIX_BLOCKED, msg);
}
