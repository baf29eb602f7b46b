/* Tabular toolkit: VI/PI agreement, policy evaluation against a linear solve, refusal of bad
 * specifications, UCBVI's sublinear regret, StepMix's constraint, KL-VI limits and identity,
 * robust VI bounds, Q-learning / Dyna-Q, the effective horizon on hand-computed MDPs, and
 * linear mixture MDPs with value-targeted regression. */
#include "test.h"

#include <math.h>

#include "algo/tabular/tabular_impl.h"
#include "rlc/agent.h"
#include "rlc/safetensors.h"
#include "rlc/tabular.h"

/* ---------------------------------------------------------------------------------------- */

static void check_vi_pi(const rlc_mdp *m) {
    int T = rlc_mdp_stages(m), S = m->S;
    size_t TS = (size_t)T * S;
    double *V1 = malloc(sizeof(double) * TS), *V2 = malloc(sizeof(double) * TS);
    int *a1 = malloc(sizeof(int) * TS), *a2 = malloc(sizeof(int) * TS);
    int it1 = 0, it2 = 0;
    assert_int_equal(rlc_mdp_value_iteration(m, 1e-12, 100000, V1, NULL, a1, &it1), RLC_OK);
    assert_int_equal(rlc_mdp_policy_iteration(m, 1000, V2, NULL, a2, &it2), RLC_OK);
    for (size_t i = 0; i < TS; i++) {
        assert_close(V1[i], V2[i], 1e-9);
        assert_int_equal(a1[i], a2[i]);
    }
    assert_true(it2 >= 1);
    free(V1);
    free(V2);
    free(a1);
    free(a2);
}

static void test_vi_pi_agree(void **st) {
    (void)st;
    for (uint64_t seed = 0; seed < 4; seed++) {
        rlc_mdp *m;
        assert_int_equal(rlc_mdp_random_dirichlet(&m, 12, 4, 0, 0.9, 0.5, seed), RLC_OK);
        assert_int_equal(rlc_mdp_validate(m), RLC_OK);
        check_vi_pi(m);
        rlc_mdp_destroy(m);
        assert_int_equal(rlc_mdp_random_garnet(&m, 15, 3, 0, 0.95, 3, seed), RLC_OK);
        assert_int_equal(rlc_mdp_validate(m), RLC_OK);
        check_vi_pi(m);
        rlc_mdp_destroy(m);
        assert_int_equal(rlc_mdp_random_dirichlet(&m, 8, 3, 6, 1.0, 1.0, seed), RLC_OK);
        check_vi_pi(m);
        rlc_mdp_destroy(m);
    }
}

static void test_generators_seeded(void **st) {
    (void)st;
    rlc_mdp *a, *b, *c;
    assert_int_equal(rlc_mdp_random_garnet(&a, 10, 2, 0, 0.9, 4, 7), RLC_OK);
    assert_int_equal(rlc_mdp_random_garnet(&b, 10, 2, 0, 0.9, 4, 7), RLC_OK);
    assert_int_equal(rlc_mdp_random_garnet(&c, 10, 2, 0, 0.9, 4, 8), RLC_OK);
    assert_int_equal(a->nnz, 10 * 2 * 4);
    assert_memory_equal(a->val, b->val, sizeof(double) * (size_t)a->nnz);
    assert_memory_equal(a->col, b->col, sizeof(int) * (size_t)a->nnz);
    assert_true(memcmp(a->val, c->val, sizeof(double) * (size_t)a->nnz) != 0);
    /* sparse and its dense copy plan identically */
    double *P = malloc(sizeof(double) * 10 * 2 * 10);
    for (int s = 0; s < 10; s++)
        for (int k = 0; k < 2; k++)
            rlc_mdp_row(a, s, k, P + ((size_t)s * 2 + k) * 10);
    rlc_mdp *d;
    assert_int_equal(rlc_mdp_from_dense(&d, 10, 2, 0, 0.9, P, a->R, a->mu0), RLC_OK);
    double Va[10], Vd[10];
    assert_int_equal(rlc_mdp_value_iteration(a, 1e-12, 100000, Va, NULL, NULL, NULL), RLC_OK);
    assert_int_equal(rlc_mdp_value_iteration(d, 1e-12, 100000, Vd, NULL, NULL, NULL), RLC_OK);
    for (int s = 0; s < 10; s++)
        assert_close(Va[s], Vd[s], 1e-12);
    free(P);
    rlc_mdp_destroy(a);
    rlc_mdp_destroy(b);
    rlc_mdp_destroy(c);
    rlc_mdp_destroy(d);
}

static void test_policy_evaluation(void **st) {
    (void)st;
    /* hand-computed: state 0 (reward 1) stays w.p. 1/2, else to absorbing state 1 (reward 0):
     * discounted 1/2: V0 = 1 + 1/2 (V0/2) = 4/3; episodic H = 2: V_0(0) = 1 + 1/2 = 3/2. */
    double P[] = {0.5, 0.5, 0, 1}, R[] = {1, 0}, pi[4] = {1, 1, 1, 1};
    rlc_mdp *m;
    assert_int_equal(rlc_mdp_from_dense(&m, 2, 1, 0, 0.5, P, R, NULL), RLC_OK);
    double V[2], Q[2];
    assert_int_equal(rlc_mdp_policy_evaluate_exact(m, pi, V, Q), RLC_OK);
    assert_close(V[0], 4.0 / 3.0, 1e-15);
    assert_close(V[1], 0, 1e-15);
    rlc_mdp_destroy(m);
    assert_int_equal(rlc_mdp_from_dense(&m, 2, 1, 2, 1, P, R, NULL), RLC_OK);
    double V2[4];
    assert_int_equal(rlc_mdp_policy_evaluate(m, pi, 0, 0, V2, NULL), RLC_OK);
    assert_close(V2[0], 1.5, 1e-15);
    assert_close(V2[2], 1.0, 1e-15);
    rlc_mdp_destroy(m);
    /* random MDP, random stochastic policy: iterative = linear solve */
    assert_int_equal(rlc_mdp_random_dirichlet(&m, 20, 3, 0, 0.95, 0.3, 3), RLC_OK);
    double *pr = malloc(sizeof(double) * 60), Vi[20], Vx[20], Qi[60], Qx[60];
    rlc_rng r;
    rlc_rng_seed(&r, 1);
    for (int s = 0; s < 20; s++) {
        double z = 0;
        for (int a = 0; a < 3; a++)
            z += pr[s * 3 + a] = rlc_rng_random(&r);
        for (int a = 0; a < 3; a++)
            pr[s * 3 + a] /= z;
    }
    assert_int_equal(rlc_mdp_policy_evaluate(m, pr, 1e-12, 100000, Vi, Qi), RLC_OK);
    assert_int_equal(rlc_mdp_policy_evaluate_exact(m, pr, Vx, Qx), RLC_OK);
    for (int s = 0; s < 20; s++)
        assert_close(Vi[s], Vx[s], 1e-9);
    for (int i = 0; i < 60; i++)
        assert_close(Qi[i], Qx[i], 1e-9);
    /* a tolerance too tight for the sweep budget is reported */
    assert_int_equal(rlc_mdp_policy_evaluate(m, pr, 1e-12, 3, Vi, Qi), RLC_ERR_STATE);
    assert_contains(rlc_last_error(), "did not converge in 3 sweeps");
    free(pr);
    rlc_mdp_destroy(m);
}

static void test_bad_specs(void **st) {
    (void)st;
    rlc_mdp *m = (rlc_mdp *)0x1;
    double P[] = {0.5, 0.5, 0.3, 0.6, 1, 0, 0, 1}, R[] = {0, 0, 0, 0};
    assert_int_equal(rlc_mdp_from_dense(&m, 2, 2, 0, 0.9, P, R, NULL), RLC_ERR_INVALID);
    assert_contains(rlc_last_error(), "P(.|s=0, a=1) sums to 0.9");
    assert_ptr_equal(m, (rlc_mdp *)0x1); /* untouched */
    double Pn[] = {1.1, -0.1, 0, 1, 1, 0, 0, 1};
    assert_int_equal(rlc_mdp_from_dense(&m, 2, 2, 0, 0.9, Pn, R, NULL), RLC_ERR_INVALID);
    assert_contains(rlc_last_error(), "P(s'=1|s=0, a=0) = -0.1 is negative");
    double Pok[] = {1, 0, 0, 1, 1, 0, 0, 1}, Rn[] = {0, 0, NAN, 0};
    assert_int_equal(rlc_mdp_from_dense(&m, 2, 2, 0, 0.9, Pok, Rn, NULL), RLC_ERR_INVALID);
    assert_contains(rlc_last_error(), "R(s=1, a=0) is NaN");
    double Pnan[] = {1, 0, 0, 1, NAN, 1, 0, 1};
    assert_int_equal(rlc_mdp_from_dense(&m, 2, 2, 0, 0.9, Pnan, R, NULL), RLC_ERR_INVALID);
    assert_contains(rlc_last_error(), "P(s'=0|s=1, a=0) is NaN");
    assert_int_equal(rlc_mdp_from_dense(&m, 2, 2, 0, 1.0, Pok, R, NULL), RLC_ERR_INVALID);
    assert_contains(rlc_last_error(), "gamma = 1 must be in [0, 1)");
    double mu[] = {0.5, 0.4};
    assert_int_equal(rlc_mdp_from_dense(&m, 2, 2, 3, 1.0, Pok, R, mu), RLC_ERR_INVALID);
    assert_contains(rlc_last_error(), "mu0 sums to");
    /* sparse: a column out of range, then columns not increasing */
    int64_t rp[] = {0, 1, 2, 3, 4};
    int col[] = {0, 1, 2, 1};
    double val[] = {1, 1, 1, 1};
    assert_int_equal(rlc_mdp_from_sparse(&m, 2, 2, 0, 0.9, rp, col, val, R, NULL), RLC_ERR_INVALID);
    assert_contains(rlc_last_error(), "P(.|s=1, a=0): next state 2 out of range");
    int64_t rp2[] = {0, 2, 3, 4, 5};
    int col2[] = {1, 0, 1, 0, 1};
    double val2[] = {0.5, 0.5, 1, 1, 1};
    assert_int_equal(rlc_mdp_from_sparse(&m, 2, 2, 0, 0.9, rp2, col2, val2, R, NULL),
                     RLC_ERR_INVALID);
    assert_contains(rlc_last_error(), "strictly increasing");
    assert_int_equal(rlc_mdp_create_dense(&m, 0, 2, 0, 0.9), RLC_ERR_INVALID);
    assert_ptr_equal(m, (rlc_mdp *)0x1);
    /* a valid one passes, and a hand edit that breaks it is caught by validate */
    assert_int_equal(rlc_mdp_from_dense(&m, 2, 2, 4, 1, Pok, R, NULL), RLC_OK);
    m->P[3] = 0.2;
    assert_int_equal(rlc_mdp_validate(m), RLC_ERR_INVALID);
    assert_contains(rlc_last_error(), "s=0, a=1");
    rlc_mdp_destroy(m);
    rlc_mdp_destroy(NULL);
}

static void test_ucbvi_sublinear(void **st) {
    (void)st;
    rlc_mdp *m;
    assert_int_equal(rlc_mdp_random_dirichlet(&m, 6, 3, 5, 1, 0.5, 11), RLC_OK);
    int K = 4000, T = 1000;
    double *reg = malloc(sizeof(double) * K);
    for (int b = 0; b < 2; b++) {
        rlc_ucbvi_options o;
        rlc_ucbvi_options_init(&o);
        o.bonus = b ? RLC_BONUS_BERNSTEIN : RLC_BONUS_HOEFFDING;
        o.bonus_scale = b ? 0.02 : 0.005;
        o.episodes = K;
        assert_int_equal(rlc_ucbvi_run(m, &o, K, 5, reg), RLC_OK);
        double r1 = reg[T - 1], r2 = reg[2 * T - 1], r4 = reg[K - 1];
        assert_true(r1 > 0);
        assert_true(r2 / (2 * T) < r1 / T); /* regret(T)/T decreasing */
        assert_true(r4 / (4 * T) < r2 / (2 * T));
        if (!(r4 < 3 * r1)) fail_msg("bonus %d: regret(4T) = %g, regret(T) = %g", b, r4, r1);
        for (int k = 1; k < K; k++)
            assert_true(reg[k] >= reg[k - 1] - 1e-9);
    }
    free(reg);
    /* bad options and rewards outside [0, 1] are refused */
    rlc_ucbvi_options o;
    rlc_ucbvi_options_init(&o);
    rlc_ucbvi *u = NULL;
    o.delta = 2;
    assert_int_equal(rlc_ucbvi_create(&u, m, &o), RLC_ERR_INVALID);
    assert_contains(rlc_last_error(), "delta");
    rlc_ucbvi_options_init(&o);
    m->R[4] = 1.5;
    assert_int_equal(rlc_ucbvi_create(&u, m, &o), RLC_ERR_INVALID);
    assert_contains(rlc_last_error(), "R(s=1, a=1) = 1.5");
    assert_null(u);
    rlc_mdp_destroy(m);
}

static void test_stepmix_constraint(void **st) {
    (void)st;
    /* StepMix and EpsMix never let the executed policy's value drop below (1-kappa) V^pi0 */
    int S = 6, A = 3, H = 5, N = 1500;
    size_t n = (size_t)H * S * A;
    double kappa = 0.1;
    for (uint64_t seed = 0; seed < 2; seed++) {
        rlc_mdp *m;
        assert_int_equal(rlc_mdp_random_dirichlet(&m, S, A, H, 1, 0.5, 40 + seed), RLC_OK);
        double V[30], pistar[90], pi0[90], pibar[90], pim[90], Vt[12];
        int act[30], states[6], acts[5];
        assert_int_equal(rlc_mdp_value_iteration(m, 1e-9, 1, V, NULL, act, NULL), RLC_OK);
        rlc_mdp_policy_from_actions(m, act, pistar);
        for (size_t i = 0; i < n; i++)
            pi0[i] = 0.5 * pistar[i] + 0.5 / A;
        double v0 = rlc__episodic_value(m, pi0, Vt), thr = (1 - kappa) * v0;
        rlc_ucbvi_options o;
        rlc_ucbvi_options_init(&o);
        o.bonus_scale = 0.005;
        o.episodes = N;
        rlc_ucbvi *u;
        assert_int_equal(rlc_ucbvi_create(&u, m, &o), RLC_OK);
        rlc_rng r;
        rlc_rng_seed(&r, seed);
        double rho_sum = 0;
        for (int k = 0; k < N; k++) {
            double rho, rho_e;
            assert_int_equal(rlc_ucbvi_plan(u, pibar, NULL), RLC_OK);
            assert_int_equal(rlc_ucbvi_stepmix(u, pibar, pi0, thr, pim, &rho), RLC_OK);
            assert_true(rho >= 0 && rho <= 1);
            double v = rlc__episodic_value(m, pim, Vt);
            if (v < thr)
                fail_msg("seed %d episode %d: StepMix value %g < %g", (int)seed, k, v, thr);
            assert_int_equal(rlc_ucbvi_epsmix(u, pibar, v0, thr, &rho_e), RLC_OK);
            double ve = rho_e * rlc__episodic_value(m, pibar, Vt) + (1 - rho_e) * v0;
            if (ve < thr - 1e-12) fail_msg("EpsMix value %g < %g", ve, thr);
            rho_sum += rho;
            rlc_mdp_rollout(m, pim, H, &r, states, acts);
            for (int h = 0; h < H; h++)
                rlc_ucbvi_observe(u, h, states[h], acts[h], states[h + 1]);
        }
        assert_true(rho_sum > 0); /* it does explore beyond the baseline */
        rlc_ucbvi_destroy(u);
        rlc_mdp_destroy(m);
    }
}

static void test_kl_vi(void **st) {
    (void)st;
    rlc_mdp *m;
    assert_int_equal(rlc_mdp_random_dirichlet(&m, 8, 3, 0, 0.9, 0.5, 21), RLC_OK);
    double ref[24], pi[24], V[8], Q[24], Vr[8], Vs[8];
    rlc_rng r;
    rlc_rng_seed(&r, 2);
    for (int s = 0; s < 8; s++) {
        double z = 0;
        for (int a = 0; a < 3; a++)
            z += ref[s * 3 + a] = 0.2 + rlc_rng_random(&r);
        for (int a = 0; a < 3; a++)
            ref[s * 3 + a] /= z;
    }
    int act[8];
    assert_int_equal(rlc_mdp_value_iteration(m, 1e-12, 100000, Vs, NULL, act, NULL), RLC_OK);
    assert_int_equal(rlc_mdp_policy_evaluate_exact(m, ref, Vr, NULL), RLC_OK);
    /* lambda -> infinity: the reference policy and its value */
    assert_int_equal(rlc_mdp_kl_value_iteration(m, ref, 1e5, 1e-9, 100000, V, Q, pi), RLC_OK);
    for (int i = 0; i < 24; i++)
        assert_close(pi[i], ref[i], 1e-4);
    for (int s = 0; s < 8; s++)
        assert_close(V[s], Vr[s], 1e-3);
    /* lambda -> 0: the optimal value and actions */
    assert_int_equal(rlc_mdp_kl_value_iteration(m, ref, 1e-4, 1e-12, 100000, V, Q, pi), RLC_OK);
    for (int s = 0; s < 8; s++) {
        assert_close(V[s], Vs[s], 1e-2);
        assert_true(pi[s * 3 + act[s]] > 0.99);
    }
    /* lambda = 0.5: V_lambda is the KL-penalised value of pi_lambda, and sits between */
    double lam = 0.5;
    assert_int_equal(rlc_mdp_kl_value_iteration(m, ref, lam, 1e-13, 100000, V, Q, pi), RLC_OK);
    rlc_mdp *pen;
    assert_int_equal(rlc_mdp_copy(&pen, m), RLC_OK);
    for (int s = 0; s < 8; s++) {
        double kl = 0;
        for (int a = 0; a < 3; a++)
            kl += pi[s * 3 + a] * log(pi[s * 3 + a] / ref[s * 3 + a]);
        /* the penalty depends on s only, so spreading it over every action is exact */
        for (int a = 0; a < 3; a++)
            pen->R[s * 3 + a] -= lam * kl;
    }
    double Vp[8], Vpi[8];
    assert_int_equal(rlc_mdp_policy_evaluate_exact(pen, pi, Vp, NULL), RLC_OK);
    assert_int_equal(rlc_mdp_policy_evaluate_exact(m, pi, Vpi, NULL), RLC_OK);
    for (int s = 0; s < 8; s++) {
        assert_close(V[s], Vp[s], 1e-8);
        assert_true(V[s] >= Vr[s] - 1e-9 && Vpi[s] <= Vs[s] + 1e-9);
        assert_true(V[s] <= Vpi[s] + 1e-9); /* the penalty is non-negative */
    }
    /* episodic soft VI is backward induction with the same identity at the last stage */
    rlc_mdp_destroy(pen);
    /* a reference that is not a distribution is refused with the state named */
    ref[4] = 0.9;
    assert_int_equal(rlc_mdp_kl_value_iteration(m, ref, 1, 1e-9, 1000, V, Q, pi), RLC_ERR_INVALID);
    assert_contains(rlc_last_error(), "pi_ref(.|h=0, s=1) sums to");
    assert_int_equal(rlc_mdp_kl_value_iteration(m, ref, 0, 1e-9, 1000, V, Q, pi), RLC_ERR_INVALID);
    rlc_mdp_destroy(m);
}

static void test_robust_vi(void **st) {
    (void)st;
    for (int H = 0; H <= 6; H += 6) {
        rlc_mdp *ms[4];
        for (int k = 0; k < 4; k++)
            assert_int_equal(rlc_mdp_random_dirichlet(&ms[k], 7, 3, H, 0.9, 0.7, 60 + k), RLC_OK);
        for (int k = 1; k < 4; k++) /* same rewards: uncertainty in the transitions only */
            memcpy(ms[k]->R, ms[0]->R, sizeof(double) * 21);
        int T = H ? H : 1;
        double *Vr = malloc(sizeof(double) * T * 7), *Vk = malloc(sizeof(double) * T * 7);
        double *Vpk = malloc(sizeof(double) * T * 7), *pi = malloc(sizeof(double) * T * 21);
        int *act = malloc(sizeof(int) * T * 7);
        assert_int_equal(rlc_mdp_robust_value_iteration((const rlc_mdp *const *)ms, 4, 1e-12,
                                                        100000, Vr, NULL, act),
                         RLC_OK);
        rlc_mdp_policy_from_actions(ms[0], act, pi);
        double gap = 0;
        for (int k = 0; k < 4; k++) {
            assert_int_equal(rlc_mdp_value_iteration(ms[k], 1e-12, 100000, Vk, NULL, NULL, NULL),
                             RLC_OK);
            assert_int_equal(rlc_mdp_policy_evaluate_exact(ms[k], pi, Vpk, NULL), RLC_OK);
            for (int i = 0; i < T * 7; i++) {
                assert_true(Vr[i] <= Vk[i] + 1e-9);
                assert_true(Vr[i] <= Vpk[i] + 1e-9);
                gap = fmax(gap, Vk[i] - Vr[i]);
            }
        }
        assert_true(gap > 1e-3); /* not trivially equal */
        /* one model: plain value iteration */
        assert_int_equal(rlc_mdp_robust_value_iteration((const rlc_mdp *const *)ms, 1, 1e-12,
                                                        100000, Vr, NULL, NULL),
                         RLC_OK);
        assert_int_equal(rlc_mdp_value_iteration(ms[0], 1e-12, 100000, Vk, NULL, NULL, NULL),
                         RLC_OK);
        for (int i = 0; i < T * 7; i++)
            assert_close(Vr[i], Vk[i], 1e-9);
        free(Vr);
        free(Vk);
        free(Vpk);
        free(pi);
        free(act);
        for (int k = 0; k < 4; k++)
            rlc_mdp_destroy(ms[k]);
    }
    rlc_mdp *a, *b;
    assert_int_equal(rlc_mdp_random_dirichlet(&a, 3, 2, 0, 0.9, 1, 1), RLC_OK);
    assert_int_equal(rlc_mdp_random_dirichlet(&b, 4, 2, 0, 0.9, 1, 1), RLC_OK);
    const rlc_mdp *pair[2] = {a, b};
    double V[4];
    assert_int_equal(rlc_mdp_robust_value_iteration(pair, 2, 1e-9, 100, V, NULL, NULL),
                     RLC_ERR_INVALID);
    assert_contains(rlc_last_error(), "model 1 differs");
    rlc_mdp_destroy(a);
    rlc_mdp_destroy(b);
}

static double greedy_value(const rlc_mdp *m, const double *Q) {
    int act[6];
    double pi[18], V[6];
    rlc_mdp_greedy(m, Q, act);
    rlc_mdp_policy_from_actions(m, act, pi);
    rlc_mdp_policy_evaluate_exact(m, pi, V, NULL);
    double v = 0;
    for (int s = 0; s < 6; s++)
        v += V[s] / 6;
    return v;
}

static void test_qlearning_dyna(void **st) {
    (void)st;
    rlc_mdp *m;
    assert_int_equal(rlc_mdp_random_dirichlet(&m, 6, 3, 0, 0.9, 0.5, 8), RLC_OK);
    for (int s = 0; s < 6; s++)
        m->mu0[s] = 1.0 / 6;
    double Qs[18], Vs[6], q1[18], q2[18], ret[4000];
    assert_int_equal(rlc_mdp_value_iteration(m, 1e-12, 100000, Vs, Qs, NULL, NULL), RLC_OK);
    double vstar = 0;
    for (int s = 0; s < 6; s++)
        vstar += Vs[s] / 6;
    rlc_tabular_sim sim;
    rlc_mdp_simulator(m, &sim);
    rlc_qlearning_options o;
    rlc_qlearning_options_init(&o);
    o.gamma = 0.9;
    o.epsilon = 0.2;
    o.max_episode_steps = 20;
    o.steps = 60000;
    o.alpha = 0.05;
    int neps = 0;
    assert_int_equal(rlc_qlearning_run(&sim, &o, q1, ret, 4000, &neps), RLC_OK);
    assert_int_equal(neps, 3000);
    assert_true(greedy_value(m, q1) >= vstar - 0.05 * fabs(vstar));
    /* Dyna-Q gets closer to Q* than Q-learning with the same (small) number of real steps */
    o.steps = 1500;
    double e1 = 0, e2 = 0;
    assert_int_equal(rlc_qlearning_run(&sim, &o, q1, NULL, 0, NULL), RLC_OK);
    o.planning_steps = 20;
    assert_int_equal(rlc_qlearning_run(&sim, &o, q2, NULL, 0, NULL), RLC_OK);
    for (int i = 0; i < 18; i++) {
        e1 = fmax(e1, fabs(q1[i] - Qs[i]));
        e2 = fmax(e2, fabs(q2[i] - Qs[i]));
    }
    if (!(e2 < 0.5 * e1)) fail_msg("Dyna-Q error %g, Q-learning error %g", e2, e1);
    /* same seed, same result */
    double q3[18];
    assert_int_equal(rlc_qlearning_run(&sim, &o, q3, NULL, 0, NULL), RLC_OK);
    assert_memory_equal(q2, q3, sizeof q2);
    o.alpha = 0;
    assert_int_equal(rlc_qlearning_run(&sim, &o, q3, NULL, 0, NULL), RLC_ERR_INVALID);
    assert_contains(rlc_last_error(), "alpha");
    rlc_mdp_destroy(m);
}

/* Combination lock: track states 0..H-1 (state t at stage t), dead state H. Action 0 moves on
 * (reward 1 at the last state), action 1 dies with reward `lure`, action 2 (when A = 3) dies
 * with reward 0. */
static rlc_mdp *lock_mdp(int H, int A, double lure) {
    int S = H + 1;
    rlc_mdp *m;
    assert_int_equal(rlc_mdp_create_dense(&m, S, A, H, 1), RLC_OK);
    for (int s = 0; s < S; s++)
        for (int a = 0; a < A; a++) {
            double *row = m->P + ((size_t)s * A + a) * S;
            if (s < H && a == 0) {
                row[s + 1 < H ? s + 1 : H] = 1;
                m->R[s * A + a] = s == H - 1 ? 1 : 0;
            } else {
                row[H] = 1;
                m->R[s * A + a] = (s < H && a == 1) ? lure : 0;
            }
        }
    m->mu0[0] = 1;
    assert_int_equal(rlc_mdp_validate(m), RLC_OK);
    return m;
}

static void test_effective_horizon(void **st) {
    (void)st;
    rlc_effective_horizon eh;
    double Hk[30];
    /* lock without a lure: greedy on Q^rand is optimal (k = 1); H_1 = 1 + log2 m_1 with
     * m_1 = ceil(16 2^(H-1) ln(4H)) (gap = variance bound = 2^-(H-1) at t = 0) */
    rlc_mdp *m = lock_mdp(5, 2, 0);
    assert_int_equal(rlc_mdp_effective_horizon(m, NULL, 0, 1e-9, &eh, Hk), RLC_OK);
    assert_int_equal(eh.min_k, 1);
    double m1 = ceil(16.0 * 16.0 * log(20.0));
    assert_close(Hk[0], 1 + log(m1) / log(2.0), 1e-12);
    assert_close(eh.H_bar, 5, 0); /* the bound exceeds H: capped */
    assert_int_equal(eh.best_k, 0);
    rlc_mdp_destroy(m);
    /* with a lure (reward 0.3 for dying) and a plain death action: Q^k_0(move) beats the lure
     * only once k >= H - 1 */
    for (int H = 4; H <= 7; H++) {
        m = lock_mdp(H, 3, 0.3);
        assert_int_equal(rlc_mdp_effective_horizon(m, NULL, 0, 1e-9, &eh, Hk), RLC_OK);
        if (eh.min_k != H - 1) fail_msg("H = %d: min_k = %d, want %d", H, eh.min_k, H - 1);
        assert_true(isinf(Hk[H - 3]) || isnan(Hk[H - 3]));
        assert_true(eh.H_bar <= H && eh.H_bar >= eh.min_k);
        rlc_mdp_destroy(m);
    }
    /* one state, action 0 pays 1, action 1 pays 0: gap 1, variance bound n^2/2 with n = H-1
     * remaining steps, so H_1 = 1 + log2 ceil(8 (H-1)^2 ln(4H)) < H */
    double P[] = {1, 1}, R[] = {1, 0};
    assert_int_equal(rlc_mdp_from_dense(&m, 1, 2, 30, 1, P, R, NULL), RLC_OK);
    assert_int_equal(rlc_mdp_effective_horizon(m, NULL, 0, 1e-9, &eh, Hk), RLC_OK);
    double want = 1 + log(ceil(8.0 * 29 * 29 * log(120.0))) / log(2.0);
    assert_int_equal(eh.min_k, 1);
    assert_int_equal(eh.best_k, 1);
    assert_close(eh.H_bar, want, 1e-12);
    assert_close(eh.gap, 1, 1e-12);
    assert_close(eh.var, 29.0 * 29.0 / 2, 1e-9);
    assert_true(Hk[1] > Hk[0]); /* k = 2 was tried (2 < H_1) and is worse */
    rlc_mdp_destroy(m);
    /* random MDPs: min_k <= H_bar <= H; discounted MDPs are refused */
    for (uint64_t seed = 0; seed < 3; seed++) {
        assert_int_equal(rlc_mdp_random_garnet(&m, 10, 3, 8, 1, 2, seed), RLC_OK);
        assert_int_equal(rlc_mdp_effective_horizon(m, NULL, 0, 1e-9, &eh, NULL), RLC_OK);
        assert_true(eh.min_k >= 1 && eh.min_k <= 8);
        assert_true(eh.H_bar <= 8 && eh.H_bar >= eh.min_k);
        rlc_mdp_destroy(m);
    }
    assert_int_equal(rlc_mdp_random_garnet(&m, 4, 2, 0, 0.9, 2, 0), RLC_OK);
    assert_int_equal(rlc_mdp_effective_horizon(m, NULL, 0, 1e-9, &eh, NULL), RLC_ERR_UNSUPPORTED);
    rlc_mdp_destroy(m);
}

static void test_linear_mixture(void **st) {
    (void)st;
    rlc_linmix *lm;
    assert_int_equal(rlc_linmix_random(&lm, 8, 2, 5, 4, 0.5, 3), RLC_OK);
    rlc_mdp *m;
    assert_int_equal(rlc_linmix_to_mdp(lm, NULL, &m), RLC_OK);
    double V[8], x[4];
    for (int s = 0; s < 8; s++)
        V[s] = s * 0.3;
    for (int s = 0; s < 8; s++)
        for (int a = 0; a < 2; a++) {
            rlc_linmix_phi_v(lm, s, a, V, x);
            double pred = 0;
            for (int i = 0; i < 4; i++)
                pred += x[i] * lm->theta[i];
            assert_close(pred, rlc_mdp_expect(m, s, a, V), 1e-12);
        }
    /* a theta off the simplex gives negative probabilities somewhere: refused */
    double bad[4] = {2, -1, 0, 0};
    rlc_mdp *mb = NULL;
    assert_int_equal(rlc_linmix_to_mdp(lm, bad, &mb), RLC_ERR_INVALID);
    assert_null(mb);
    /* UCRL-VTR: regret per episode falls, theta is learned */
    int K = 1600;
    double *reg = malloc(sizeof(double) * K);
    rlc_vtr_options o;
    rlc_vtr_options_init(&o);
    o.beta = 5;
    assert_int_equal(rlc_vtr_run(lm, &o, K, 9, reg), RLC_OK);
    assert_true(reg[K / 4 - 1] > 0);
    if (!(reg[K - 1] < 3 * reg[K / 4 - 1]))
        fail_msg("VTR regret(4T) = %g, regret(T) = %g", reg[K - 1], reg[K / 4 - 1]);
    free(reg);
    rlc_vtr *v;
    assert_int_equal(rlc_vtr_create(&v, lm, &o), RLC_OK);
    int act[40], states[6], acts[5];
    double pi[80], th[4], err_early = 0, err_late = 0;
    rlc_rng r;
    rlc_rng_seed(&r, 4);
    for (int k = 0; k < 800; k++) {
        assert_int_equal(rlc_vtr_plan(v, NULL, act, NULL), RLC_OK);
        rlc_mdp_policy_from_actions(m, act, pi);
        rlc_mdp_rollout(m, pi, 5, &r, states, acts);
        for (int h = 0; h < 5; h++)
            rlc_vtr_observe(v, h, states[h], acts[h], states[h + 1], 1);
        if (k == 19 || k == 799) {
            assert_int_equal(rlc_vtr_theta(v, th), RLC_OK);
            double e = 0;
            for (int i = 0; i < 4; i++)
                e += (th[i] - lm->theta[i]) * (th[i] - lm->theta[i]);
            *(k == 19 ? &err_early : &err_late) = sqrt(e);
        }
    }
    if (!(err_late < 0.5 * err_early)) fail_msg("theta error %g -> %g", err_early, err_late);
    rlc_vtr_destroy(v);
    rlc_mdp_destroy(m);
    rlc_linmix_destroy(lm);
}

/* Every allocation of the main entry points can fail: NOMEM comes back, nothing leaks. */
static void test_alloc_failures(void **st) {
    (void)st;
    long long live0 = rlc_alloc_live();
    int saw_ok = 0;
    for (long n = 1; n < 60 && !saw_ok; n++) {
        rlc_alloc_fail_after(n);
        rlc_mdp *m = NULL;
        rlc_status s1 = rlc_mdp_random_garnet(&m, 6, 2, 4, 1, 2, 1);
        rlc_status s2 = RLC_ERR_NOMEM, s3 = RLC_ERR_NOMEM, s4 = RLC_ERR_NOMEM;
        if (!s1) {
            double V[24], reg[5];
            rlc_effective_horizon eh;
            s2 = rlc_mdp_value_iteration(m, 1e-9, 10, V, NULL, NULL, NULL);
            s3 = rlc_mdp_effective_horizon(m, NULL, 0, 1e-9, &eh, NULL);
            rlc_ucbvi_options o;
            rlc_ucbvi_options_init(&o);
            s4 = rlc_ucbvi_run(m, &o, 5, 1, reg);
        }
        rlc_alloc_fail_reset();
        rlc_status all[] = {s1, s2, s3, s4};
        for (int i = 0; i < 4; i++)
            assert_true(all[i] == RLC_OK || all[i] == RLC_ERR_NOMEM);
        saw_ok = !s1 && !s2 && !s3 && !s4;
        rlc_mdp_destroy(m);
        assert_int_equal(rlc_alloc_live(), live0);
    }
    assert_true(saw_ok);
}

/* ---- q-learning / dyna-q agents (rlc train --algo q-learning|dyna-q) ---- */

static rlc_agent *train_tabular(const char *algo, const char *env, const char *kw,
                                const char *set, int64_t steps, uint64_t seed) {
    const rlc_config_table *t = rlc_algo_config_table(algo);
    assert_non_null(t);
    void *cfg = malloc(t->size);
    rlc_config_defaults(t, cfg);
    if (set) assert_int_equal(rlc_config_set(t, cfg, "max_states", set), RLC_OK);
    rlc_agent *a = NULL;
    if (rlc_agent_create(&a, algo, env, kw, cfg, seed)) fail_msg("%s", rlc_last_error());
    free(cfg);
    rlc_train_options o = {0};
    o.total_steps = steps;
    if (rlc_agent_train(a, seed, &o, NULL)) fail_msg("%s", rlc_last_error());
    return a;
}

static void test_agent_learns(void **st) {
    (void)st;
    /* GridEmpty 5x5 with the full-grid observation (the egocentric view aliases states):
     * measured 0.95 greedy return (the optimum) after 30k steps */
    rlc_agent *a = train_tabular("q-learning", "GridEmpty-5x5-v0", "obs=2", NULL, 30000, 0);
    double r[5];
    assert_int_equal(rlc_agent_evaluate(a, 5, 100, 0, r, NULL, 0, 0), RLC_OK);
    for (int i = 0; i < 5; i++)
        assert_true(r[i] >= 0.9);
    rlc_agent_destroy(a);
    /* Dyna-Q on 6 factored switches: every greedy episode reaches the target */
    a = train_tabular("dyna-q", "Switches-v0", "n=6", NULL, 5000, 1);
    double rs[20];
    assert_int_equal(rlc_agent_evaluate(a, 20, 7, 0, rs, NULL, 0, 0), RLC_OK);
    for (int i = 0; i < 20; i++)
        assert_close(rs[i], 1.0, 0);
    rlc_agent_destroy(a);
    /* an untrained table acts with action 0 everywhere and never succeeds on the switches */
    rlc_agent *u = NULL;
    assert_int_equal(rlc_agent_create(&u, "dyna-q", "Switches-v0", "n=6", NULL, 1), RLC_OK);
    assert_int_equal(rlc_agent_evaluate(u, 5, 7, 0, rs, NULL, 0, 0), RLC_OK);
    for (int i = 0; i < 5; i++)
        assert_close(rs[i], 0.0, 0);
    rlc_agent_destroy(u);
}

static void test_agent_checkpoint(void **st) {
    (void)st;
    rlc_agent *a = train_tabular("dyna-q", "Switches-v0", "n=5", NULL, 3000, 3);
    rlc_agent *b = train_tabular("dyna-q", "Switches-v0", "n=5", NULL, 3000, 3);
    /* same seed: the same table, bit for bit */
    rlc_params *pa = rlc_agent_params(a), *pb = rlc_agent_params(b);
    assert_int_equal(rlc_params_count(pa), 65536 * 5);
    assert_memory_equal(rlc_params_data(pa), rlc_params_data(pb),
                        sizeof(double) * (size_t)rlc_params_count(pa));
    char path[600];
    snprintf(path, sizeof path, "%s/tabq.safetensors", rlc_test_tmpdir());
    assert_int_equal(rlc_agent_save(a, path), RLC_OK);
    rlc_st_file *f = NULL;
    assert_int_equal(rlc_st_load(path, &f), RLC_OK);
    int64_t n = 0, one = 1;
    assert_int_equal(rlc_st_read_into(f, "tabular.num_states", RLC_ST_I64, 1, &one, &n), RLC_OK);
    assert_int_equal(n, 32); /* all 2^5 patterns were seen */
    rlc_st_file_destroy(f);
    rlc_agent *c = NULL;
    assert_int_equal(rlc_agent_load(&c, path, 0), RLC_OK);
    assert_string_equal(rlc_agent_algo(c), "dyna-q");
    /* the loaded agent acts as the trained one on every observation */
    for (int bits = 0; bits < 32; bits++) {
        float obs[5];
        for (int i = 0; i < 5; i++)
            obs[i] = (float)(bits >> i & 1);
        int64_t x = -1, y = -2;
        assert_int_equal(rlc_agent_act(a, obs, 1, &x, 1), RLC_OK);
        assert_int_equal(rlc_agent_act(c, obs, 1, &y, 1), RLC_OK);
        assert_int_equal(x, y);
    }
    rlc_agent_destroy(a);
    rlc_agent_destroy(b);
    rlc_agent_destroy(c);
}

static void test_agent_errors(void **st) {
    (void)st;
    rlc_agent *a = NULL;
    assert_int_equal(rlc_agent_create(&a, "q-learning", "Pendulum-v1", NULL, NULL, 0),
                     RLC_ERR_UNSUPPORTED);
    assert_contains(rlc_last_error(), "Discrete action space");
    assert_null(a);
    /* more distinct observations than the table holds */
    const rlc_config_table *t = rlc_algo_config_table("q-learning");
    void *cfg = malloc(t->size);
    rlc_config_defaults(t, cfg);
    assert_int_equal(rlc_config_set(t, cfg, "max_states", "4"), RLC_OK);
    assert_int_equal(rlc_agent_create(&a, "q-learning", "Switches-v0", "n=6", cfg, 0), RLC_OK);
    rlc_train_options o = {0};
    o.total_steps = 2000;
    assert_int_equal(rlc_agent_train(a, 0, &o, NULL), RLC_ERR_RANGE);
    assert_contains(rlc_last_error(), "max_states = 4");
    rlc_agent_destroy(a);
    a = NULL;
    assert_int_equal(rlc_config_set(t, cfg, "max_states", "64"), RLC_OK);
    assert_int_equal(rlc_config_set(t, cfg, "exploration_initial_eps", "0.01"), RLC_OK);
    assert_int_equal(rlc_agent_create(&a, "q-learning", "Switches-v0", "n=6", cfg, 0),
                     RLC_ERR_INVALID);
    assert_contains(rlc_last_error(), "exploration_final_eps");
    free(cfg);
}

RLC_TESTS(algo_tabular, cmocka_unit_test(test_vi_pi_agree),
          cmocka_unit_test(test_generators_seeded), cmocka_unit_test(test_policy_evaluation),
          cmocka_unit_test(test_bad_specs), cmocka_unit_test(test_ucbvi_sublinear),
          cmocka_unit_test(test_stepmix_constraint), cmocka_unit_test(test_kl_vi),
          cmocka_unit_test(test_robust_vi), cmocka_unit_test(test_qlearning_dyna),
          cmocka_unit_test(test_effective_horizon), cmocka_unit_test(test_linear_mixture),
          cmocka_unit_test(test_alloc_failures), cmocka_unit_test(test_agent_learns),
          cmocka_unit_test(test_agent_checkpoint), cmocka_unit_test(test_agent_errors))
