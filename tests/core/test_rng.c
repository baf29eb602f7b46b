/* RNG: every NumPy reference draw in tests/data/rng_vectors.txt (tools/gen_rng_vectors.py)
 * bit for bit, plus seeding edge cases, snapshots, child streams and argument checks. */
#include "test.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/rng_impl.h"
#include "rlc/rng.h"

#define MAX_TOK 16384
static char g_line[1 << 17];
static char *g_tok[MAX_TOK];

typedef struct vec_ctx {
    rlc_rng r;
    uint32_t words[64]; /* entropy words of the current seed (for pool/gen) */
    int nwords;
    int lineno;
    long checks; /* values compared */
    int seeded;
} vec_ctx;

static uint64_t parse_u64(const char *s, int lineno) {
    char *end;
    errno = 0;
    unsigned long long v = strtoull(s, &end, 0);
    if (errno || *end) fail_msg("line %d: bad integer '%s'", lineno, s);
    return (uint64_t)v;
}

static int64_t parse_i64(const char *s, int lineno) {
    char *end;
    errno = 0;
    long long v = strtoll(s, &end, 10);
    if (errno || *end) fail_msg("line %d: bad integer '%s'", lineno, s);
    return (int64_t)v;
}

static double parse_f64(const char *s, int lineno) {
    char *end;
    double v = strtod(s, &end);
    if (*end) fail_msg("line %d: bad float '%s'", lineno, s);
    return v;
}

/* "0x" + up to 32 hex digits -> (hi, lo). */
static void parse_u128(const char *s, uint64_t *hi, uint64_t *lo, int lineno) {
    if (strncmp(s, "0x", 2) != 0) fail_msg("line %d: bad u128 '%s'", lineno, s);
    *hi = *lo = 0;
    for (const char *p = s + 2; *p; p++) {
        int d = 0;
        if (*p >= '0' && *p <= '9')
            d = *p - '0';
        else if (*p >= 'a' && *p <= 'f')
            d = *p - 'a' + 10;
        else
            fail_msg("line %d: bad u128 '%s'", lineno, s);
        if (*hi >> 60) fail_msg("line %d: u128 overflow '%s'", lineno, s);
        *hi = (*hi << 4) | (*lo >> 60);
        *lo = (*lo << 4) | (uint64_t)d;
    }
}

static void expect_f64(vec_ctx *c, const char *what, int i, double got, const char *want_s) {
    double want = parse_f64(want_s, c->lineno);
    if (memcmp(&got, &want, sizeof got) != 0)
        fail_msg("line %d: %s[%d] = %.17g, NumPy %.17g", c->lineno, what, i, got, want);
    c->checks++;
}

static void expect_u64(vec_ctx *c, const char *what, int i, uint64_t got, uint64_t want) {
    if (got != want)
        fail_msg("line %d: %s[%d] = 0x%016llx, NumPy 0x%016llx", c->lineno, what, i,
                 (unsigned long long)got, (unsigned long long)want);
    c->checks++;
}

static void expect_i64(vec_ctx *c, const char *what, int i, int64_t got, int64_t want) {
    if (got != want)
        fail_msg("line %d: %s[%d] = %lld, NumPy %lld", c->lineno, what, i, (long long)got,
                 (long long)want);
    c->checks++;
}

/* Splits g_line into g_tok; returns the count. */
static int tokenize(void) {
    int n = 0;
    char *save = NULL;
    for (char *t = strtok_r(g_line, " \n", &save); t; t = strtok_r(NULL, " \n", &save)) {
        if (n == MAX_TOK) fail_msg("too many tokens");
        g_tok[n++] = t;
    }
    return n;
}

static int words_of_u64(uint64_t v, uint32_t *w) {
    w[0] = (uint32_t)v;
    w[1] = (uint32_t)(v >> 32);
    return w[1] ? 2 : 1;
}

static void cmd_seed(vec_ctx *c, int nt) {
    const char *dec = g_tok[1];
    rlc_rng a, b;
    memset(&a, 0xa5, sizeof a);
    assert_int_equal(rlc_rng_seed_str(&a, dec), RLC_OK);
    c->nwords = 0;
    if (nt > 2) {
        if (strcmp(g_tok[2], "words") != 0) fail_msg("line %d: expected 'words'", c->lineno);
        for (int i = 3; i < nt; i++) {
            if (c->nwords == 64) fail_msg("line %d: too many words", c->lineno);
            c->words[c->nwords++] = (uint32_t)parse_u64(g_tok[i], c->lineno);
        }
        memset(&b, 0x5a, sizeof b);
        rlc_rng_seed_words(&b, c->words, c->nwords);
        if (memcmp(&a, &b, sizeof a) != 0)
            fail_msg("line %d: seed_words and seed_str disagree", c->lineno);
    }
    /* Seeds below 2^64 also go through rlc_rng_seed. */
    errno = 0;
    char *end;
    unsigned long long v = strtoull(dec, &end, 10);
    if (!errno && !*end) {
        memset(&b, 0x3c, sizeof b);
        rlc_rng_seed(&b, (uint64_t)v);
        if (memcmp(&a, &b, sizeof a) != 0)
            fail_msg("line %d: rlc_rng_seed and seed_str disagree", c->lineno);
        if (!c->nwords) c->nwords = words_of_u64((uint64_t)v, c->words);
    }
    c->r = a;
    c->seeded = 1;
}

static void cmd_stream(vec_ctx *c, int nt) {
    if (nt != 3) fail_msg("line %d: stream S K", c->lineno);
    uint64_t s = parse_u64(g_tok[1], c->lineno), k = parse_u64(g_tok[2], c->lineno);
    rlc_rng_seed_stream(&c->r, s, k);
    memset(c->words, 0, sizeof c->words);
    words_of_u64(s, c->words);
    c->nwords = 4 + words_of_u64(k, c->words + 4);
    c->seeded = 1;
}

static void run_line(vec_ctx *c) {
    int nt = tokenize();
    if (nt == 0 || g_tok[0][0] == '#') return;
    const char *op = g_tok[0];
    if (!strcmp(op, "seed")) {
        cmd_seed(c, nt);
        return;
    }
    if (!strcmp(op, "stream")) {
        cmd_stream(c, nt);
        return;
    }
    if (!c->seeded) fail_msg("line %d: draw before seed", c->lineno);
    if (!strcmp(op, "pool") || !strcmp(op, "gen")) {
        uint32_t pool[4];
        uint64_t st[4];
        if (nt != 5 || c->nwords == 0) fail_msg("line %d: bad %s line", c->lineno, op);
        rlc__seedseq(c->words, c->nwords, pool, st);
        for (int i = 0; i < 4; i++) {
            uint64_t want = parse_u64(g_tok[1 + i], c->lineno);
            expect_u64(c, op, i, op[0] == 'p' ? pool[i] : st[i], want);
        }
        return;
    }
    if (!strcmp(op, "state")) {
        uint64_t hi, lo;
        if (nt != 3) fail_msg("line %d: bad state line", c->lineno);
        parse_u128(g_tok[1], &hi, &lo, c->lineno);
        expect_u64(c, "state_hi", 0, c->r.state_hi, hi);
        expect_u64(c, "state_lo", 0, c->r.state_lo, lo);
        parse_u128(g_tok[2], &hi, &lo, c->lineno);
        expect_u64(c, "inc_hi", 0, c->r.inc_hi, hi);
        expect_u64(c, "inc_lo", 0, c->r.inc_lo, lo);
        assert_int_equal(c->r.has_uint32, 0);
        return;
    }
    int eq = 0;
    while (eq < nt && strcmp(g_tok[eq], "=") != 0)
        eq++;
    if (eq == nt) fail_msg("line %d: no '=' in '%s' line", c->lineno, op);
    char **p = g_tok + 1; /* parameters */
    char **v = g_tok + eq + 1;
    int nv = nt - eq - 1;
    int n = (int)parse_i64(p[eq - 2], c->lineno); /* the count is the last parameter */
    if (strcmp(op, "normstats") != 0 && strcmp(op, "perm") != 0 && strcmp(op, "shufrows") != 0 &&
        nv != n)
        fail_msg("line %d: %d values for N = %d", c->lineno, nv, n);
    if (!strcmp(op, "u64")) {
        for (int i = 0; i < n; i++)
            expect_u64(c, op, i, rlc_rng_next_u64(&c->r), parse_u64(v[i], c->lineno));
    } else if (!strcmp(op, "u32")) {
        for (int i = 0; i < n; i++)
            expect_u64(c, op, i, rlc_rng_next_u32(&c->r), parse_u64(v[i], c->lineno));
    } else if (!strcmp(op, "random")) {
        for (int i = 0; i < n; i++)
            expect_f64(c, op, i, rlc_rng_random(&c->r), v[i]);
    } else if (!strcmp(op, "randomf")) {
        for (int i = 0; i < n; i++)
            expect_f64(c, op, i, rlc_rng_uniformf(&c->r, 0.0f, 1.0f), v[i]);
    } else if (!strcmp(op, "uniform")) {
        double lo = parse_f64(p[0], c->lineno), hi = parse_f64(p[1], c->lineno);
        for (int i = 0; i < n; i++)
            expect_f64(c, op, i, rlc_rng_uniform(&c->r, lo, hi), v[i]);
    } else if (!strcmp(op, "normal")) {
        for (int i = 0; i < n; i++)
            expect_f64(c, op, i, rlc_rng_normal(&c->r), v[i]);
    } else if (!strcmp(op, "gauss")) {
        double m = parse_f64(p[0], c->lineno), s = parse_f64(p[1], c->lineno);
        for (int i = 0; i < n; i++)
            expect_f64(c, op, i, rlc_rng_gauss(&c->r, m, s), v[i]);
    } else if (!strcmp(op, "integers")) {
        int64_t lo = parse_i64(p[0], c->lineno), hi = parse_i64(p[1], c->lineno);
        for (int i = 0; i < n; i++)
            expect_i64(c, op, i, rlc_rng_integers(&c->r, lo, hi), parse_i64(v[i], c->lineno));
    } else if (!strcmp(op, "perm")) {
        if (nv != n) fail_msg("line %d: perm length", c->lineno);
        int64_t *out = calloc((size_t)n + 1, sizeof *out);
        assert_non_null(out);
        rlc_rng_permutation(&c->r, n, out);
        for (int i = 0; i < n; i++)
            expect_i64(c, op, i, out[i], parse_i64(v[i], c->lineno));
        free(out);
    } else if (!strcmp(op, "shufrows")) {
        int rows = (int)parse_i64(p[0], c->lineno), cols = n;
        if (nv != rows * cols) fail_msg("line %d: shufrows length", c->lineno);
        int32_t *a = calloc((size_t)rows * (size_t)cols, sizeof *a);
        assert_non_null(a);
        for (int i = 0; i < rows * cols; i++)
            a[i] = i;
        rlc_rng_shuffle(&c->r, a, rows, (size_t)cols * sizeof *a);
        for (int i = 0; i < rows * cols; i++)
            expect_i64(c, op, i, a[i], parse_i64(v[i], c->lineno));
        free(a);
    } else if (!strcmp(op, "choice")) {
        int k = (int)parse_i64(p[0], c->lineno);
        if (eq != k + 3) fail_msg("line %d: choice parameters", c->lineno);
        double *prob = calloc((size_t)k, sizeof *prob);
        assert_non_null(prob);
        for (int i = 0; i < k; i++)
            prob[i] = parse_f64(p[1 + i], c->lineno);
        for (int i = 0; i < n; i++)
            expect_i64(c, op, i, rlc_rng_choice_p(&c->r, prob, k), parse_i64(v[i], c->lineno));
        free(prob);
    } else if (!strcmp(op, "normstats")) {
        int ntail = (int)parse_i64(v[2], c->lineno), seen = 0;
        if (nv != 3 + ntail) fail_msg("line %d: normstats length", c->lineno);
        double sum = 0.0;
        uint64_t x = 0;
        for (int i = 0; i < n; i++) {
            double z = rlc_rng_normal(&c->r);
            uint64_t bits;
            memcpy(&bits, &z, sizeof bits);
            sum += z;
            x ^= bits;
            if (fabs(z) > 3.4) {
                if (seen == ntail) fail_msg("line %d: extra tail value %d:%.17g", c->lineno, i, z);
                char *colon = strchr(v[3 + seen], ':');
                if (!colon) fail_msg("line %d: bad tail entry", c->lineno);
                *colon = 0;
                expect_i64(c, "tail index", seen, i, parse_i64(v[3 + seen], c->lineno));
                expect_f64(c, "tail value", seen, z, colon + 1);
                seen++;
            }
        }
        assert_int_equal(seen, ntail);
        expect_f64(c, "normal sum", 0, sum, v[0]);
        expect_u64(c, "normal xor", 0, x, parse_u64(v[1], c->lineno));
    } else {
        fail_msg("line %d: unknown command '%s'", c->lineno, op);
    }
}

static void test_numpy_vectors(void **st) {
    (void)st;
    FILE *f = fopen(RLC_TEST_DATA("rng_vectors.txt"), "r");
    if (!f) fail_msg("cannot open %s", RLC_TEST_DATA("rng_vectors.txt"));
    static vec_ctx c;
    memset(&c, 0, sizeof c);
    while (fgets(g_line, sizeof g_line, f)) {
        c.lineno++;
        if (!strchr(g_line, '\n')) fail_msg("line %d too long", c.lineno);
        run_line(&c);
    }
    fclose(f);
    /* ~950 lines: about 7000 values compared one by one, plus 200000 normals through their
     * checksums. Guards against a truncated or misparsed file passing silently. */
    assert_true(c.lineno > 900);
    assert_true(c.checks > 7000);
}

static void test_golden_readme(void **st) {
    (void)st;
    /* The worked example of /work/shared/golden/README.md, inline. */
    rlc_rng r;
    rlc_rng_seed(&r, 0);
    assert_true(r.state_hi == 0x1aa1b5345996452dull && r.state_lo == 0x09585eb7a69561e3ull);
    assert_true(r.inc_hi == 0x418ddadb3af71a82ull && r.inc_lo == 0x588133bc447873a9ull);
    assert_true(rlc_rng_next_u64(&r) == 0xa30febcfd9c2825full);
    rlc_rng_seed(&r, 0);
    assert_true(rlc_rng_random(&r) == 0.6369616873214543);
    rlc_rng_seed(&r, 0);
    assert_true(rlc_rng_normal(&r) == 0.1257302210933933);
    assert_true(rlc_rng_normal(&r) == -0.1321048632913019);
}

static void test_seed_forms(void **st) {
    (void)st;
    rlc_rng a, b, keep;
    /* High zero words do not change the value. */
    const uint32_t w7[3] = {7, 0, 0}, w0[2] = {0, 0};
    rlc_rng_seed_words(&a, w7, 3);
    rlc_rng_seed(&b, 7);
    assert_memory_equal(&a, &b, sizeof a);
    rlc_rng_seed_words(&a, w0, 2);
    rlc_rng_seed(&b, 0);
    assert_memory_equal(&a, &b, sizeof a);
    /* Leading zeros in the decimal string. */
    assert_int_equal(rlc_rng_seed_str(&a, "000042"), RLC_OK);
    rlc_rng_seed(&b, 42);
    assert_memory_equal(&a, &b, sizeof a);
    /* Rejected strings leave the generator untouched. */
    const char *bad[] = {"", "-1", "+1", " 1", "1 ", "12a", "0x10", "1.5"};
    rlc_rng_seed(&keep, 9);
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        a = keep;
        assert_int_equal(rlc_rng_seed_str(&a, bad[i]), RLC_ERR_INVALID);
        assert_contains(rlc_last_error(), "seed");
        assert_memory_equal(&a, &keep, sizeof a);
    }
    a = keep;
    assert_int_equal(rlc_rng_seed_str(&a, NULL), RLC_ERR_INVALID);
    /* A long seed needs a scratch buffer: out of memory is reported, nothing leaks. */
    char big[1001];
    memset(big, '9', 1000);
    big[1000] = 0;
    long long live = rlc_alloc_live();
    rlc_alloc_fail_after(1);
    a = keep;
    assert_int_equal(rlc_rng_seed_str(&a, big), RLC_ERR_NOMEM);
    rlc_alloc_fail_reset();
    assert_memory_equal(&a, &keep, sizeof a);
    assert_int_equal(rlc_rng_seed_str(&a, big), RLC_OK);
    assert_int_equal(rlc_alloc_live(), live);
    /* 10^1000 - 1 differs from 10^999 - 1 and from small seeds. */
    assert_int_equal(rlc_rng_seed_str(&b, big + 1), RLC_OK);
    assert_memory_not_equal(&a, &b, sizeof a);
}

static void test_snapshot(void **st) {
    (void)st;
    rlc_rng r, snap;
    rlc_rng_seed(&r, 5);
    (void)rlc_rng_next_u32(&r); /* leaves a buffered half */
    snap = r;
    uint64_t a[4], b[4];
    a[0] = rlc_rng_next_u32(&r);
    a[1] = rlc_rng_next_u64(&r);
    a[2] = (uint64_t)rlc_rng_integers(&r, 0, 10);
    double za = rlc_rng_normal(&r);
    memcpy(&a[3], &za, sizeof za);
    r = snap;
    b[0] = rlc_rng_next_u32(&r);
    b[1] = rlc_rng_next_u64(&r);
    b[2] = (uint64_t)rlc_rng_integers(&r, 0, 10);
    double zb = rlc_rng_normal(&r);
    memcpy(&b[3], &zb, sizeof zb);
    assert_memory_equal(a, b, sizeof a);
}

static void test_streams(void **st) {
    (void)st;
    rlc_rng a, b, c;
    rlc_rng_seed_stream(&a, 1, 0);
    rlc_rng_seed_stream(&b, 1, 1);
    rlc_rng_seed(&c, 1);
    assert_memory_not_equal(&a, &b, sizeof a);
    assert_memory_not_equal(&a, &c, sizeof a);
    /* Deterministic. */
    rlc_rng_seed_stream(&c, 1, 1);
    assert_memory_equal(&b, &c, sizeof b);
    /* Neighbouring streams are uncorrelated: their first 1000 doubles agree in sign about half
     * the time. */
    int same = 0;
    for (int i = 0; i < 1000; i++)
        same += (rlc_rng_random(&a) < 0.5) == (rlc_rng_random(&b) < 0.5);
    assert_true(same > 430 && same < 570);
}

static void test_argument_edges(void **st) {
    (void)st;
    rlc_rng r, snap;
    rlc_rng_seed(&r, 3);
    snap = r;
    /* Empty and single-value ranges draw nothing. */
    assert_int_equal(rlc_rng_integers(&r, 5, 5), 5);
    assert_int_equal(rlc_rng_integers(&r, 5, 2), 5);
    assert_int_equal(rlc_rng_integers(&r, -7, -6), -7);
    assert_memory_equal(&r, &snap, sizeof r);
    /* Invalid probabilities give -1 without drawing. */
    const double neg[2] = {0.5, -0.1}, zero[2] = {0.0, 0.0}, nan2[2] = {NAN, 1.0};
    const double inf2[2] = {INFINITY, 1.0};
    assert_int_equal(rlc_rng_choice_p(&r, neg, 2), -1);
    assert_int_equal(rlc_rng_choice_p(&r, zero, 2), -1);
    assert_int_equal(rlc_rng_choice_p(&r, nan2, 2), -1);
    assert_int_equal(rlc_rng_choice_p(&r, inf2, 2), -1);
    assert_int_equal(rlc_rng_choice_p(&r, NULL, 2), -1);
    assert_int_equal(rlc_rng_choice_p(&r, zero, 0), -1);
    /* Unnormalised weights are fine. */
    const double w[3] = {0.0, 3.0, 0.0};
    assert_memory_equal(&r, &snap, sizeof r);
    assert_int_equal(rlc_rng_choice_p(&r, w, 3), 1);
    /* Permutation of nothing, shuffle of one element. */
    snap = r;
    rlc_rng_permutation(&r, 0, NULL);
    int64_t one = 42;
    rlc_rng_shuffle(&r, &one, 1, sizeof one);
    assert_int_equal(one, 42);
    assert_memory_equal(&r, &snap, sizeof r);
    /* Shuffle of elements larger than the swap buffer. */
    char rows[5][100];
    for (int i = 0; i < 5; i++)
        memset(rows[i], 'a' + i, sizeof rows[i]);
    rlc_rng_shuffle(&r, rows, 5, sizeof rows[0]);
    int seen = 0;
    for (int i = 0; i < 5; i++) {
        for (int k = 1; k < 100; k++)
            assert_int_equal(rows[i][k], rows[i][0]);
        seen |= 1 << (rows[i][0] - 'a');
    }
    assert_int_equal(seen, 31);
}

static void test_float_helpers(void **st) {
    (void)st;
    rlc_rng r;
    rlc_rng_seed(&r, 8);
    double s = 0, s2 = 0;
    for (int i = 0; i < 20000; i++) {
        float u = rlc_rng_uniformf(&r, -2.0f, 3.0f);
        assert_true(u >= -2.0f && u < 3.0f);
        float z = rlc_rng_normalf(&r);
        assert_true(isfinite(z));
        s += z;
        s2 += (double)z * z;
    }
    assert_close(s / 20000, 0.0, 0.03);
    assert_close(s2 / 20000, 1.0, 0.05);
}

RLC_TESTS(core_rng, cmocka_unit_test(test_numpy_vectors), cmocka_unit_test(test_golden_readme),
          cmocka_unit_test(test_seed_forms), cmocka_unit_test(test_snapshot),
          cmocka_unit_test(test_streams), cmocka_unit_test(test_argument_edges),
          cmocka_unit_test(test_float_helpers))
