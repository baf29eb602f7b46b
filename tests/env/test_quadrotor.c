/* The quadrotor simulator (hover equilibrium, free fall, quaternion norm, RK4 order, ground
 * effect, downwash), the PID controller, min-snap trajectories and the Quad* envs. */
#include "test.h"

#include <math.h>
#include <string.h>

#include "rlc/env.h"
#include "rlc/quadrotor.h"

static void test_hover_equilibrium(void **st) {
    (void)st;
    rlc_quad_params p;
    rlc_quad_params_crazyflie(&p);
    assert_close(p.max_rpm / rlc_quad_hover_rpm(&p), 1.5, 1e-12);
    rlc_quad_state s;
    double pos[3] = {0.3, -0.2, 1.0}, h = rlc_quad_hover_rpm(&p), cmd[4] = {h, h, h, h};
    rlc_quad_state_hover(&p, pos, &s);
    for (int i = 0; i < 1000; i++) /* 10 s */
        rlc_quad_step(&p, &s, cmd, NULL);
    for (int i = 0; i < 3; i++) {
        assert_close(s.pos[i], pos[i], 1e-6);
        assert_close(s.vel[i], 0, 1e-6);
        assert_close(s.omega[i], 0, 1e-9);
    }
    assert_close(s.quat[0], 1, 1e-12);
}

static void test_free_fall(void **st) {
    (void)st;
    rlc_quad_params p;
    rlc_quad_params_crazyflie(&p);
    p.motor_tau = 0;
    rlc_quad_state s;
    double pos[3] = {0, 0, 10}, cmd[4] = {0, 0, 0, 0};
    rlc_quad_state_hover(&p, pos, &s);
    for (int i = 0; i < 100; i++)
        rlc_quad_step(&p, &s, cmd, NULL);
    double dx[17];
    rlc_quad_deriv(&p, (const double *)&s, cmd, NULL, dx);
    assert_close(dx[5], -p.gravity, 1e-12);
    assert_close(s.vel[2], -p.gravity * 1.0, 1e-9);
    assert_close(s.pos[2], 10 - 0.5 * p.gravity, 1e-9);
    assert_close(s.pos[0], 0, 1e-12);
}

static void spin_state(const rlc_quad_params *p, rlc_quad_state *s, double cmd[4]) {
    double pos[3] = {0, 0, 1};
    rlc_quad_state_hover(p, pos, s);
    s->omega[0] = 3.0;
    s->omega[1] = -2.0;
    s->omega[2] = 5.0;
    s->vel[0] = 0.5;
    double h = rlc_quad_hover_rpm(p);
    cmd[0] = 1.02 * h;
    cmd[1] = 0.99 * h;
    cmd[2] = 1.01 * h;
    cmd[3] = 0.985 * h;
}

static void test_quaternion_norm(void **st) {
    (void)st;
    rlc_quad_params p;
    rlc_quad_params_crazyflie(&p);
    rlc_quad_state s;
    double cmd[4];
    spin_state(&p, &s, cmd);
    for (int i = 0; i < 500; i++) {
        rlc_quad_step(&p, &s, cmd, NULL);
        double n = s.quat[0] * s.quat[0] + s.quat[1] * s.quat[1] + s.quat[2] * s.quat[2] +
                   s.quat[3] * s.quat[3];
        assert_close(n, 1, 1e-14);
    }
}

/* error at T = 0.4 s of RK4 with step dt against a reference with dt / 64 */
static double rk4_error(double dt) {
    rlc_quad_params p;
    rlc_quad_params_crazyflie(&p);
    rlc_quad_state s, r;
    double cmd[4];
    spin_state(&p, &s, cmd);
    r = s;
    p.dt = dt;
    for (int i = 0; i < (int)lround(0.4 / dt); i++)
        rlc_quad_step(&p, &s, cmd, NULL);
    p.dt = dt / 64;
    for (int i = 0; i < (int)lround(0.4 / p.dt); i++)
        rlc_quad_step(&p, &r, cmd, NULL);
    double e = 0;
    for (int i = 0; i < 13; i++) {
        double d = ((double *)&s)[i] - ((double *)&r)[i];
        e += d * d;
    }
    return sqrt(e);
}

static void test_rk4_order(void **st) {
    (void)st;
    double e1 = rk4_error(0.01), e2 = rk4_error(0.005), e3 = rk4_error(0.0025);
    print_message("rk4 errors %.3g %.3g %.3g ratios %.2f %.2f\n", e1, e2, e3, e1 / e2, e2 / e3);
    assert_true(e1 / e2 > 12 && e1 / e2 < 20);
    assert_true(e2 / e3 > 12 && e2 / e3 < 20);
}

static void test_ground_effect_downwash(void **st) {
    (void)st;
    rlc_quad_params p;
    rlc_quad_params_crazyflie(&p);
    assert_close(rlc_quad_ground_factor(&p, 0.01), 1, 0);
    p.ground_effect = 1;
    double near = rlc_quad_ground_factor(&p, 0.03), far = rlc_quad_ground_factor(&p, 1.0);
    assert_true(near > 1.01);
    assert_close(far, 1, 1e-4);
    /* near the ground the hover RPM lifts the vehicle */
    rlc_quad_state s;
    double pos[3] = {0, 0, 0.03}, h = rlc_quad_hover_rpm(&p), cmd[4] = {h, h, h, h};
    rlc_quad_state_hover(&p, pos, &s);
    for (int i = 0; i < 20; i++)
        rlc_quad_step(&p, &s, cmd, NULL);
    assert_true(s.vel[2] > 0.01);
    /* downwash: a vehicle 0.3 m below another is pushed down, one beside it is not */
    p.downwash = 1;
    p.ground_effect = 0;
    double above[3] = {0, 0, 1.3}, below[3] = {0, 0, 1.0}, side[3] = {1.0, 0, 1.0}, f[3], g[3];
    rlc_quad_downwash(&p, above, below, p.mass * p.gravity, f);
    rlc_quad_downwash(&p, above, side, p.mass * p.gravity, g);
    assert_true(f[2] < -1e-3);
    assert_true(fabs(g[2]) < 1e-6);
    rlc_quad_downwash(&p, below, above, p.mass * p.gravity, f);
    assert_close(f[2], 0, 0);
    rlc_quad_state two[2];
    rlc_quad_state_hover(&p, above, &two[0]);
    rlc_quad_state_hover(&p, below, &two[1]);
    double cmd8[8] = {h, h, h, h, h, h, h, h};
    for (int i = 0; i < 50; i++)
        rlc_quad_step_multi(&p, 1, two, 2, cmd8);
    assert_close(two[0].pos[2], 1.3, 1e-9);
    assert_true(two[1].pos[2] < 1.0 - 1e-3);
}

static void test_randomize(void **st) {
    (void)st;
    rlc_quad_params b, p1, p2, p3;
    rlc_quad_params_crazyflie(&b);
    rlc_rng r1, r2, r3;
    rlc_rng_seed(&r1, 1);
    rlc_rng_seed(&r2, 2);
    rlc_rng_seed(&r3, 1);
    rlc_quad_params_randomize(&b, 0.2, &r1, &p1);
    rlc_quad_params_randomize(&b, 0.2, &r2, &p2);
    rlc_quad_params_randomize(&b, 0.2, &r3, &p3);
    assert_true(p1.mass != p2.mass && p1.kf != p2.kf);
    assert_true(p1.mass == p3.mass && p1.inertia[2] == p3.inertia[2]);
    assert_true(fabs(p1.mass / b.mass - 1) <= 0.2);
    /* thrust-to-weight kept */
    assert_close(p1.max_rpm / rlc_quad_hover_rpm(&p1), 1.5, 1e-9);
}

static void test_pid_hover(void **st) {
    (void)st;
    rlc_quad_params p;
    rlc_quad_params_crazyflie(&p);
    rlc_quad_pid c;
    rlc_quad_pid_default(&c);
    rlc_quad_state s;
    double start[3] = {0.5, -0.4, 0.6}, target[3] = {0, 0, 1}, cmd[4];
    rlc_quad_state_hover(&p, start, &s);
    s.omega[0] = 1.0;
    double err = 0;
    for (int i = 0; i < 500; i++) {
        rlc_quad_pid_control(&c, &p, &s, target, NULL, NULL, 0, cmd);
        rlc_quad_step(&p, &s, cmd, NULL);
    }
    for (int i = 0; i < 3; i++)
        err += (s.pos[i] - target[i]) * (s.pos[i] - target[i]);
    err = sqrt(err);
    print_message("pid hover error after 5 s: %.4f m\n", err);
    assert_true(err < 0.05);
    /* also with randomised parameters (controller uses the nominal ones) */
    rlc_quad_params q;
    rlc_rng r;
    rlc_rng_seed(&r, 3);
    rlc_quad_params_randomize(&p, 0.1, &r, &q);
    rlc_quad_pid_reset(&c);
    rlc_quad_state_hover(&q, start, &s);
    for (int i = 0; i < 800; i++) {
        rlc_quad_pid_control(&c, &p, &s, target, NULL, NULL, 0, cmd);
        rlc_quad_step(&q, &s, cmd, NULL);
    }
    err = 0;
    for (int i = 0; i < 3; i++)
        err += (s.pos[i] - target[i]) * (s.pos[i] - target[i]);
    print_message("pid hover error, randomised vehicle, after 8 s: %.4f m\n", sqrt(err));
    assert_true(sqrt(err) < 0.05);
}

static const double WP[] = {0, 0, 1, 1, 0, 1.5, 1, 1, 1, 0, 1, 1.2, 0, 0, 1};
static const double DUR[] = {2, 1.5, 2.5, 2};

static void test_minsnap(void **st) {
    (void)st;
    rlc_minsnap *m = NULL;
    assert_int_equal(rlc_minsnap_create(&m, WP, 5, DUR), RLC_OK);
    assert_close(rlc_minsnap_duration(m), 8, 1e-12);
    double t = 0, out[3], a[3], b[3];
    for (int k = 0; k < 5; k++) {
        rlc_minsnap_eval(m, t, 0, out);
        for (int i = 0; i < 3; i++)
            assert_close(out[i], WP[3 * k + i], 1e-9);
        if (k > 0 && k < 4)
            for (int r = 1; r <= 4; r++) {
                rlc_minsnap_eval(m, t - 1e-7, r, a);
                rlc_minsnap_eval(m, t + 1e-7, r, b);
                for (int i = 0; i < 3; i++)
                    assert_close(a[i], b[i], 1e-4 * (1 + fabs(a[i])));
            }
        if (k < 4) t += DUR[k];
    }
    for (int r = 1; r <= 3; r++) {
        rlc_minsnap_eval(m, 0, r, a);
        rlc_minsnap_eval(m, 8, r, b);
        for (int i = 0; i < 3; i++) {
            assert_close(a[i], 0, 1e-9);
            assert_close(b[i], 0, 1e-9);
        }
    }
    /* velocity = numeric derivative of position */
    rlc_minsnap_eval(m, 3.3 - 1e-6, 0, a);
    rlc_minsnap_eval(m, 3.3 + 1e-6, 0, b);
    rlc_minsnap_eval(m, 3.3, 1, out);
    for (int i = 0; i < 3; i++)
        assert_close((b[i] - a[i]) / 2e-6, out[i], 1e-5);
    rlc_minsnap *bad = NULL;
    double zero[4] = {1, 0, 1, 1};
    assert_int_equal(rlc_minsnap_create(&bad, WP, 5, zero), RLC_ERR_INVALID);
    assert_int_equal(rlc_minsnap_create(&bad, WP, 1, DUR), RLC_ERR_INVALID);
    assert_null(bad);
    rlc_minsnap_destroy(m);
}

static void test_pid_tracks_minsnap(void **st) {
    (void)st;
    rlc_minsnap *m = NULL;
    assert_int_equal(rlc_minsnap_create(&m, WP, 5, DUR), RLC_OK);
    rlc_quad_params p;
    rlc_quad_params_crazyflie(&p);
    rlc_quad_pid c;
    rlc_quad_pid_default(&c);
    rlc_quad_state s;
    rlc_quad_state_hover(&p, WP, &s);
    double maxe = 0, sume = 0, cmd[4];
    int n = 0;
    for (double t = 0; t < 9; t += p.dt, n++) {
        double r[3], v[3], a[3];
        rlc_minsnap_eval(m, t, 0, r);
        rlc_minsnap_eval(m, t, 1, v);
        rlc_minsnap_eval(m, t, 2, a);
        rlc_quad_pid_control(&c, &p, &s, r, v, a, 0, cmd);
        rlc_quad_step(&p, &s, cmd, NULL);
        rlc_minsnap_eval(m, t + p.dt, 0, r);
        double e = 0;
        for (int i = 0; i < 3; i++)
            e += (s.pos[i] - r[i]) * (s.pos[i] - r[i]);
        e = sqrt(e);
        sume += e;
        if (e > maxe) maxe = e;
    }
    print_message("min-snap tracking: max %.4f m, mean %.4f m\n", maxe, sume / n);
    assert_true(maxe < 0.1);
    assert_true(sume / n < 0.03);
    rlc_minsnap_destroy(m);
}

/* ---- envs -------------------------------------------------------------------------------- */

static const char *ENV_IDS[] = {"QuadHover-v0", "QuadTrack-v0", "Quad2DHover-v0",
                                "MultiQuadHover-v0", "QuadLeaderFollower-v0"};
#define NENVS 5

static rlc_env *make(const char *id, const char *kw) {
    rlc_env *e = NULL;
    if (rlc_env_make(&e, id, kw)) fail_msg("make %s: %s", id, rlc_last_error());
    return e;
}

static void test_env_spaces(void **st) {
    (void)st;
    int obs_n[] = {18, 24, 7, 36, 21}, act_n[] = {4, 4, 2, 8, 4};
    for (int k = 0; k < NENVS; k++) {
        rlc_env *e = make(ENV_IDS[k], NULL);
        const rlc_space *o = rlc_env_obs_space(e), *a = rlc_env_action_space(e);
        assert_int_equal(o->kind, RLC_SPACE_BOX);
        assert_int_equal(o->dtype, RLC_SPACE_FLOAT32);
        assert_int_equal(o->size, obs_n[k]);
        assert_int_equal(a->kind, RLC_SPACE_BOX);
        assert_int_equal(a->size, act_n[k]);
        assert_true(a->low[0] == -1 && a->high[0] == 1);
        rlc_env_destroy(e);
    }
    rlc_env *e = make("QuadHover-v0", "quat_obs=1,action_history=1");
    assert_int_equal(rlc_env_obs_space(e)->size, 3 + 4 + 6 + 4);
    rlc_env_destroy(e);
    e = make("MultiQuadHover-v0", "n_agents=3");
    assert_int_equal(rlc_env_obs_space(e)->size, 54);
    assert_int_equal(rlc_env_action_space(e)->size, 12);
    rlc_env_destroy(e);
}

static void test_env_determinism_state(void **st) {
    (void)st;
    for (int k = 0; k < NENVS; k++) {
        const char *kw = k < 3 ? "dr=0.1" : NULL;
        rlc_env *a = make(ENV_IDS[k], kw);
        rlc_env *b = make(ENV_IDS[k], kw);
        const rlc_space *os = rlc_env_obs_space(a), *as = rlc_env_action_space(a);
        float oa[64], ob[64], act[8];
        assert_int_equal(rlc_env_reset(a, 42, oa), RLC_OK);
        assert_int_equal(rlc_env_reset(b, 42, ob), RLC_OK);
        assert_memory_equal(oa, ob, sizeof(float) * (size_t)os->size);
        rlc_env_reset(b, 43, ob);
        assert_memory_not_equal(oa, ob, sizeof(float) * (size_t)os->size);
        for (int i = 0; i < as->size; i++)
            act[i] = 0.33f + 0.01f * (float)i;
        /* snapshot round trip */
        size_t sz = rlc_env_state_size(a);
        char *snap = rlc_malloc(sz);
        assert_int_equal(rlc_env_get_state(a, snap, sz), RLC_OK);
        rlc_step_result r1, r2;
        float o1[64], o2[64];
        for (int i = 0; i < 5; i++)
            rlc_env_step(a, act, o1, &r1);
        assert_int_equal(rlc_env_set_state(a, snap, sz), RLC_OK);
        for (int i = 0; i < 5; i++)
            rlc_env_step(a, act, o2, &r2);
        assert_memory_equal(o1, o2, sizeof(float) * (size_t)os->size);
        assert_true(r1.reward == r2.reward);
        /* state vector round trip */
        int d = rlc_env_state_dim(a);
        double v[200], w[200];
        assert_true(d <= 200);
        assert_int_equal(rlc_env_get_state_vector(a, v), RLC_OK);
        assert_int_equal(rlc_env_set_state_vector(b, v, d), RLC_OK);
        assert_int_equal(rlc_env_get_state_vector(b, w), RLC_OK);
        assert_memory_equal(v, w, sizeof(double) * (size_t)d);
        /* bad actions refused */
        act[0] = NAN;
        assert_int_equal(rlc_env_step(a, act, o1, &r1), RLC_ERR_RANGE);
        rlc_free(snap);
        rlc_env_destroy(a);
        rlc_env_destroy(b);
    }
}

static void test_env_render(void **st) {
    (void)st;
    for (int k = 0; k < NENVS; k++) {
        rlc_env *e = make(ENV_IDS[k], NULL);
        enum { W = 96, H = 72 };
        static uint8_t img[W * H * 3];
        assert_int_equal(rlc_env_render(e, img, W, H), RLC_ERR_STATE);
        rlc_env_reset(e, 1, NULL);
        assert_int_equal(rlc_env_render(e, img, W, H), RLC_OK);
        int colours = 0;
        uint8_t seen[8][3];
        for (int i = 0; i < W * H && colours < 8; i++) {
            int found = 0;
            for (int j = 0; j < colours; j++)
                found |= !memcmp(seen[j], img + 3 * i, 3);
            if (!found) memcpy(seen[colours++], img + 3 * i, 3);
        }
        assert_true(colours >= 4); /* background, ground, target, vehicle */
        rlc_env_destroy(e);
    }
}

static void test_env_dr(void **st) {
    (void)st;
    rlc_env *e = make("QuadHover-v0", "dr=0.2");
    double v1[27], v2[27], v3[27];
    rlc_env_reset(e, 1, NULL);
    rlc_env_get_state_vector(e, v1);
    rlc_env_reset(e, 2, NULL);
    rlc_env_get_state_vector(e, v2);
    rlc_env_reset(e, 1, NULL);
    rlc_env_get_state_vector(e, v3);
    assert_true(v1[17] != v2[17]); /* mass */
    assert_true(v1[22] != v2[22]); /* kf */
    assert_true(v1[17] == v3[17] && v1[22] == v3[22]);
    rlc_env_destroy(e);
    e = make("QuadHover-v0", NULL);
    rlc_env_reset(e, 1, NULL);
    rlc_env_get_state_vector(e, v1);
    assert_close(v1[17], 0.027, 0);
    rlc_env_destroy(e);
}

/* the PID controller flying QuadHover-v0 through its state vector and actions */
static void test_env_pid_episode(void **st) {
    (void)st;
    rlc_env *e = make("QuadHover-v0", "init_angle=0.3");
    rlc_quad_params p;
    rlc_quad_params_crazyflie(&p);
    rlc_quad_pid c;
    rlc_quad_pid_default(&c);
    rlc_env_reset(e, 5, NULL);
    rlc_step_result r = {0};
    double target[3] = {0, 0, 1};
    int steps = 0;
    while (!r.terminated && !r.truncated) {
        double v[27], cmd[4];
        float a[4];
        rlc_env_get_state_vector(e, v);
        rlc_quad_pid_control(&c, &p, (const rlc_quad_state *)v, target, NULL, NULL, 0, cmd);
        for (int i = 0; i < 4; i++)
            a[i] = (float)rlc_quad_rpm_to_action(&p, cmd[i]);
        assert_int_equal(rlc_env_step(e, a, NULL, &r), RLC_OK);
        steps++;
    }
    assert_int_equal(steps, 500);
    assert_false(r.terminated);
    print_message("PID QuadHover-v0 return %.1f\n", r.episode_return);
    assert_true(r.episode_return > 400);
    /* curriculum: raising the weights lowers the reward */
    rlc_quad_reward w;
    assert_int_equal(rlc_quad_env_get_reward(e, &w), RLC_OK);
    assert_close(w.pos, 1.0, 0);
    assert_close(w.min, 0, 0);
    w.constant = 0;
    w.pos *= 10;
    w.min = -1e9;
    assert_int_equal(rlc_quad_env_set_reward(e, &w), RLC_OK);
    rlc_env_reset(e, 5, NULL);
    float a[4] = {0.33f, 0.33f, 0.33f, 0.33f};
    rlc_env_step(e, a, NULL, &r);
    assert_true(r.reward < 0);
    rlc_env_destroy(e);
    rlc_env *cp = make("CartPole-v1", NULL);
    assert_int_equal(rlc_quad_env_set_reward(cp, &w), RLC_ERR_INVALID);
    rlc_env_destroy(cp);
}

/* observation noise is seeded; the leader follows its circle and a PID follower keeps the
 * offset */
static void test_env_noise_leader(void **st) {
    (void)st;
    rlc_env *a = make("QuadHover-v0", "obs_noise=0.01"), *b = make("QuadHover-v0", NULL);
    float oa[18], ob[18], oc[18];
    rlc_env_reset(a, 3, oa);
    rlc_env_reset(b, 3, ob);
    rlc_env_observe(a, oc);
    assert_memory_not_equal(oa, ob, sizeof oa);
    assert_close(oa[0], oc[0], 0.1);
    rlc_env_reset(a, 3, oc);
    assert_memory_equal(oa, oc, sizeof oa);
    rlc_env_destroy(a);
    rlc_env_destroy(b);
    rlc_env *e = make("QuadLeaderFollower-v0", "init_pos=0.1");
    rlc_quad_params p;
    rlc_quad_params_crazyflie(&p);
    rlc_quad_pid c;
    rlc_quad_pid_default(&c);
    rlc_env_reset(e, 2, NULL);
    rlc_step_result r = {0};
    double maxe = 0;
    int steps = 0;
    while (!r.terminated && !r.truncated) {
        double v[38], cmd[4], goal[3];
        float act[4];
        rlc_env_get_state_vector(e, v);
        const rlc_quad_state *l = (const rlc_quad_state *)v, *f = l + 1;
        for (int i = 0; i < 3; i++)
            goal[i] = l->pos[i] + (i == 0 ? -0.3 : 0);
        if (steps > 300) {
            double d = 0;
            for (int i = 0; i < 3; i++)
                d += (f->pos[i] - goal[i]) * (f->pos[i] - goal[i]);
            if (sqrt(d) > maxe) maxe = sqrt(d);
        }
        rlc_quad_pid_control(&c, &p, f, goal, l->vel, NULL, 0, cmd);
        for (int i = 0; i < 4; i++)
            act[i] = (float)rlc_quad_rpm_to_action(&p, cmd[i]);
        assert_int_equal(rlc_env_step(e, act, NULL, &r), RLC_OK);
        steps++;
    }
    print_message("leader-follower with a PID follower: %d steps, max offset error %.3f m\n", steps,
                  maxe);
    assert_int_equal(steps, 1000);
    assert_true(maxe < 0.1);
    rlc_env_destroy(e);
}

/* rlc_quad_batch_step equals the sequential loop bit for bit, for 1..4 threads, shared and
 * per-vehicle params, with and without external forces; bad arguments are refused by message */
static void test_batch_step_bits(void **st) {
    (void)st;
    enum { N = 37, STEPS = 50 };
    rlc_quad_params base, p[N];
    rlc_quad_params_crazyflie(&base);
    rlc_rng rng;
    rlc_rng_seed(&rng, 7);
    static rlc_quad_state s0[N], ref[N], got[N];
    static double cmd[4 * N], ext[3 * N];
    double h = rlc_quad_hover_rpm(&base);
    for (int i = 0; i < N; i++) {
        rlc_quad_params_randomize(&base, 0.2, &rng, &p[i]);
        double pos[3] = {rlc_rng_uniform(&rng, -1, 1), rlc_rng_uniform(&rng, -1, 1), 1};
        rlc_quad_state_hover(&p[i], pos, &s0[i]);
        double qn = 0;
        for (int k = 0; k < 4; k++) {
            s0[i].quat[k] = (k == 0 ? 2 : 0) + rlc_rng_normal(&rng);
            qn += s0[i].quat[k] * s0[i].quat[k];
        }
        for (int k = 0; k < 4; k++)
            s0[i].quat[k] /= sqrt(qn);
        for (int k = 0; k < 4; k++)
            cmd[4 * i + k] = h * rlc_rng_uniform(&rng, 0.8, 1.2);
        for (int k = 0; k < 3; k++)
            ext[3 * i + k] = rlc_rng_uniform(&rng, -0.01, 0.01);
    }
    for (int shared = 0; shared < 2; shared++)
        for (int use_ext = 0; use_ext < 2; use_ext++) {
            memcpy(ref, s0, sizeof ref);
            for (int t = 0; t < STEPS; t++)
                for (int i = 0; i < N; i++)
                    rlc_quad_step(shared ? &base : &p[i], &ref[i], cmd + 4 * i,
                                  use_ext ? ext + 3 * i : NULL);
            for (int T = 1; T <= 4; T++) {
                rlc_quad_batch *b = NULL;
                assert_int_equal(rlc_quad_batch_create(&b, T), RLC_OK);
                assert_int_equal(rlc_quad_batch_threads(b), T);
                memcpy(got, s0, sizeof got);
                for (int t = 0; t < STEPS; t++)
                    assert_int_equal(rlc_quad_batch_step(b, shared ? &base : p, shared, got, N,
                                                         cmd, use_ext ? ext : NULL),
                                     RLC_OK);
                assert_memory_equal(got, ref, sizeof ref);
                rlc_quad_batch_destroy(b);
            }
        }
    rlc_quad_batch *b = NULL;
    assert_int_equal(rlc_quad_batch_create(&b, 0), RLC_ERR_INVALID);
    assert_non_null(strstr(rlc_last_error(), "num_threads 0 not in [1, 256]"));
    assert_null(b);
    assert_int_equal(rlc_quad_batch_create(&b, 2), RLC_OK);
    assert_int_equal(rlc_quad_batch_step(b, &base, 1, got, -1, cmd, NULL), RLC_ERR_INVALID);
    assert_non_null(strstr(rlc_last_error(), "negative vehicle count"));
    assert_int_equal(rlc_quad_batch_step(b, &base, 1, NULL, 3, cmd, NULL), RLC_ERR_INVALID);
    assert_non_null(strstr(rlc_last_error(), "NULL argument"));
    rlc_quad_batch_destroy(b);
    rlc_quad_batch_destroy(NULL);
}

RLC_TESTS(env_quadrotor, cmocka_unit_test(test_hover_equilibrium), cmocka_unit_test(test_free_fall),
          cmocka_unit_test(test_quaternion_norm), cmocka_unit_test(test_rk4_order),
          cmocka_unit_test(test_ground_effect_downwash), cmocka_unit_test(test_randomize),
          cmocka_unit_test(test_pid_hover), cmocka_unit_test(test_minsnap),
          cmocka_unit_test(test_pid_tracks_minsnap), cmocka_unit_test(test_env_spaces),
          cmocka_unit_test(test_env_determinism_state), cmocka_unit_test(test_env_render),
          cmocka_unit_test(test_env_dr), cmocka_unit_test(test_env_pid_episode),
          cmocka_unit_test(test_env_noise_leader),
          cmocka_unit_test(test_batch_step_bits))
