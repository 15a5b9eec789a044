/*
 * relayd.c: the required ABI version export and a few helpers for C
 * plugins. Compile it with the plugin; see relayd.h.
 */
#include "relayd.h"

RELAYD_EXPORT(RELAYD_EXPORT_ABI_VERSION)
int32_t relayd_abi_version(void) { return RELAYD_VERSION; }

char *relayd_put_str(char *p, const char *s) {
    while (*s)
        *p++ = *s++;
    return p;
}

char *relayd_put_int(char *p, int64_t v) {
    char tmp[20];
    int n = 0;
    uint64_t u = v < 0 ? -(uint64_t)v : (uint64_t)v;
    do {
        tmp[n++] = (char)('0' + u % 10);
        u /= 10;
    } while (u);
    if (v < 0)
        *p++ = '-';
    while (n)
        *p++ = tmp[--n];
    return p;
}

/* The config is JSON the host wrote (encoding/json of the [config] table):
 * compact (no spaces), valid, keys sorted. The scanner below relies on
 * "compact" but still bounds every step. */

/* config is read once per relayd_config_ints call; instances are
 * single-threaded. */
static char config[4096];

/* skip_string returns the index after the string starting at i (a '"'),
 * or -1. */
static int32_t skip_string(const char *s, int32_t n, int32_t i) {
    for (i++; i < n; i++) {
        if (s[i] == '\\')
            i++;
        else if (s[i] == '"')
            return i + 1;
    }
    return -1;
}

/* skip_value returns the index just after the JSON value starting at i
 * (at the ',' or '}' that follows it), or -1. Nested arrays and objects
 * are skipped by depth, minding strings. */
static int32_t skip_value(const char *s, int32_t n, int32_t i) {
    int32_t depth = 0;
    while (i < n) {
        char c = s[i];
        if (c == '"') {
            if ((i = skip_string(s, n, i)) < 0)
                return -1;
            if (depth == 0)
                return i;
            continue;
        }
        if (c == '[' || c == '{') {
            depth++;
        } else if (c == ']' || c == '}') {
            if (depth == 0)
                return i; /* the end of the enclosing object */
            if (--depth == 0)
                return i + 1;
        } else if (c == ',' && depth == 0) {
            return i;
        }
        i++;
    }
    return -1;
}

/* key_is reports whether the JSON string at s[i..j) (quotes included) is
 * key, which has no escapes. */
static int key_is(const char *s, int32_t i, int32_t j, const char *key) {
    int32_t k = 0;
    for (i++; i < j - 1; i++, k++)
        if (key[k] == 0 || s[i] != key[k])
            return 0;
    return key[k] == 0;
}

/* parse_ints reads an array of integers at s[i..n) into out. */
static int32_t parse_ints(const char *s, int32_t n, int32_t i, int64_t *out, int32_t max) {
    int32_t count = 0;
    if (i >= n || s[i++] != '[')
        return RELAYD_ERR_INVALID;
    if (i < n && s[i] == ']')
        return 0;
    while (i < n) {
        int neg = s[i] == '-';
        i += neg;
        if (i >= n || s[i] < '0' || s[i] > '9')
            return RELAYD_ERR_INVALID;
        int64_t v = 0;
        for (; i < n && s[i] >= '0' && s[i] <= '9'; i++) {
            if (v > (INT64_MAX - 9) / 10)
                return RELAYD_ERR_INVALID;
            v = v * 10 + (s[i] - '0');
        }
        if (count == max)
            return RELAYD_ERR_TOO_LARGE;
        out[count++] = neg ? -v : v;
        if (i < n && s[i] == ']')
            return count;
        if (i >= n || s[i++] != ',')
            return RELAYD_ERR_INVALID; /* 1.5, 1e3, "1"... */
    }
    return RELAYD_ERR_INVALID;
}

int32_t relayd_config_ints(const char *key, int64_t *out, int32_t max) {
    int32_t n = relayd_get(RELAYD_FIELD_CONFIG, config, sizeof config);
    if (n < 0)
        return n;
    if (n > (int32_t)sizeof config)
        return RELAYD_ERR_TOO_LARGE;
    if (n < 2 || config[0] != '{')
        return RELAYD_ERR_INVALID;
    int32_t i = 1;
    while (i < n && config[i] == '"') {
        int32_t end = skip_string(config, n, i);
        if (end < 0 || end >= n || config[end] != ':')
            return RELAYD_ERR_INVALID;
        if (key_is(config, i, end, key))
            return parse_ints(config, n, end + 1, out, max);
        if ((i = skip_value(config, n, end + 1)) < 0 || i >= n)
            return RELAYD_ERR_INVALID;
        if (config[i] == ',')
            i++;
    }
    return RELAYD_ERR_NOT_FOUND;
}
