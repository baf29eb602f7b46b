/* PNG (libpng) and animated GIF (giflib) writers for RGB frames. Both write to a temporary
 * file created beside the target and rename it into place only once the file is complete. */
#include <errno.h>
#include <gif_lib.h>
#include <png.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "rlc/image.h"

/* ---------------------------------------------------------------------------------------
 * Temporary files
 * ------------------------------------------------------------------------------------- */

/* Creates "<path>.tmpXXXXXX" (mode 0644) and returns its descriptor; the name goes to *tmp
 * (rlc_malloc'd). RLC_ERR_IO / RLC_ERR_NOMEM on failure. */
static rlc_status open_temp(const char *path, char **tmp, int *fd_out) {
    size_t n = strlen(path);
    char *name = rlc_malloc(n + 12);
    if (!name) return RLC_ERR_NOMEM;
    memcpy(name, path, n);
    memcpy(name + n, ".tmpXXXXXX", 11);
    int fd = mkstemp(name);
    if (fd < 0) {
        rlc_status st = rlc_error(RLC_ERR_IO, "cannot create '%s': %s", name, strerror(errno));
        rlc_free(name);
        return st;
    }
    (void)fchmod(fd, 0644); /* mkstemp makes 0600; an image is meant to be shared */
    *tmp = name;
    *fd_out = fd;
    return RLC_OK;
}

static rlc_status commit_temp(const char *tmp, const char *path) {
    if (rename(tmp, path) != 0) {
        int e = errno;
        remove(tmp);
        return rlc_error(RLC_ERR_IO, "cannot rename '%s' to '%s': %s", tmp, path, strerror(e));
    }
    return RLC_OK;
}

/* ---------------------------------------------------------------------------------------
 * PNG
 * ------------------------------------------------------------------------------------- */

typedef struct png_ctx {
    char msg[200];
} png_ctx;

static void png_err(png_structp png, png_const_charp msg) {
    png_ctx *c = png_get_error_ptr(png);
    snprintf(c->msg, sizeof c->msg, "%s", msg);
    png_longjmp(png, 1);
}

static void png_warn(png_structp png, png_const_charp msg) {
    (void)png;
    (void)msg;
}

static png_voidp png_alloc(png_structp png, png_alloc_size_t size) {
    (void)png;
    return rlc_malloc(size);
}

static void png_dealloc(png_structp png, png_voidp p) {
    (void)png;
    rlc_free(p);
}

/* Writes the PNG stream to fp; returns 0 on success, else leaves a message in c->msg. */
static int png_write_stream(FILE *fp, const uint8_t *rgb, int width, int height, png_ctx *c) {
    png_structp png = png_create_write_struct_2(PNG_LIBPNG_VER_STRING, c, png_err, png_warn, NULL,
                                                png_alloc, png_dealloc);
    if (!png) {
        snprintf(c->msg, sizeof c->msg, "out of memory");
        return -1;
    }
    png_infop info = png_create_info_struct(png);
    if (!info) {
        png_destroy_write_struct(&png, NULL);
        snprintf(c->msg, sizeof c->msg, "out of memory");
        return -1;
    }
    if (setjmp(png_jmpbuf(png))) {
        png_destroy_write_struct(&png, &info);
        return -1;
    }
    png_init_io(png, fp);
    png_set_IHDR(png, info, (png_uint_32)width, (png_uint_32)height, 8, PNG_COLOR_TYPE_RGB,
                 PNG_INTERLACE_NONE, PNG_COMPRESSION_TYPE_DEFAULT, PNG_FILTER_TYPE_DEFAULT);
    png_write_info(png, info);
    for (int y = 0; y < height; y++)
        png_write_row(png, rgb + (size_t)y * (size_t)width * 3);
    png_write_end(png, NULL);
    png_destroy_write_struct(&png, &info);
    return 0;
}

rlc_status rlc_image_write_png(const char *path, const uint8_t *rgb, int width, int height) {
    if (!path || !rgb) return rlc_error(RLC_ERR_INVALID, "rlc_image_write_png: NULL argument");
    if (width < 1 || height < 1 || width > 65535 || height > 65535)
        return rlc_error(RLC_ERR_INVALID, "rlc_image_write_png: bad size %dx%d", width, height);
    char *tmp;
    int fd;
    rlc_status st = open_temp(path, &tmp, &fd);
    if (st) return st;
    FILE *fp = fdopen(fd, "wb");
    if (!fp) {
        st = rlc_error(RLC_ERR_IO, "cannot open '%s': %s", tmp, strerror(errno));
        close(fd);
        remove(tmp);
        rlc_free(tmp);
        return st;
    }
    png_ctx c = {""};
    int bad = png_write_stream(fp, rgb, width, height, &c);
    int e = 0;
    if (fflush(fp) != 0) e = errno;
    if (fclose(fp) != 0 && !e) e = errno;
    if (bad || e) {
        st = rlc_error(RLC_ERR_IO, "cannot write PNG '%s': %s", path, bad ? c.msg : strerror(e));
        remove(tmp);
    } else {
        st = commit_temp(tmp, path);
    }
    rlc_free(tmp);
    return st;
}

/* ---------------------------------------------------------------------------------------
 * GIF
 * ------------------------------------------------------------------------------------- */

#define HASH_SLOTS 1024 /* open addressing for up to 256 distinct colours */
#define NBINS 32768     /* 5 bits per channel for median cut */

struct rlc_gif {
    GifFileType *g;
    char *path, *tmp;
    int width, height, delay, frames, failed;
    uint8_t *index;      /* [width * height] palette indices of the frame */
    uint32_t *keys;      /* [HASH_SLOTS] colour + 1, 0 = empty */
    uint8_t *slot_index; /* [HASH_SLOTS] */
    /* median cut scratch, allocated on first use */
    uint32_t *hist; /* [NBINS] pixel counts */
    uint64_t *sums; /* [NBINS * 3] channel sums */
    uint32_t *cols; /* [NBINS] non-empty bins */
    uint8_t *lut;   /* [NBINS] bin -> palette index */
    GifColorType pal[256];
    int npal;
};

static uint32_t color_hash(uint32_t c) {
    return (c * 2654435761u) >> 22;
} /* 10 bits */

/* Exact palette: returns 0 and fills gif->pal/index if the frame has <= 256 colours. */
static int quantize_exact(rlc_gif *gif, const uint8_t *rgb) {
    memset(gif->keys, 0, HASH_SLOTS * sizeof *gif->keys);
    size_t n = (size_t)gif->width * (size_t)gif->height;
    int npal = 0;
    uint32_t last = 0xffffffffu;
    uint8_t last_idx = 0;
    for (size_t i = 0; i < n; i++) {
        const uint8_t *p = rgb + 3 * i;
        uint32_t c = ((uint32_t)p[0] << 16 | (uint32_t)p[1] << 8 | p[2]) + 1;
        if (c == last) { /* runs of one colour are the common case */
            gif->index[i] = last_idx;
            continue;
        }
        uint32_t h = color_hash(c);
        while (gif->keys[h] && gif->keys[h] != c)
            h = (h + 1) & (HASH_SLOTS - 1);
        if (!gif->keys[h]) {
            if (npal == 256) return -1;
            gif->keys[h] = c;
            gif->slot_index[h] = (uint8_t)npal;
            gif->pal[npal].Red = p[0];
            gif->pal[npal].Green = p[1];
            gif->pal[npal].Blue = p[2];
            npal++;
        }
        last = c;
        last_idx = gif->slot_index[h];
        gif->index[i] = last_idx;
    }
    gif->npal = npal;
    return 0;
}

static int bin_channel(uint32_t bin, int ch) {
    return (int)(bin >> (10 - 5 * ch)) & 31;
}

static int cmp_r(const void *a, const void *b) {
    return bin_channel(*(const uint32_t *)a, 0) - bin_channel(*(const uint32_t *)b, 0);
}
static int cmp_g(const void *a, const void *b) {
    return bin_channel(*(const uint32_t *)a, 1) - bin_channel(*(const uint32_t *)b, 1);
}
static int cmp_b(const void *a, const void *b) {
    return bin_channel(*(const uint32_t *)a, 2) - bin_channel(*(const uint32_t *)b, 2);
}

/* Median cut over the 5-bit histogram: boxes of bins split at the pixel-weighted median of
 * their widest channel until 256 boxes; each box's colour is its pixels' mean. */
static rlc_status quantize_median_cut(rlc_gif *gif, const uint8_t *rgb) {
    if (!gif->hist) {
        gif->hist = rlc_malloc(NBINS * sizeof *gif->hist);
        gif->sums = rlc_malloc(NBINS * 3 * sizeof *gif->sums);
        gif->cols = rlc_malloc(NBINS * sizeof *gif->cols);
        gif->lut = rlc_malloc(NBINS);
        if (!gif->hist || !gif->sums || !gif->cols || !gif->lut) return RLC_ERR_NOMEM;
    }
    memset(gif->hist, 0, NBINS * sizeof *gif->hist);
    memset(gif->sums, 0, NBINS * 3 * sizeof *gif->sums);
    size_t n = (size_t)gif->width * (size_t)gif->height;
    for (size_t i = 0; i < n; i++) {
        const uint8_t *p = rgb + 3 * i;
        uint32_t b = (uint32_t)(p[0] >> 3) << 10 | (uint32_t)(p[1] >> 3) << 5 | (p[2] >> 3);
        gif->hist[b]++;
        gif->sums[3 * b] += p[0];
        gif->sums[3 * b + 1] += p[1];
        gif->sums[3 * b + 2] += p[2];
    }
    int ncols = 0;
    for (uint32_t b = 0; b < NBINS; b++)
        if (gif->hist[b]) gif->cols[ncols++] = b;
    int start[256], end[256], nbox = 1;
    start[0] = 0;
    end[0] = ncols;
    while (nbox < 256) {
        /* the box with the largest channel range (ties: more pixels) that can be split */
        int best = -1, best_ch = 0, best_range = 0;
        for (int k = 0; k < nbox; k++) {
            if (end[k] - start[k] < 2) continue;
            for (int ch = 0; ch < 3; ch++) {
                int lo = 31, hi = 0;
                for (int j = start[k]; j < end[k]; j++) {
                    int v = bin_channel(gif->cols[j], ch);
                    lo = v < lo ? v : lo;
                    hi = v > hi ? v : hi;
                }
                if (hi - lo > best_range) {
                    best_range = hi - lo;
                    best = k;
                    best_ch = ch;
                }
            }
        }
        if (best < 0) break;
        int (*cmp)(const void *, const void *) = best_ch == 0   ? cmp_r
                                                 : best_ch == 1 ? cmp_g
                                                                : cmp_b;
        qsort(gif->cols + start[best], (size_t)(end[best] - start[best]), sizeof *gif->cols, cmp);
        uint64_t total = 0, acc = 0;
        for (int j = start[best]; j < end[best]; j++)
            total += gif->hist[gif->cols[j]];
        int cut = start[best] + 1;
        for (int j = start[best]; j < end[best] - 1; j++) {
            acc += gif->hist[gif->cols[j]];
            cut = j + 1;
            if (2 * acc >= total) break;
        }
        start[nbox] = cut;
        end[nbox] = end[best];
        end[best] = cut;
        nbox++;
    }
    for (int k = 0; k < nbox; k++) {
        uint64_t cnt = 0, s[3] = {0, 0, 0};
        for (int j = start[k]; j < end[k]; j++) {
            uint32_t b = gif->cols[j];
            cnt += gif->hist[b];
            for (int ch = 0; ch < 3; ch++)
                s[ch] += gif->sums[3 * b + ch];
            gif->lut[b] = (uint8_t)k;
        }
        if (!cnt) cnt = 1;
        gif->pal[k].Red = (uint8_t)((s[0] + cnt / 2) / cnt);
        gif->pal[k].Green = (uint8_t)((s[1] + cnt / 2) / cnt);
        gif->pal[k].Blue = (uint8_t)((s[2] + cnt / 2) / cnt);
    }
    gif->npal = nbox;
    for (size_t i = 0; i < n; i++) {
        const uint8_t *p = rgb + 3 * i;
        uint32_t b = (uint32_t)(p[0] >> 3) << 10 | (uint32_t)(p[1] >> 3) << 5 | (p[2] >> 3);
        gif->index[i] = gif->lut[b];
    }
    return RLC_OK;
}

static void gif_free(rlc_gif *gif) {
    rlc_free(gif->index);
    rlc_free(gif->keys);
    rlc_free(gif->slot_index);
    rlc_free(gif->hist);
    rlc_free(gif->sums);
    rlc_free(gif->cols);
    rlc_free(gif->lut);
    rlc_free(gif->path);
    rlc_free(gif->tmp);
    rlc_free(gif);
}

static rlc_status gif_fail(rlc_gif *gif, int err, const char *what) {
    gif->failed = 1;
    return rlc_error(RLC_ERR_IO, "GIF '%s': %s failed: %s", gif->path, what,
                     GifErrorString(err) ? GifErrorString(err) : "unknown error");
}

rlc_status rlc_image_gif_create(rlc_gif **out, const char *path, int width, int height,
                                int delay_cs) {
    if (!out || !path) return rlc_error(RLC_ERR_INVALID, "rlc_image_gif_create: NULL argument");
    if (width < 1 || height < 1 || width > 65535 || height > 65535 ||
        (int64_t)width * height > 0x7fffffff)
        return rlc_error(RLC_ERR_INVALID, "rlc_image_gif_create: bad size %dx%d", width, height);
    if (delay_cs < 0 || delay_cs > 65535)
        return rlc_error(RLC_ERR_RANGE, "rlc_image_gif_create: delay %d cs outside 0..65535",
                         delay_cs);
    rlc_gif *gif = rlc_calloc(1, sizeof *gif);
    if (!gif) return RLC_ERR_NOMEM;
    gif->width = width;
    gif->height = height;
    gif->delay = delay_cs;
    gif->path = rlc_strdup(path);
    gif->index = rlc_malloc((size_t)width * (size_t)height);
    gif->keys = rlc_malloc(HASH_SLOTS * sizeof *gif->keys);
    gif->slot_index = rlc_malloc(HASH_SLOTS);
    if (!gif->path || !gif->index || !gif->keys || !gif->slot_index) {
        gif_free(gif);
        return RLC_ERR_NOMEM;
    }
    int fd;
    rlc_status st = open_temp(path, &gif->tmp, &fd);
    if (st) {
        gif_free(gif);
        return st;
    }
    int err = 0;
    gif->g = EGifOpenFileHandle(fd, &err);
    if (!gif->g) {
        close(fd);
        st = gif_fail(gif, err, "open");
        remove(gif->tmp);
        gif_free(gif);
        return st;
    }
    EGifSetGifVersion(gif->g, true);
    static const unsigned char loop[3] = {1, 0, 0}; /* Netscape loop block: loop forever */
    if (EGifPutScreenDesc(gif->g, width, height, 8, 0, NULL) == GIF_ERROR ||
        EGifPutExtensionLeader(gif->g, APPLICATION_EXT_FUNC_CODE) == GIF_ERROR ||
        EGifPutExtensionBlock(gif->g, 11, "NETSCAPE2.0") == GIF_ERROR ||
        EGifPutExtensionBlock(gif->g, 3, loop) == GIF_ERROR ||
        EGifPutExtensionTrailer(gif->g) == GIF_ERROR) {
        st = gif_fail(gif, gif->g->Error, "header");
        rlc_image_gif_destroy(gif);
        return st;
    }
    *out = gif;
    return RLC_OK;
}

rlc_status rlc_image_gif_add_frame(rlc_gif *gif, const uint8_t *rgb) {
    if (!gif || !rgb) return rlc_error(RLC_ERR_INVALID, "rlc_image_gif_add_frame: NULL argument");
    if (gif->failed)
        return rlc_error(RLC_ERR_STATE, "GIF '%s': an earlier write failed", gif->path);
    if (quantize_exact(gif, rgb)) {
        rlc_status st = quantize_median_cut(gif, rgb);
        if (st) return st;
    }
    int bits = 1;
    while ((1 << bits) < gif->npal)
        bits++;
    GifColorType colors[256];
    memset(colors, 0, sizeof colors);
    memcpy(colors, gif->pal, (size_t)gif->npal * sizeof *colors);
    ColorMapObject *cm = GifMakeMapObject(1 << bits, colors);
    if (!cm) return rlc_error(RLC_ERR_NOMEM, "GIF '%s': out of memory", gif->path);
    GraphicsControlBlock gcb = {DISPOSAL_UNSPECIFIED, false, gif->delay, NO_TRANSPARENT_COLOR};
    GifByteType ext[4];
    EGifGCBToExtension(&gcb, ext);
    int bad = EGifPutExtension(gif->g, GRAPHICS_EXT_FUNC_CODE, 4, ext) == GIF_ERROR ||
              EGifPutImageDesc(gif->g, 0, 0, gif->width, gif->height, false, cm) == GIF_ERROR ||
              EGifPutLine(gif->g, gif->index, gif->width * gif->height) == GIF_ERROR;
    GifFreeMapObject(cm);
    if (bad) return gif_fail(gif, gif->g->Error, "writing a frame");
    gif->frames++;
    return RLC_OK;
}

int rlc_image_gif_frames(const rlc_gif *gif) {
    return gif ? gif->frames : 0;
}

rlc_status rlc_image_gif_close(rlc_gif *gif) {
    if (!gif) return rlc_error(RLC_ERR_INVALID, "rlc_image_gif_close: NULL writer");
    rlc_status st = RLC_OK;
    if (gif->failed)
        st = rlc_error(RLC_ERR_STATE, "GIF '%s': an earlier write failed; nothing written",
                       gif->path);
    else if (!gif->frames)
        st = rlc_error(RLC_ERR_STATE, "GIF '%s': no frame added; nothing written", gif->path);
    int err = 0;
    int closed = EGifCloseFile(gif->g, &err); /* closes the descriptor in every case */
    gif->g = NULL;
    if (!st && closed == GIF_ERROR) st = gif_fail(gif, err, "close");
    if (st)
        remove(gif->tmp);
    else
        st = commit_temp(gif->tmp, gif->path);
    gif_free(gif);
    return st;
}

void rlc_image_gif_destroy(rlc_gif *gif) {
    if (!gif) return;
    if (gif->g) {
        int err;
        EGifCloseFile(gif->g, &err);
    }
    if (gif->tmp) remove(gif->tmp);
    gif_free(gif);
}
