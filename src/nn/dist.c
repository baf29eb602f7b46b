/* Action distributions: categorical sampling and argmax from computed logits, reparameterised
 * diagonal Gaussian and tanh-squashed Gaussian samples with their log-probabilities as graph
 * expressions. */
#include "nn/nn_impl.h"

#include "core/graph_impl.h"

#include <math.h>

#define LOG2 0.69314718055994530942

void rlc_fill_normal(rlc_tensor *t, rlc_rng *rng) {
    if (!t || !rng) return;
    if (t->dtype == RLC_F32) {
        float *d = t->data;
        for (int64_t i = 0; i < t->size; i++)
            d[i] = (float)rlc_rng_normal(rng);
    } else {
        double *d = t->data;
        for (int64_t i = 0; i < t->size; i++)
            d[i] = rlc_rng_normal(rng);
    }
}

static double at(const rlc_tensor *t, int64_t i) {
    return t->dtype == RLC_F32 ? (double)((const float *)t->data)[i] : ((const double *)t->data)[i];
}

void rlc_categorical_sample(const rlc_tensor *logits, rlc_rng *rng, int64_t *out) {
    if (!logits || !rng || !out || logits->ndim < 1) return;
    int64_t C = logits->shape[logits->ndim - 1];
    if (C <= 0) return;
    int64_t R = logits->size / C;
    for (int64_t r = 0; r < R; r++) {
        int64_t b = r * C;
        double mx = -INFINITY;
        for (int64_t j = 0; j < C; j++)
            if (at(logits, b + j) > mx) mx = at(logits, b + j);
        double sum = 0;
        for (int64_t j = 0; j < C; j++)
            sum += exp(at(logits, b + j) - mx);
        double u = rlc_rng_random(rng) * sum, c = 0;
        int64_t pick = -1;
        for (int64_t j = 0; j < C; j++) {
            double pj = exp(at(logits, b + j) - mx);
            if (pj > 0) pick = j; /* rounding fallback: the last category with mass */
            c += pj;
            if (u < c) {
                pick = j;
                break;
            }
        }
        out[r] = pick < 0 ? 0 : pick;
    }
}

void rlc_categorical_argmax(const rlc_tensor *logits, int64_t *out) {
    if (!logits || !out || logits->ndim < 1) return;
    int64_t C = logits->shape[logits->ndim - 1];
    if (C <= 0) return;
    int64_t R = logits->size / C;
    for (int64_t r = 0; r < R; r++) {
        int64_t best = 0;
        double bv = at(logits, r * C);
        for (int64_t j = 1; j < C; j++)
            if (at(logits, r * C + j) > bv) {
                bv = at(logits, r * C + j);
                best = j;
            }
        out[r] = best;
    }
}

rlc_tensor *rlc_gaussian_rsample(rlc_graph *g, rlc_tensor *mean, rlc_tensor *log_std,
                                 rlc_tensor *noise) {
    return rlc_add(g, mean, rlc_mul(g, rlc_exp(g, log_std), noise));
}

/* log N(u; mean, exp(log_std)) - sum_i log(1 - tanh(u_i)^2), the correction written as
 * 2 (log 2 - u - softplus(-2u)), which stays finite for any u (1 - tanh^2 underflows). */
static rlc_tensor *squashed_log_prob(rlc_graph *g, rlc_tensor *u, rlc_tensor *mean,
                                     rlc_tensor *log_std) {
    rlc_tensor *lp = rlc_gaussian_log_prob(g, u, mean, log_std);
    rlc_tensor *sp = rlc_softplus(g, rlc_mul_scalar(g, u, -2.0));
    rlc_tensor *corr = rlc_rsub_scalar(g, rlc_add(g, u, sp), LOG2); /* log2 - u - sp */
    rlc_tensor *sum = rlc_sum(g, corr, -1, 0);
    return rlc_sub(g, lp, rlc_mul_scalar(g, sum, 2.0));
}

rlc_status rlc_tanh_gaussian_rsample(rlc_graph *g, rlc_tensor *mean, rlc_tensor *log_std,
                                     rlc_tensor *noise, rlc_tensor **action,
                                     rlc_tensor **log_prob) {
    if (!g) return rlc_error(RLC_ERR_INVALID, "rlc_tanh_gaussian_rsample: NULL graph");
    rlc_tensor *u = rlc_gaussian_rsample(g, mean, log_std, noise);
    rlc_tensor *a = rlc_tanh(g, u);
    rlc_tensor *lp = log_prob ? squashed_log_prob(g, u, mean, log_std) : NULL;
    if (g->status != RLC_OK) return g->status;
    if (action) *action = a;
    if (log_prob) *log_prob = lp;
    return RLC_OK;
}

rlc_tensor *rlc_tanh_gaussian_log_prob(rlc_graph *g, rlc_tensor *mean, rlc_tensor *log_std,
                                       rlc_tensor *action, double clip_eps) {
    if (!g || g->status != RLC_OK) return NULL;
    double e = clip_eps > 0 ? clip_eps : 1e-6;
    if (e >= 1) return rlc__graph_fail(g, RLC_ERR_RANGE, "tanh_gaussian_log_prob: clip_eps %g", e);
    rlc_tensor *a = rlc_clamp(g, action, -1.0 + e, 1.0 - e);
    /* atanh(a) = (log(1 + a) - log(1 - a)) / 2 */
    rlc_tensor *u = rlc_mul_scalar(
        g,
        rlc_sub(g, rlc_log(g, rlc_add_scalar(g, a, 1.0)), rlc_log(g, rlc_rsub_scalar(g, a, 1.0))),
        0.5);
    return squashed_log_prob(g, u, mean, log_std);
}
