/* Distributed training: V-trace against hand-computed targets, the messages without MPI, and,
 * under `mpirun -np 2 --oversubscribe` (skipped with a printed reason when mpirun is absent),
 * data-parallel PPO solving CartPole-v1 with the parameters checked identical on every rank
 * after every update, the check catching ranks that diverge, actor-learner IMPALA, a killed
 * rank ending the job within seconds, and --resume with another number of ranks. */
#include "test.h"

#include <dirent.h>
#include <math.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "rlc/agent.h"
#include "rlc/safetensors.h"
#include "rlc/dist.h"

/* Open MPI's dlopen'ed components leak at MPI_Finalize, in frames LeakSanitizer cannot name
 * (so no suppression matches): processes that initialise MPI run with leak detection off
 * under ASan (its other checks stay on); the library's own paths are leak-checked in process. */
#define NOLEAK "env ASAN_OPTIONS=detect_leaks=0"
#define MPIRUN NOLEAK " mpirun --allow-run-as-root --oversubscribe"

/* Runs `cmd` through the shell with stdout+stderr into `log`; returns the exit status (-1 when
 * killed by a signal). */
static int run(const char *cmd, const char *log) {
    char full[8192];
    snprintf(full, sizeof full, "%s > '%s' 2>&1", cmd, log);
    int rc = system(full);
    return WIFEXITED(rc) ? WEXITSTATUS(rc) : -1;
}

static char *slurp(const char *path) {
    static char buf[1 << 16];
    buf[0] = 0;
    FILE *f = fopen(path, "rb");
    if (!f) return buf;
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    buf[n] = 0;
    fclose(f);
    return buf;
}

static int have_mpirun(void) {
    if (system("command -v mpirun > /dev/null 2>&1") == 0) return 1;
    printf("    skipped: mpirun not found (install openmpi-bin)\n");
    return 0;
}

/* Deterministic evaluation of a checkpoint: the mean return of 10 episodes. */
static double eval_mean(const char *ck) {
    rlc_agent *a = NULL;
    if (rlc_agent_load(&a, ck, 0)) fail_msg("load %s: %s", ck, rlc_last_error());
    double r[10], m = 0;
    assert_int_equal(rlc_agent_evaluate(a, 10, 12345, 0, r, NULL, 0, 0), RLC_OK);
    for (int i = 0; i < 10; i++) m += r[i] / 10;
    rlc_agent_destroy(a);
    return m;
}

/* ---- V-trace ---------------------------------------------------------------------------- */

static void test_vtrace_on_policy(void **st) {
    (void)st;
    /* one env, 3 steps, ratio 1: vs is the bootstrapped discounted return */
    float rew[3] = {1, 2, 3}, val[3] = {0.5f, 0.25f, -1}, boot[1] = {2}, ratio[3] = {1, 1, 1};
    uint8_t term[3] = {0}, trunc[3] = {0}, valid[3] = {1, 1, 1};
    float vs[3], adv[3];
    double g = 0.9;
    rlc_vtrace(3, 1, g, 1, 1, rew, val, boot, ratio, term, trunc, valid, vs, adv);
    double v2 = 3 + g * 2, v1 = 2 + g * v2, v0 = 1 + g * v1;
    assert_close(vs[2], v2, 1e-5);
    assert_close(vs[1], v1, 1e-5);
    assert_close(vs[0], v0, 1e-5);
    assert_close(adv[0], 1 + g * v1 - 0.5, 1e-5);
    assert_close(adv[2], 3 + g * 2 - (-1), 1e-5);
    /* termination at t = 1 cuts the bootstrap; t = 2 is the autoreset step */
    term[1] = 1;
    valid[2] = 0;
    rlc_vtrace(3, 1, g, 1, 1, rew, val, boot, ratio, term, trunc, valid, vs, adv);
    assert_close(vs[2], -1, 1e-6);
    assert_close(adv[2], 0, 0);
    assert_close(vs[1], 2, 1e-6);
    assert_close(vs[0], 1 + g * 2, 1e-5);
    /* truncation at t = 1: bootstraps from V of the final observation (val[2]) */
    term[1] = 0;
    trunc[1] = 1;
    rlc_vtrace(3, 1, g, 1, 1, rew, val, boot, ratio, term, trunc, valid, vs, adv);
    assert_close(vs[1], 2 + g * -1, 1e-5);
}

static void test_vtrace_clipping(void **st) {
    (void)st;
    /* 2 steps, ratios 0.5 and 3 (clipped to 1): Espeholt et al. eq. 1 by hand */
    float rew[2] = {1, 1}, val[2] = {0, 0}, boot[1] = {1}, ratio[2] = {0.5f, 3};
    uint8_t term[2] = {0}, trunc[2] = {0}, valid[2] = {1, 1};
    float vs[2], adv[2];
    double g = 0.5;
    rlc_vtrace(2, 1, g, 1, 1, rew, val, boot, ratio, term, trunc, valid, vs, adv);
    double d1 = 1 * (1 + g * 1 - 0), d0 = 0.5 * (1 + g * 0 - 0);
    assert_close(vs[1], d1, 1e-6);
    assert_close(vs[0], d0 + g * 0.5 * d1, 1e-6); /* c_0 = min(1, 0.5) */
    assert_close(adv[0], 0.5 * (1 + g * vs[1] - 0), 1e-6);
    /* rho_bar = 2 lets the second ratio through up to 2 */
    rlc_vtrace(2, 1, g, 2, 1, rew, val, boot, ratio, term, trunc, valid, vs, adv);
    assert_close(vs[1], 2 * 1.5, 1e-6);
}

/* ---- without MPI / without ranks ----------------------------------------------------------- */

static void test_messages(void **st) {
    (void)st;
    rlc_agent *a = NULL;
    assert_int_equal(rlc_agent_create(&a, "impala", "CartPole-v1", NULL, NULL, 0), RLC_OK);
    rlc_train_options o = {.total_steps = 256};
    /* not initialised (or not built): actor-learner needs ranks */
    assert_int_equal(rlc_dist_train_actor_learner(a, 0, &o, NULL, NULL), RLC_ERR_UNSUPPORTED);
    assert_contains(rlc_last_error(), rlc_dist_available() ? "at least 2 MPI ranks"
                                                           : "MPI support was not built");
    rlc_agent_destroy(a);
    assert_int_equal(rlc_agent_create(&a, "impala", "Pendulum-v1", NULL, NULL, 0),
                     RLC_ERR_UNSUPPORTED);
    assert_contains(rlc_last_error(), "Discrete");
    /* the CLI: --mpi in one process works when built, says it is not built otherwise */
    char cmd[2048], log[600], out[600];
    const char *tmp = rlc_test_tmpdir();
    snprintf(log, sizeof log, "%s/mpi_msg.log", tmp);
    snprintf(out, sizeof out, "%s/mpi_msg", tmp);
    snprintf(cmd, sizeof cmd, NOLEAK " %s train --env CartPole-v1 --steps 512 --mpi --quiet --out %s",
             rlc_test_rlc_binary(), out);
    int rc = run(cmd, log);
    if (rlc_dist_available()) {
        if (rc != 0) fail_msg("--mpi with one process failed: %s", slurp(log));
    } else {
        assert_int_equal(rc, 2);
        assert_contains(slurp(log), "MPI support was not built");
    }
    /* launched by mpirun (its environment) without MPI support: refused */
    if (!rlc_dist_available()) {
        snprintf(cmd, sizeof cmd,
                 "OMPI_COMM_WORLD_SIZE=2 %s train --env CartPole-v1 --steps 512 --out %s2",
                 rlc_test_rlc_binary(), out);
        assert_int_equal(run(cmd, log), 2);
        assert_contains(slurp(log), "one of 2 processes, but MPI support was not built");
    }
}

/* ---- under mpirun -------------------------------------------------------------------------- */

/* mpirun -np k rlc train --seed seed ... into dir; returns the exit status, output in dir.log. */
static int mpi_train_seed(int k, const char *env_prefix, const char *dir, int seed,
                          const char *args) {
    char cmd[4096], log[700];
    snprintf(log, sizeof log, "%s.log", dir);
    snprintf(cmd, sizeof cmd,
             "%s %s -np %d %s train --env CartPole-v1 --seed %d --quiet --out %s %s", env_prefix,
             MPIRUN, k, rlc_test_rlc_binary(), seed, dir, args);
    return run(cmd, log);
}

static int mpi_train(int k, const char *env_prefix, const char *dir, const char *args) {
    return mpi_train_seed(k, env_prefix, dir, 1, args);
}

static const char *logof(const char *dir) {
    static char p[700];
    snprintf(p, sizeof p, "%s.log", dir);
    return slurp(p);
}

static void test_mpi_ppo_solves(void **st) {
    (void)st;
    if (!have_mpirun()) skip();
    if (getenv("RLC_VALGRIND")) skip();
    char dir[600], ck[700];
    snprintf(dir, sizeof dir, "%s/dp", rlc_test_tmpdir());
    /* 2 ranks x 4 envs x 32 steps: the batch of the tuned single-process config (8 x 32) */
    int rc = mpi_train(2, "", dir, "--algo ppo --steps 60000 --set num_envs=4 --dist-check");
    if (!rlc_dist_available()) {
        assert_int_not_equal(rc, 0);
        assert_contains(logof(dir), "MPI support was not built");
        return;
    }
    if (rc) fail_msg("mpirun failed (%d): %s", rc, logof(dir));
    /* rank 0 wrote the run folder, rank 1 only its checkpoint */
    snprintf(ck, sizeof ck, "%s/checkpoint.rank1.safetensors", dir);
    assert_int_equal(access(ck, R_OK), 0);
    snprintf(ck, sizeof ck, "%s/final.safetensors", dir);
    double m = eval_mean(ck);
    if (m < 475) fail_msg("data-parallel PPO: eval mean %.1f < 475", m);
}

static void test_mpi_check_catches_divergence(void **st) {
    (void)st;
    if (!have_mpirun() || !rlc_dist_available()) skip();
    char dir[600];
    snprintf(dir, sizeof dir, "%s/nosync", rlc_test_tmpdir());
    /* without the gradient averaging the ranks' parameters part after the first update */
    int rc = mpi_train(2, "RLC_DIST_TEST_NOSYNC=1", dir,
                       "--algo ppo --steps 2048 --set num_envs=4 --dist-check");
    assert_int_not_equal(rc, 0);
    assert_contains(logof(dir), "parameters of rank 1 differ from rank 0's after update 1");
}

static void test_mpi_actor_learner(void **st) {
    (void)st;
    if (!have_mpirun() || !rlc_dist_available()) skip();
    if (getenv("RLC_VALGRIND")) skip();
    /* seeds 1-3, 300k steps each (about a second): IMPALA's greedy CartPole policy still
     * oscillates near the end (single seeds evaluate 390-500), so the median is checked */
    double m[3];
    for (int seed = 1; seed <= 3; seed++) {
        char dir[600], ck[700];
        snprintf(dir, sizeof dir, "%s/al%d", rlc_test_tmpdir(), seed);
        int rc = mpi_train_seed(2, "", dir, seed, "--algo impala --steps 300000");
        if (rc) fail_msg("mpirun failed (%d): %s", rc, logof(dir));
        snprintf(ck, sizeof ck, "%s/final.safetensors", dir);
        m[seed - 1] = eval_mean(ck);
    }
    double lo = fmin(m[0], fmin(m[1], m[2])), hi = fmax(m[0], fmax(m[1], m[2]));
    double med = m[0] + m[1] + m[2] - lo - hi;
    print_message("actor-learner IMPALA, seeds 1-3: %.1f %.1f %.1f\n", m[0], m[1], m[2]);
    if (med < 475) fail_msg("actor-learner IMPALA: median eval mean %.1f < 475", med);
}

/* pid of the rank-`rank` process whose command line mentions `dir`, or -1. */
static pid_t find_rank(const char *dir, int rank) {
    DIR *d = opendir("/proc");
    if (!d) return -1;
    struct dirent *e;
    pid_t found = -1;
    char want[64];
    snprintf(want, sizeof want, "OMPI_COMM_WORLD_RANK=%d", rank);
    while (found < 0 && (e = readdir(d))) {
        char path[300], buf[1 << 15];
        if (e->d_name[0] < '0' || e->d_name[0] > '9') continue;
        snprintf(path, sizeof path, "/proc/%s/cmdline", e->d_name);
        FILE *f = fopen(path, "rb");
        if (!f) continue;
        size_t n = fread(buf, 1, sizeof buf - 1, f);
        fclose(f);
        for (size_t i = 0; i < n; i++)
            if (!buf[i]) buf[i] = ' ';
        buf[n] = 0;
        if (!strstr(buf, dir) || !strstr(buf, " train ") || strstr(buf, "mpirun")) continue;
        snprintf(path, sizeof path, "/proc/%s/environ", e->d_name);
        f = fopen(path, "rb");
        if (!f) continue;
        n = fread(buf, 1, sizeof buf - 1, f);
        fclose(f);
        for (size_t i = 0; i + strlen(want) <= n; i++)
            if (!memcmp(buf + i, want, strlen(want)) && (i == 0 || !buf[i - 1]) &&
                (i + strlen(want) == n || !buf[i + strlen(want)])) {
                found = (pid_t)atoi(e->d_name);
                break;
            }
    }
    closedir(d);
    return found;
}

static void test_mpi_killed_rank_ends_job(void **st) {
    (void)st;
    if (!have_mpirun() || !rlc_dist_available()) skip();
    char dir[600], log[700], cmd[4096];
    snprintf(dir, sizeof dir, "%s/kill", rlc_test_tmpdir());
    snprintf(log, sizeof log, "%s.log", dir);
    snprintf(cmd, sizeof cmd,
             "exec %s -np 2 %s train --env CartPole-v1 --seed 1 --steps 100000000 --set "
             "num_envs=4 --checkpoint-every 4096 --out %s > '%s' 2>&1",
             MPIRUN, rlc_test_rlc_binary(), dir, log);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        execl("/bin/sh", "sh", "-c", cmd, (char *)NULL);
        _exit(127);
    }
    /* wait for the first checkpoint, then kill rank 1 */
    char ckp[700];
    snprintf(ckp, sizeof ckp, "%s/checkpoint.safetensors", dir);
    pid_t victim = -1;
    for (int i = 0; i < 1200 && (victim < 0 || access(ckp, R_OK)); i++) {
        usleep(50000);
        if (victim < 0) victim = find_rank(dir, 1);
    }
    if (victim < 0 || access(ckp, R_OK)) {
        kill(pid, SIGKILL);
        waitpid(pid, NULL, 0);
        fail_msg("the job did not start (rank 1 %d): %s", (int)victim, slurp(log));
    }
    assert_int_equal(kill(victim, SIGKILL), 0);
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    int status = 0, ended = 0;
    double secs = 0;
    while (!ended && secs < 30) {
        ended = waitpid(pid, &status, WNOHANG) == pid;
        clock_gettime(CLOCK_MONOTONIC, &t1);
        secs = (double)(t1.tv_sec - t0.tv_sec) + 1e-9 * (double)(t1.tv_nsec - t0.tv_nsec);
        if (!ended) usleep(20000);
    }
    if (!ended) {
        kill(pid, SIGKILL);
        waitpid(pid, NULL, 0);
        fail_msg("the job still runs %.0f s after rank 1 was killed", secs);
    }
    if (secs > 15) fail_msg("the job took %.1f s to end after rank 1 was killed", secs);
    assert_false(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    const char *out = slurp(log);
    assert_contains(out, "rank 1");
    assert_contains(out, "signal 9");
    /* rank 0's checkpoint is whole: it loads */
    rlc_agent *a = NULL;
    if (rlc_agent_load(&a, ckp, 0)) fail_msg("checkpoint after the kill: %s", rlc_last_error());
    rlc_agent_destroy(a);
}

static void test_mpi_resume_other_k(void **st) {
    (void)st;
    if (!have_mpirun() || !rlc_dist_available()) skip();
    char dir[600], dir3[600], cmd[4096], log[700];
    snprintf(dir, sizeof dir, "%s/res", rlc_test_tmpdir());
    snprintf(dir3, sizeof dir3, "%s/res3", rlc_test_tmpdir());
    /* K = 2, stopped after the checkpoint at 4096 of 8192 steps */
    int rc = mpi_train(2, "", dir,
                       "--algo ppo --steps 8192 --set num_envs=4 --checkpoint-every 2048 "
                       "--stop-at 4096 --log-interval 1024");
    if (rc) fail_msg("K=2 run failed (%d): %s", rc, logof(dir));
    assert_contains(logof(dir), "stopped at step 4096");
    snprintf(cmd, sizeof cmd, "cp -r %s %s", dir, dir3);
    assert_int_equal(system(cmd), 0);
    /* continued by one process */
    snprintf(log, sizeof log, "%s/res1.log", rlc_test_tmpdir());
    snprintf(cmd, sizeof cmd, "%s train --resume %s --quiet", rlc_test_rlc_binary(), dir);
    if (run(cmd, log)) fail_msg("K=1 resume failed: %s", slurp(log));
    /* continued by three ranks (rank 2 starts from rank 0's file), checked identical */
    snprintf(cmd, sizeof cmd, "%s -np 3 %s train --resume %s --quiet --dist-check", MPIRUN,
             rlc_test_rlc_binary(), dir3);
    if (run(cmd, log)) fail_msg("K=3 resume failed: %s", slurp(log));
    const char *dirs[2] = {dir, dir3};
    for (int k = 0; k < 2; k++) {
        char p[700];
        snprintf(p, sizeof p, "%s/progress.csv", dirs[k]);
        char *csv = slurp(p), *last = strrchr(csv, '\n');
        while (last && last > csv && last[1] == 0) { /* the last complete row */
            *last = 0;
            last = strrchr(csv, '\n');
        }
        /* rows continue past the checkpoint (K = 3 steps 12 envs at a time: the last row
         * logged before the end of 8192 steps may be below it) */
        if (!last || atoll(last + 1) <= 4096) fail_msg("%s: no rows after the checkpoint", p);
        snprintf(p, sizeof p, "%s/final.safetensors", dirs[k]);
        rlc_agent *a = NULL;
        if (rlc_agent_load(&a, p, 0)) fail_msg("%s: %s", p, rlc_last_error());
        rlc_agent_destroy(a);
    }
}

/* Data-parallel PPO with observation and return normalisation (Pendulum's tuned defaults):
 * the normalisers are merged across ranks after every update, so --dist-check (which hashes
 * them with the parameters) passes and both ranks' last checkpoints hold the same statistics. */
static void test_mpi_normalizers_merged(void **st) {
    (void)st;
    if (!have_mpirun() || !rlc_dist_available()) skip();
    if (getenv("RLC_VALGRIND")) skip();
    char dir[600], cmd[4096], log[700], p0[700], p1[700];
    snprintf(dir, sizeof dir, "%s/dpnorm", rlc_test_tmpdir());
    snprintf(log, sizeof log, "%s.log", dir);
    snprintf(cmd, sizeof cmd,
             "%s -np 2 %s train --env Pendulum-v1 --algo ppo --steps 24576 --seed 1 --quiet "
             "--dist-check --out %s",
             MPIRUN, rlc_test_rlc_binary(), dir);
    if (run(cmd, log)) fail_msg("mpirun failed: %s", slurp(log));
    snprintf(p0, sizeof p0, "%s/checkpoint.safetensors", dir);
    snprintf(p1, sizeof p1, "%s/checkpoint.rank1.safetensors", dir);
    rlc_st_file *a = NULL, *b = NULL;
    assert_int_equal(rlc_st_load(p0, &a), RLC_OK);
    assert_int_equal(rlc_st_load(p1, &b), RLC_OK);
    const char *names[] = {"obs_norm.mean", "obs_norm.var", "obs_norm.count", "ret_norm.mean",
                           "ret_norm.var", "ret_norm.count"};
    for (int i = 0; i < 6; i++) {
        const rlc_st_tensor *x = rlc_st_get(a, names[i]), *y = rlc_st_get(b, names[i]);
        if (!x || !y) fail_msg("%s missing", names[i]);
        assert_int_equal(x->nbytes, y->nbytes);
        if (memcmp(x->data, y->data, x->nbytes)) fail_msg("%s differs between the ranks", names[i]);
    }
    /* 24,576 steps: 3 updates of 2 x 4 envs x 1024 steps, all merged into the count */
    const rlc_st_tensor *c = rlc_st_get(a, "obs_norm.count");
    double cnt = c->dtype == RLC_ST_F64 ? *(const double *)c->data : *(const float *)c->data;
    if (fabs(cnt - 24576) > 1) fail_msg("obs_norm.count %.4f, expected the 24576 steps of both ranks", cnt);
    rlc_st_file_destroy(a);
    rlc_st_file_destroy(b);
}

/* Actor-learner runs resume too: the learner's checkpoint (parameters, optimizer, schedule,
 * counters) continues with another number of actors; one process refuses it by name. */
static void test_mpi_actor_learner_resume(void **st) {
    (void)st;
    if (!have_mpirun() || !rlc_dist_available()) skip();
    if (getenv("RLC_VALGRIND")) skip();
    char dir[600], cmd[4096], log[700], p[700];
    snprintf(dir, sizeof dir, "%s/alres", rlc_test_tmpdir());
    /* K = 2 (one actor), stopped after the first checkpoint at or past 8000 of 20000 steps */
    int rc = mpi_train(2, "", dir,
                       "--algo impala --steps 20000 --checkpoint-every 5000 --stop-at 8000 "
                       "--log-interval 2000");
    if (rc) fail_msg("K=2 run failed (%d): %s", rc, logof(dir));
    assert_contains(logof(dir), "stopped at step 10240");
    snprintf(p, sizeof p, "%s/final.safetensors", dir);
    assert_int_not_equal(access(p, F_OK), 0);
    /* one process cannot continue it (no env states), and leaves it as it was */
    snprintf(log, sizeof log, "%s/alres1.log", rlc_test_tmpdir());
    snprintf(cmd, sizeof cmd, "%s train --resume %s --quiet", rlc_test_rlc_binary(), dir);
    assert_int_equal(run(cmd, log), 2);
    assert_contains(slurp(log), "actor-learner run");
    /* K = 3 (two actors) continues it to the end */
    snprintf(cmd, sizeof cmd, "%s -np 3 %s train --resume %s", MPIRUN, rlc_test_rlc_binary(),
             dir);
    if (run(cmd, log)) fail_msg("K=3 resume failed: %s", slurp(log));
    assert_contains(slurp(log), "resuming impala on CartPole-v1 at step 10240 of 20000");
    snprintf(p, sizeof p, "%s/progress.csv", dir);
    char *csv = slurp(p), *last = strrchr(csv, '\n');
    while (last && last > csv && last[1] == 0) {
        *last = 0;
        last = strrchr(csv, '\n');
    }
    if (!last || atoll(last + 1) < 20000) fail_msg("%s: the run did not continue to the end", p);
    /* the rows before the checkpoint are kept once, the later ones logged by the new run */
    assert_non_null(strstr(csv, "\n10240,"));
    assert_null(strstr(strstr(csv, "\n10240,") + 1, "\n10240,"));
    snprintf(p, sizeof p, "%s/final.safetensors", dir);
    rlc_agent *a = NULL;
    if (rlc_agent_load(&a, p, 0)) fail_msg("%s: %s", p, rlc_last_error());
    rlc_agent_destroy(a);
}

RLC_TESTS(dist_mpi, cmocka_unit_test(test_vtrace_on_policy), cmocka_unit_test(test_vtrace_clipping),
          cmocka_unit_test(test_messages), cmocka_unit_test(test_mpi_ppo_solves),
          cmocka_unit_test(test_mpi_check_catches_divergence),
          cmocka_unit_test(test_mpi_actor_learner),
          cmocka_unit_test(test_mpi_killed_rank_ends_job),
          cmocka_unit_test(test_mpi_resume_other_k),
          cmocka_unit_test(test_mpi_actor_learner_resume),
          cmocka_unit_test(test_mpi_normalizers_merged))
