/* GPU batched quadrotor stepping: one CUDA thread per vehicle runs rlc__qd_step (quad_dyn.h,
 * the CPU's own code) on its state held in registers. Built with --fmad=false, so the results
 * have the CPU's bits. */
#include <cuda_runtime.h>
#include <stdio.h>

#include "env/aero/quad_cuda.h"
#include "env/aero/quad_dyn.h"

static int fail(cudaError_t e, const char *what, char *msg, size_t msg_len) {
    if (e == cudaSuccess) return 0;
    snprintf(msg, msg_len, "%s: %s (%s)", what, cudaGetErrorString(e), cudaGetErrorName(e));
    cudaGetLastError(); /* reset the runtime's last-error state for the next call */
    return -1;
}

extern "C" int rlc__qcu_device_count(int *count, char *msg, size_t msg_len) {
    *count = 0;
    cudaError_t e = cudaGetDeviceCount(count);
    if (e == cudaErrorNoDevice || e == cudaErrorInsufficientDriver) {
        *count = 0;
        snprintf(msg, msg_len, "%s", cudaGetErrorString(e));
        cudaGetLastError();
        return 0;
    }
    return fail(e, "cudaGetDeviceCount", msg, msg_len);
}

extern "C" int rlc__qcu_device_name(char *name, size_t name_len, char *msg, size_t msg_len) {
    cudaDeviceProp prop;
    if (fail(cudaGetDeviceProperties(&prop, 0), "cudaGetDeviceProperties", msg, msg_len))
        return -1;
    snprintf(name, name_len, "%s (sm_%d%d, %d SMs)", prop.name, prop.major, prop.minor,
             prop.multiProcessorCount);
    return 0;
}

extern "C" int rlc__qcu_alloc(void **dev, size_t bytes, char *msg, size_t msg_len) {
    *dev = NULL;
    return fail(cudaMalloc(dev, bytes), "cudaMalloc", msg, msg_len);
}

extern "C" void rlc__qcu_free(void *dev) {
    if (dev) cudaFree(dev);
}

extern "C" int rlc__qcu_copy(void *dst, const void *src, size_t bytes, int to_device, char *msg,
                             size_t msg_len) {
    return fail(cudaMemcpy(dst, src, bytes, to_device ? cudaMemcpyHostToDevice
                                                      : cudaMemcpyDeviceToHost),
                "cudaMemcpy", msg, msg_len);
}

__global__ void qcu_step_kernel(const rlc_quad_params *p, int shared, double *xs,
                                const double *cmds, int n, int steps) {
    int i = blockIdx.x * blockDim.x + threadIdx.x;
    if (i >= n) return;
    double x[RLC__QD_N], cmd[4];
    for (int k = 0; k < RLC__QD_N; k++)
        x[k] = xs[(size_t)i * RLC__QD_N + k];
    for (int k = 0; k < 4; k++)
        cmd[k] = cmds[(size_t)i * 4 + k];
    const rlc_quad_params *pi = shared ? p : p + i;
    rlc_quad_params pl = *pi;
    for (int s = 0; s < steps; s++)
        rlc__qd_step(&pl, x, cmd, NULL);
    for (int k = 0; k < RLC__QD_N; k++)
        xs[(size_t)i * RLC__QD_N + k] = x[k];
}

extern "C" int rlc__qcu_step(const rlc_quad_params *p, int shared, double *x, const double *cmd,
                             int n, int steps, char *msg, size_t msg_len) {
    const int block = 128;
    qcu_step_kernel<<<(n + block - 1) / block, block>>>(p, shared, x, cmd, n, steps);
    if (fail(cudaGetLastError(), "quadrotor step kernel launch", msg, msg_len)) return -1;
    return fail(cudaDeviceSynchronize(), "quadrotor step kernel", msg, msg_len);
}
