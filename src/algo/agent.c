/* The agent interface shared by every algorithm: creation from (algo, env, config), the one
 * trainer loop over a vector env, deterministic evaluation and one-file checkpoints. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "algo/algo_impl.h"
#include "rlc/image.h"
#include "rlc/safetensors.h"

static const rlc__algo *const ALGOS[] = {&rlc__algo_ppo, &rlc__algo_sac, &rlc__algo_td3,
                                         &rlc__algo_dqn};
#define N_ALGOS ((int)(sizeof ALGOS / sizeof ALGOS[0]))

static const rlc__algo *find_algo(const char *name) {
    if (!name) return NULL;
    for (int i = 0; i < N_ALGOS; i++)
        if (!strcmp(ALGOS[i]->name, name)) return ALGOS[i];
    return NULL;
}

int rlc_algo_count(void) { return N_ALGOS; }

const char *rlc_algo_name(int i) { return i >= 0 && i < N_ALGOS ? ALGOS[i]->name : NULL; }

const rlc_config_table *rlc_algo_config_table(const char *algo) {
    const rlc__algo *al = find_algo(algo);
    return al ? al->table() : NULL;
}

void rlc_agent_destroy(rlc_agent *a) {
    if (!a) return;
    if (a->impl) a->algo->destroy(a);
    rlc_env_destroy(a->env);
    rlc_free(a->env_id);
    rlc_free(a->env_kwargs);
    rlc_free(a->cfg);
    rlc_free(a);
}

rlc_status rlc_agent_create(rlc_agent **out, const char *algo, const char *env_id,
                            const char *env_kwargs, const void *cfg, uint64_t seed) {
    if (!out || !algo || !env_id) return rlc_error(RLC_ERR_INVALID, "agent: NULL argument");
    const rlc__algo *al = find_algo(algo);
    if (!al) {
        char names[256] = "";
        for (int i = 0; i < N_ALGOS; i++) {
            if (i) strncat(names, ", ", sizeof names - strlen(names) - 1);
            strncat(names, ALGOS[i]->name, sizeof names - strlen(names) - 1);
        }
        return rlc_error(RLC_ERR_NOT_FOUND, "unknown algorithm '%s' (known: %s)", algo, names);
    }
    rlc_agent *a = rlc_calloc(1, sizeof *a);
    if (!a) return RLC_ERR_NOMEM;
    a->algo = al;
    a->seed = seed;
    const rlc_config_table *t = al->table();
    a->cfg = rlc_malloc(t->size);
    a->env_id = rlc_strdup(env_id);
    a->env_kwargs = rlc_strdup(env_kwargs ? env_kwargs : "");
    if (!a->cfg || !a->env_id || !a->env_kwargs) {
        rlc_agent_destroy(a);
        return RLC_ERR_NOMEM;
    }
    if (cfg)
        memcpy(a->cfg, cfg, t->size);
    else
        rlc_config_defaults(t, a->cfg);
    rlc_status st = rlc_env_make(&a->env, env_id, env_kwargs);
    if (st) {
        rlc_agent_destroy(a);
        return st;
    }
    a->obs_space = rlc_env_obs_space(a->env);
    a->action_space = rlc_env_action_space(a->env);
    a->obs_size = (int)a->obs_space->size;
    st = al->init(a);
    if (st) {
        rlc_agent_destroy(a);
        return st;
    }
    *out = a;
    return RLC_OK;
}

const char *rlc_agent_algo(const rlc_agent *a) { return a ? a->algo->name : NULL; }
const char *rlc_agent_env_id(const rlc_agent *a) { return a ? a->env_id : NULL; }
const char *rlc_agent_env_kwargs(const rlc_agent *a) { return a ? a->env_kwargs : NULL; }
const rlc_config_table *rlc_agent_config_table(const rlc_agent *a) {
    return a ? a->algo->table() : NULL;
}
const void *rlc_agent_config(const rlc_agent *a) { return a ? a->cfg : NULL; }
rlc_params *rlc_agent_params(rlc_agent *a) { return a ? a->algo->params(a) : NULL; }
int rlc_agent_num_envs(const rlc_agent *a) { return a ? a->num_envs : 0; }

rlc_status rlc_agent_act(rlc_agent *a, const float *obs, int n, void *actions,
                         int deterministic) {
    if (!a || !obs || !actions) return rlc_error(RLC_ERR_INVALID, "agent_act: NULL argument");
    if (n != 1 && n != a->num_envs)
        return rlc_error(RLC_ERR_INVALID, "agent_act: batch %d is neither 1 nor num_envs (%d)", n,
                         a->num_envs);
    return a->algo->act(a, obs, n, actions, deterministic);
}

/* ---- trainer loop ---------------------------------------------------------------------- */

#define RECENT 20

rlc_status rlc_agent_train(rlc_agent *a, uint64_t seed, const rlc_train_options *opt,
                           rlc_train_result *res) {
    if (!a) return rlc_error(RLC_ERR_INVALID, "agent_train: NULL agent");
    rlc_train_options o = {0};
    if (opt) o = *opt;
    if (o.total_steps <= 0) o.total_steps = 100000;
    rlc_vec_env_options vo = {.num_threads = a->num_threads,
                              .autoreset = RLC_VEC_AUTORESET_NEXT_STEP};
    rlc_vec_env *v = NULL;
    rlc_status st = rlc_vec_env_create(&v, a->env_id, a->env_kwargs, a->num_envs, &vo);
    if (st) return st;
    st = rlc_vec_env_reset(v, (int64_t)seed);
    if (st) {
        rlc_vec_env_destroy(v);
        return st;
    }
    a->algo->begin(a, o.total_steps);

    double recent[RECENT];
    int n_recent = 0, recent_pos = 0;
    int64_t steps = 0, episodes = 0, updates = 0, next_log = o.log_interval;
    double t0 = rlc_time_now(), t_log = t0;
    int64_t steps_log = 0;
    rlc__update_info info = {0};
    int stop = 0;
    while (steps < o.total_steps && !stop) {
        if ((st = a->algo->train_act(a, v))) break;
        if ((st = rlc_vec_env_step(v, NULL))) break;
        steps += a->num_envs;
        for (int i = 0; i < a->num_envs; i++) {
            if (!(v->terminated[i] | v->truncated[i])) continue;
            episodes++;
            recent[recent_pos] = v->episode_return[i];
            recent_pos = (recent_pos + 1) % RECENT;
            if (n_recent < RECENT) n_recent++;
            rlc_progress_episode(o.progress, v->episode_return[i]);
        }
        double mean_ret = NAN;
        if (n_recent) {
            mean_ret = 0;
            for (int k = 0; k < n_recent; k++) mean_ret += recent[k];
            mean_ret /= n_recent;
        }
        if (a->algo->observe(a, v)) {
            if ((st = a->algo->update(a, v, &info))) break;
            updates++;
            if (o.stop_return > 0 && n_recent == RECENT && mean_ret >= o.stop_return) stop = 1;
            if (o.log_interval <= 0 || steps >= next_log || stop || steps >= o.total_steps) {
                while (o.log_interval > 0 && next_log <= steps) next_log += o.log_interval;
                double now = rlc_time_now();
                double fps = now > t_log ? (double)(steps - steps_log) / (now - t_log) : 0;
                t_log = now;
                steps_log = steps;
                if (o.logger) {
                    rlc_logger_record(o.logger, "episodes", (double)episodes);
                    rlc_logger_record(o.logger, "return_mean", mean_ret);
                    rlc_logger_record(o.logger, "fps", fps);
                    for (int k = 0; k < info.n; k++)
                        rlc_logger_record(o.logger, info.key[k], info.value[k]);
                    if ((st = rlc_logger_dump(o.logger, steps))) break;
                }
                if (o.print) {
                    fprintf(o.print, "step %lld  episodes %lld  return %.2f  fps %.0f",
                            (long long)steps, (long long)episodes, mean_ret, fps);
                    for (int k = 0; k < info.n; k++)
                        fprintf(o.print, "  %s %.4g", info.key[k], info.value[k]);
                    fputc('\n', o.print);
                    fflush(o.print);
                }
            }
        }
        rlc_progress_update(o.progress, steps);
    }
    double t1 = rlc_time_now();
    rlc_progress_finish(o.progress, steps);
    rlc_vec_env_destroy(v);
    if (res) {
        res->steps = steps;
        res->episodes = episodes;
        res->updates = updates;
        res->seconds = t1 - t0;
        res->mean_return = NAN;
        if (n_recent) {
            double s = 0;
            for (int k = 0; k < n_recent; k++) s += recent[k];
            res->mean_return = s / n_recent;
        }
    }
    return st;
}

/* ---- evaluation ------------------------------------------------------------------------ */

rlc_status rlc_agent_evaluate(rlc_agent *a, int episodes, uint64_t seed, int stochastic,
                              double *returns, void *gif, int gif_width, int gif_height) {
    if (!a || episodes < 0) return rlc_error(RLC_ERR_INVALID, "agent_evaluate: bad argument");
    void *obs = rlc_malloc(rlc_space_bytes(a->obs_space) + 1);
    float *obs_f = rlc_malloc(sizeof(float) * (size_t)a->obs_size + 1);
    void *act = rlc_malloc(rlc_space_bytes(a->action_space) + 8);
    uint8_t *rgb = gif ? rlc_malloc((size_t)gif_width * (size_t)gif_height * 3) : NULL;
    rlc_status st = RLC_OK;
    if (!obs || !obs_f || !act || (gif && !rgb)) st = RLC_ERR_NOMEM;
    for (int e = 0; e < episodes && !st; e++) {
        if ((st = rlc_env_reset(a->env, (int64_t)(seed + (uint64_t)e), obs))) break;
        double ret = 0;
        for (;;) {
            if (gif && e == 0) {
                if ((st = rlc_env_render(a->env, rgb, gif_width, gif_height))) break;
                if ((st = rlc_image_gif_add_frame((rlc_gif *)gif, rgb))) break;
            }
            rlc_space_to_f32(a->obs_space, obs, obs_f);
            if ((st = a->algo->act(a, obs_f, 1, act, !stochastic))) break;
            rlc_step_result r;
            if ((st = rlc_env_step(a->env, act, obs, &r))) break;
            ret += r.reward;
            if (r.terminated || r.truncated) {
                if (gif && e == 0) {
                    if ((st = rlc_env_render(a->env, rgb, gif_width, gif_height))) break;
                    if ((st = rlc_image_gif_add_frame((rlc_gif *)gif, rgb))) break;
                }
                break;
            }
        }
        if (returns) returns[e] = ret;
    }
    rlc_free(obs);
    rlc_free(obs_f);
    rlc_free(act);
    rlc_free(rgb);
    return st;
}

/* ---- checkpoints ----------------------------------------------------------------------- */

rlc_status rlc_agent_save(const rlc_agent *a, const char *path) {
    if (!a || !path) return rlc_error(RLC_ERR_INVALID, "agent_save: NULL argument");
    rlc_agent *m = (rlc_agent *)a; /* params() only hands out the pointer */
    rlc_st_writer *w = rlc_st_writer_create();
    if (!w) return RLC_ERR_NOMEM;
    const rlc_config_table *t = a->algo->table();
    char *json = NULL;
    rlc_status st = rlc_params_write(a->algo->params(m), w, "", RLC_CKPT_OPTIM);
    if (!st && a->algo->write_state) st = a->algo->write_state(m, w);
    if (!st) st = rlc_st_writer_set_meta(w, "format", "pt");
    if (!st) st = rlc_st_writer_set_meta(w, "rlc.version", RLC_VERSION_STRING);
    if (!st) st = rlc_st_writer_set_meta(w, "rlc.algo", a->algo->name);
    if (!st) st = rlc_st_writer_set_meta(w, "rlc.env", a->env_id);
    if (!st) st = rlc_st_writer_set_meta(w, "rlc.env_kwargs", a->env_kwargs);
    if (!st) st = rlc_config_to_json(t, a->cfg, &json);
    if (!st) st = rlc_st_writer_set_meta(w, "rlc.config", json);
    for (int i = 0; i < t->n_fields && !st; i++) {
        char key[300], val[RLC_CONFIG_STR_MAX + 64];
        snprintf(key, sizeof key, "config.%s", t->fields[i].name);
        st = rlc_config_get(t, a->cfg, t->fields[i].name, val, sizeof val);
        if (!st) st = rlc_st_writer_set_meta(w, key, val);
    }
    if (!st) st = rlc_st_writer_save(w, path);
    rlc_free(json);
    rlc_st_writer_destroy(w);
    return st;
}

rlc_status rlc_agent_load(rlc_agent **out, const char *path, uint64_t seed) {
    if (!out || !path) return rlc_error(RLC_ERR_INVALID, "agent_load: NULL argument");
    rlc_st_file *f = NULL;
    rlc_status st = rlc_st_load(path, &f);
    if (st) return st;
    const char *algo = rlc_st_meta(f, "rlc.algo"), *env = rlc_st_meta(f, "rlc.env");
    const char *kw = rlc_st_meta(f, "rlc.env_kwargs");
    const rlc_config_table *t = algo ? rlc_algo_config_table(algo) : NULL;
    if (!algo || !env || !t) {
        st = rlc_error(RLC_ERR_FORMAT, "%s: not an rlc agent checkpoint (%s)", path,
                       !algo ? "no rlc.algo metadata"
                       : !env ? "no rlc.env metadata"
                              : "unknown algorithm");
        rlc_st_file_destroy(f);
        return st;
    }
    void *cfg = rlc_malloc(t->size);
    if (!cfg) {
        rlc_st_file_destroy(f);
        return RLC_ERR_NOMEM;
    }
    rlc_config_defaults(t, cfg);
    for (int i = 0; i < t->n_fields && !st; i++) {
        char key[300];
        snprintf(key, sizeof key, "config.%s", t->fields[i].name);
        const char *val = rlc_st_meta(f, key);
        if (val && (st = rlc_config_set(t, cfg, t->fields[i].name, val)))
            st = rlc_error(st, "%s: metadata %s: %s", path, key, rlc_last_error());
    }
    rlc_agent *a = NULL;
    if (!st) st = rlc_agent_create(&a, algo, env, kw, cfg, seed);
    if (!st) st = rlc_params_read(a->algo->params(a), f, "", RLC_CKPT_OPTIM);
    if (!st && a->algo->read_state) st = a->algo->read_state(a, f);
    rlc_free(cfg);
    rlc_st_file_destroy(f);
    if (st) {
        rlc_agent_destroy(a);
        return st;
    }
    *out = a;
    return RLC_OK;
}
