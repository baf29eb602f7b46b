/* The GPU quadrotor stepper (rlc_quad_gpu_*). Where rlc was built with CUDA and a GPU is
 * present: GPU steps equal rlc_quad_step bit for bit (per-vehicle randomised params with drag
 * and ground effect, commands changed every step, and commands held over many steps). Built
 * without CUDA, or with no device: each call fails with a message that says so. */
#include "test.h"

#include <string.h>

#include "rlc/quadrotor.h"
#include "rlc/rng.h"

enum { GN = 3000 };

#ifdef RLC_HAVE_CUDA
static void random_fleet(rlc_quad_params *p, rlc_quad_state *s, int n, rlc_rng *r) {
    rlc_quad_params base;
    rlc_quad_params_crazyflie(&base);
    base.drag[0] = base.drag[1] = 9.1785e-7 * 1e3;
    base.drag[2] = 1.0311e-6 * 1e3;
    base.ground_effect = 1.5;
    for (int i = 0; i < n; i++) {
        rlc_quad_params_randomize(&base, 0.2, r, &p[i]);
        if (i % 7 == 0) p[i].motor_tau = 0; /* the instantaneous-motor branch too */
        double pos[3] = {rlc_rng_uniform(r, -1, 1), rlc_rng_uniform(r, -1, 1),
                         rlc_rng_uniform(r, 0.005, 0.5)};
        rlc_quad_state_hover(&p[i], pos, &s[i]);
        for (int k = 0; k < 3; k++) {
            s[i].vel[k] = rlc_rng_uniform(r, -1, 1);
            s[i].omega[k] = rlc_rng_uniform(r, -4, 4);
        }
        for (int k = 0; k < 4; k++)
            s[i].quat[k] += rlc_rng_uniform(r, -0.3, 0.3);
    }
}
#endif

static void test_quad_gpu_bits(void **st) {
    (void)st;
    rlc_quad_gpu *g = NULL;
    rlc_status rc = rlc_quad_gpu_create(&g, GN);
#ifndef RLC_HAVE_CUDA
    assert_int_equal(rc, RLC_ERR_UNSUPPORTED);
    assert_non_null(strstr(rlc_last_error(), "rlc was built without CUDA"));
    assert_null(g);
    assert_int_equal(rlc_quad_gpu_step(NULL, NULL, 1), RLC_ERR_UNSUPPORTED);
    assert_non_null(strstr(rlc_last_error(), "quad_gpu_step: rlc was built without CUDA"));
    rlc_quad_gpu_destroy(NULL);
    return;
#else
    if (rc == RLC_ERR_UNSUPPORTED) { /* built with CUDA, run where no GPU is */
        assert_non_null(strstr(rlc_last_error(), "quad_gpu_create:"));
        assert_null(g);
        print_message("(no CUDA device here: %s)\n", rlc_last_error());
        return;
    }
    assert_int_equal(rc, RLC_OK);
    print_message("(GPU: %s)\n", rlc_quad_gpu_device(g));
    rlc_quad_params *p = test_malloc(GN * sizeof *p);
    rlc_quad_state *s0 = test_malloc(GN * sizeof *s0), *cpu = test_malloc(GN * sizeof *cpu),
                   *gpu = test_malloc(GN * sizeof *gpu);
    double *cmd = test_malloc(GN * 4 * sizeof *cmd);
    rlc_rng r;
    rlc_rng_seed(&r, 11);
    random_fleet(p, s0, GN, &r);
    /* errors before any upload */
    assert_int_equal(rlc_quad_gpu_step(g, cmd, 1), RLC_ERR_STATE);
    assert_non_null(strstr(rlc_last_error(), "upload params and states first"));
    assert_int_equal(rlc_quad_gpu_download(g, gpu), RLC_ERR_STATE);
    assert_int_equal(rlc_quad_gpu_step(g, cmd, 0), RLC_ERR_INVALID);
    assert_non_null(strstr(rlc_last_error(), "steps 0 < 1"));
    /* per-vehicle params, commands drawn anew every step (beyond the motor range too) */
    memcpy(cpu, s0, GN * sizeof *cpu);
    assert_int_equal(rlc_quad_gpu_upload(g, p, 0, s0), RLC_OK);
    for (int t = 0; t < 100; t++) {
        for (int i = 0; i < GN * 4; i++)
            cmd[i] = rlc_rng_uniform(&r, -0.1, 1.1) * p[i / 4].max_rpm;
        for (int i = 0; i < GN; i++)
            rlc_quad_step(&p[i], &cpu[i], cmd + 4 * i, NULL);
        assert_int_equal(rlc_quad_gpu_step(g, cmd, 1), RLC_OK);
    }
    assert_int_equal(rlc_quad_gpu_download(g, gpu), RLC_OK);
    assert_memory_equal(gpu, cpu, GN * sizeof *cpu);
    /* shared params, commands held for 250 steps */
    memcpy(cpu, s0, GN * sizeof *cpu);
    assert_int_equal(rlc_quad_gpu_upload(g, &p[1], 1, s0), RLC_OK);
    for (int i = 0; i < GN * 4; i++)
        cmd[i] = rlc_rng_uniform(&r, 0.6, 0.75) * p[1].max_rpm;
    for (int i = 0; i < GN; i++)
        for (int t = 0; t < 250; t++)
            rlc_quad_step(&p[1], &cpu[i], cmd + 4 * i, NULL);
    assert_int_equal(rlc_quad_gpu_step(g, cmd, 250), RLC_OK);
    assert_int_equal(rlc_quad_gpu_download(g, gpu), RLC_OK);
    assert_memory_equal(gpu, cpu, GN * sizeof *cpu);
    assert_int_equal(rlc_quad_gpu_upload(g, NULL, 0, NULL), RLC_ERR_INVALID);
    rlc_quad_gpu_destroy(g);
    test_free(p);
    test_free(s0);
    test_free(cpu);
    test_free(gpu);
    test_free(cmd);
#endif
}

static void test_quad_gpu_args(void **st) {
    (void)st;
    rlc_quad_gpu *g = (rlc_quad_gpu *)&g;
#ifdef RLC_HAVE_CUDA
    assert_int_equal(rlc_quad_gpu_create(&g, 0), RLC_ERR_INVALID);
    assert_non_null(strstr(rlc_last_error(), "vehicle count 0 < 1"));
    assert_null(g);
    assert_int_equal(rlc_quad_gpu_create(NULL, 4), RLC_ERR_INVALID);
    assert_non_null(strstr(rlc_last_error(), "out is NULL"));
#else
    assert_int_equal(rlc_quad_gpu_create(&g, 4), RLC_ERR_UNSUPPORTED);
    assert_null(g);
#endif
    assert_string_equal(rlc_quad_gpu_device(NULL), "");
}

RLC_TESTS(env_quad_gpu, cmocka_unit_test(test_quad_gpu_bits), cmocka_unit_test(test_quad_gpu_args))
