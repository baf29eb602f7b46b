/* The CUDA half of the GPU quadrotor stepper (quad_cuda.cu, compiled by nvcc when it is found;
 * quad_gpu.c is the C front that checks arguments and reports errors). Each function returns
 * 0 on success, else copies the CUDA error text into msg[msg_len] and returns -1. */
#ifndef RLC_ENV_AERO_QUAD_CUDA_H
#define RLC_ENV_AERO_QUAD_CUDA_H

#include <stddef.h>

#include "rlc/quadrotor.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Number of usable CUDA devices into *count (0 when the driver reports none). */
int rlc__qcu_device_count(int *count, char *msg, size_t msg_len);
/* Device name and compute capability of device 0 into name[name_len]. */
int rlc__qcu_device_name(char *name, size_t name_len, char *msg, size_t msg_len);
int rlc__qcu_alloc(void **dev, size_t bytes, char *msg, size_t msg_len);
void rlc__qcu_free(void *dev);
/* dir: 1 host -> device, 0 device -> host. */
int rlc__qcu_copy(void *dst, const void *src, size_t bytes, int to_device, char *msg,
                  size_t msg_len);
/* Steps n vehicles on the device: states x[n * 17] (AoS, rlc_quad_state layout), params
 * p[shared ? 1 : n], commands cmd[n * 4] held for `steps` RK4 steps. Waits for the kernel. */
int rlc__qcu_step(const rlc_quad_params *p, int shared, double *x, const double *cmd, int n,
                  int steps, char *msg, size_t msg_len);

#ifdef __cplusplus
}
#endif
#endif
