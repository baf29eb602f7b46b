/* Checkpoints: save -> load gives identical outputs, several networks and a normaliser in one
 * file via prefixes, optimizer state round trips (training resumes bit for bit), and every
 * failed load (shape, dtype, missing tensor, out of memory) leaves the params untouched. */
#include "test.h"

#include "rlc/nn.h"
#include "rlc/optim.h"
#include "rlc/safetensors.h"

#include <math.h>

static const char *tmp_path(const char *name) {
    static char buf[8][512];
    static int k;
    char *b = buf[k++ % 8];
    snprintf(b, 512, "%s/%s", rlc_test_tmpdir(), name);
    return b;
}

static rlc_mlp *make(rlc_params **p, const char *prefix, int in, uint64_t seed) {
    rlc_rng r;
    rlc_rng_seed(&r, seed);
    *p = rlc_params_create(RLC_F32);
    rlc_mlp_spec s = {
        .sizes = (int[]){in, 64, 6}, .nsizes = 3, .act = RLC_ACT_RELU, .layer_norm = RLC_LN_AFFINE};
    return rlc_mlp_create(*p, prefix, &s, &r);
}

static void outputs(rlc_mlp *m, float *out) {
    rlc_graph *g = rlc_graph_create(RLC_F32, RLC_GRAPH_NO_GRAD);
    rlc_tensor *x = rlc_input(g, 2, (int[]){3, rlc_mlp_in(m)});
    rlc_tensor *y = rlc_mlp_forward(g, m, x);
    for (int64_t i = 0; i < x->size; i++)
        rlc_tensor_set(x, i, sin((double)i));
    assert_int_equal(rlc_graph_forward(g), RLC_OK);
    rlc_tensor_store_f32(y, out, y->size);
    rlc_graph_destroy(g);
}

static void test_save_load_identical(void **st) {
    (void)st;
    rlc_params *a, *b;
    rlc_mlp *ma = make(&a, "net", 17, 1), *mb = make(&b, "net", 17, 2);
    float ya[18], yb[18];
    outputs(ma, ya);
    outputs(mb, yb);
    assert_memory_not_equal(ya, yb, sizeof ya);
    const char *path = tmp_path("mlp.safetensors");
    assert_int_equal(rlc_params_save(a, path, NULL, 0), RLC_OK);
    assert_int_equal(rlc_params_load(b, path, NULL, 0), RLC_OK);
    outputs(mb, yb);
    assert_memory_equal(ya, yb, sizeof ya);
    assert_memory_equal(rlc_params_data(a), rlc_params_data(b), 4 * rlc_params_count(a));
    /* the file holds PyTorch-style names and shapes */
    rlc_st_file *f;
    assert_int_equal(rlc_st_load(path, &f), RLC_OK);
    const rlc_st_tensor *t = rlc_st_get(f, "net.0.weight");
    assert_non_null(t);
    assert_int_equal(t->dtype, RLC_ST_F32);
    assert_int_equal(t->shape[0], 64);
    assert_int_equal(t->shape[1], 17);
    assert_non_null(rlc_st_get(f, "net.ln0.bias"));
    assert_int_equal(rlc_st_count(f), 6);
    rlc_st_file_destroy(f);
    rlc_mlp_destroy(ma);
    rlc_mlp_destroy(mb);
    rlc_params_destroy(a);
    rlc_params_destroy(b);
}

static void test_failed_loads_change_nothing(void **st) {
    (void)st;
    rlc_params *a, *b, *c;
    rlc_mlp *ma = make(&a, "x", 17, 1), *mb = make(&b, "x", 18, 2), *mc = make(&c, "y", 17, 3);
    const char *path = tmp_path("x.safetensors");
    assert_int_equal(rlc_params_save(a, path, NULL, 0), RLC_OK);
    int64_t nb = rlc_params_count(b);
    float *before = malloc(4 * nb);
    memcpy(before, rlc_params_data(b), 4 * nb);
    /* first entry mismatches */
    assert_int_equal(rlc_params_load(b, path, NULL, 0), RLC_ERR_FORMAT);
    assert_string_equal(rlc_last_error(),
                        "tensor 'x.0.weight': shape [64, 17] in file, expected [64, 18]");
    assert_memory_equal(rlc_params_data(b), before, 4 * nb);
    /* missing names (other prefix) */
    assert_int_equal(rlc_params_load(c, path, NULL, 0), RLC_ERR_NOT_FOUND);
    assert_contains(rlc_last_error(), "tensor 'y.0.weight' is missing");
    /* a later entry mismatches after earlier ones matched: still nothing copied */
    rlc_params *d = rlc_params_create(RLC_F32);
    assert_int_equal(rlc_params_add(d, "x.0.weight", 2, (int[]){64, 17}, NULL), RLC_OK);
    assert_int_equal(rlc_params_add(d, "x.0.bias", 1, (int[]){65}, NULL), RLC_OK);
    float *dd = rlc_params_data(d);
    for (int i = 0; i < 64 * 17 + 65; i++)
        dd[i] = 7.0f;
    assert_int_equal(rlc_params_load(d, path, NULL, 0), RLC_ERR_FORMAT);
    assert_contains(rlc_last_error(), "tensor 'x.0.bias': shape [64] in file, expected [65]");
    for (int i = 0; i < 64 * 17 + 65; i++)
        assert_true(dd[i] == 7.0f);
    /* dtype mismatch */
    rlc_params *e = rlc_params_create(RLC_F64);
    assert_int_equal(rlc_params_add(e, "x.0.weight", 2, (int[]){64, 17}, NULL), RLC_OK);
    assert_int_equal(rlc_params_load(e, path, NULL, 0), RLC_ERR_FORMAT);
    assert_contains(rlc_last_error(), "dtype F32 in file, expected F64");
    /* missing file, optimizer state not saved / no optimizer */
    assert_int_equal(rlc_params_load(b, tmp_path("nope.safetensors"), NULL, 0), RLC_ERR_NOT_FOUND);
    assert_int_equal(rlc_params_save(a, tmp_path("o.safetensors"), NULL, RLC_CKPT_OPTIM),
                     RLC_ERR_STATE);
    rlc_params *a2 = rlc_params_clone(a);
    assert_int_equal(rlc_params_load(a2, path, NULL, RLC_CKPT_OPTIM), RLC_ERR_STATE);
    rlc_optim_config oc = rlc_optim_defaults(RLC_OPTIM_ADAM);
    rlc_optim *o = rlc_optim_create(a2, &oc);
    assert_int_equal(rlc_params_load(a2, path, NULL, RLC_CKPT_OPTIM), RLC_ERR_NOT_FOUND);
    assert_contains(rlc_last_error(), "metadata 'optim' is missing");
    /* out of memory while loading: fails cleanly, nothing changed or leaked */
    for (long n = 1;; n++) {
        long long live = rlc_alloc_live();
        rlc_alloc_fail_after(n);
        rlc_status s = rlc_params_load(b, path, NULL, 0);
        rlc_alloc_fail_reset();
        if (s == RLC_ERR_FORMAT) break; /* got as far as the shape check */
        assert_int_equal(s, RLC_ERR_NOMEM);
        assert_int_equal(rlc_alloc_live(), live);
        assert_memory_equal(rlc_params_data(b), before, 4 * nb);
    }
    rlc_optim_destroy(o);
    rlc_params_destroy(a2);
    rlc_params_destroy(e);
    rlc_params_destroy(d);
    free(before);
    rlc_mlp_destroy(ma);
    rlc_mlp_destroy(mb);
    rlc_mlp_destroy(mc);
    rlc_params_destroy(a);
    rlc_params_destroy(b);
    rlc_params_destroy(c);
}

/* Trains a tiny regression for `steps` Adam steps on p. */
static void train(rlc_mlp *m, rlc_optim *o, int steps) {
    rlc_params *p = rlc_mlp_params(m);
    rlc_graph *g = rlc_graph_create(RLC_F32, 0);
    rlc_tensor *x = rlc_input(g, 2, (int[]){8, rlc_mlp_in(m)});
    rlc_tensor *y = rlc_input(g, 2, (int[]){8, 6});
    rlc_tensor *loss = rlc_mse(g, rlc_mlp_forward(g, m, x), y);
    for (int64_t i = 0; i < x->size; i++)
        rlc_tensor_set(x, i, cos(0.3 * i));
    for (int64_t i = 0; i < y->size; i++)
        rlc_tensor_set(y, i, sin(0.7 * i));
    for (int s = 0; s < steps; s++) {
        rlc_params_zero_grad(p);
        rlc_graph_forward(g);
        rlc_graph_backward(g, loss);
        rlc_optim_step(o);
    }
    rlc_graph_destroy(g);
}

static void test_shared_file_and_optimizer_resume(void **st) {
    (void)st;
    rlc_params *pa, *pc;
    rlc_mlp *actor = make(&pa, "pi", 5, 1), *critic = make(&pc, "q", 7, 2);
    rlc_optim_config oc = rlc_optim_defaults(RLC_OPTIM_ADAMW);
    rlc_optim *oa = rlc_optim_create(pa, &oc);
    rlc_optim *ocr = rlc_optim_create(
        pc, &(rlc_optim_config){.kind = RLC_OPTIM_SGD, .lr = 0.01, .momentum = 0.9});
    rlc_normalizer *nz = rlc_normalizer_create(5, 1e-4, 10, 1e-8);
    float obs[10] = {1, 2, 3, 4, 5, 2, 2, 2, 2, 9};
    rlc_normalizer_update(nz, obs, 2);
    train(actor, oa, 5);
    train(critic, ocr, 3);
    rlc_st_writer *w = rlc_st_writer_create();
    assert_int_equal(rlc_params_write(pa, w, "actor.", RLC_CKPT_OPTIM), RLC_OK);
    assert_int_equal(rlc_params_write(pc, w, "critic.", RLC_CKPT_OPTIM), RLC_OK);
    assert_int_equal(rlc_normalizer_write(nz, w, "obs_rms."), RLC_OK);
    const char *path = tmp_path("agent.safetensors");
    assert_int_equal(rlc_st_writer_save(w, path), RLC_OK);
    rlc_st_writer_destroy(w);

    /* a fresh agent with other seeds, optimizers created, then loaded */
    rlc_params *pa2, *pc2;
    rlc_mlp *actor2 = make(&pa2, "pi", 5, 11), *critic2 = make(&pc2, "q", 7, 12);
    rlc_optim *oa2 = rlc_optim_create(pa2, &oc);
    rlc_optim *ocr2 = rlc_optim_create(pc2, rlc_optim_config_of(ocr));
    rlc_normalizer *nz2 = rlc_normalizer_create(5, 1e-4, 10, 1e-8);
    rlc_st_file *f;
    assert_int_equal(rlc_st_load(path, &f), RLC_OK);
    assert_string_equal(rlc_st_meta(f, "actor.optim"), "adamw");
    assert_string_equal(rlc_st_meta(f, "actor.optim.step"), "5");
    assert_non_null(rlc_st_get(f, "actor.pi.0.weight.exp_avg_sq"));
    assert_non_null(rlc_st_get(f, "critic.q.1.bias.momentum_buffer"));
    /* the wrong optimizer kind is refused */
    assert_int_equal(rlc_params_read(pa2, f, "critic.", RLC_CKPT_OPTIM), RLC_ERR_FORMAT);
    assert_int_equal(rlc_params_read(pa2, f, "actor.", RLC_CKPT_OPTIM), RLC_OK);
    assert_int_equal(rlc_params_read(pc2, f, "critic.", RLC_CKPT_OPTIM), RLC_OK);
    assert_int_equal(rlc_normalizer_read(nz2, f, "obs_rms."), RLC_OK);
    rlc_normalizer *nz3 = rlc_normalizer_create(4, 1e-4, 10, 1e-8);
    assert_int_equal(rlc_normalizer_read(nz3, f, "obs_rms."), RLC_ERR_FORMAT);
    assert_contains(rlc_last_error(), "tensor 'obs_rms.mean': shape [5] in file, expected [4]");
    rlc_st_file_destroy(f);
    assert_int_equal(rlc_optim_steps(oa2), 5);
    assert_int_equal(rlc_optim_steps(ocr2), 3);
    assert_memory_equal(rlc_normalizer_mean(nz2), rlc_normalizer_mean(nz), 5 * sizeof(double));
    assert_memory_equal(rlc_normalizer_var(nz2), rlc_normalizer_var(nz), 5 * sizeof(double));
    assert_true(rlc_normalizer_count(nz2) == rlc_normalizer_count(nz));
    /* both continue identically */
    train(actor, oa, 4);
    train(actor2, oa2, 4);
    train(critic, ocr, 4);
    train(critic2, ocr2, 4);
    assert_memory_equal(rlc_params_data(pa), rlc_params_data(pa2), 4 * rlc_params_count(pa));
    assert_memory_equal(rlc_params_data(pc), rlc_params_data(pc2), 4 * rlc_params_count(pc));
    /* normaliser file of its own */
    const char *np = tmp_path("rms.safetensors");
    assert_int_equal(rlc_normalizer_save(nz, np, NULL), RLC_OK);
    rlc_normalizer_reset(nz2);
    assert_int_equal(rlc_normalizer_load(nz2, np, NULL), RLC_OK);
    assert_memory_equal(rlc_normalizer_mean(nz2), rlc_normalizer_mean(nz), 5 * sizeof(double));

    rlc_normalizer_destroy(nz);
    rlc_normalizer_destroy(nz2);
    rlc_normalizer_destroy(nz3);
    rlc_optim_destroy(oa);
    rlc_optim_destroy(ocr);
    rlc_optim_destroy(oa2);
    rlc_optim_destroy(ocr2);
    rlc_mlp_destroy(actor);
    rlc_mlp_destroy(critic);
    rlc_mlp_destroy(actor2);
    rlc_mlp_destroy(critic2);
    rlc_params_destroy(pa);
    rlc_params_destroy(pc);
    rlc_params_destroy(pa2);
    rlc_params_destroy(pc2);
}

RLC_TESTS(nn_checkpoint, cmocka_unit_test(test_save_load_identical),
          cmocka_unit_test(test_failed_loads_change_nothing),
          cmocka_unit_test(test_shared_file_and_optimizer_resume))
