/* rlc core: status codes, the thread-local last-error message, the allocation hook and the
 * export macro every public header uses. */
#ifndef RLC_CORE_H
#define RLC_CORE_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#if defined(__GNUC__)
#define RLC_API __attribute__((visibility("default")))
#else
#define RLC_API
#endif

#define RLC_VERSION_MAJOR 0
#define RLC_VERSION_MINOR 1
#define RLC_VERSION_PATCH 0
#define RLC_VERSION_STRING "0.1.0"

/* Every fallible call returns an rlc_status: 0 on success, a negative code on failure, and
 * leaves a human-readable message in rlc_last_error(). Outputs are untouched on failure. */
typedef enum rlc_status {
    RLC_OK = 0,
    RLC_ERR_INVALID = -1,     /* bad argument or bad input value */
    RLC_ERR_NOMEM = -2,       /* an allocation failed */
    RLC_ERR_IO = -3,          /* open/read/write/rename failed */
    RLC_ERR_FORMAT = -4,      /* a file or string is malformed */
    RLC_ERR_NOT_FOUND = -5,   /* unknown id, key or file */
    RLC_ERR_STATE = -6,       /* call out of order (e.g. step before reset) */
    RLC_ERR_UNSUPPORTED = -7, /* feature not built or not applicable */
    RLC_ERR_RANGE = -8        /* numeric argument out of range, NaN or inf */
} rlc_status;

/* Message of the last failure on this thread ("" if none). Valid until the next failing call
 * on the same thread. Never NULL. */
RLC_API const char *rlc_last_error(void);
/* Short name of a status code, e.g. "RLC_ERR_IO". */
RLC_API const char *rlc_status_name(rlc_status s);
/* Clears the last-error message of this thread. */
RLC_API void rlc_clear_error(void);
/* Sets the message (printf format) and returns `code`, so callers can write
 * `return rlc_error(RLC_ERR_INVALID, "bad %s", what);`. Also usable by user extensions. */
RLC_API rlc_status rlc_error(rlc_status code, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 2, 3)))
#endif
    ;

/* The allocation hook. All memory rlc allocates goes through these three functions; the
 * defaults are malloc/realloc/free. `user` is passed back unchanged. */
typedef struct rlc_allocator {
    void *(*alloc)(void *user, size_t size);
    void *(*realloc)(void *user, void *ptr, size_t size);
    void (*free)(void *user, void *ptr);
    void *user;
} rlc_allocator;

/* Installs `a` (copied), or restores the default when `a` is NULL. Not thread-safe: call it
 * before creating any rlc object. Memory must be freed by the allocator that made it. */
RLC_API void rlc_set_allocator(const rlc_allocator *a);

/* Fault injection for tests: the `n`-th allocation from now (1-based) and every later one
 * fail, until rlc_alloc_fail_reset(). n = 0 disables. Counts only rlc's own allocations. */
RLC_API void rlc_alloc_fail_after(long n);
RLC_API void rlc_alloc_fail_reset(void);
/* Number of allocations made through the hook since the last rlc_alloc_fail_after/reset. */
RLC_API long rlc_alloc_count(void);
/* Bytes currently allocated through the hook and not yet freed (tracked for leak checks). */
RLC_API long long rlc_alloc_live(void);

/* Allocation entry points (also for extensions). rlc_malloc/rlc_calloc set an RLC_ERR_NOMEM
 * message on failure. rlc_free accepts NULL. */
RLC_API void *rlc_malloc(size_t size);
RLC_API void *rlc_calloc(size_t count, size_t size);
RLC_API void *rlc_realloc(void *ptr, size_t size);
RLC_API void rlc_free(void *ptr);
RLC_API char *rlc_strdup(const char *s);

/* Sets the BLAS thread count (OpenBLAS); tests use 1 for bit-identical results. No-op when
 * rlc was built without BLAS. */
RLC_API void rlc_set_blas_threads(int n);
/* 1 if matrix products go to CBLAS (OpenBLAS), 0 if the portable kernel is used. */
RLC_API int rlc_have_blas(void);

/* Finds the data file `rel` (e.g. "mujoco/hopper.xml", "defaults/ppo.json") and writes its
 * path to out[cap]. Search order: $RLC_DATA_DIR, the installed share folder of the build
 * ($(PREFIX)/share/rlc), ./data, the data/ folder of the source tree the library was built
 * from, /usr/local/share/rlc, /usr/share/rlc. RLC_ERR_NOT_FOUND (message lists every path
 * tried) if none holds it. */
RLC_API rlc_status rlc_data_find(const char *rel, char *out, size_t cap);

/* Monotonic wall clock in seconds. */
RLC_API double rlc_time_now(void);

#ifdef __cplusplus
}
#endif
#endif
