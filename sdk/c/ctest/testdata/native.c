/*
 * native.c runs relayd.c's helpers natively, for header_test.go: it reads
 * cases from stdin, one per line, and prints one result line per case.
 *
 *   ints<TAB>key<TAB>config   ->  rc[: v,v,...]   (relayd_config_ints, max 4)
 *   int<TAB>n                 ->  relayd_put_int(n)
 *
 * relayd_get is a stub that serves the case's config.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "relayd.h"

static const char *config_json = "";

int32_t relayd_get(int32_t field, void *buf, int32_t buf_limit) {
    if (field != RELAYD_FIELD_CONFIG)
        return RELAYD_ERR_NOT_FOUND;
    int32_t n = (int32_t)strlen(config_json);
    if (n <= buf_limit)
        memcpy(buf, config_json, n);
    return n;
}

int main(void) {
    static char line[16384];
    while (fgets(line, sizeof line, stdin)) {
        line[strcspn(line, "\n")] = 0;
        char *op = strtok(line, "\t"), *a = strtok(NULL, "\t"), *b = strtok(NULL, "\t");
        if (op && a && strcmp(op, "int") == 0) {
            char out[32];
            *relayd_put_int(out, strtoll(a, NULL, 10)) = 0;
            printf("%s\n", out);
        } else if (op && a && strcmp(op, "ints") == 0) {
            int64_t v[4];
            config_json = b ? b : "";
            int32_t rc = relayd_config_ints(a, v, 4);
            printf("%" PRId32, rc);
            for (int32_t i = 0; i < rc; i++)
                printf("%s%" PRId64, i ? "," : ": ", v[i]);
            printf("\n");
        } else {
            printf("bad case\n");
        }
        fflush(stdout);
    }
    return 0;
}
