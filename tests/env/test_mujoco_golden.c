/* MuJoCo envs against Gymnasium's golden data (tests/data/golden/mujoco/, libmujoco 2.2.2): every
 * seeded reset, set_state and step bit for bit, one step at a time from the recorded MuJoCo state
 * and free-running; plus snapshots, kwargs, bad actions, model-file errors and a smoke run of
 * every MuJoCo id. Skipped with a message when rlc was built without libmujoco. */
#include "test.h"

#include <cJSON.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "env/env_impl.h"
#include "env/mujoco/mujoco_impl.h"
#include "rlc/env.h"
#include "rlc/vec_env.h"

#define SKIP_WITHOUT_MUJOCO()                                                                      \
    do {                                                                                           \
        if (!rlc__mujoco_available()) {                                                            \
            print_message("  skipped: rlc was built without libmujoco (RLC_HAVE_MUJOCO unset)\n"); \
            skip();                                                                                \
        }                                                                                          \
    } while (0)

static const char *const MUJOCO_IDS[] = {"HalfCheetah-v4",
                                         "HalfCheetah-v5",
                                         "Hopper-v4",
                                         "Hopper-v5",
                                         "Walker2d-v4",
                                         "Walker2d-v5",
                                         "Ant-v4",
                                         "Ant-v5",
                                         "InvertedPendulum-v4",
                                         "InvertedPendulum-v5",
                                         "InvertedDoublePendulum-v4",
                                         "InvertedDoublePendulum-v5",
                                         "Reacher-v4",
                                         "Reacher-v5",
                                         "Swimmer-v4",
                                         "Swimmer-v5",
                                         "Humanoid-v4",
                                         "Humanoid-v5"};
#define NIDS ((int)(sizeof MUJOCO_IDS / sizeof MUJOCO_IDS[0]))

static rlc_env *make(const char *id, const char *kwargs) {
    rlc_env *env = NULL;
    rlc_status st = rlc_env_make(&env, id, kwargs);
    if (st) fail_msg("rlc_env_make(%s, %s): %s", id, kwargs ? kwargs : "", rlc_last_error());
    return env;
}

static const rlc__mj_env *mj(const rlc_env *env) {
    return env->self;
}

/* ---------------------------------------------------------------------------------------
 * Golden replay
 * ------------------------------------------------------------------------------------- */

typedef struct replay {
    const char *id;
    int line;
    char traj[32];
    rlc_env *env; /* free-running: reset, then the recorded actions */
    rlc_env *one; /* one-step: the recorded MuJoCo state of the previous record, then 1 step */
    char *snap;   /* byte snapshot buffer for `one` */
    size_t snap_size;
    int nq, nv;
    /* MuJoCo state of the previous record of the trajectory */
    double qpos[RLC__MJ_MAXQ], qvel[RLC__MJ_MAXV], qacc[RLC__MJ_MAXV], time;
    int have_prev;
    long seed_resets, resets, set_states, steps, one_steps;
    long mismatches;    /* one-step, reset, set_state and meta checks: must be 0 */
    long free_mismatch; /* free-running steps that differ */
    long free_exact;    /* free-running steps exact before the first difference */
    int free_diverged;  /* the free-running trajectory differed at some step */
    long info_checked;
} replay;

static double num(const cJSON *j) {
    if (cJSON_IsNumber(j)) return j->valuedouble;
    if (cJSON_IsString(j)) return strtod(j->valuestring, NULL);
    return NAN;
}

static int same(double a, double b) {
    return a == b || (isnan(a) && isnan(b));
}

static long *g_count; /* mismatch counter the MISMATCH macro bumps */

#define MISMATCH(r, ...)                                                                           \
    do {                                                                                           \
        if ((*g_count)++ < 8) {                                                                    \
            print_message("  %s line %d (%s): ", (r)->id, (r)->line, (r)->traj);                   \
            print_message(__VA_ARGS__);                                                            \
            print_message("\n");                                                                   \
        }                                                                                          \
    } while (0)

/* Compares n doubles with a JSON array; returns the number of differences. */
static int cmp_array(replay *r, const double *got, int n, const cJSON *want, const char *what) {
    int bad = 0;
    if (!want) return 0;
    if (cJSON_GetArraySize(want) != n) {
        MISMATCH(r, "%s has %d values, golden %d", what, n, cJSON_GetArraySize(want));
        return 1;
    }
    for (int i = 0; i < n; i++) {
        double w = num(cJSON_GetArrayItem(want, i));
        if (!same(got[i], w)) {
            if (!bad) MISMATCH(r, "%s[%d] = %.17g, golden %.17g", what, i, got[i], w);
            bad++;
        }
    }
    return bad;
}

static void read_array(const cJSON *a, double *out, int n) {
    for (int i = 0; i < n; i++)
        out[i] = num(cJSON_GetArrayItem(a, i));
}

/* The MuJoCo state, obs and info of `env` against a record. Returns the number of differences. */
static int cmp_record(replay *r, rlc_env *env, const double *obs, const cJSON *rec) {
    double qpos[RLC__MJ_MAXQ], qvel[RLC__MJ_MAXV], qacc[RLC__MJ_MAXV], t;
    int bad = 0;
    assert_int_equal(rlc__mujoco_get_physics(env, qpos, qvel, qacc, &t), RLC_OK);
    bad += cmp_array(r, qpos, r->nq, cJSON_GetObjectItem(rec, "qpos"), "qpos");
    bad += cmp_array(r, qvel, r->nv, cJSON_GetObjectItem(rec, "qvel"), "qvel");
    bad += cmp_array(r, qacc, r->nv, cJSON_GetObjectItem(rec, "qacc_warmstart"), "qacc_warmstart");
    const cJSON *tj = cJSON_GetObjectItem(rec, "time");
    if (tj && !same(t, num(tj))) {
        MISMATCH(r, "time = %.17g, golden %.17g", t, num(tj));
        bad++;
    }
    if (obs)
        bad += cmp_array(r, obs, (int)rlc_env_obs_space(env)->size, cJSON_GetObjectItem(rec, "obs"),
                         "obs");
    const cJSON *info = cJSON_GetObjectItem(rec, "info"), *it;
    cJSON_ArrayForEach(it, info) {
        double v, w = num(it);
        if (rlc__mujoco_info(env, it->string, &v)) {
            MISMATCH(r, "info '%s' missing: %s", it->string, rlc_last_error());
            bad++;
            continue;
        }
        r->info_checked++;
        /* np.linalg.norm goes through BLAS ddot: its rounding depends on the BLAS build
         * (Debian 12 and 13 differ by 1 ulp), so allow 1 ulp there. */
        int ok = same(v, w) ||
                 (!strcmp(it->string, "distance_from_origin") && fabs(v - w) <= 2.3e-16 * fabs(w));
        if (!ok) {
            MISMATCH(r, "info '%s' = %.17g, golden %.17g", it->string, v, w);
            bad++;
        }
    }
    return bad;
}

static void remember(replay *r, const cJSON *rec) {
    read_array(cJSON_GetObjectItem(rec, "qpos"), r->qpos, r->nq);
    read_array(cJSON_GetObjectItem(rec, "qvel"), r->qvel, r->nv);
    read_array(cJSON_GetObjectItem(rec, "qacc_warmstart"), r->qacc, r->nv);
    r->time = num(cJSON_GetObjectItem(rec, "time"));
    r->have_prev = 1;
}

static void reset_with(replay *r, rlc_env *env, const cJSON *seed, double *obs) {
    rlc_status st;
    if (cJSON_IsNumber(seed))
        st = rlc_env_reset(env, (int64_t)seed->valuedouble, obs);
    else if (cJSON_IsString(seed)) {
        st = rlc_env_seed_str(env, seed->valuestring);
        if (!st) st = rlc_env_reset(env, RLC_ENV_NO_SEED, obs);
    } else
        st = rlc_env_reset(env, RLC_ENV_NO_SEED, obs);
    if (st) MISMATCH(r, "reset failed: %s", rlc_last_error());
}

static void check_meta(replay *r, const cJSON *rec) {
    const rlc__mj_env *e = mj(r->env);
    r->nq = e->nq;
    r->nv = e->nv;
    assert_int_equal(e->nq, (int)num(cJSON_GetObjectItem(rec, "nq")));
    assert_int_equal(e->nv, (int)num(cJSON_GetObjectItem(rec, "nv")));
    assert_int_equal(e->nu, (int)num(cJSON_GetObjectItem(rec, "nu")));
    assert_int_equal(e->nbody, (int)num(cJSON_GetObjectItem(rec, "nbody")));
    assert_int_equal(e->frame_skip, (int)num(cJSON_GetObjectItem(rec, "frame_skip")));
    assert_true(e->dt == num(cJSON_GetObjectItem(rec, "dt")));
    assert_true(e->dt / e->frame_skip == num(cJSON_GetObjectItem(rec, "timestep")));
    double init[RLC__MJ_MAXQ];
    read_array(cJSON_GetObjectItem(rec, "init_qpos"), init, e->nq);
    for (int i = 0; i < e->nq; i++)
        assert_true(e->init_qpos[i] == init[i]);
    assert_int_equal(rlc_env_max_episode_steps(r->env),
                     (int64_t)num(cJSON_GetObjectItem(rec, "max_episode_steps")));
    const rlc_env_spec *spec = rlc_env_registry_find(r->id);
    const cJSON *thr = cJSON_GetObjectItem(rec, "reward_threshold");
    if (cJSON_IsNull(thr))
        assert_true(isnan(spec->reward_threshold));
    else
        assert_true(spec->reward_threshold == num(thr));
    const rlc_space *o = rlc_env_obs_space(r->env), *a = rlc_env_action_space(r->env);
    const cJSON *os = cJSON_GetObjectItem(rec, "observation_space");
    assert_int_equal(o->dtype, RLC_SPACE_FLOAT64);
    assert_int_equal(o->size,
                     (int64_t)num(cJSON_GetArrayItem(cJSON_GetObjectItem(os, "shape"), 0)));
    const cJSON *as = cJSON_GetObjectItem(rec, "action_space");
    assert_int_equal(a->dtype, RLC_SPACE_FLOAT32);
    assert_int_equal(a->size, (int64_t)cJSON_GetArraySize(cJSON_GetObjectItem(as, "low")));
    for (int i = 0; i < (int)a->size; i++) {
        assert_true(a->low[i] == num(cJSON_GetArrayItem(cJSON_GetObjectItem(as, "low"), i)));
        assert_true(a->high[i] == num(cJSON_GetArrayItem(cJSON_GetObjectItem(as, "high"), i)));
    }
}

static void on_step(replay *r, const cJSON *rec) {
    double obs[RLC__MJ_MAXOBS], obs1[RLC__MJ_MAXOBS];
    float act[RLC__MJ_MAXU];
    const cJSON *aj = cJSON_GetObjectItem(rec, "action");
    int n = cJSON_GetArraySize(aj);
    assert_true(n <= RLC__MJ_MAXU);
    for (int i = 0; i < n; i++)
        act[i] = (float)num(cJSON_GetArrayItem(aj, i));
    double rw = num(cJSON_GetObjectItem(rec, "reward"));
    int term = cJSON_IsTrue(cJSON_GetObjectItem(rec, "terminated"));
    int trunc = cJSON_IsTrue(cJSON_GetObjectItem(rec, "truncated"));
    rlc_step_result res;

    /* one step from the recorded MuJoCo state of the previous record (the rest of the env state,
     * RNG, counters and the positions Gymnasium reads before stepping, from the free run) */
    assert_true(r->have_prev);
    assert_int_equal(rlc_env_get_state(r->env, r->snap, r->snap_size), RLC_OK);
    assert_int_equal(rlc_env_set_state(r->one, r->snap, r->snap_size), RLC_OK);
    assert_int_equal(rlc__mujoco_set_physics(r->one, r->qpos, r->qvel, r->qacc, r->time), RLC_OK);
    if (rlc_env_step(r->one, act, obs1, &res)) {
        MISMATCH(r, "one-step failed: %s", rlc_last_error());
    } else {
        int bad = cmp_record(r, r->one, obs1, rec);
        if (!same(res.reward, rw)) {
            MISMATCH(r, "one-step reward = %.17g, golden %.17g", res.reward, rw);
            bad++;
        }
        if (res.terminated != term || res.truncated != trunc) {
            MISMATCH(r, "one-step terminated/truncated = %d/%d, golden %d/%d", res.terminated,
                     res.truncated, term, trunc);
            bad++;
        }
        r->one_steps += bad == 0;
    }

    /* free-running */
    long *saved = g_count;
    g_count = &r->free_mismatch;
    if (rlc_env_step(r->env, act, obs, &res)) {
        MISMATCH(r, "step failed: %s", rlc_last_error());
        g_count = saved;
        return;
    }
    int bad = cmp_record(r, r->env, obs, rec);
    if (!same(res.reward, rw)) {
        MISMATCH(r, "reward = %.17g, golden %.17g", res.reward, rw);
        bad++;
    }
    if (res.terminated != term || res.truncated != trunc) {
        MISMATCH(r, "terminated/truncated = %d/%d, golden %d/%d", res.terminated, res.truncated,
                 term, trunc);
        bad++;
    }
    g_count = saved;
    if (bad) r->free_diverged = 1;
    if (!r->free_diverged) r->free_exact++;
    r->steps++;
    remember(r, rec);
    /* keep the free run on the golden trajectory after a difference, so later episodes are
     * still compared from the right start */
    if (bad)
        assert_int_equal(rlc__mujoco_set_physics(r->env, r->qpos, r->qvel, r->qacc, r->time),
                         RLC_OK);
}

static void on_record(replay *r, const cJSON *rec) {
    const char *kind = cJSON_GetStringValue(cJSON_GetObjectItem(rec, "kind"));
    const cJSON *traj = cJSON_GetObjectItem(rec, "traj");
    double obs[RLC__MJ_MAXOBS];
    assert_non_null(kind);
    if (!strcmp(kind, "meta")) {
        assert_string_equal(cJSON_GetStringValue(cJSON_GetObjectItem(rec, "env_id")), r->id);
        check_meta(r, rec);
        return;
    }
    if (!strcmp(kind, "seed_reset")) {
        snprintf(r->traj, sizeof r->traj, "seed_reset");
        reset_with(r, r->env, cJSON_GetObjectItem(rec, "seed"), obs);
        if (cmp_record(r, r->env, obs, rec) == 0) r->seed_resets++;
        return;
    }
    assert_non_null(traj);
    snprintf(r->traj, sizeof r->traj, "%s", traj->valuestring);
    if (!strcmp(kind, "reset")) {
        reset_with(r, r->env, cJSON_GetObjectItem(rec, "seed"), obs);
        if (cmp_record(r, r->env, obs, rec) == 0) r->resets++;
        remember(r, rec);
    } else if (!strcmp(kind, "set_state")) {
        /* Gymnasium: reset(seed=0), then set_state(qpos, qvel), which runs mj_forward */
        double v[2 * RLC__MJ_MAXQ];
        read_array(cJSON_GetObjectItem(rec, "qpos"), v, r->nq);
        read_array(cJSON_GetObjectItem(rec, "qvel"), v + r->nq, r->nv);
        assert_int_equal(rlc_env_reset(r->env, 0, NULL), RLC_OK);
        assert_int_equal(rlc_env_set_state_vector(r->env, v, r->nq + r->nv), RLC_OK);
        if (cmp_record(r, r->env, NULL, rec) == 0) r->set_states++;
        remember(r, rec);
    } else if (!strcmp(kind, "step")) {
        on_step(r, rec);
    } else {
        fail_msg("%s line %d: unknown record kind '%s'", r->id, r->line, kind);
    }
}

static void run_golden(const char *id) {
    char path[256];
    snprintf(path, sizeof path, "tests/data/golden/mujoco/%s.jsonl", id);
    replay r;
    memset(&r, 0, sizeof r);
    r.id = id;
    g_count = &r.mismatches;
    r.env = make(id, NULL);
    r.one = make(id, NULL);
    r.snap_size = rlc_env_state_size(r.env);
    r.snap = malloc(r.snap_size);
    assert_non_null(r.snap);
    FILE *f = fopen(path, "r");
    if (!f) fail_msg("cannot open %s (tests run from the repository root)", path);
    char *line = NULL;
    size_t cap = 0;
    while (getline(&line, &cap, f) > 0) {
        r.line++;
        cJSON *rec = cJSON_Parse(line);
        if (!rec) fail_msg("%s:%d: bad JSON", path, r.line);
        on_record(&r, rec);
        cJSON_Delete(rec);
    }
    free(line);
    fclose(f);
    rlc_env_destroy(r.env);
    rlc_env_destroy(r.one);
    free(r.snap);
    print_message("  %-20s %ld seed resets, %ld resets, %ld set_states, %ld/%ld steps exact one "
                  "step at a time, free run exact for %ld/%ld steps (%ld differing), %ld info "
                  "values\n",
                  id, r.seed_resets, r.resets, r.set_states, r.one_steps, r.steps, r.free_exact,
                  r.steps, r.free_mismatch ? r.steps - r.free_exact : 0, r.info_checked);
    assert_int_equal(r.mismatches, 0);
    assert_int_equal(r.one_steps, r.steps);
    assert_int_equal(r.free_mismatch, 0);
    assert_true(r.steps >= 100);
}

#define GOLDEN(fn, id)                                                                             \
    static void fn(void **st) {                                                                    \
        (void)st;                                                                                  \
        SKIP_WITHOUT_MUJOCO();                                                                     \
        run_golden(id);                                                                            \
    }

GOLDEN(test_golden_half_cheetah_v4, "HalfCheetah-v4")
GOLDEN(test_golden_half_cheetah_v5, "HalfCheetah-v5")
GOLDEN(test_golden_hopper_v4, "Hopper-v4")
GOLDEN(test_golden_hopper_v5, "Hopper-v5")
GOLDEN(test_golden_walker2d_v4, "Walker2d-v4")
GOLDEN(test_golden_walker2d_v5, "Walker2d-v5")
GOLDEN(test_golden_inverted_pendulum_v4, "InvertedPendulum-v4")
GOLDEN(test_golden_inverted_pendulum_v5, "InvertedPendulum-v5")
GOLDEN(test_golden_ant_v4, "Ant-v4")
GOLDEN(test_golden_ant_v5, "Ant-v5")

/* ---------------------------------------------------------------------------------------
 * Snapshots, kwargs, errors
 * ------------------------------------------------------------------------------------- */

/* Steps `env` n times with actions drawn from `rng`; records obs and rewards. Returns the number
 * of steps taken (stops at the end of an episode). */
static int run(rlc_env *env, rlc_rng *rng, int n, double *obs_log, double *rew_log) {
    const rlc_space *as = rlc_env_action_space(env);
    int dim = (int)rlc_env_obs_space(env)->size;
    float a[RLC__MJ_MAXU];
    for (int t = 0; t < n; t++) {
        rlc_step_result res;
        rlc_space_sample(as, rng, a);
        assert_int_equal(rlc_env_step(env, a, obs_log + (size_t)t * dim, &res), RLC_OK);
        rew_log[t] = res.reward;
        if (res.terminated || res.truncated) return t + 1;
    }
    return n;
}

/* get_state / set_state reproduce the future bit for bit, also in another env instance (whose
 * mjData never saw the run), and the state vector is qpos then qvel. */
static void test_snapshot_roundtrip(void **st) {
    (void)st;
    SKIP_WITHOUT_MUJOCO();
    enum { N = 30 };
    for (int k = 0; k < NIDS; k++) {
        const char *id = MUJOCO_IDS[k];
        rlc_env *a = make(id, NULL), *b = make(id, NULL);
        int dim = (int)rlc_env_obs_space(a)->size;
        double *o1 = calloc((size_t)N * dim, sizeof(double));
        double *o2 = calloc((size_t)N * dim, sizeof(double));
        double *o3 = calloc((size_t)N * dim, sizeof(double));
        double r1[N], r2[N], r3[N];
        rlc_rng ra, rb;
        rlc_rng_seed(&ra, 7);
        assert_int_equal(rlc_env_reset(a, 3, NULL), RLC_OK);
        for (int t = 0; t < 5; t++) { /* a few steps so the warm start is non-trivial */
            float z[RLC__MJ_MAXU] = {0};
            assert_int_equal(rlc_env_step(a, z, NULL, NULL), RLC_OK);
        }
        size_t size = rlc_env_state_size(a);
        char *snap = malloc(size);
        assert_int_equal(rlc_env_get_state(a, snap, size), RLC_OK);
        rb = ra;
        int n1 = run(a, &ra, N, o1, r1);
        assert_int_equal(rlc_env_set_state(a, snap, size), RLC_OK);
        rlc_rng rc = rb;
        int n2 = run(a, &rb, N, o2, r2);
        assert_int_equal(rlc_env_set_state(b, snap, size), RLC_OK);
        double ob[RLC__MJ_MAXOBS];
        assert_int_equal(rlc_env_observe(b, ob), RLC_OK);
        int n3 = run(b, &rc, N, o3, r3);
        assert_int_equal(n1, n2);
        assert_int_equal(n1, n3);
        assert_memory_equal(o1, o2, (size_t)n1 * dim * sizeof(double));
        assert_memory_equal(o1, o3, (size_t)n1 * dim * sizeof(double));
        assert_memory_equal(r1, r2, (size_t)n1 * sizeof(double));
        assert_memory_equal(r1, r3, (size_t)n1 * sizeof(double));
        /* state vector = qpos then qvel */
        const rlc__mj_env *e = mj(a);
        double v[2 * RLC__MJ_MAXQ], w[2 * RLC__MJ_MAXQ];
        assert_int_equal(rlc_env_state_dim(a), e->nq + e->nv);
        assert_int_equal(rlc_env_get_state_vector(a, v), RLC_OK);
        assert_memory_equal(v, e->s.qpos, (size_t)e->nq * sizeof(double));
        assert_memory_equal(v + e->nq, e->s.qvel, (size_t)e->nv * sizeof(double));
        v[e->nq] += 0.01;
        assert_int_equal(rlc_env_set_state_vector(b, v, e->nq + e->nv), RLC_OK);
        assert_int_equal(rlc_env_get_state_vector(b, w), RLC_OK);
        assert_memory_equal(v, w, (size_t)(e->nq + e->nv) * sizeof(double));
        assert_true(rlc_env_running(b));
        free(snap);
        free(o1);
        free(o2);
        free(o3);
        rlc_env_destroy(a);
        rlc_env_destroy(b);
    }
}

/* Steps `id` (made with kwargs) 20 times from reset(seed=1) with fixed actions; returns the final
 * observation's first values. */
static void trace(const char *id, const char *kwargs, double *out, int n) {
    rlc_env *env = make(id, kwargs);
    double obs[RLC__MJ_MAXOBS];
    float a[RLC__MJ_MAXU];
    for (int i = 0; i < RLC__MJ_MAXU; i++)
        a[i] = (i % 2 ? 0.5f : -0.3f);
    assert_int_equal(rlc_env_reset(env, 1, obs), RLC_OK);
    for (int t = 0; t < 20 && rlc_env_running(env); t++)
        assert_int_equal(rlc_env_step(env, a, obs, NULL), RLC_OK);
    memcpy(out, obs, (size_t)n * sizeof(double));
    rlc_env_destroy(env);
}

static void test_kwargs(void **st) {
    (void)st;
    SKIP_WITHOUT_MUJOCO();
    double base[17], same1[17], heavy[17], slippery[17], nograv[17];
    trace("HalfCheetah-v5", NULL, base, 17);
    trace("HalfCheetah-v5", "body_mass_scale=1, friction_scale=1, gravity=-9.81", same1, 17);
    assert_memory_equal(base, same1, sizeof base);
    trace("HalfCheetah-v5", "body_mass_scale=2", heavy, 17);
    trace("HalfCheetah-v5", "friction_scale=0.2", slippery, 17);
    trace("HalfCheetah-v5", "gravity=0", nograv, 17);
    assert_true(memcmp(base, heavy, sizeof base) != 0);
    assert_true(memcmp(base, slippery, sizeof base) != 0);
    assert_true(memcmp(base, nograv, sizeof base) != 0);
    /* the mass scale reached the model */
    rlc_env *env = make("Hopper-v5", "body_mass_scale=2.5");
    const double *mass = rlc__mj_body_mass(mj(env));
    rlc_env *ref = make("Hopper-v5", NULL);
    const double *mass0 = rlc__mj_body_mass(mj(ref));
    for (int b = 1; b < mj(env)->nbody; b++)
        assert_true(mass[b] == mass0[b] * 2.5);
    rlc_env_destroy(env);
    rlc_env_destroy(ref);

    /* reset noise 0: the initial state exactly */
    env = make("HalfCheetah-v5", "reset_noise_scale=0");
    double obs[RLC__MJ_MAXOBS];
    assert_int_equal(rlc_env_reset(env, 5, obs), RLC_OK);
    for (int i = 0; i < 17; i++)
        assert_true(obs[i] == 0.0);
    rlc_env_destroy(env);

    /* observation switches, frame_skip, weights */
    env = make("HalfCheetah-v4", "exclude_current_positions_from_observation=false");
    assert_int_equal(rlc_env_obs_space(env)->size, 18);
    rlc_env_destroy(env);
    env = make("Ant-v4", "use_contact_forces=true");
    assert_int_equal(rlc_env_obs_space(env)->size, 27 + 84);
    rlc_env_destroy(env);
    env = make("Ant-v5", "include_cfrc_ext_in_observation=false");
    assert_int_equal(rlc_env_obs_space(env)->size, 27);
    rlc_env_destroy(env);
    env = make("Humanoid-v5", "include_cinert_in_observation=false,include_cvel_in_observation=0");
    assert_int_equal(rlc_env_obs_space(env)->size, 348 - 130 - 78);
    rlc_env_destroy(env);
    env = make("Hopper-v5", "frame_skip=8");
    assert_true(mj(env)->dt == 0.002 * 8);
    rlc_env_destroy(env);
    env = make("Hopper-v5", "ctrl_cost_weight=0,healthy_reward=0,forward_reward_weight=0");
    float zero[3] = {0.5f, 0.5f, 0.5f};
    rlc_step_result res;
    assert_int_equal(rlc_env_reset(env, 0, NULL), RLC_OK);
    assert_int_equal(rlc_env_step(env, zero, NULL, &res), RLC_OK);
    assert_true(res.reward == 0.0);
    rlc_env_destroy(env);
    env = make("Hopper-v5", "healthy_z_min=5"); /* unhealthy at once */
    assert_int_equal(rlc_env_reset(env, 0, NULL), RLC_OK);
    assert_int_equal(rlc_env_step(env, zero, NULL, &res), RLC_OK);
    assert_true(res.terminated);
    rlc_env_destroy(env);

    rlc_env *bad = NULL;
    assert_int_equal(rlc_env_make(&bad, "Hopper-v5", "body_mass_scale=0"), RLC_ERR_RANGE);
    assert_int_equal(rlc_env_make(&bad, "Hopper-v5", "frame_skip=0"), RLC_ERR_RANGE);
    assert_int_equal(rlc_env_make(&bad, "Ant-v5", "main_body=99"), RLC_ERR_RANGE);
    assert_contains(rlc_last_error(), "main_body");
    assert_null(bad);
}

static void test_bad_action(void **st) {
    (void)st;
    SKIP_WITHOUT_MUJOCO();
    rlc_env *env = make("Hopper-v5", NULL);
    double obs[16], obs2[16], v[12], v2[12];
    assert_int_equal(rlc_env_reset(env, 0, obs), RLC_OK);
    assert_int_equal(rlc_env_get_state_vector(env, v), RLC_OK);
    float a[3] = {0.1f, NAN, 0.2f};
    rlc_step_result res;
    assert_int_equal(rlc_env_step(env, a, obs2, &res), RLC_ERR_RANGE);
    assert_contains(rlc_last_error(), "not finite");
    a[1] = INFINITY;
    assert_int_equal(rlc_env_step(env, a, obs2, &res), RLC_ERR_RANGE);
    assert_int_equal(rlc_env_get_state_vector(env, v2), RLC_OK);
    assert_memory_equal(v, v2, sizeof v);
    assert_int_equal(rlc_env_observe(env, obs2), RLC_OK);
    assert_memory_equal(obs, obs2, 11 * sizeof(double));
    /* out-of-range finite actions are accepted (MuJoCo clamps ctrl; the cost uses the raw one) */
    float big[3] = {100, -100, 1.5f};
    assert_int_equal(rlc_env_step(env, big, obs2, &res), RLC_OK);
    double v3[12] = {0};
    v3[1] = NAN;
    assert_int_equal(rlc_env_set_state_vector(env, v3, 12), RLC_ERR_RANGE);
    assert_int_equal(rlc_env_set_state_vector(env, v3, 5), RLC_ERR_INVALID);
    rlc_env_destroy(env);
}

static void test_model_file_errors(void **st) {
    (void)st;
    char path[512];
    const char *old = getenv("RLC_DATA_DIR");
    char *saved = old ? strdup(old) : NULL;
    /* not found: the message names the file and every place tried */
    setenv("RLC_DATA_DIR", "/nonexistent/rlc-data", 1);
    assert_int_equal(rlc__mj_find_xml(NULL, "no_such_model.xml", path, sizeof path),
                     RLC_ERR_NOT_FOUND);
    assert_contains(rlc_last_error(), "no_such_model.xml");
    assert_contains(rlc_last_error(), "/nonexistent/rlc-data/mujoco/no_such_model.xml");
    assert_contains(rlc_last_error(), "data/mujoco/no_such_model.xml");
    assert_contains(rlc_last_error(), "RLC_DATA_DIR");
    assert_int_equal(rlc__mj_find_xml("/nonexistent/x.xml", "hopper.xml", path, sizeof path),
                     RLC_ERR_NOT_FOUND);
    assert_contains(rlc_last_error(), "/nonexistent/x.xml");
    /* the bundled models are found from the repository root */
    assert_int_equal(rlc__mj_find_xml(NULL, "hopper.xml", path, sizeof path), RLC_OK);
    assert_non_null(strstr(path, "mujoco/hopper.xml"));
    if (rlc__mujoco_available()) {
        /* $RLC_DATA_DIR comes first; a broken file is reported with MuJoCo's message */
        char dir[512], file[600];
        snprintf(dir, sizeof dir, "%s/mujoco", rlc_test_tmpdir());
        mkdir(dir, 0700);
        snprintf(file, sizeof file, "%s/hopper.xml", dir);
        FILE *f = fopen(file, "w");
        assert_non_null(f);
        fputs("<mujoco><worldbody><body><geom type='nonsense'/></body></worldbody></mujoco>\n", f);
        fclose(f);
        setenv("RLC_DATA_DIR", rlc_test_tmpdir(), 1);
        rlc_env *env = NULL;
        assert_int_equal(rlc_env_make(&env, "Hopper-v5", NULL), RLC_ERR_FORMAT);
        assert_null(env);
        assert_contains(rlc_last_error(), file);
        remove(file);
        /* an xml override (the `xml=PATH` kwarg) replaces the bundled file, and must
         * keep the env's nq + nv */
        static rlc__mj_env e;
        double common[RLC__MJ_NCOMMON] = {1, 1, -9.81, 0};
        memset(&e, 0, sizeof e);
        assert_int_equal(rlc__mj_set_xml(&e, "data/mujoco/walker2d_v5.xml"), RLC_OK);
        assert_int_equal(rlc__mj_open(&e, "hopper.xml", 4, common, 18, 6), RLC_OK);
        assert_int_equal(e.nbody, 8);
        rlc__mj_fini(&e);
        memset(&e, 0, sizeof e);
        assert_int_equal(rlc__mj_set_xml(&e, "data/mujoco/ant.xml"), RLC_OK);
        assert_int_equal(rlc__mj_open(&e, "hopper.xml", 4, common, 12, 3), RLC_ERR_FORMAT);
        assert_contains(rlc_last_error(), "nq + nv = 15 + 14 = 29");
        rlc__mj_fini(&e);
        memset(&e, 0, sizeof e);
        assert_int_equal(rlc__mj_set_xml(&e, "/nonexistent/model.xml"), RLC_OK);
        assert_int_equal(rlc__mj_open(&e, "hopper.xml", 4, common, 12, 3), RLC_ERR_NOT_FOUND);
        assert_contains(rlc_last_error(), "/nonexistent/model.xml");
        rlc__mj_fini(&e);
    } else {
        /* without libmujoco the ids are not registered, and the model loader says why */
        rlc_env *env = NULL;
        unsetenv("RLC_DATA_DIR");
        assert_int_equal(rlc_env_make(&env, "Hopper-v5", NULL), RLC_ERR_NOT_FOUND);
        rlc__mj_env e;
        memset(&e, 0, sizeof e);
        double common[RLC__MJ_NCOMMON] = {1, 1, -9.81, 0};
        assert_int_equal(rlc__mj_open(&e, "hopper.xml", 4, common, 12, 3), RLC_ERR_UNSUPPORTED);
        assert_contains(rlc_last_error(), "libmujoco");
    }
    if (saved) {
        setenv("RLC_DATA_DIR", saved, 1);
        free(saved);
    } else {
        unsetenv("RLC_DATA_DIR");
    }
}

/* Every MuJoCo id: spaces as Gymnasium documents them, finite runs, the time limit, info terms,
 * and reproducible seeding. */
static void test_all_ids(void **st) {
    (void)st;
    SKIP_WITHOUT_MUJOCO();
    static const int obs_dims[NIDS] = {17, 17, 11, 11, 17, 17, 27, 105, 4,
                                       4,  11, 9,  11, 10, 8,  8,  376, 348};
    static const int act_dims[NIDS] = {6, 6, 3, 3, 6, 6, 8, 8, 1, 1, 1, 1, 2, 2, 2, 2, 17, 17};
    static const char *const info_keys[NIDS] = {
        "reward_run",     "reward_forward",  "x_velocity",
        "reward_survive", "x_velocity",      "reward_ctrl",
        "forward_reward", "reward_contact",  "",
        "reward_survive", "reward_survive",  "distance_penalty",
        "reward_dist",    "reward_ctrl",     "reward_fwd",
        "y_velocity",     "reward_quadctrl", "reward_contact"};
    for (int k = 0; k < NIDS; k++) {
        const char *id = MUJOCO_IDS[k];
        rlc_env *env = make(id, NULL);
        assert_int_equal(rlc_env_obs_space(env)->size, obs_dims[k]);
        assert_int_equal(rlc_env_action_space(env)->size, act_dims[k]);
        rlc_rng rng;
        rlc_rng_seed(&rng, 11);
        double obs[RLC__MJ_MAXOBS], first[RLC__MJ_MAXOBS];
        float a[RLC__MJ_MAXU];
        assert_int_equal(rlc_env_reset(env, 42, first), RLC_OK);
        long steps = 0, episodes = 0;
        for (int t = 0; t < 300; t++) {
            rlc_step_result res;
            rlc_space_sample(rlc_env_action_space(env), &rng, a);
            assert_int_equal(rlc_env_step(env, a, obs, &res), RLC_OK);
            steps++;
            double x;
            if (!strcmp(id, "InvertedPendulum-v4"))
                assert_int_equal(rlc__mujoco_info(env, "reward_survive", &x), RLC_ERR_NOT_FOUND);
            else
                assert_int_equal(rlc__mujoco_info(env, info_keys[k], &x), RLC_OK);
            assert_true(isfinite(res.reward));
            for (int i = 0; i < obs_dims[k]; i++)
                if (!isfinite(obs[i])) fail_msg("%s: obs[%d] not finite at step %d", id, i, t);
            if (res.terminated || res.truncated) {
                episodes++;
                if (res.truncated)
                    assert_int_equal(res.episode_length, rlc_env_max_episode_steps(env));
                assert_int_equal(rlc_env_reset(env, RLC_ENV_NO_SEED, obs), RLC_OK);
            }
        }
        double x;
        if (strstr(id, "Reacher")) assert_int_equal(episodes, 6); /* 50-step episodes */
        assert_true(steps == 300);
        assert_int_equal(rlc__mujoco_info(env, "no_such_key", &x), RLC_ERR_NOT_FOUND);
        /* same seed, same start */
        assert_int_equal(rlc_env_reset(env, 42, obs), RLC_OK);
        assert_memory_equal(obs, first, (size_t)obs_dims[k] * sizeof(double));
        rlc_env_destroy(env);
    }
}

/* Facts of the envs without golden data, checked by hand from Gymnasium's source. */
static void test_ungolden_facts(void **st) {
    (void)st;
    SKIP_WITHOUT_MUJOCO();
    double obs[RLC__MJ_MAXOBS];
    rlc_step_result res;
    /* Reacher: the target lies in the disk of radius 0.2, its velocity is 0; the obs is
     * cos, sin of the arm angles, the target, the arm velocities, fingertip - target */
    rlc_env *env = make("Reacher-v5", NULL);
    for (int s = 0; s < 20; s++) {
        assert_int_equal(rlc_env_reset(env, s, obs), RLC_OK);
        const rlc__mj_env *e = mj(env);
        assert_true(hypot(e->s.qpos[2], e->s.qpos[3]) < 0.2);
        assert_true(e->s.qvel[2] == 0 && e->s.qvel[3] == 0);
        assert_true(obs[0] == cos(e->s.qpos[0]) && obs[3] == sin(e->s.qpos[1]));
        assert_true(obs[4] == e->s.qpos[2] && obs[5] == e->s.qpos[3]);
        float a[2] = {0.5f, -0.5f};
        assert_int_equal(rlc_env_step(env, a, obs, &res), RLC_OK);
        double d = -hypot(hypot(e->s.pre[0], e->s.pre[1]), e->s.pre[2]);
        assert_close(res.reward, d - 0.5, 1e-12);
    }
    rlc_env_destroy(env);
    /* InvertedDoublePendulum: upright at rest earns about 10 - (1.2 - 2)^2 */
    env = make("InvertedDoublePendulum-v5", "reset_noise_scale=0");
    assert_int_equal(rlc_env_reset(env, 0, obs), RLC_OK);
    assert_true(obs[0] == 0 && obs[1] == 0 && obs[3] == 1 && obs[4] == 1);
    float z = 0;
    assert_int_equal(rlc_env_step(env, &z, obs, &res), RLC_OK);
    assert_false(res.terminated);
    assert_close(res.reward, 10 - 0.8 * 0.8, 0.05);
    rlc_env_destroy(env);
    /* Humanoid: terminated once the torso drops below z = 1 (no control) */
    env = make("Humanoid-v5", NULL);
    assert_int_equal(rlc_env_reset(env, 0, obs), RLC_OK);
    float zero[17] = {0};
    int t = 0;
    do {
        assert_int_equal(rlc_env_step(env, zero, obs, &res), RLC_OK);
        t++;
    } while (!res.terminated && t < 1000);
    assert_true(res.terminated);
    assert_true(mj(env)->s.qpos[2] <= 1.0);
    assert_true(t < 200);
    rlc_env_destroy(env);
    /* Swimmer never terminates; its obs leaves out x, y */
    env = make("Swimmer-v5", NULL);
    assert_int_equal(rlc_env_reset(env, 0, obs), RLC_OK);
    assert_true(obs[0] == mj(env)->s.qpos[2]);
    rlc_env_destroy(env);
}

/* A vector env of MuJoCo envs stepped by worker threads gives the serial results (each env owns
 * its mjData; model loading is serialised). */
static void test_vec_env_threads(void **st) {
    (void)st;
    SKIP_WITHOUT_MUJOCO();
    enum { N = 6, T = 40 };
    double *out[2];
    for (int k = 0; k < 2; k++) {
        rlc_vec_env_options opt;
        memset(&opt, 0, sizeof opt);
        opt.num_threads = k ? 3 : 1;
        rlc_vec_env *v = NULL;
        assert_int_equal(rlc_vec_env_create(&v, "Ant-v5", NULL, N, &opt), RLC_OK);
        assert_int_equal(rlc_vec_env_reset(v, 10), RLC_OK);
        out[k] = calloc((size_t)T * N * 106, sizeof(double));
        rlc_rng rng;
        rlc_rng_seed(&rng, 3);
        for (int t = 0; t < T; t++) {
            float *a = v->actions;
            for (int i = 0; i < N; i++)
                rlc_space_sample(v->action_space, &rng, a + 8 * i);
            assert_int_equal(rlc_vec_env_step(v, NULL), RLC_OK);
            double *o = out[k] + (size_t)t * N * 106;
            memcpy(o, v->obs, (size_t)N * 105 * sizeof(double));
            memcpy(o + N * 105, v->rewards, N * sizeof(double));
        }
        rlc_vec_env_destroy(v);
    }
    assert_memory_equal(out[0], out[1], (size_t)T * N * 106 * sizeof(double));
    free(out[0]);
    free(out[1]);
}

RLC_TESTS(env_mujoco, cmocka_unit_test(test_golden_half_cheetah_v4),
          cmocka_unit_test(test_golden_half_cheetah_v5), cmocka_unit_test(test_golden_hopper_v4),
          cmocka_unit_test(test_golden_hopper_v5), cmocka_unit_test(test_golden_walker2d_v4),
          cmocka_unit_test(test_golden_walker2d_v5),
          cmocka_unit_test(test_golden_inverted_pendulum_v4),
          cmocka_unit_test(test_golden_inverted_pendulum_v5), cmocka_unit_test(test_golden_ant_v4),
          cmocka_unit_test(test_golden_ant_v5), cmocka_unit_test(test_snapshot_roundtrip),
          cmocka_unit_test(test_kwargs), cmocka_unit_test(test_bad_action),
          cmocka_unit_test(test_model_file_errors), cmocka_unit_test(test_all_ids),
          cmocka_unit_test(test_ungolden_facts), cmocka_unit_test(test_vec_env_threads))
