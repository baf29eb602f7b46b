/* Running mean/variance: chunked parallel-merge updates against a two-pass computation,
 * SB3's epsilon count, clipped normalisation, bad input, copy and reset. */
#include "test.h"

#include "rlc/nn.h"

#include <math.h>

static void test_chunks_vs_two_pass(void **st) {
    (void)st;
    enum { N = 1000, D = 3 };
    static float x[N * D];
    rlc_rng r;
    rlc_rng_seed(&r, 5);
    for (int i = 0; i < N; i++) {
        x[i * D] = (float)rlc_rng_gauss(&r, 3.0, 2.0);
        x[i * D + 1] = (float)rlc_rng_uniform(&r, -100, 50);
        x[i * D + 2] = (float)(1e4 + rlc_rng_normal(&r)); /* large offset, small spread */
    }
    double mean[D] = {0}, var[D] = {0};
    for (int i = 0; i < N; i++)
        for (int j = 0; j < D; j++)
            mean[j] += x[i * D + j];
    for (int j = 0; j < D; j++)
        mean[j] /= N;
    for (int i = 0; i < N; i++)
        for (int j = 0; j < D; j++)
            var[j] += (x[i * D + j] - mean[j]) * (x[i * D + j] - mean[j]);
    for (int j = 0; j < D; j++)
        var[j] /= N;

    /* exact statistics with count_eps = 0, chunks of uneven sizes */
    rlc_normalizer *n = rlc_normalizer_create(D, 0.0, 10.0, 1e-8);
    int sizes[] = {1, 7, 100, 2, 390, 500};
    int at = 0;
    for (int k = 0; k < 6; k++) {
        assert_int_equal(rlc_normalizer_update(n, x + at * D, sizes[k]), RLC_OK);
        at += sizes[k];
    }
    assert_int_equal(at, N);
    assert_close(rlc_normalizer_count(n), N, 0);
    for (int j = 0; j < D; j++) {
        assert_close(rlc_normalizer_mean(n)[j], mean[j], 1e-9 * (1 + fabs(mean[j])));
        assert_close(rlc_normalizer_var(n)[j], var[j], 1e-8 * var[j]);
    }
    /* SB3 default: count starts at 1e-4 with mean 0, var 1 */
    rlc_normalizer *s = rlc_normalizer_create(D, 1e-4, 10.0, 1e-8);
    assert_close(rlc_normalizer_var(s)[0], 1.0, 0);
    for (int k = 0, a = 0; k < 6; a += sizes[k], k++)
        assert_int_equal(rlc_normalizer_update(s, x + a * D, sizes[k]), RLC_OK);
    double c = N + 1e-4;
    for (int j = 0; j < D; j++) {
        double m = mean[j] * N / c;
        double v = (1e-4 * 1.0 + N * var[j] + mean[j] * mean[j] * 1e-4 * N / c) / c;
        assert_close(rlc_normalizer_mean(s)[j], m, 1e-9 * (1 + fabs(m)));
        assert_close(rlc_normalizer_var(s)[j], v, 1e-7 * v);
    }
    /* float64 input path agrees */
    rlc_normalizer *d = rlc_normalizer_create(D, 0.0, 10.0, 1e-8);
    static double xd[N * D];
    for (int i = 0; i < N * D; i++)
        xd[i] = x[i];
    assert_int_equal(rlc_normalizer_update_f64(d, xd, N), RLC_OK);
    for (int j = 0; j < D; j++)
        assert_close(rlc_normalizer_mean(d)[j], mean[j], 1e-9 * (1 + fabs(mean[j])));
    rlc_normalizer_destroy(d);
    rlc_normalizer_destroy(s);
    rlc_normalizer_destroy(n);
}

static void test_normalize_clip(void **st) {
    (void)st;
    rlc_normalizer *n = rlc_normalizer_create(2, 0.0, 5.0, 0.0);
    float b[] = {0, 10, 2, 30, 4, 20}; /* col 0: mean 2 var 8/3; col 1: mean 20 var 200/3 */
    assert_int_equal(rlc_normalizer_update(n, b, 3), RLC_OK);
    float x[] = {2 + 1.0f, 20, 1000, -1000}, y[4];
    rlc_normalizer_normalize(n, x, y, 2);
    assert_close(y[0], 1.0 / sqrt(8.0 / 3), 1e-6);
    assert_close(y[1], 0.0, 1e-6);
    assert_close(y[2], 5.0, 0);
    assert_close(y[3], -5.0, 0);
    float u[4];
    rlc_normalizer_unnormalize(n, y, u, 1);
    assert_close(u[0], 3.0, 1e-5);
    assert_close(u[1], 20.0, 1e-5);
    /* in place */
    rlc_normalizer_normalize(n, x, x, 2);
    assert_memory_equal(x, y, sizeof y);
    double xd[] = {3.0, 20.0}, yd[2];
    rlc_normalizer_normalize_f64(n, xd, yd, 1);
    assert_close(yd[0], 1.0 / sqrt(8.0 / 3), 1e-12);
    rlc_normalizer_destroy(n);
}

static void test_bad_input_copy_reset(void **st) {
    (void)st;
    rlc_normalizer *n = rlc_normalizer_create(2, 1e-4, 10.0, 1e-8);
    float ok[] = {1, 2, 3, 4};
    assert_int_equal(rlc_normalizer_update(n, ok, 2), RLC_OK);
    double m0 = rlc_normalizer_mean(n)[0], c0 = rlc_normalizer_count(n);
    float bad[] = {1, NAN, 3, 4};
    assert_int_equal(rlc_normalizer_update(n, bad, 2), RLC_ERR_RANGE);
    assert_contains(rlc_last_error(), "row 0, column 1");
    assert_true(rlc_normalizer_mean(n)[0] == m0);
    assert_true(rlc_normalizer_count(n) == c0);
    assert_int_equal(rlc_normalizer_update(n, NULL, 0), RLC_OK);
    rlc_normalizer *c = rlc_normalizer_create(2, 1e-4, 10.0, 1e-8);
    assert_int_equal(rlc_normalizer_copy(c, n), RLC_OK);
    assert_true(rlc_normalizer_mean(c)[0] == m0);
    rlc_normalizer *other = rlc_normalizer_create(3, 1e-4, 10.0, 1e-8);
    assert_int_equal(rlc_normalizer_copy(other, n), RLC_ERR_INVALID);
    rlc_normalizer_reset(n);
    assert_true(rlc_normalizer_mean(n)[0] == 0.0 && rlc_normalizer_var(n)[1] == 1.0);
    assert_close(rlc_normalizer_count(n), 1e-4, 0);
    assert_int_equal(rlc_normalizer_dim(n), 2);
    assert_null(rlc_normalizer_create(0, 1e-4, 10, 1e-8));
    assert_null(rlc_normalizer_create(2, -1, 10, 1e-8));
    assert_null(rlc_normalizer_create(2, 1e-4, 0, 1e-8));
    rlc_normalizer_destroy(other);
    rlc_normalizer_destroy(c);
    rlc_normalizer_destroy(n);
    rlc_normalizer_destroy(NULL);
}

RLC_TESTS(nn_normalizer, cmocka_unit_test(test_chunks_vs_two_pass),
          cmocka_unit_test(test_normalize_clip), cmocka_unit_test(test_bad_input_copy_reset))
