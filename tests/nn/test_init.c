/* Initialisers: orthogonality (and PyTorch's positive-diagonal QR convention), the variance of
 * Xavier/Kaiming/default draws on large matrices, exact sparsity, biases and argument errors. */
#include "test.h"

#include "rlc/nn.h"

#include <math.h>

static double *init_f64(int rows, int cols, rlc_init init, uint64_t seed) {
    double *w = malloc(sizeof(double) * rows * cols);
    rlc_rng r;
    rlc_rng_seed(&r, seed);
    assert_int_equal(rlc_init_matrix(w, RLC_F64, rows, cols, &init, &r), RLC_OK);
    return w;
}

/* max |W W^T - gain^2 I| (rows <= cols) or |W^T W - gain^2 I| (tall). */
static double ortho_err(const double *w, int R, int C, double gain) {
    double err = 0;
    int k = R <= C ? R : C;
    for (int a = 0; a < k; a++)
        for (int b = 0; b < k; b++) {
            double s = 0;
            if (R <= C)
                for (int j = 0; j < C; j++)
                    s += w[a * C + j] * w[b * C + j];
            else
                for (int i = 0; i < R; i++)
                    s += w[i * C + a] * w[i * C + b];
            double e = fabs(s - (a == b ? gain * gain : 0.0));
            if (e > err) err = e;
        }
    return err;
}

static void test_orthogonal(void **st) {
    (void)st;
    int shapes[][2] = {{64, 64}, {32, 128}, {128, 32}, {1, 9}, {7, 1}, {17, 256}};
    for (int s = 0; s < 6; s++) {
        int R = shapes[s][0], C = shapes[s][1];
        double *w = init_f64(R, C, (rlc_init){.kind = RLC_INIT_ORTHOGONAL}, 3);
        assert_true(ortho_err(w, R, C, 1.0) < 1e-12);
        free(w);
        /* float32 output, with gain */
        float *f = malloc(sizeof(float) * R * C);
        rlc_rng r;
        rlc_rng_seed(&r, 4);
        rlc_init in = {.kind = RLC_INIT_ORTHOGONAL, .gain = sqrt(2.0)};
        assert_int_equal(rlc_init_matrix(f, RLC_F32, R, C, &in, &r), RLC_OK);
        double *d = malloc(sizeof(double) * R * C);
        for (int i = 0; i < R * C; i++)
            d[i] = f[i];
        double e = ortho_err(d, R, C, sqrt(2.0));
        if (e > 1e-5) fail_msg("float32 orthogonal %dx%d: error %g", R, C, e);
        free(d);
        free(f);
    }
}

/* PyTorch's orthogonal_ takes Q of the QR of a Gaussian matrix G (transposed when wide) with
 * Q scaled by sign(diag(R)): so Q^T G must be upper triangular with a positive diagonal. */
static void test_orthogonal_is_qr_of_gaussian(void **st) {
    (void)st;
    int R = 40, C = 12; /* tall */
    double *q = init_f64(R, C, (rlc_init){.kind = RLC_INIT_ORTHOGONAL}, 11);
    rlc_rng r;
    rlc_rng_seed(&r, 11);
    double *g = malloc(sizeof(double) * R * C);
    for (int i = 0; i < R * C; i++)
        g[i] = rlc_rng_normal(&r);
    for (int a = 0; a < C; a++)
        for (int b = 0; b < C; b++) {
            double s = 0;
            for (int i = 0; i < R; i++)
                s += q[i * C + a] * g[i * C + b];
            if (a > b) assert_true(fabs(s) < 1e-10);
            if (a == b) assert_true(s > 0);
        }
    free(q);
    free(g);
    /* wide: W = Q^T with G^T = Q R, so W G^T is upper triangular with a positive diagonal */
    R = 9, C = 30;
    double *w = init_f64(R, C, (rlc_init){.kind = RLC_INIT_ORTHOGONAL}, 12);
    rlc_rng_seed(&r, 12);
    g = malloc(sizeof(double) * R * C);
    for (int i = 0; i < R * C; i++)
        g[i] = rlc_rng_normal(&r);
    for (int a = 0; a < R; a++)
        for (int b = 0; b < R; b++) {
            double s = 0;
            for (int j = 0; j < C; j++)
                s += w[a * C + j] * g[b * C + j];
            if (a > b) assert_true(fabs(s) < 1e-10);
            if (a == b) assert_true(s > 0);
        }
    free(w);
    free(g);
}

static void moments(const double *w, int n, double *mean, double *var) {
    double s = 0, v = 0;
    for (int i = 0; i < n; i++)
        s += w[i];
    *mean = s / n;
    for (int i = 0; i < n; i++)
        v += (w[i] - *mean) * (w[i] - *mean);
    *var = v / n;
}

static void check_var(rlc_init init, int R, int C, double want_var, double bound) {
    double *w = init_f64(R, C, init, 5);
    double mean, var;
    moments(w, R * C, &mean, &var);
    if (fabs(var / want_var - 1) > 0.02 || fabs(mean) > 0.01 * sqrt(want_var))
        fail_msg("init kind %d: mean %g var %g, want var %g", (int)init.kind, mean, var, want_var);
    if (bound > 0)
        for (int i = 0; i < R * C; i++)
            assert_true(fabs(w[i]) <= bound);
    free(w);
}

static void test_variances(void **st) {
    (void)st;
    int R = 400, C = 600; /* fan_out 400, fan_in 600 */
    double fi = C, fo = R;
    check_var((rlc_init){.kind = RLC_INIT_XAVIER_UNIFORM}, R, C, 2.0 / (fi + fo),
              sqrt(6.0 / (fi + fo)));
    check_var((rlc_init){.kind = RLC_INIT_XAVIER_NORMAL, .gain = 2}, R, C, 4 * 2.0 / (fi + fo), 0);
    check_var((rlc_init){.kind = RLC_INIT_KAIMING_UNIFORM}, R, C, 2.0 / fi, sqrt(6.0 / fi));
    check_var((rlc_init){.kind = RLC_INIT_KAIMING_NORMAL}, R, C, 2.0 / fi, 0);
    check_var((rlc_init){.kind = RLC_INIT_KAIMING_NORMAL, .gain = 1}, R, C, 1.0 / fi, 0);
    /* PyTorch Linear default: U(-1/sqrt(fan_in), 1/sqrt(fan_in)), var 1/(3 fan_in) */
    check_var((rlc_init){.kind = RLC_INIT_DEFAULT}, R, C, 1.0 / (3 * fi), 1.0 / sqrt(fi));
    check_var((rlc_init){.kind = RLC_INIT_NORMAL, .std = 0.5}, R, C, 0.25, 0);
    double *w = init_f64(10, 10, (rlc_init){.kind = RLC_INIT_UNIFORM, .lo = 2, .hi = 3}, 1);
    for (int i = 0; i < 100; i++)
        assert_true(w[i] >= 2 && w[i] < 3);
    free(w);
    w = init_f64(3, 3, (rlc_init){.kind = RLC_INIT_CONSTANT, .value = 0.25}, 1);
    for (int i = 0; i < 9; i++)
        assert_true(w[i] == 0.25);
    free(w);
}

static void test_sparse(void **st) {
    (void)st;
    int R = 50, C = 37;
    double fr[] = {0.9, 0.5, 0.0, 0.3};
    for (int k = 0; k < 4; k++) {
        double *w = init_f64(R, C, (rlc_init){.kind = RLC_INIT_SPARSE, .sparsity = fr[k]}, 9);
        int want = (int)ceil((fr[k] > 0 ? fr[k] : 0.9) * C - 1e-9); /* 0: the default 0.9 */
        for (int r = 0; r < R; r++) {
            int z = 0;
            for (int c = 0; c < C; c++) {
                z += w[r * C + c] == 0.0;
                assert_true(fabs(w[r * C + c]) <= 1.0 / sqrt(C));
            }
            if (z != want) fail_msg("sparsity %g row %d: %d zeros, want %d", fr[k], r, z, want);
        }
        free(w);
    }
    /* 0.9 * 10 is 9 zeros per unit, not 10 */
    double *w = init_f64(4, 10, (rlc_init){.kind = RLC_INIT_SPARSE, .sparsity = 0.9}, 1);
    for (int r = 0; r < 4; r++) {
        int z = 0;
        for (int c = 0; c < 10; c++)
            z += w[r * 10 + c] == 0.0;
        assert_int_equal(z, 9);
    }
    free(w);
}

static void test_bias_and_errors(void **st) {
    (void)st;
    rlc_rng r;
    rlc_rng_seed(&r, 2);
    float b[64];
    assert_int_equal(rlc_init_bias(b, RLC_F32, 64, 16, NULL, NULL, &r), RLC_OK);
    int nonzero = 0;
    for (int i = 0; i < 64; i++) {
        assert_true(fabsf(b[i]) <= 0.25f);
        nonzero += b[i] != 0;
    }
    assert_true(nonzero > 60);
    /* with a non-default weight init the default bias is zero */
    rlc_init orth = {.kind = RLC_INIT_ORTHOGONAL};
    assert_int_equal(rlc_init_bias(b, RLC_F32, 64, 16, NULL, &orth, &r), RLC_OK);
    for (int i = 0; i < 64; i++)
        assert_true(b[i] == 0.0f);
    assert_int_equal(rlc_init_bias(b, RLC_F32, 64, 16, &orth, NULL, &r), RLC_ERR_INVALID);
    assert_contains(rlc_last_error(), "'orthogonal' applies to weight matrices");
    assert_int_equal(rlc_init_matrix(b, RLC_F32, 2, 2,
                                     &(rlc_init){.kind = RLC_INIT_SPARSE, .sparsity = 1.0}, &r),
                     RLC_ERR_RANGE);
    assert_int_equal(rlc_init_matrix(b, RLC_F32, 2, 2,
                                     &(rlc_init){.kind = RLC_INIT_UNIFORM, .lo = 1, .hi = 0}, &r),
                     RLC_ERR_RANGE);
    assert_int_equal(rlc_init_matrix(b, RLC_F32, 0, 2, NULL, &r), RLC_ERR_INVALID);
    assert_int_equal(rlc_init_matrix(b, RLC_F32, 2, 2, &(rlc_init){.kind = (rlc_init_kind)99}, &r),
                     RLC_ERR_INVALID);
    /* orthogonal scratch allocation failure leaves the matrix untouched */
    for (int i = 0; i < 4; i++)
        b[i] = 5.0f;
    long long live = rlc_alloc_live();
    rlc_alloc_fail_after(1);
    assert_int_equal(rlc_init_matrix(b, RLC_F32, 2, 2, &orth, &r), RLC_ERR_NOMEM);
    rlc_alloc_fail_reset();
    assert_int_equal(rlc_alloc_live(), live);
    for (int i = 0; i < 4; i++)
        assert_true(b[i] == 5.0f);
}

static void test_deterministic(void **st) {
    (void)st;
    rlc_init kinds[] = {{.kind = RLC_INIT_ORTHOGONAL},
                        {.kind = RLC_INIT_SPARSE, .sparsity = 0.5},
                        {.kind = RLC_INIT_XAVIER_NORMAL}};
    for (int k = 0; k < 3; k++) {
        double *a = init_f64(20, 30, kinds[k], 42), *b = init_f64(20, 30, kinds[k], 42);
        double *c = init_f64(20, 30, kinds[k], 43);
        assert_memory_equal(a, b, sizeof(double) * 600);
        assert_memory_not_equal(a, c, sizeof(double) * 600);
        free(a);
        free(b);
        free(c);
    }
}

RLC_TESTS(nn_init, cmocka_unit_test(test_orthogonal),
          cmocka_unit_test(test_orthogonal_is_qr_of_gaussian), cmocka_unit_test(test_variances),
          cmocka_unit_test(test_sparse), cmocka_unit_test(test_bias_and_errors),
          cmocka_unit_test(test_deterministic))
