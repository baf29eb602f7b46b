/* Run logging: CRC-32C vectors, tfevents bytes read back by an independent reader here (framing,
 * both CRCs, the Event protobuf), exact CSV/JSONL contents, resume, disk full, the run folder
 * and the progress formatters. */
#include "test.h"

#include <math.h>
#include <sys/stat.h>
#include <unistd.h>

#include "io/tfevents_impl.h"
#include "rlc/log.h"

/* ---- helpers ------------------------------------------------------------------------------ */

static const char *new_dir(const char *name) {
    static char buf[8][512];
    static int k;
    char *p = buf[k++ % 8];
    snprintf(p, 512, "%s/%s", rlc_test_tmpdir(), name);
    assert_int_equal(rlc_run_dir_create(p, 0), RLC_OK);
    return p;
}

static char *read_all(const char *path, size_t *len) {
    FILE *fp = fopen(path, "rb");
    if (!fp) fail_msg("cannot open %s", path);
    fseek(fp, 0, SEEK_END);
    long n = ftell(fp);
    fseek(fp, 0, SEEK_SET);
    char *s = malloc((size_t)n + 1);
    assert_int_equal(fread(s, 1, (size_t)n, fp), (size_t)n);
    s[n] = 0;
    fclose(fp);
    if (len) *len = (size_t)n;
    return s;
}

static char *read_in(const char *dir, const char *name) {
    char p[600];
    snprintf(p, sizeof p, "%s/%s", dir, name);
    return read_all(p, NULL);
}

static void expect_file(const char *dir, const char *name, const char *want) {
    char *s = read_in(dir, name);
    assert_string_equal(s, want);
    free(s);
}

/* ---- an independent tfevents reader ------------------------------------------------------- */

#define MAX_VALUES 8

typedef struct ev {
    double wall_time;
    int64_t step;
    int has_step;
    char file_version[64];
    int n;
    char tag[MAX_VALUES][256];
    float value[MAX_VALUES];
} ev;

static uint32_t get_le32(const uint8_t *p) {
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static uint64_t get_le64(const uint8_t *p) {
    return (uint64_t)get_le32(p) | (uint64_t)get_le32(p + 4) << 32;
}

/* CRC-32C bit by bit (no table), so the table-driven one is checked against another form. */
static uint32_t crc_bitwise(const uint8_t *p, size_t n) {
    uint32_t c = 0xFFFFFFFFu;
    for (size_t i = 0; i < n; i++) {
        c ^= p[i];
        for (int k = 0; k < 8; k++) c = (c >> 1) ^ (0x82F63B78u & (0u - (c & 1)));
    }
    return ~c;
}

static uint32_t masked(const uint8_t *p, size_t n) {
    uint32_t c = crc_bitwise(p, n);
    return ((c >> 15) | (c << 17)) + 0xa282ead8u;
}

static uint64_t rd_varint(const uint8_t **p, const uint8_t *end) {
    uint64_t v = 0;
    for (int shift = 0; shift < 70; shift += 7) {
        assert_true(*p < end);
        uint8_t b = *(*p)++;
        v |= (uint64_t)(b & 0x7F) << shift;
        if (!(b & 0x80)) return v;
    }
    fail_msg("varint too long");
    return 0;
}

/* Decodes Value{tag=1, simple_value=2}. */
static void decode_value(const uint8_t *p, const uint8_t *end, ev *e) {
    assert_true(e->n < MAX_VALUES);
    while (p < end) {
        uint64_t key = rd_varint(&p, end);
        if (key == 0x0a) {
            uint64_t n = rd_varint(&p, end);
            assert_true(n < 256 && p + n <= end);
            memcpy(e->tag[e->n], p, n);
            e->tag[e->n][n] = 0;
            p += n;
        } else if (key == 0x15) {
            assert_true(p + 4 <= end);
            uint32_t u = get_le32(p);
            memcpy(&e->value[e->n], &u, 4);
            p += 4;
        } else {
            fail_msg("unexpected Value field key 0x%llx", (unsigned long long)key);
        }
    }
    e->n++;
}

static void decode_event(const uint8_t *p, const uint8_t *end, ev *e) {
    memset(e, 0, sizeof *e);
    while (p < end) {
        uint64_t key = rd_varint(&p, end);
        if (key == 0x09) { /* wall_time, fixed64 */
            assert_true(p + 8 <= end);
            uint64_t u = get_le64(p);
            memcpy(&e->wall_time, &u, 8);
            p += 8;
        } else if (key == 0x10) { /* step, varint */
            e->step = (int64_t)rd_varint(&p, end);
            e->has_step = 1;
        } else if (key == 0x1a) { /* file_version */
            uint64_t n = rd_varint(&p, end);
            assert_true(n < 64 && p + n <= end);
            memcpy(e->file_version, p, n);
            p += n;
        } else if (key == 0x2a) { /* summary */
            uint64_t n = rd_varint(&p, end);
            assert_true(p + n <= end);
            const uint8_t *s = p, *se = p + n;
            while (s < se) {
                assert_int_equal(rd_varint(&s, se), 0x0a); /* Summary.value */
                uint64_t vn = rd_varint(&s, se);
                assert_true(s + vn <= se);
                decode_value(s, s + vn, e);
                s += vn;
            }
            p = se;
        } else {
            fail_msg("unexpected Event field key 0x%llx", (unsigned long long)key);
        }
    }
}

/* Reads every record of an events file, checking both CRCs of each. Returns the count. */
static int read_events(const char *path, ev *out, int max) {
    size_t len;
    uint8_t *d = (uint8_t *)read_all(path, &len);
    size_t off = 0;
    int n = 0;
    while (off < len) {
        assert_true(off + 12 <= len);
        uint64_t rl = get_le64(d + off);
        assert_int_equal(get_le32(d + off + 8), masked(d + off, 8));
        assert_true(off + 12 + rl + 4 <= len);
        const uint8_t *data = d + off + 12;
        assert_int_equal(get_le32(data + rl), masked(data, rl));
        assert_true(n < max);
        decode_event(data, data + rl, &out[n++]);
        off += 12 + rl + 4;
    }
    free(d);
    return n;
}

/* ---- CRC and encoding --------------------------------------------------------------------- */

static void test_crc32c(void **st) {
    (void)st;
    assert_int_equal(rlc__crc32c(0, "123456789", 9), 0xE3069283u);
    assert_int_equal(rlc__crc32c(0, "", 0), 0);
    uint8_t b[32];
    memset(b, 0, 32);
    assert_int_equal(rlc__crc32c(0, b, 32), 0x8A9136AAu); /* RFC 3720 B.4 vectors */
    memset(b, 0xFF, 32);
    assert_int_equal(rlc__crc32c(0, b, 32), 0x62A8AB43u);
    for (int i = 0; i < 32; i++) b[i] = (uint8_t)i;
    assert_int_equal(rlc__crc32c(0, b, 32), 0x46DD794Eu);
    for (int i = 0; i < 32; i++) b[i] = (uint8_t)(31 - i);
    assert_int_equal(rlc__crc32c(0, b, 32), 0x113FDB5Cu);
    /* Incremental use and agreement with the bitwise form on odd lengths. */
    assert_int_equal(rlc__crc32c(rlc__crc32c(0, "1234", 4), "56789", 5), 0xE3069283u);
    uint8_t big[1000];
    for (int i = 0; i < 1000; i++) big[i] = (uint8_t)(i * 131 + 7);
    for (int n = 0; n < 1000; n += 37)
        assert_int_equal(rlc__crc32c(0, big, (size_t)n), crc_bitwise(big, (size_t)n));
    uint32_t c = 0xE3069283u;
    assert_int_equal(rlc__crc32c_masked("123456789", 9), ((c >> 15) | (c << 17)) + 0xa282ead8u);
}

static void test_tfevents_encoding(void **st) {
    (void)st;
    uint8_t *buf = NULL;
    size_t cap = 0;
    const char *tags[] = {"a"};
    double vals[] = {1.0};
    size_t n = rlc__tfevents_encode_scalars(&buf, &cap, 1.0, 5, 1, tags, vals);
    const uint8_t want[] = {0x09, 0, 0, 0, 0, 0, 0, 0xF0, 0x3F, /* wall_time 1.0 */
                            0x10, 0x05,                          /* step 5 */
                            0x2a, 0x0a,                          /* summary, 10 bytes */
                            0x0a, 0x08,                          /* value, 8 bytes */
                            0x0a, 0x01, 'a',                     /* tag */
                            0x15, 0, 0, 0x80, 0x3F};             /* simple_value 1.0f */
    assert_int_equal(n, sizeof want);
    assert_memory_equal(buf, want, sizeof want);

    n = rlc__tfevents_encode_version(&buf, &cap, 0.5, "brain.Event:2");
    const uint8_t want_v[] = {0x09, 0, 0, 0, 0, 0, 0, 0xE0, 0x3F, 0x1a, 13, 'b', 'r', 'a', 'i',
                              'n',  '.', 'E', 'v', 'e', 'n', 't', ':',  '2'};
    assert_int_equal(n, sizeof want_v);
    assert_memory_equal(buf, want_v, sizeof want_v);

    /* Negative steps take ten varint bytes; long tags need two-byte lengths. */
    char longtag[200];
    memset(longtag, 'x', 199);
    longtag[199] = 0;
    const char *tags2[] = {"loss/policy", longtag, "z"};
    double vals2[] = {-0.25, 3e38, NAN};
    n = rlc__tfevents_encode_scalars(&buf, &cap, 1.7e9, -3, 3, tags2, vals2);
    ev e;
    decode_event(buf, buf + n, &e);
    assert_true(e.wall_time == 1.7e9);
    assert_int_equal(e.step, -3);
    assert_int_equal(e.n, 3);
    assert_string_equal(e.tag[0], "loss/policy");
    assert_true(e.value[0] == -0.25f);
    assert_string_equal(e.tag[1], longtag);
    assert_true(e.value[1] == 3e38f);
    assert_string_equal(e.tag[2], "z");
    assert_true(isnan(e.value[2]));
    rlc_free(buf);
}

/* ---- the logger --------------------------------------------------------------------------- */

static void test_log_tfevents_roundtrip(void **st) {
    (void)st;
    const char *dir = new_dir("tb");
    rlc_logger_options o;
    rlc_logger_options_init(&o);
    o.csv = o.jsonl = 0;
    o.hostname = "test host/x";
    rlc_logger *lg = NULL;
    double t0 = rlc__wall_time();
    assert_int_equal(rlc_logger_create(&lg, dir, &o), RLC_OK);
    const char *path = rlc_logger_events_path(lg);
    assert_non_null(path);
    assert_non_null(strstr(path, "/events.out.tfevents."));
    assert_non_null(strstr(path, ".test_host_x")); /* '/' and spaces replaced */
    for (int i = 0; i < 5; i++) {
        assert_int_equal(rlc_logger_record(lg, "charts/episodic_return", 10.5 * i), RLC_OK);
        if (i % 2 == 0)
            assert_int_equal(rlc_logger_record(lg, "losses/value_loss", 1.0 / (i + 1)), RLC_OK);
        assert_int_equal(rlc_logger_dump(lg, 1000 * (int64_t)(i + 1)), RLC_OK);
    }
    char keep[600];
    snprintf(keep, sizeof keep, "%s", path);
    assert_int_equal(rlc_logger_close(lg), RLC_OK);

    ev e[16];
    int n = read_events(keep, e, 16);
    assert_int_equal(n, 6);
    assert_string_equal(e[0].file_version, "brain.Event:2");
    assert_false(e[0].has_step);
    assert_true(e[0].wall_time >= t0 - 1 && e[0].wall_time <= t0 + 60);
    for (int i = 0; i < 5; i++) {
        const ev *x = &e[i + 1];
        assert_int_equal(x->step, 1000 * (i + 1));
        assert_true(x->wall_time >= e[0].wall_time);
        assert_int_equal(x->n, i % 2 == 0 ? 2 : 1);
        assert_string_equal(x->tag[0], "charts/episodic_return");
        assert_true(x->value[0] == (float)(10.5 * i));
        if (i % 2 == 0) {
            assert_string_equal(x->tag[1], "losses/value_loss");
            assert_true(x->value[1] == (float)(1.0 / (i + 1)));
        }
    }

    /* A second logger in the same second gets a different file. */
    rlc_logger *a = NULL, *b = NULL;
    o.hostname = "h";
    assert_int_equal(rlc_logger_create(&a, dir, &o), RLC_OK);
    assert_int_equal(rlc_logger_create(&b, dir, &o), RLC_OK);
    assert_string_not_equal(rlc_logger_events_path(a), rlc_logger_events_path(b));
    rlc_logger_destroy(a);
    rlc_logger_destroy(b);
}

static void test_log_csv_jsonl(void **st) {
    (void)st;
    const char *dir = new_dir("csv");
    rlc_logger_options o;
    rlc_logger_options_init(&o);
    o.tensorboard = 0;
    rlc_logger *lg = NULL;
    assert_int_equal(rlc_logger_create(&lg, dir, &o), RLC_OK);
    assert_null(rlc_logger_events_path(lg));
    assert_string_equal(rlc_logger_dir(lg), dir);
    assert_int_equal(rlc_logger_dump(lg, 0), RLC_OK); /* empty row: nothing written */
    assert_int_equal(rlc_logger_record(lg, "return", 0.1), RLC_OK);
    assert_int_equal(rlc_logger_record(lg, "len", 200), RLC_OK);
    assert_int_equal(rlc_logger_record(lg, "return", 0.5), RLC_OK); /* replaces */
    assert_int_equal(rlc_logger_dump(lg, 100), RLC_OK);
    assert_int_equal(rlc_logger_record(lg, "len", 1e20), RLC_OK); /* "return" missing */
    assert_int_equal(rlc_logger_dump(lg, 200), RLC_OK);
    assert_int_equal(rlc_logger_flush(lg), RLC_OK);
    expect_file(dir, "progress.csv", "step,return,len\n100,0.5,200\n200,,1e+20\n");
    /* A new key appends a column: the file is rewritten with padded rows. */
    assert_int_equal(rlc_logger_record(lg, "eval/mean \"q\", x", -1.25), RLC_OK);
    assert_int_equal(rlc_logger_record(lg, "return", 0.1 + 0.2), RLC_OK);
    assert_int_equal(rlc_logger_dump(lg, 300), RLC_OK);
    assert_int_equal(rlc_logger_record(lg, "return", NAN), RLC_OK);
    assert_int_equal(rlc_logger_record(lg, "len", INFINITY), RLC_OK);
    assert_int_equal(rlc_logger_record(lg, "eval/mean \"q\", x", -INFINITY), RLC_OK);
    assert_int_equal(rlc_logger_dump(lg, -5), RLC_OK);
    assert_int_equal(rlc_logger_rows(lg), 4);
    assert_int_equal(rlc_logger_close(lg), RLC_OK);
    expect_file(dir, "progress.csv",
                "step,return,len,\"eval/mean \"\"q\"\", x\"\n"
                "100,0.5,200,\n"
                "200,,1e+20,\n"
                "300,0.30000000000000004,,-1.25\n"
                "-5,nan,inf,-inf\n");
    expect_file(dir, "progress.jsonl",
                "{\"step\": 100, \"return\": 0.5, \"len\": 200}\n"
                "{\"step\": 200, \"len\": 1e+20}\n"
                "{\"step\": 300, \"return\": 0.30000000000000004, "
                "\"eval/mean \\\"q\\\", x\": -1.25}\n"
                "{\"step\": -5, \"return\": NaN, \"len\": Infinity, "
                "\"eval/mean \\\"q\\\", x\": -Infinity}\n");
    /* No temporary file left by the rewrite. */
    char cmd[700];
    snprintf(cmd, sizeof cmd, "ls %s | grep -q tmp", dir);
    assert_int_not_equal(system(cmd), 0);

    /* A fresh logger (not appending) starts the files again. */
    assert_int_equal(rlc_logger_create(&lg, dir, &o), RLC_OK);
    assert_int_equal(rlc_logger_record(lg, "x", 1), RLC_OK);
    assert_int_equal(rlc_logger_dump(lg, 1), RLC_OK);
    assert_int_equal(rlc_logger_close(lg), RLC_OK);
    expect_file(dir, "progress.csv", "step,x\n1,1\n");
    expect_file(dir, "progress.jsonl", "{\"step\": 1, \"x\": 1}\n");
}

static void test_log_append(void **st) {
    (void)st;
    const char *dir = new_dir("resume");
    rlc_logger_options o;
    rlc_logger_options_init(&o);
    o.tensorboard = 0;
    o.append = 1; /* nothing there yet: behaves as a fresh start */
    rlc_logger *lg = NULL;
    assert_int_equal(rlc_logger_create(&lg, dir, &o), RLC_OK);
    assert_int_equal(rlc_logger_record(lg, "a", 1), RLC_OK);
    assert_int_equal(rlc_logger_record(lg, "b", 2), RLC_OK);
    assert_int_equal(rlc_logger_dump(lg, 10), RLC_OK);
    assert_int_equal(rlc_logger_close(lg), RLC_OK);

    /* Resume: columns come from the header, so "b" stays second though recorded first. */
    assert_int_equal(rlc_logger_create(&lg, dir, &o), RLC_OK);
    assert_int_equal(rlc_logger_record(lg, "b", 4), RLC_OK);
    assert_int_equal(rlc_logger_record(lg, "a", 3), RLC_OK);
    assert_int_equal(rlc_logger_dump(lg, 20), RLC_OK);
    assert_int_equal(rlc_logger_record(lg, "c", 5), RLC_OK);
    assert_int_equal(rlc_logger_dump(lg, 30), RLC_OK);
    assert_int_equal(rlc_logger_close(lg), RLC_OK);
    expect_file(dir, "progress.csv", "step,a,b,c\n10,1,2,\n20,3,4,\n30,,,5\n");
    expect_file(dir, "progress.jsonl",
                "{\"step\": 10, \"a\": 1, \"b\": 2}\n{\"step\": 20, \"a\": 3, \"b\": 4}\n"
                "{\"step\": 30, \"c\": 5}\n");

    /* A file cut mid-row by a crash gets its line ended before new rows. */
    char p[600];
    snprintf(p, sizeof p, "%s/progress.csv", dir);
    FILE *fp = fopen(p, "ab");
    fputs("40,7", fp);
    fclose(fp);
    assert_int_equal(rlc_logger_create(&lg, dir, &o), RLC_OK);
    assert_int_equal(rlc_logger_record(lg, "c", 6), RLC_OK);
    assert_int_equal(rlc_logger_dump(lg, 50), RLC_OK);
    assert_int_equal(rlc_logger_close(lg), RLC_OK);
    expect_file(dir, "progress.csv", "step,a,b,c\n10,1,2,\n20,3,4,\n30,,,5\n40,7\n50,,,6\n");

    /* Quoted header keys are read back. */
    const char *d2 = new_dir("resume2");
    snprintf(p, sizeof p, "%s/progress.csv", d2);
    fp = fopen(p, "wb");
    fputs("step,\"x,\"\"y\"\"\",z\r\n1,2,3\r\n", fp);
    fclose(fp);
    assert_int_equal(rlc_logger_create(&lg, d2, &o), RLC_OK);
    assert_int_equal(rlc_logger_record(lg, "x,\"y\"", 9), RLC_OK);
    assert_int_equal(rlc_logger_dump(lg, 2), RLC_OK);
    assert_int_equal(rlc_logger_close(lg), RLC_OK);
    expect_file(d2, "progress.csv", "step,\"x,\"\"y\"\"\",z\r\n1,2,3\r\n2,9,\n");

    /* A header that is not ours is refused, and nothing is left open. */
    fp = fopen(p, "wb");
    fputs("time,x\n1,2\n", fp);
    fclose(fp);
    lg = NULL;
    assert_int_equal(rlc_logger_create(&lg, d2, &o), RLC_ERR_FORMAT);
    assert_null(lg);
    assert_contains(rlc_last_error(), "header does not start with 'step'");
}

static void test_log_disk_full(void **st) {
    (void)st;
    if (access("/dev/full", W_OK) != 0) skip();
    const char *dir = new_dir("full");
    char p[600];
    snprintf(p, sizeof p, "%s/progress.jsonl", dir);
    assert_int_equal(symlink("/dev/full", p), 0);
    rlc_logger_options o;
    rlc_logger_options_init(&o);
    o.tensorboard = 0;
    o.flush_interval = 0; /* flush every row so the error shows at once */
    rlc_logger *lg = NULL;
    assert_int_equal(rlc_logger_create(&lg, dir, &o), RLC_OK);
    assert_int_equal(rlc_logger_record(lg, "x", 1), RLC_OK);
    assert_int_equal(rlc_logger_dump(lg, 1), RLC_ERR_IO);
    assert_contains(rlc_last_error(), "progress.jsonl");
    assert_contains(rlc_last_error(), "No space left on device");
    /* Sticky: later calls report it too. */
    rlc_clear_error();
    assert_int_equal(rlc_logger_record(lg, "x", 2), RLC_OK);
    assert_int_equal(rlc_logger_dump(lg, 2), RLC_ERR_IO);
    assert_contains(rlc_last_error(), "No space left on device");
    assert_int_equal(rlc_logger_flush(lg), RLC_ERR_IO);
    assert_int_equal(rlc_logger_close(lg), RLC_ERR_IO);

    /* With the default interval the error comes at close at the latest. */
    o.flush_interval = 1000;
    assert_int_equal(rlc_logger_create(&lg, dir, &o), RLC_OK);
    assert_int_equal(rlc_logger_record(lg, "x", 1), RLC_OK);
    assert_int_equal(rlc_logger_dump(lg, 1), RLC_OK);
    assert_int_equal(rlc_logger_close(lg), RLC_ERR_IO);
    assert_contains(rlc_last_error(), "No space left on device");

    /* TFRecord writes to a full disk fail at the flush at the latest. */
    FILE *fp = fopen("/dev/full", "wb");
    assert_non_null(fp);
    uint8_t data[100] = {0};
    int r = rlc__tfrecord_write(fp, data, sizeof data);
    if (r == 0) r = fflush(fp);
    assert_int_not_equal(r, 0);
    fclose(fp);
}

static void test_log_errors(void **st) {
    (void)st;
    const char *dir = new_dir("errs");
    rlc_logger *lg = NULL;
    assert_int_equal(rlc_logger_create(&lg, dir, NULL), RLC_OK);
    assert_int_equal(rlc_logger_record(lg, "", 1), RLC_ERR_INVALID);
    assert_int_equal(rlc_logger_record(lg, "step", 1), RLC_ERR_INVALID);
    assert_contains(rlc_last_error(), "'step' is reserved");
    assert_int_equal(rlc_logger_record(lg, "a\nb", 1), RLC_ERR_INVALID);
    char longk[300];
    memset(longk, 'k', 299);
    longk[299] = 0;
    assert_int_equal(rlc_logger_record(lg, longk, 1), RLC_ERR_INVALID);
    assert_int_equal(rlc_logger_record(NULL, "a", 1), RLC_ERR_INVALID);
    assert_int_equal(rlc_logger_dump(NULL, 1), RLC_ERR_INVALID);
    assert_int_equal(rlc_logger_close(lg), RLC_OK);
    assert_int_equal(rlc_logger_close(NULL), RLC_OK);
    rlc_logger_destroy(NULL);

    lg = NULL;
    char missing[600];
    snprintf(missing, sizeof missing, "%s/not_there", dir);
    assert_int_equal(rlc_logger_create(&lg, missing, NULL), RLC_ERR_IO);
    assert_null(lg);
    assert_contains(rlc_last_error(), "not_there/progress.csv");
    assert_int_equal(rlc_logger_create(NULL, dir, NULL), RLC_ERR_INVALID);

    /* destroy keeps the caller's error message. */
    assert_int_equal(rlc_logger_create(&lg, dir, NULL), RLC_OK);
    rlc_error(RLC_ERR_STATE, "caller's message");
    rlc_logger_destroy(lg);
    assert_string_equal(rlc_last_error(), "caller's message");
}

static void test_log_alloc_failures(void **st) {
    (void)st;
    const char *dir = new_dir("oom");
    int ok = 0;
    for (long n = 1; n < 100 && !ok; n++) {
        long long live = rlc_alloc_live();
        rlc_logger *lg = NULL;
        rlc_alloc_fail_after(n);
        rlc_status s = rlc_logger_create(&lg, dir, NULL);
        if (!s) s = rlc_logger_record(lg, "a", 1);
        if (!s) s = rlc_logger_record(lg, "b", 2);
        if (!s) s = rlc_logger_dump(lg, 1);
        if (!s) s = rlc_logger_record(lg, "c", 3); /* a new column: CSV rewrite */
        if (!s) s = rlc_logger_dump(lg, 2);
        rlc_alloc_fail_reset();
        if (s == RLC_OK) ok = 1;
        else assert_int_equal(s, RLC_ERR_NOMEM);
        rlc_logger_destroy(lg);
        assert_int_equal(rlc_alloc_live(), live);
    }
    assert_true(ok);
}

/* ---- run folder --------------------------------------------------------------------------- */

static void test_run_dir(void **st) {
    (void)st;
    char p[600];
    snprintf(p, sizeof p, "%s/runs/CartPole-v1__ppo__1", rlc_test_tmpdir());
    assert_int_equal(rlc_run_dir_create(p, 0), RLC_OK); /* parents made too */
    struct stat sb;
    assert_int_equal(stat(p, &sb), 0);
    assert_true(S_ISDIR(sb.st_mode));
    assert_int_equal(rlc_run_dir_create(p, 0), RLC_OK); /* empty: fine */
    char f[700];
    snprintf(f, sizeof f, "%s/progress.csv", p);
    FILE *fp = fopen(f, "w");
    fclose(fp);
    assert_int_equal(rlc_run_dir_create(p, 0), RLC_ERR_STATE);
    char want[900];
    snprintf(want, sizeof want,
             "run folder '%s' already exists and is not empty; use --force to overwrite it or "
             "--resume to continue it",
             p);
    assert_string_equal(rlc_last_error(), want);
    assert_int_equal(rlc_run_dir_create(p, 1), RLC_OK);
    assert_int_equal(access(f, F_OK), 0); /* force deletes nothing */
    assert_int_equal(rlc_run_dir_create(f, 1), RLC_ERR_IO);
    assert_contains(rlc_last_error(), "exists and is not a folder");
    snprintf(want, sizeof want, "%s/sub", f);
    assert_int_equal(rlc_run_dir_create(want, 0), RLC_ERR_IO);
    assert_int_equal(rlc_run_dir_create("", 0), RLC_ERR_INVALID);
    assert_int_equal(rlc_run_dir_create(NULL, 0), RLC_ERR_INVALID);
}

/* ---- progress ----------------------------------------------------------------------------- */

static void test_progress_format(void **st) {
    (void)st;
    char b[128];
    struct {
        double s;
        const char *want;
    } eta[] = {{0, "0s"},         {0.4, "0s"},         {0.6, "1s"},       {59.4, "59s"},
               {59.6, "1m00s"},   {65, "1m05s"},       {3599, "59m59s"},  {3600, "1h00m"},
               {7379, "2h02m"},   {86399, "23h59m"},   {86400, "1d00h"},  {90061, "1d01h"},
               {-1, "?"},         {INFINITY, "?"},     {NAN, "?"},        {2e9, "?"}};
    for (size_t i = 0; i < sizeof eta / sizeof eta[0]; i++)
        assert_string_equal(rlc_progress_format_eta(eta[i].s, b, sizeof b), eta[i].want);
    struct {
        double n;
        const char *want;
    } cnt[] = {{0, "0"},          {999, "999"},         {999.4, "999"},     {999.6, "1k"},
               {1000, "1k"},      {1234, "1.23k"},      {1500, "1.5k"},     {9994, "9.99k"},
               {9996, "10k"},     {12345, "12.3k"},     {99949, "99.9k"},   {99960, "100k"},
               {123456, "123k"},  {999400, "999k"},     {999600, "1M"},     {1e6, "1M"},
               {1.5e6, "1.5M"},   {2e9, "2G"},          {-1234, "-1.23k"},  {NAN, "?"}};
    for (size_t i = 0; i < sizeof cnt / sizeof cnt[0]; i++)
        assert_string_equal(rlc_progress_format_count(cnt[i].n, b, sizeof b), cnt[i].want);
    assert_string_equal(rlc_progress_format_eta(65, b, 4), "1m0"); /* truncated, terminated */

    rlc_progress_stats s = {370000, 0, 1000000, 30, 195.24, 100};
    char line[512];
    assert_string_equal(rlc_progress_format_line(&s, "ppo CartPole-v1", 0, 80, line, sizeof line),
                        "ppo CartPole-v1 step 370000/1000000 (37%)  12.3k steps/s  return 195.2 "
                        "(100 ep)  elapsed 30s  ETA 51s");
    assert_string_equal(rlc_progress_format_line(&s, "ppo CartPole-v1", 1, 100, line, sizeof line),
                        "ppo CartPole-v1 [===========>                  ]  37% 370k/1M  12.3k "
                        "steps/s  return 195.2  ETA 51s");
    assert_true(strlen(line) == 99);
    /* Narrower terminals shrink the bar, then drop it, then cut the text. */
    assert_string_equal(rlc_progress_format_line(&s, "ppo CartPole-v1", 1, 80, line, sizeof line),
                        "ppo CartPole-v1 [===>      ]  37% 370k/1M  12.3k steps/s  return 195.2  "
                        "ETA 51s");
    assert_string_equal(rlc_progress_format_line(&s, NULL, 1, 60, line, sizeof line),
                        "[==>   ]  37% 370k/1M  12.3k steps/s  return 195.2  ETA 51s");
    assert_string_equal(rlc_progress_format_line(&s, NULL, 1, 52, line, sizeof line),
                        " 37% 370k/1M  12.3k steps/s  return 195.2  ETA 51s");
    assert_string_equal(rlc_progress_format_line(&s, "ppo CartPole-v1", 1, 40, line, sizeof line),
                        "ppo CartPole-v1  37% 370k/1M  12.3k ste");
    /* Before any episode, unknown totals, finished and resumed runs. */
    rlc_progress_stats s0 = {0, 0, 1000, 0, 0, 0};
    assert_string_equal(rlc_progress_format_line(&s0, NULL, 0, 80, line, sizeof line),
                        "step 0/1000 (0%)  0 steps/s  return -  elapsed 0s  ETA ?");
    rlc_progress_stats su = {5000, 0, 0, 2, -1523.4, 3};
    assert_string_equal(rlc_progress_format_line(&su, NULL, 0, 80, line, sizeof line),
                        "step 5000  2.5k steps/s  return -1523 (3 ep)  elapsed 2s");
    assert_string_equal(rlc_progress_format_line(&su, "x", 1, 80, line, sizeof line),
                        "x 5k  2.5k steps/s  return -1523");
    rlc_progress_stats sd = {1000, 0, 1000, 10, 0.5, 1};
    assert_string_equal(rlc_progress_format_line(&sd, NULL, 1, 50, line, sizeof line),
                        "100% 1k/1k  100 steps/s  return 0.50  ETA 0s");
    rlc_progress_stats sr = {600000, 500000, 1000000, 10, 1, 1};
    assert_string_equal(rlc_progress_format_line(&sr, NULL, 0, 80, line, sizeof line),
                        "step 600000/1000000 (60%)  10k steps/s  return 1.00 (1 ep)  elapsed 10s  "
                        "ETA 40s");
}

static void test_progress_display(void **st) {
    (void)st;
    FILE *fp = tmpfile();
    assert_non_null(fp);
    rlc_progress_options o;
    rlc_progress_options_init(&o);
    o.out = fp;
    o.tty = 1;
    o.width = 60;
    o.tty_interval = 0; /* draw on every update */
    o.window = 2;
    o.label = "t";
    rlc_progress *p = NULL;
    assert_int_equal(rlc_progress_create(&p, 100, &o), RLC_OK);
    rlc_progress_update(p, 10);
    rlc_progress_episode(p, 1);
    rlc_progress_episode(p, 2);
    rlc_progress_episode(p, 6); /* window 2: mean of 2 and 6 */
    rlc_progress_update(p, 50);
    rlc_progress_finish(p, 100);
    rlc_progress_destroy(p);
    long n = ftell(fp);
    rewind(fp);
    char *s = calloc(1, (size_t)n + 1);
    assert_int_equal(fread(s, 1, (size_t)n, fp), (size_t)n);
    fclose(fp);
    assert_int_equal(s[0], '\r');
    assert_non_null(strstr(s, "\x1b[K"));
    assert_non_null(strstr(s, "return -"));
    assert_non_null(strstr(s, "return 4.00"));
    assert_non_null(strstr(s, " 100% "));
    assert_int_equal(s[n - 1], '\n');
    int newlines = 0;
    for (long i = 0; i < n; i++) newlines += s[i] == '\n';
    assert_int_equal(newlines, 1);
    free(s);

    /* Plain mode: whole lines, only when the interval has passed. */
    fp = tmpfile();
    o.out = fp;
    o.tty = 0;
    o.interval = 1000;
    assert_int_equal(rlc_progress_create(&p, 0, &o), RLC_OK);
    rlc_progress_update(p, 10); /* too early: nothing */
    rlc_progress_finish(p, 20);
    rlc_progress_destroy(p);
    n = ftell(fp);
    rewind(fp);
    s = calloc(1, (size_t)n + 1);
    assert_int_equal(fread(s, 1, (size_t)n, fp), (size_t)n);
    fclose(fp);
    assert_true(strncmp(s, "t step 20  ", 11) == 0);
    assert_int_equal(s[n - 1], '\n');
    assert_null(strchr(s, '\r'));
    free(s);

    o.window = 0;
    assert_int_equal(rlc_progress_create(&p, 10, &o), RLC_ERR_INVALID);
    rlc_progress_update(NULL, 1);
    rlc_progress_episode(NULL, 1);
    rlc_progress_finish(NULL, 1);
    rlc_progress_destroy(NULL);
}

RLC_TESTS(io_log, cmocka_unit_test(test_crc32c), cmocka_unit_test(test_tfevents_encoding),
          cmocka_unit_test(test_log_tfevents_roundtrip), cmocka_unit_test(test_log_csv_jsonl),
          cmocka_unit_test(test_log_append), cmocka_unit_test(test_log_disk_full),
          cmocka_unit_test(test_log_errors), cmocka_unit_test(test_log_alloc_failures),
          cmocka_unit_test(test_run_dir), cmocka_unit_test(test_progress_format),
          cmocka_unit_test(test_progress_display))
