/* Internals of the env layer: the per-env vtable (rlc__env_def), the rlc_env struct behind the
 * opaque handle, the registry entry, and space helpers. A new env is one file that defines a
 * plain struct and an rlc__env_def, plus one line in registry.c. */
#ifndef RLC_ENV_IMPL_H
#define RLC_ENV_IMPL_H

#include "rlc/env.h"

/* Behaviour flags of an env type. */
enum {
    /* Discrete actions may also be Python negative indices -n..-1 (Acrobot indexes a list). */
    RLC__ENV_NEGATIVE_INDEX = 1u << 0
};

/* The vtable of one env type. `self` points at the env's own struct (def->size bytes, zeroed
 * before init, suitably aligned), `rng` at the env's generator (reseeded by the generic
 * layer). Actions reaching step/reset have been validated against the action space (range,
 * finiteness), so the env only implements Gymnasium's own clipping. */
typedef struct rlc__env_def {
    const char *name;    /* family name ("CartPole"); snapshots carry its hash */
    const char *summary; /* one line for `rlc envs` */
    size_t size;         /* sizeof the env struct */
    /* The evolving part of the struct, copied by byte snapshots: [state_offset, +state_size).
     * Everything else (parameters, derived constants) is constant after init. */
    size_t state_offset, state_size;
    int state_dim;           /* length of the state vector */
    const char *state_names; /* "x,x_dot,theta,theta_dot" */
    int nparams;
    const rlc_env_param *params; /* kwargs, in the order init receives their values */
    unsigned flags;              /* RLC__ENV_* */

    /* Stores the parameter values (vals[nparams], validated against each param's range) and
     * fills both spaces with rlc__space_*. May reject combinations with rlc_error(); the
     * generic layer frees the spaces on failure. Required. */
    rlc_status (*init)(void *self, const double *vals, rlc_space *obs_space, rlc_space *act_space);
    /* Draws a start state from rng and writes the first obs. Required. */
    void (*reset)(void *self, rlc_rng *rng, void *obs);
    /* One transition: action in the action space's dtype, obs never NULL. Required. */
    void (*step)(void *self, rlc_rng *rng, const void *action, void *obs, double *reward,
                 int *terminated);
    /* Observation of the current state. Required. */
    void (*observe)(const void *self, void *obs);
    /* State vector get/set (v[state_dim], finite). Required. */
    void (*get_vector)(const void *self, double *v);
    void (*set_vector)(void *self, const double *v);
    /* Draws into an RGB buffer; NULL = RLC_ERR_UNSUPPORTED (renderers live in render_*.c). */
    rlc_status (*render)(const void *self, uint8_t *rgb, int width, int height);
    /* Frees what init allocated besides the spaces (wrappers: the inner env). Optional. */
    void (*fini)(void *self);
    /* Receives the value of the string kwarg params[param] (RLC_PARAM_STRING) before init, once
     * for each one given. Required when a param is a string; may fail with rlc_error(). */
    rlc_status (*set_string)(void *self, int param, const char *value);
    /* Optional: called after each step; an error (left with rlc_error(), e.g. MuJoCo's
     * simulation became unstable) makes rlc_env_step end the episode and return it. The env's
     * step must then also report terminated, for callers that step it directly (vec envs). */
    rlc_status (*step_status)(const void *self, const char *id);
} rlc__env_def;

/* Life-cycle phase, part of the snapshot. */
enum {
    RLC__PHASE_NEW = 0,        /* never reset: no state */
    RLC__PHASE_RUNNING = 1,    /* can step */
    RLC__PHASE_TERMINATED = 2, /* episode ended by the env */
    RLC__PHASE_TRUNCATED = 3   /* episode ended by the time limit */
};

/* How rlc_env_step validates an action (chosen from the action space at make). */
enum {
    RLC__ACT_DISCRETE = 0,
    RLC__ACT_BOX_F32 = 1,
    RLC__ACT_BOX_F64 = 2,
    RLC__ACT_MULTI_DISCRETE = 3,
    RLC__ACT_NONE = 4 /* integer Box: no check */
};

/* The generic evolving state besides the env's own: copied by snapshots. */
typedef struct rlc__env_runtime {
    rlc_rng rng;
    int64_t elapsed;  /* steps since reset (TimeLimit counter) */
    double ep_return; /* sum of rewards since reset */
    int32_t phase;    /* RLC__PHASE_* */
    int32_t seeded;   /* the RNG was seeded at least once */
} rlc__env_runtime;

struct rlc_env {
    /* hot fields first */
    void (*step)(void *self, rlc_rng *rng, const void *action, void *obs, double *reward,
                 int *terminated);
    void *self;
    rlc__env_runtime rt;
    int64_t max_steps;        /* 0 = no limit */
    int act_check;            /* RLC__ACT_* */
    int act_n;                /* elements per action */
    int64_t act_lo, act_span; /* Discrete: accepted indices [act_lo, act_lo + act_span) */
    void *scratch_obs;        /* target when the caller passes obs = NULL */
    const rlc__env_def *def;
    const rlc_env_spec *spec;
    rlc_space obs_space, act_space;
};

/* Space constructors for init (allocate through rlc_malloc; RLC_ERR_NOMEM on failure).
 * Box bounds are rounded to the dtype (float32 bounds become their float32 values). */
rlc_status rlc__space_box(rlc_space *s, rlc_space_dtype dtype, int64_t n, const double *low,
                          const double *high);
/* Box whose every element has the same bounds. */
rlc_status rlc__space_box_uniform(rlc_space *s, rlc_space_dtype dtype, int64_t n, double low,
                                  double high);
void rlc__space_discrete(rlc_space *s, int64_t n, int64_t start);
rlc_status rlc__space_multi_discrete(rlc_space *s, int64_t n, const int64_t *nvec,
                                     const int64_t *start);
/* Frees what the constructors allocated and zeroes the space. Accepts an empty space. */
void rlc__space_free(rlc_space *s);

/* Registry lookup for rlc_env_make: the def behind a spec (NULL if not registered). */
const rlc__env_def *rlc__registry_def(const rlc_env_spec *spec);
/* Levenshtein distance, ASCII case-insensitive (for "did you mean"). */
int rlc__edit_distance(const char *a, const char *b);
/* The string kwargs given to rlc_env_make: params[i]'s value is buf + off[i] (off[i] < 0: not
 * given). */
typedef struct rlc__kwarg_strings {
    int off[64];
    char buf[4096];
} rlc__kwarg_strings;

/* Parses `kwargs` for an env: vals[def->nparams] starts at the defaults; *max_steps at the
 * spec's; string values go to *strs (vals[i] of a string param is 1 when given, else 0).
 * Errors name the key and value; nothing is written on failure. */
rlc_status rlc__parse_kwargs(const rlc_env_spec *spec, const rlc__env_def *def, const char *kwargs,
                             double *vals, int64_t *max_steps, rlc__kwarg_strings *strs);
/* Hands the given string kwargs to def->set_string (before init). */
rlc_status rlc__apply_kwarg_strings(const rlc_env_spec *spec, const rlc__env_def *def, void *self,
                                    const rlc__kwarg_strings *strs);

#endif
