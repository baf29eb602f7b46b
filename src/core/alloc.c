/* The single allocation hook. A small header in front of each block records its size so that
 * live bytes can be tracked (leak checks in tests) and fault injection can count calls. */
#include "rlc/core.h"

#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

static void *default_alloc(void *user, size_t size) {
    (void)user;
    return malloc(size);
}
static void *default_realloc(void *user, void *ptr, size_t size) {
    (void)user;
    return realloc(ptr, size);
}
static void default_free(void *user, void *ptr) {
    (void)user;
    free(ptr);
}

static rlc_allocator g_alloc = {default_alloc, default_realloc, default_free, NULL};
static atomic_long g_count;
static atomic_long g_fail_at;
static atomic_llong g_live;

/* 16 bytes keep the user pointer aligned for any scalar and for SSE loads. */
#define HDR 16

void rlc_set_allocator(const rlc_allocator *a) {
    if (a) {
        g_alloc = *a;
    } else {
        g_alloc.alloc = default_alloc;
        g_alloc.realloc = default_realloc;
        g_alloc.free = default_free;
        g_alloc.user = NULL;
    }
}

void rlc_alloc_fail_after(long n) {
    atomic_store(&g_count, 0);
    atomic_store(&g_fail_at, n);
}

void rlc_alloc_fail_reset(void) {
    atomic_store(&g_count, 0);
    atomic_store(&g_fail_at, 0);
}

long rlc_alloc_count(void) {
    return atomic_load(&g_count);
}

long long rlc_alloc_live(void) {
    return atomic_load(&g_live);
}

static int should_fail(void) {
    long c = atomic_fetch_add(&g_count, 1) + 1;
    long f = atomic_load(&g_fail_at);
    return f > 0 && c >= f;
}

void *rlc_malloc(size_t size) {
    if (size > (size_t)-1 - HDR || should_fail()) {
        rlc_error(RLC_ERR_NOMEM, "out of memory allocating %zu bytes", size);
        return NULL;
    }
    unsigned char *p = g_alloc.alloc(g_alloc.user, size + HDR);
    if (!p) {
        rlc_error(RLC_ERR_NOMEM, "out of memory allocating %zu bytes", size);
        return NULL;
    }
    memcpy(p, &size, sizeof size);
    atomic_fetch_add(&g_live, (long long)size);
    return p + HDR;
}

void *rlc_calloc(size_t count, size_t size) {
    if (size != 0 && count > ((size_t)-1 - HDR) / size) {
        rlc_error(RLC_ERR_NOMEM, "allocation of %zu x %zu bytes overflows", count, size);
        return NULL;
    }
    void *p = rlc_malloc(count * size);
    if (p) memset(p, 0, count * size);
    return p;
}

void *rlc_realloc(void *ptr, size_t size) {
    if (!ptr) return rlc_malloc(size);
    if (size > (size_t)-1 - HDR || should_fail()) {
        rlc_error(RLC_ERR_NOMEM, "out of memory reallocating to %zu bytes", size);
        return NULL;
    }
    unsigned char *base = (unsigned char *)ptr - HDR;
    size_t old;
    memcpy(&old, base, sizeof old);
    unsigned char *p = g_alloc.realloc(g_alloc.user, base, size + HDR);
    if (!p) {
        rlc_error(RLC_ERR_NOMEM, "out of memory reallocating to %zu bytes", size);
        return NULL;
    }
    memcpy(p, &size, sizeof size);
    atomic_fetch_add(&g_live, (long long)size - (long long)old);
    return p + HDR;
}

void rlc_free(void *ptr) {
    if (!ptr) return;
    unsigned char *base = (unsigned char *)ptr - HDR;
    size_t old;
    memcpy(&old, base, sizeof old);
    atomic_fetch_sub(&g_live, (long long)old);
    g_alloc.free(g_alloc.user, base);
}

char *rlc_strdup(const char *s) {
    size_t n = strlen(s) + 1;
    char *p = rlc_malloc(n);
    if (p) memcpy(p, s, n);
    return p;
}
