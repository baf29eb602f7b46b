/* Offline datasets: store and views, samplers (uniform, weighted, sequences), metrics (returns,
 * TQ, SACo), Minari/D4RL round trips, malformed files, and `rlc dataset collect`/`info`. */
#include "test.h"

#include <math.h>
#include <sys/wait.h>

#include "rlc/dataset.h"

#ifdef RLC_HAVE_HDF5
#include <hdf5.h>
#endif

/* Hand-made dataset: 3 episodes of lengths 2, 3, 1 with obs_dim 2, act_dim 1. Observation row
 * r of episode e is (10e + r, -r); action of step t is 100e + t; reward t + 1 (returns 3, 6,
 * 1). Episode 0 terminates, 1 is truncated, 2 terminates. */
static rlc_dataset *hand_made(void) {
    rlc_dataset *d = rlc_dataset_create(2, 1);
    assert_non_null(d);
    const int64_t len[3] = {2, 3, 1};
    for (int e = 0; e < 3; e++) {
        float obs[8], act[3], rew[3];
        uint8_t te[3] = {0}, tr[3] = {0};
        for (int r = 0; r <= len[e]; r++) {
            obs[2 * r] = (float)(10 * e + r);
            obs[2 * r + 1] = (float)-r;
        }
        for (int t = 0; t < len[e]; t++) {
            act[t] = (float)(100 * e + t);
            rew[t] = (float)(t + 1);
        }
        if (e == 1)
            tr[len[e] - 1] = 1;
        else
            te[len[e] - 1] = 1;
        assert_int_equal(rlc_dataset_add_episode(d, len[e], obs, act, rew, te, tr), RLC_OK);
    }
    return d;
}

static void test_store(void **st) {
    (void)st;
    assert_null(rlc_dataset_create(0, 1));
    assert_contains(rlc_last_error(), "obs_dim 0");
    rlc_dataset *d = hand_made();
    rlc_dataset_view v;
    rlc_dataset_view_get(d, &v);
    assert_int_equal(v.num_episodes, 3);
    assert_int_equal(v.num_steps, 6);
    assert_int_equal(v.episode_offsets[1], 2);
    assert_int_equal(v.episode_offsets[3], 6);
    /* Transition 3 = episode 1 step 1: obs row 3 + 1 = (11, -1), next (12, -2). */
    assert_close(v.observations[4 * 2], 11, 0);
    assert_close(v.observations[5 * 2], 12, 0);
    assert_close(v.actions[3], 101, 0);
    assert_close(v.episode_returns[1], 6, 0);
    assert_close(v.returns_to_go[3], 5, 0);
    assert_int_equal(v.truncations[4], 1);
    assert_int_equal(v.terminations[1], 1);
    /* Streaming: begin/add_step, the episode closes on terminated. */
    float o0[2] = {1, 2}, a = 7, o1[2] = {3, 4};
    assert_int_equal(rlc_dataset_add_step(d, &a, 1, o1, 0, 0), RLC_ERR_STATE);
    assert_int_equal(rlc_dataset_begin_episode(d, o0), RLC_OK);
    assert_int_equal(rlc_dataset_begin_episode(d, o0), RLC_ERR_STATE);
    assert_int_equal(rlc_dataset_add_step(d, &a, 2, o1, 0, 0), RLC_OK);
    assert_int_equal(rlc_dataset_num_episodes(d), 3); /* still open */
    assert_int_equal(rlc_dataset_add_step(d, &a, 3, o0, 1, 0), RLC_OK);
    assert_int_equal(rlc_dataset_num_episodes(d), 4);
    rlc_dataset_view_get(d, &v);
    assert_close(v.episode_returns[3], 5, 0);
    assert_close(v.observations[(6 + 3) * 2 + 1], 2, 0);
    assert_close(v.observations[(8 + 3) * 2], 1, 0);
    assert_int_equal(rlc_dataset_add_episode(d, 0, o0, &a, &a, NULL, NULL), RLC_ERR_INVALID);
    rlc_dataset_destroy(d);
}

/* Every allocation failure leaves the dataset as it was (and the error says out of memory). */
static void test_alloc_failures(void **st) {
    (void)st;
    enum { T = 3000 };
    static float obs[(T + 1) * 2], act[T], rew[T];
    for (int i = 0; i < T; i++)
        rew[i] = 1;
    int failed = 0;
    for (long n = 1; n < 40; n++) {
        rlc_dataset *d = hand_made();
        rlc_alloc_fail_after(n);
        rlc_status s = rlc_dataset_add_episode(d, T, obs, act, rew, NULL, NULL);
        int64_t u = 0;
        rlc_status s2 = rlc_dataset_unique_sa(d, 0, &u);
        rlc_alloc_fail_reset();
        if (s) {
            failed++;
            assert_int_equal(s, RLC_ERR_NOMEM);
            assert_int_equal(rlc_dataset_num_episodes(d), 3);
            assert_int_equal(rlc_dataset_num_steps(d), 6);
        } else {
            assert_int_equal(rlc_dataset_num_steps(d), 6 + T);
        }
        if (!s2) assert_true(u > 0);
        /* Still usable after a failure. */
        assert_int_equal(rlc_dataset_add_episode(d, T, obs, act, rew, NULL, NULL), RLC_OK);
        rlc_dataset_destroy(d);
    }
    assert_true(failed > 0);
    rlc_alloc_fail_after(1);
    assert_null(rlc_dataset_create(2, 1));
    rlc_alloc_fail_after(2);
    assert_null(rlc_dataset_create(2, 1));
    rlc_alloc_fail_reset();
}

static void test_uniform_frequencies(void **st) {
    (void)st;
    rlc_dataset *d = hand_made();
    rlc_rng g;
    rlc_rng_seed(&g, 3);
    enum { n = 6000 };
    static float obs[n * 2], next[n * 2], act[n], rew[n], te[n];
    static int64_t idx[n];
    rlc_dataset_batch b = {obs, act, rew, next, te, NULL, idx};
    assert_int_equal(rlc_dataset_sample(d, &g, n, &b), RLC_OK);
    int cnt[6] = {0};
    for (int i = 0; i < n; i++) {
        cnt[idx[i]]++;
        /* Columns agree with the index: next obs is the row after obs, same episode. */
        int64_t e = idx[i] < 2 ? 0 : idx[i] < 5 ? 1 : 2;
        assert_close(obs[2 * i], 10 * e + (idx[i] - (e == 0 ? 0 : e == 1 ? 2 : 5)), 0);
        assert_close(next[2 * i], obs[2 * i] + 1, 0);
    }
    for (int t = 0; t < 6; t++)
        assert_true(abs(cnt[t] - n / 6) < 120); /* ~4 sigma */
    rlc_dataset_destroy(d);
}

static void test_weighted(void **st) {
    (void)st;
    rlc_dataset *d = hand_made();
    rlc_rng g;
    rlc_rng_seed(&g, 5);
    enum { n = 20000 };
    static int64_t idx[n];
    rlc_dataset_batch b = {0};
    b.index = idx;
    /* Per transition: weights 0,1,2,3,0,4 (sum 10). */
    double w[6] = {0, 1, 2, 3, 0, 4};
    rlc_dataset_sampler *s = NULL;
    assert_int_equal(rlc_dataset_sampler_create(&s, d, w, 0), RLC_OK);
    assert_int_equal(rlc_dataset_sampler_sample(s, &g, n, &b), RLC_OK);
    int cnt[6] = {0};
    for (int i = 0; i < n; i++)
        cnt[idx[i]]++;
    for (int t = 0; t < 6; t++)
        assert_close(cnt[t] / (double)n, w[t] / 10, 0.012);
    rlc_dataset_sampler_destroy(s);
    /* Per episode: weights 1, 0, 3 -> episode 0 with 1/4 (each step 1/8), episode 2 with 3/4. */
    double we[3] = {1, 0, 3};
    assert_int_equal(rlc_dataset_sampler_create(&s, d, we, 1), RLC_OK);
    assert_int_equal(rlc_dataset_sampler_sample(s, &g, n, &b), RLC_OK);
    memset(cnt, 0, sizeof cnt);
    for (int i = 0; i < n; i++)
        cnt[idx[i]]++;
    assert_close(cnt[0] / (double)n, 0.125, 0.012);
    assert_close(cnt[1] / (double)n, 0.125, 0.012);
    assert_int_equal(cnt[2] + cnt[3] + cnt[4], 0);
    assert_close(cnt[5] / (double)n, 0.75, 0.012);
    rlc_dataset_sampler_destroy(s);
    double bad[3] = {1, -1, 0};
    assert_int_equal(rlc_dataset_sampler_create(&s, d, bad, 1), RLC_ERR_INVALID);
    assert_contains(rlc_last_error(), "weight 1");
    double zero[3] = {0, 0, 0};
    assert_int_equal(rlc_dataset_sampler_create(&s, d, zero, 1), RLC_ERR_INVALID);
    /* Return weights: exp((G - 6) / T). */
    assert_int_equal(rlc_dataset_return_weights(d, 2.0, we), RLC_OK);
    assert_close(we[1], 1, 1e-12);
    assert_close(we[0], exp(-1.5), 1e-12);
    rlc_dataset_destroy(d);
}

static void test_sequences(void **st) {
    (void)st;
    rlc_dataset *d = hand_made();
    rlc_rng g;
    rlc_rng_seed(&g, 9);
    enum { n = 3000, L = 2 };
    static float obs[n * L * 2], act[n * L], rtg[n * L];
    static int64_t ts[n * L], ep[n];
    rlc_dataset_seq_batch b = {obs, act, NULL, rtg, NULL, ts, ep};
    /* L = 2 windows: episode 0 offers 1, episode 1 offers 2, episode 2 none. */
    assert_int_equal(rlc_dataset_sample_sequences(d, &g, n, L, &b), RLC_OK);
    int per_ep[3] = {0};
    for (int i = 0; i < n; i++) {
        per_ep[ep[i]]++;
        assert_true(ep[i] != 2);
        for (int j = 0; j < L; j++) {
            /* Every step of the window belongs to episode ep[i] (action 100e + t). */
            float a = act[i * L + j];
            assert_close(floorf(a / 100), ep[i], 0);
            assert_close(a - 100 * ep[i], ts[i * L + j], 0);
            assert_close(obs[(i * L + j) * 2], 10 * ep[i] + ts[i * L + j], 0);
        }
        assert_int_equal(ts[i * L + 1], ts[i * L] + 1);
        /* Return to go of step t in an episode with rewards 1..T: sum_{k>t} k. */
        if (ep[i] == 1 && ts[i * L] == 0) assert_close(rtg[i * L], 6, 0);
    }
    assert_close(per_ep[0] / (double)n, 1.0 / 3, 0.03);
    assert_close(per_ep[1] / (double)n, 2.0 / 3, 0.03);
    assert_int_equal(rlc_dataset_sample_sequences(d, &g, 1, 4, &b), RLC_ERR_INVALID);
    assert_contains(rlc_last_error(), "no episode has 4 steps");
    rlc_dataset_destroy(d);
}

static void test_metrics(void **st) {
    (void)st;
    rlc_dataset *d = hand_made();
    rlc_dataset_stats s;
    assert_int_equal(rlc_dataset_stats_get(d, 0, &s), RLC_OK);
    assert_int_equal(s.episodes, 3);
    assert_int_equal(s.steps, 6);
    assert_close(s.return_mean, 10.0 / 3, 1e-12);
    assert_close(s.return_std,
                 sqrt(((3 - 10.0 / 3) * (3 - 10.0 / 3) + (6 - 10.0 / 3) * (6 - 10.0 / 3) +
                       (1 - 10.0 / 3) * (1 - 10.0 / 3)) /
                      3),
                 1e-12);
    assert_close(s.return_min, 1, 0);
    assert_close(s.return_max, 6, 0);
    assert_close(s.length_mean, 2, 0);
    assert_true(isnan(s.tq));
    assert_int_equal(s.unique_sa, 6);
    rlc_dataset_meta *m = rlc_dataset_meta_of(d);
    m->ref_min_score = 1;
    m->ref_max_score = 11;
    assert_int_equal(rlc_dataset_stats_get(d, 0, &s), RLC_OK);
    assert_close(s.tq, (10.0 / 3 - 1) / 10, 1e-12);
    /* Coarse bins merge pairs: bin 1000 maps every obs/action to 0 except negative obs[1]
     * (floor(-r/1000) = -1 for r >= 1): keys (0,0,0) and (0,-1,0) -> 2 pairs. */
    int64_t u;
    assert_int_equal(rlc_dataset_unique_sa(d, 1000, &u), RLC_OK);
    assert_int_equal(u, 2);
    /* SACo against a reference holding the same 6 pairs plus 6 more = 0.5. */
    rlc_dataset *ref = hand_made();
    float obs[14], act[6], rew[6];
    for (int i = 0; i < 14; i++)
        obs[i] = 1000.0f + (float)i;
    for (int i = 0; i < 6; i++)
        act[i] = rew[i] = 0;
    assert_int_equal(rlc_dataset_add_episode(ref, 6, obs, act, rew, NULL, NULL), RLC_OK);
    double saco;
    assert_int_equal(rlc_dataset_saco(d, ref, 0, &saco), RLC_OK);
    assert_close(saco, 0.5, 1e-12);
    double lo, hi;
    assert_int_equal(rlc_dataset_ref_scores("Hopper-v4", &lo, &hi), 1);
    assert_close(lo, -20.272305, 0);
    assert_close(hi, 3234.3, 0);
    assert_int_equal(rlc_dataset_ref_scores("CartPole-v1", &lo, &hi), 0);
    rlc_dataset_destroy(ref);
    rlc_dataset_destroy(d);
}

#ifdef RLC_HAVE_HDF5

static void same_dataset(const rlc_dataset *a, const rlc_dataset *b) {
    rlc_dataset_view x, y;
    rlc_dataset_view_get(a, &x);
    rlc_dataset_view_get(b, &y);
    assert_int_equal(x.num_episodes, y.num_episodes);
    assert_int_equal(x.num_steps, y.num_steps);
    assert_int_equal(x.obs_dim, y.obs_dim);
    assert_int_equal(x.act_dim, y.act_dim);
    assert_memory_equal(x.episode_offsets, y.episode_offsets,
                        sizeof(int64_t) * (size_t)(x.num_episodes + 1));
    assert_memory_equal(x.observations, y.observations,
                        sizeof(float) * (size_t)((x.num_steps + x.num_episodes) * x.obs_dim));
    assert_memory_equal(x.actions, y.actions, sizeof(float) * (size_t)(x.num_steps * x.act_dim));
    assert_memory_equal(x.rewards, y.rewards, sizeof(float) * (size_t)x.num_steps);
    assert_memory_equal(x.terminations, y.terminations, (size_t)x.num_steps);
    assert_memory_equal(x.truncations, y.truncations, (size_t)x.num_steps);
}

static void test_minari_round_trip(void **st) {
    (void)st;
    rlc_dataset *d = hand_made();
    rlc_dataset_meta *m = rlc_dataset_meta_of(d);
    snprintf(m->dataset_id, sizeof m->dataset_id, "rlc/test/hand-v0");
    snprintf(m->env_id, sizeof m->env_id, "Hopper-v4");
    m->ref_min_score = -1;
    m->ref_max_score = 9;
    char dir[512];
    snprintf(dir, sizeof dir, "%s/minari_hand", rlc_test_tmpdir());
    assert_int_equal(rlc_dataset_save_minari(d, dir), RLC_OK);
    rlc_dataset *r = NULL;
    assert_int_equal(rlc_dataset_load_minari(&r, dir), RLC_OK);
    same_dataset(d, r);
    const rlc_dataset_meta *mr = rlc_dataset_meta_get(r);
    assert_string_equal(mr->dataset_id, "rlc/test/hand-v0");
    assert_string_equal(mr->env_id, "Hopper-v4");
    assert_close(mr->ref_min_score, -1, 0);
    assert_close(mr->ref_max_score, 9, 0);
    rlc_dataset_destroy(r);
    /* Also through the file path and the auto-detecting loader. */
    char file[600];
    snprintf(file, sizeof file, "%s/data/main_data.hdf5", dir);
    assert_int_equal(rlc_dataset_load(&r, file), RLC_OK);
    same_dataset(d, r);
    rlc_dataset_destroy(r);
    rlc_dataset_destroy(d);
}

static void test_d4rl_round_trip(void **st) {
    (void)st;
    rlc_dataset *d = hand_made();
    snprintf(rlc_dataset_meta_of(d)->env_id, 128, "Walker2d-v4");
    rlc_dataset_meta_of(d)->ref_min_score = 2;
    rlc_dataset_meta_of(d)->ref_max_score = 4;
    char path[512];
    snprintf(path, sizeof path, "%s/hand_d4rl.hdf5", rlc_test_tmpdir());
    assert_int_equal(rlc_dataset_save_d4rl(d, path), RLC_OK);
    rlc_dataset *r = NULL;
    assert_int_equal(rlc_dataset_load(&r, path), RLC_OK);
    same_dataset(d, r);
    assert_string_equal(rlc_dataset_meta_get(r)->env_id, "Walker2d-v4");
    assert_close(rlc_dataset_meta_get(r)->ref_max_score, 4, 0);
    /* An episode ending neither terminated nor truncated is written with a timeout. */
    rlc_dataset_destroy(r);
    float o[4] = {1, 2, 3, 4}, a = 0, rw = 1;
    assert_int_equal(rlc_dataset_add_episode(d, 1, o, &a, &rw, NULL, NULL), RLC_OK);
    assert_int_equal(rlc_dataset_save_d4rl(d, path), RLC_OK);
    assert_int_equal(rlc_dataset_load_d4rl(&r, path), RLC_OK);
    assert_int_equal(rlc_dataset_num_episodes(r), 4);
    rlc_dataset_view v;
    rlc_dataset_view_get(r, &v);
    assert_int_equal(v.truncations[6], 1);
    rlc_dataset_destroy(r);
    rlc_dataset_destroy(d);
}

/* Writes a float dataset (rank 1 or 2) with gzip, as D4RL's collectors do. */
static void put(hid_t loc, const char *name, hid_t mem, hid_t ftype, int rank, hsize_t n0,
                hsize_t n1, const void *data) {
    hsize_t dims[2] = {n0, n1}, chunk[2] = {n0, n1};
    hid_t sp = H5Screate_simple(rank, dims, NULL);
    hid_t pl = H5Pcreate(H5P_DATASET_CREATE);
    H5Pset_chunk(pl, rank, chunk);
    H5Pset_deflate(pl, 4);
    hid_t ds = H5Dcreate2(loc, name, ftype, sp, H5P_DEFAULT, pl, H5P_DEFAULT);
    assert_true(ds >= 0);
    assert_true(H5Dwrite(ds, mem, H5S_ALL, H5S_ALL, H5P_DEFAULT, data) >= 0);
    H5Dclose(ds);
    H5Pclose(pl);
    H5Sclose(sp);
}

/* A D4RL-style file without next_observations: 7 rows, a terminal at row 2, a timeout at
 * row 5, and one unfinished row 6. float64 observations, uint8 flags. */
static void test_d4rl_foreign(void **st) {
    (void)st;
    char path[512];
    snprintf(path, sizeof path, "%s/foreign_d4rl.hdf5", rlc_test_tmpdir());
    hid_t f = H5Fcreate(path, H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT);
    double obs[7 * 3];
    float act[7 * 2], rew[7];
    uint8_t te[7] = {0, 0, 1, 0, 0, 0, 0}, to[7] = {0, 0, 0, 0, 0, 1, 0};
    for (int i = 0; i < 7; i++) {
        for (int k = 0; k < 3; k++)
            obs[i * 3 + k] = i + 0.25 * k;
        act[2 * i] = (float)i;
        act[2 * i + 1] = -(float)i;
        rew[i] = (float)i;
    }
    put(f, "observations", H5T_NATIVE_DOUBLE, H5T_IEEE_F64LE, 2, 7, 3, obs);
    put(f, "actions", H5T_NATIVE_FLOAT, H5T_IEEE_F32LE, 2, 7, 2, act);
    put(f, "rewards", H5T_NATIVE_FLOAT, H5T_IEEE_F32LE, 1, 7, 1, rew);
    put(f, "terminals", H5T_NATIVE_UINT8, H5T_STD_U8LE, 1, 7, 1, te);
    put(f, "timeouts", H5T_NATIVE_UINT8, H5T_STD_U8LE, 1, 7, 1, to);
    H5Fclose(f);
    rlc_dataset *d = NULL;
    assert_int_equal(rlc_dataset_load_d4rl(&d, path), RLC_OK);
    rlc_dataset_view v;
    rlc_dataset_view_get(d, &v);
    /* Episode 0: rows 0..2 (terminal; final obs repeats row 2). Episode 1: rows 3..5 timed
     * out without a next observation -> steps 3, 4 kept, row 5 is the final obs, step 4
     * truncated. Row 6 alone is unfinished and has no final obs -> dropped. */
    assert_int_equal(v.num_episodes, 2);
    assert_int_equal(v.num_steps, 5);
    assert_int_equal(v.episode_offsets[1], 3);
    assert_int_equal(v.terminations[2], 1);
    assert_close(v.observations[3 * 3 + 1], 2.25, 0);
    assert_close(v.observations[(3 + 1) * 3], 3, 0);
    assert_close(v.observations[(5 + 1) * 3], 5, 0);
    assert_int_equal(v.truncations[4], 1);
    assert_close(v.actions[4 * 2 + 1], -4, 0);
    assert_close(v.episode_returns[1], 7, 0);
    rlc_dataset_destroy(d);
}

/* One Minari episode group with the given observation rows (T = 3 actions). */
static void minari_file(const char *path, int obs_rows, int with_rewards, int bad_term) {
    hid_t f = H5Fcreate(path, H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT);
    hid_t g = H5Gcreate2(f, "episode_0", H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
    float obs[5 * 2] = {0}, act[3] = {0}, rew[3] = {0};
    uint8_t fl[3] = {0};
    put(g, "observations", H5T_NATIVE_FLOAT, H5T_IEEE_F32LE, 2, (hsize_t)obs_rows, 2, obs);
    put(g, "actions", H5T_NATIVE_FLOAT, H5T_IEEE_F32LE, 1, 3, 1, act);
    if (with_rewards) put(g, "rewards", H5T_NATIVE_FLOAT, H5T_IEEE_F32LE, 1, 3, 1, rew);
    put(g, "terminations", H5T_NATIVE_UINT8, H5T_STD_U8LE, 1, bad_term ? 2 : 3, 1, fl);
    put(g, "truncations", H5T_NATIVE_UINT8, H5T_STD_U8LE, 1, 3, 1, fl);
    H5Gclose(g);
    H5Fclose(f);
}

static void test_malformed(void **st) {
    (void)st;
    char path[512];
    rlc_dataset *d = NULL;
    const char *tmp = rlc_test_tmpdir();
    /* Observations with T rows instead of T+1. */
    snprintf(path, sizeof path, "%s/bad_rows.hdf5", tmp);
    minari_file(path, 3, 1, 0);
    assert_int_equal(rlc_dataset_load_minari(&d, path), RLC_ERR_FORMAT);
    assert_contains(rlc_last_error(), "bad_rows.hdf5");
    assert_contains(rlc_last_error(), "episode_0/observations' has shape (3, 2)");
    assert_contains(rlc_last_error(), "T+1 = 4");
    /* Missing rewards. */
    snprintf(path, sizeof path, "%s/no_rewards.hdf5", tmp);
    minari_file(path, 4, 0, 0);
    assert_int_equal(rlc_dataset_load_minari(&d, path), RLC_ERR_FORMAT);
    assert_contains(rlc_last_error(), "dataset 'episode_0/rewards' is missing");
    /* Wrong flag length. */
    snprintf(path, sizeof path, "%s/bad_term.hdf5", tmp);
    minari_file(path, 4, 1, 1);
    assert_int_equal(rlc_dataset_load_minari(&d, path), RLC_ERR_FORMAT);
    assert_contains(rlc_last_error(), "'episode_0/terminations' has shape (2,), expected (3,)");
    /* The good variant loads. */
    snprintf(path, sizeof path, "%s/good.hdf5", tmp);
    minari_file(path, 4, 1, 0);
    assert_int_equal(rlc_dataset_load_minari(&d, path), RLC_OK);
    assert_int_equal(rlc_dataset_num_steps(d), 3);
    rlc_dataset_destroy(d);
    d = NULL;
    /* Not an HDF5 file; a missing file; a Minari loader on a D4RL file. */
    snprintf(path, sizeof path, "%s/garbage.hdf5", tmp);
    FILE *fp = fopen(path, "w");
    fputs("this is not hdf5\n", fp);
    fclose(fp);
    assert_int_equal(rlc_dataset_load(&d, path), RLC_ERR_FORMAT);
    assert_contains(rlc_last_error(), "not an HDF5 file");
    snprintf(path, sizeof path, "%s/nope.hdf5", tmp);
    assert_int_equal(rlc_dataset_load_d4rl(&d, path), RLC_ERR_IO);
    assert_contains(rlc_last_error(), "nope.hdf5");
    snprintf(path, sizeof path, "%s/good.hdf5", tmp);
    assert_int_equal(rlc_dataset_load_d4rl(&d, path), RLC_ERR_FORMAT);
    assert_contains(rlc_last_error(), "dataset 'observations' is missing");
    /* D4RL with mismatched lengths and a string-typed dataset. */
    snprintf(path, sizeof path, "%s/bad_d4rl.hdf5", tmp);
    hid_t f = H5Fcreate(path, H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT);
    float z[8] = {0};
    uint8_t u[4] = {0};
    put(f, "observations", H5T_NATIVE_FLOAT, H5T_IEEE_F32LE, 2, 4, 2, z);
    put(f, "actions", H5T_NATIVE_FLOAT, H5T_IEEE_F32LE, 2, 4, 1, z);
    put(f, "rewards", H5T_NATIVE_FLOAT, H5T_IEEE_F32LE, 1, 3, 1, z);
    put(f, "terminals", H5T_NATIVE_UINT8, H5T_STD_U8LE, 1, 4, 1, u);
    H5Fclose(f);
    assert_int_equal(rlc_dataset_load_d4rl(&d, path), RLC_ERR_FORMAT);
    assert_contains(rlc_last_error(),
                    "'rewards' has shape (3,) but 'observations' has shape (4, 2)");
    snprintf(path, sizeof path, "%s/str_d4rl.hdf5", tmp);
    f = H5Fcreate(path, H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT);
    hid_t t = H5Tcopy(H5T_C_S1);
    H5Tset_size(t, 4);
    char s[4][4] = {"abc", "def", "ghi", "jkl"};
    put(f, "observations", t, t, 1, 4, 1, s);
    H5Tclose(t);
    H5Fclose(f);
    assert_int_equal(rlc_dataset_load_d4rl(&d, path), RLC_ERR_FORMAT);
    assert_contains(rlc_last_error(), "'observations' has a non-numeric type");
    assert_null(d);
    /* A failed write leaves the good file in place (target folder is read-only: use a path
     * whose folder does not exist). */
    rlc_dataset *h = hand_made();
    snprintf(path, sizeof path, "%s/no/such/dir/x.hdf5", tmp);
    assert_int_equal(rlc_dataset_save_d4rl(h, path), RLC_ERR_IO);
    rlc_dataset_destroy(h);
}

/* Runs `cmd` (stderr merged); returns the exit status, output in *out (malloc). */
static int run(const char *cmd, char **out) {
    char full[4096];
    snprintf(full, sizeof full, "%s 2>&1", cmd);
    FILE *p = popen(full, "r");
    assert_non_null(p);
    size_t cap = 1 << 16, len = 0, k;
    char *buf = malloc(cap);
    while ((k = fread(buf + len, 1, cap - len - 1, p)) > 0) {
        len += k;
        if (cap - len < 4096) buf = realloc(buf, cap *= 2);
    }
    buf[len] = 0;
    int stt = pclose(p);
    *out = buf;
    return WIFEXITED(stt) ? WEXITSTATUS(stt) : -1;
}

static void test_cli(void **st) {
    (void)st;
    const char *rlc = rlc_test_rlc_binary();
    const char *tmp = rlc_test_tmpdir();
    char cmd[2048], *out;
    snprintf(cmd, sizeof cmd,
             "%s dataset collect --env CartPole-v1 --policy random --steps 300 --seed 4 "
             "--out %s/cp_random",
             rlc, tmp);
    int rc = run(cmd, &out);
    if (rc) fail_msg("%s\n%s", cmd, out);
    assert_contains(out, "collected 300 steps");
    free(out);
    rlc_dataset *d = NULL;
    char path[600];
    snprintf(path, sizeof path, "%s/cp_random", tmp);
    assert_int_equal(rlc_dataset_load(&d, path), RLC_OK);
    assert_int_equal(rlc_dataset_num_steps(d), 300);
    assert_int_equal(rlc_dataset_meta_get(d)->discrete_actions, 1);
    assert_string_equal(rlc_dataset_meta_get(d)->env_id, "CartPole-v1");
    rlc_dataset_view v;
    rlc_dataset_view_get(d, &v);
    /* Every episode but the cut last one ends terminated; the last one truncated. */
    for (int64_t e = 0; e < v.num_episodes; e++) {
        int64_t last = v.episode_offsets[e + 1] - 1;
        assert_int_equal(v.terminations[last] | v.truncations[last], 1);
        assert_true(v.actions[last] == 0 || v.actions[last] == 1);
    }
    rlc_dataset_destroy(d);
    snprintf(cmd, sizeof cmd,
             "%s dataset info %s/cp_random --reference %s/cp_random --ref-min 0 --ref-max 500", rlc,
             tmp, tmp);
    rc = run(cmd, &out);
    if (rc) fail_msg("%s\n%s", cmd, out);
    assert_contains(out, "steps          300");
    assert_contains(out, "TQ             0.0");
    assert_contains(out, "SACo           1.0000");
    free(out);
    snprintf(cmd, sizeof cmd,
             "%s dataset convert --from minari %s/cp_random --to d4rl %s/cp.hdf5 && "
             "%s dataset mix %s/cp_random %s/cp.hdf5 --fraction 0.5 --seed 1 --out %s/cp_mix",
             rlc, tmp, tmp, rlc, tmp, tmp, tmp);
    rc = run(cmd, &out);
    if (rc) fail_msg("%s\n%s", cmd, out);
    assert_contains(out, "converted");
    assert_contains(out, "mixed");
    free(out);
    snprintf(cmd, sizeof cmd, "%s dataset info %s/does_not_exist", rlc, tmp);
    assert_int_equal(run(cmd, &out), 1);
    assert_contains(out, "does_not_exist");
    free(out);
}

#else /* !RLC_HAVE_HDF5 */

static void test_no_hdf5(void **st) {
    (void)st;
    rlc_dataset *d = NULL;
    assert_int_equal(rlc_dataset_load(&d, "x"), RLC_ERR_UNSUPPORTED);
    assert_contains(rlc_last_error(), "without libhdf5");
    printf("  [skip] data_dataset file tests: rlc built without libhdf5 (RLC_HAVE_HDF5)\n");
}

#endif

#ifdef RLC_HAVE_HDF5
#define FILE_TESTS                                                                                 \
    cmocka_unit_test(test_minari_round_trip), cmocka_unit_test(test_d4rl_round_trip),              \
        cmocka_unit_test(test_d4rl_foreign), cmocka_unit_test(test_malformed),                     \
        cmocka_unit_test(test_cli)
#else
#define FILE_TESTS cmocka_unit_test(test_no_hdf5)
#endif

RLC_TESTS(data_dataset, cmocka_unit_test(test_store), cmocka_unit_test(test_alloc_failures),
          cmocka_unit_test(test_uniform_frequencies), cmocka_unit_test(test_weighted),
          cmocka_unit_test(test_sequences), cmocka_unit_test(test_metrics), FILE_TESTS)
