/* Internal: parsing a JSON document with cJSON, shared by config.c and safetensors.c.
 *
 * rlc never calls cJSON_InitHooks: the hooks are process-global, so installing rlc's allocator
 * there would make a program that also uses cJSON free its own cJSON objects through rlc (a
 * crash). cJSON therefore allocates with malloc/free; its allocations are outside rlc_malloc's
 * accounting (rlc_alloc_live) and failure injection (rlc_alloc_fail_after). Every cJSON tree
 * returned here must be released with cJSON_Delete on every path. */
#ifndef RLC_IO_JSON_IMPL_H
#define RLC_IO_JSON_IMPL_H

#include <cJSON.h>
#include <stddef.h>

typedef enum rlc__json_result {
    RLC__JSON_OK,       /* *out is the tree */
    RLC__JSON_SYNTAX,   /* not valid JSON; *at is the byte where cJSON stopped (< len or 0) */
    RLC__JSON_TRAILING, /* a valid value followed by something other than white space at *at */
    RLC__JSON_NOMEM     /* cJSON ran out of memory (no message is set) */
} rlc__json_result;

/* Parses text[0, len) as exactly one JSON value followed only by spaces, tabs, CR and LF.
 * Sets *out only on RLC__JSON_OK and *at (when not NULL) only on SYNTAX or TRAILING. Uses
 * cJSON's per-call parse end, not the global cJSON_GetErrorPtr(), so it is thread-safe. A NULL
 * from cJSON is told apart from out-of-memory by parsing a tiny known-good document. */
rlc__json_result rlc__json_parse(const char *text, size_t len, cJSON **out, size_t *at);

#endif
