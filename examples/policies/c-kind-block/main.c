/*
 * c-kind-block is a relayd policy written in C: it refuses events of the
 * kinds listed in [config] kinds with "blocked:", on the event_pre hook
 * (the kind is a hook parameter, so the check needs no host call).
 *
 * Build (from the repository root):
 *
 *   clang --target=wasm32-wasi -mexec-model=reactor -O2 -Wl,--strip-all \
 *     -I sdk/c -o c-kind-block.wasm examples/policies/c-kind-block/main.c sdk/c/relayd.c
 */
#include "relayd.h"

#define MAX_KINDS 64

/* blocked holds [config] kinds; each instance reads it once, in relayd_init. */
static int64_t blocked[MAX_KINDS];
static int32_t nblocked;

/* relayd_init reads the config and tells the host which hooks to call. A
 * missing or bad list refuses the load; the relay logs the reason. */
RELAYD_EXPORT(RELAYD_EXPORT_INIT)
int32_t init(void) {
    nblocked = relayd_config_ints("kinds", blocked, MAX_KINDS);
    switch (nblocked) {
    case RELAYD_ERR_NOT_FOUND:
        return relayd_init_fail("config: kinds is missing; list the kinds to block, e.g. kinds = [4]");
    case RELAYD_ERR_TOO_LARGE:
        return relayd_init_fail("config: kinds has more than 64 entries");
    }
    if (nblocked < 0)
        return relayd_init_fail("config: kinds must be an array of integers");
    return RELAYD_HOOK_BIT(RELAYD_HOOK_EVENT_PRE);
}

RELAYD_EXPORT(RELAYD_EXPORT_ON_EVENT_PRE)
int32_t on_event_pre(RELAYD_HOOK_ARGS) {
    for (int32_t i = 0; i < nblocked; i++) {
        if (blocked[i] == kind) {
            char msg[64];
            char *end = relayd_put_str(relayd_put_int(relayd_put_str(msg, "kind "), kind), " is not accepted here");
            return relayd_reject_n(RELAYD_PREFIX_BLOCKED, msg, (int32_t)(end - msg));
        }
    }
    return relayd_accept();
}
