/* Schedules for learning rates and other coefficients: constant, linear and cosine, with an
 * optional linear warmup. */
#include "rlc/optim.h"

#include <math.h>
#include <string.h>

#define PI 3.14159265358979323846

double rlc_schedule_value(const rlc_schedule *s, int64_t step) {
    if (!s) return 0.0;
    if (step < 0) step = 0;
    if (s->warmup > 0 && step < s->warmup) return s->start * (double)step / (double)s->warmup;
    int64_t k = step - (s->warmup > 0 ? s->warmup : 0);
    if (s->kind == RLC_SCHED_CONSTANT || s->total <= 0) return s->start;
    double f = k >= s->total ? 1.0 : (double)k / (double)s->total;
    switch (s->kind) {
    case RLC_SCHED_LINEAR:
        return s->start + (s->end - s->start) * f;
    case RLC_SCHED_COSINE:
        return s->end + (s->start - s->end) * 0.5 * (1.0 + cos(PI * f));
    default:
        return s->start;
    }
}

rlc_status rlc_schedule_kind_parse(const char *name, rlc_schedule_kind *out) {
    static const char *names[] = {"constant", "linear", "cosine"};
    if (!name || !out) return rlc_error(RLC_ERR_INVALID, "rlc_schedule_kind_parse: NULL argument");
    for (int i = 0; i < 3; i++)
        if (!strcmp(name, names[i])) {
            *out = (rlc_schedule_kind)i;
            return RLC_OK;
        }
    return rlc_error(RLC_ERR_INVALID, "unknown schedule '%s' (constant, linear, cosine)", name);
}
