/* Internals of the aerial-vehicle envs (src/env/aero/): the env definitions for the registry
 * and the shared projection renderer used by the quadrotor envs. */
#ifndef RLC_ENV_AERO_IMPL_H
#define RLC_ENV_AERO_IMPL_H

#include "env/env_impl.h"
#include "rlc/quadrotor.h"

extern const rlc__env_def rlc__quad_hover_def;   /* QuadHover-v0 */
extern const rlc__env_def rlc__quad_track_def;   /* QuadTrack-v0 */
extern const rlc__env_def rlc__quad_multi_def;   /* MultiQuadHover-v0 */
extern const rlc__env_def rlc__quad2d_hover_def; /* Quad2DHover-v0 */
extern const rlc__env_def rlc__quad_leader_def;  /* QuadLeaderFollower-v0 */

/* Draws n vehicles (states s[n], params p) and targets[n * 3] (may be NULL) in an oblique
 * orthographic view centred on `centre` with half-extent `extent` metres. Vehicles are drawn
 * enlarged (arm drawn as 0.08 * extent) so they stay visible. */
void rlc__quad_render_scene(uint8_t *rgb, int width, int height, const rlc_quad_params *p,
                            const rlc_quad_state *s, int n, const double *targets,
                            const double centre[3], double extent);

/* Shared pieces of the quadrotor envs (quad_envs.c). */
double rlc__quad_reward(const rlc_quad_reward *w, const rlc_quad_params *p, const rlc_quad_state *s,
                        const double rp[3], const double rv[3], const float *a);
int rlc__quad_out_of_bounds(const rlc_quad_state *s, const double rp[3], double pos_bound,
                            double vel_bound);
void rlc__quad_random_quat(rlc_rng *rng, double max_angle, double q[4]);

#endif
