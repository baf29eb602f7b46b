/* Internal: one JSON document through cJSON (see json_impl.h). */
#include "io/json_impl.h"

rlc__json_result rlc__json_parse(const char *text, size_t len, cJSON **out, size_t *at) {
    const char *end = text;
    cJSON *root = len ? cJSON_ParseWithLengthOpts(text, len, &end, 0) : NULL;
    if (!root) {
        /* cJSON returns NULL both for bad syntax and for a failed malloc. */
        cJSON *probe = cJSON_Parse("{}");
        if (!probe) return RLC__JSON_NOMEM;
        cJSON_Delete(probe);
        if (at) *at = end && end >= text && end <= text + len ? (size_t)(end - text) : 0;
        return RLC__JSON_SYNTAX;
    }
    for (const char *p = end; p < text + len; p++) {
        if (*p != ' ' && *p != '\t' && *p != '\n' && *p != '\r') {
            cJSON_Delete(root);
            if (at) *at = (size_t)(p - text);
            return RLC__JSON_TRAILING;
        }
    }
    *out = root;
    return RLC__JSON_OK;
}
