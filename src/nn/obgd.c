/* ObGD, the overshooting-bounded gradient descent of the stream-x algorithms (Elsayed, Vasan &
 * Mahmood 2024): eligibility traces in a params state slot and a step size bounded by the
 * trace's L1 norm so that one update cannot overshoot the TD target. */
#include "nn/nn_impl.h"

#include "core/graph_impl.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

struct rlc_obgd {
    rlc_params *p;
    rlc_obgd_config cfg;
    int64_t lo, hi; /* element range [lo, hi) of the blocks this optimizer owns */
};

rlc_obgd_config rlc_obgd_defaults(void) {
    rlc_obgd_config c;
    memset(&c, 0, sizeof c);
    c.lr = 1.0;
    c.gamma = 0.99;
    c.lambda = 0.8;
    c.kappa = 2.0;
    return c;
}

double rlc_obgd_step_size(double lr, double kappa, double delta, double z_l1) {
    double dbar = fabs(delta) > 1.0 ? fabs(delta) : 1.0;
    double m = lr * kappa * dbar * z_l1;
    return m > 1.0 ? lr / m : lr;
}

rlc_obgd *rlc_obgd_create(rlc_params *p, const rlc_obgd_config *cfg) {
    if (!p || !cfg) {
        rlc_error(RLC_ERR_INVALID, "rlc_obgd_create: NULL argument");
        return NULL;
    }
    if (!(cfg->lr >= 0 && isfinite(cfg->lr))) {
        rlc_error(RLC_ERR_RANGE, "obgd: lr %g must be finite and >= 0", cfg->lr);
        return NULL;
    }
    if (!(cfg->kappa > 0 && isfinite(cfg->kappa))) {
        rlc_error(RLC_ERR_RANGE, "obgd: kappa %g must be finite and > 0", cfg->kappa);
        return NULL;
    }
    if (!(cfg->gamma >= 0 && cfg->gamma <= 1) || !(cfg->lambda >= 0 && cfg->lambda <= 1)) {
        rlc_error(RLC_ERR_RANGE, "obgd: gamma %g and lambda %g must lie in [0, 1]", cfg->gamma,
                  cfg->lambda);
        return NULL;
    }
    int first = cfg->first_entry, n = cfg->n_entries;
    if (first == 0 && n == 0) n = p->n;
    if (first < 0 || n < 1 || first + n > p->n) {
        rlc_error(RLC_ERR_INVALID, "obgd: entry range [%d, %d) outside the %d entries", first,
                  first + n, p->n);
        return NULL;
    }
    if (p->optim_name[0] && strcmp(p->optim_name, "obgd")) {
        rlc_error(RLC_ERR_STATE,
                  "obgd: these params already have a '%s' optimizer (ObGD may share a params "
                  "set only with other ObGD instances on other entries)",
                  p->optim_name);
        return NULL;
    }
    if (rlc__params_ensure_state(p, 1)) return NULL;
    rlc_obgd *o = rlc_calloc(1, sizeof *o);
    if (!o) return NULL;
    o->p = p;
    o->cfg = *cfg;
    o->cfg.first_entry = first;
    o->cfg.n_entries = n;
    const rlc_param_entry *e0 = &p->entries[first], *e1 = &p->entries[first + n - 1];
    o->lo = e0->offset;
    o->hi = e1->offset + e1->size;
    p->frozen = 1;
    snprintf(p->optim_name, sizeof p->optim_name, "obgd");
    snprintf(p->state_names[0], sizeof p->state_names[0], "eligibility_trace");
    p->state_used = 1;
    rlc_obgd_reset(o);
    p->optim_step = 0;
    return o;
}

void rlc_obgd_destroy(rlc_obgd *o) {
    rlc_free(o);
}

void rlc_obgd_reset(rlc_obgd *o) {
    if (!o) return;
    size_t es = rlc__dtype_size(o->p->dtype);
    memset((char *)o->p->state[0] + (size_t)o->lo * es, 0, (size_t)(o->hi - o->lo) * es);
}

const rlc_obgd_config *rlc_obgd_config_of(const rlc_obgd *o) {
    return o ? &o->cfg : NULL;
}

void rlc_obgd_set_lr(rlc_obgd *o, double lr) {
    if (o) o->cfg.lr = lr;
}

/* z = decay z + g (g zeroed when asked), returning sum |z| accumulated in double in index
 * order (deterministic); then w += c z, and z = 0 on reset. */
#define OBGD_KERNELS(T, SFX)                                                                       \
    static double trace_##SFX(T *restrict z, T *restrict g, int64_t n, T decay, int zero) {        \
        double l1 = 0;                                                                             \
        for (int64_t i = 0; i < n; i++) {                                                          \
            T v = decay * z[i] + g[i];                                                             \
            z[i] = v;                                                                              \
            l1 += fabs((double)v);                                                                 \
            if (zero) g[i] = 0;                                                                    \
        }                                                                                          \
        return l1;                                                                                 \
    }                                                                                              \
    static void apply_##SFX(T *restrict w, T *restrict z, int64_t n, T c, int reset) {             \
        for (int64_t i = 0; i < n; i++) {                                                          \
            w[i] = w[i] + c * z[i];                                                                \
            if (reset) z[i] = 0;                                                                   \
        }                                                                                          \
    }

OBGD_KERNELS(float, f32)
OBGD_KERNELS(double, f64)

double rlc_obgd_step(rlc_obgd *o, double delta, int reset) {
    if (!o) return 0;
    rlc_params *p = o->p;
    const rlc_obgd_config *c = &o->cfg;
    int64_t n = o->hi - o->lo;
    double decay = c->gamma * c->lambda, l1, step;
    if (p->dtype == RLC_F64) {
        double *w = (double *)p->data + o->lo, *g = (double *)p->grad + o->lo;
        double *z = (double *)p->state[0] + o->lo;
        l1 = trace_f64(z, g, n, decay, c->zero_grad);
        step = rlc_obgd_step_size(c->lr, c->kappa, delta, l1);
        apply_f64(w, z, n, step * delta, reset);
    } else {
        float *w = (float *)p->data + o->lo, *g = (float *)p->grad + o->lo;
        float *z = (float *)p->state[0] + o->lo;
        l1 = trace_f32(z, g, n, (float)decay, c->zero_grad);
        step = rlc_obgd_step_size(c->lr, c->kappa, delta, l1);
        apply_f32(w, z, n, (float)(step * delta), reset);
    }
    p->optim_step++;
    return step;
}
