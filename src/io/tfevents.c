/* TensorBoard event files for scalars: table-driven CRC-32C, TFRecord framing and the Event /
 * Summary protobuf messages encoded by hand (varints and fixed-width fields, little-endian). */
#include "io/tfevents_impl.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

/* ---- CRC-32C ------------------------------------------------------------------------------ */

static uint32_t g_crc_table[256];
static pthread_once_t g_crc_once = PTHREAD_ONCE_INIT;

static void crc_init(void) {
    for (uint32_t i = 0; i < 256; i++) {
        uint32_t c = i;
        for (int k = 0; k < 8; k++) c = (c & 1) ? (c >> 1) ^ 0x82F63B78u : c >> 1;
        g_crc_table[i] = c;
    }
}

uint32_t rlc__crc32c(uint32_t crc, const void *data, size_t n) {
    pthread_once(&g_crc_once, crc_init);
    const uint8_t *p = data;
    crc = ~crc;
    for (size_t i = 0; i < n; i++) crc = g_crc_table[(crc ^ p[i]) & 0xFF] ^ (crc >> 8);
    return ~crc;
}

uint32_t rlc__crc32c_masked(const void *data, size_t n) {
    uint32_t c = rlc__crc32c(0, data, n);
    return ((c >> 15) | (c << 17)) + 0xa282ead8u;
}

/* ---- protobuf encoding -------------------------------------------------------------------- */

/* A byte buffer; `oom` latches the first allocation failure. */
typedef struct pbuf {
    uint8_t *p;
    size_t len, cap;
    int oom;
} pbuf;

static void pb_bytes(pbuf *b, const void *src, size_t n) {
    if (b->oom) return;
    if (b->len + n > b->cap) {
        size_t cap = b->cap ? b->cap : 256;
        while (cap < b->len + n) cap *= 2;
        uint8_t *p = rlc_realloc(b->p, cap);
        if (!p) {
            b->oom = 1;
            return;
        }
        b->p = p;
        b->cap = cap;
    }
    memcpy(b->p + b->len, src, n);
    b->len += n;
}

static void pb_varint(pbuf *b, uint64_t v) {
    uint8_t t[10];
    int n = 0;
    do {
        t[n] = (uint8_t)(v & 0x7F);
        v >>= 7;
        if (v) t[n] |= 0x80;
        n++;
    } while (v);
    pb_bytes(b, t, (size_t)n);
}

/* Length of a varint without writing it. */
static size_t varint_len(uint64_t v) {
    size_t n = 1;
    while (v >= 0x80) {
        v >>= 7;
        n++;
    }
    return n;
}

static void pb_le(pbuf *b, uint64_t v, int nbytes) {
    uint8_t t[8];
    for (int i = 0; i < nbytes; i++) t[i] = (uint8_t)(v >> (8 * i));
    pb_bytes(b, t, (size_t)nbytes);
}

/* Wire types: 0 varint, 1 fixed64, 2 length-delimited, 5 fixed32. */
static void pb_key(pbuf *b, int field, int wire) {
    pb_varint(b, ((uint64_t)field << 3) | (uint64_t)wire);
}

static void pb_double(pbuf *b, int field, double v) {
    uint64_t u;
    memcpy(&u, &v, 8);
    pb_key(b, field, 1);
    pb_le(b, u, 8);
}

static void pb_float(pbuf *b, int field, float v) {
    uint32_t u;
    memcpy(&u, &v, 4);
    pb_key(b, field, 5);
    pb_le(b, u, 4);
}

static void pb_string(pbuf *b, int field, const char *s, size_t n) {
    pb_key(b, field, 2);
    pb_varint(b, n);
    pb_bytes(b, s, n);
}

static size_t pb_finish(pbuf *b, uint8_t **buf, size_t *cap) {
    *buf = b->p;
    *cap = b->cap;
    if (b->oom) {
        rlc_error(RLC_ERR_NOMEM, "tfevents: out of memory encoding an event");
        return 0;
    }
    return b->len;
}

size_t rlc__tfevents_encode_version(uint8_t **buf, size_t *cap, double wall_time,
                                    const char *version) {
    pbuf b = {*buf, 0, *cap, 0};
    pb_double(&b, 1, wall_time);
    pb_string(&b, 3, version, strlen(version));
    return pb_finish(&b, buf, cap);
}

size_t rlc__tfevents_encode_scalars(uint8_t **buf, size_t *cap, double wall_time, int64_t step,
                                    int n, const char *const *tags, const double *values) {
    pbuf b = {*buf, 0, *cap, 0};
    pb_double(&b, 1, wall_time);
    pb_key(&b, 2, 0);
    pb_varint(&b, (uint64_t)step); /* int64: negative values take ten bytes */
    /* Summary length: each value is key + length + Value{tag, simple_value}. */
    size_t summary_len = 0;
    for (int i = 0; i < n; i++) {
        size_t tl = strlen(tags[i]);
        size_t value_len = 1 + varint_len(tl) + tl + 1 + 4;
        summary_len += 1 + varint_len(value_len) + value_len;
    }
    pb_key(&b, 5, 2);
    pb_varint(&b, summary_len);
    for (int i = 0; i < n; i++) {
        size_t tl = strlen(tags[i]);
        size_t value_len = 1 + varint_len(tl) + tl + 1 + 4;
        pb_key(&b, 1, 2);
        pb_varint(&b, value_len);
        pb_string(&b, 1, tags[i], tl);
        pb_float(&b, 2, (float)values[i]);
    }
    return pb_finish(&b, buf, cap);
}

int rlc__tfrecord_write(FILE *fp, const void *data, size_t n) {
    uint8_t head[12], tail[4];
    for (int i = 0; i < 8; i++) head[i] = (uint8_t)((uint64_t)n >> (8 * i));
    uint32_t c = rlc__crc32c_masked(head, 8);
    for (int i = 0; i < 4; i++) head[8 + i] = (uint8_t)(c >> (8 * i));
    c = rlc__crc32c_masked(data, n);
    for (int i = 0; i < 4; i++) tail[i] = (uint8_t)(c >> (8 * i));
    if (fwrite(head, 1, 12, fp) != 12) return -1;
    if (n && fwrite(data, 1, n, fp) != n) return -1;
    if (fwrite(tail, 1, 4, fp) != 4) return -1;
    return 0;
}

/* ---- the file ----------------------------------------------------------------------------- */

struct rlc__tfevents {
    FILE *fp;
    char *path;
    uint8_t *buf; /* encoding scratch, reused */
    size_t cap;
};

double rlc__wall_time(void) {
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

rlc_status rlc__tfevents_open(rlc__tfevents **out, const char *dir, const char *host,
                              double wall_time) {
    rlc__tfevents *w = rlc_calloc(1, sizeof *w);
    if (!w) return RLC_ERR_NOMEM;
    size_t plen = strlen(dir) + strlen(host) + 64;
    w->path = rlc_malloc(plen);
    if (!w->path) {
        rlc_free(w);
        return RLC_ERR_NOMEM;
    }
    long long t = (long long)wall_time;
    for (int k = 0; k < 1000 && !w->fp; k++) {
        if (k)
            snprintf(w->path, plen, "%s/events.out.tfevents.%lld.%s.%d", dir, t, host, k);
        else
            snprintf(w->path, plen, "%s/events.out.tfevents.%lld.%s", dir, t, host);
        /* Exclusive creation: two runs in one second never share a file. */
        int fd = open(w->path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
        if (fd < 0 && errno == EEXIST) continue;
        if (fd < 0) break;
        w->fp = fdopen(fd, "wb");
        if (!w->fp) close(fd);
    }
    if (!w->fp) {
        rlc_status s =
            rlc_error(RLC_ERR_IO, "cannot create '%s': %s", w->path, strerror(errno));
        rlc_free(w->path);
        rlc_free(w);
        return s;
    }
    size_t n = rlc__tfevents_encode_version(&w->buf, &w->cap, wall_time, "brain.Event:2");
    rlc_status s = RLC_OK;
    if (!n)
        s = RLC_ERR_NOMEM;
    else if (rlc__tfrecord_write(w->fp, w->buf, n) != 0 || fflush(w->fp) != 0)
        s = rlc_error(RLC_ERR_IO, "cannot write '%s': %s", w->path, strerror(errno));
    if (s) {
        char msg[1024];
        snprintf(msg, sizeof msg, "%s", rlc_last_error());
        fclose(w->fp);
        unlink(w->path);
        rlc_free(w->buf);
        rlc_free(w->path);
        rlc_free(w);
        return rlc_error(s, "%s", msg);
    }
    *out = w;
    return RLC_OK;
}

rlc_status rlc__tfevents_scalars(rlc__tfevents *w, double wall_time, int64_t step, int n,
                                 const char *const *tags, const double *values) {
    size_t len = rlc__tfevents_encode_scalars(&w->buf, &w->cap, wall_time, step, n, tags, values);
    if (!len) return RLC_ERR_NOMEM;
    if (rlc__tfrecord_write(w->fp, w->buf, len) != 0)
        return rlc_error(RLC_ERR_IO, "cannot write '%s': %s", w->path, strerror(errno));
    return RLC_OK;
}

rlc_status rlc__tfevents_flush(rlc__tfevents *w) {
    if (fflush(w->fp) != 0 || ferror(w->fp))
        return rlc_error(RLC_ERR_IO, "cannot write '%s': %s", w->path, strerror(errno));
    return RLC_OK;
}

const char *rlc__tfevents_path(const rlc__tfevents *w) {
    return w ? w->path : NULL;
}

rlc_status rlc__tfevents_close(rlc__tfevents *w) {
    if (!w) return RLC_OK;
    rlc_status s = rlc__tfevents_flush(w);
    if (fclose(w->fp) != 0 && !s)
        s = rlc_error(RLC_ERR_IO, "cannot close '%s': %s", w->path, strerror(errno));
    rlc_free(w->buf);
    rlc_free(w->path);
    rlc_free(w);
    return s;
}
