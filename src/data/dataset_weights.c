/* Trajectory weighting for offline RL (Hong et al. 2023, "Harnessing mixed offline RL datasets
 * via trajectory weighting"): return- and advantage-weighted episode weights and the
 * positive-sided variance of the returns. */
#include <math.h>
#include <string.h>

#include "rlc/dataset.h"
#include "rlc/offline.h"

rlc_status rlc_dataset_sampler_kind_parse(const char *name, int *kind) {
    static const char *const names[] = {"uniform", "return", "advantage"};
    for (int i = 0; i < 3; i++)
        if (name && !strcmp(name, names[i])) {
            *kind = i;
            return RLC_OK;
        }
    return rlc_error(RLC_ERR_INVALID, "unknown sampler '%s' (known: uniform, return, advantage)",
                     name ? name : "(null)");
}

/* Solves the (n x n) system M x = b in place by Gaussian elimination with partial pivoting;
 * M is symmetric positive definite here (ridge), so pivots are non-zero. */
static void solve(int n, double *M, double *b) {
    for (int k = 0; k < n; k++) {
        int p = k;
        for (int i = k + 1; i < n; i++)
            if (fabs(M[i * n + k]) > fabs(M[p * n + k])) p = i;
        if (p != k) {
            for (int j = 0; j < n; j++) {
                double t = M[k * n + j];
                M[k * n + j] = M[p * n + j];
                M[p * n + j] = t;
            }
            double t = b[k];
            b[k] = b[p];
            b[p] = t;
        }
        for (int i = k + 1; i < n; i++) {
            double f = M[i * n + k] / M[k * n + k];
            for (int j = k; j < n; j++)
                M[i * n + j] -= f * M[k * n + j];
            b[i] -= f * b[k];
        }
    }
    for (int k = n - 1; k >= 0; k--) {
        double s = b[k];
        for (int j = k + 1; j < n; j++)
            s -= M[k * n + j] * b[j];
        b[k] = s / M[k * n + k];
    }
}

/* Episode advantages G_e - V(s0_e), V(s) = w.s + c fitted by ridge regression (lambda 1e-3)
 * of the returns on the initial observations. */
static rlc_status advantages(const rlc_dataset_view *v, double *adv) {
    const int n = (int)v->obs_dim + 1;
    const int64_t E = v->num_episodes;
    double *M = rlc_calloc((size_t)n * (size_t)n + (size_t)n, sizeof(double));
    if (!M) return RLC_ERR_NOMEM;
    double *b = M + (size_t)n * (size_t)n;
    for (int64_t e = 0; e < E; e++) {
        const float *s0 = v->observations + (size_t)(v->episode_offsets[e] + e) * (size_t)v->obs_dim;
        for (int i = 0; i < n; i++) {
            double xi = i < n - 1 ? s0[i] : 1.0;
            b[i] += xi * v->episode_returns[e];
            for (int j = 0; j < n; j++)
                M[i * n + j] += xi * (j < n - 1 ? s0[j] : 1.0);
        }
    }
    for (int i = 0; i < n; i++)
        M[i * n + i] += 1e-3;
    solve(n, M, b);
    for (int64_t e = 0; e < E; e++) {
        const float *s0 = v->observations + (size_t)(v->episode_offsets[e] + e) * (size_t)v->obs_dim;
        double val = b[n - 1];
        for (int i = 0; i < n - 1; i++)
            val += b[i] * s0[i];
        adv[e] = v->episode_returns[e] - val;
    }
    rlc_free(M);
    return RLC_OK;
}

rlc_status rlc_dataset_trajectory_weights(const rlc_dataset *d, int kind, double temperature,
                                          double *w) {
    if (!d || !w) return rlc_error(RLC_ERR_INVALID, "trajectory_weights: NULL argument");
    if (kind < 0 || kind > 2)
        return rlc_error(RLC_ERR_INVALID, "trajectory_weights: unknown sampler kind %d", kind);
    if (!(temperature > 0))
        return rlc_error(RLC_ERR_INVALID, "trajectory_weights: temperature must be > 0, got %g",
                         temperature);
    rlc_dataset_view v;
    rlc_dataset_view_get(d, &v);
    const int64_t E = v.num_episodes;
    if (E < 1) return rlc_error(RLC_ERR_STATE, "trajectory_weights: empty dataset");
    if (kind == 0) {
        for (int64_t e = 0; e < E; e++)
            w[e] = 1.0 / (double)E;
        return RLC_OK;
    }
    /* the scores (returns or advantages) go through w itself */
    if (kind == 1)
        memcpy(w, v.episode_returns, sizeof(double) * (size_t)E);
    else {
        rlc_status st = advantages(&v, w);
        if (st) return st;
    }
    double lo = w[0], hi = w[0];
    for (int64_t e = 1; e < E; e++) {
        if (w[e] < lo) lo = w[e];
        if (w[e] > hi) hi = w[e];
    }
    double range = hi - lo, sum = 0;
    for (int64_t e = 0; e < E; e++) {
        /* softmax of the normalised score, shifted so that the largest term is exp(0) */
        double z = range > 0 ? (w[e] - hi) / range : 0.0;
        w[e] = exp(z / temperature);
        sum += w[e];
    }
    for (int64_t e = 0; e < E; e++)
        w[e] /= sum;
    return RLC_OK;
}

rlc_status rlc_dataset_return_psv(const rlc_dataset *d, double *out) {
    if (!d || !out) return rlc_error(RLC_ERR_INVALID, "return_psv: NULL argument");
    rlc_dataset_view v;
    rlc_dataset_view_get(d, &v);
    const int64_t E = v.num_episodes;
    if (E < 1) return rlc_error(RLC_ERR_STATE, "return_psv: empty dataset");
    double lo = v.episode_returns[0], hi = lo, mean = 0;
    for (int64_t e = 0; e < E; e++) {
        double g = v.episode_returns[e];
        if (g < lo) lo = g;
        if (g > hi) hi = g;
    }
    if (!(hi > lo)) {
        *out = 0;
        return RLC_OK;
    }
    for (int64_t e = 0; e < E; e++)
        mean += (v.episode_returns[e] - lo) / (hi - lo);
    mean /= (double)E;
    double s = 0;
    for (int64_t e = 0; e < E; e++) {
        double dev = (v.episode_returns[e] - lo) / (hi - lo) - mean;
        if (dev > 0) s += dev * dev;
    }
    *out = s / (double)E;
    return RLC_OK;
}
