/* Optimizers against the update rules of torch.optim written out literally in float64, the
 * SIMD kernels against the scalar code (bit for bit), gradient clipping and schedules. */
#include "test.h"

#include "rlc/optim.h"

#include <math.h>

void rlc__optim_set_simd(int level);

enum { NP = 5, STEPS = 6 };

/* Gradient of a fixed quadratic-plus-linear loss, so later steps see changed gradients. */
static double grad_of(int i, double p) {
    static const double c[NP] = {1.0, 0.5, 2.0, 0.1, 3.0}, d[NP] = {0.1, -0.3, 0.0, 0.2, -1.0};
    return c[i] * p + d[i];
}

/* torch.optim, per element, as documented (two divisions in Adam, like its for-loop code). */
static void reference(const rlc_optim_config *c, double *p, int steps) {
    double m[NP] = {0}, v[NP] = {0}, b[NP] = {0}, ga[NP] = {0};
    for (int t = 1; t <= steps; t++)
        for (int i = 0; i < NP; i++) {
            double g = grad_of(i, p[i]);
            switch (c->kind) {
            case RLC_OPTIM_SGD:
                if (c->weight_decay) g += c->weight_decay * p[i];
                if (c->momentum) {
                    b[i] = t == 1 ? g : c->momentum * b[i] + (1 - c->dampening) * g;
                    g = c->nesterov ? g + c->momentum * b[i] : b[i];
                }
                p[i] -= c->lr * g;
                break;
            case RLC_OPTIM_ADAM:
            case RLC_OPTIM_ADAMW: {
                if (c->kind == RLC_OPTIM_ADAMW)
                    p[i] *= 1 - c->lr * c->weight_decay;
                else if (c->weight_decay)
                    g += c->weight_decay * p[i];
                m[i] = c->beta1 * m[i] + (1 - c->beta1) * g;
                v[i] = c->beta2 * v[i] + (1 - c->beta2) * g * g;
                double bc1 = 1 - pow(c->beta1, t), bc2 = 1 - pow(c->beta2, t);
                double denom = sqrt(v[i]) / sqrt(bc2) + c->eps;
                p[i] -= c->lr / bc1 * m[i] / denom;
                break;
            }
            case RLC_OPTIM_RMSPROP: {
                if (c->weight_decay) g += c->weight_decay * p[i];
                v[i] = c->alpha * v[i] + (1 - c->alpha) * g * g;
                double avg;
                if (c->centered) {
                    ga[i] = c->alpha * ga[i] + (1 - c->alpha) * g;
                    avg = sqrt(v[i] - ga[i] * ga[i]) + c->eps;
                } else {
                    avg = sqrt(v[i]) + c->eps;
                }
                if (c->momentum > 0) {
                    b[i] = c->momentum * b[i] + g / avg;
                    p[i] -= c->lr * b[i];
                } else {
                    p[i] -= c->lr * g / avg;
                }
                break;
            }
            }
        }
}

static const double P0[NP] = {0.5, -1.0, 2.0, 0.0, 3.0};

static void run(rlc_dtype dt, const rlc_optim_config *c, double *out, int steps) {
    rlc_params *p = rlc_params_create(dt);
    assert_int_equal(rlc_params_add(p, "w", 1, (int[]){NP}, NULL), RLC_OK);
    rlc_optim *o = rlc_optim_create(p, c);
    assert_non_null(o);
    void *d = rlc_params_data(p), *g = rlc_params_grad(p);
    for (int i = 0; i < NP; i++) {
        if (dt == RLC_F32)
            ((float *)d)[i] = (float)P0[i];
        else
            ((double *)d)[i] = P0[i];
    }
    for (int t = 0; t < steps; t++) {
        for (int i = 0; i < NP; i++) {
            if (dt == RLC_F32)
                ((float *)g)[i] = (float)grad_of(i, ((float *)d)[i]);
            else
                ((double *)g)[i] = grad_of(i, ((double *)d)[i]);
        }
        rlc_optim_step(o);
    }
    assert_int_equal(rlc_optim_steps(o), steps);
    for (int i = 0; i < NP; i++)
        out[i] = dt == RLC_F32 ? ((float *)d)[i] : ((double *)d)[i];
    rlc_optim_destroy(o);
    rlc_params_destroy(p);
}

static void check(const char *what, rlc_optim_config c) {
    for (int steps = 1; steps <= STEPS; steps += STEPS - 1) {
        double want[NP], got64[NP], got32[NP];
        memcpy(want, P0, sizeof want);
        reference(&c, want, steps);
        run(RLC_F64, &c, got64, steps);
        run(RLC_F32, &c, got32, steps);
        for (int i = 0; i < NP; i++) {
            if (fabs(got64[i] - want[i]) > 1e-12 * (1 + fabs(want[i])))
                fail_msg("%s f64 step %d p[%d]: %.17g, want %.17g", what, steps, i, got64[i],
                         want[i]);
            if (fabs(got32[i] - want[i]) > 2e-6 * (1 + fabs(want[i])))
                fail_msg("%s f32 step %d p[%d]: %.9g, want %.9g", what, steps, i, got32[i],
                         want[i]);
        }
    }
}

static void test_against_torch_rules(void **st) {
    (void)st;
    rlc_optim_config c = rlc_optim_defaults(RLC_OPTIM_SGD);
    c.lr = 0.1;
    check("sgd", c);
    c.momentum = 0.9;
    c.dampening = 0.1;
    c.weight_decay = 0.01;
    check("sgd momentum", c);
    c.dampening = 0;
    c.nesterov = 1;
    check("sgd nesterov", c);
    c = rlc_optim_defaults(RLC_OPTIM_ADAM);
    check("adam", c);
    c.lr = 0.05;
    c.weight_decay = 0.1;
    c.beta1 = 0.8;
    check("adam l2", c);
    c = rlc_optim_defaults(RLC_OPTIM_ADAMW);
    c.lr = 0.05;
    c.weight_decay = 0.05;
    check("adamw", c);
    c = rlc_optim_defaults(RLC_OPTIM_RMSPROP);
    check("rmsprop", c);
    c.centered = 1;
    c.momentum = 0.5;
    c.weight_decay = 0.01;
    check("rmsprop centered momentum", c);
    c.centered = 0;
    check("rmsprop momentum", c);
}

/* Adam's first step moves every parameter by lr against the gradient's sign (m / sqrt(v) = 1
 * after bias correction), the classic sanity check. */
static void test_adam_first_step(void **st) {
    (void)st;
    rlc_optim_config c = rlc_optim_defaults(RLC_OPTIM_ADAM);
    c.lr = 0.01;
    double got[NP];
    run(RLC_F64, &c, got, 1);
    for (int i = 0; i < NP; i++) {
        double g = grad_of(i, P0[i]);
        if (g == 0) continue;
        assert_close(got[i] - P0[i], g > 0 ? -0.01 : 0.01, 1e-8);
    }
    /* defaults are PyTorch's */
    assert_close(c.beta1, 0.9, 0);
    assert_close(c.beta2, 0.999, 0);
    assert_close(c.eps, 1e-8, 0);
    assert_close(rlc_optim_defaults(RLC_OPTIM_RMSPROP).lr, 1e-2, 0);
    assert_close(rlc_optim_defaults(RLC_OPTIM_RMSPROP).alpha, 0.99, 0);
    assert_close(rlc_optim_defaults(RLC_OPTIM_ADAMW).weight_decay, 1e-2, 0);
}

static void simd_run(int level, int kind, float *out, int n) {
    rlc__optim_set_simd(level);
    rlc_params *p = rlc_params_create(RLC_F32);
    assert_int_equal(rlc_params_add(p, "w", 1, (int[]){n}, NULL), RLC_OK);
    rlc_optim_config c = rlc_optim_defaults(RLC_OPTIM_ADAM);
    if (kind == 1) c.weight_decay = 0.1;
    if (kind == 2) c = rlc_optim_defaults(RLC_OPTIM_ADAMW);
    if (kind >= 3) c = rlc_optim_defaults(RLC_OPTIM_RMSPROP);
    if (kind == 4) {
        c.centered = 1;
        c.momentum = 0.5;
        c.weight_decay = 0.01;
    }
    c.zero_grad = kind == 2 || kind == 4;
    rlc_optim *o = rlc_optim_create(p, &c);
    float *d = rlc_params_data(p), *g = rlc_params_grad(p);
    rlc_rng r;
    rlc_rng_seed(&r, 77);
    for (int i = 0; i < n; i++)
        d[i] = (float)rlc_rng_normal(&r);
    for (int t = 0; t < 4; t++) {
        /* some tiny gradients push m or v under FLT_MIN: they must be flushed the same way */
        for (int i = 0; i < n; i++)
            g[i] = (float)(rlc_rng_normal(&r) * (i % 7 == 0    ? 1e-6
                                                 : i % 11 == 0 ? 1e-37
                                                 : i % 13 == 0 ? 1e-21
                                                               : 1));
        rlc_optim_step(o);
        if (c.zero_grad)
            for (int i = 0; i < n; i++)
                assert_true(g[i] == 0.0f);
    }
    const float *m = rlc_params_state(p, 0), *v = kind >= 3 ? m : rlc_params_state(p, 1);
    for (int i = 0; i < n; i++) {
        assert_true(fpclassify(m[i]) != FP_SUBNORMAL && fpclassify(v[i]) != FP_SUBNORMAL);
        if ((kind == 0 || kind == 2) && i % 13 == 0 && i % 7 && i % 11) assert_true(v[i] == 0.0f);
    }
    memcpy(out, d, sizeof(float) * n);
    memcpy(out + n, rlc_params_state(p, 0), sizeof(float) * n);
    memcpy(out + 2 * n, rlc_params_state(p, kind == 3 ? 0 : 1), sizeof(float) * n);
    rlc_optim_destroy(o);
    rlc_params_destroy(p);
    rlc__optim_set_simd(-1);
}

static void test_simd_bit_identical(void **st) {
    (void)st;
    enum { N = 1003 };
    static float a[3 * N], b[3 * N];
    for (int kind = 0; kind < 5; kind++) { /* adam, adam+l2, adamw, rmsprop, rmsprop+all */
        simd_run(0, kind, a, N);
        for (int level = 1; level <= 2; level++) {
            simd_run(level, kind, b, N);
            assert_memory_equal(a, b, sizeof a);
        }
    }
}

static void test_state_slots_and_errors(void **st) {
    (void)st;
    rlc_params *p = rlc_params_create(RLC_F32);
    assert_int_equal(rlc_params_add(p, "w", 1, (int[]){3}, NULL), RLC_OK);
    rlc_optim_config c = rlc_optim_defaults(RLC_OPTIM_SGD);
    rlc_optim *o = rlc_optim_create(p, &c);
    assert_null(rlc_params_state(p, 0)); /* plain SGD keeps no state */
    rlc_optim_destroy(o);
    c = rlc_optim_defaults(RLC_OPTIM_ADAM);
    o = rlc_optim_create(p, &c);
    assert_non_null(rlc_params_state(p, 0));
    assert_non_null(rlc_params_state(p, 1));
    assert_null(rlc_params_state(p, 2));
    assert_close(rlc_optim_lr(o), 1e-3, 0);
    rlc_optim_set_lr(o, 0.5);
    assert_close(rlc_optim_lr(o), 0.5, 0);
    assert_int_equal(rlc_optim_config_of(o)->kind, RLC_OPTIM_ADAM);
    float *g = rlc_params_grad(p);
    g[0] = 1;
    rlc_optim_step(o);
    assert_int_equal(rlc_optim_steps(o), 1);
    assert_true(((float *)rlc_params_state(p, 0))[0] != 0);
    rlc_optim_reset(o);
    assert_int_equal(rlc_optim_steps(o), 0);
    assert_true(((float *)rlc_params_state(p, 0))[0] == 0);
    rlc_optim_destroy(o);
    rlc_optim_destroy(NULL);
    /* bad configurations */
    rlc_optim_config bad = rlc_optim_defaults(RLC_OPTIM_ADAM);
    bad.beta2 = 1.0;
    assert_null(rlc_optim_create(p, &bad));
    assert_contains(rlc_last_error(), "beta2");
    bad = rlc_optim_defaults(RLC_OPTIM_SGD);
    bad.nesterov = 1;
    assert_null(rlc_optim_create(p, &bad));
    assert_contains(rlc_last_error(), "Nesterov");
    bad.lr = -1;
    assert_null(rlc_optim_create(p, &bad));
    assert_null(rlc_optim_create(NULL, &c));
    rlc_optim_kind k;
    assert_int_equal(rlc_optim_kind_parse("adamw", &k), RLC_OK);
    assert_int_equal(k, RLC_OPTIM_ADAMW);
    assert_int_equal(rlc_optim_kind_parse("lion", &k), RLC_ERR_INVALID);
    rlc_params_destroy(p);
}

static void test_clip_grad_norm(void **st) {
    (void)st;
    rlc_params *p = rlc_params_create(RLC_F32);
    assert_int_equal(rlc_params_add(p, "a", 1, (int[]){2}, NULL), RLC_OK);
    assert_int_equal(rlc_params_add(p, "b", 1, (int[]){1}, NULL), RLC_OK);
    float *g = rlc_params_grad(p);
    g[0] = 3, g[1] = 0, g[2] = -4;
    assert_close(rlc_clip_grad_norm(p, 10.0), 5.0, 1e-12);
    assert_true(g[0] == 3 && g[2] == -4); /* under the limit: untouched */
    assert_close(rlc_clip_grad_norm(p, 1.0), 5.0, 1e-12);
    float coef = (float)(1.0 / (5.0 + 1e-6));
    assert_true(g[0] == 3 * coef && g[2] == -4 * coef);
    assert_close(rlc_params_grad_norm(p), 1.0, 1e-6);
    /* many elements: the fixed-order sum matches a direct sum */
    rlc_params *q = rlc_params_create(RLC_F64);
    assert_int_equal(rlc_params_add(q, "w", 1, (int[]){1001}, NULL), RLC_OK);
    double *gq = rlc_params_grad(q), s = 0;
    for (int i = 0; i < 1001; i++) {
        gq[i] = sin(i);
        s += gq[i] * gq[i];
    }
    assert_close(rlc_clip_grad_norm(q, 1e9), sqrt(s), 1e-10);
    /* the float32 norm (SIMD on x86) equals the float64 one (scalar) of the same values */
    rlc_params *f = rlc_params_create(RLC_F32);
    assert_int_equal(rlc_params_add(f, "w", 1, (int[]){1001}, NULL), RLC_OK);
    float *gf = rlc_params_grad(f);
    for (int i = 0; i < 1001; i++) gq[i] = gf[i] = (float)sin(i);
    assert_true(rlc_params_grad_norm(f) == rlc_params_grad_norm(q));
    rlc_params_destroy(f);
    g[0] = NAN;
    assert_true(isnan(rlc_clip_grad_norm(p, 1.0)));
    rlc_params_destroy(q);
    rlc_params_destroy(p);
}

static void test_schedules(void **st) {
    (void)st;
    rlc_schedule s = {.kind = RLC_SCHED_LINEAR, .start = 3e-4, .end = 0, .total = 100};
    assert_close(rlc_schedule_value(&s, 0), 3e-4, 1e-18);
    assert_close(rlc_schedule_value(&s, 50), 1.5e-4, 1e-18);
    assert_close(rlc_schedule_value(&s, 100), 0.0, 1e-18);
    assert_close(rlc_schedule_value(&s, 1000), 0.0, 1e-18);
    s.kind = RLC_SCHED_COSINE;
    s.start = 1.0;
    s.end = 0.1;
    assert_close(rlc_schedule_value(&s, 0), 1.0, 1e-15);
    assert_close(rlc_schedule_value(&s, 50), 0.55, 1e-15);
    assert_close(rlc_schedule_value(&s, 25), 0.1 + 0.9 * 0.5 * (1 + cos(M_PI / 4)), 1e-15);
    assert_close(rlc_schedule_value(&s, 100), 0.1, 1e-15);
    s.kind = RLC_SCHED_CONSTANT;
    assert_close(rlc_schedule_value(&s, 77), 1.0, 0);
    s = (rlc_schedule){.kind = RLC_SCHED_LINEAR, .start = 1, .end = 0, .total = 10, .warmup = 4};
    assert_close(rlc_schedule_value(&s, 0), 0.0, 0);
    assert_close(rlc_schedule_value(&s, 2), 0.5, 1e-15);
    assert_close(rlc_schedule_value(&s, 4), 1.0, 1e-15);
    assert_close(rlc_schedule_value(&s, 9), 0.5, 1e-15);
    assert_close(rlc_schedule_value(&s, 14), 0.0, 1e-15);
    rlc_schedule_kind k;
    assert_int_equal(rlc_schedule_kind_parse("cosine", &k), RLC_OK);
    assert_int_equal(k, RLC_SCHED_COSINE);
    assert_int_equal(rlc_schedule_kind_parse("step", &k), RLC_ERR_INVALID);
}

RLC_TESTS(nn_optim, cmocka_unit_test(test_against_torch_rules),
          cmocka_unit_test(test_adam_first_step), cmocka_unit_test(test_simd_bit_identical),
          cmocka_unit_test(test_state_slots_and_errors), cmocka_unit_test(test_clip_grad_norm),
          cmocka_unit_test(test_schedules))
