/* The trainer loop's runs: exact resume from a checkpoint (API and `rlc train --resume`),
 * `rlc plot` and `rlc bench learn`, and same-seed determinism of progress.csv. */
#include "test.h"

#include <math.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include "rlc/agent.h"
#include "rlc/dataset.h"
#include "rlc/safetensors.h"

static rlc_ppo_config small_config(void) {
    rlc_ppo_config c;
    rlc_config_defaults(rlc_ppo_config_table(), &c);
    c.num_envs = 4;
    c.n_steps = 32;
    c.lr = 2.5e-3;
    c.norm_obs = 1;
    c.norm_reward = 1;
    return c;
}

/* Trains PPO for `steps` with checkpoints at `ck` (may be NULL); returns the agent. */
static rlc_agent *train_ck(uint64_t seed, int64_t steps, const rlc_train_checkpoint *ck,
                           rlc_train_result *res) {
    rlc_ppo_config c = small_config();
    rlc_agent *a = NULL;
    if (rlc_agent_create(&a, "ppo", "CartPole-v1", NULL, &c, seed))
        fail_msg("create: %s", rlc_last_error());
    rlc_train_options o = {.total_steps = steps};
    if (rlc_agent_train_resumable(a, seed, &o, ck, res)) fail_msg("train: %s", rlc_last_error());
    return a;
}

static void assert_same_params(rlc_agent *a, rlc_agent *b) {
    rlc_params *pa = rlc_agent_params(a), *pb = rlc_agent_params(b);
    assert_int_equal(rlc_params_count(pa), rlc_params_count(pb));
    assert_memory_equal(rlc_params_data(pa), rlc_params_data(pb),
                        sizeof(float) * (size_t)rlc_params_count(pa));
}

/* Killed after a checkpoint and resumed in a fresh agent: the same final parameters, bit for
 * bit, as one uninterrupted run (which also checkpoints, as a real run does). */
static void test_resume_exact_api(void **st) {
    (void)st;
    char path[512], path2[512];
    snprintf(path, sizeof path, "%s/trainer_ck.safetensors", rlc_test_tmpdir());
    snprintf(path2, sizeof path2, "%s/trainer_ck_full.safetensors", rlc_test_tmpdir());
    const int64_t steps = 4096;
    rlc_train_result full_res, part_res, rest_res;
    /* every = 1000 is not a multiple of the 128-step rollout: the kill falls mid-rollout */
    rlc_train_checkpoint ckf = {.path = path2, .every = 1000};
    rlc_agent *full = train_ck(3, steps, &ckf, &full_res);
    assert_int_equal(full_res.steps, steps);
    rlc_train_checkpoint ck = {.path = path, .every = 1000, .stop_at = 1500};
    rlc_agent *part = train_ck(3, steps, &ck, &part_res);
    assert_true(part_res.steps >= 1500 && part_res.steps < steps);
    rlc_agent_destroy(part);
    rlc_st_file *f = NULL;
    assert_int_equal(rlc_st_load(path, &f), RLC_OK);
    assert_non_null(rlc_st_get(f, "env.state"));
    assert_non_null(rlc_st_get(f, "ppo.rng_act"));
    assert_non_null(rlc_st_get(f, "obs_norm.mean"));
    assert_string_equal(rlc_st_meta(f, "rlc.ckpt.resumable"), "1");
    const rlc_st_tensor *rt = rlc_st_get(f, "ppo.rollout_t");
    assert_non_null(rt);
    int64_t t_saved;
    memcpy(&t_saved, rt->data, sizeof t_saved);
    assert_true(t_saved > 0 && t_saved < 32);
    assert_int_equal(rlc_st_get(f, "ppo.rollout.obs")->shape[0], t_saved * 4);
    rlc_st_file_destroy(f);
    ck.resume = 1;
    ck.stop_at = 0;
    rlc_agent *rest = train_ck(3, steps, &ck, &rest_res);
    assert_int_equal(rest_res.steps, steps);
    assert_int_equal(rest_res.episodes, full_res.episodes);
    assert_int_equal(rest_res.updates, full_res.updates);
    assert_same_params(full, rest);
    /* a wrong seed or length is refused clearly */
    rlc_ppo_config c = small_config();
    rlc_agent *b = NULL;
    assert_int_equal(rlc_agent_create(&b, "ppo", "CartPole-v1", NULL, &c, 4), RLC_OK);
    rlc_train_options o = {.total_steps = steps};
    assert_int_equal(rlc_agent_train_resumable(b, 4, &o, &ck, NULL), RLC_ERR_FORMAT);
    assert_non_null(strstr(rlc_last_error(), "seed"));
    o.total_steps = 2 * steps;
    assert_int_equal(rlc_agent_train_resumable(b, 3, &o, &ck, NULL), RLC_ERR_FORMAT);
    assert_non_null(strstr(rlc_last_error(), "total_steps"));
    char missing[600];
    snprintf(missing, sizeof missing, "%s/nothing.safetensors", rlc_test_tmpdir());
    ck.path = missing;
    assert_int_equal(rlc_agent_train_resumable(b, 3, &o, &ck, NULL), RLC_ERR_NOT_FOUND);
    rlc_agent_destroy(b);
    rlc_agent_destroy(full);
    rlc_agent_destroy(rest);
}

/* Runs `cmd` with stderr merged; returns the exit status, output in *out (malloc). */
static int run(const char *cmd, char **out) {
    char full[4200];
    snprintf(full, sizeof full, "%s 2>&1", cmd);
    FILE *p = popen(full, "r");
    assert_non_null(p);
    size_t cap = 1 << 16, len = 0;
    char *buf = malloc(cap);
    size_t k;
    while ((k = fread(buf + len, 1, cap - len - 1, p)) > 0) {
        len += k;
        if (cap - len < 4096) buf = realloc(buf, cap *= 2);
    }
    buf[len] = 0;
    int s = pclose(p);
    *out = buf;
    return WIFEXITED(s) ? WEXITSTATUS(s) : -1;
}

static char *expect(const char *args, int code, const char *msg) {
    char cmd[4096], *out;
    snprintf(cmd, sizeof cmd, "%s %s", rlc_test_rlc_binary(), args);
    int rc = run(cmd, &out);
    if (rc != code) fail_msg("`%s`: exit %d (expected %d), output:\n%s", args, rc, code, out);
    if (msg && !strstr(out, msg)) fail_msg("`%s`: output lacks '%s':\n%s", args, msg, out);
    return out;
}

static char *slurp(const char *path) {
    FILE *f = fopen(path, "rb");
    if (!f) fail_msg("cannot open %s", path);
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *b = malloc((size_t)n + 1);
    assert_int_equal(fread(b, 1, (size_t)n, f), (size_t)n);
    b[n] = 0;
    fclose(f);
    return b;
}

/* progress.csv without its fps column (wall-clock) */
static char *csv_without_fps(const char *path) {
    char *s = slurp(path);
    /* find the fps column index from the header */
    char *nl = strchr(s, '\n');
    assert_non_null(nl);
    int col = -1, c = 0;
    for (char *p = s, *q; p < nl; p = q + 1, c++) {
        q = p;
        while (q < nl && *q != ',')
            q++;
        if (q - p == 3 && !strncmp(p, "fps", 3)) col = c;
    }
    assert_true(col >= 0);
    char *out = malloc(strlen(s) + 1), *w = out;
    c = 0;
    for (const char *p = s; *p; p++) {
        if (*p == '\n') {
            *w++ = '\n';
            c = 0;
            continue;
        }
        if (*p == ',') {
            c++;
            if (c == col) continue; /* drop the comma that opens the fps cell */
        }
        if (c != col) *w++ = *p;
    }
    *w = 0;
    free(s);
    return out;
}

static void params_file_equal(const char *pa, const char *pb) {
    rlc_st_file *a = NULL, *b = NULL;
    assert_int_equal(rlc_st_load(pa, &a), RLC_OK);
    assert_int_equal(rlc_st_load(pb, &b), RLC_OK);
    assert_int_equal(rlc_st_count(a), rlc_st_count(b));
    for (int i = 0; i < rlc_st_count(a); i++) {
        const rlc_st_tensor *ta = rlc_st_at(a, i), *tb = rlc_st_get(b, ta->name);
        assert_non_null(tb);
        assert_int_equal(ta->nbytes, tb->nbytes);
        if (memcmp(ta->data, tb->data, ta->nbytes)) fail_msg("tensor %s differs", ta->name);
    }
    rlc_st_file_destroy(a);
    rlc_st_file_destroy(b);
}

#define TRAIN_ARGS                                                                                 \
    "train --env CartPole-v1 --steps 4096 --seed 2 --set num_envs=4 "                              \
    "--set n_steps=32 --quiet --log-interval 256"

static void test_cli_resume(void **st) {
    (void)st;
    if (getenv("RLC_VALGRIND")) skip(); /* spawns the rlc program */
    const char *tmp = rlc_test_tmpdir();
    char args[2048], a[600], b[600], c[600], p1[700], p2[700];
    snprintf(a, sizeof a, "%s/tr_full", tmp);
    snprintf(b, sizeof b, "%s/tr_killed", tmp);
    snprintf(c, sizeof c, "%s/tr_again", tmp);
    snprintf(args, sizeof args, TRAIN_ARGS " --out %s", a);
    free(expect(args, 0, NULL));
    snprintf(args, sizeof args, TRAIN_ARGS " --out %s", c);
    free(expect(args, 0, NULL));
    snprintf(args, sizeof args, TRAIN_ARGS " --checkpoint-every 1024 --stop-at 2000 --out %s", b);
    free(expect(args, 0, "stopped"));
    snprintf(p1, sizeof p1, "%s/final.safetensors", b);
    struct stat sb;
    assert_int_not_equal(stat(p1, &sb), 0);
    /* --set that differs from the saved config is refused; the same value is accepted */
    snprintf(args, sizeof args, "train --resume %s --set lr=0.1 --quiet", b);
    free(expect(args, 2, "lr"));
    snprintf(args, sizeof args, "train --resume %s --set num_envs=4 --quiet", b);
    free(expect(args, 0, NULL));
    snprintf(p1, sizeof p1, "%s/final.safetensors", a);
    snprintf(p2, sizeof p2, "%s/final.safetensors", b);
    params_file_equal(p1, p2);
    /* progress.csv continues: identical to the uninterrupted run's, except fps */
    snprintf(p1, sizeof p1, "%s/progress.csv", a);
    snprintf(p2, sizeof p2, "%s/progress.csv", b);
    char *x = csv_without_fps(p1), *y = csv_without_fps(p2);
    assert_string_equal(x, y);
    free(y);
    /* determinism: the same seed twice gives the same progress.csv (but fps) */
    snprintf(p2, sizeof p2, "%s/progress.csv", c);
    y = csv_without_fps(p2);
    assert_string_equal(x, y);
    free(x);
    free(y);
    /* missing or foreign folders */
    snprintf(args, sizeof args, "train --resume %s/nothing", tmp);
    free(expect(args, 2, "nothing"));
    snprintf(args, sizeof args, "mkdir -p %s/foreign && echo hi > %s/foreign/x.txt", tmp, tmp);
    assert_int_equal(system(args), 0);
    snprintf(args, sizeof args, "train --resume %s/foreign", tmp);
    free(expect(args, 2, "not an rlc run folder"));
    /* off-policy runs resume exactly too (replay contents in the checkpoint), here killed
     * before learning starts (step 1000 with the tuned CartPole defaults) */
#define DQN_ARGS                                                                                   \
    "train --env CartPole-v1 --algo dqn --steps 1600 --checkpoint-every 500 --set hidden=32 "      \
    "--set gradient_steps=8 --quiet"
    snprintf(args, sizeof args, DQN_ARGS " --out %s/dqn_full", tmp);
    free(expect(args, 0, NULL));
    snprintf(args, sizeof args, DQN_ARGS " --stop-at 600 --out %s/dqn", tmp);
    free(expect(args, 0, "stopped"));
    snprintf(args, sizeof args, "train --resume %s/dqn", tmp);
    free(expect(args, 0, NULL));
    snprintf(p1, sizeof p1, "%s/dqn_full/final.safetensors", tmp);
    snprintf(p2, sizeof p2, "%s/dqn/final.safetensors", tmp);
    params_file_equal(p1, p2);
#undef DQN_ARGS
}

/* Offline runs (`rlc train --algo X --dataset D`) killed after a checkpoint and resumed end
 * with the uninterrupted run's parameters, optimizer states and progress.csv, for every
 * offline algorithm (TD3+BC's delays and noise, IQL's cosine schedule, CQL's temperatures and
 * sampled actions, discrete CQL); foreign, missing and corrupt checkpoints are refused with a
 * message and leave the folder's checkpoint as it was. */
static void test_cli_offline_resume(void **st) {
    (void)st;
    if (getenv("RLC_VALGRIND")) skip(); /* spawns the rlc program */
    const char *tmp = rlc_test_tmpdir();
    char args[2048], p1[700], p2[700];
    static const char *const runs[][2] = {{"td3bc", "pendulum_expert"}, {"iql", "pendulum_expert"},
                                          {"cql", "pendulum_expert"},   {"awac", "pendulum_expert"},
                                          {"bc", "pendulum_expert"},    {"cql", "cartpole_expert"}};
    for (int r = 0; r < 6; r++) {
#define OFF_ARGS                                                                                       "train --algo %s --dataset tests/data/offline/%s --steps 300 --checkpoint-every 100 --seed 4 "     "--set hidden=32 --set eval_every=150 --set eval_episodes=1 --quiet --log-interval 50"
        snprintf(args, sizeof args, OFF_ARGS " --out %s/off%d_full", runs[r][0], runs[r][1], tmp, r);
        free(expect(args, 0, NULL));
        snprintf(args, sizeof args, OFF_ARGS " --stop-at 150 --out %s/off%d", runs[r][0],
                 runs[r][1], tmp, r);
        free(expect(args, 0, "stopped at update 200"));
        snprintf(p1, sizeof p1, "%s/off%d/final.safetensors", tmp, r);
        struct stat sb;
        assert_int_not_equal(stat(p1, &sb), 0);
        snprintf(args, sizeof args, "train --resume %s/off%d --quiet", tmp, r);
        free(expect(args, 0, NULL));
        snprintf(p1, sizeof p1, "%s/off%d_full/final.safetensors", tmp, r);
        snprintf(p2, sizeof p2, "%s/off%d/final.safetensors", tmp, r);
        params_file_equal(p1, p2); /* parameters and optimizer states */
        snprintf(p1, sizeof p1, "%s/off%d_full/progress.csv", tmp, r);
        snprintf(p2, sizeof p2, "%s/off%d/progress.csv", tmp, r);
        char *x = slurp(p1), *y = slurp(p2);
        assert_string_equal(x, y);
        free(x);
        free(y);
    }
    /* a --set or option that differs from the saved config is refused */
    snprintf(args, sizeof args, "train --resume %s/off0 --set hidden=64", tmp);
    free(expect(args, 2, "hidden=64 differs from the run's config.json"));
    snprintf(args, sizeof args, "train --resume %s/off0 --steps 500", tmp);
    free(expect(args, 2, "--steps differs"));
    /* the checkpoint of another run (IQL's in TD3+BC's folder): refused before progress.csv
     * is cut back */
    snprintf(p2, sizeof p2, "%s/off0/progress.csv", tmp);
    char *before = slurp(p2);
    snprintf(args, sizeof args, "cp %s/off1/checkpoint.safetensors %s/off0/checkpoint.safetensors",
             tmp, tmp);
    assert_int_equal(system(args), 0);
    snprintf(args, sizeof args, "train --resume %s/off0", tmp);
    free(expect(args, 2, "checkpoint of another run (algo iql, expected td3bc)"));
    char *after = slurp(p2);
    assert_string_equal(before, after);
    free(before);
    free(after);
    /* a plain agent file is not resumable; a truncated one is refused by the reader */
    snprintf(args, sizeof args, "cp %s/off0/final.safetensors %s/off0/checkpoint.safetensors",
             tmp, tmp);
    assert_int_equal(system(args), 0);
    rlc_agent *ag = NULL;
    snprintf(p1, sizeof p1, "%s/off0/checkpoint.safetensors", tmp);
    assert_int_equal(rlc_agent_load(&ag, p1, 0), RLC_OK); /* checkpoints load as agents */
    assert_int_equal(rlc_agent_save(ag, p1), RLC_OK);      /* the agent alone */
    rlc_agent_destroy(ag);
    snprintf(args, sizeof args, "train --resume %s/off0", tmp);
    free(expect(args, 2, "is not a resumable checkpoint of an offline run"));
    snprintf(args, sizeof args, "truncate -s 100 %s/off0/checkpoint.safetensors", tmp);
    assert_int_equal(system(args), 0);
    snprintf(args, sizeof args, "train --resume %s/off0", tmp);
    free(expect(args, 2, "--resume"));
    assert_int_equal(stat(p1, &(struct stat){0}), 0);
    snprintf(args, sizeof args, "rm %s/off0/checkpoint.safetensors", tmp);
    assert_int_equal(system(args), 0);
    snprintf(args, sizeof args, "train --resume %s/off0", tmp);
    free(expect(args, 2, "no checkpoint.safetensors"));
#undef OFF_ARGS
}

/* `rlc train --record-dataset`: every transition of the training run in a dataset. Checked
 * against the env itself: the first episode of each sub-env (reset with seed + i) replayed
 * with the recorded actions gives the recorded observations, rewards and flags; every episode
 * but the ones cut by the end of training ends at its first termination or truncation; worker
 * threads do not change the dataset; refusals by message. */
static void test_cli_record_dataset(void **st) {
    (void)st;
    if (getenv("RLC_VALGRIND")) skip(); /* spawns the rlc program */
    const char *tmp = rlc_test_tmpdir();
    char args[2048], p1[700], p2[700];
#define REC_ARGS "train --env CartPole-v1 --algo ppo --steps 3000 --seed 5 --quiet --set num_envs=4"
    snprintf(p1, sizeof p1, "%s/rec1", tmp);
    snprintf(p2, sizeof p2, "%s/rec2.hdf5", tmp);
    snprintf(args, sizeof args, REC_ARGS " --out %s/rec_run1 --record-dataset %s", tmp, p1);
    free(expect(args, 0, NULL));
    snprintf(args, sizeof args, REC_ARGS " --set num_threads=2 --out %s/rec_run2 --record-dataset %s",
             tmp, p2);
    free(expect(args, 0, NULL));
    rlc_dataset *d = NULL, *d2 = NULL;
    assert_int_equal(rlc_dataset_load(&d, p1), RLC_OK);
    assert_int_equal(rlc_dataset_load(&d2, p2), RLC_OK);
    rlc_dataset_view v, v2;
    rlc_dataset_view_get(d, &v);
    rlc_dataset_view_get(d2, &v2);
    assert_string_equal(rlc_dataset_meta_get(d)->env_id, "CartPole-v1");
    assert_true(v.num_steps > 2900 && v.num_steps <= 3000 && v.num_episodes > 4);
    assert_int_equal(v.num_steps, v2.num_steps);
    assert_int_equal(v.num_episodes, v2.num_episodes);
    assert_memory_equal(v.observations, v2.observations,
                        sizeof(float) * (size_t)((v.num_steps + v.num_episodes) * 4));
    assert_memory_equal(v.actions, v2.actions, sizeof(float) * (size_t)v.num_steps);
    int cut = 0;
    for (int64_t e = 0; e < v.num_episodes; e++) {
        int64_t a = v.episode_offsets[e], b = v.episode_offsets[e + 1];
        for (int64_t t = a; t < b - 1; t++)
            assert_int_equal(v.terminations[t] | v.truncations[t], 0);
        assert_true(v.terminations[b - 1] | v.truncations[b - 1]);
        cut += !v.terminations[b - 1] && b - a < 500; /* cut by the end of training */
        assert_close(v.episode_returns[e], (double)(b - a), 0); /* CartPole: 1 per step */
    }
    assert_true(cut <= 4);
    for (int i = 0; i < 4; i++) {
        rlc_env *env = NULL;
        assert_int_equal(rlc_env_make(&env, "CartPole-v1", NULL), RLC_OK);
        float obs[4];
        assert_int_equal(rlc_env_reset(env, 5 + i, obs), RLC_OK);
        int64_t found = -1;
        for (int64_t e = 0; e < v.num_episodes && found < 0; e++)
            if (!memcmp(v.observations + (v.episode_offsets[e] + e) * 4, obs, sizeof obs)) found = e;
        if (found < 0) fail_msg("no episode starts with sub-env %d's first reset", i);
        int64_t a = v.episode_offsets[found], b = v.episode_offsets[found + 1];
        for (int64_t t = a; t < b; t++) {
            int64_t act = (int64_t)v.actions[t];
            rlc_step_result r;
            assert_int_equal(rlc_env_step(env, &act, obs, &r), RLC_OK);
            assert_memory_equal(v.observations + (t + 1 + found) * 4, obs, sizeof obs);
            assert_true(v.rewards[t] == (float)r.reward);
            assert_int_equal(v.terminations[t], r.terminated);
            assert_int_equal(v.truncations[t], t == b - 1 ? !r.terminated || r.truncated : r.truncated);
        }
        rlc_env_destroy(env);
    }
    rlc_dataset_destroy(d);
    rlc_dataset_destroy(d2);
    /* refusals: an existing OUT without --force, --resume */
    snprintf(args, sizeof args, REC_ARGS " --out %s/rec_run3 --record-dataset %s", tmp, p1);
    free(expect(args, 2, "exists (use --force to replace it)"));
    snprintf(args, sizeof args, "train --resume %s/rec_run1 --record-dataset %s/rec3", tmp, tmp);
    free(expect(args, 2, "--record-dataset works without --resume and MPI"));
#undef REC_ARGS
}

/* --eval-every: rows in eval.csv at every multiple and at the end, the last equal to `rlc
 * eval`; the training run is unchanged by it; a resumed run ends with the same eval.csv. */
static void test_cli_eval_every(void **st) {
    (void)st;
    if (getenv("RLC_VALGRIND")) skip(); /* spawns the rlc program */
    const char *tmp = rlc_test_tmpdir();
    char args[2048], p1[700], p2[700];
#define EVAL_ARGS TRAIN_ARGS " --eval-every 1024 --eval-episodes 2"
    snprintf(args, sizeof args, TRAIN_ARGS " --out %s/ev_plain", tmp);
    free(expect(args, 0, NULL));
    snprintf(args, sizeof args, EVAL_ARGS " --out %s/ev_full", tmp);
    free(expect(args, 0, NULL));
    snprintf(p1, sizeof p1, "%s/ev_plain/final.safetensors", tmp);
    snprintf(p2, sizeof p2, "%s/ev_full/final.safetensors", tmp);
    params_file_equal(p1, p2); /* evaluating does not change training */
    snprintf(p1, sizeof p1, "%s/ev_full/eval.csv", tmp);
    char *csv = slurp(p1);
    assert_true(!strncmp(csv, "step,return_mean,return_std,return_min,return_max,episodes\n", 58));
    long long steps[8];
    double mean = 0;
    int rows = 0;
    for (const char *l = strchr(csv, '\n'); l && l[1] && rows < 8; l = strchr(l + 1, '\n')) {
        double sd, mn, mx;
        int ep;
        assert_int_equal(sscanf(l + 1, "%lld,%lf,%lf,%lf,%lf,%d", &steps[rows], &mean, &sd, &mn,
                                &mx, &ep),
                         6);
        assert_int_equal(ep, 2);
        assert_true(mn <= mean && mean <= mx && sd >= 0);
        rows++;
    }
    assert_int_equal(rows, 4);
    for (int i = 0; i < 4; i++) assert_int_equal(steps[i], 1024 * (i + 1));
    /* the last row is the final policy's `rlc eval` */
    snprintf(args, sizeof args, "eval --run %s/ev_full --episodes 2", tmp);
    char *out = expect(args, 0, "mean"), want[64];
    snprintf(want, sizeof want, "mean %.2f ", mean);
    if (!strstr(out, want)) fail_msg("rlc eval printed\n%s\nexpected '%s' (eval.csv)", out, want);
    free(out);
    /* --force over the finished run starts eval.csv afresh */
    snprintf(args, sizeof args, EVAL_ARGS " --force --out %s/ev_full", tmp);
    free(expect(args, 0, NULL));
    char *again = slurp(p1);
    assert_string_equal(csv, again);
    free(again);
    /* killed and resumed: the same rows */
    snprintf(args, sizeof args, EVAL_ARGS " --checkpoint-every 1024 --stop-at 2500 --out %s/ev_kill",
             tmp);
    free(expect(args, 0, "stopped"));
    snprintf(args, sizeof args, "train --resume %s/ev_kill", tmp);
    free(expect(args, 0, NULL));
    snprintf(p2, sizeof p2, "%s/ev_kill/eval.csv", tmp);
    char *csv2 = slurp(p2);
    assert_string_equal(csv, csv2);
    free(csv);
    free(csv2);
    /* bad values name the option */
    free(expect("train --env CartPole-v1 --eval-every -5", 2, "--eval-every"));
    free(expect("train --env CartPole-v1 --eval-every 100 --eval-episodes 0", 2, "--eval-episodes"));
#undef EVAL_ARGS
}

static void test_cli_plot(void **st) {
    (void)st;
    if (getenv("RLC_VALGRIND")) skip();
    const char *tmp = rlc_test_tmpdir();
    char args[2048], r1[600], r2[600], svg[700];
    snprintf(r1, sizeof r1, "%s/plot_alpha", tmp);
    snprintf(r2, sizeof r2, "%s/plot_beta", tmp);
    snprintf(svg, sizeof svg, "%s/curves.svg", tmp);
    for (int i = 0; i < 2; i++) {
        snprintf(args, sizeof args,
                 "train --env CartPole-v1 --steps 1024 --seed %d --set num_envs=2 --quiet --out %s",
                 i, i ? r2 : r1);
        free(expect(args, 0, NULL));
    }
    snprintf(args, sizeof args, "plot %s %s --out %s", r1, r2, svg);
    free(expect(args, 0, "wrote"));
    char *s = slurp(svg);
    assert_non_null(strstr(s, "<svg"));
    assert_non_null(strstr(s, "</svg>"));
    assert_non_null(strstr(s, "plot_alpha"));
    assert_non_null(strstr(s, "plot_beta"));
    free(s);
    snprintf(args, sizeof args, "plot %s --y nokey --out %s", r1, svg);
    free(expect(args, 1, "nokey"));
    snprintf(args, sizeof args, "plot %s/none --out %s", tmp, svg);
    free(expect(args, 1, "progress.csv"));
}

static void test_cli_bench(void **st) {
    (void)st;
    if (getenv("RLC_VALGRIND")) skip();
    const char *tmp = rlc_test_tmpdir();
    char args[2048], dir[600], p[700];
    snprintf(dir, sizeof dir, "%s/bench", tmp);
    snprintf(args, sizeof args,
             "bench learn --env CartPole-v1 --algo ppo --seeds 2 --steps 1024 "
             "--set num_envs=2 --out %s",
             dir);
    char *out = expect(args, 0, "IQM");
    assert_non_null(strstr(out, "95% CI"));
    free(out);
    snprintf(p, sizeof p, "%s/results.csv", dir);
    char *s = slurp(p);
    assert_non_null(strstr(s, "seed,"));
    free(s);
    snprintf(p, sizeof p, "%s/curve.svg", dir);
    s = slurp(p);
    assert_non_null(strstr(s, "</svg>"));
    free(s);
    free(expect("bench learn --env CartPole-v1 --seeds 0", 2, "--seeds"));
    /* offline: the final return as D4RL's normalised score, per seed and as IQM with CI;
     * normalised = 100 (R - random) / (expert - random) with the dataset's reference scores */
    snprintf(args, sizeof args,
             "bench learn --algo bc --dataset tests/data/offline/pendulum_expert --seeds 2 "
             "--steps 300 --set hidden=32 --set eval_every=150 --out %s/bench_off",
             tmp);
    out = expect(args, 0, "normalised score (D4RL, random");
    free(out);
    snprintf(p, sizeof p, "%s/bench_off/results.csv", tmp);
    s = slurp(p);
    rlc_dataset *d = NULL;
    assert_int_equal(rlc_dataset_load(&d, "tests/data/offline/pendulum_expert"), RLC_OK);
    double lo = rlc_dataset_meta_get(d)->ref_min_score, hi = rlc_dataset_meta_get(d)->ref_max_score;
    rlc_dataset_destroy(d);
    assert_true(isfinite(lo) && isfinite(hi) && hi > lo);
    char *row = strstr(s, "\n0,");
    assert_non_null(row);
    double ret = strtod(row + 3, NULL), norm = NAN;
    const char *c = row + 1;
    for (int k = 0; k < 5 && c; k++) c = strchr(c + 1, ',');
    assert_non_null(c);
    norm = strtod(c + 1, NULL);
    assert_close(norm, 100 * (ret - lo) / (hi - lo), 1e-9);
    free(s);
    /* --jobs 3: the seeds in child processes, the same per-seed returns as one after the
     * other (only the wall-time column may differ) */
    snprintf(args, sizeof args,
             "bench learn --algo bc --dataset tests/data/offline/pendulum_expert --seeds 3 "
             "--steps 300 --set hidden=32 --set eval_every=150 --jobs 3 --out %s/bench_j3",
             tmp);
    free(expect(args, 0, "elapsed"));
    snprintf(args, sizeof args,
             "bench learn --algo bc --dataset tests/data/offline/pendulum_expert --seeds 3 "
             "--steps 300 --set hidden=32 --set eval_every=150 --out %s/bench_j1",
             tmp);
    free(expect(args, 0, "with 1 job"));
    char *rows[2];
    for (int k = 0; k < 2; k++) {
        snprintf(p, sizeof p, "%s/bench_j%d/results.csv", tmp, k ? 1 : 3);
        rows[k] = slurp(p);
        /* drop the wall_seconds column (the 4th) of each seed row */
        char *w = rows[k];
        int field = 0, seed_row = 0;
        for (const char *r = rows[k]; *r; r++) {
            if (r == rows[k] || r[-1] == '\n') {
                field = 0;
                seed_row = *r >= '0' && *r <= '9';
            }
            if (*r == ',') field++;
            if (!(seed_row && field == 3)) *w++ = *r;
        }
        *w = 0;
    }
    assert_string_equal(rows[0], rows[1]);
    assert_non_null(strstr(rows[0], "\n2,"));
    free(rows[0]);
    free(rows[1]);
    free(expect("bench learn --env CartPole-v1 --seeds 2 --jobs 0", 2,
                "--jobs expects an integer in 1..256"));
    free(expect("bench learn --algo iql --seeds 2", 2, "offline algorithm: give its data with --dataset"));
    free(expect("bench learn --algo bc --seeds 2 --dataset tests/data/offline/pendulum_expert "
                "--ref-min -1000",
                2, "--ref-min and --ref-max go together"));
    free(expect("bench learn --algo bc --seeds 2 --ref-max x", 2, "--ref-max expects a number"));
    free(expect("bench learn --algo ppo --seeds 2 --dataset tests/data/offline/pendulum_expert", 2,
                "online algorithm: it takes no --dataset"));
}

RLC_TESTS(algo_trainer, cmocka_unit_test(test_resume_exact_api), cmocka_unit_test(test_cli_resume),
          cmocka_unit_test(test_cli_eval_every), cmocka_unit_test(test_cli_offline_resume),
          cmocka_unit_test(test_cli_record_dataset),
          cmocka_unit_test(test_cli_plot), cmocka_unit_test(test_cli_bench))
