/* Ensembles of N same-shape MLPs evaluated with batched matrix products: weights [N, in, out],
 * biases [N, 1, out], inputs [B, in] (shared) or [N, B, in], outputs [N, B, out]. */
#include "nn/nn_impl.h"

#include "core/graph_impl.h"

#include <stdio.h>
#include <string.h>

struct rlc_ensemble {
    rlc_params *p;
    int n;
    int nsizes;
    int sizes[RLC_MLP_MAX_SIZES];
    int w[RLC_MLP_MAX_SIZES - 1], b[RLC_MLP_MAX_SIZES - 1];
    int ln_w[RLC_MLP_MAX_SIZES - 1], ln_b[RLC_MLP_MAX_SIZES - 1];
    rlc_act act, out_act;
    double act_param;
    int ln;
    double ln_eps;
};

static rlc_status add_spec(rlc__entry_spec *s, const char *prefix, const char *rest, int ndim,
                           int d0, int d1, int d2) {
    rlc_status st = rlc__join_name(s->name, sizeof s->name, prefix, rest);
    s->ndim = ndim;
    s->shape[0] = d0;
    s->shape[1] = d1;
    s->shape[2] = d2;
    return st;
}

rlc_ensemble *rlc_ensemble_create(rlc_params *p, const char *prefix, int n_members,
                                  const rlc_mlp_spec *spec, rlc_rng *rng) {
    if (!p || !rng) {
        rlc_error(RLC_ERR_INVALID, "rlc_ensemble_create: NULL argument");
        return NULL;
    }
    if (n_members < 1) {
        rlc_error(RLC_ERR_INVALID, "rlc_ensemble_create: %d members", n_members);
        return NULL;
    }
    if (rlc__mlp_spec_check(spec, "rlc_ensemble_create")) return NULL;
    int L = spec->nsizes - 1, N = n_members, bias = !spec->no_bias;
    rlc__entry_spec es[4 * (RLC_MLP_MAX_SIZES - 1)];
    int ne = 0;
    size_t scratch_bytes = 0;
    char rest[32];
    for (int i = 0; i < L; i++) {
        int in = spec->sizes[i], out = spec->sizes[i + 1], last = i == L - 1;
        size_t b = rlc__init_scratch(last ? &spec->out_init : &spec->hidden_init, out, in);
        if (b > scratch_bytes) scratch_bytes = b;
        snprintf(rest, sizeof rest, "%d.weight", i);
        if (add_spec(&es[ne++], prefix, rest, 3, N, in, out)) return NULL;
        if (bias) {
            snprintf(rest, sizeof rest, "%d.bias", i);
            if (add_spec(&es[ne++], prefix, rest, 3, N, 1, out)) return NULL;
        }
        if (!last && spec->layer_norm == RLC_LN_AFFINE) {
            snprintf(rest, sizeof rest, "ln%d.weight", i);
            if (add_spec(&es[ne++], prefix, rest, 3, N, 1, out)) return NULL;
            snprintf(rest, sizeof rest, "ln%d.bias", i);
            if (add_spec(&es[ne++], prefix, rest, 3, N, 1, out)) return NULL;
        }
    }
    rlc_ensemble *e = rlc_calloc(1, sizeof *e);
    if (!e) return NULL;
    double *scratch = NULL;
    if (scratch_bytes && !(scratch = rlc_malloc(scratch_bytes))) {
        rlc_free(e);
        return NULL;
    }
    int first;
    if (rlc__params_add_batch(p, ne, es, &first)) {
        rlc_free(scratch);
        rlc_free(e);
        return NULL;
    }
    size_t esz = rlc__dtype_size(p->dtype);
    char *base = p->data;
    int k = first;
    for (int i = 0; i < L; i++) {
        int in = spec->sizes[i], out = spec->sizes[i + 1], last = i == L - 1;
        const rlc_init *wi = last ? &spec->out_init : &spec->hidden_init;
        const rlc_init *bi = last ? &spec->out_bias_init : &spec->hidden_bias_init;
        e->w[i] = k++;
        e->b[i] = bias ? k++ : -1;
        e->ln_w[i] = e->ln_b[i] = -1;
        if (!last && spec->layer_norm == RLC_LN_AFFINE) {
            e->ln_w[i] = k++;
            e->ln_b[i] = k++;
        }
        char *w = base + (size_t)p->entries[e->w[i]].offset * esz;
        /* Member by member, weight then bias, as N separate Linear layers would be made. The
         * [in, out] slice holds W^T: element (r = output, c = input) is at c * out + r. */
        for (int m = 0; m < N; m++) {
            rlc__init_matrix_strided(w + (size_t)m * in * out * esz, p->dtype, out, in, 1, out, wi,
                                     rng, scratch);
            if (bias) {
                char *bb = base + ((size_t)p->entries[e->b[i]].offset + (size_t)m * out) * esz;
                rlc__init_bias(bb, p->dtype, out, in, bi, wi, rng);
            }
        }
        if (e->ln_w[i] >= 0) {
            char *gm = base + (size_t)p->entries[e->ln_w[i]].offset * esz;
            for (int j = 0; j < N * out; j++) {
                if (p->dtype == RLC_F32)
                    ((float *)(void *)gm)[j] = 1.0f;
                else
                    ((double *)(void *)gm)[j] = 1.0;
            }
        }
    }
    rlc_free(scratch);
    e->p = p;
    e->n = N;
    e->nsizes = spec->nsizes;
    memcpy(e->sizes, spec->sizes, (size_t)spec->nsizes * sizeof(int));
    e->act = spec->act;
    e->out_act = spec->out_act;
    e->act_param = spec->act_param;
    e->ln = spec->layer_norm;
    e->ln_eps = spec->ln_eps > 0 ? spec->ln_eps : 1e-5;
    return e;
}

void rlc_ensemble_destroy(rlc_ensemble *e) {
    rlc_free(e);
}

/* Broadcasts a per-member row vector v [N, 1, D] to [N, B, D] as ones[B, 1] @ v: one batched
 * GEMM with K = 1 forward, and the gradient (a column sum) is a GEMM too, which is much cheaper
 * than the elementwise ops' general broadcasting path. */
static rlc_tensor *rows(rlc_graph *g, rlc_tensor *ones, rlc_tensor *v) {
    return rlc_matmul(g, ones, v, 0, 0);
}

rlc_tensor *rlc_ensemble_forward_params(rlc_graph *g, const rlc_ensemble *e, rlc_params *p,
                                        rlc_tensor *x) {
    if (!g || g->status != RLC_OK) return NULL;
    if (!e || !p || !x) return rlc__graph_fail(g, RLC_ERR_INVALID, "ensemble: NULL argument");
    if (p != e->p && !rlc_params_same_layout(p, e->p))
        return rlc__graph_fail(g, RLC_ERR_INVALID,
                               "ensemble: the params given do not have the ensemble's layout");
    char sx[64];
    int in = e->sizes[0], B;
    if (x->ndim == 2 && x->shape[1] == in)
        B = x->shape[0];
    else if (x->ndim == 3 && x->shape[0] == e->n && x->shape[2] == in)
        B = x->shape[1];
    else
        return rlc__graph_fail(g, RLC_ERR_INVALID,
                               "ensemble: input %s is neither [B, %d] nor [%d, B, %d]",
                               rlc_shape_str(x, sx, sizeof sx), in, e->n, in);
    rlc_tensor *ones = rlc_full(g, 2, (int[]){B, 1}, 1.0);
    int L = e->nsizes - 1;
    rlc_tensor *h = x;
    for (int i = 0; i < L; i++) {
        h = rlc_matmul(g, h, rlc_params_tensor(g, p, e->w[i]), 0, 0);
        if (e->b[i] >= 0) h = rlc_add(g, h, rows(g, ones, rlc_params_tensor(g, p, e->b[i])));
        if (i < L - 1) {
            if (e->ln != RLC_LN_NONE) h = rlc_layer_norm(g, h, NULL, NULL, e->ln_eps);
            if (e->ln == RLC_LN_AFFINE) {
                h = rlc_mul(g, h, rows(g, ones, rlc_params_tensor(g, p, e->ln_w[i])));
                h = rlc_add(g, h, rows(g, ones, rlc_params_tensor(g, p, e->ln_b[i])));
            }
            h = rlc_activation(g, h, e->act, e->act_param);
        } else {
            h = rlc_activation(g, h, e->out_act, e->act_param);
        }
    }
    return h;
}

rlc_tensor *rlc_ensemble_forward(rlc_graph *g, const rlc_ensemble *e, rlc_tensor *x) {
    if (!g || g->status != RLC_OK) return NULL;
    if (!e) return rlc__graph_fail(g, RLC_ERR_INVALID, "ensemble: NULL ensemble");
    return rlc_ensemble_forward_params(g, e, e->p, x);
}

int rlc_ensemble_size(const rlc_ensemble *e) {
    return e->n;
}

int rlc_ensemble_num_layers(const rlc_ensemble *e) {
    return e->nsizes - 1;
}

int rlc_ensemble_weight_entry(const rlc_ensemble *e, int i) {
    return i >= 0 && i < e->nsizes - 1 ? e->w[i] : -1;
}

int rlc_ensemble_bias_entry(const rlc_ensemble *e, int i) {
    return i >= 0 && i < e->nsizes - 1 ? e->b[i] : -1;
}
