/* RLIF (Luo et al., "RLIF: Interactive Imitation Learning as Reinforcement Learning", 2023):
 * an expert watches the agent and takes over when the agent's action strays from what it
 * would do; the intervention itself is the agent's only reward (-1 on the step that triggered
 * it, 0 otherwise), learned by any off-policy agent (SAC, TD3) through an env layer. The
 * interactive-imitation baselines DAgger (Ross et al. 2011) and HG-DAgger (Kelly et al. 2019)
 * share the same expert and behaviour-clone an MLP on its labels.
 *
 * Experts of adjustable quality: the expert intends `policy(obs)`; each action it actually
 * executes (during a takeover, or as a DAgger label) is that action with probability
 * `quality`, else uniform over the action box. Its decision to intervene compares the agent's
 * action with its intended action (a deviation threshold, the cheap stand-in for the paper's
 * value gap): a suboptimal expert still recognises a bad action but demonstrates poorly. */
#ifndef RLC_RLIF_H
#define RLC_RLIF_H

#include "rlc/core.h"
#include "rlc/env.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct rlc_rlif_expert {
    /* The intended action for obs (float32[obs size] -> float32[action size], env units). */
    void (*policy)(const float *obs, float *action, void *user);
    void *user;
    double quality;   /* in [0, 1]: probability that an executed action is the intended one */
    double threshold; /* intervene when max_i |a_i - intended_i| / half-width_i > threshold */
    int takeover;     /* steps the expert drives once it intervened (>= 1) */
} rlc_rlif_expert;

/* The scripted Pendulum-v1 expert (energy pumping, then a PD hold near the top; about -150
 * per episode at quality 1) with the given quality, threshold 0.5 and takeover 10. */
RLC_API void rlc_rlif_pendulum_expert(rlc_rlif_expert *ex, double quality);

/* RLIF env layer over `inner` (a float32 Box action space, Box observations): each step the
 * expert judges the agent's action; when it intervenes, the step's reward is -1 and the expert
 * executes its own actions for `takeover` inner steps (stopping early at an episode end), the
 * obs returned being the one after them; otherwise the agent's action is executed with reward
 * 0. Task rewards never reach the agent. Expert noise draws from the env's RNG stream.
 * Ownership as rlc/wrappers.h. Errors: RLC_ERR_INVALID (NULL arguments or policy, spaces
 * that are not float32 Boxes with finite action bounds, named), RLC_ERR_RANGE (quality
 * outside [0, 1], threshold < 0, takeover < 1), RLC_ERR_NOMEM. */
RLC_API rlc_status rlc_wrap_rlif(rlc_env **out, rlc_env *inner, const rlc_rlif_expert *ex);
/* 1 if env is an RLIF layer. */
RLC_API int rlc_rlif_is(const rlc_env *env);
/* Counters since the layer was made (not part of snapshots): agent decisions, interventions
 * among them, and inner env steps (agent and expert steps), any may be NULL. Zeros for an env
 * that is not an RLIF layer. */
RLC_API void rlc_rlif_counts(const rlc_env *env, int64_t *decisions, int64_t *interventions,
                             int64_t *env_steps);
/* The expert's takeover in the layer's last step: returns its number of steps n (0 when the
 * last step had no intervention, or env is not an RLIF layer) and points *obs at n + 1
 * observations (the one each expert action was taken in, then the one after the last) and
 * *actions at the n executed actions (env units); *terminated / *truncated describe the end of
 * the last one. Valid until the layer's next step. RLIF feeds these to the learner's replay
 * (rlc_agent_add_transition, reward 0) as the paper's RLPD-style agent does. */
RLC_API int rlc_rlif_takeover(const rlc_env *env, const float **obs, const float **actions,
                              int *terminated, int *truncated);

/* ---- DAgger and HG-DAgger ------------------------------------------------------------- */

typedef struct rlc_dagger_options {
    int hg;                /* 0: DAgger, 1: HG-DAgger */
    int episodes_per_iter; /* rollouts per iteration (default 2) */
    int bc_steps;          /* Adam steps on the aggregate after each iteration (default 500) */
    int batch;             /* minibatch (default 128) */
    int hidden;            /* MLP hidden units, two layers (default 64) */
    double lr;             /* Adam learning rate (default 1e-3) */
    /* DAgger: probability that the expert's executed action drives a step is beta =
     * beta_decay^iteration (iteration 0: all expert). Default 0.5. */
    double beta_decay;
    uint64_t seed;
} rlc_dagger_options;

RLC_API void rlc_dagger_options_init(rlc_dagger_options *o);

typedef struct rlc_dagger rlc_dagger;

/* A learner on env `env_id` (kwargs may be NULL) with expert ex (copied). Errors: those of
 * rlc_env_make, RLC_ERR_INVALID / RLC_ERR_RANGE as rlc_wrap_rlif and for bad options,
 * RLC_ERR_NOMEM. */
RLC_API rlc_status rlc_dagger_create(rlc_dagger **out, const char *env_id, const char *kwargs,
                                     const rlc_rlif_expert *ex, const rlc_dagger_options *o);
RLC_API void rlc_dagger_destroy(rlc_dagger *d);
/* One iteration: episodes_per_iter rollouts (DAgger: a beta-mixture of the executed expert
 * and the learner, every visited state labelled with the expert's executed action; HG-DAgger:
 * the learner drives, the expert takes over as in RLIF and only its takeover steps are
 * labelled; iteration 0 of both is expert-driven), then BC on everything gathered. */
RLC_API rlc_status rlc_dagger_iterate(rlc_dagger *d);
/* Env steps taken so far, labels gathered, interventions (HG-DAgger). Any may be NULL. */
RLC_API void rlc_dagger_counts(const rlc_dagger *d, int64_t *env_steps, int64_t *labels,
                               int64_t *interventions);
/* Task returns of the BC policy (deterministic) over `episodes` episodes reset with seed + i. */
RLC_API rlc_status rlc_dagger_evaluate(rlc_dagger *d, int episodes, uint64_t seed,
                                       double *returns);
/* Task returns of the expert itself (executed actions, its quality) on the same resets. */
RLC_API rlc_status rlc_rlif_expert_evaluate(const rlc_rlif_expert *ex, const char *env_id,
                                            int episodes, uint64_t seed, double *returns);

#ifdef __cplusplus
}
#endif
#endif
