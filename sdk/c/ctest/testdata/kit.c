/*
 * kit.c calls every relayd_v1 import and every helper of relayd.h, so that
 * header_test.go can compare the imports clang emits with ABI.md's .wat
 * signatures. It is built with -Wall -Wextra -Werror.
 */
#include "relayd.h"

static char buf[256];
static int64_t result;

RELAYD_EXPORT(RELAYD_EXPORT_INIT)
int32_t init(void) {
    relayd_declare_methods("[\"kit\"]");
    return RELAYD_HOOK_MASK_ALL | RELAYD_HOOK_BIT(RELAYD_HOOK_TICK);
}

RELAYD_EXPORT(RELAYD_EXPORT_ON_MANAGE)
int32_t on_manage(RELAYD_HOOK_ARGS) {
    int32_t n = relayd_read(RELAYD_FIELD_PARAMS, buf, sizeof buf);
    if (n < 0)
        return relayd_manage_error("no params");
    return relayd_manage_result(buf, n);
}

RELAYD_EXPORT(RELAYD_EXPORT_LIMITATION)
int32_t limitation(void) {
    const char lim[] = "{\"max_limit\":10}";
    return relayd_set_output(RELAYD_OUTPUT_LIMITATION, lim, sizeof lim - 1);
}

RELAYD_EXPORT(RELAYD_EXPORT_ON_TICK)
int32_t on_tick(void) { return 0; }

RELAYD_EXPORT(RELAYD_EXPORT_ON_EVENT)
int32_t on_event(RELAYD_HOOK_ARGS) {
    int64_t kinds[4];
    int32_t sum = relayd_read(RELAYD_FIELD_PUBKEY, buf, sizeof buf);
    sum += relayd_read_tag(0, buf, sizeof buf);
    sum += relayd_get_header("origin", 6, buf, sizeof buf);
    sum += relayd_get_file("list.txt", 8, buf, sizeof buf);
    sum += (int32_t)relayd_now();
    sum += relayd_log_enabled(RELAYD_LOG_INFO);
    relayd_log_str(RELAYD_LOG_INFO, "kit");
    sum += (int32_t)relayd_features();
    sum += relayd_counter_add("c", 1, 1, 0, &result);
    sum += relayd_counter_get("c", 1, &result);
    sum += (int32_t)relayd_bucket_take("b", 1, 1, 0.5, 2);
    sum += relayd_kv_get("k", 1, buf, sizeof buf);
    sum += relayd_kv_set("k", 1, "v", 1, 0);
    sum += relayd_kv_cas("k", 1, "v", 1, "w", 1, 0);
    sum += relayd_kv_delete("k", 1);
    sum += relayd_store_count("{}", 2, &result);
    sum += relayd_db_put("k", 1, "v", 1, RELAYD_DB_PUT_IF_ABSENT);
    sum += relayd_db_get("k", 1, buf, sizeof buf);
    sum += relayd_db_has("k", 1);
    sum += relayd_db_delete("k", 1);
    {
        int64_t usage[4];
        const uint8_t *p = (const uint8_t *)buf, *key, *val;
        int32_t key_len, val_len;
        int32_t n = relayd_db_list("", 0, "", 0, 0, RELAYD_DB_LIST_VALUES, buf, sizeof buf);
        while (n > 0 && n <= (int32_t)sizeof buf &&
               relayd_db_next(&p, (const uint8_t *)buf + n, &key, &key_len, &val, &val_len))
            sum += key_len + val_len;
        sum += relayd_db_usage(usage);
    }
    {
        const uint8_t *p = (const uint8_t *)buf + RELAYD_QUERY_HEADER_LEN;
        const char *json;
        int32_t json_len;
        uint32_t count, flags;
        int32_t n = relayd_store_query("{}", 2, buf, sizeof buf);
        if (n > 0 && n <= (int32_t)sizeof buf && relayd_query_header((const uint8_t *)buf, n, &count, &flags))
            while (relayd_query_next(&p, (const uint8_t *)buf + n, &json, &json_len))
                sum += json_len + (int32_t)count + (int32_t)flags;
        static const uint32_t dm[2] = {4, 1059};
        sum += relayd_hook_kinds(RELAYD_HOOK_DELIVER, dm, 2);
        sum += relayd_select_session(0);
    }
    sum += relayd_config_ints("kinds", kinds, 4);
    *relayd_put_int(relayd_put_str(buf, "n="), sum) = 0;
    switch (kind) {
    case 1:
        return relayd_reject(RELAYD_PREFIX_BLOCKED, buf);
    case 2:
        return relayd_shadow_reject();
    case 3:
        return relayd_rate_limited(buf);
    case 4:
        return relayd_rewrite(RELAYD_OUTPUT_PAYLOAD, "{}", 2);
    case 5:
        return relayd_init_fail(buf);
    }
    return relayd_accept();
}
