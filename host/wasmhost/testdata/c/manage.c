/*
 * manage.c: NIP-86 methods from C (sdk/c). "remember" keeps its params in
 * the durable state, "recall" answers them, "forget" refuses.
 */
#include "relayd.h"

static char buf[1024];

RELAYD_EXPORT(RELAYD_EXPORT_INIT)
int32_t init(void) {
    relayd_declare_methods("[\"remember\",\"recall\",\"forget\"]");
    return RELAYD_HOOK_BIT(RELAYD_HOOK_MANAGE);
}

RELAYD_EXPORT(RELAYD_EXPORT_ON_MANAGE)
int32_t on_manage(RELAYD_HOOK_ARGS) {
    char method[RELAYD_MAX_METHOD_LEN + 1];
    if (relayd_read(RELAYD_FIELD_METHOD, method, sizeof method) < 0)
        return relayd_manage_error("no method");
    if (method[0] == 'r' && method[2] == 'm') { /* remember */
        int32_t n = relayd_read(RELAYD_FIELD_PARAMS, buf, sizeof buf);
        if (n < 0)
            return relayd_manage_error("params too long");
        if (relayd_db_put("last", 4, buf, n, 0) < 0)
            return relayd_manage_error("cannot store");
        return relayd_manage_result(0, 0);
    }
    if (method[0] == 'r') { /* recall */
        int32_t n = relayd_db_get("last", 4, buf, sizeof buf);
        if (n < 0 || n > (int32_t)sizeof buf)
            return relayd_manage_result("null", 4);
        return relayd_manage_result(buf, n);
    }
    return relayd_manage_error("will not forget");
}
