/* Renderers of the classic-control envs (src/env/render_classic.c), one per env type, with the
 * signature of rlc__env_def.render: `self` is the env's own struct (classic_impl.h). Each draws
 * the scene of Gymnasium's pygame render (same geometry and colours, scaled to width x height)
 * and cannot fail for a valid buffer (rlc_env_render validates the arguments). */
#ifndef RLC_ENV_RENDER_IMPL_H
#define RLC_ENV_RENDER_IMPL_H

#include <stdint.h>

#include "rlc/core.h"

/* CartPole-v0/v1 (600x400 reference screen): track, cart, pole and axle. */
rlc_status rlc__render_cartpole(const void *self, uint8_t *rgb, int width, int height);
/* CartPoleSwingUp-v0: the CartPole scene (the pole may hang below the track). */
rlc_status rlc__render_cartpole_swingup(const void *self, uint8_t *rgb, int width, int height);
/* MountainCar-v0 and MountainCarContinuous-v0 (600x400): hill curve, car with wheels, flag at
 * the goal position. */
rlc_status rlc__render_mountaincar(const void *self, uint8_t *rgb, int width, int height);
/* Pendulum-v1 (500x500): rod, rod end, pivot, and an arc showing the last torque. */
rlc_status rlc__render_pendulum(const void *self, uint8_t *rgb, int width, int height);
/* Acrobot-v1 (500x500): goal line, two links with joints. */
rlc_status rlc__render_acrobot(const void *self, uint8_t *rgb, int width, int height);

#endif
