/* Roadmap row 49, `rlc experiment drones` (Panerati et al. 2021, gym-pybullet-drones): on our
 * Crazyflie-2.x simulator, (1) the cascaded PID tracks a circle within an error bound, (2) PPO
 * learns single-agent hover, (3) ground effect and downwash measurably change the thrust a
 * hovering vehicle needs, (4) a two-vehicle leader-follower pair keeps its distance (PID
 * follower, horizontal offset and an offset in the leader's downwash). */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "experiments/exp_impl.h"
#include "rlc/agent.h"
#include "rlc/quadrotor.h"

/* params in effect from a Quad env's state vector (its entries 17..25 after `off` vehicles) */
static void params_from_vec(const double *v, rlc_quad_params *p) {
    rlc_quad_params_crazyflie(p);
    p->mass = v[0];
    p->arm = v[1];
    for (int k = 0; k < 3; k++)
        p->inertia[k] = v[2 + k];
    p->kf = v[5];
    p->km = v[6];
    p->motor_tau = v[7];
    p->max_rpm = v[8];
}

/* (1) QuadTrack-v0 circle (radius 0.5 m, period 6 s) flown by the PID with velocity
 * feed-forward; errors after the first 2 s. */
static rlc_status pid_circle(uint64_t seed, double *mean_err, double *max_err) {
    rlc_env *env = NULL;
    rlc_status st = rlc_env_make(&env, "QuadTrack-v0", "shape=0,init_pos=0.1,init_angle=0.2");
    if (st) return st;
    rlc_quad_pid c;
    rlc_quad_pid_default(&c);
    rlc_quad_params p;
    double v[27], cmd[4], R = 0.5, om = 2 * M_PI / 6.0, sum = 0, mx = 0;
    float a[4];
    int n = 0;
    st = rlc_env_reset(env, (int64_t)seed, NULL);
    for (int t = 0; t < 1000 && !st; t++) {
        rlc_env_get_state_vector(env, v);
        params_from_vec(v + 17, &p);
        double time = v[26], ang = om * time;
        double ref[3] = {R * cos(ang), R * sin(ang), 1};
        double vel[3] = {-R * om * sin(ang), R * om * cos(ang), 0};
        double acc[3] = {-R * om * om * cos(ang), -R * om * om * sin(ang), 0};
        rlc_quad_pid_control(&c, &p, (const rlc_quad_state *)v, ref, vel, acc, 0, cmd);
        for (int k = 0; k < 4; k++)
            a[k] = (float)rlc_quad_rpm_to_action(&p, cmd[k]);
        rlc_step_result r;
        st = rlc_env_step(env, a, NULL, &r);
        if (st) break;
        rlc_env_get_state_vector(env, v);
        ang = om * v[26];
        double e = hypot(hypot(v[0] - R * cos(ang), v[1] - R * sin(ang)), v[2] - 1);
        if (r.terminated) {
            e = INFINITY;
            mx = e;
            break;
        }
        if (v[26] >= 2.0) {
            sum += e;
            n++;
            if (e > mx) mx = e;
        }
    }
    rlc_env_destroy(env);
    *mean_err = n ? sum / n : INFINITY;
    *max_err = mx;
    return st;
}

/* (3a) one vehicle held by the PID at height z for 6 s (start 2 cm above, a few mm aside);
 * mean RPM over the last 2 s, with ground effect on or off */
static double hover_rpm_at(double z, int ground, uint64_t seed) {
    rlc_quad_params p;
    rlc_quad_params_crazyflie(&p);
    p.ground_effect = ground ? 1.0 : 0.0;
    rlc_quad_pid c;
    rlc_quad_pid_default(&c);
    rlc_quad_state s;
    double dx = 0.002 * (double)(seed % 7) - 0.006;
    double start[3] = {dx, -dx, z + 0.02}, target[3] = {0, 0, z}, cmd[4], sum = 0;
    rlc_quad_state_hover(&p, start, &s);
    for (int t = 0; t < 600; t++) {
        rlc_quad_pid_control(&c, &p, &s, target, NULL, NULL, 0, cmd);
        rlc_quad_step(&p, &s, cmd, NULL);
        if (t >= 400)
            for (int k = 0; k < 4; k++)
                sum += s.rpm[k] / 4;
    }
    return sum / 200;
}

/* (3b) two vehicles held by PIDs, the lower one `dz` below the upper one: the lower one's mean
 * RPM over the last 2 s of 6 s and its mean position error, with downwash on or off */
static void downwash_pair(double dz, int on, uint64_t seed, double *rpm, double *err) {
    rlc_quad_params p;
    rlc_quad_params_crazyflie(&p);
    p.downwash = on ? 1.0 : 0.0;
    rlc_quad_pid c[2];
    rlc_quad_state s[2];
    double dx = 0.002 * (double)(seed % 7) - 0.006;
    double tgt[2][3] = {{0, 0, 1 + dz}, {0, 0, 1}}, cmd[8], sum = 0, es = 0;
    for (int i = 0; i < 2; i++) {
        rlc_quad_pid_default(&c[i]);
        double start[3] = {tgt[i][0] + dx, tgt[i][1], tgt[i][2]};
        rlc_quad_state_hover(&p, start, &s[i]);
    }
    for (int t = 0; t < 600; t++) {
        for (int i = 0; i < 2; i++)
            rlc_quad_pid_control(&c[i], &p, &s[i], tgt[i], NULL, NULL, 0, cmd + 4 * i);
        rlc_quad_step_multi(&p, 1, s, 2, cmd);
        if (t >= 400) {
            for (int k = 0; k < 4; k++)
                sum += s[1].rpm[k] / 4;
            es += hypot(hypot(s[1].pos[0] - tgt[1][0], s[1].pos[1] - tgt[1][1]),
                        s[1].pos[2] - tgt[1][2]);
        }
    }
    *rpm = sum / 200;
    *err = es / 200;
}

/* (4) QuadLeaderFollower-v0 with a PID follower (goal: leader + offset, leader velocity
 * feed-forward); offset errors after the first 3 s */
static rlc_status leader_follower(const char *kwargs, const double off[3], uint64_t seed,
                                  double *mean_err, double *max_err) {
    rlc_env *env = NULL;
    rlc_status st = rlc_env_make(&env, "QuadLeaderFollower-v0", kwargs);
    if (st) return st;
    rlc_quad_params p;
    rlc_quad_params_crazyflie(&p);
    rlc_quad_pid c;
    rlc_quad_pid_default(&c);
    st = rlc_env_reset(env, (int64_t)seed, NULL);
    double sum = 0, mx = 0;
    int n = 0;
    for (int t = 0; t < 1000 && !st; t++) {
        double v[38], cmd[4], goal[3];
        float act[4];
        rlc_env_get_state_vector(env, v);
        const rlc_quad_state *l = (const rlc_quad_state *)v, *f = l + 1;
        for (int i = 0; i < 3; i++)
            goal[i] = l->pos[i] + off[i];
        if (t >= 300) {
            double d = 0;
            for (int i = 0; i < 3; i++)
                d += (f->pos[i] - goal[i]) * (f->pos[i] - goal[i]);
            sum += sqrt(d);
            n++;
            if (sqrt(d) > mx) mx = sqrt(d);
        }
        rlc_quad_pid_control(&c, &p, f, goal, l->vel, NULL, 0, cmd);
        for (int i = 0; i < 4; i++)
            act[i] = (float)rlc_quad_rpm_to_action(&p, cmd[i]);
        rlc_step_result r;
        st = rlc_env_step(env, act, NULL, &r);
        if (!st && r.terminated) {
            mx = INFINITY;
            break;
        }
    }
    rlc_env_destroy(env);
    *mean_err = n ? sum / n : INFINITY;
    *max_err = mx;
    return st;
}

/* (2) PPO on QuadHover-v0 (our default env: starts within 0.5 m, 0.5 rad, 1 m/s, 1 rad/s),
 * evaluated by the hover criterion over 20 starts and by its return against the PID's */
#define PPO_CFG "num_envs=8,n_steps=256,lr=0.0003,ent_coef=0,norm_obs=1"

static rlc_status ppo_hover(int64_t steps, uint64_t seed, double *ret, double *succ, double *succ3,
                            double *err) {
    const rlc_config_table *tab = rlc_algo_config_table("ppo");
    char cfgbuf[4096];
    if (!tab || tab->size > sizeof cfgbuf)
        return rlc_error(RLC_ERR_INVALID, "drones: no ppo config table");
    rlc_config_defaults(tab, cfgbuf);
    rlc_status st = rlc__exp_apply_sets(tab, cfgbuf, PPO_CFG);
    rlc_agent *a = NULL;
    if (!st) st = rlc_agent_create(&a, "ppo", "QuadHover-v0", NULL, cfgbuf, seed);
    if (st) return st;
    rlc_train_options o = {0};
    o.total_steps = steps;
    st = rlc_agent_train(a, seed, &o, NULL);
    double rets[20], e3;
    if (!st) st = rlc_agent_evaluate(a, 20, 1000000, 0, rets, NULL, 0, 0);
    if (!st) {
        *ret = 0;
        for (int i = 0; i < 20; i++)
            *ret += rets[i] / 20;
        st = rlc__quad_hover_eval(a, "", 20, 1000000, 250, 1, 0.1, succ, err);
    }
    if (!st) st = rlc__quad_hover_eval(a, "", 20, 1000000, 250, 1, 0.3, succ3, &e3);
    rlc_agent_destroy(a);
    return st;
}

/* the PID's QuadHover-v0 return over the same 20 evaluation starts */
static rlc_status pid_hover_return(double *ret) {
    rlc_env *env = NULL;
    rlc_status st = rlc_env_make(&env, "QuadHover-v0", NULL);
    if (st) return st;
    double total = 0;
    for (int e = 0; e < 20 && !st; e++) {
        rlc_quad_pid c;
        rlc_quad_pid_default(&c);
        st = rlc_env_reset(env, 1000000 + e, NULL);
        rlc_step_result r = {0};
        double target[3] = {0, 0, 1}, v[27], cmd[4];
        rlc_quad_params p;
        while (!st && !r.terminated && !r.truncated) {
            float a[4];
            rlc_env_get_state_vector(env, v);
            params_from_vec(v + 17, &p);
            rlc_quad_pid_control(&c, &p, (const rlc_quad_state *)v, target, NULL, NULL, 0, cmd);
            for (int i = 0; i < 4; i++)
                a[i] = (float)rlc_quad_rpm_to_action(&p, cmd[i]);
            st = rlc_env_step(env, a, NULL, &r);
        }
        total += r.episode_return;
    }
    rlc_env_destroy(env);
    *ret = total / 20;
    return st;
}

rlc_status rlc__exp_drones(const rlc_experiment_options *o, rlc_experiment_result *res) {
    rlc__exp x;
    rlc_status st = rlc__exp_begin(&x, rlc_experiment_find("drones"), o, res, 5, 2);
    if (st) return st;
    const int NS = x.seeds;
    const int64_t ppo_steps = o->quick ? 16384 : 2000000;
    enum { NV = 16 };
    double *v = rlc_calloc((size_t)NV * (size_t)NS, sizeof(double));
    if (!v) {
        rlc__exp_abort(&x);
        return RLC_ERR_NOMEM;
    }
#define V(k, s) v[(size_t)(k)*NS + (s)]
    double pid_ret = 0;
    st = pid_hover_return(&pid_ret);
    for (int s = 0; s < NS && !st; s++) {
        uint64_t seed = (uint64_t)s + 1;
        st = pid_circle(seed, &V(0, s), &V(1, s));
        double r0 = hover_rpm_at(0.025, 0, seed), r1 = hover_rpm_at(0.025, 1, seed);
        double r2 = hover_rpm_at(1.0, 0, seed), r3 = hover_rpm_at(1.0, 1, seed);
        V(2, s) = 100 * (r1 / r0 - 1); /* % RPM change from ground effect at 2.5 cm */
        V(3, s) = 100 * (r3 / r2 - 1); /* the same at 1 m */
        double d_rpm[2], d_err[2];
        downwash_pair(0.3, 0, seed, &d_rpm[0], &d_err[0]);
        downwash_pair(0.3, 1, seed, &d_rpm[1], &d_err[1]);
        V(4, s) = 100 * (d_rpm[1] / d_rpm[0] - 1); /* % RPM change of the lower vehicle */
        V(5, s) = 100 * d_err[0];                  /* its hover error, cm, without / with */
        V(6, s) = 100 * d_err[1];
        double off_h[3] = {-0.3, 0, 0}, off_v[3] = {0, 0, -0.3};
        if (!st) st = leader_follower(NULL, off_h, seed, &V(7, s), &V(8, s));
        if (!st) st = leader_follower("offset_x=0,offset_z=-0.3", off_v, seed, &V(9, s), &V(10, s));
        if (!st) st = ppo_hover(ppo_steps, seed, &V(11, s), &V(12, s), &V(13, s), &V(14, s));
        if (!st) V(15, s) = V(11, s) / pid_ret;
    }
    if (st) {
        rlc_free(v);
        rlc__exp_abort(&x);
        return st;
    }
    for (int k = 0; k < NV; k++)
        for (int s = 0; s < NS; s++)
            if (k == 0 || k == 1 || k == 7 || k == 8 || k == 9 || k == 10 || k == 14)
                V(k, s) *= 100; /* m -> cm */
    rlc_stats_ci ci[NV];
    static const char *const metric[NV] = {
        "circle_mean_err_cm", "circle_max_err_cm",    "ground_rpm_pct_2.5cm", "ground_rpm_pct_1m",
        "downwash_rpm_pct",   "downwash_off_err_cm",  "downwash_on_err_cm",   "lf_mean_err_cm",
        "lf_max_err_cm",      "lf_below_mean_err_cm", "lf_below_max_err_cm",  "ppo_return",
        "ppo_hover_0.1m",     "ppo_hover_0.3m",       "ppo_err_cm",           "ppo_return_vs_pid"};
    static const char *const desc[NV] = {
        "(1) PID on QuadTrack-v0 circle (r 0.5 m, 6 s): mean tracking error after 2 s (cm)",
        "(1) the same: max tracking error after 2 s (cm)",
        "(3) ground effect: RPM change of a PID hover at 2.5 cm (%)",
        "(3) ground effect: RPM change at 1 m (%)",
        "(3) downwash: RPM change of a vehicle hovering 0.3 m below another (%)",
        "(3) downwash: its hover error without downwash (cm)",
        "(3) downwash: its hover error with downwash (cm)",
        "(4) leader-follower, offset (-0.3, 0, 0): mean distance error after 3 s (cm)",
        "(4) the same: max distance error (cm)",
        "(4) leader-follower, offset (0, 0, -0.3) in the leader's downwash: mean error (cm)",
        "(4) the same: max error (cm)",
        "(2) PPO QuadHover-v0: evaluation return (20 starts)",
        "(2) PPO: fraction of 20 starts held within 0.1 m for the last 2.5 s of 5 s",
        "(2) PPO: the same within 0.3 m",
        "(2) PPO: mean position error over the last 2.5 s (cm)",
        "(2) PPO return / PID return on the same starts"};
    for (int k = 0; k < NV; k++) {
        char name[64];
        rlc__exp_table(&x, desc[k]);
        snprintf(name, sizeof name, "%s", k >= 11 ? "ppo" : "pid / physics");
        rlc__exp_row(&x, name, metric[k], &V(k, 0), NS, &ci[k]);
    }
    rlc__exp_note(&x, 1, "PID return on the same 20 QuadHover-v0 starts: %.1f; PPO: %s, %lld steps",
                  pid_ret, PPO_CFG, (long long)ppo_steps);
    double worst_circle = 0, worst_lf = 0;
    for (int s = 0; s < NS; s++) {
        worst_circle = fmax(worst_circle, V(1, s));
        worst_lf = fmax(worst_lf, fmax(V(8, s), V(10, s)));
    }
    int c1 = worst_circle < 10 && ci[0].point < 5;
    int c2 = ci[15].point >= 0.8 && ci[13].point >= 0.8;
    int c3 = ci[2].hi < -1 && fabs(ci[3].point) < 0.1 && ci[4].lo > 1;
    int c4 = worst_lf < 10;
    rlc_free(v);
#undef V
    return rlc__exp_end(&x, c1 && c2 && c3 && c4,
                        "(1) PID circle: mean %.2f cm, worst max %.2f cm (bound 5 / 10 cm): %s; "
                        "(2) PPO hover: return %.0f%% of the PID's, %.0f%% of starts within 0.3 m "
                        "(bounds 80%%, 80%%): %s; (3) ground effect %+.2f%% RPM at 2.5 cm, "
                        "downwash %+.2f%% RPM 0.3 m below: %s; (4) leader-follower worst max "
                        "error %.2f cm (bound 10 cm): %s",
                        ci[0].point, worst_circle, c1 ? "held" : "not held", 100 * ci[15].point,
                        100 * ci[13].point, c2 ? "held" : "not held", ci[2].point, ci[4].point,
                        c3 ? "held" : "not held", worst_lf, c4 ? "held" : "not held");
}
