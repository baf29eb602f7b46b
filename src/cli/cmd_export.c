/* `rlc export --checkpoint F --c-header out.h [--name policy]`: writes a dependency-free C
 * header with the actor's float32 weights and a static inline NAME_forward(obs, action). */
#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "rlc/env.h"
#include "rlc/safetensors.h"

#define EXP_MAX_LAYERS 17

static void usage(FILE *f) {
    fprintf(f, "usage: rlc export --checkpoint FILE --c-header OUT.h [--name NAME]\n\n"
               "Writes the actor of a saved agent as a C header without dependencies besides\n"
               "<math.h>: float32 weight arrays and\n"
               "  static inline void NAME_forward(const float *obs, float *action)\n"
               "computing the deterministic action (the same as rlc eval's). NAME defaults to\n"
               "'policy'. Supported actors: ppo (Box: Gaussian mean clipped to the bounds;\n"
               "Discrete: argmax + start written as a float), td3 (tanh output rescaled to the\n"
               "bounds), sac (tanh of the mean half of the output, rescaled), and the offline\n"
               "agents: td3bc, iql, awac, bc (tanh output, or argmax on Discrete), cql (tanh\n"
               "of the mean half; Discrete: argmax of its Q-network). Observation\n"
               "normalisation stored in the checkpoint (norm_obs) is included. The header is\n"
               "written to a temporary file and renamed.\n");
}

/* writes `n` floats as C hex literals (exact), 4 per line */
static void write_floats(FILE *f, const float *x, int64_t n) {
    for (int64_t i = 0; i < n; i++)
        fprintf(f, "%s%af,%s", i % 4 ? "" : "    ", (double)x[i],
                i % 4 == 3 || i == n - 1 ? "\n" : " ");
}

static int valid_name(const char *s) {
    if (!*s || !(isalpha((unsigned char)*s) || *s == '_')) return 0;
    for (; *s; s++)
        if (!isalnum((unsigned char)*s) && *s != '_') return 0;
    return 1;
}

static int fail(const char *msg, const char *arg) {
    fprintf(stderr, "rlc export: %s%s\n", msg, arg ? arg : "");
    return 1;
}

int rlc_cli_export(int argc, char **argv) {
    const char *ckpt = NULL, *out = NULL, *name = "policy";
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        int has = i + 1 < argc;
        if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
            usage(stdout);
            return 0;
        } else if (has && !strcmp(a, "--checkpoint")) {
            ckpt = argv[++i];
        } else if (has && !strcmp(a, "--c-header")) {
            out = argv[++i];
        } else if (has && !strcmp(a, "--name")) {
            name = argv[++i];
        } else {
            fprintf(stderr, "rlc export: unknown or incomplete option '%s'\n", a);
            usage(stderr);
            return 2;
        }
    }
    if (!ckpt || !out) {
        usage(stderr);
        return 2;
    }
    if (!valid_name(name) || strlen(name) > 64)
        return fail("--name must be a C identifier: ", name);
    rlc_st_file *f = NULL;
    if (rlc_st_load(ckpt, &f)) return fail(rlc_last_error(), NULL);
    int rc = 1;
    rlc_env *env = NULL;
    FILE *o = NULL;
    const char *algo = rlc_st_meta(f, "rlc.algo"), *env_id = rlc_st_meta(f, "rlc.env");
    const char *kw = rlc_st_meta(f, "rlc.env_kwargs"),
               *actname = rlc_st_meta(f, "config.activation");
    const rlc_st_tensor *W[EXP_MAX_LAYERS], *B[EXP_MAX_LAYERS];
    int L = 0, kind = 0; /* 1 ppo, 2 tanh output (td3 ...), 3 tanh of the mean half (sac ...) */
    int argmax_ok = 0;   /* Discrete envs: argmax of the outputs */
    char tmp[1100] = "";
    if (!algo || !env_id) {
        fail("not an rlc agent checkpoint (no rlc.algo / rlc.env metadata): ", ckpt);
        goto done;
    }
    static const struct {
        const char *algo;
        int kind, argmax, offline;
    } KINDS[] = {{"ppo", 1, 1, 0},  {"td3", 2, 0, 0}, {"sac", 3, 0, 0},  {"td3bc", 2, 0, 1},
                 {"iql", 2, 0, 1},  {"awac", 2, 0, 1}, {"bc", 2, 1, 1},  {"cql", 3, 1, 1}};
    int offline = 0;
    for (size_t k = 0; k < sizeof KINDS / sizeof KINDS[0]; k++)
        if (!strcmp(algo, KINDS[k].algo)) {
            kind = KINDS[k].kind;
            argmax_ok = KINDS[k].argmax;
            offline = KINDS[k].offline;
        }
    if (!kind) {
        fail("unsupported algorithm (supported: ppo, td3, sac, td3bc, iql, awac, bc, cql): ",
             algo);
        goto done;
    }
    if (!actname && offline) actname = "relu"; /* the offline agents' hidden layers */
    if (!actname || (strcmp(actname, "tanh") && strcmp(actname, "relu"))) {
        fail("missing or unsupported config.activation in ", ckpt);
        goto done;
    }
    /* discrete CQL acts with its Q-network */
    const char *prefix = !rlc_st_get(f, "actor.0.weight") && !strcmp(algo, "cql") ? "q" : "actor";
    for (L = 0; L < EXP_MAX_LAYERS; L++) {
        char wn[64], bn[64];
        snprintf(wn, sizeof wn, "%s.%d.weight", prefix, L);
        snprintf(bn, sizeof bn, "%s.%d.bias", prefix, L);
        W[L] = rlc_st_get(f, wn);
        B[L] = rlc_st_get(f, bn);
        if (!W[L]) break;
        if (W[L]->dtype != RLC_ST_F32 || W[L]->ndim != 2 || !B[L] || B[L]->dtype != RLC_ST_F32 ||
            B[L]->ndim != 1 || B[L]->shape[0] != W[L]->shape[0] ||
            (L > 0 && W[L]->shape[1] != W[L - 1]->shape[0])) {
            fail("unexpected actor layer shapes or dtypes in ", ckpt);
            goto done;
        }
    }
    if (L == 0 || rlc_st_get(f, "actor.ln0.weight")) {
        fail("no plain MLP actor (actor.0.weight ..., or q.0.weight for discrete cql) in ", ckpt);
        goto done;
    }
    if (rlc_env_make(&env, env_id, kw)) {
        fail(rlc_last_error(), NULL);
        goto done;
    }
    const rlc_space *os = rlc_env_obs_space(env), *as = rlc_env_action_space(env);
    int D = (int)W[0]->shape[1], OUT = (int)W[L - 1]->shape[0],
        discrete = as->kind == RLC_SPACE_DISCRETE;
    int A = discrete ? 1 : (int)as->size;
    if (D != os->size || (discrete && !argmax_ok) || (!discrete && as->kind != RLC_SPACE_BOX) ||
        OUT != (discrete    ? (int)as->n
                : kind == 3 ? 2 * A
                            : A)) {
        fail("actor shapes do not match the env's spaces for ", env_id);
        goto done;
    }
    int maxw = D;
    for (int l = 0; l < L; l++)
        if (W[l]->shape[0] > maxw) maxw = (int)W[l]->shape[0];
    const rlc_st_tensor *nm = rlc_st_get(f, "obs_norm.mean"), *nv = rlc_st_get(f, "obs_norm.var");
    double clip = 10;
    const char *cs = rlc_st_meta(f, "config.norm_clip");
    if (cs) clip = strtod(cs, NULL);
    if (nm && (!nv || nm->dtype != RLC_ST_F64 || nm->numel != D || nv->numel != D)) {
        fail("bad obs_norm tensors in ", ckpt);
        goto done;
    }
    /* the offline agents' dataset statistics: (obs - mean) / std in float, no clip */
    const rlc_st_tensor *om = nm ? NULL : rlc_st_get(f, "offline.obs_mean"),
                        *osd = nm ? NULL : rlc_st_get(f, "offline.obs_std");
    if ((om || osd) && (!om || !osd || om->dtype != RLC_ST_F32 || osd->dtype != RLC_ST_F32 ||
                        om->numel != D || osd->numel != D)) {
        fail("bad offline.obs_mean / offline.obs_std tensors in ", ckpt);
        goto done;
    }
    snprintf(tmp, sizeof tmp, "%s.tmp", out);
    o = fopen(tmp, "w");
    if (!o) {
        fail("cannot write ", tmp);
        tmp[0] = 0;
        goto done;
    }
    char up[80];
    size_t k = 0;
    for (; name[k]; k++)
        up[k] = (char)toupper((unsigned char)name[k]);
    up[k] = 0;
    fprintf(o,
            "/* %s_forward: the deterministic actor of an rlc %s agent for %s, exported by\n"
            " * `rlc export` from %s. Dependency-free (math.h only), no allocation. */\n",
            name, algo, env_id, ckpt);
    fprintf(o, "#ifndef %s_POLICY_H\n#define %s_POLICY_H\n\n#include <math.h>\n\n", up, up);
    fprintf(o, "#define %s_OBS_DIM %d\n#define %s_ACT_DIM %d\n", up, D, up, A);
    if (discrete) fprintf(o, "#define %s_NUM_ACTIONS %d\n", up, OUT);
    fprintf(o, "\n");
    for (int l = 0; l < L; l++) {
        fprintf(o, "/* layer %d: [%lld x %lld] weight (row-major, out x in) and bias */\n", l,
                (long long)W[l]->shape[0], (long long)W[l]->shape[1]);
        fprintf(o, "static const float %s_w%d[%lld] = {\n", name, l, (long long)W[l]->numel);
        write_floats(o, W[l]->data, W[l]->numel);
        fprintf(o, "};\nstatic const float %s_b%d[%lld] = {\n", name, l, (long long)B[l]->numel);
        write_floats(o, B[l]->data, B[l]->numel);
        fprintf(o, "};\n");
    }
    if (nm) {
        float mu[4096], sd[4096];
        if (D > 4096) {
            fail("observation too large for normalisation export", NULL);
            goto done;
        }
        const double *m = nm->data, *v = nv->data;
        for (int j = 0; j < D; j++) {
            mu[j] = (float)m[j];
            sd[j] = (float)sqrt(v[j] + 1e-8);
        }
        fprintf(o, "/* observation normalisation: (obs - mean) / sqrt(var + 1e-8), clipped */\n");
        fprintf(o, "static const float %s_obs_mean[%d] = {\n", name, D);
        write_floats(o, mu, D);
        fprintf(o, "};\nstatic const float %s_obs_std[%d] = {\n", name, D);
        write_floats(o, sd, D);
        fprintf(o, "};\n");
    } else if (om) {
        fprintf(o, "/* observation normalisation by the dataset's statistics: (obs - mean) / std */\n");
        fprintf(o, "static const float %s_obs_mean[%d] = {\n", name, D);
        write_floats(o, om->data, D);
        fprintf(o, "};\nstatic const float %s_obs_std[%d] = {\n", name, D);
        write_floats(o, osd->data, D);
        fprintf(o, "};\n");
    }
    if (!discrete) {
        float lo[1024], hi[1024];
        if (A > 1024) {
            fail("action too large", NULL);
            goto done;
        }
        for (int j = 0; j < A; j++) {
            lo[j] = (float)(isfinite(as->low[j]) ? as->low[j] : -3.0e38);
            hi[j] = (float)(isfinite(as->high[j]) ? as->high[j] : 3.0e38);
        }
        fprintf(o, "static const float %s_act_low[%d] = {\n", name, A);
        write_floats(o, lo, A);
        fprintf(o, "};\nstatic const float %s_act_high[%d] = {\n", name, A);
        write_floats(o, hi, A);
        fprintf(o, "};\n");
    }
    fprintf(o, "\n/* obs[%d] -> action[%d]%s */\n", D, A,
            discrete ? " (the action index as a float)" : "");
    fprintf(o, "static inline void %s_forward(const float *obs, float *action) {\n", name);
    fprintf(o, "    float a_[%d], b_[%d];\n    float *x_ = a_, *y_ = b_, *t_;\n", maxw, maxw);
    fprintf(o, "    for (int i = 0; i < %d; i++) {\n", D);
    if (nm)
        fprintf(o,
                "        float v = (obs[i] - %s_obs_mean[i]) / %s_obs_std[i];\n"
                "        x_[i] = v < %af ? %af : v > %af ? %af : v;\n",
                name, name, -clip, -clip, clip, clip);
    else if (om)
        fprintf(o, "        x_[i] = (obs[i] - %s_obs_mean[i]) / %s_obs_std[i];\n", name, name);
    else
        fprintf(o, "        x_[i] = obs[i];\n");
    fprintf(o, "    }\n");
    for (int l = 0; l < L; l++) {
        int in = (int)W[l]->shape[1], on = (int)W[l]->shape[0];
        fprintf(o, "    for (int o = 0; o < %d; o++) {\n        float s = %s_b%d[o];\n", on, name,
                l);
        fprintf(o, "        for (int i = 0; i < %d; i++) s += %s_w%d[o * %d + i] * x_[i];\n", in,
                name, l, in);
        if (l < L - 1)
            fprintf(o, "        y_[o] = %s;\n",
                    !strcmp(actname, "tanh") ? "tanhf(s)" : "s > 0 ? s : 0");
        else
            fprintf(o, "        y_[o] = s;\n");
        fprintf(o, "    }\n    t_ = x_; x_ = y_; y_ = t_;\n");
    }
    if (discrete) {
        fprintf(
            o,
            "    int best = 0;\n    for (int j = 1; j < %d; j++) if (x_[j] > x_[best]) best = j;\n",
            OUT);
        fprintf(o, "    action[0] = (float)(best + %lld);\n", (long long)as->start);
    } else {
        fprintf(o, "    for (int j = 0; j < %d; j++) {\n", A);
        if (kind == 1)
            fprintf(o, "        float v = x_[j];\n");
        else
            fprintf(o,
                    "        float t = tanhf(x_[j]);\n"
                    "        float v = (%s_act_high[j] - %s_act_low[j]) / 2 * t +\n"
                    "                  (%s_act_high[j] + %s_act_low[j]) / 2;\n",
                    name, name, name, name);
        fprintf(o,
                "        action[j] = v < %s_act_low[j] ? %s_act_low[j]\n"
                "                  : v > %s_act_high[j] ? %s_act_high[j] : v;\n    }\n",
                name, name, name, name);
    }
    fprintf(o, "}\n\n#endif\n");
    if (fclose(o)) {
        o = NULL;
        fail("write error on ", tmp);
        goto done;
    }
    o = NULL;
    if (rename(tmp, out)) {
        fail("cannot rename the header to ", out);
        goto done;
    }
    tmp[0] = 0;
    printf("wrote %s: %s actor %d", out, algo, D);
    for (int l = 0; l < L; l++)
        printf(" -> %lld", (long long)W[l]->shape[0]);
    printf(" (%s), %s_forward\n", actname, name);
    rc = 0;
done:
    if (o) fclose(o);
    if (tmp[0]) remove(tmp); /* a failed export leaves no partial file (and OUT as it was) */
    rlc_env_destroy(env);
    rlc_st_file_destroy(f);
    return rc;
}
