/* Configuration tables: defaults, key=value parsing with suggestions for unknown keys, JSON and
 * key = value files, per-env default files, JSON output and --help text (see rlc/config.h). */
#include "rlc/config.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "io/json_impl.h"

/* Config files larger than this are refused (a config is a few kB). */
#define MAX_FILE_BYTES (16u << 20)

/* ---- small helpers ------------------------------------------------------------------------ */

const char *rlc_config_type_name(rlc_config_type type) {
    switch (type) {
    case RLC_CONFIG_REAL: return "real";
    case RLC_CONFIG_INT: return "int";
    case RLC_CONFIG_BOOL: return "bool";
    case RLC_CONFIG_STRING: return "string";
    case RLC_CONFIG_ENUM: return "enum";
    }
    return "?";
}

/* Shortest "%.Ng" text that reads back to the same double; "inf", "-inf", "nan" otherwise. */
static void fmt_real(char *buf, size_t cap, double v) {
    if (isnan(v)) {
        snprintf(buf, cap, "nan");
        return;
    }
    if (isinf(v)) {
        snprintf(buf, cap, v > 0 ? "inf" : "-inf");
        return;
    }
    for (int prec = 15; prec <= 17; prec++) {
        snprintf(buf, cap, "%.*g", prec, v);
        if (strtod(buf, NULL) == v) return;
    }
}

/* A range bound: integers without exponent where exact, else as fmt_real. */
static void fmt_bound(char *buf, size_t cap, double v) {
    if (isfinite(v) && v == floor(v) && fabs(v) < 1e15)
        snprintf(buf, cap, "%.0f", v);
    else
        fmt_real(buf, cap, v);
}

/* Re-prefixes the current last-error message: "prefix: message". */
static rlc_status prefix_error(rlc_status s, const char *prefix) {
    char msg[800];
    snprintf(msg, sizeof msg, "%s", rlc_last_error());
    return rlc_error(s, "%s: %s", prefix, msg);
}

/* Choice number `idx` of "a|b|c" into buf; 0 if there is no such choice. */
static int enum_choice(const char *choices, int idx, char *buf, size_t cap) {
    const char *p = choices;
    for (int i = 0; p; i++) {
        const char *bar = strchr(p, '|');
        size_t len = bar ? (size_t)(bar - p) : strlen(p);
        if (i == idx) {
            if (len >= cap) len = cap - 1;
            memcpy(buf, p, len);
            buf[len] = 0;
            return 1;
        }
        p = bar ? bar + 1 : NULL;
    }
    if (cap) buf[0] = 0;
    return 0;
}

/* Index of `name` among "a|b|c", or -1. */
static int enum_index(const char *choices, const char *name) {
    size_t n = strlen(name);
    const char *p = choices;
    for (int i = 0; p; i++) {
        const char *bar = strchr(p, '|');
        size_t len = bar ? (size_t)(bar - p) : strlen(p);
        if (len == n && memcmp(p, name, n) == 0) return i;
        p = bar ? bar + 1 : NULL;
    }
    return -1;
}

/* "a|b|c" as "a, b, c" (truncated to cap). */
static void enum_list(const char *choices, char *buf, size_t cap) {
    size_t k = 0;
    for (const char *p = choices; *p && k + 3 < cap; p++) {
        if (*p == '|') {
            buf[k++] = ',';
            buf[k++] = ' ';
        } else {
            buf[k++] = *p;
        }
    }
    buf[k] = 0;
}

static void *field_ptr(const rlc_config_field *f, void *cfg) {
    return (char *)cfg + f->offset;
}

static const void *field_cptr(const rlc_config_field *f, const void *cfg) {
    return (const char *)cfg + f->offset;
}

/* ---- growable string ---------------------------------------------------------------------- */

typedef struct sbuf {
    char *p;
    size_t len, cap;
    int oom;
} sbuf;

static void sb_putn(sbuf *b, const char *s, size_t n) {
    if (b->oom) return;
    if (b->len + n + 1 > b->cap) {
        size_t cap = b->cap ? b->cap : 256;
        while (cap < b->len + n + 1) cap *= 2;
        char *p = rlc_realloc(b->p, cap);
        if (!p) {
            b->oom = 1;
            return;
        }
        b->p = p;
        b->cap = cap;
    }
    memcpy(b->p + b->len, s, n);
    b->len += n;
    b->p[b->len] = 0;
}

static void sb_str(sbuf *b, const char *s) {
    sb_putn(b, s, strlen(s));
}

static void sb_spaces(sbuf *b, int n) {
    for (int i = 0; i < n; i++) sb_putn(b, " ", 1);
}

static void sb_json_str(sbuf *b, const char *s) {
    sb_putn(b, "\"", 1);
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        char esc[8];
        if (*p == '"' || *p == '\\') {
            esc[0] = '\\';
            esc[1] = (char)*p;
            sb_putn(b, esc, 2);
        } else if (*p < 0x20) {
            snprintf(esc, sizeof esc, "\\u%04x", *p);
            sb_str(b, esc);
        } else {
            sb_putn(b, (const char *)p, 1);
        }
    }
    sb_putn(b, "\"", 1);
}

/* ---- table checks and defaults ------------------------------------------------------------ */

static int is_identifier(const char *s) {
    if (!s || !(isalpha((unsigned char)*s) || *s == '_')) return 0;
    for (; *s; s++)
        if (!(isalnum((unsigned char)*s) || *s == '_')) return 0;
    return 1;
}

rlc_status rlc_config_table_check(const rlc_config_table *t) {
    if (!t || !t->name || (t->n_fields > 0 && !t->fields) || t->n_fields < 0)
        return rlc_error(RLC_ERR_INVALID, "config table: NULL table, name or fields");
    for (int i = 0; i < t->n_fields; i++) {
        const rlc_config_field *f = &t->fields[i];
        const char *tn = t->name, *fn = f->name ? f->name : "(null)";
        if (!is_identifier(f->name))
            return rlc_error(RLC_ERR_INVALID, "%s: field %d name '%s' is not an identifier", tn,
                             i, fn);
        for (int j = 0; j < i; j++)
            if (strcmp(t->fields[j].name, f->name) == 0)
                return rlc_error(RLC_ERR_INVALID, "%s: field '%s' appears twice", tn, fn);
        if (!f->doc || !*f->doc)
            return rlc_error(RLC_ERR_INVALID, "%s.%s: missing doc string", tn, fn);
        size_t sz = f->type == RLC_CONFIG_REAL     ? sizeof(double)
                    : f->type == RLC_CONFIG_INT    ? sizeof(int64_t)
                    : f->type == RLC_CONFIG_STRING ? RLC_CONFIG_STR_MAX
                                                   : sizeof(int);
        if (f->offset + sz > t->size)
            return rlc_error(RLC_ERR_INVALID, "%s.%s: offset outside the struct", tn, fn);
        switch (f->type) {
        case RLC_CONFIG_REAL:
        case RLC_CONFIG_INT:
            if (isnan(f->lo) || isnan(f->hi) || !(f->lo <= f->hi))
                return rlc_error(RLC_ERR_INVALID, "%s.%s: bad range", tn, fn);
            if (!isfinite(f->def) || f->def < f->lo || f->def > f->hi)
                return rlc_error(RLC_ERR_INVALID, "%s.%s: default %g outside [%g, %g]", tn, fn,
                                 f->def, f->lo, f->hi);
            if (f->type == RLC_CONFIG_INT && f->def != floor(f->def))
                return rlc_error(RLC_ERR_INVALID, "%s.%s: default %g is not an integer", tn, fn,
                                 f->def);
            break;
        case RLC_CONFIG_BOOL:
            if (f->def != 0 && f->def != 1)
                return rlc_error(RLC_ERR_INVALID, "%s.%s: default must be 0 or 1", tn, fn);
            break;
        case RLC_CONFIG_STRING:
            if (!f->def_str || strlen(f->def_str) >= RLC_CONFIG_STR_MAX)
                return rlc_error(RLC_ERR_INVALID, "%s.%s: NULL or too long default", tn, fn);
            break;
        case RLC_CONFIG_ENUM: {
            if (!f->choices || !*f->choices || !f->def_str)
                return rlc_error(RLC_ERR_INVALID, "%s.%s: missing choices or default", tn, fn);
            char a[RLC_CONFIG_STR_MAX], b[RLC_CONFIG_STR_MAX];
            for (int k = 0; enum_choice(f->choices, k, a, sizeof a); k++) {
                if (!*a)
                    return rlc_error(RLC_ERR_INVALID, "%s.%s: empty choice", tn, fn);
                for (int m = 0; m < k; m++) {
                    enum_choice(f->choices, m, b, sizeof b);
                    if (strcmp(a, b) == 0)
                        return rlc_error(RLC_ERR_INVALID, "%s.%s: choice '%s' appears twice",
                                         tn, fn, a);
                }
            }
            if (enum_index(f->choices, f->def_str) < 0)
                return rlc_error(RLC_ERR_INVALID, "%s.%s: default '%s' is not a choice", tn, fn,
                                 f->def_str);
            break;
        }
        default: return rlc_error(RLC_ERR_INVALID, "%s.%s: unknown type %d", tn, fn, f->type);
        }
    }
    return RLC_OK;
}

void rlc_config_defaults(const rlc_config_table *t, void *cfg) {
    memset(cfg, 0, t->size);
    for (int i = 0; i < t->n_fields; i++) {
        const rlc_config_field *f = &t->fields[i];
        void *p = field_ptr(f, cfg);
        switch (f->type) {
        case RLC_CONFIG_REAL: *(double *)p = f->def; break;
        case RLC_CONFIG_INT: *(int64_t *)p = (int64_t)f->def; break;
        case RLC_CONFIG_BOOL: *(int *)p = f->def != 0; break;
        case RLC_CONFIG_STRING:
            snprintf((char *)p, RLC_CONFIG_STR_MAX, "%s", f->def_str ? f->def_str : "");
            break;
        case RLC_CONFIG_ENUM: {
            int k = f->choices && f->def_str ? enum_index(f->choices, f->def_str) : 0;
            *(int *)p = k < 0 ? 0 : k;
            break;
        }
        }
    }
}

const rlc_config_field *rlc_config_find(const rlc_config_table *t, const char *key) {
    if (!t || !key) return NULL;
    for (int i = 0; i < t->n_fields; i++)
        if (strcmp(t->fields[i].name, key) == 0) return &t->fields[i];
    return NULL;
}

/* ---- suggestions -------------------------------------------------------------------------- */

/* Folds case and '-' to '_' so "N-Steps" is close to "n_steps". */
static int fold(char c) {
    return c == '-' ? '_' : tolower((unsigned char)c);
}

/* Optimal-string-alignment distance (Levenshtein plus adjacent transpositions); -1 when a
 * string is longer than 63 bytes. */
static int edit_distance(const char *a, const char *b) {
    int la = (int)strlen(a), lb = (int)strlen(b);
    if (la > 63 || lb > 63) return -1;
    int d[64][64];
    for (int i = 0; i <= la; i++) d[i][0] = i;
    for (int j = 0; j <= lb; j++) d[0][j] = j;
    for (int i = 1; i <= la; i++) {
        for (int j = 1; j <= lb; j++) {
            int cost = fold(a[i - 1]) != fold(b[j - 1]);
            int v = d[i - 1][j] + 1;
            if (d[i][j - 1] + 1 < v) v = d[i][j - 1] + 1;
            if (d[i - 1][j - 1] + cost < v) v = d[i - 1][j - 1] + cost;
            if (i > 1 && j > 1 && fold(a[i - 1]) == fold(b[j - 2]) &&
                fold(a[i - 2]) == fold(b[j - 1]) && d[i - 2][j - 2] + 1 < v)
                v = d[i - 2][j - 2] + 1;
            d[i][j] = v;
        }
    }
    return d[la][lb];
}

/* The known key closest to `key` if it is close enough (about one edit per three letters,
 * at most 3), else NULL. Ties go to the earlier field. */
static const char *closest_key(const rlc_config_ref *refs, int n, const char *key) {
    int len = (int)strlen(key);
    int limit = (len + 2) / 3;
    if (limit < 1) limit = 1;
    if (limit > 3) limit = 3;
    const char *best = NULL;
    int best_d = limit + 1;
    for (int r = 0; r < n; r++)
        for (int i = 0; i < refs[r].table->n_fields; i++) {
            int d = edit_distance(key, refs[r].table->fields[i].name);
            if (d >= 0 && d < best_d) {
                best_d = d;
                best = refs[r].table->fields[i].name;
            }
        }
    return best;
}

/* ---- parsing one value -------------------------------------------------------------------- */

/* The phrase after "expects" for a field: "a number", "one of a, b", ... */
static void expects_phrase(const rlc_config_field *f, char *buf, size_t cap) {
    switch (f->type) {
    case RLC_CONFIG_REAL: snprintf(buf, cap, "a number"); break;
    case RLC_CONFIG_INT: snprintf(buf, cap, "an integer"); break;
    case RLC_CONFIG_BOOL: snprintf(buf, cap, "true or false"); break;
    case RLC_CONFIG_STRING: snprintf(buf, cap, "a string"); break;
    case RLC_CONFIG_ENUM: {
        char list[400];
        enum_list(f->choices, list, sizeof list);
        snprintf(buf, cap, "one of %s", list);
        break;
    }
    }
}

static rlc_status type_error(const rlc_config_field *f, const char *text) {
    char what[480];
    expects_phrase(f, what, sizeof what);
    /* "one of a, b; got 'x'" reads better than a comma after a list. */
    return rlc_error(RLC_ERR_INVALID, "%s expects %s%s got '%.200s'", f->name, what,
                     f->type == RLC_CONFIG_ENUM ? ";" : ",", text);
}

static rlc_status range_error(const rlc_config_field *f, const char *text) {
    char lo[40], hi[40];
    fmt_bound(lo, sizeof lo, f->lo);
    fmt_bound(hi, sizeof hi, f->hi);
    return rlc_error(RLC_ERR_RANGE, "%s=%.200s outside [%s, %s]", f->name, text, lo, hi);
}

static int ieq(const char *a, const char *b) {
    for (; *a && *b; a++, b++)
        if (tolower((unsigned char)*a) != tolower((unsigned char)*b)) return 0;
    return *a == *b;
}

/* Parses `text` for field f and stores it into `cfg` only if it is valid. */
static rlc_status set_field(const rlc_config_field *f, void *cfg, const char *text) {
    void *p = field_ptr(f, cfg);
    char *end;
    switch (f->type) {
    case RLC_CONFIG_REAL: {
        errno = 0;
        double v = strtod(text, &end);
        if (end == text || *end || isspace((unsigned char)*text) || isnan(v))
            return type_error(f, text);
        if (!(v >= f->lo && v <= f->hi)) return range_error(f, text);
        *(double *)p = v;
        return RLC_OK;
    }
    case RLC_CONFIG_INT: {
        if (!*text || isspace((unsigned char)*text)) return type_error(f, text);
        errno = 0;
        long long v = strtoll(text, &end, 10);
        if (*end == 0 && errno == ERANGE) return range_error(f, text);
        if (*end) {
            /* Exponent or decimal forms of an integer: "1e6", "2.0". */
            double d = strtod(text, &end);
            if (end == text || *end || isnan(d) || d != floor(d)) return type_error(f, text);
            if (!(d >= -9.2e18 && d <= 9.2e18)) return range_error(f, text);
            v = (long long)d;
        }
        if (!((double)v >= f->lo && (double)v <= f->hi)) return range_error(f, text);
        *(int64_t *)p = (int64_t)v;
        return RLC_OK;
    }
    case RLC_CONFIG_BOOL: {
        int v;
        if (ieq(text, "true") || ieq(text, "1") || ieq(text, "yes") || ieq(text, "on"))
            v = 1;
        else if (ieq(text, "false") || ieq(text, "0") || ieq(text, "no") || ieq(text, "off"))
            v = 0;
        else
            return type_error(f, text);
        *(int *)p = v;
        return RLC_OK;
    }
    case RLC_CONFIG_STRING: {
        size_t n = strlen(text);
        if (n >= RLC_CONFIG_STR_MAX)
            return rlc_error(RLC_ERR_INVALID, "%s is longer than %d bytes", f->name,
                             RLC_CONFIG_STR_MAX - 1);
        memcpy(p, text, n + 1);
        return RLC_OK;
    }
    case RLC_CONFIG_ENUM: {
        int k = enum_index(f->choices, text);
        if (k < 0) return type_error(f, text);
        *(int *)p = k;
        return RLC_OK;
    }
    }
    return rlc_error(RLC_ERR_INVALID, "%s: unknown field type", f->name);
}

static rlc_status check_refs(const rlc_config_ref *refs, int n) {
    if (!refs || n < 1) return rlc_error(RLC_ERR_INVALID, "config: no tables given");
    for (int i = 0; i < n; i++)
        if (!refs[i].table || !refs[i].cfg)
            return rlc_error(RLC_ERR_INVALID, "config: NULL table or struct");
    return RLC_OK;
}

/* Sets `key` in the first table that has it, writing into cfgs[r] (the refs' own structs or
 * scratch copies of them). */
static rlc_status set_in(const rlc_config_ref *refs, void *const *cfgs, int n, const char *key,
                         const char *value) {
    if (!key || !value) return rlc_error(RLC_ERR_INVALID, "config: NULL key or value");
    for (int r = 0; r < n; r++) {
        const rlc_config_field *f = rlc_config_find(refs[r].table, key);
        if (f) return set_field(f, cfgs[r], value);
    }
    const char *near = closest_key(refs, n, key);
    if (near)
        return rlc_error(RLC_ERR_NOT_FOUND, "unknown key '%.100s'; did you mean '%s'?", key,
                         near);
    return rlc_error(RLC_ERR_NOT_FOUND, "unknown key '%.100s' (see --help for the keys)", key);
}

rlc_status rlc_config_set_n(const rlc_config_ref *refs, int n, const char *key,
                            const char *value) {
    rlc_status s = check_refs(refs, n);
    if (s) return s;
    void *cfgs[16];
    if (n > 16) return rlc_error(RLC_ERR_INVALID, "config: at most 16 tables");
    for (int i = 0; i < n; i++) cfgs[i] = refs[i].cfg;
    return set_in(refs, cfgs, n, key, value);
}

rlc_status rlc_config_set(const rlc_config_table *t, void *cfg, const char *key,
                          const char *value) {
    rlc_config_ref r = {t, cfg};
    return rlc_config_set_n(&r, 1, key, value);
}

/* Copies [b, e) trimmed of surrounding white space into a new rlc_malloc'd string. */
static char *trimmed_dup(const char *b, const char *e) {
    while (b < e && isspace((unsigned char)*b)) b++;
    while (e > b && isspace((unsigned char)e[-1])) e--;
    char *s = rlc_malloc((size_t)(e - b) + 1);
    if (!s) return NULL;
    memcpy(s, b, (size_t)(e - b));
    s[e - b] = 0;
    return s;
}

rlc_status rlc_config_assign_n(const rlc_config_ref *refs, int n, const char *assignment) {
    rlc_status s = check_refs(refs, n);
    if (s) return s;
    if (!assignment) return rlc_error(RLC_ERR_INVALID, "config: NULL assignment");
    const char *eq = strchr(assignment, '=');
    char *key = eq ? trimmed_dup(assignment, eq) : NULL;
    if (eq && !key) return RLC_ERR_NOMEM;
    if (!eq || !*key) {
        rlc_free(key);
        return rlc_error(RLC_ERR_INVALID, "expected key=value, got '%.200s'", assignment);
    }
    char *value = trimmed_dup(eq + 1, eq + 1 + strlen(eq + 1));
    if (!value) {
        rlc_free(key);
        return RLC_ERR_NOMEM;
    }
    s = rlc_config_set_n(refs, n, key, value);
    rlc_free(key);
    rlc_free(value);
    return s;
}

rlc_status rlc_config_assign(const rlc_config_table *t, void *cfg, const char *assignment) {
    rlc_config_ref r = {t, cfg};
    return rlc_config_assign_n(&r, 1, assignment);
}

/* ---- all-or-nothing application to scratch copies ----------------------------------------- */

typedef struct scratch {
    void *cfg[16];
    int n;
} scratch;

static rlc_status scratch_init(scratch *sc, const rlc_config_ref *refs, int n) {
    rlc_status s = check_refs(refs, n);
    if (s) return s;
    if (n > 16) return rlc_error(RLC_ERR_INVALID, "config: at most 16 tables");
    sc->n = 0;
    for (int i = 0; i < n; i++) {
        sc->cfg[i] = rlc_malloc(refs[i].table->size ? refs[i].table->size : 1);
        if (!sc->cfg[i]) {
            for (int j = 0; j < i; j++) rlc_free(sc->cfg[j]);
            return RLC_ERR_NOMEM;
        }
        memcpy(sc->cfg[i], refs[i].cfg, refs[i].table->size);
    }
    sc->n = n;
    return RLC_OK;
}

static void scratch_finish(scratch *sc, const rlc_config_ref *refs, int commit) {
    for (int i = 0; i < sc->n; i++) {
        if (commit) memcpy(refs[i].cfg, sc->cfg[i], refs[i].table->size);
        rlc_free(sc->cfg[i]);
    }
    sc->n = 0;
}

/* ---- files -------------------------------------------------------------------------------- */

/* Reads a whole file into an rlc_malloc'd NUL-terminated buffer. */
static rlc_status read_file(const char *path, char **out, size_t *len) {
    FILE *fp = fopen(path, "rb");
    if (!fp) return rlc_error(RLC_ERR_IO, "cannot open '%s': %s", path, strerror(errno));
    size_t cap = 4096, n = 0;
    char *buf = rlc_malloc(cap);
    if (!buf) {
        fclose(fp);
        return RLC_ERR_NOMEM;
    }
    for (;;) {
        if (n + 1 >= cap) {
            if (cap >= MAX_FILE_BYTES) {
                rlc_free(buf);
                fclose(fp);
                return rlc_error(RLC_ERR_FORMAT, "%s: larger than %u bytes", path,
                                 MAX_FILE_BYTES);
            }
            char *nb = rlc_realloc(buf, cap * 2);
            if (!nb) {
                rlc_free(buf);
                fclose(fp);
                return RLC_ERR_NOMEM;
            }
            buf = nb;
            cap *= 2;
        }
        size_t k = fread(buf + n, 1, cap - 1 - n, fp);
        n += k;
        if (k == 0) break;
    }
    int err = ferror(fp);
    fclose(fp);
    if (err) {
        rlc_free(buf);
        return rlc_error(RLC_ERR_IO, "cannot read '%s'", path);
    }
    buf[n] = 0;
    *out = buf;
    if (len) *len = n;
    return RLC_OK;
}

/* ---- JSON files (cJSON) ------------------------------------------------------------------- */

/* Config JSON is parsed by cJSON with its default allocator (no process-global hooks; see
 * io/json_impl.h), so its allocations are outside rlc_malloc. cJSON keeps numbers as doubles:
 * an INT value is refused when that double cannot be exact (beyond +/-(2^53 - 1)); a JSON string
 * ("seed": "12345678901234567890") passes its text through exactly. */

#define JSON_SAFE_INT 9007199254740991.0 /* 2^53 - 1 */

/* Why cJSON stopped at byte *at of text[0, len), as a short phrase; *at may move back to the
 * token it names. cJSON gives no reason, so the bracket depth and string state up to there are
 * recomputed from the text. */
static void json_syntax_what(const char *text, size_t len, size_t *at, char *buf, size_t cap) {
    int depth = 0, in_str = 0, esc = 0, depth_at = 0, in_str_at = 0;
    size_t str_start = 0;
    for (size_t i = 0; i < len; i++) {
        if (i == *at) depth_at = depth, in_str_at = in_str;
        char c = text[i];
        if (in_str) {
            if (esc)
                esc = 0;
            else if (c == '\\')
                esc = 1;
            else if (c == '"')
                in_str = 0;
        } else if (c == '"') {
            in_str = 1;
            str_start = i;
        } else if (c == '{' || c == '[') {
            depth++;
        } else if (c == '}' || c == ']') {
            depth--;
        }
    }
    if (*at >= len) depth_at = depth, in_str_at = in_str;
    if (!in_str_at && depth_at >= CJSON_NESTING_LIMIT) {
        snprintf(buf, cap, "nested more than %d deep", CJSON_NESTING_LIMIT);
        return;
    }
    if (in_str && *at >= str_start) { /* cJSON stops inside the string it could not end */
        snprintf(buf, cap, "unterminated string");
        return;
    }
    if (*at + 1 >= len && depth > 0) { /* cJSON stops on the last byte at the end */
        snprintf(buf, cap, "unexpected end of file");
        return;
    }
    /* cJSON often stops on the white space after the offending token: name that token. */
    size_t i = *at < len ? *at : len;
    if (i >= len || isspace((unsigned char)text[i])) {
        while (i > 0 && isspace((unsigned char)text[i - 1])) i--;
        if (i > 0) i--;
    }
    *at = i;
    char snip[24];
    size_t k = 0;
    for (; i < len && k + 1 < sizeof snip && text[i] != '\n' && text[i] != '\r'; i++)
        snip[k++] = (unsigned char)text[i] < 0x20 ? '?' : text[i];
    snip[k] = 0;
    snprintf(buf, cap, "syntax error near '%s'", snip);
}

/* Parses a whole file that must hold one JSON object. Errors name the file and the line. */
static rlc_status parse_json(const char *path, const char *text, size_t len, cJSON **out) {
    cJSON *root = NULL;
    size_t at = 0;
    rlc__json_result r = rlc__json_parse(text, len, &root, &at);
    if (r == RLC__JSON_NOMEM)
        return rlc_error(RLC_ERR_NOMEM, "%s: out of memory parsing JSON", path);
    if (r != RLC__JSON_OK) {
        char what[80];
        if (r == RLC__JSON_TRAILING)
            snprintf(what, sizeof what, "text after the top-level value");
        else
            json_syntax_what(text, len, &at, what, sizeof what);
        int line = 1;
        for (size_t i = 0; i < at && i < len; i++) line += text[i] == '\n';
        return rlc_error(RLC_ERR_FORMAT, "%s:%d: invalid JSON: %s", path, line, what);
    }
    if (!cJSON_IsObject(root)) {
        cJSON_Delete(root);
        return rlc_error(RLC_ERR_FORMAT, "%s: expected a JSON object of key: value", path);
    }
    *out = root;
    return RLC_OK;
}

/* The field `key` resolves to (for messages), or NULL. */
static const rlc_config_field *find_in(const rlc_config_ref *refs, int n, const char *key) {
    for (int r = 0; r < n; r++) {
        const rlc_config_field *f = rlc_config_find(refs[r].table, key);
        if (f) return f;
    }
    return NULL;
}

/* Applies one JSON member (item->string: item) to the scratch structs. */
static rlc_status apply_json_item(const rlc_config_ref *refs, scratch *sc, const cJSON *item) {
    const char *key = item->string;
    const rlc_config_field *f = find_in(refs, sc->n, key);
    char num[40];
    const char *value;
    if (cJSON_IsString(item)) {
        value = item->valuestring;
    } else if (cJSON_IsNumber(item)) {
        double v = item->valuedouble;
        fmt_real(num, sizeof num, v); /* reads back to the same double */
        if (f && f->type == RLC_CONFIG_INT && isfinite(v) && v == floor(v) &&
            fabs(v) > JSON_SAFE_INT && v >= f->lo && v <= f->hi)
            return rlc_error(RLC_ERR_RANGE,
                             "%s=%s: a JSON number beyond +/-2^53 may have been rounded; quote "
                             "it (\"%s\": \"...\") to give the integer exactly",
                             key, num, key);
        value = num;
    } else if (cJSON_IsBool(item)) {
        value = cJSON_IsTrue(item) ? "true" : "false";
    } else {
        if (!f) return set_in(refs, sc->cfg, sc->n, key, ""); /* the unknown-key message */
        char what[480];
        expects_phrase(f, what, sizeof what);
        const char *got = cJSON_IsNull(item)    ? "null"
                          : cJSON_IsArray(item) ? "an array"
                                                : "an object";
        return rlc_error(RLC_ERR_INVALID, "%s expects %s, got %s", key, what, got);
    }
    return set_in(refs, sc->cfg, sc->n, key, value);
}

/* Applies every member of a JSON object, skipping keys that start with '_' when asked. */
static rlc_status apply_json_object(const rlc_config_ref *refs, scratch *sc, const cJSON *obj,
                                    int skip_underscore, int *count) {
    int k = 0;
    for (const cJSON *it = obj->child; it; it = it->next) {
        if (skip_underscore && it->string[0] == '_') continue;
        rlc_status s = apply_json_item(refs, sc, it);
        if (s) return s;
        k++;
    }
    if (count) *count = k;
    return RLC_OK;
}

/* Text format: "key = value" lines. */
static rlc_status apply_text(const rlc_config_ref *refs, scratch *sc, const char *path,
                             char *text) {
    int line = 0;
    char *p = text;
    while (*p) {
        line++;
        char *nl = strchr(p, '\n');
        char *end = nl ? nl : p + strlen(p);
        char *next = nl ? nl + 1 : end;
        *end = 0;
        while (*p && isspace((unsigned char)*p)) p++;
        char *e = end;
        while (e > p && isspace((unsigned char)e[-1])) *--e = 0;
        if (!*p || *p == '#') {
            p = next;
            continue;
        }
        if (*p == '[')
            return rlc_error(RLC_ERR_FORMAT, "%s:%d: sections like '%.60s' are not supported",
                             path, line, p);
        char *eq = strchr(p, '=');
        if (!eq || eq == p)
            return rlc_error(RLC_ERR_FORMAT, "%s:%d: expected key = value, got '%.100s'", path,
                             line, p);
        char *ke = eq;
        while (ke > p && isspace((unsigned char)ke[-1])) ke--;
        *ke = 0;
        char *v = eq + 1;
        while (*v && isspace((unsigned char)*v)) v++;
        size_t vl = strlen(v);
        if (vl >= 2 && v[0] == '"' && v[vl - 1] == '"') {
            v[vl - 1] = 0;
            v++;
        }
        rlc_status s = set_in(refs, sc->cfg, sc->n, p, v);
        if (s) {
            char pre[400];
            snprintf(pre, sizeof pre, "%s:%d", path, line);
            return prefix_error(s, pre);
        }
        p = next;
    }
    return RLC_OK;
}

rlc_status rlc_config_load_n(const rlc_config_ref *refs, int n, const char *path) {
    rlc_status s = check_refs(refs, n);
    if (s) return s;
    if (!path) return rlc_error(RLC_ERR_INVALID, "config: NULL path");
    char *text;
    size_t len;
    s = read_file(path, &text, &len);
    if (s) return s;
    scratch sc;
    s = scratch_init(&sc, refs, n);
    if (s) {
        rlc_free(text);
        return s;
    }
    const char *first = text;
    while (isspace((unsigned char)*first)) first++;
    if (*first == '{') {
        cJSON *root = NULL;
        s = parse_json(path, text, len, &root);
        if (!s) {
            s = apply_json_object(refs, &sc, root, 0, NULL);
            if (s) prefix_error(s, path);
            cJSON_Delete(root);
        }
    } else {
        s = apply_text(refs, &sc, path, text);
    }
    scratch_finish(&sc, refs, s == RLC_OK);
    rlc_free(text);
    return s;
}

rlc_status rlc_config_load(const rlc_config_table *t, void *cfg, const char *path) {
    rlc_config_ref r = {t, cfg};
    return rlc_config_load_n(&r, 1, path);
}

rlc_status rlc_config_apply_env_defaults_n(const rlc_config_ref *refs, int n, const char *path,
                                           const char *env_id, int *applied) {
    rlc_status s = check_refs(refs, n);
    if (s) return s;
    if (!path || !env_id) return rlc_error(RLC_ERR_INVALID, "config: NULL path or env id");
    char *text;
    size_t len;
    s = read_file(path, &text, &len);
    if (s) return s;
    cJSON *root = NULL;
    s = parse_json(path, text, len, &root);
    rlc_free(text);
    if (s) return s;
    scratch sc, chosen;
    s = scratch_init(&sc, refs, n);
    if (s) {
        cJSON_Delete(root);
        return s;
    }
    s = scratch_init(&chosen, refs, n);
    if (s) {
        scratch_finish(&sc, refs, 0);
        cJSON_Delete(root);
        return s;
    }
    /* Every entry is checked (on a throwaway copy), so a typo for any env is caught by any
     * run; only the matching entry lands in `chosen`. */
    int count = 0;
    for (const cJSON *e = root->child; e && !s; e = e->next) {
        if (e->string[0] == '_') continue;
        char pre[400];
        snprintf(pre, sizeof pre, "%s: %.100s", path, e->string);
        if (!cJSON_IsObject(e)) {
            s = rlc_error(RLC_ERR_FORMAT, "%s: expected an object of key: value", pre);
            break;
        }
        int match = strcmp(e->string, env_id) == 0;
        s = apply_json_object(refs, match ? &chosen : &sc, e, 1, match ? &count : NULL);
        if (s) prefix_error(s, pre);
    }
    cJSON_Delete(root);
    scratch_finish(&sc, refs, 0);
    scratch_finish(&chosen, refs, s == RLC_OK);
    if (!s && applied) *applied = count;
    return s;
}

rlc_status rlc_config_apply_env_defaults(const rlc_config_table *t, void *cfg, const char *path,
                                         const char *env_id, int *applied) {
    rlc_config_ref r = {t, cfg};
    return rlc_config_apply_env_defaults_n(&r, 1, path, env_id, applied);
}

/* ---- output ------------------------------------------------------------------------------- */

/* Text of a field's value (as rlc_config_get). */
static void value_text(const rlc_config_field *f, const void *cfg, char *buf, size_t cap) {
    const void *p = field_cptr(f, cfg);
    switch (f->type) {
    case RLC_CONFIG_REAL: fmt_real(buf, cap, *(const double *)p); return;
    case RLC_CONFIG_INT: snprintf(buf, cap, "%lld", (long long)*(const int64_t *)p); return;
    case RLC_CONFIG_BOOL: snprintf(buf, cap, "%s", *(const int *)p ? "true" : "false"); return;
    case RLC_CONFIG_STRING: snprintf(buf, cap, "%s", (const char *)p); return;
    case RLC_CONFIG_ENUM:
        if (!enum_choice(f->choices, *(const int *)p, buf, cap)) snprintf(buf, cap, "?");
        return;
    }
    snprintf(buf, cap, "?");
}

rlc_status rlc_config_get(const rlc_config_table *t, const void *cfg, const char *key,
                          char *buf, size_t cap) {
    if (!t || !cfg || !key || !buf || !cap)
        return rlc_error(RLC_ERR_INVALID, "config: NULL argument or empty buffer");
    const rlc_config_field *f = rlc_config_find(t, key);
    if (!f) return rlc_error(RLC_ERR_NOT_FOUND, "unknown key '%.100s'", key);
    value_text(f, cfg, buf, cap);
    return RLC_OK;
}

rlc_status rlc_config_to_json_n(const rlc_config_ref *refs, int n, char **out) {
    rlc_status s = check_refs(refs, n);
    if (s) return s;
    if (!out) return rlc_error(RLC_ERR_INVALID, "config: NULL output");
    sbuf b = {0};
    int first = 1;
    sb_str(&b, "{");
    for (int r = 0; r < n; r++) {
        const rlc_config_table *t = refs[r].table;
        for (int i = 0; i < t->n_fields; i++) {
            const rlc_config_field *f = &t->fields[i];
            if (find_in(refs, r + 1, f->name) != f) continue; /* shadowed by an earlier table */
            char v[RLC_CONFIG_STR_MAX + 8];
            value_text(f, refs[r].cfg, v, sizeof v);
            sb_str(&b, first ? "\n  " : ",\n  ");
            first = 0;
            sb_json_str(&b, f->name);
            sb_str(&b, ": ");
            int quoted = f->type == RLC_CONFIG_STRING || f->type == RLC_CONFIG_ENUM ||
                         (f->type == RLC_CONFIG_REAL && !isfinite(*(const double *)field_cptr(
                                                            f, refs[r].cfg)));
            if (quoted)
                sb_json_str(&b, v);
            else
                sb_str(&b, v);
        }
    }
    sb_str(&b, first ? "}\n" : "\n}\n");
    if (b.oom) {
        rlc_free(b.p);
        return rlc_error(RLC_ERR_NOMEM, "config: out of memory writing JSON");
    }
    *out = b.p;
    return RLC_OK;
}

rlc_status rlc_config_to_json(const rlc_config_table *t, const void *cfg, char **out) {
    rlc_config_ref r = {t, (void *)(uintptr_t)cfg};
    return rlc_config_to_json_n(&r, 1, out);
}

/* Writes `len` bytes to a temporary file beside `path` and renames it into place. */
static rlc_status write_atomic(const char *path, const char *data, size_t len) {
    size_t plen = strlen(path);
    char *tmp = rlc_malloc(plen + 12);
    if (!tmp) return RLC_ERR_NOMEM;
    memcpy(tmp, path, plen);
    memcpy(tmp + plen, ".tmp.XXXXXX", 12);
    int fd = mkstemp(tmp);
    if (fd < 0) {
        rlc_status s = rlc_error(RLC_ERR_IO, "cannot write '%s': %s", path, strerror(errno));
        rlc_free(tmp);
        return s;
    }
    (void)fchmod(fd, 0644);
    rlc_status s = RLC_OK;
    size_t done = 0;
    while (done < len) {
        ssize_t k = write(fd, data + done, len - done);
        if (k < 0 && errno == EINTR) continue;
        if (k <= 0) {
            s = rlc_error(RLC_ERR_IO, "cannot write '%s': %s", path,
                          k < 0 ? strerror(errno) : "short write");
            break;
        }
        done += (size_t)k;
    }
    if (!s && fsync(fd) != 0)
        s = rlc_error(RLC_ERR_IO, "cannot write '%s': fsync: %s", path, strerror(errno));
    if (close(fd) != 0 && !s)
        s = rlc_error(RLC_ERR_IO, "cannot write '%s': close: %s", path, strerror(errno));
    if (!s && rename(tmp, path) != 0)
        s = rlc_error(RLC_ERR_IO, "cannot rename '%s' to '%s': %s", tmp, path, strerror(errno));
    if (s) unlink(tmp);
    rlc_free(tmp);
    return s;
}

rlc_status rlc_config_save_n(const rlc_config_ref *refs, int n, const char *path) {
    if (!path || !*path) return rlc_error(RLC_ERR_INVALID, "config: NULL or empty path");
    char *json;
    rlc_status s = rlc_config_to_json_n(refs, n, &json);
    if (s) return s;
    s = write_atomic(path, json, strlen(json));
    rlc_free(json);
    return s;
}

rlc_status rlc_config_save(const rlc_config_table *t, const void *cfg, const char *path) {
    rlc_config_ref r = {t, (void *)(uintptr_t)cfg};
    return rlc_config_save_n(&r, 1, path);
}

/* ---- --help ------------------------------------------------------------------------------- */

#define HELP_WIDTH 100

static void help_default(const rlc_config_field *f, const void *cfg, char *buf, size_t cap) {
    char v[RLC_CONFIG_STR_MAX + 8];
    if (cfg) {
        value_text(f, cfg, v, sizeof v);
    } else {
        switch (f->type) {
        case RLC_CONFIG_REAL: fmt_real(v, sizeof v, f->def); break;
        case RLC_CONFIG_INT: snprintf(v, sizeof v, "%.0f", f->def); break;
        case RLC_CONFIG_BOOL: snprintf(v, sizeof v, "%s", f->def != 0 ? "true" : "false"); break;
        default: snprintf(v, sizeof v, "%s", f->def_str ? f->def_str : ""); break;
        }
    }
    if (f->type == RLC_CONFIG_STRING)
        snprintf(buf, cap, "\"%.*s\"", 40, v);
    else
        snprintf(buf, cap, "%.*s", 40, v);
}

static void help_range(const rlc_config_field *f, char *buf, size_t cap) {
    if (f->type == RLC_CONFIG_REAL || f->type == RLC_CONFIG_INT) {
        char lo[40], hi[40];
        fmt_bound(lo, sizeof lo, f->lo);
        fmt_bound(hi, sizeof hi, f->hi);
        snprintf(buf, cap, "[%s, %s]", lo, hi);
    } else if (f->type == RLC_CONFIG_ENUM) {
        char list[200];
        enum_list(f->choices, list, sizeof list);
        snprintf(buf, cap, "{%s}", list);
    } else {
        buf[0] = 0;
    }
}

rlc_status rlc_config_help(const rlc_config_table *t, const void *cfg, char **out) {
    if (!t || !out) return rlc_error(RLC_ERR_INVALID, "config: NULL table or output");
    int wn = 0, wd = 0, wr = 0, wt = 6;
    char d[64], r[240];
    for (int i = 0; i < t->n_fields; i++) {
        const rlc_config_field *f = &t->fields[i];
        help_default(f, cfg, d, sizeof d);
        help_range(f, r, sizeof r);
        if ((int)strlen(f->name) > wn) wn = (int)strlen(f->name);
        if ((int)strlen(d) > wd) wd = (int)strlen(d);
        if ((int)strlen(r) > wr) wr = (int)strlen(r);
    }
    if (wr > 30) wr = 30; /* a longer range pushes its own doc along */
    int doc_col = 2 + wn + 2 + wt + 2 + wd + 2 + wr + 2;
    sbuf b = {0};
    for (int i = 0; i < t->n_fields; i++) {
        const rlc_config_field *f = &t->fields[i];
        help_default(f, cfg, d, sizeof d);
        help_range(f, r, sizeof r);
        int col = 0;
        sb_str(&b, "  ");
        sb_str(&b, f->name);
        sb_spaces(&b, wn - (int)strlen(f->name) + 2);
        sb_str(&b, rlc_config_type_name(f->type));
        sb_spaces(&b, wt - (int)strlen(rlc_config_type_name(f->type)) + 2);
        sb_str(&b, d);
        sb_spaces(&b, wd - (int)strlen(d) + 2);
        sb_str(&b, r);
        col = 2 + wn + 2 + wt + 2 + wd + 2 + (int)strlen(r);
        int indent = doc_col;
        if (col + 2 > doc_col) {
            sb_spaces(&b, 2);
            col += 2;
            indent = col;
        } else {
            sb_spaces(&b, doc_col - col);
            col = doc_col;
        }
        if (indent > HELP_WIDTH - 30) {
            /* No room beside the columns: the doc goes below, indented. */
            sb_str(&b, "\n");
            indent = 6;
            sb_spaces(&b, indent);
            col = indent;
        }
        /* Word-wrapped doc. */
        const char *p = f->doc ? f->doc : "";
        int line_start = 1;
        while (*p) {
            while (*p == ' ') p++;
            const char *w = p;
            while (*p && *p != ' ') p++;
            int wl = (int)(p - w);
            if (!wl) break;
            if (!line_start && col + 1 + wl > HELP_WIDTH) {
                sb_str(&b, "\n");
                sb_spaces(&b, indent);
                col = indent;
                line_start = 1;
            }
            if (!line_start) {
                sb_str(&b, " ");
                col++;
            }
            sb_putn(&b, w, (size_t)wl);
            col += wl;
            line_start = 0;
        }
        sb_str(&b, "\n");
    }
    if (!b.p) sb_str(&b, "");
    if (b.oom) {
        rlc_free(b.p);
        return rlc_error(RLC_ERR_NOMEM, "config: out of memory writing help");
    }
    *out = b.p;
    return RLC_OK;
}
