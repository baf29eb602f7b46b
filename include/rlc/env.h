/* Environments: spaces (Box, Discrete, MultiDiscrete), the env object (make by id with
 * key=value kwargs, reset/step/observe, byte snapshots and state vectors), and the registry.
 * Ids, numbers and semantics follow Gymnasium 1.x; the classic-control envs are bit-exact. */
#ifndef RLC_ENV_H
#define RLC_ENV_H

#include "rlc/core.h"
#include "rlc/rng.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---------------------------------------------------------------------------------------
 * Spaces
 * ------------------------------------------------------------------------------------- */

typedef enum rlc_space_kind {
    RLC_SPACE_BOX = 1,           /* real (or integer) array with per-element bounds */
    RLC_SPACE_DISCRETE = 2,      /* one integer in [start, start + n) */
    RLC_SPACE_MULTI_DISCRETE = 3 /* integers a[i] in [start[i], start[i] + nvec[i]) */
} rlc_space_kind;

/* Element type of the values of a space, i.e. of the obs/action buffers the API reads and
 * writes. Discrete and MultiDiscrete values are always RLC_SPACE_INT64. */
typedef enum rlc_space_dtype {
    RLC_SPACE_FLOAT32 = 0,
    RLC_SPACE_FLOAT64 = 1,
    RLC_SPACE_INT64 = 2,
    RLC_SPACE_INT32 = 3,
    RLC_SPACE_UINT8 = 4
} rlc_space_dtype;

#define RLC_SPACE_MAX_DIMS 4

/* A space, owned by the env that reports it and valid until that env is destroyed.
 * Plain data: read the fields directly. */
typedef struct rlc_space {
    rlc_space_kind kind;
    rlc_space_dtype dtype;
    int ndim;                          /* Box: rank of `shape`; Discrete: 0; MultiDiscrete: 1 */
    int64_t shape[RLC_SPACE_MAX_DIMS]; /* unused dims are 0 */
    int64_t size;                      /* elements per value: prod(shape); 1 for Discrete */
    /* Box: per-element bounds [size], the dtype's values widened exactly to double; may be
     * -inf/+inf. NULL for other kinds. */
    const double *low, *high;
    int64_t n, start;      /* Discrete only */
    const int64_t *nvec;   /* MultiDiscrete: [size]; NULL otherwise */
    const int64_t *nstart; /* MultiDiscrete: [size] lower values, NULL means all 0 */
} rlc_space;

/* Bytes of one element of `dtype` (4, 8, 8, 4, 1). */
RLC_API size_t rlc_space_dtype_size(rlc_space_dtype dtype);
/* Bytes of one value of the space: size * dtype size. */
RLC_API size_t rlc_space_bytes(const rlc_space *s);
/* Converts one value of the space (`src`, in the space's dtype) to `size` floats in `dst`
 * (a Discrete index becomes its float value). Never fails; for agents that work in float32. */
RLC_API void rlc_space_to_f32(const rlc_space *s, const void *src, float *dst);
/* 1 if `value` (in the space's dtype) lies in the space (Box bounds inclusive, NaN is
 * outside), else 0. */
RLC_API int rlc_space_contains(const rlc_space *s, const void *value);
/* Draws one value into `out` from `rng`, as Gymnasium's space.sample(): Discrete is
 * start + integers(0, n); a fully bounded float Box is uniform(low, high) element by element,
 * cast to the dtype (bit-identical to Gymnasium for the same generator state). Unbounded Box
 * dimensions draw a standard normal (not Gymnasium-identical). */
RLC_API void rlc_space_sample(const rlc_space *s, rlc_rng *rng, void *out);
/* Writes a Gymnasium-style description such as "Discrete(2)" or
 * "Box(-1.0, 1.0, (1,), float32)" into buf (always NUL-terminated when cap > 0). Returns the
 * length it needed, like snprintf. */
RLC_API int rlc_space_describe(const rlc_space *s, char *buf, size_t cap);

/* ---------------------------------------------------------------------------------------
 * Environments
 *
 * Buffers: observations are written by the env into a caller buffer of
 * rlc_space_bytes(obs space) bytes, in the obs space's dtype (float32 for classic control,
 * float64 for MuJoCo). Actions are read from a caller buffer in the action space's dtype:
 * Discrete -> one int64_t, MultiDiscrete -> int64_t[size], Box -> float32[size] (or the
 * Box's dtype). Nothing is allocated after rlc_env_make; reset/step do no string work.
 *
 * Episode life cycle (Gymnasium's TimeLimit + OrderEnforcing): make -> reset -> step ... until
 * terminated or truncated -> reset -> ... Stepping before the first reset, or after the
 * episode ended, fails with RLC_ERR_STATE. truncated = (steps since reset >=
 * max_episode_steps), and may be set on the same step as terminated.
 * ------------------------------------------------------------------------------------- */

typedef struct rlc_env rlc_env;

/* Pass as `seed` to rlc_env_reset to continue the env's own RNG stream (Gymnasium's
 * reset() without a seed). */
#define RLC_ENV_NO_SEED (-1)

/* The outcome of one step. */
typedef struct rlc_step_result {
    double reward;
    int terminated; /* 1: the MDP reached a terminal state */
    int truncated;  /* 1: the time limit ended the episode */
    /* Set on the step that ends the episode (terminated or truncated), 0 otherwise: the
     * undiscounted return and the length of the finished episode (Gymnasium's
     * RecordEpisodeStatistics info["episode"]["r"], ["l"]). */
    double episode_return;
    int64_t episode_length;
} rlc_step_result;

/* Creates the environment registered as `id` (e.g. "CartPole-v1"). `kwargs` is NULL, "" or
 * "key=value,key=value" (spaces around tokens ignored) setting the env's physical parameters
 * and `max_episode_steps` (0 = no time limit); see rlc_env_registry_find() for each env's
 * keys. String keys (RLC_PARAM_STRING, e.g. the MuJoCo envs' "xml=/path/model.xml") take the
 * text up to the next comma. On success *out owns a new env (free with rlc_env_destroy).
 * Errors (out untouched): RLC_ERR_NOT_FOUND for an unknown id (the message suggests the
 * closest ids), RLC_ERR_INVALID for an unknown/malformed/duplicate key, an unparsable or empty
 * value (the message names the key and lists the known ones), RLC_ERR_RANGE for a value outside
 * its range, RLC_ERR_NOMEM, and the env's own errors (e.g. RLC_ERR_NOT_FOUND / RLC_ERR_FORMAT
 * for a missing or unusable model file). */
RLC_API rlc_status rlc_env_make(rlc_env **out, const char *id, const char *kwargs);
/* Frees the env. Accepts NULL. */
RLC_API void rlc_env_destroy(rlc_env *env);

/* Registry id the env was made from ("CartPole-v1"). Valid while the env lives. */
RLC_API const char *rlc_env_id(const rlc_env *env);
/* Observation and action spaces, owned by the env. Never NULL for a valid env. */
RLC_API const rlc_space *rlc_env_obs_space(const rlc_env *env);
RLC_API const rlc_space *rlc_env_action_space(const rlc_env *env);
/* The time limit in effect (0 = none). */
RLC_API int64_t rlc_env_max_episode_steps(const rlc_env *env);

/* Seeds the env's RNG like Gymnasium's reset(seed=...) does, without resetting: the next
 * rlc_env_reset(env, RLC_ENV_NO_SEED, obs) then equals reset(seed=seed). */
RLC_API void rlc_env_seed(rlc_env *env, uint64_t seed);
/* The same for a non-negative decimal integer of any size
 * ("340282366920938463463374607431768211463" = 2^128+7). RLC_ERR_INVALID if `decimal` is not one
 * (the RNG is then unchanged). */
RLC_API rlc_status rlc_env_seed_str(rlc_env *env, const char *decimal);

/* Starts an episode and writes the first observation to `obs` (may be NULL). `seed` >= 0
 * reseeds first (= Gymnasium reset(seed=seed)); RLC_ENV_NO_SEED continues the RNG stream
 * (when the env was never seeded it is seeded once from OS entropy, as Gymnasium does).
 * Resets the time-limit counter and the episode statistics. Errors: RLC_ERR_RANGE for a
 * negative seed other than RLC_ENV_NO_SEED. */
RLC_API rlc_status rlc_env_reset(rlc_env *env, int64_t seed, void *obs);

/* Advances one step with `action` (in the action space's dtype, see above), writes the next
 * observation to `obs` (may be NULL) and the outcome to `out` (may be NULL).
 * Errors (env state, obs and out untouched): RLC_ERR_STATE before the first reset or after
 * the episode ended; RLC_ERR_RANGE for a Discrete/MultiDiscrete index outside the space
 * (Acrobot-v1 also accepts Python's negative indices -3..-1, as Gymnasium does) or a
 * non-finite Box element; RLC_ERR_INVALID for a NULL action. Finite Box actions outside the
 * bounds are accepted and clipped by the env itself, as in Gymnasium. A MuJoCo env whose
 * simulation became unstable (NaN/inf in MuJoCo's check) returns RLC_ERR_RANGE with MuJoCo's
 * warning: the step is not applied (the state stays the one before it, obs gets its
 * observation, out is untouched) and the episode is over. */
RLC_API rlc_status rlc_env_step(rlc_env *env, const void *action, void *obs, rlc_step_result *out);
/* rlc_env_step with the action given as `n` doubles (for the CLI, bindings and files): `n`
 * must equal the action space's size (RLC_ERR_INVALID otherwise; at most 64 values), Discrete
 * values must be integers (RLC_ERR_INVALID), and Box values are converted to the Box dtype
 * (finite values beyond the float32 range become +-FLT_MAX, then clipped by the env). */
RLC_API rlc_status rlc_env_step_values(rlc_env *env, const double *action, int64_t n, void *obs,
                                       rlc_step_result *out);
/* Writes the observation of the current state to `obs`. RLC_ERR_STATE if the env has no
 * state yet (never reset nor given a state vector). */
RLC_API rlc_status rlc_env_observe(const rlc_env *env, void *obs);

/* Return and length of the episode in progress (since the last reset), either may be NULL. */
RLC_API void rlc_env_episode(const rlc_env *env, double *ret, int64_t *length);
/* 1 if the env can be stepped (reset and not yet ended), else 0. */
RLC_API int rlc_env_running(const rlc_env *env);

/* Byte snapshots: a plain copy of everything that evolves (physical state, RNG, time-limit
 * counter, episode statistics, life-cycle phase), not of the constant parameters. Restoring
 * a snapshot reproduces the future exactly. rlc_env_state_size gives the bytes needed;
 * get_state fails with RLC_ERR_INVALID when size is smaller; set_state fails with
 * RLC_ERR_INVALID (env unchanged) when the buffer does not hold a snapshot of the same env
 * type and size. Snapshots are for the same build and machine (no portable format). */
RLC_API size_t rlc_env_state_size(const rlc_env *env);
RLC_API rlc_status rlc_env_get_state(const rlc_env *env, void *buf, size_t size);
RLC_API rlc_status rlc_env_set_state(rlc_env *env, const void *buf, size_t size);

/* State vectors: the env's physical state as doubles, documented per env in docs/envs.md
 * (CartPole: x, x_dot, theta, theta_dot). Setting one is Gymnasium's
 * `env.unwrapped.state = np.array(v, dtype=float64)`: the RNG and the time-limit counter are
 * kept; if the env was never reset or its episode ended, a new episode starts (counter and
 * statistics 0) so it can be stepped. rlc_env_state_names gives the comma-separated names.
 * Errors: RLC_ERR_INVALID if n != rlc_env_state_dim(env), RLC_ERR_RANGE for a non-finite
 * value; the env is then unchanged. */
RLC_API int rlc_env_state_dim(const rlc_env *env);
RLC_API const char *rlc_env_state_names(const rlc_env *env);
RLC_API rlc_status rlc_env_get_state_vector(const rlc_env *env, double *v);
RLC_API rlc_status rlc_env_set_state_vector(rlc_env *env, const double *v, int n);

/* Renders the current state into `rgb` (width*height*3 bytes, row-major, top row first).
 * RLC_ERR_UNSUPPORTED for envs without a renderer; RLC_ERR_STATE before any state;
 * RLC_ERR_INVALID for bad sizes. */
RLC_API rlc_status rlc_env_render(const rlc_env *env, uint8_t *rgb, int width, int height);

/* ---------------------------------------------------------------------------------------
 * Registry
 * ------------------------------------------------------------------------------------- */

typedef enum rlc_param_type {
    RLC_PARAM_REAL = 0,
    RLC_PARAM_INT = 1,
    RLC_PARAM_BOOL = 2,
    RLC_PARAM_STRING = 3 /* text (e.g. a file path) without commas; default: none given */
} rlc_param_type;

/* One keyword argument of an env (a physical parameter, or a string such as a model file).
 * Numeric values must be finite and lie in [lo, hi] (lo excluded when lo_open); a string
 * parameter ignores default_value, lo and hi. */
typedef struct rlc_env_param {
    const char *name;
    rlc_param_type type;
    double default_value;
    double lo, hi;
    int lo_open;
    const char *doc;
} rlc_env_param;

/* A registered id. Static data, never freed. */
typedef struct rlc_env_spec {
    const char *id;            /* "CartPole-v1" */
    const char *summary;       /* one line */
    int64_t max_episode_steps; /* default time limit (0 = none) */
    double reward_threshold;   /* "solved" return; NAN if none */
    const char *kwargs;        /* kwargs applied before the user's (NULL if none) */
    int nparams;               /* keyword arguments besides max_episode_steps */
    const rlc_env_param *params;
} rlc_env_spec;

/* Number of registered ids, and the i-th one (0 <= i < count; NULL otherwise), in a fixed
 * order. */
RLC_API int rlc_env_registry_count(void);
RLC_API const rlc_env_spec *rlc_env_registry_get(int i);
/* The spec of `id`, or NULL (no error message set) if unknown. */
RLC_API const rlc_env_spec *rlc_env_registry_find(const char *id);

#ifdef __cplusplus
}
#endif
#endif
