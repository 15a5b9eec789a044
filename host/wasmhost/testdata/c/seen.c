/*
 * seen.c: a C plugin on the durable state (sdk/c relayd_db_*), for
 * db_c_test.go. relayd_on_event records the event's author under
 * "seen/<pubkey>" if absent, counts the authors seen by paging through
 * relayd_db_list one entry at a time, and rejects with the message
 * "new n=<authors> keys=<keys>" or "seen n=... keys=...", or "err=<code>".
 */
#include "relayd.h"

static char key[5 + 64] = "seen/";
static uint8_t page[RELAYD_DB_ENTRY_HEADER_LEN + sizeof key]; /* one entry */
static char msg[64];

RELAYD_EXPORT(RELAYD_EXPORT_INIT)
int32_t init(void) { return RELAYD_HOOK_BIT(RELAYD_HOOK_EVENT); }

static int32_t fail(int32_t rc) {
    *relayd_put_int(relayd_put_str(msg, "err="), rc) = 0;
    return relayd_reject(RELAYD_PREFIX_ERROR, msg);
}

/* authors pages through the keys under "seen/", one per call. */
static int32_t authors(void) {
    static uint8_t after[sizeof key];
    int32_t after_len = 0, n = 0;
    for (;;) {
        int32_t got = relayd_db_list(key, 5, after, after_len, 0, 0, page, sizeof page);
        if (got <= 0)
            return got < 0 ? got : n;
        if (got > (int32_t)sizeof page)
            return RELAYD_ERR_TOO_LARGE;
        const uint8_t *p = page, *k, *v;
        int32_t kl, vl;
        while (relayd_db_next(&p, page + got, &k, &kl, &v, &vl)) {
            for (int32_t i = 0; i < kl; i++)
                after[i] = k[i];
            after_len = kl;
            n++;
        }
    }
}

RELAYD_EXPORT(RELAYD_EXPORT_ON_EVENT)
int32_t on_event(RELAYD_HOOK_ARGS) {
    if (relayd_get(RELAYD_FIELD_PUBKEY, key + 5, 64) != 64)
        return fail(RELAYD_ERR_INVALID);
    int32_t rc = relayd_db_put(key, sizeof key, "1", 1, RELAYD_DB_PUT_IF_ABSENT);
    if (rc != RELAYD_OK && rc != RELAYD_ERR_MISMATCH)
        return fail(rc);
    if (relayd_db_has(key, sizeof key) != 1)
        return fail(RELAYD_ERR_NOT_FOUND);
    int32_t n = authors();
    if (n < 0)
        return fail(n);
    int64_t usage[4];
    int32_t urc = relayd_db_usage(usage);
    if (urc < 0)
        return fail(urc);
    char *p = relayd_put_str(msg, rc == RELAYD_OK ? "new n=" : "seen n=");
    p = relayd_put_int(relayd_put_str(relayd_put_int(p, n), " keys="), usage[0]);
    *p = 0;
    return relayd_reject(RELAYD_PREFIX_BLOCKED, msg);
}
