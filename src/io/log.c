/* The run folder helper and the run logger: progress.csv (columns appended by a one-off
 * rewrite), progress.jsonl and TensorBoard scalars (tfevents.c), flushed at intervals, with
 * every write checked. Formats in include/rlc/log.h. */
#include "rlc/log.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "io/tfevents_impl.h"

#define MAX_KEY 200

/* ---- run folder --------------------------------------------------------------------------- */

/* mkdir -p: creates each missing component of `path`. */
static rlc_status make_dirs(const char *path) {
    size_t n = strlen(path);
    char *p = rlc_malloc(n + 1);
    if (!p) return RLC_ERR_NOMEM;
    memcpy(p, path, n + 1);
    rlc_status s = RLC_OK;
    for (size_t i = 1; i <= n && !s; i++) {
        if (p[i] != '/' && p[i] != 0) continue;
        char c = p[i];
        p[i] = 0;
        if (mkdir(p, 0755) != 0 && errno != EEXIST)
            s = rlc_error(RLC_ERR_IO, "cannot create folder '%s': %s", p, strerror(errno));
        p[i] = c;
    }
    rlc_free(p);
    return s;
}

rlc_status rlc_run_dir_create(const char *path, int force) {
    if (!path || !*path) return rlc_error(RLC_ERR_INVALID, "run folder: NULL or empty path");
    struct stat st;
    if (stat(path, &st) == 0) {
        if (!S_ISDIR(st.st_mode))
            return rlc_error(RLC_ERR_IO, "run folder '%s' exists and is not a folder", path);
        DIR *d = opendir(path);
        if (!d) return rlc_error(RLC_ERR_IO, "cannot open folder '%s': %s", path, strerror(errno));
        int empty = 1;
        struct dirent *e;
        while (empty && (e = readdir(d)))
            if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0) empty = 0;
        closedir(d);
        if (!empty && !force)
            return rlc_error(RLC_ERR_STATE,
                             "run folder '%s' already exists and is not empty; use --force to "
                             "overwrite it or --resume to continue it",
                             path);
        return RLC_OK;
    }
    rlc_status s = make_dirs(path);
    if (s) return s;
    if (stat(path, &st) != 0 || !S_ISDIR(st.st_mode))
        return rlc_error(RLC_ERR_IO, "cannot create folder '%s'", path);
    return RLC_OK;
}

/* ---- number text -------------------------------------------------------------------------- */

/* Shortest "%.Ng" that reads back to v. Non-finite values get `nan`, `inf`, `ninf`. */
static void fmt_num(char *buf, size_t cap, double v, const char *nan, const char *inf,
                    const char *ninf) {
    if (isnan(v)) {
        snprintf(buf, cap, "%s", nan);
        return;
    }
    if (isinf(v)) {
        snprintf(buf, cap, "%s", v > 0 ? inf : ninf);
        return;
    }
    for (int prec = 15; prec <= 17; prec++) {
        snprintf(buf, cap, "%.*g", prec, v);
        if (strtod(buf, NULL) == v) return;
    }
}

/* ---- logger ------------------------------------------------------------------------------- */

typedef struct column {
    char *key;
    double value;
    int has; /* recorded in the current row */
} column;

struct rlc_logger {
    char *dir;
    char *csv_path, *jsonl_path;
    FILE *csv, *jsonl;
    rlc__tfevents *tb;
    column *cols;
    int n_cols, cap_cols;
    int hint;          /* where the next record's key is probably found */
    int csv_cols;      /* columns in the header on disk */
    int csv_header;    /* the header line is on disk */
    const char **tags; /* dump scratch, cap_cols entries */
    double *vals;
    int64_t rows;
    double flush_interval, last_flush;
    rlc_status failed; /* sticky write error */
    char fail_msg[512];
};

void rlc_logger_options_init(rlc_logger_options *o) {
    if (!o) return;
    memset(o, 0, sizeof *o);
    o->csv = o->jsonl = o->tensorboard = 1;
    o->flush_interval = 5.0;
}

static char *join_path(const char *dir, const char *name) {
    size_t a = strlen(dir), b = strlen(name);
    char *p = rlc_malloc(a + b + 2);
    if (!p) return NULL;
    memcpy(p, dir, a);
    p[a] = '/';
    memcpy(p + a + 1, name, b + 1);
    return p;
}

/* Records the first write failure; later calls return it again. */
static rlc_status fail(rlc_logger *lg, rlc_status s) {
    if (!lg->failed) {
        lg->failed = s;
        snprintf(lg->fail_msg, sizeof lg->fail_msg, "%s", rlc_last_error());
    }
    return s;
}

static rlc_status sticky(const rlc_logger *lg) {
    return rlc_error(lg->failed, "%s", lg->fail_msg);
}

static rlc_status io_error(const char *path) {
    int e = errno;
    return rlc_error(RLC_ERR_IO, "cannot write '%s': %s", path, e ? strerror(e) : "write error");
}

/* Adds a column (the key is copied) and grows the dump scratch with it. */
static rlc_status add_column(rlc_logger *lg, const char *key, size_t len) {
    if (lg->n_cols == lg->cap_cols) {
        int cap = lg->cap_cols ? 2 * lg->cap_cols : 16;
        column *c = rlc_realloc(lg->cols, (size_t)cap * sizeof *c);
        if (!c) return RLC_ERR_NOMEM;
        lg->cols = c;
        const char **t = rlc_realloc(lg->tags, (size_t)cap * sizeof *t);
        if (!t) return RLC_ERR_NOMEM;
        lg->tags = t;
        double *v = rlc_realloc(lg->vals, (size_t)cap * sizeof *v);
        if (!v) return RLC_ERR_NOMEM;
        lg->vals = v;
        lg->cap_cols = cap;
    }
    char *k = rlc_malloc(len + 1);
    if (!k) return RLC_ERR_NOMEM;
    memcpy(k, key, len);
    k[len] = 0;
    lg->cols[lg->n_cols++] = (column){k, 0.0, 0};
    return RLC_OK;
}

/* Reads the header of an existing progress.csv into columns (the first must be "step"), and
 * tells whether the file ends without a newline. *exists = 0 when the file is absent/empty. */
static rlc_status read_csv_header(rlc_logger *lg, int *exists, int *needs_newline) {
    *exists = 0;
    *needs_newline = 0;
    FILE *fp = fopen(lg->csv_path, "rb");
    if (!fp) {
        if (errno == ENOENT) return RLC_OK;
        return rlc_error(RLC_ERR_IO, "cannot open '%s': %s", lg->csv_path, strerror(errno));
    }
    char field[MAX_KEY + 2];
    size_t flen = 0;
    int quoted = 0, in_quotes = 0, col = 0, c, too_long = 0, ended = 0;
    rlc_status s = RLC_OK;
    while (!s && !ended) {
        c = fgetc(fp);
        if (c == EOF && flen == 0 && col == 0) break; /* empty file */
        if (in_quotes && c != EOF) {
            if (c == '"') {
                int d = fgetc(fp);
                if (d != '"') {
                    in_quotes = 0;
                    if (d != EOF) ungetc(d, fp);
                    continue;
                }
            }
        } else if (c == '"' && flen == 0 && !quoted) {
            in_quotes = quoted = 1;
            continue;
        } else if (c == '\r') {
            continue;
        } else if (c == ',' || c == '\n' || c == EOF) {
            /* End of a header field. */
            field[flen] = 0;
            if (too_long)
                s = rlc_error(RLC_ERR_FORMAT, "%s: header key too long", lg->csv_path);
            else if (col == 0 && strcmp(field, "step") != 0)
                s = rlc_error(RLC_ERR_FORMAT, "%s: header does not start with 'step'",
                              lg->csv_path);
            else if (col > 0)
                s = add_column(lg, field, flen);
            col++;
            flen = 0;
            quoted = 0;
            ended = c != ',';
            if (c == EOF) *needs_newline = 1;
            continue;
        }
        if (flen < MAX_KEY)
            field[flen++] = (char)c;
        else
            too_long = 1;
    }
    if (!s && col > 0) {
        /* Does the file end with a newline? (A crash can leave half a row.) */
        if (fseek(fp, -1, SEEK_END) == 0 && (c = fgetc(fp)) != EOF && c != '\n')
            *needs_newline = 1;
        *exists = 1;
    }
    fclose(fp);
    if (!s) {
        lg->csv_cols = lg->n_cols;
        lg->csv_header = *exists;
    }
    return s;
}

/* Whether a JSONL file exists and ends without a newline. */
static int needs_newline(const char *path) {
    FILE *fp = fopen(path, "rb");
    if (!fp) return 0;
    int r = 0;
    if (fseek(fp, -1, SEEK_END) == 0) {
        int c = fgetc(fp);
        r = c != EOF && c != '\n';
    }
    fclose(fp);
    return r;
}

static void free_logger(rlc_logger *lg) {
    for (int i = 0; i < lg->n_cols; i++) rlc_free(lg->cols[i].key);
    rlc_free(lg->cols);
    rlc_free(lg->tags);
    rlc_free(lg->vals);
    rlc_free(lg->csv_path);
    rlc_free(lg->jsonl_path);
    rlc_free(lg->dir);
    rlc_free(lg);
}

rlc_status rlc_logger_create(rlc_logger **out, const char *dir, const rlc_logger_options *opts) {
    if (!out || !dir || !*dir) return rlc_error(RLC_ERR_INVALID, "logger: NULL output or folder");
    rlc_logger_options o;
    if (opts)
        o = *opts;
    else
        rlc_logger_options_init(&o);
    rlc_logger *lg = rlc_calloc(1, sizeof *lg);
    if (!lg) return RLC_ERR_NOMEM;
    lg->flush_interval = o.flush_interval;
    lg->dir = rlc_strdup(dir);
    lg->csv_path = join_path(dir, "progress.csv");
    lg->jsonl_path = join_path(dir, "progress.jsonl");
    if (!lg->dir || !lg->csv_path || !lg->jsonl_path) {
        free_logger(lg);
        return RLC_ERR_NOMEM;
    }
    rlc_status s = RLC_OK;
    if (o.csv) {
        int exists = 0, nl = 0;
        if (o.append) s = read_csv_header(lg, &exists, &nl);
        if (!s) {
            lg->csv = fopen(lg->csv_path, exists ? "ab" : "wb");
            if (!lg->csv)
                s = rlc_error(RLC_ERR_IO, "cannot open '%s': %s", lg->csv_path, strerror(errno));
            else if (nl && fputc('\n', lg->csv) == EOF)
                s = io_error(lg->csv_path);
        }
    }
    if (!s && o.jsonl) {
        int nl = o.append && needs_newline(lg->jsonl_path);
        lg->jsonl = fopen(lg->jsonl_path, o.append ? "ab" : "wb");
        if (!lg->jsonl)
            s = rlc_error(RLC_ERR_IO, "cannot open '%s': %s", lg->jsonl_path, strerror(errno));
        else if (nl && fputc('\n', lg->jsonl) == EOF)
            s = io_error(lg->jsonl_path);
    }
    if (!s && o.tensorboard) {
        char host[256];
        if (o.hostname) {
            snprintf(host, sizeof host, "%s", o.hostname);
        } else if (gethostname(host, sizeof host) != 0) {
            snprintf(host, sizeof host, "localhost");
        }
        host[sizeof host - 1] = 0;
        for (char *h = host; *h; h++)
            if (*h == '/' || isspace((unsigned char)*h)) *h = '_';
        if (!host[0]) snprintf(host, sizeof host, "localhost");
        s = rlc__tfevents_open(&lg->tb, dir, host, rlc__wall_time());
    }
    if (s) {
        char msg[1024];
        snprintf(msg, sizeof msg, "%s", rlc_last_error());
        if (lg->csv) fclose(lg->csv);
        if (lg->jsonl) fclose(lg->jsonl);
        free_logger(lg);
        return rlc_error(s, "%s", msg);
    }
    lg->last_flush = rlc_time_now();
    *out = lg;
    return RLC_OK;
}

rlc_status rlc_logger_record(rlc_logger *lg, const char *key, double value) {
    if (!lg || !key) return rlc_error(RLC_ERR_INVALID, "logger: NULL logger or key");
    size_t len = 0;
    for (const unsigned char *p = (const unsigned char *)key; *p; p++, len++)
        if (*p < 0x20 || *p == 0x7f || len >= MAX_KEY)
            return rlc_error(RLC_ERR_INVALID,
                             "logger: key '%.60s' has control characters or is longer than %d "
                             "bytes",
                             key, MAX_KEY);
    if (len == 0) return rlc_error(RLC_ERR_INVALID, "logger: empty key");
    if (strcmp(key, "step") == 0)
        return rlc_error(RLC_ERR_INVALID, "logger: 'step' is reserved (pass it to dump)");
    int i = lg->hint;
    if (i >= lg->n_cols || strcmp(lg->cols[i].key, key) != 0) {
        for (i = 0; i < lg->n_cols; i++)
            if (strcmp(lg->cols[i].key, key) == 0) break;
        if (i == lg->n_cols) {
            rlc_status s = add_column(lg, key, len);
            if (s) return s;
        }
    }
    lg->cols[i].value = value;
    lg->cols[i].has = 1;
    lg->hint = i + 1;
    return RLC_OK;
}

/* Writes a CSV cell for a key, quoted when it holds ',' or '"'. Returns EOF on error. */
static int csv_key(FILE *fp, const char *key) {
    if (!strpbrk(key, ",\"")) return fputs(key, fp);
    if (fputc('"', fp) == EOF) return EOF;
    for (const char *p = key; *p; p++) {
        if (*p == '"' && fputc('"', fp) == EOF) return EOF;
        if (fputc(*p, fp) == EOF) return EOF;
    }
    return fputc('"', fp);
}

static int csv_header_line(FILE *fp, const rlc_logger *lg) {
    if (fputs("step", fp) == EOF) return EOF;
    for (int i = 0; i < lg->n_cols; i++)
        if (fputc(',', fp) == EOF || csv_key(fp, lg->cols[i].key) == EOF) return EOF;
    return fputc('\n', fp);
}

/* Appends columns csv_cols..n_cols-1 to a CSV that already has rows: the file is copied to a
 * temporary file with the new header and padded rows, then renamed over the original. */
static rlc_status csv_extend(rlc_logger *lg) {
    int added = lg->n_cols - lg->csv_cols;
    if (fclose(lg->csv) != 0) {
        lg->csv = NULL;
        return io_error(lg->csv_path);
    }
    lg->csv = NULL;
    rlc_status s = RLC_OK;
    size_t plen = strlen(lg->csv_path);
    char *tmp = rlc_malloc(plen + 12);
    char *chunk = rlc_malloc(1 << 16);
    FILE *src = NULL, *dst = NULL;
    int fd = -1;
    if (!tmp || !chunk) {
        s = RLC_ERR_NOMEM;
        goto done;
    }
    memcpy(tmp, lg->csv_path, plen);
    memcpy(tmp + plen, ".tmp.XXXXXX", 12);
    src = fopen(lg->csv_path, "rb");
    if (!src) {
        s = rlc_error(RLC_ERR_IO, "cannot reopen '%s': %s", lg->csv_path, strerror(errno));
        goto done;
    }
    fd = mkstemp(tmp);
    if (fd < 0) {
        s = rlc_error(RLC_ERR_IO, "cannot create '%s': %s", tmp, strerror(errno));
        goto done;
    }
    (void)fchmod(fd, 0644);
    dst = fdopen(fd, "wb");
    if (!dst) {
        close(fd);
        unlink(tmp);
        s = rlc_error(RLC_ERR_IO, "cannot open '%s': %s", tmp, strerror(errno));
        goto done;
    }
    errno = 0;
    if (csv_header_line(dst, lg) == EOF) {
        s = io_error(tmp);
        goto done;
    }
    int in_header = 1;
    size_t k;
    while ((k = fread(chunk, 1, 1 << 16, src)) > 0) {
        size_t start = 0;
        for (size_t i = 0; i < k; i++) {
            if (chunk[i] != '\n') continue;
            if (!in_header) {
                if (fwrite(chunk + start, 1, i - start, dst) != i - start) goto write_fail;
                for (int a = 0; a < added; a++)
                    if (fputc(',', dst) == EOF) goto write_fail;
                if (fputc('\n', dst) == EOF) goto write_fail;
            }
            in_header = 0;
            start = i + 1;
        }
        if (!in_header && fwrite(chunk + start, 1, k - start, dst) != k - start) goto write_fail;
    }
    if (ferror(src)) {
        s = rlc_error(RLC_ERR_IO, "cannot read '%s'", lg->csv_path);
        goto done;
    }
    if (fflush(dst) != 0 || fsync(fileno(dst)) != 0) goto write_fail;
    int rc = fclose(dst);
    dst = NULL;
    if (rc != 0) goto write_fail;
    if (rename(tmp, lg->csv_path) != 0) {
        s = rlc_error(RLC_ERR_IO, "cannot rename '%s' to '%s': %s", tmp, lg->csv_path,
                      strerror(errno));
        unlink(tmp);
        goto done;
    }
    lg->csv = fopen(lg->csv_path, "ab");
    if (!lg->csv) s = rlc_error(RLC_ERR_IO, "cannot open '%s': %s", lg->csv_path, strerror(errno));
    goto done;
write_fail:
    s = io_error(tmp);
    if (dst) fclose(dst);
    dst = NULL;
    unlink(tmp);
done:
    if (dst) {
        fclose(dst);
        unlink(tmp);
    }
    if (src) fclose(src);
    rlc_free(chunk);
    rlc_free(tmp);
    if (!s) lg->csv_cols = lg->n_cols;
    return s;
}

static rlc_status write_csv_row(rlc_logger *lg, int64_t step) {
    errno = 0;
    if (lg->n_cols > lg->csv_cols) {
        if (!lg->csv_header) {
            if (csv_header_line(lg->csv, lg) == EOF) return io_error(lg->csv_path);
            lg->csv_header = 1;
            lg->csv_cols = lg->n_cols;
        } else {
            rlc_status s = csv_extend(lg);
            if (s) return s;
        }
    }
    FILE *fp = lg->csv;
    if (fprintf(fp, "%lld", (long long)step) < 0) return io_error(lg->csv_path);
    for (int i = 0; i < lg->n_cols; i++) {
        char num[40] = "";
        if (lg->cols[i].has) fmt_num(num, sizeof num, lg->cols[i].value, "nan", "inf", "-inf");
        if (fputc(',', fp) == EOF || fputs(num, fp) == EOF) return io_error(lg->csv_path);
    }
    if (fputc('\n', fp) == EOF) return io_error(lg->csv_path);
    return RLC_OK;
}

static int json_key(FILE *fp, const char *key) {
    if (fputc('"', fp) == EOF) return EOF;
    for (const char *p = key; *p; p++) {
        if ((*p == '"' || *p == '\\') && fputc('\\', fp) == EOF) return EOF;
        if (fputc(*p, fp) == EOF) return EOF;
    }
    return fputc('"', fp);
}

static rlc_status write_jsonl_row(rlc_logger *lg, int64_t step) {
    FILE *fp = lg->jsonl;
    errno = 0;
    if (fprintf(fp, "{\"step\": %lld", (long long)step) < 0) return io_error(lg->jsonl_path);
    for (int i = 0; i < lg->n_cols; i++) {
        if (!lg->cols[i].has) continue;
        char num[40];
        fmt_num(num, sizeof num, lg->cols[i].value, "NaN", "Infinity", "-Infinity");
        if (fputs(", ", fp) == EOF || json_key(fp, lg->cols[i].key) == EOF ||
            fputs(": ", fp) == EOF || fputs(num, fp) == EOF)
            return io_error(lg->jsonl_path);
    }
    if (fputs("}\n", fp) == EOF) return io_error(lg->jsonl_path);
    return RLC_OK;
}

static rlc_status flush_all(rlc_logger *lg) {
    errno = 0;
    if (lg->csv && (fflush(lg->csv) != 0 || ferror(lg->csv))) return io_error(lg->csv_path);
    if (lg->jsonl && (fflush(lg->jsonl) != 0 || ferror(lg->jsonl)))
        return io_error(lg->jsonl_path);
    if (lg->tb) return rlc__tfevents_flush(lg->tb);
    return RLC_OK;
}

rlc_status rlc_logger_dump(rlc_logger *lg, int64_t step) {
    if (!lg) return rlc_error(RLC_ERR_INVALID, "logger: NULL logger");
    if (lg->failed) return sticky(lg);
    int n = 0;
    for (int i = 0; i < lg->n_cols; i++)
        if (lg->cols[i].has) {
            lg->tags[n] = lg->cols[i].key;
            lg->vals[n++] = lg->cols[i].value;
        }
    if (!n) return RLC_OK;
    rlc_status s = RLC_OK;
    if (lg->csv) s = write_csv_row(lg, step);
    if (!s && lg->jsonl) s = write_jsonl_row(lg, step);
    if (!s && lg->tb)
        s = rlc__tfevents_scalars(lg->tb, rlc__wall_time(), step, n, lg->tags, lg->vals);
    for (int i = 0; i < lg->n_cols; i++) lg->cols[i].has = 0;
    lg->hint = 0;
    if (s) return fail(lg, s);
    lg->rows++;
    double now = rlc_time_now();
    if (lg->flush_interval <= 0 || now - lg->last_flush >= lg->flush_interval) {
        lg->last_flush = now;
        s = flush_all(lg);
        if (s) return fail(lg, s);
    }
    return RLC_OK;
}

rlc_status rlc_logger_flush(rlc_logger *lg) {
    if (!lg) return rlc_error(RLC_ERR_INVALID, "logger: NULL logger");
    if (lg->failed) return sticky(lg);
    lg->last_flush = rlc_time_now();
    rlc_status s = flush_all(lg);
    return s ? fail(lg, s) : RLC_OK;
}

int64_t rlc_logger_rows(const rlc_logger *lg) {
    return lg ? lg->rows : 0;
}

const char *rlc_logger_dir(const rlc_logger *lg) {
    return lg ? lg->dir : NULL;
}

const char *rlc_logger_events_path(const rlc_logger *lg) {
    return lg ? rlc__tfevents_path(lg->tb) : NULL;
}

rlc_status rlc_logger_close(rlc_logger *lg) {
    if (!lg) return RLC_OK;
    rlc_status s = lg->failed ? sticky(lg) : flush_all(lg);
    errno = 0;
    if (lg->csv && fclose(lg->csv) != 0 && !s) s = io_error(lg->csv_path);
    if (lg->jsonl && fclose(lg->jsonl) != 0 && !s) s = io_error(lg->jsonl_path);
    rlc_status t = rlc__tfevents_close(lg->tb);
    if (t && !s) s = t;
    if (s) {
        char msg[1024];
        snprintf(msg, sizeof msg, "%s", rlc_last_error());
        free_logger(lg);
        return rlc_error(s, "%s", msg);
    }
    free_logger(lg);
    return RLC_OK;
}

void rlc_logger_destroy(rlc_logger *lg) {
    if (!lg) return;
    /* Keep the caller's last-error message: destroy is often called while handling one. */
    char msg[1024];
    snprintf(msg, sizeof msg, "%s", rlc_last_error());
    rlc_status s = rlc_logger_close(lg);
    (void)s;
    rlc_error(RLC_OK, "%s", msg);
}
