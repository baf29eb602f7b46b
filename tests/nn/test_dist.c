/* Distributions: tanh-squashed Gaussian log-probability against a direct float64 formula (and
 * its stability for large pre-activations), gradients through the reparameterised sample,
 * categorical sampling frequencies and argmax. */
#include "test.h"

#include "rlc/nn.h"

#include <math.h>

/* log N(u; m, s) - sum log(1 - tanh(u)^2), straight from the definition. */
static double direct_logp(const double *u, const double *m, const double *ls, int A) {
    double lp = 0;
    for (int j = 0; j < A; j++) {
        double s = exp(ls[j]), z = (u[j] - m[j]) / s, t = tanh(u[j]);
        lp += -0.5 * z * z - ls[j] - 0.5 * log(2 * M_PI) - log(1 - t * t);
    }
    return lp;
}

static void check_tanh_gaussian(rlc_dtype dt, double tol) {
    enum { B = 64, A = 3 };
    rlc_graph *g = rlc_graph_create(dt, 0);
    rlc_tensor *mean = rlc_input_grad(g, 2, (int[]){B, A});
    rlc_tensor *log_std = rlc_input_grad(g, 2, (int[]){B, A});
    rlc_tensor *noise = rlc_input(g, 2, (int[]){B, A});
    rlc_tensor *act = NULL, *lp = NULL;
    assert_int_equal(rlc_tanh_gaussian_rsample(g, mean, log_std, noise, &act, &lp), RLC_OK);
    assert_int_equal(lp->ndim, 1);
    assert_int_equal(lp->shape[0], B);
    rlc_rng r;
    rlc_rng_seed(&r, 1);
    for (int i = 0; i < B * A; i++) {
        rlc_tensor_set(mean, i, rlc_rng_uniform(&r, -2, 2));
        rlc_tensor_set(log_std, i, rlc_rng_uniform(&r, -3, 0.5));
    }
    rlc_fill_normal(noise, &r);
    assert_int_equal(rlc_graph_forward(g), RLC_OK);
    for (int b = 0; b < B; b++) {
        double u[A], m[A], ls[A];
        for (int j = 0; j < A; j++) {
            int k = b * A + j;
            m[j] = rlc_tensor_get(mean, k);
            ls[j] = rlc_tensor_get(log_std, k);
            u[j] = m[j] + exp(ls[j]) * rlc_tensor_get(noise, k);
            assert_close(rlc_tensor_get(act, k), tanh(u[j]), tol);
        }
        double want = direct_logp(u, m, ls, A);
        assert_close(rlc_tensor_get(lp, b), want, tol * (1 + fabs(want)));
    }
    /* the log-prob of the same actions given explicitly agrees */
    rlc_tensor *a_in = rlc_input(g, 2, (int[]){B, A});
    rlc_tensor *lp2 = rlc_tanh_gaussian_log_prob(g, mean, log_std, a_in, 0);
    assert_int_equal(rlc_graph_status(g), RLC_OK);
    for (int i = 0; i < B * A; i++)
        rlc_tensor_set(a_in, i, rlc_tensor_get(act, i));
    assert_int_equal(rlc_graph_forward(g), RLC_OK);
    for (int b = 0; b < B; b++) {
        double a = rlc_tensor_get(lp, b), c = rlc_tensor_get(lp2, b);
        int saturated = 0;
        for (int j = 0; j < A; j++)
            saturated |= fabs(rlc_tensor_get(act, b * A + j)) > 0.999;
        if (!saturated) assert_close(c, a, (dt == RLC_F64 ? 1e-6 : 2e-2) * (1 + fabs(a)));
    }
    rlc_graph_destroy(g);
}

static void test_tanh_gaussian_log_prob(void **st) {
    (void)st;
    check_tanh_gaussian(RLC_F64, 1e-10);
    check_tanh_gaussian(RLC_F32, 1e-4);
}

/* For |u| large 1 - tanh(u)^2 underflows; the stable form stays finite and follows
 * log(1 - tanh(u)^2) ~ 2 log 2 - 2|u|. */
static void test_tanh_gaussian_saturation(void **st) {
    (void)st;
    rlc_graph *g = rlc_graph_create(RLC_F32, 0);
    rlc_tensor *mean = rlc_input_grad(g, 2, (int[]){4, 1});
    rlc_tensor *log_std = rlc_input_grad(g, 1, (int[]){1}); /* state-independent */
    rlc_tensor *noise = rlc_input(g, 2, (int[]){4, 1});
    rlc_tensor *lp;
    assert_int_equal(rlc_tanh_gaussian_rsample(g, mean, log_std, noise, NULL, &lp), RLC_OK);
    rlc_tensor *sum = rlc_sum_all(g, lp);
    double us[] = {30, -30, 60, -100};
    for (int i = 0; i < 4; i++)
        rlc_tensor_set(mean, i, us[i]);
    assert_int_equal(rlc_graph_forward(g), RLC_OK);
    assert_int_equal(rlc_graph_backward(g, sum), RLC_OK);
    for (int i = 0; i < 4; i++) {
        double want = -0.5 * log(2 * M_PI) - (2 * log(2.0) - 2 * fabs(us[i]));
        assert_true(isfinite(rlc_tensor_get(lp, i)));
        assert_close(rlc_tensor_get(lp, i), want, 1e-4 * fabs(want));
        /* d/dmean of -log(1 - tanh^2) is 2 tanh(u) -> +-2 */
        assert_close(rlc_tensor_grad_get(mean, i), us[i] > 0 ? 2.0 : -2.0, 1e-5);
    }
    assert_true(isfinite(rlc_tensor_grad_get(log_std, 0)));
    rlc_graph_destroy(g);
}

/* Gradients through the reparameterised sample against finite differences (float64). */
static void test_tanh_gaussian_gradients(void **st) {
    (void)st;
    rlc_graph *g = rlc_graph_create(RLC_F64, 0);
    rlc_tensor *mean = rlc_input_grad(g, 2, (int[]){2, 2});
    rlc_tensor *log_std = rlc_input_grad(g, 2, (int[]){2, 2});
    rlc_tensor *noise = rlc_input(g, 2, (int[]){2, 2});
    rlc_tensor *act, *lp;
    rlc_tanh_gaussian_rsample(g, mean, log_std, noise, &act, &lp);
    /* SAC actor loss shape: alpha * log_prob - Q(a), here Q(a) = sum(a * c) */
    rlc_tensor *loss = rlc_sub(g, rlc_mul_scalar(g, rlc_sum_all(g, lp), 0.2),
                               rlc_sum_all(g, rlc_mul_scalar(g, act, 1.5)));
    assert_int_equal(rlc_graph_status(g), RLC_OK);
    double v[] = {0.3, -1.2, 0.7, 2.0}, l[] = {-0.5, 0.1, -1.5, 0.3}, z[] = {0.4, -0.9, 1.3, 0.1};
    for (int i = 0; i < 4; i++) {
        rlc_tensor_set(mean, i, v[i]);
        rlc_tensor_set(log_std, i, l[i]);
        rlc_tensor_set(noise, i, z[i]);
    }
    rlc_graph_forward(g);
    assert_int_equal(rlc_graph_backward(g, loss), RLC_OK);
    rlc_tensor *ts[] = {mean, log_std};
    for (int k = 0; k < 2; k++)
        for (int i = 0; i < 4; i++) {
            double keep = rlc_tensor_get(ts[k], i), h = 1e-6;
            rlc_tensor_set(ts[k], i, keep + h);
            rlc_graph_forward(g);
            double lpv = rlc_tensor_get(loss, 0);
            rlc_tensor_set(ts[k], i, keep - h);
            rlc_graph_forward(g);
            double lmv = rlc_tensor_get(loss, 0);
            rlc_tensor_set(ts[k], i, keep);
            assert_close(rlc_tensor_grad_get(ts[k], i), (lpv - lmv) / (2 * h), 1e-6);
        }
    rlc_graph_destroy(g);
}

static void test_categorical_sampling(void **st) {
    (void)st;
    enum { C = 4, R = 2, DRAWS = 200000 };
    rlc_graph *g = rlc_graph_create(RLC_F32, RLC_GRAPH_NO_GRAD);
    rlc_tensor *logits = rlc_input(g, 2, (int[]){R, C});
    double lg[R][C] = {{0.0, 1.0, -1.0, 2.0}, {5.0, -30.0, 5.0, 0.0}};
    for (int r = 0; r < R; r++)
        for (int c = 0; c < C; c++)
            rlc_tensor_set(logits, r * C + c, lg[r][c]);
    rlc_rng rng;
    rlc_rng_seed(&rng, 123);
    long counts[R][C] = {{0}};
    int64_t out[R];
    for (int d = 0; d < DRAWS; d++) {
        rlc_categorical_sample(logits, &rng, out);
        for (int r = 0; r < R; r++)
            counts[r][out[r]]++;
    }
    for (int r = 0; r < R; r++) {
        double z = 0;
        for (int c = 0; c < C; c++)
            z += exp(lg[r][c]);
        for (int c = 0; c < C; c++) {
            double p = exp(lg[r][c]) / z, f = (double)counts[r][c] / DRAWS;
            /* 5 standard deviations of a binomial frequency */
            double sd = sqrt(p * (1 - p) / DRAWS);
            if (fabs(f - p) > 5 * sd + 1e-9)
                fail_msg("row %d class %d: frequency %g, probability %g", r, c, f, p);
        }
    }
    assert_true(counts[1][1] == 0);
    rlc_categorical_argmax(logits, out);
    assert_int_equal(out[0], 3);
    assert_int_equal(out[1], 0); /* first of the tied maxima */
    /* the same seed gives the same samples */
    rlc_rng a, b;
    rlc_rng_seed(&a, 9);
    rlc_rng_seed(&b, 9);
    int64_t o1[R], o2[R];
    for (int d = 0; d < 100; d++) {
        rlc_categorical_sample(logits, &a, o1);
        rlc_categorical_sample(logits, &b, o2);
        assert_memory_equal(o1, o2, sizeof o1);
    }
    rlc_graph_destroy(g);
}

static void test_gaussian_rsample(void **st) {
    (void)st;
    rlc_graph *g = rlc_graph_create(RLC_F64, 0);
    rlc_tensor *mean = rlc_input_grad(g, 2, (int[]){1000, 2});
    rlc_tensor *log_std = rlc_input_grad(g, 1, (int[]){2});
    rlc_tensor *noise = rlc_input(g, 2, (int[]){1000, 2});
    rlc_tensor *a = rlc_gaussian_rsample(g, mean, log_std, noise);
    assert_int_equal(rlc_graph_status(g), RLC_OK);
    rlc_tensor_set(log_std, 0, log(0.5));
    rlc_tensor_set(log_std, 1, log(2.0));
    for (int i = 0; i < 1000; i++)
        rlc_tensor_set(mean, 2 * i + 1, 3.0);
    rlc_rng r;
    rlc_rng_seed(&r, 4);
    rlc_fill_normal(noise, &r);
    rlc_graph_forward(g);
    double s[2] = {0}, q[2] = {0};
    for (int i = 0; i < 2000; i++) {
        s[i % 2] += rlc_tensor_get(a, i);
        q[i % 2] += rlc_tensor_get(a, i) * rlc_tensor_get(a, i);
    }
    double m0 = s[0] / 1000, m1 = s[1] / 1000;
    assert_close(m0, 0.0, 0.1);
    assert_close(m1, 3.0, 0.3);
    assert_close(sqrt(q[0] / 1000 - m0 * m0), 0.5, 0.05);
    assert_close(sqrt(q[1] / 1000 - m1 * m1), 2.0, 0.2);
    rlc_graph_destroy(g);
}

RLC_TESTS(nn_dist, cmocka_unit_test(test_tanh_gaussian_log_prob),
          cmocka_unit_test(test_tanh_gaussian_saturation),
          cmocka_unit_test(test_tanh_gaussian_gradients),
          cmocka_unit_test(test_categorical_sampling), cmocka_unit_test(test_gaussian_rsample))
