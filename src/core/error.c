/* Status names and the thread-local last-error buffer. */
#include "rlc/core.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

static _Thread_local char g_last_error[1024];

const char *rlc_last_error(void) {
    return g_last_error;
}

void rlc_clear_error(void) {
    g_last_error[0] = '\0';
}

rlc_status rlc_error(rlc_status code, const char *fmt, ...) {
    /* Formatted into a local buffer first: callers may pass rlc_last_error() itself as an
     * argument to add context to an inner error. */
    char msg[sizeof g_last_error];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    memcpy(g_last_error, msg, sizeof msg);
    return code;
}

const char *rlc_status_name(rlc_status s) {
    switch (s) {
    case RLC_OK: return "RLC_OK";
    case RLC_ERR_INVALID: return "RLC_ERR_INVALID";
    case RLC_ERR_NOMEM: return "RLC_ERR_NOMEM";
    case RLC_ERR_IO: return "RLC_ERR_IO";
    case RLC_ERR_FORMAT: return "RLC_ERR_FORMAT";
    case RLC_ERR_NOT_FOUND: return "RLC_ERR_NOT_FOUND";
    case RLC_ERR_STATE: return "RLC_ERR_STATE";
    case RLC_ERR_UNSUPPORTED: return "RLC_ERR_UNSUPPORTED";
    case RLC_ERR_RANGE: return "RLC_ERR_RANGE";
    }
    return "RLC_ERR_UNKNOWN";
}

double rlc_time_now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}
