/* Offline datasets: episodes stored as flat float columns with episode offsets, uniform,
 * weighted and sequence samplers, return statistics, TQ/SACo, and Minari/D4RL HDF5 files. */
#ifndef RLC_DATASET_H
#define RLC_DATASET_H

#include "rlc/core.h"
#include "rlc/env.h"
#include "rlc/rng.h"

#ifdef __cplusplus
extern "C" {
#endif

/* A dataset of complete episodes. Episode e has T_e >= 1 transitions and T_e + 1 observation
 * rows (the reset observation first, as Minari stores them). Transitions are numbered
 * 0..num_steps-1 over all episodes; transition t of episode e (global index t, with
 * episode_offsets[e] <= t < episode_offsets[e+1]) has its observation in row t + e and its
 * next observation in row t + e + 1. Not thread-safe for writes; reads and sampling with
 * separate RNGs may run concurrently once nothing is added. */
typedef struct rlc_dataset rlc_dataset;

/* Descriptive metadata, a plain struct owned by the dataset (rlc_dataset_meta). Strings are
 * NUL-terminated and truncated to their arrays. */
typedef struct rlc_dataset_meta {
    char dataset_id[256];      /* Minari id, e.g. "rlc/CartPole-v1/random-v0" ("" if none) */
    char env_id[128];          /* Gymnasium id the data came from ("" if unknown) */
    char algorithm[128];       /* policy that collected the data ("random", a checkpoint path) */
    double ref_min_score;      /* D4RL/Minari reference scores for TQ and normalised scores; */
    double ref_max_score;      /* NAN when unknown */
    int discrete_actions;      /* 1: actions are Discrete indices (act_dim 1, stored as int64) */
    int64_t num_actions;       /* Discrete(n) when discrete_actions, else 0 */
    rlc_space_dtype obs_dtype; /* dtype written to files (float32 or float64) */
} rlc_dataset_meta;

/* Read-only column views of the complete episodes (an episode being added is not included).
 * Valid until the next call that adds to the dataset or destroys it. */
typedef struct rlc_dataset_view {
    int64_t obs_dim, act_dim, num_episodes, num_steps;
    const float *observations;      /* [(num_steps + num_episodes) * obs_dim] */
    const float *actions;           /* [num_steps * act_dim] */
    const float *rewards;           /* [num_steps] */
    const uint8_t *terminations;    /* [num_steps], 0/1 */
    const uint8_t *truncations;     /* [num_steps], 0/1 */
    const int64_t *episode_offsets; /* [num_episodes + 1], first transition of each episode */
    const double *episode_returns;  /* [num_episodes], undiscounted */
    const double *returns_to_go;    /* [num_steps]: sum of rewards from t to the episode end */
} rlc_dataset_view;

/* Creates an empty dataset for observations of obs_dim floats and actions of act_dim floats
 * (Discrete actions: act_dim 1 and meta.discrete_actions = 1). Returns NULL (error set:
 * RLC_ERR_INVALID for dims < 1, RLC_ERR_NOMEM) on failure. Free with rlc_dataset_destroy. */
RLC_API rlc_dataset *rlc_dataset_create(int64_t obs_dim, int64_t act_dim);
/* Frees the dataset. Accepts NULL. */
RLC_API void rlc_dataset_destroy(rlc_dataset *d);
/* The dataset's metadata, mutable (never NULL for a valid dataset). */
RLC_API rlc_dataset_meta *rlc_dataset_meta_of(rlc_dataset *d);
RLC_API const rlc_dataset_meta *rlc_dataset_meta_get(const rlc_dataset *d);
/* Fills `v` with the column views. */
RLC_API void rlc_dataset_view_get(const rlc_dataset *d, rlc_dataset_view *v);
RLC_API int64_t rlc_dataset_num_episodes(const rlc_dataset *d);
RLC_API int64_t rlc_dataset_num_steps(const rlc_dataset *d);
RLC_API int64_t rlc_dataset_obs_dim(const rlc_dataset *d);
RLC_API int64_t rlc_dataset_act_dim(const rlc_dataset *d);

/* Sets meta from an env's spaces: Discrete actions -> discrete_actions/num_actions, a float64
 * observation Box -> obs_dtype float64; also stores the Minari JSON of both spaces (written to
 * metadata.json). RLC_ERR_INVALID when the sizes differ from the dataset's dims. */
RLC_API rlc_status rlc_dataset_set_spaces(rlc_dataset *d, const rlc_space *obs,
                                          const rlc_space *act);
/* Minari JSON of the observation/action space ("" when unknown); set by rlc_dataset_set_spaces
 * or read from metadata.json. Valid while the dataset lives. */
RLC_API const char *rlc_dataset_space_json(const rlc_dataset *d, int action);

/* Adds one complete episode of T >= 1 transitions: obs[(T+1) * obs_dim], actions[T * act_dim],
 * rewards[T], terminations[T], truncations[T] (NULL flags: all 0). Copies. Errors:
 * RLC_ERR_INVALID (T < 1, NULL columns, an episode is being streamed), RLC_ERR_NOMEM; the
 * dataset is unchanged on failure. */
RLC_API rlc_status rlc_dataset_add_episode(rlc_dataset *d, int64_t T, const float *obs,
                                           const float *actions, const float *rewards,
                                           const uint8_t *terminations, const uint8_t *truncations);
/* Streaming: begin_episode with the reset observation, then add_step per env step. A step
 * with terminated or truncated set closes the episode; end_episode closes it early (marking
 * nothing; an episode with 0 steps is dropped). Errors: RLC_ERR_STATE (add_step without an
 * open episode, begin while one is open), RLC_ERR_NOMEM. */
RLC_API rlc_status rlc_dataset_begin_episode(rlc_dataset *d, const float *obs0);
RLC_API rlc_status rlc_dataset_add_step(rlc_dataset *d, const float *action, float reward,
                                        const float *next_obs, int terminated, int truncated);
RLC_API rlc_status rlc_dataset_end_episode(rlc_dataset *d);
/* Appends episode e of `src` (same dims) to `dst`. */
RLC_API rlc_status rlc_dataset_copy_episode(rlc_dataset *dst, const rlc_dataset *src, int64_t e);

/* ---------------------------------------------------------------------------------------
 * Sampling. Batches are caller-owned; any NULL member is skipped. Nothing is allocated.
 * ------------------------------------------------------------------------------------- */

typedef struct rlc_dataset_batch {
    float *obs;          /* [n * obs_dim] */
    float *actions;      /* [n * act_dim] */
    float *rewards;      /* [n] */
    float *next_obs;     /* [n * obs_dim] */
    float *terminations; /* [n], 0/1 (1 - terminations masks bootstrapping) */
    float *truncations;  /* [n], 0/1 */
    int64_t *index;      /* [n], global transition indices */
} rlc_dataset_batch;

/* n transitions drawn uniformly with replacement (rlc_rng_integers(0, num_steps) each).
 * Errors: RLC_ERR_STATE on an empty dataset, RLC_ERR_INVALID for n < 1 or NULL args. */
RLC_API rlc_status rlc_dataset_sample(const rlc_dataset *d, rlc_rng *rng, int64_t n,
                                      rlc_dataset_batch *b);

/* Weighted sampler. per_episode = 0: weights[num_steps], transition t drawn with probability
 * w_t / sum w. per_episode = 1: weights[num_episodes], episode e drawn with probability
 * w_e / sum w, then one of its transitions uniformly (trajectory weighting, e.g. by return).
 * Weights are copied; they must be finite, >= 0, with a positive sum (RLC_ERR_INVALID).
 * The sampler refers to `d`, which must outlive it and not change. */
typedef struct rlc_dataset_sampler rlc_dataset_sampler;
RLC_API rlc_status rlc_dataset_sampler_create(rlc_dataset_sampler **out, const rlc_dataset *d,
                                              const double *weights, int per_episode);
RLC_API void rlc_dataset_sampler_destroy(rlc_dataset_sampler *s);
RLC_API rlc_status rlc_dataset_sampler_sample(const rlc_dataset_sampler *s, rlc_rng *rng, int64_t n,
                                              rlc_dataset_batch *b);
/* Return-based episode weights w_e = exp((G_e - max G) / temperature) (temperature > 0),
 * written to w[num_episodes]. */
RLC_API rlc_status rlc_dataset_return_weights(const rlc_dataset *d, double temperature, double *w);

/* Windows of L consecutive transitions inside one episode (for return-conditioned or
 * recurrent models). */
typedef struct rlc_dataset_seq_batch {
    float *obs;           /* [n * L * obs_dim] */
    float *actions;       /* [n * L * act_dim] */
    float *rewards;       /* [n * L] */
    float *returns_to_go; /* [n * L], undiscounted sum of rewards to the episode end */
    float *terminations;  /* [n * L] */
    int64_t *timesteps;   /* [n * L], position within the episode (0 = first step) */
    int64_t *episode;     /* [n], episode of each window */
} rlc_dataset_seq_batch;

/* n windows drawn uniformly among all windows of L steps that lie inside an episode (episode e
 * offers T_e - L + 1 windows; shorter episodes offer none). Errors: RLC_ERR_INVALID for
 * n < 1, L < 1 or when no episode has L steps. */
RLC_API rlc_status rlc_dataset_sample_sequences(const rlc_dataset *d, rlc_rng *rng, int64_t n,
                                                int64_t L, rlc_dataset_seq_batch *b);

/* ---------------------------------------------------------------------------------------
 * Metrics ("A Dataset Perspective on Offline Reinforcement Learning", Schweighofer et al.)
 * ------------------------------------------------------------------------------------- */

typedef struct rlc_dataset_stats {
    int64_t episodes, steps;
    double return_mean, return_std; /* std with ddof 0 */
    double return_min, return_max;
    double length_mean;
    /* TQ = (return_mean - ref_min_score) / (ref_max_score - ref_min_score), NAN when the
     * reference scores are unknown or equal. */
    double tq;
    int64_t unique_sa; /* unique discretised (s, a) pairs, see rlc_dataset_unique_sa */
} rlc_dataset_stats;

/* Statistics of the complete episodes; `bin` is the discretisation width for unique_sa (see
 * rlc_dataset_unique_sa). RLC_ERR_STATE for an empty dataset. */
RLC_API rlc_status rlc_dataset_stats_get(const rlc_dataset *d, double bin, rlc_dataset_stats *out);
/* Unique state-action pairs: every observation element and every action element is
 * discretised to floor(x / bin) (bin <= 0 means the values are compared exactly, bit for bit),
 * the pair is hashed to 64 bits and the distinct hashes are counted (collisions are
 * negligible below ~10^9 pairs). Discrete actions are used as their index. */
RLC_API rlc_status rlc_dataset_unique_sa(const rlc_dataset *d, double bin, int64_t *out);
/* SACo = unique_sa(d) / unique_sa(ref) with the same bin (ref: the paper's reference dataset,
 * e.g. a random-policy or replay dataset of the same env). RLC_ERR_STATE if ref is empty. */
RLC_API rlc_status rlc_dataset_saco(const rlc_dataset *d, const rlc_dataset *ref, double bin,
                                    double *out);
/* D4RL reference scores (random and expert returns) for an env id or name ("Hopper-v4",
 * "hopper"); 0 if unknown. */
RLC_API int rlc_dataset_ref_scores(const char *env_id, double *ref_min, double *ref_max);

/* ---------------------------------------------------------------------------------------
 * Files (libhdf5; without it these return RLC_ERR_UNSUPPORTED). Writes go to a temporary
 * name in the same folder and are renamed into place, so a good file is never replaced by a
 * half-written one.
 * ------------------------------------------------------------------------------------- */

/* 1 if rlc was built with libhdf5. */
RLC_API int rlc_dataset_have_hdf5(void);
/* Writes Minari's layout: DIR/data/main_data.hdf5 (episode_{i} groups with observations
 * (T+1, obs_dim), actions (T, act_dim) or int64 (T,) for Discrete, rewards (T,) float64,
 * terminations/truncations (T,) bool, attrs id, total_steps) and DIR/data/metadata.json.
 * Creates DIR and DIR/data. Errors: RLC_ERR_IO, RLC_ERR_STATE (no episodes). */
RLC_API rlc_status rlc_dataset_save_minari(const rlc_dataset *d, const char *dir);
/* Reads a Minari dataset: `path` is the dataset folder, its data/ folder or main_data.hdf5.
 * metadata.json is optional (read when present). Errors name the file, the dataset and the
 * shape: RLC_ERR_IO (cannot open), RLC_ERR_FORMAT (missing/ill-shaped/ill-typed datasets,
 * observations without the extra final row, nested Dict/Tuple spaces), RLC_ERR_NOMEM. */
RLC_API rlc_status rlc_dataset_load_minari(rlc_dataset **out, const char *path);
/* Writes D4RL's flat layout to one file: observations (N, obs), next_observations (N, obs),
 * actions (N, act), rewards (N,), terminals (N,) bool, timeouts (N,) bool, gzip-compressed;
 * root attrs env_id, dataset_id, ref_min_score, ref_max_score. An episode whose last step is
 * neither terminal nor truncated is written with timeouts = 1 there (D4RL needs a marker). */
RLC_API rlc_status rlc_dataset_save_d4rl(const rlc_dataset *d, const char *path);
/* Reads D4RL's layout; episodes end where terminals | timeouts (and at the end of the file).
 * Final observations come from next_observations when present; otherwise the last step of an
 * episode that ends with a timeout is dropped (as d4rl.qlearning_dataset does) and a terminal
 * step repeats its own observation as the final row (it is never bootstrapped from). */
RLC_API rlc_status rlc_dataset_load_d4rl(rlc_dataset **out, const char *path);
/* Reads either layout: a folder or a file with episode_0 -> Minari, else D4RL. */
RLC_API rlc_status rlc_dataset_load(rlc_dataset **out, const char *path);

#ifdef __cplusplus
}
#endif
#endif
