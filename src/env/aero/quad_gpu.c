/* GPU batched quadrotor stepping, the C front: argument checks, errors and the fallback when
 * rlc was built without CUDA (RLC_HAVE_CUDA unset: every call says so). The device side is
 * quad_cuda.cu. */
#include <string.h>

#include "rlc/quadrotor.h"

#ifdef RLC_HAVE_CUDA

#include "env/aero/quad_cuda.h"

struct rlc_quad_gpu {
    int n;
    rlc_quad_params *p; /* device: n params (or 1 when shared) */
    double *x;          /* device: n * 17 state doubles */
    double *cmd;        /* device: n * 4 commands */
    int shared, have_params, have_states;
    char name[128];
};

rlc_status rlc_quad_gpu_create(rlc_quad_gpu **out, int n) {
    if (!out) return rlc_error(RLC_ERR_INVALID, "quad_gpu_create: out is NULL");
    *out = NULL;
    if (n < 1) return rlc_error(RLC_ERR_INVALID, "quad_gpu_create: vehicle count %d < 1", n);
    char msg[256] = "";
    int count = 0;
    if (rlc__qcu_device_count(&count, msg, sizeof msg))
        return rlc_error(RLC_ERR_UNSUPPORTED, "quad_gpu_create: %s", msg);
    if (count < 1)
        return rlc_error(RLC_ERR_UNSUPPORTED, "quad_gpu_create: no CUDA device (%s)",
                         msg[0] ? msg : "the driver reports none");
    rlc_quad_gpu *g = rlc_calloc(1, sizeof *g);
    if (!g) return RLC_ERR_NOMEM;
    g->n = n;
    if (rlc__qcu_device_name(g->name, sizeof g->name, msg, sizeof msg) ||
        rlc__qcu_alloc((void **)&g->p, (size_t)n * sizeof *g->p, msg, sizeof msg) ||
        rlc__qcu_alloc((void **)&g->x, (size_t)n * sizeof(rlc_quad_state), msg, sizeof msg) ||
        rlc__qcu_alloc((void **)&g->cmd, (size_t)n * 4 * sizeof(double), msg, sizeof msg)) {
        rlc_quad_gpu_destroy(g);
        return rlc_error(RLC_ERR_NOMEM, "quad_gpu_create: %d vehicles: %s", n, msg);
    }
    *out = g;
    return RLC_OK;
}

void rlc_quad_gpu_destroy(rlc_quad_gpu *g) {
    if (!g) return;
    rlc__qcu_free(g->p);
    rlc__qcu_free(g->x);
    rlc__qcu_free(g->cmd);
    rlc_free(g);
}

const char *rlc_quad_gpu_device(const rlc_quad_gpu *g) {
    return g ? g->name : "";
}

rlc_status rlc_quad_gpu_upload(rlc_quad_gpu *g, const rlc_quad_params *p, int shared,
                               const rlc_quad_state *s) {
    if (!g || (!p && !s)) return rlc_error(RLC_ERR_INVALID, "quad_gpu_upload: NULL argument");
    char msg[256];
    if (p) {
        size_t bytes = (shared ? 1 : (size_t)g->n) * sizeof *p;
        if (rlc__qcu_copy(g->p, p, bytes, 1, msg, sizeof msg))
            return rlc_error(RLC_ERR_IO, "quad_gpu_upload: params: %s", msg);
        g->shared = shared != 0;
        g->have_params = 1;
    }
    if (s) {
        if (rlc__qcu_copy(g->x, s, (size_t)g->n * sizeof *s, 1, msg, sizeof msg))
            return rlc_error(RLC_ERR_IO, "quad_gpu_upload: states: %s", msg);
        g->have_states = 1;
    }
    return RLC_OK;
}

rlc_status rlc_quad_gpu_download(rlc_quad_gpu *g, rlc_quad_state *s) {
    if (!g || !s) return rlc_error(RLC_ERR_INVALID, "quad_gpu_download: NULL argument");
    if (!g->have_states)
        return rlc_error(RLC_ERR_STATE, "quad_gpu_download: no states uploaded yet");
    char msg[256];
    if (rlc__qcu_copy(s, g->x, (size_t)g->n * sizeof *s, 0, msg, sizeof msg))
        return rlc_error(RLC_ERR_IO, "quad_gpu_download: %s", msg);
    return RLC_OK;
}

rlc_status rlc_quad_gpu_step(rlc_quad_gpu *g, const double *rpm_cmd, int steps) {
    if (!g || !rpm_cmd) return rlc_error(RLC_ERR_INVALID, "quad_gpu_step: NULL argument");
    if (steps < 1) return rlc_error(RLC_ERR_INVALID, "quad_gpu_step: steps %d < 1", steps);
    if (!g->have_params || !g->have_states)
        return rlc_error(RLC_ERR_STATE, "quad_gpu_step: upload params and states first");
    char msg[256];
    if (rlc__qcu_copy(g->cmd, rpm_cmd, (size_t)g->n * 4 * sizeof(double), 1, msg, sizeof msg))
        return rlc_error(RLC_ERR_IO, "quad_gpu_step: commands: %s", msg);
    if (rlc__qcu_step(g->p, g->shared, g->x, g->cmd, g->n, steps, msg, sizeof msg))
        return rlc_error(RLC_ERR_IO, "quad_gpu_step: %s", msg);
    return RLC_OK;
}

#else /* built without CUDA */

#define NO_CUDA "rlc was built without CUDA (nvcc was not found at build time; docs/quadrotor.md)"

rlc_status rlc_quad_gpu_create(rlc_quad_gpu **out, int n) {
    (void)n;
    if (out) *out = NULL;
    return rlc_error(RLC_ERR_UNSUPPORTED, "quad_gpu_create: " NO_CUDA);
}

void rlc_quad_gpu_destroy(rlc_quad_gpu *g) {
    (void)g;
}

const char *rlc_quad_gpu_device(const rlc_quad_gpu *g) {
    (void)g;
    return "";
}

rlc_status rlc_quad_gpu_upload(rlc_quad_gpu *g, const rlc_quad_params *p, int shared,
                               const rlc_quad_state *s) {
    (void)g, (void)p, (void)shared, (void)s;
    return rlc_error(RLC_ERR_UNSUPPORTED, "quad_gpu_upload: " NO_CUDA);
}

rlc_status rlc_quad_gpu_download(rlc_quad_gpu *g, rlc_quad_state *s) {
    (void)g, (void)s;
    return rlc_error(RLC_ERR_UNSUPPORTED, "quad_gpu_download: " NO_CUDA);
}

rlc_status rlc_quad_gpu_step(rlc_quad_gpu *g, const double *rpm_cmd, int steps) {
    (void)g, (void)rpm_cmd, (void)steps;
    return rlc_error(RLC_ERR_UNSUPPORTED, "quad_gpu_step: " NO_CUDA);
}

#endif
