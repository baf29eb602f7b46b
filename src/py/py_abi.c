/* Layout facts for the Python bindings (python/rlc/_lib.py): the size and field offsets of every
 * public struct that ctypes mirrors, so the bindings can refuse, at import, a librlc.so whose
 * layout differs from their declarations instead of reading garbage. */
#include <stddef.h>
#include <string.h>

#include "rlc/agent.h"
#include "rlc/config.h"
#include "rlc/env.h"
#include "rlc/nn.h"
#include "rlc/vec_env.h"

/* Size (field "") or offset (field name) in bytes of a mirrored struct member, or -1 when the
 * type or field is not in the table. Never fails otherwise; no error message is set. */
RLC_API long long rlc_py_abi(const char *type, const char *field);

typedef struct abi_entry {
    const char *type, *field;
    size_t value;
} abi_entry;

#define SZ(T) {#T, "", sizeof(T)}
#define OFF(T, f) {#T, #f, offsetof(T, f)}

static const abi_entry ABI[] = {
    SZ(rlc_space), OFF(rlc_space, kind), OFF(rlc_space, dtype), OFF(rlc_space, ndim),
    OFF(rlc_space, shape), OFF(rlc_space, size), OFF(rlc_space, low), OFF(rlc_space, high),
    OFF(rlc_space, n), OFF(rlc_space, start), OFF(rlc_space, nvec), OFF(rlc_space, nstart),

    SZ(rlc_step_result), OFF(rlc_step_result, reward), OFF(rlc_step_result, terminated),
    OFF(rlc_step_result, truncated), OFF(rlc_step_result, episode_return),
    OFF(rlc_step_result, episode_length),

    SZ(rlc_env_param), OFF(rlc_env_param, name), OFF(rlc_env_param, type),
    OFF(rlc_env_param, default_value), OFF(rlc_env_param, lo), OFF(rlc_env_param, hi),
    OFF(rlc_env_param, lo_open), OFF(rlc_env_param, doc),

    SZ(rlc_env_spec), OFF(rlc_env_spec, id), OFF(rlc_env_spec, summary),
    OFF(rlc_env_spec, max_episode_steps), OFF(rlc_env_spec, reward_threshold),
    OFF(rlc_env_spec, kwargs), OFF(rlc_env_spec, nparams), OFF(rlc_env_spec, params),

    SZ(rlc_vec_env_options), OFF(rlc_vec_env_options, num_threads),
    OFF(rlc_vec_env_options, autoreset), OFF(rlc_vec_env_options, wrap),
    OFF(rlc_vec_env_options, wrap_user),

    SZ(rlc_vec_episode_stats), OFF(rlc_vec_episode_stats, episodes),
    OFF(rlc_vec_episode_stats, mean_return), OFF(rlc_vec_episode_stats, mean_length),
    OFF(rlc_vec_episode_stats, min_return), OFF(rlc_vec_episode_stats, max_return),

    SZ(rlc_vec_env), OFF(rlc_vec_env, num_envs), OFF(rlc_vec_env, num_threads),
    OFF(rlc_vec_env, autoreset_mode), OFF(rlc_vec_env, obs_space),
    OFF(rlc_vec_env, action_space), OFF(rlc_vec_env, obs_size), OFF(rlc_vec_env, obs_bytes),
    OFF(rlc_vec_env, action_bytes), OFF(rlc_vec_env, obs), OFF(rlc_vec_env, obs_f32),
    OFF(rlc_vec_env, final_obs), OFF(rlc_vec_env, final_obs_f32), OFF(rlc_vec_env, rewards),
    OFF(rlc_vec_env, terminated), OFF(rlc_vec_env, truncated), OFF(rlc_vec_env, autoreset),
    OFF(rlc_vec_env, episode_return), OFF(rlc_vec_env, episode_length),
    OFF(rlc_vec_env, actions), OFF(rlc_vec_env, total_steps), OFF(rlc_vec_env, impl),

    SZ(rlc_config_field), OFF(rlc_config_field, name), OFF(rlc_config_field, type),
    OFF(rlc_config_field, offset), OFF(rlc_config_field, def), OFF(rlc_config_field, def_str),
    OFF(rlc_config_field, lo), OFF(rlc_config_field, hi), OFF(rlc_config_field, choices),
    OFF(rlc_config_field, doc),

    SZ(rlc_config_table), OFF(rlc_config_table, name), OFF(rlc_config_table, fields),
    OFF(rlc_config_table, n_fields), OFF(rlc_config_table, size),

    SZ(rlc_train_options), OFF(rlc_train_options, total_steps),
    OFF(rlc_train_options, log_interval), OFF(rlc_train_options, logger),
    OFF(rlc_train_options, progress), OFF(rlc_train_options, print),
    OFF(rlc_train_options, stop_return),

    /* mirrored by python/tests (they build an MLP through ctypes) */
    SZ(rlc_init), OFF(rlc_init, kind), OFF(rlc_init, gain), OFF(rlc_init, lo), OFF(rlc_init, hi),
    OFF(rlc_init, value), OFF(rlc_init, std), OFF(rlc_init, sparsity),

    SZ(rlc_mlp_spec), OFF(rlc_mlp_spec, sizes), OFF(rlc_mlp_spec, nsizes),
    OFF(rlc_mlp_spec, act), OFF(rlc_mlp_spec, out_act), OFF(rlc_mlp_spec, act_param),
    OFF(rlc_mlp_spec, layer_norm), OFF(rlc_mlp_spec, ln_eps), OFF(rlc_mlp_spec, no_bias),
    OFF(rlc_mlp_spec, hidden_init), OFF(rlc_mlp_spec, hidden_bias_init),
    OFF(rlc_mlp_spec, out_init), OFF(rlc_mlp_spec, out_bias_init),

    SZ(rlc_rng),

    SZ(rlc_train_result), OFF(rlc_train_result, steps), OFF(rlc_train_result, episodes),
    OFF(rlc_train_result, updates), OFF(rlc_train_result, mean_return),
    OFF(rlc_train_result, seconds),
};

long long rlc_py_abi(const char *type, const char *field) {
    if (!type) return -1;
    if (!field) field = "";
    for (size_t i = 0; i < sizeof ABI / sizeof ABI[0]; i++)
        if (!strcmp(ABI[i].type, type) && !strcmp(ABI[i].field, field))
            return (long long)ABI[i].value;
    return -1;
}
