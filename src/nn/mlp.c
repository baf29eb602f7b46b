/* Activations, the Linear layer and the MLP (Linear -> [LayerNorm] -> activation stacks),
 * recorded into any graph as views of one params set. */
#include "nn/nn_impl.h"

#include "core/graph_impl.h"

#include <stdio.h>
#include <string.h>

struct rlc_mlp {
    rlc_params *p;
    int nsizes;
    int sizes[RLC_MLP_MAX_SIZES];
    rlc_linear lin[RLC_MLP_MAX_SIZES - 1];
    int ln_w[RLC_MLP_MAX_SIZES - 1], ln_b[RLC_MLP_MAX_SIZES - 1];
    rlc_act act, out_act;
    double act_param;
    int ln;
    double ln_eps;
};

/* ---- activations ---- */

static const char *const ACT_NAMES[] = {"none", "relu",       "tanh",   "elu",
                                        "gelu", "leaky_relu", "sigmoid"};

rlc_tensor *rlc_activation(rlc_graph *g, rlc_tensor *x, rlc_act act, double param) {
    switch (act) {
    case RLC_ACT_NONE:
        return x;
    case RLC_ACT_RELU:
        return rlc_relu(g, x);
    case RLC_ACT_TANH:
        return rlc_tanh(g, x);
    case RLC_ACT_ELU:
        return rlc_elu(g, x, param != 0 ? param : 1.0);
    case RLC_ACT_GELU:
        return rlc_gelu(g, x);
    case RLC_ACT_LEAKY_RELU:
        return rlc_leaky_relu(g, x, param != 0 ? param : 0.01);
    case RLC_ACT_SIGMOID:
        return rlc_sigmoid(g, x);
    }
    if (!g) return NULL;
    return rlc__graph_fail(g, RLC_ERR_INVALID, "activation: unknown kind %d", (int)act);
}

rlc_tensor *rlc__spec_act(rlc_graph *g, rlc_tensor *x, rlc_act act, double param) {
    return rlc_activation(g, x, act, param);
}

rlc_status rlc_act_parse(const char *name, rlc_act *out) {
    if (!name || !out) return rlc_error(RLC_ERR_INVALID, "rlc_act_parse: NULL argument");
    for (int i = 0; i < (int)(sizeof ACT_NAMES / sizeof ACT_NAMES[0]); i++)
        if (!strcmp(name, ACT_NAMES[i])) {
            *out = (rlc_act)i;
            return RLC_OK;
        }
    if (!strcmp(name, "identity") || !strcmp(name, "linear")) {
        *out = RLC_ACT_NONE;
        return RLC_OK;
    }
    return rlc_error(RLC_ERR_INVALID,
                     "unknown activation '%s' (relu, tanh, elu, gelu, "
                     "leaky_relu, sigmoid, none)",
                     name);
}

const char *rlc_act_name(rlc_act act) {
    return (unsigned)act < sizeof ACT_NAMES / sizeof ACT_NAMES[0] ? ACT_NAMES[act] : "?";
}

/* ---- naming ---- */

rlc_status rlc__join_name(char *buf, size_t cap, const char *prefix, const char *rest) {
    int n = prefix && prefix[0] ? snprintf(buf, cap, "%s.%s", prefix, rest)
                                : snprintf(buf, cap, "%s", rest);
    if (n < 0 || (size_t)n >= cap)
        return rlc_error(RLC_ERR_INVALID, "parameter name '%s.%s' is too long", prefix, rest);
    return RLC_OK;
}

/* ---- Linear ---- */

rlc_status rlc_linear_add(rlc_linear *l, rlc_params *p, const char *name, int in, int out, int bias,
                          const rlc_init *winit, const rlc_init *binit, rlc_rng *rng) {
    if (!l || !p || !rng) return rlc_error(RLC_ERR_INVALID, "rlc_linear_add: NULL argument");
    if (in <= 0 || out <= 0)
        return rlc_error(RLC_ERR_INVALID, "rlc_linear_add: sizes %d -> %d", in, out);
    rlc_status st = rlc__init_check(winit, 0);
    if (!st) st = rlc__init_check(binit, 1);
    if (st) return st;
    rlc__entry_spec s[2];
    if ((st = rlc__join_name(s[0].name, sizeof s[0].name, name, "weight"))) return st;
    if ((st = rlc__join_name(s[1].name, sizeof s[1].name, name, "bias"))) return st;
    s[0].ndim = 2;
    s[0].shape[0] = out;
    s[0].shape[1] = in;
    s[1].ndim = 1;
    s[1].shape[0] = out;
    size_t bytes = rlc__init_scratch(winit, out, in);
    double *scratch = NULL;
    if (bytes && !(scratch = rlc_malloc(bytes))) return RLC_ERR_NOMEM;
    int first;
    st = rlc__params_add_batch(p, bias ? 2 : 1, s, &first);
    if (st) {
        rlc_free(scratch);
        return st;
    }
    size_t es = rlc__dtype_size(p->dtype);
    char *base = p->data;
    rlc__init_matrix_strided(base + (size_t)p->entries[first].offset * es, p->dtype, out, in, in, 1,
                             winit, rng, scratch);
    if (bias)
        rlc__init_bias(base + (size_t)p->entries[first + 1].offset * es, p->dtype, out, in, binit,
                       winit, rng);
    rlc_free(scratch);
    l->in = in;
    l->out = out;
    l->weight = first;
    l->bias = bias ? first + 1 : -1;
    return RLC_OK;
}

rlc_tensor *rlc_linear_forward(rlc_graph *g, const rlc_linear *l, rlc_params *p, rlc_tensor *x) {
    if (!g || g->status != RLC_OK) return NULL;
    if (!l || !p || !x) return rlc__graph_fail(g, RLC_ERR_INVALID, "linear: NULL argument");
    if (x->ndim < 1 || x->shape[x->ndim - 1] != l->in) {
        char sx[64];
        return rlc__graph_fail(g, RLC_ERR_INVALID, "linear: input %s does not end in %d features",
                               rlc_shape_str(x, sx, sizeof sx), l->in);
    }
    rlc_tensor *w = rlc_params_tensor(g, p, l->weight);
    rlc_tensor *h = x;
    if (x->ndim == 1) { /* a single vector: treat as [1, in] */
        h = rlc_reshape(g, x, 2, (int[]){1, l->in});
    }
    rlc_tensor *y = rlc_matmul(g, h, w, 0, 1);
    if (l->bias >= 0) y = rlc_add(g, y, rlc_params_tensor(g, p, l->bias));
    if (x->ndim == 1) y = rlc_reshape(g, y, 1, (int[]){l->out});
    return y;
}

/* ---- MLP ---- */

rlc_status rlc__mlp_spec_check(const rlc_mlp_spec *s, const char *who) {
    if (!s) return rlc_error(RLC_ERR_INVALID, "%s: NULL spec", who);
    if (!s->sizes || s->nsizes < 2 || s->nsizes > RLC_MLP_MAX_SIZES)
        return rlc_error(RLC_ERR_INVALID, "%s: need 2..%d sizes (in, hidden..., out), got %d", who,
                         RLC_MLP_MAX_SIZES, s->sizes ? s->nsizes : 0);
    for (int i = 0; i < s->nsizes; i++)
        if (s->sizes[i] <= 0)
            return rlc_error(RLC_ERR_INVALID, "%s: size %d at position %d", who, s->sizes[i], i);
    if ((unsigned)s->act > RLC_ACT_SIGMOID || (unsigned)s->out_act > RLC_ACT_SIGMOID)
        return rlc_error(RLC_ERR_INVALID, "%s: unknown activation", who);
    if (s->layer_norm < RLC_LN_NONE || s->layer_norm > RLC_LN_PLAIN)
        return rlc_error(RLC_ERR_INVALID, "%s: layer_norm %d (use RLC_LN_*)", who, s->layer_norm);
    if (s->ln_eps < 0) return rlc_error(RLC_ERR_RANGE, "%s: ln_eps %g < 0", who, s->ln_eps);
    rlc_status st = rlc__init_check(&s->hidden_init, 0);
    if (!st) st = rlc__init_check(&s->out_init, 0);
    if (!st) st = rlc__init_check(&s->hidden_bias_init, 1);
    if (!st) st = rlc__init_check(&s->out_bias_init, 1);
    return st;
}

rlc_mlp *rlc_mlp_create(rlc_params *p, const char *prefix, const rlc_mlp_spec *spec, rlc_rng *rng) {
    if (!p || !rng) {
        rlc_error(RLC_ERR_INVALID, "rlc_mlp_create: NULL argument");
        return NULL;
    }
    if (rlc__mlp_spec_check(spec, "rlc_mlp_create")) return NULL;
    int L = spec->nsizes - 1;
    int bias = !spec->no_bias;
    rlc__entry_spec es[4 * (RLC_MLP_MAX_SIZES - 1)];
    int ne = 0;
    size_t scratch_bytes = 0;
    for (int i = 0; i < L; i++) {
        int in = spec->sizes[i], out = spec->sizes[i + 1], last = i == L - 1;
        const rlc_init *wi = last ? &spec->out_init : &spec->hidden_init;
        size_t b = rlc__init_scratch(wi, out, in);
        if (b > scratch_bytes) scratch_bytes = b;
        char rest[32];
        snprintf(rest, sizeof rest, "%d.weight", i);
        if (rlc__join_name(es[ne].name, sizeof es[ne].name, prefix, rest)) return NULL;
        es[ne].ndim = 2;
        es[ne].shape[0] = out;
        es[ne].shape[1] = in;
        ne++;
        if (bias) {
            snprintf(rest, sizeof rest, "%d.bias", i);
            if (rlc__join_name(es[ne].name, sizeof es[ne].name, prefix, rest)) return NULL;
            es[ne].ndim = 1;
            es[ne].shape[0] = out;
            ne++;
        }
        if (!last && spec->layer_norm == RLC_LN_AFFINE) {
            for (int k = 0; k < 2; k++) {
                snprintf(rest, sizeof rest, "ln%d.%s", i, k ? "bias" : "weight");
                if (rlc__join_name(es[ne].name, sizeof es[ne].name, prefix, rest)) return NULL;
                es[ne].ndim = 1;
                es[ne].shape[0] = out;
                ne++;
            }
        }
    }
    rlc_mlp *m = rlc_calloc(1, sizeof *m);
    if (!m) return NULL;
    double *scratch = NULL;
    if (scratch_bytes && !(scratch = rlc_malloc(scratch_bytes))) {
        rlc_free(m);
        return NULL;
    }
    int first;
    if (rlc__params_add_batch(p, ne, es, &first)) {
        rlc_free(scratch);
        rlc_free(m);
        return NULL;
    }
    /* Initialise in creation order: weight then bias of each layer, as PyTorch modules do. */
    size_t esz = rlc__dtype_size(p->dtype);
    char *base = p->data;
    int e = first;
    for (int i = 0; i < L; i++) {
        int in = spec->sizes[i], out = spec->sizes[i + 1], last = i == L - 1;
        const rlc_init *wi = last ? &spec->out_init : &spec->hidden_init;
        const rlc_init *bi = last ? &spec->out_bias_init : &spec->hidden_bias_init;
        rlc_linear *l = &m->lin[i];
        l->in = in;
        l->out = out;
        l->weight = e++;
        rlc__init_matrix_strided(base + (size_t)p->entries[l->weight].offset * esz, p->dtype, out,
                                 in, in, 1, wi, rng, scratch);
        l->bias = -1;
        if (bias) {
            l->bias = e++;
            rlc__init_bias(base + (size_t)p->entries[l->bias].offset * esz, p->dtype, out, in, bi,
                           wi, rng);
        }
        m->ln_w[i] = m->ln_b[i] = -1;
        if (!last && spec->layer_norm == RLC_LN_AFFINE) {
            m->ln_w[i] = e++;
            m->ln_b[i] = e++;
            if (p->dtype == RLC_F32) {
                float *gm = (float *)(void *)(base + (size_t)p->entries[m->ln_w[i]].offset * esz);
                for (int j = 0; j < out; j++)
                    gm[j] = 1.0f;
            } else {
                double *gm = (double *)(void *)(base + (size_t)p->entries[m->ln_w[i]].offset * esz);
                for (int j = 0; j < out; j++)
                    gm[j] = 1.0;
            }
        }
    }
    rlc_free(scratch);
    m->p = p;
    m->nsizes = spec->nsizes;
    memcpy(m->sizes, spec->sizes, (size_t)spec->nsizes * sizeof(int));
    m->act = spec->act;
    m->out_act = spec->out_act;
    m->act_param = spec->act_param;
    m->ln = spec->layer_norm;
    m->ln_eps = spec->ln_eps > 0 ? spec->ln_eps : 1e-5;
    return m;
}

int rlc__mlp_plain(const rlc_mlp *m, rlc_act *act, rlc_act *out_act) {
    if (!m || m->ln != RLC_LN_NONE) return 0;
    if (m->act != RLC_ACT_RELU && m->act != RLC_ACT_TANH) return 0;
    if (m->out_act != RLC_ACT_NONE && m->out_act != RLC_ACT_RELU && m->out_act != RLC_ACT_TANH)
        return 0;
    for (int i = 0; i < m->nsizes - 1; i++)
        if (m->lin[i].bias < 0) return 0;
    *act = m->act;
    *out_act = m->out_act;
    return 1;
}

void rlc_mlp_destroy(rlc_mlp *m) {
    rlc_free(m);
}

/* A view of params entry `index`: with its gradient, or (frozen) as a constant. */
static rlc_tensor *entry_view(rlc_graph *g, rlc_params *p, int index, int frozen) {
    rlc_tensor *t = rlc_params_tensor(g, p, index);
    if (!t || !frozen) return t;
    return rlc_param(g, t->data, NULL, t->ndim, t->shape);
}

static rlc_tensor *mlp_record(rlc_graph *g, const rlc_mlp *m, rlc_params *p, rlc_tensor *x,
                              int frozen) {
    if (!g || g->status != RLC_OK) return NULL;
    if (!m || !p || !x) return rlc__graph_fail(g, RLC_ERR_INVALID, "mlp: NULL argument");
    if (p != m->p && !rlc_params_same_layout(p, m->p))
        return rlc__graph_fail(g, RLC_ERR_INVALID,
                               "mlp: the params given do not have the MLP's layout");
    int L = m->nsizes - 1;
    rlc_tensor *h = x;
    for (int i = 0; i < L; i++) {
        const rlc_linear *l = &m->lin[i];
        /* A layer with no LayerNorm after it and a relu/tanh/no activation is one fused node
         * (rlc__linear_act: same bits as the separate ops). */
        rlc_act a = i < L - 1 ? (m->ln == RLC_LN_NONE ? m->act : (rlc_act)-1) : m->out_act;
        int code = a == RLC_ACT_NONE   ? RLC__LIN_NONE
                   : a == RLC_ACT_RELU ? RLC__LIN_RELU
                   : a == RLC_ACT_TANH ? RLC__LIN_TANH
                                       : -1;
        if (code >= 0 && h && h->ndim == 2 && h->shape[1] == l->in) {
            h = rlc__linear_act(g, h, entry_view(g, p, l->weight, frozen),
                                l->bias >= 0 ? entry_view(g, p, l->bias, frozen) : NULL, code);
            if (!h) return NULL;
            continue;
        }
        if (!frozen) {
            h = rlc_linear_forward(g, l, p, h);
        } else {
            h = rlc_matmul(g, h, entry_view(g, p, l->weight, 1), 0, 1);
            if (l->bias >= 0) h = rlc_add(g, h, entry_view(g, p, l->bias, 1));
        }
        if (i < L - 1) {
            if (m->ln == RLC_LN_AFFINE)
                h = rlc_layer_norm(g, h, entry_view(g, p, m->ln_w[i], frozen),
                                   entry_view(g, p, m->ln_b[i], frozen), m->ln_eps);
            else if (m->ln == RLC_LN_PLAIN)
                h = rlc_layer_norm(g, h, NULL, NULL, m->ln_eps);
            h = rlc_activation(g, h, m->act, m->act_param);
        } else {
            h = rlc_activation(g, h, m->out_act, m->act_param);
        }
    }
    return h;
}

rlc_tensor *rlc_mlp_forward_params(rlc_graph *g, const rlc_mlp *m, rlc_params *p, rlc_tensor *x) {
    return mlp_record(g, m, p, x, 0);
}

rlc_tensor *rlc_mlp_forward_frozen(rlc_graph *g, const rlc_mlp *m, rlc_params *p, rlc_tensor *x) {
    return mlp_record(g, m, p, x, 1);
}

rlc_tensor *rlc_mlp_forward(rlc_graph *g, const rlc_mlp *m, rlc_tensor *x) {
    if (!g || g->status != RLC_OK) return NULL;
    if (!m) return rlc__graph_fail(g, RLC_ERR_INVALID, "mlp: NULL mlp");
    return rlc_mlp_forward_params(g, m, m->p, x);
}

rlc_params *rlc_mlp_params(const rlc_mlp *m) {
    return m->p;
}

int rlc_mlp_in(const rlc_mlp *m) {
    return m->sizes[0];
}

int rlc_mlp_out(const rlc_mlp *m) {
    return m->sizes[m->nsizes - 1];
}

int rlc_mlp_num_layers(const rlc_mlp *m) {
    return m->nsizes - 1;
}

const rlc_linear *rlc_mlp_layer(const rlc_mlp *m, int i) {
    return i >= 0 && i < m->nsizes - 1 ? &m->lin[i] : NULL;
}
